"""Labels for charts, exports and the daily digest, in zh-CN and en, read from the catalogs.

These are rendered outside any handler (a PNG, a spreadsheet, a digest queued for a chat), so
the code that renders them takes plain dictionaries; the words themselves live with every other
user-facing string in :mod:`bot.i18n` (keys ``inspection.*``).
"""

from __future__ import annotations

from typing import Literal

from bot.i18n import CATALOGS
from bot.inspection.figures import (
    FIGURE_IDS,
    FIGURE_KINDS,
    Headline,
    ShiftFigures,
    figure_values,
)
from bot.inspection.model import Disposition
from bot.inspection.settings import CATEGORIES
from bot.tickets.model import TicketStatus
from bot.tickets.verdicts import Verdict

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

STATUS_IDS = tuple(TicketStatus)
CATEGORY_IDS = CATEGORIES
DISPOSITION_IDS = tuple(Disposition)
# A ticket's latest 回访: a verdict, no answer in time, or still within its days.
FOLLOWUP_IDS = (*tuple(Verdict), "not_reached", "pending")
CHART_KEYS = (
    "title",
    "figures",
    "by_status",
    "by_category",
    "by_district",
    "by_week",
    "by_department",
    "top_institutions",
)
EXPORT_COLUMN_IDS = (
    "ticket_number",
    "status",
    "disposition",
    "outcome",
    "queue",
    "category",
    "district",
    "institution",
    "received_at",
    "claimed_by",
    "claimed_at",
    "claim_due_at",
    "resolved_at",
    "resolve_due_at",
    "closed_at",
    "institution_id",
    "institution_status",
    "followup",
    "reopened",
    "repeat",
)
DIGEST_KEYS = (
    "title",
    "queue",
    "overdue",
    "more",
    "nothing",
    "figures",
    "dissatisfied",
    "dissatisfied_item",
    "no_comment",
    "shifts",
    "shift",
    "gap",
)


def _labels(prefix: str, ids: tuple[str, ...]) -> dict[Language, dict[str, str]]:
    return {
        lang: {i: CATALOGS[lang][f"inspection.{prefix}.{i}"] for i in ids} for lang in LANGUAGES
    }


STATUS_NAMES = _labels("status", STATUS_IDS)
CATEGORY_NAMES = _labels("category", CATEGORY_IDS)
DISPOSITION_NAMES = _labels("disposition", DISPOSITION_IDS)
FOLLOWUP_NAMES = _labels("followup", FOLLOWUP_IDS)
CHART = _labels("chart", CHART_KEYS)
FIGURE_NAMES = _labels("figure", FIGURE_IDS)
DIGEST = _labels("digest", DIGEST_KEYS)
YES_NO = _labels("export", ("yes", "no"))
EXPORT_COLUMNS: dict[Language, tuple[str, ...]] = {
    lang: tuple(CATALOGS[lang][f"inspection.export.{c}"] for c in EXPORT_COLUMN_IDS)
    for lang in LANGUAGES
}


def percent_text(value: float | None) -> str:
    """92.5%, or "-" where there is nothing to divide by."""
    return "-" if value is None else f"{value:.1f}%"


def hours_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def figure_text(figure: str, value: float | None) -> str:
    """One figure as every text shows it: a count, a percent or hours."""
    kind = FIGURE_KINDS[figure]
    if kind == "percent":
        return percent_text(value)
    if kind == "hours":
        return hours_text(value)
    return "-" if value is None else str(int(value))


def shift_lines(shifts: dict[tuple[str, str], ShiftFigures], template: str, gap: str) -> list[str]:
    """One line per shift of the duty rotas: arrived, and claimed within the ack time."""
    return [
        template.format(
            rota=rota,
            shift=shift or gap,
            received=found.received,
            claimed=percent_text(found.claimed_in_time.percent),
        )
        for (rota, shift), found in shifts.items()
    ]


def headline_values(figures: Headline) -> dict[str, str]:
    """Each headline figure as every text shows it, by its id."""
    return {k: figure_text(k, v) for k, v in figure_values(figures).items()}
