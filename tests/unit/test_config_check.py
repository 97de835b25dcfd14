"""`python -m bot config check`: clean on the shipped configs, and on a broken deployment it
names every problem (config, knowledge base placeholders, organisation, secrets, database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import PROJECT_ROOT, load_config
from bot.config_check import organisation_warnings
from bot.inspection.settings import InspectionSettings
from bot.privacy import load_privacy_keys
from bot.tickets.form import FormSettings
from tests.deployment import DATA, SHIPPED_DATABASE, generated_secrets, shipped_config

SHIPPED = ["single.yaml", "instance-a.yaml", "instance-b.yaml"]


def check(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, list[str]]:
    code = main(["config", "check", "--config", str(config)])
    return code, capsys.readouterr().out.strip().splitlines()


@pytest.fixture
def service_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    secrets = {**generated_secrets(), "TELEGRAM_BOT_TOKEN": "123456:ABC-def_1"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    return secrets


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_config_is_clean(
    name: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    service_secrets: dict[str, str],
    database_url: str,
) -> None:
    replacements = {DATA: str(tmp_path / "data")}
    if name != "single.yaml":
        replacements[SHIPPED_DATABASE] = database_url
    config = shipped_config(name, tmp_path / "etc", replacements, "")
    code, lines = check(capsys, config)
    assert code == 0, lines
    assert lines[-1] == "0 error(s), 0 warning(s)", lines
    assert any(line.startswith("ok: database ") for line in lines)


@pytest.fixture
def backend() -> str:
    return "postgresql" if _postgresql() else "sqlite"


def _postgresql() -> bool:
    from tests.conftest import POSTGRESQL_URL

    return bool(POSTGRESQL_URL)


BROKEN = f"""\
knowledge:
  paths: ["{PROJECT_ROOT / "knowledge" / "national"}"]
telegram:
  mode: webhook
  webhook: {{url: "https://bot.example.gov.cn/telegram"}}
local:
  citizen_hotline: "12345"
storage:
  url: postgresql://nobody@127.0.0.1:1/none
inspection:
  departments:
    - id: duty
      name: 值班室
      queues: [{{id: intake, name: 受理值班}}]
    - id: market
      name: 市场监管部门
      members: [{{user_id: 5, role: inspector}}]
      queues: [{{id: market, name: 市场监管局, chat_id: -100}}]
  routing:
    - {{queue: market, categories: [prepaid_fees]}}
    - {{queue: market, categories: [prepaid_fees, advertising]}}
    - {{queue: nowhere, categories: ["*"]}}
"""


def test_a_broken_deployment_names_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SEALING_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REPORTER_PEPPER", "zz" * 32)
    config = tmp_path / "broken.yaml"
    config.write_text(BROKEN, encoding="utf-8")
    code, lines = check(capsys, config)
    assert code == 1
    errors = [line for line in lines if line.startswith("error: ")]
    warnings = [line for line in lines if line.startswith("warning: ")]
    said = "\n".join(lines)
    # The local fact the answers and the privacy notice show.
    assert f"{config}: local.report_hotline is not set" in said
    assert (
        "report.how_to: answer.zh uses placeholders not set in config local: report_hotline" in said
    )
    # Secrets, each by name.
    assert "error: TELEGRAM_BOT_TOKEN is not set" in said
    assert "error: TELEGRAM_WEBHOOK_SECRET is not set" in said
    assert "error: SEALING_KEYS is not set" in said
    # The database.
    assert "error: database: cannot connect to postgresql://nobody@127.0.0.1:1/none" in said
    # The organisation.
    assert any(
        w.startswith("warning: the default queue intake (受理值班) lacks a group chat (chat_id, or")
        for w in warnings
    )
    assert any("routing rule 3 (queue nowhere" in w for w in warnings)
    assert lines[-1] == f"{len(errors)} error(s), {len(warnings)} warning(s)"


def test_a_config_that_does_not_load_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("storage:\n  pool_size: many\n", encoding="utf-8")
    assert main(["config", "check", "--config", str(config)]) == 2
    assert "storage.pool_size: expected a whole number" in capsys.readouterr().err


def test_organisation_warnings_name_the_queue_and_the_rule() -> None:
    config = load_config(None, environ={})
    settings: InspectionSettings = config.inspection
    warnings = organisation_warnings(settings, FormSettings())
    # The defaults list no chats and no staff: every queue is warned about, and the duty desk.
    assert (
        "queue edu-haidian (海淀区教育局): no group chat (chat_id, or /bind edu-haidian in the"
        " group): its cards are posted nowhere" in warnings
    )
    assert any(w.startswith("queue market (市场监管局): nobody who can claim") for w in warnings)
    assert any(w.startswith("the default queue intake (受理值班) lacks") for w in warnings)
    # Every default rule places some ticket.
    assert not any(w.startswith("routing rule") for w in warnings)


ROTA_WITH_A_GAP = """\
storage:
  url: sqlite:///hotline.sqlite3
privacy:
  keys_file: keys.json
inspection:
  members: [{user_id: 9, role: admin}]
  duty:
    rotas:
      - department: duty
        shifts:
          - {name: 白班, days: [workday], start: "08:30", end: "17:30", people: [7]}
"""


def organisation_lines(capsys: pytest.CaptureFixture[str], config: Path) -> list[str]:
    main(["config", "check", "--config", str(config)])
    lines = capsys.readouterr().out.splitlines()
    return [line for line in lines if line.startswith(("warning: ", "ok: organisation"))]


def test_config_check_reads_the_organisation_from_the_database_and_checks_the_rota(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(ROTA_WITH_A_GAP, encoding="utf-8")
    load_privacy_keys(tmp_path / "keys.json")  # what the bot's first start leaves
    # Before the database exists: the config's organisation.
    lines = organisation_lines(capsys, config)
    assert any("queue market (市场监管局): nobody who can claim" in line for line in lines)
    gap = [line for line in lines if "duty rota of duty (值班室): nobody on duty from" in line]
    assert gap and "more gap(s) in the next 366 days" in gap[0]
    assert any("shift 白班 lists nobody who can claim there" in line for line in lines)
    # Someone added at the console is who the next start has: the check reads the database.
    assert main(["db", "migrate", "--config", str(config)]) == 0
    assert main(["staff", "add", "7", "--department", "duty", "--config", str(config)]) == 0
    assert main(["staff", "add", "8", "--queue", "market", "--config", str(config)]) == 0
    capsys.readouterr()
    lines = organisation_lines(capsys, config)
    # Version 3: the config's admin seeded, then two added.
    assert "ok: organisation read from the database (version 3)" in lines
    assert not any("queue market (市场监管局): nobody who can claim" in line for line in lines)
    assert not any("lists nobody who can claim" in line for line in lines)
    assert any("nobody on duty from" in line for line in lines)  # the gap is still there
