"""The command line: ``python -m bot <command> [--config FILE]``.

``--config`` is accepted before or after any command or subcommand: every parser below is a
:class:`CommandParser`, and argparse builds subparsers of the same class as their parent, so a
command added later accepts it too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config, load_config
from bot.faq import FaqReply, FaqService
from bot.i18n import guess_language, text
from bot.kb.loader import KnowledgeError
from bot.kb_check import check_knowledge, warning_line
from bot.matching.evaluate import describe_failure, evaluate, load_cases
from bot.privacy import SecretError
from bot.questions import Gap
from bot.store.base import StoreError, TaughtPhrasing
from bot.yamlfile import YamlFileError

if TYPE_CHECKING:
    from bot.i18n import Language
    from bot.inspection.figures import Period
    from bot.inspection.organisation import Membership
    from bot.inspection.services import InspectionServices
    from bot.key_rotation import Rotated
    from bot.registry.importing import ImportPlan, ListDefaults

Command = Callable[[argparse.Namespace, Config], int]


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose command (and each subcommand) takes ``--config FILE``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SUPPRESS: a subcommand that was not given --config leaves the one given before it.
        self.add_argument(
            "--config",
            type=Path,
            default=argparse.SUPPRESS,
            help="config file (default: config.yaml, else built-in defaults)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="python -m bot", description="Double Reduction (双减) hotline bot")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    run = commands.add_parser(
        "run", help="run the bot (no token: offline emulator + terminal chat)"
    )
    run.add_argument(
        "--offline",
        action="store_true",
        help="the built-in emulator and a terminal chat, even without a terminal on stdin",
    )
    run.set_defaults(handler=cmd_run)

    ask = commands.add_parser("ask", help="answer a parent's question from the knowledge base")
    ask.add_argument("question", nargs="*", help="the question (none: read lines from stdin)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=["zh", "en"], help="answer language (default: guessed)")
    ask.set_defaults(handler=cmd_ask)

    evaluate_cmd = commands.add_parser("eval", help="score the matcher on labelled questions")
    evaluate_cmd.add_argument("file", type=Path, help="YAML file with cases: q, expect, also")
    evaluate_cmd.add_argument(
        "--baseline",
        action="store_true",
        help="also train char n-gram TF-IDF + logistic regression on the KB and score it",
    )
    evaluate_cmd.set_defaults(handler=cmd_eval)

    kb = commands.add_parser("kb", help="knowledge base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="kb-command")
    check = kb_commands.add_parser("check", help="validate the knowledge base")
    check.add_argument("paths", nargs="*", type=Path, help="layers (default: from config)")
    check.add_argument(
        "--no-taught",
        action="store_true",
        help="leave out the phrasings taught with /teach (read from the configured database)",
    )
    check.set_defaults(handler=cmd_kb_check)
    gaps = kb_commands.add_parser("gaps", help="most frequent questions the bot could not answer")
    gaps.add_argument("--days", type=int, default=30, help="look back this many days")
    gaps.add_argument("--limit", type=int, default=20, help="show at most this many groups")
    gaps.set_defaults(handler=cmd_kb_gaps)

    bench = commands.add_parser("bench", help="measure speed and memory")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="what")
    faq = bench_commands.add_parser("faq", help="question matching latency and build time")
    faq.add_argument("--entries", type=int, default=5000, help="size of the generated KB")
    faq.add_argument("--questions", type=Path, help="eval-format YAML of questions to time")
    faq.set_defaults(handler=cmd_bench_faq)
    e2e = bench_commands.add_parser("e2e", help="the whole bot under a burst, next to an echo bot")
    e2e.add_argument("--users", type=int, default=200, help="simulated parents")
    e2e.add_argument("--messages", type=int, default=2000, help="questions in the burst")
    e2e.add_argument("--faults", action="store_true", help="5%% 429 + 2%% 502 on sendMessage")
    e2e.add_argument(
        "--rate",
        type=_positive,
        metavar="R",
        help="steady load: R questions per second (for --seconds) instead of one burst; the"
        " bot keeps its production rate limits",
    )
    e2e.add_argument(
        "--seconds", type=_positive, default=30.0, help="with --rate: how long (default 30)"
    )
    e2e.add_argument(
        "--instances",
        type=_at_least_one,
        metavar="N",
        help="1, then N instances in webhook mode behind one URL, sharing one database",
    )
    e2e.add_argument(
        "--storage",
        type=_storage_url,
        metavar="URL",
        help="with --instances: postgresql://... (a fresh schema, dropped after) or sqlite:///..."
        " (one instance; a fresh file next to it); default: storage.url",
    )
    e2e.set_defaults(handler=cmd_bench_e2e)
    evidence = bench_commands.add_parser(
        "evidence", help="reporters sending large images at once, a parent asking meanwhile"
    )
    evidence.add_argument("--reporters", type=_at_least_one, default=8, help="files sent at once")
    evidence.add_argument("--megapixels", type=float, default=39.7, help="size of each image")
    evidence.set_defaults(handler=cmd_bench_evidence)
    tickets = bench_commands.add_parser("tickets", help="durable tip-off submissions per second")
    tickets.add_argument("--count", type=int, default=5000, help="submissions per run")
    tickets.add_argument("--concurrency", type=int, default=8, help="submissions at once")
    tickets.set_defaults(handler=cmd_bench_tickets)
    crashes = bench_commands.add_parser(
        "crashes", help="the bot killed at random moments under work, then started again"
    )
    crashes.add_argument("--bursts", type=int, default=40, help="bursts of 40 questions")
    crashes.add_argument("--walks", type=int, default=40, help="report forms filled in")
    crashes.add_argument("--walkers", type=int, default=5, help="report forms filled at once")
    crashes.add_argument("--seed", type=int, default=1, help="for the random kill moments")
    crashes.set_defaults(handler=cmd_bench_crashes)
    queue = bench_commands.add_parser("queue", help="inspectors' work with 100,000 tickets stored")
    queue.add_argument("--tickets", type=int, default=100_000, help="tickets loaded first")
    queue.add_argument("--claims", type=int, default=200, help="claims timed one at a time")
    queue.set_defaults(handler=cmd_bench_queue)

    config_cmd = commands.add_parser("config", help="deployment checks")
    config_commands = config_cmd.add_subparsers(
        dest="config_command", required=True, metavar="what"
    )
    config_check = config_commands.add_parser(
        "check", help="config, knowledge base, organisation, secrets and database, checked"
    )
    config_check.set_defaults(handler=cmd_config_check)

    keys = commands.add_parser("keys", help="privacy keys and secrets")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="what")
    generate = keys_commands.add_parser(
        "generate", help="print a fresh webhook secret, pepper and sealing key (secrets.env lines)"
    )
    generate.set_defaults(handler=cmd_keys_generate)
    rotate = keys_commands.add_parser(
        "rotate", help="re-seal everything under the newest sealing key (then retire the others)"
    )
    rotate.set_defaults(handler=cmd_keys_rotate)

    db = commands.add_parser("db", help="the database's migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="what")
    db_commands.add_parser("status", help="migrations applied and pending").set_defaults(
        handler=cmd_db_status
    )
    db_commands.add_parser("migrate", help="apply pending migrations (upgrades)").set_defaults(
        handler=cmd_db_migrate
    )

    registry_bench = bench_commands.add_parser(
        "registry", help="institution registry: import, name lookups, lookups during an import"
    )
    registry_bench.add_argument(
        "--institutions", type=_at_least_one, default=100_000, help="institutions imported"
    )
    registry_bench.add_argument(
        "--storage",
        type=_storage_url,
        metavar="URL",
        help="postgresql://... (a fresh schema, dropped after); default: a fresh SQLite file",
    )
    registry_bench.set_defaults(handler=cmd_bench_registry)

    registry = commands.add_parser(
        "registry", help="the bureau's registry of tutoring institutions (白名单 / 黑名单)"
    )
    registry_commands = registry.add_subparsers(
        dest="registry_command", required=True, metavar="registry-command"
    )
    registry_import = registry_commands.add_parser(
        "import", help="add and update institutions from a CSV or XLSX list (Chinese headers)"
    )
    registry_import.add_argument("file", type=Path, help="the list: .csv or .xlsx")
    registry_import.add_argument(
        "--status", help="status of rows that leave 状态 empty (e.g. 白名单 for a white list)"
    )
    registry_import.add_argument("--source", default="", help="whose list (default: 来源 column)")
    registry_import.add_argument("--date", help="the list's date, e.g. 2026-03-01")
    registry_import.add_argument(
        "--dry-run", action="store_true", help="check and show the changes, write nothing"
    )
    registry_import.set_defaults(handler=cmd_registry_import)
    registry_export = registry_commands.add_parser(
        "export", help="every institution as CSV or XLSX (imports again unchanged)"
    )
    registry_export.add_argument(
        "--format", choices=["csv", "xlsx"], help="default: from --output's suffix, else csv"
    )
    registry_export.add_argument("--output", type=Path, help="default: registry-<date>.<format>")
    registry_export.set_defaults(handler=cmd_registry_export)
    staff = commands.add_parser(
        "staff", help="staff in the database, at the console (audited as the operator 'cli')"
    )
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="what")
    staff_commands.add_parser(
        "list", help="everyone with a role: where, as what, since when"
    ).set_defaults(handler=cmd_staff_list)
    add = staff_commands.add_parser(
        "add", help="give someone a role (the way in when nobody is left to invite anyone)"
    )
    add.add_argument("user_id", type=_user_id, help="their Telegram user id (/whoami shows it)")
    add.add_argument(
        "--role", choices=["inspector", "supervisor", "admin", "auditor"], default="inspector"
    )
    place = add.add_mutually_exclusive_group()
    place.add_argument("--queue", help="a queue's id (default: the whole organisation)")
    place.add_argument("--department", help="a department's id")
    add.set_defaults(handler=cmd_staff_add)
    remove = staff_commands.add_parser(
        "remove", help="take every role away; their claimed tickets go back to their queues"
    )
    remove.add_argument("user_id", type=_user_id, help="their Telegram user id")
    remove.set_defaults(handler=cmd_staff_remove)

    export = commands.add_parser(
        "export", help="tickets of a period as CSV or XLSX (audited as the operator 'cli')"
    )
    export.add_argument("--period", default="30d", help="7d, 30d, 90d ... or a month: 2026-11")
    export.add_argument(
        "--format", choices=["csv", "xlsx"], help="default: from --output's suffix, else csv"
    )
    export.add_argument("--output", type=Path, help="file to write (default: a dated name here)")
    export.add_argument("--lang", choices=["zh", "en"], default="zh", help="column names")
    export.set_defaults(handler=cmd_export)

    brief = commands.add_parser(
        "brief", help="the leadership report of a period as a PDF (audited as the operator 'cli')"
    )
    brief.add_argument(
        "--period", default="", help="a month (2026-11) or 7d, 30d ... (default: last month)"
    )
    brief.add_argument("--output", type=Path, help="file to write (default: a dated name here)")
    brief.add_argument("--lang", choices=["zh", "en"], default="zh", help="the report's language")
    brief.set_defaults(handler=cmd_brief)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(getattr(args, "config", None))
        handler: Command = args.handler
        return handler(args, config)
    except YamlFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SecretError as exc:  # a malformed secret, missing keys: said in one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KnowledgeError as exc:
        print(
            "error: the knowledge base has problems (run `python -m bot kb check`):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from bot.run import run_bot  # Telegram's libraries load only for the commands that need them

    return run_bot(config, offline=args.offline)


def cmd_config_check(args: argparse.Namespace, config: Config) -> int:
    import os

    from bot.config_check import check_deployment

    report = asyncio.run(check_deployment(config, os.environ))
    print(report.render())
    return report.exit_code


def cmd_keys_generate(args: argparse.Namespace, config: Config) -> int:
    import secrets

    from bot.preflight import SECRET_VARIABLE
    from bot.privacy import PrivacyKeys

    print("# Fresh secrets for /etc/hotline/secrets.env: the same values on every instance.")
    print("# To rotate the sealing key, put the new SEALING_KEYS value in front of the old one.")
    print(f"{SECRET_VARIABLE}={secrets.token_hex(32)}")
    for name, value in PrivacyKeys.generate().as_environment().items():
        print(f"{name}={value}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace, config: Config) -> int:
    from bot.key_rotation import rotate_sealed_values
    from bot.privacy import load_privacy_keys
    from bot.store.opening import opened_store

    keys = load_privacy_keys(config.keys_path, create=False)

    async def rotate() -> dict[str, Rotated]:
        async with opened_store(config.storage, config.base_dir) as store:
            return await rotate_sealed_values(store, keys)

    counts = asyncio.run(rotate())
    for place, rotated in counts.items():
        print(f"{place}: {rotated.describe()}")
    total = sum(r.resealed for r in counts.values())
    older = len(keys.sealing_keys) - 1
    print(f"{total} value(s) re-sealed; every sealed value now opens with the newest key alone")
    if older:
        print(f"once every instance runs with it first, the {older} older key(s) may be removed")
    return 0


def cmd_db_status(args: argparse.Namespace, config: Config) -> int:
    from bot.store.status import migration_status

    status = asyncio.run(migration_status(config.storage, config.base_dir))
    print(f"database {config.storage.safe_url}: {status.summary()}")
    for applied in status.applied:
        print(f"  applied  {applied.version:04d}_{applied.name}  {applied.applied_at}")
    for pending in status.pending:
        print(f"  pending  {pending.version:04d}_{pending.name}")
    return 0 if status.current else 1


def cmd_db_migrate(args: argparse.Namespace, config: Config) -> int:
    from bot.store.opening import open_store
    from bot.store.status import migration_status

    async def migrate() -> tuple[int, int]:
        before = await migration_status(config.storage, config.base_dir)
        await (await open_store(config.storage, config.base_dir)).close()
        after = await migration_status(config.storage, config.base_dir)
        return len(before.applied), len(after.applied)

    before, after = asyncio.run(migrate())
    if after == before:
        print(f"database {config.storage.safe_url}: up to date ({after} migrations); nothing to do")
    else:
        applied = after - before
        print(f"database {config.storage.safe_url}: applied {applied} migration(s), now {after}")
    return 0


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    service = FaqService.from_config(config)
    questions = [" ".join(args.question)] if args.question else _stdin_lines()
    for question in questions:
        language = args.lang or guess_language(question)
        reply = service.ask(question, language)
        if args.json:
            print(json.dumps(reply.match.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render_plain(reply, service.placeholders))
    return 0


def _stdin_lines() -> list[str]:
    return [line.rstrip("\n") for line in sys.stdin]


def render_plain(reply: FaqReply, placeholders: dict[str, str]) -> str:
    language = reply.language
    score = f"{reply.match.score:.0f}"
    if reply.band == "answer":
        lines = [f"[answer {reply.entry_id} · {score}] {reply.question}", "", reply.answer, ""]
        lines.append(text(language, "faq.source", source=reply.source))
        if reply.related:
            lines.append(text(language, "faq.related"))
            lines.extend(f"  - {link.question} ({link.id})" for link in reply.related)
        return "\n".join(lines) + "\n"
    if reply.band == "suggest":
        lines = [f"[suggest · {score}] {text(language, 'faq.suggest')}"]
        lines.extend(f"  {i}. {s.question} ({s.id})" for i, s in enumerate(reply.suggestions, 1))
        return "\n".join(lines) + "\n"
    return f"[none · {score}] {text(language, 'faq.none', **_hotline(placeholders))}\n"


def _hotline(placeholders: dict[str, str]) -> dict[str, str]:
    return {"citizen_hotline": placeholders.get("citizen_hotline", "12345")}


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    service = FaqService.from_config(config)
    cases = load_cases(args.file)
    report = evaluate(service.matcher, cases)
    for failure in report.failures:
        print(describe_failure(failure))
    if not args.baseline:
        print(report.summary())
        return 0
    from bot.matching.baseline import BaselineUnavailable, score_baseline

    try:
        baselines = score_baseline(service.kb, cases)
    except BaselineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(b.label) for b in baselines)
    print(f"{'matcher':<{width}}  {report.summary()}")
    for baseline in baselines:
        print(f"{baseline.label:<{width}}  {baseline.summary()}")
    return 0


def cmd_kb_check(args: argparse.Namespace, config: Config) -> int:
    paths = list(args.paths) or list(config.knowledge_paths)
    taught, note = ([], "") if args.no_taught else asyncio.run(_taught_phrasings(config))
    result = check_knowledge(
        paths, dict(config.local), date.today(), taught, config.storage.safe_url
    )
    for line in [*map(str, result.problems), *map(warning_line, result.warnings)]:
        print(line)
    warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    code = 1 if result.problems else 0
    if result.problems:
        print(f"{len(result.problems)} problem(s){warned}", file=sys.stderr)
    else:
        print(f"ok{warned}: {', '.join(str(p) for p in paths)}", file=sys.stderr)
    if note:
        print(note, file=sys.stderr)
    return code


async def _taught_phrasings(config: Config) -> tuple[list[TaughtPhrasing], str]:
    """The live taught phrasings of the configured database, or none and why (a database not
    created or not migrated yet is left as it is)."""
    from bot.store.opening import opened_store
    from bot.store.status import migration_status

    where = config.storage.safe_url
    try:
        status = await migration_status(config.storage, config.base_dir)
    except StoreError as exc:
        return [], f"taught phrasings not checked: database {where}: {exc}"
    if not status.current:
        return [], f"taught phrasings not checked: database {where} {status.summary()}"
    async with (
        opened_store(config.storage, config.base_dir) as store,
        store.transaction(readonly=True) as tx,
    ):
        taught = await tx.live_taught_phrasings()
    return taught, f"{len(taught)} taught phrasing(s) from {where}"


def cmd_kb_gaps(args: argparse.Namespace, config: Config) -> int:
    from bot.questions import QuestionLog
    from bot.store.opening import opened_store

    async def collect() -> list[Gap]:
        async with opened_store(config.storage, config.base_dir) as store:
            segmenter = FaqService.from_config(config).matcher.segmenter
            return await QuestionLog(store).gaps(segmenter, days=args.days, limit=args.limit)

    found = asyncio.run(collect())
    if not found:
        print(f"no unanswered questions in the last {args.days} days")
        return 0
    print(f"{'asked':>5} {'people':>6}  {'how':<28} example")
    for gap in found:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(gap.kinds.items()))
        print(f"{gap.count:>5} {len(gap.askers):>6}  {kinds:<28} {gap.example}")
    return 0


def cmd_bench_faq(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.faq import run_faq_benchmark

    run_faq_benchmark(config, generated_entries=args.entries, questions_file=args.questions)
    return 0


def cmd_bench_e2e(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.e2e import bench_e2e, refusal

    several = args.instances is not None or args.storage is not None
    if several:
        problem = refusal(args.storage or config.storage.url, args.instances or 1)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    if several and args.rate is not None:
        print(
            "error: --rate measures one bot next to the echo bot; not with --instances",
            file=sys.stderr,
        )
        return 2
    messages = args.messages if args.rate is None else round(args.rate * args.seconds)
    bench_e2e(
        config,
        users=args.users,
        messages=messages,
        faults=args.faults,
        instances=args.instances,
        storage=args.storage,
        rate=args.rate,
    )
    return 0


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"a number above 0, not {value!r}")
    return number


def cmd_bench_evidence(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.evidence import bench_evidence

    bench_evidence(config, reporters=args.reporters, megapixels=args.megapixels)
    return 0


def _at_least_one(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {value!r}")
    return int(value)


def _storage_url(value: str) -> str:
    from bot.store.settings import StorageSettings

    try:
        StorageSettings(url=value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def cmd_bench_tickets(args: argparse.Namespace, config: Config) -> int:
    import tempfile

    from bot.bench.report import peak_rss_mb, print_table
    from bot.bench.tickets import bench_tickets

    with tempfile.TemporaryDirectory(prefix="bench-tickets-") as folder:
        figures = asyncio.run(bench_tickets(args.count, Path(folder), concurrency=args.concurrency))
    figures["peak RSS MB"] = peak_rss_mb()
    print_table("bench tickets", figures)
    return 0


def cmd_bench_crashes(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.crashes import bench_crashes

    return bench_crashes(
        config, bursts=args.bursts, walks=args.walks, walkers=args.walkers, seed=args.seed
    )


def cmd_bench_queue(args: argparse.Namespace, config: Config) -> int:
    import tempfile

    from bot.bench.queue import bench_queue
    from bot.bench.report import peak_rss_mb, print_table

    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder:
        figures = asyncio.run(bench_queue(Path(folder), args.tickets, claims=args.claims))
    figures["peak RSS MB"] = peak_rss_mb()
    print_table("bench queue", _flat(figures))
    return 0


def _flat(figures: dict[str, object]) -> dict[str, object]:
    """``{"page_ms": {"median": 1}}`` -> ``{"page_ms median": 1}``, one figure per line."""
    flat: dict[str, object] = {}
    for name, value in figures.items():
        if isinstance(value, dict):
            flat.update({f"{name} {key}": inner for key, inner in value.items()})
        else:
            flat[name] = value
    return flat


def _user_id(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise argparse.ArgumentTypeError(f"a Telegram user id (a positive number), not {value!r}")
    return int(value)


def cmd_staff_list(args: argparse.Namespace, config: Config) -> int:
    async def listing() -> list[str]:
        async with _inspection(config, staff=True) as inspection:
            return [_member_line(m) for m in inspection.organisation.snapshot.memberships]

    lines = asyncio.run(listing())
    print(f"{'user id':>12}  {'role':<10} {'where':<28} added")
    for line in lines:
        print(line)
    print(f"{len(lines)} role(s)", file=sys.stderr)
    return 0


def _member_line(member: Membership) -> str:
    where = member.scope.level if not member.scope.id else f"{member.scope.level} {member.scope.id}"
    added = member.added_at.strftime("%Y-%m-%d %H:%M") if member.added_at else "-"
    pinned = "  (config admin)" if member.pinned else ""
    return (
        f"{member.user_id:>12}  {member.role:<10} {where:<28} {added} by {member.added_by}{pinned}"
    )


def cmd_staff_add(args: argparse.Namespace, config: Config) -> int:
    from bot.inspection.organisation import Scope
    from bot.inspection.reports import LOCAL_OPERATOR
    from bot.inspection.staff import queues_in

    if args.queue:
        scope = Scope("queue", args.queue)
    elif args.department:
        scope = Scope("department", args.department)
    else:
        scope = Scope.organisation()
    if not queues_in(config.inspection, scope):
        print(f"error: no {scope.level} {scope.id!r} in the config", file=sys.stderr)
        return 2

    async def add() -> Membership:
        async with _inspection(config, staff=True) as inspection:
            return await inspection.staff.add_by_operator(
                args.user_id, scope, args.role, actor=LOCAL_OPERATOR
            )

    print(_member_line(asyncio.run(add())))
    return 0


def cmd_staff_remove(args: argparse.Namespace, config: Config) -> int:
    from bot.inspection.model import Denied
    from bot.inspection.reports import LOCAL_OPERATOR

    async def remove() -> str:
        async with _inspection(config, staff=True) as inspection:
            done = await inspection.staff.remove_by_operator(args.user_id, actor=LOCAL_OPERATOR)
        if isinstance(done, Denied):
            return ""
        back = ", ".join(done.handed_back.released if done.handed_back else ()) or "none"
        roles = len(done.memberships)
        return f"removed {roles} role(s) of {args.user_id}; back in their queues: {back}"

    said = asyncio.run(remove())
    if not said:
        print(f"error: {args.user_id} holds no role the database can take away", file=sys.stderr)
        return 1
    print(said)
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from bot.clock import utc_now
    from bot.inspection.parsing import parse_period
    from bot.inspection.workdays import WorkingCalendar

    tz = WorkingCalendar(config.tickets.utc_offset_hours).tz
    period = parse_period(args.period, utc_now(), tz)
    if period is None:
        wanted = "7d, 30d ... or a month like 2026-11"
        print(f"error: --period {args.period!r}: use {wanted}", file=sys.stderr)
        return 2
    output: Path | None = args.output
    file_format = args.format or (output.suffix.lstrip(".").lower() if output else "csv")
    if file_format not in ("csv", "xlsx"):
        print(f"error: --format: csv or xlsx, not {file_format!r}", file=sys.stderr)
        return 2
    if output is None:
        start, end = period.start.astimezone(tz).date(), period.end.astimezone(tz).date()
        output = Path(f"shuangjian-{start}-{end}.{file_format}")
    data = asyncio.run(_export(config, period, file_format, args.lang))
    output.write_bytes(data)
    print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    return 0


async def _export(config: Config, period: Period, file_format: str, language: str) -> bytes:
    async with _inspection(config) as inspection:
        return await inspection.reports.operator_export(
            period,
            "xlsx" if file_format == "xlsx" else "csv",
            "en" if language == "en" else "zh",
        )


@asynccontextmanager
async def _inspection(config: Config, *, staff: bool = False) -> AsyncIterator[InspectionServices]:
    """The inspection services on the configured store, for one command at the console;
    ``staff``: with the organisation read from the store (the config seeding it where new)."""
    from bot.inspection.services import build_inspection_services
    from bot.privacy import load_privacy_keys
    from bot.store.opening import opened_store

    async with opened_store(config.storage, config.base_dir) as store:
        keys = load_privacy_keys(config.keys_path, create=False)
        inspection = build_inspection_services(
            store, config.inspection, config.tickets, keys, followup=config.followup
        )
        if staff:
            await inspection.organisation.open()
        yield inspection


def cmd_brief(args: argparse.Namespace, config: Config) -> int:
    from bot.clock import utc_now
    from bot.inspection.parsing import last_month, parse_period
    from bot.inspection.workdays import WorkingCalendar

    tz, now = WorkingCalendar(config.tickets.utc_offset_hours).tz, utc_now()
    period = parse_period(args.period, now, tz) if args.period else last_month(now, tz)
    if period is None:
        wanted = "a month like 2026-11, or 7d, 30d ..."
        print(f"error: --period {args.period!r}: use {wanted}", file=sys.stderr)
        return 2
    output: Path | None = args.output
    if output is None:
        start, end = period.local_days(tz)
        output = Path(f"shuangjian-brief-{start}-{end}.pdf")
    data, pages = asyncio.run(_brief(config, period, "en" if args.lang == "en" else "zh"))
    output.write_bytes(data)
    print(f"wrote {output} ({pages} pages, {len(data):,} bytes)", file=sys.stderr)
    return 0


async def _brief(config: Config, period: Period, language: Language) -> tuple[bytes, int]:
    from bot.inspection.brief import render_brief_pdf
    from bot.inspection.charts import chart_names

    async with _inspection(config) as inspection:
        data = await inspection.reports.operator_brief(period)

    def district_label(district_id: str, lang: str) -> str | None:
        choice = config.report_form.district(district_id)
        return choice.label(lang) if choice else None

    names = chart_names(config.inspection, language, district_label)
    pdf, pages = render_brief_pdf(data, names, inspection.calendar.tz, inspection.clock())
    return pdf, pages.total


def cmd_registry_import(args: argparse.Namespace, config: Config) -> int:
    from bot.registry.importing import ImportRefused, describe_plan

    try:
        defaults = _list_defaults(args)
        plan = asyncio.run(_registry_import(config, args.file, defaults, apply=not args.dry_run))
    except ImportRefused as refused:
        for problem in refused.problems:
            print(problem, file=sys.stderr)
        print(f"refused: {len(refused.problems)} problem(s); nothing changed", file=sys.stderr)
        return 1
    for line in describe_plan(plan):
        print(line)
    if args.dry_run:
        print("dry run: nothing changed", file=sys.stderr)
    return 0


def _list_defaults(args: argparse.Namespace) -> ListDefaults:
    from bot.registry.importing import ImportRefused, ListDefaults, list_date
    from bot.registry.model import STATUS_WORDS, status_from_word

    status = None
    if args.status:
        status = status_from_word(args.status)
        if status is None:
            known = "、".join(words[0] for words in STATUS_WORDS.values())
            raise ImportRefused([f"--status {args.status!r}: unknown status (known: {known})"])
    try:
        listed_on = list_date(args.date) if args.date else None
    except ValueError as exc:
        raise ImportRefused([f"--date {args.date!r}: {exc}"]) from None
    return ListDefaults(
        status=status,
        source=args.source,
        listed_on=listed_on,
    )


async def _registry_import(
    config: Config, path: Path, defaults: ListDefaults, *, apply: bool
) -> ImportPlan:
    from bot.registry.service import Registry
    from bot.store.opening import opened_store

    async with opened_store(config.storage, config.base_dir) as store:
        registry = Registry.of(store, config)
        return await registry.import_file(path, defaults, actor=f"import:{path.name}", apply=apply)


def cmd_registry_export(args: argparse.Namespace, config: Config) -> int:
    from bot.clock import utc_now
    from bot.registry.service import Registry
    from bot.store.opening import opened_store

    output: Path | None = args.output
    file_format = args.format or (output.suffix.lstrip(".").lower() if output else "csv")
    if file_format not in ("csv", "xlsx"):
        print(f"error: --format: csv or xlsx, not {file_format!r}", file=sys.stderr)
        return 2
    output = output or Path(f"registry-{utc_now().date()}.{file_format}")

    async def export() -> bytes:
        async with opened_store(config.storage, config.base_dir) as store:
            return await Registry.of(store, config).export(file_format)

    data = asyncio.run(export())
    output.write_bytes(data)
    print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def cmd_bench_registry(args: argparse.Namespace, config: Config) -> int:
    from bot.bench.registry import bench_registry
    from bot.bench.report import print_table

    figures = asyncio.run(bench_registry(config, args.institutions, storage=args.storage))
    print_table("bench registry", _flat(figures))
    return 0
