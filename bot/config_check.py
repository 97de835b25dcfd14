"""``python -m bot config check``: everything a deployment needs, checked before it goes live.

The config (already loaded), the knowledge base and the local facts it shows, the organisation
as the database holds it (queues nobody would see or take, routing rules that can never place a
ticket, nobody to run it, gaps in a duty rota), the secrets,
the folders the bot writes in and the database. Errors stop the bot or lose tip-offs; warnings
are tickets that would wait unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.clock import utc_now
from bot.config import Config
from bot.inspection.checks import organisation_problems
from bot.inspection.organisation import Organisation
from bot.inspection.settings import InspectionSettings
from bot.inspection.workdays import WorkingCalendar
from bot.kb.loader import load_knowledge
from bot.kb_check import check_knowledge
from bot.preflight import folder_problems, local_fact_problems, privacy_problems, telegram_problems
from bot.store.base import StoreError
from bot.store.opening import open_store
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
    _organisation(report, await _organisation_now(report, config), config)
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


def _organisation(report: Report, settings: InspectionSettings, config: Config) -> None:
    warnings = organisation_warnings(settings, config.report_form, config.tickets.utc_offset_hours)
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
    """Queues whose tickets nobody would see or take, rules that never place a ticket, no
    admin, gaps in a duty rota: in English, one line each."""
    calendar = WorkingCalendar(utc_offset_hours)
    return [p.text("en") for p in organisation_problems(settings, form, calendar, utc_now())]


async def _organisation_now(report: Report, config: Config) -> InspectionSettings:
    """The organisation as the next start would hold it: the database's staff and groups
    with the config's entries not copied in yet; the config's alone before the database is
    migrated (nothing is written by a check)."""
    try:
        status = await migration_status(config.storage, config.base_dir)
        if not (status.exists and status.current):
            return config.inspection
        store = await open_store(config.storage, config.base_dir)
    except StoreError:
        return config.inspection  # said by the database check
    try:
        snapshot = await Organisation(store, config.inspection).preview()
    finally:
        await store.close()
    report.add("ok", f"organisation read from the database (version {snapshot.version})")
    return snapshot.settings


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
