"""Labels for charts, exports and the daily digest, in zh-CN and en, read from the catalogs.

These are rendered outside any handler (a PNG, a spreadsheet, a digest queued for a chat), so
the code that renders them takes plain dictionaries; the words themselves live with every other
user-facing string in :mod:`bot.i18n` (keys ``inspection.*``).
"""

from __future__ import annotations

from typing import Literal

from bot.i18n import CATALOGS
from bot.inspection.model import Disposition
from bot.inspection.settings import CATEGORIES
from bot.tickets.model import TicketStatus

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

STATUS_IDS = tuple(TicketStatus)
CATEGORY_IDS = CATEGORIES
DISPOSITION_IDS = tuple(Disposition)
CHART_KEYS = (
    "title",
    "by_status",
    "by_category",
    "by_district",
    "times",
    "claim_median",
    "claim_p90",
    "resolve_median",
    "resolve_p90",
    "claim_compliance",
    "resolve_compliance",
    "hours",
    "none",
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
)
DIGEST_KEYS = ("title", "queue", "overdue", "more", "nothing")


def _labels(prefix: str, ids: tuple[str, ...]) -> dict[Language, dict[str, str]]:
    return {
        lang: {i: CATALOGS[lang][f"inspection.{prefix}.{i}"] for i in ids} for lang in LANGUAGES
    }


STATUS_NAMES = _labels("status", STATUS_IDS)
CATEGORY_NAMES = _labels("category", CATEGORY_IDS)
DISPOSITION_NAMES = _labels("disposition", DISPOSITION_IDS)
CHART = _labels("chart", CHART_KEYS)
DIGEST = _labels("digest", DIGEST_KEYS)
EXPORT_COLUMNS: dict[Language, tuple[str, ...]] = {
    lang: tuple(CATALOGS[lang][f"inspection.export.{c}"] for c in EXPORT_COLUMN_IDS)
    for lang in LANGUAGES
}
