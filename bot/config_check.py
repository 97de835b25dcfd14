"""``python -m bot config check``: everything a deployment needs, checked before it goes live.

The config (already loaded), the knowledge base and the local facts it shows, the organisation
(queues nobody would see or take, routing rules that can never place a ticket), the secrets,
the folders the bot writes in and the database. Errors stop the bot or lose tip-offs; warnings
are tickets that would wait unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.config import Config
from bot.inspection.access import claimers_of
from bot.inspection.routing import Router
from bot.inspection.settings import InspectionSettings
from bot.inspection.workdays import WorkingCalendar
from bot.kb.check import check_knowledge
from bot.kb.loader import load_knowledge
from bot.preflight import folder_problems, local_fact_problems, privacy_problems, telegram_problems
from bot.registry.model import TICKET_REGISTRY_WORDS
from bot.store.base import StoreError
from bot.store.status import migration_status
from bot.tickets.form import FormSettings

Level = Literal["ok", "warning", "error"]


@dataclass
class Report:
    lines: list[tuple[Level, str]] = field(default_factory=list)

    def add(self, level: Level, text: str) -> None:
        self.lines.append((level, text))

    def count(self, level: Level) -> int:
        return sum(1 for found, _ in self.lines if found == level)

    def render(self) -> str:
        body = [f"{level}: {text}" for level, text in self.lines]
        errors, warnings = self.count("error"), self.count("warning")
        body.append(f"{errors} error(s), {warnings} warning(s)")
        return "\n".join(body)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("error") else 0


async def check_deployment(config: Config, environ: Mapping[str, str]) -> Report:
    report = Report()
    report.add("ok", f"config: {config.file or 'built-in defaults'}")
    _knowledge(report, config)
    _organisation(report, config.inspection, config.report_form, config.tickets.utc_offset_hours)
    _secrets(report, config, environ)
    for problem in folder_problems(config, environ):
        report.add("error", problem)
    await _database(report, config)
    return report


def _knowledge(report: Report, config: Config) -> None:
    paths = list(config.knowledge_paths)
    # Facts due for a new check are kb check's warnings, for whoever keeps the answers.
    checked = check_knowledge(paths, dict(config.local), today=date.today())
    problems = [str(p) for p in checked.problems]
    loaded = load_knowledge(paths)
    problems += local_fact_problems(config, loaded.kb)
    for problem in problems:
        report.add("error", problem)
    if not problems:
        names = ", ".join(str(p) for p in paths)
        report.add(
            "ok", f"knowledge base: {len(loaded.kb.entries)} entries ({names}), local facts set"
        )


def _organisation(
    report: Report, settings: InspectionSettings, form: FormSettings, utc_offset_hours: int
) -> None:
    warnings = organisation_warnings(settings, form, utc_offset_hours)
    for warning in warnings:
        report.add("warning", warning)
    if not warnings:
        queues = len(settings.queue_ids())
        report.add(
            "ok",
            f"organisation: {queues} queues in {len(settings.departments)} departments, each with"
            f" a group and someone to claim; {len(settings.routing)} routing rules, each used",
        )


def organisation_warnings(
    settings: InspectionSettings, form: FormSettings, utc_offset_hours: int = 8
) -> list[str]:
    """Queues whose tickets nobody would see or take, and rules that never place a ticket."""
    warnings = []
    default = settings.default_queue
    for department in settings.departments:
        for queue in department.queues:
            label = f"queue {queue.id} ({queue.name})"
            if queue.id == default:
                continue
            if queue.chat_id is None:
                warnings.append(f"{label}: no group chat (chat_id): its cards are posted nowhere")
            if not claimers_of(settings, queue.id):
                warnings.append(
                    f"{label}: nobody who can claim (an inspector or supervisor listed in the"
                    f" queue, its department or inspection.members): its tickets go to {default}"
                )
    default_queue = settings.queue(default)
    if default_queue is not None and (
        default_queue.chat_id is None or not claimers_of(settings, default)
    ):
        lacks = [
            *(["a group chat (chat_id)"] if default_queue.chat_id is None else []),
            *([] if claimers_of(settings, default) else ["anyone who can claim"]),
        ]
        warnings.append(
            f"the default queue {default} ({default_queue.name}) lacks {' and '.join(lacks)}:"
            " tickets no rule places, or whose queue has nobody to claim them, would wait there"
            " unseen"
        )
    warnings += _unused_rules(settings, form, utc_offset_hours)
    return warnings


def _unused_rules(
    settings: InspectionSettings, form: FormSettings, utc_offset_hours: int
) -> list[str]:
    router = Router(settings, WorkingCalendar(utc_offset_hours))
    used = {
        found[0]
        for category in form.categories
        for district in form.districts
        for registry in ("", *TICKET_REGISTRY_WORDS)
        if (found := router.placing_rule(category.id, district.id, registry)) is not None
    }
    return [
        f"routing rule {index + 1} (queue {rule.queue}, categories {', '.join(rule.categories)},"
        f" districts {', '.join(rule.districts)}) can never place a ticket: no category and"
        " district of report_form it matches reaches it with an existing queue"
        for index, rule in enumerate(settings.routing)
        if index not in used
    ]


def _secrets(report: Report, config: Config, environ: Mapping[str, str]) -> None:
    problems = telegram_problems(config) + privacy_problems(config, environ, creating=False)
    for problem in problems:
        report.add("error", problem)
    if not problems:
        where = "environment" if environ.get("REPORTER_PEPPER") else str(config.keys_path)
        report.add("ok", f"secrets: bot token, webhook secret if needed, privacy keys ({where})")


async def _database(report: Report, config: Config) -> None:
    storage = config.storage
    try:
        status = await migration_status(storage, config.base_dir)
    except StoreError as exc:
        report.add("error", f"database: {exc}")
        return
    reached = "reachable; " if status.exists else ""
    report.add("ok", f"database {storage.safe_url}: {reached}{status.summary()}")
    if status.exists and status.pending:
        report.add(
            "ok", "pending migrations are applied by `python -m bot db migrate` or the next start"
        )
