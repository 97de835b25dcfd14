"""The command line as a user runs it: output formats and exit codes."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.privacy import load_privacy_keys


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ask_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--json", "周末能上英语补习班吗")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"id", "band", "score", "candidates", "explain"}
    assert result["band"] == "answer"
    assert result["id"] == "training.holidays_ban" == result["candidates"][0]["id"]
    assert 0 <= result["score"] <= 100
    # Each candidate's channels, and what decided the band.
    assert all(set(c) == {"id", "score", "words", "chars", "trained"} for c in result["candidates"])
    explain = result["explain"]
    assert set(explain) == {"reason", "terms", "mended", "redirect", "second", "spelled"}
    assert explain["reason"].startswith("top ")
    assert "周末" in explain["terms"]


def test_ask_json_out_of_scope_has_null_id(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "ask", "--json", "今天天气怎么样")
    result = json.loads(out)
    assert (result["id"], result["band"]) == (None, "none")


def test_ask_json_reads_stdin_one_object_per_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = ["周末能上英语补习班吗", "你好", "", "二年级有书面作业吗"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    _, out, _ = run(capsys, "ask", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in lines] == ["training.holidays_ban", None, None, "homework.time_limits"]


def test_ask_human_readable_answer_names_source(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "ask", "二年级有书面作业吗")
    assert "homework.time_limits" in out
    assert "来源" in out and "2021" in out


def test_ask_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "ask", "Can my child take tutoring on Saturday?")
    assert "Source:" in out


def cases_file(folder: Path, case: tuple[str, str]) -> Path:
    """An eval file: one weekend-tutoring question answered right, ``case``, one out of scope."""
    cases = folder / "cases.yaml"
    cases.write_text(
        "cases:\n"
        '  - {q: "周末能上英语补习班吗", expect: training.holidays_ban}\n'
        f'  - {{q: "{case[0]}", expect: {case[1]}}}\n'
        '  - {q: "今天天气怎么样", expect: null}\n',
        encoding="utf-8",
    )
    return cases


def test_eval_prints_failures_then_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = cases_file(tmp_path, ("周末能上英语补习班吗", "five.sleep"))
    code, out, _ = run(capsys, "eval", str(cases))
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[0].startswith("FAIL '周末能上英语补习班吗': expected five.sleep")
    assert lines[-1] == "in-scope top-1: 50.0% (1/2)  out-of-scope rejected: 100.0% (1/1)"


def test_eval_baseline_prints_both_side_by_side(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = cases_file(tmp_path, ("课后服务到几点", "afterschool.hours"))
    code, out, _ = run(capsys, "eval", str(cases), "--baseline")
    assert code == 0
    matcher, lowest, balanced = out.strip().splitlines()[-3:]
    assert matcher.split()[0] == "matcher" and "in-scope top-1: 100.0% (2/2)" in matcher
    assert lowest.startswith("baseline, lowest threshold ")
    assert balanced.startswith("baseline, threshold balanced ")
    for line in (lowest, balanced):
        assert "in-scope top-1: " in line and "out-of-scope rejected: " in line
        assert re.search(r"\[p >= 0\.\d+\]$", line)


def test_kb_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kb", "check")
    # Once a year has passed since the shipped entries were checked, they warn (still exit 0).
    problems = [line for line in out.splitlines() if ": warning: " not in line]
    assert (code, problems) == (0, [])
    assert err.startswith("ok")


def test_kb_check_prints_warnings_and_still_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "old.yaml").write_text(
        "entries:\n  - id: homework.limits\n    question: {zh: 作业有多少}\n"
        "    answer: {zh: 小学三到六年级不超过60分钟。}\n"
        "    source: {document: 《双减意见》, date: 2021-07}\n    checked: 2021-08\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "kb", "check", str(tmp_path))
    assert code == 0
    assert out.startswith(
        f"{tmp_path / 'old.yaml'}:6: warning: homework.limits: facts last checked"
    )
    assert err.startswith("ok, 1 warning(s): ")


def test_kb_check_reports_problems_with_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text("entries:\n  - id: Bad Id\n", encoding="utf-8")
    code, out, _ = run(capsys, "kb", "check", str(tmp_path))
    assert code == 1
    assert out.startswith(f"{tmp_path / 'bad.yaml'}:2: ")


def test_config_error_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("matching:\n  answer_score: high\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "ask", "作业")
    assert code == 2
    assert err.strip() == (
        f"error: {config}:2: matching.answer_score: expected a number, got str 'high'"
    )


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "学前班教拼音识字合规吗"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["id"] == "training.preschool"


def sqlite_config(folder: Path) -> Path:
    """A config with its database and keys in ``folder``."""
    config = folder / "config.yaml"
    config.write_text(
        "storage:\n  url: sqlite:///hotline.sqlite3\nprivacy:\n  keys_file: keys.json\n",
        encoding="utf-8",
    )
    load_privacy_keys(folder / "keys.json")  # what the bot's first start leaves
    return config


def audit_log(folder: Path) -> list[tuple[str, str, int]]:
    database = sqlite3.connect(folder / "hotline.sqlite3")
    try:
        return list(database.execute("SELECT actor, action, allowed FROM staff_audit"))
    finally:
        database.close()


def test_export_writes_a_file_and_audits_the_operator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = sqlite_config(tmp_path)
    target = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "export", "--config", str(config), "--output", str(target))
    assert code == 0 and f"wrote {target}" in err
    assert target.read_bytes().startswith(b"PK")  # a zip: the XLSX container
    code, _, _ = run(
        capsys,
        "--config",
        str(config),
        "export",
        "--period",
        "7d",
        "--output",
        str(tmp_path / "out.csv"),
    )
    header = (tmp_path / "out.csv").read_bytes().decode("utf-8-sig").splitlines()[0]
    assert code == 0 and header.startswith("受理编号,状态")
    assert audit_log(tmp_path) == [("cli", "export", 1), ("cli", "export", 1)]


def test_export_never_makes_keys_of_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the service's secrets a tool stops, instead of sealing with a second key set."""
    monkeypatch.delenv("REPORTER_PEPPER", raising=False)
    monkeypatch.delenv("SEALING_KEYS", raising=False)
    config = tmp_path / "config.yaml"
    config.write_text("data_dir: data\n", encoding="utf-8")
    output = str(tmp_path / "x.csv")
    code, _, err = run(capsys, "export", "--config", str(config), "--output", output)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("error: no privacy keys: REPORTER_PEPPER and SEALING_KEYS are not set")
    assert str(tmp_path / "data" / "privacy-keys.json") in line
    assert not (tmp_path / "data" / "privacy-keys.json").exists()


def test_export_refuses_a_period_it_cannot_read(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "export", "--period", "last week")
    assert code == 2 and "--period" in err


def test_keys_generate_prints_secrets_the_bot_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.preflight import SECRET_FORM
    from bot.privacy import PrivacyKeys

    assert main(["keys", "generate"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    values = dict(line.split("=", 1) for line in lines)
    assert set(values) == {"TELEGRAM_WEBHOOK_SECRET", "REPORTER_PEPPER", "SEALING_KEYS"}
    assert SECRET_FORM.fullmatch(values["TELEGRAM_WEBHOOK_SECRET"])
    keys = PrivacyKeys.from_environ(values)
    assert len(keys.pepper) == 32 and len(keys.sealing_keys) == 1
    assert main(["keys", "generate"]) == 0
    assert values["REPORTER_PEPPER"] not in capsys.readouterr().out  # fresh every time


def test_keys_rotate_reports_counts_and_reads_the_services_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("data_dir: .\n", encoding="utf-8")
    load_privacy_keys(tmp_path / "privacy-keys.json")
    assert main(["keys", "rotate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "inbox.payload: 0 re-sealed, 0 already under the newest key" in out
    assert "0 value(s) re-sealed" in out


def test_brief_writes_a_pdf_and_audits_the_operator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    config = sqlite_config(tmp_path)
    target = tmp_path / "brief.pdf"
    code, _, err = run(
        capsys,
        "--config",
        str(config),
        "brief",
        "--period",
        "2026-11",
        "--output",
        str(target),
    )
    assert code == 0 and f"wrote {target} (5 pages" in err
    reader = PdfReader(target)
    assert len(reader.pages) == 5
    assert "2026-11-01 至 2026-11-30" in reader.pages[0].extract_text()
    assert audit_log(tmp_path) == [("cli", "brief", 1)]
    code, _, err = run(capsys, "--config", str(config), "brief", "--period", "soon")
    assert code == 2 and "--period" in err


def test_kb_check_checks_the_phrasings_taught_in_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from bot.config import PROJECT_ROOT, load_config
    from bot.store.opening import open_store

    # The example config (its knowledge and local facts), its database in tmp_path.
    example = (PROJECT_ROOT / "config.example.yaml").read_text(encoding="utf-8")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        example.replace(
            "sqlite:///data/hotline.sqlite3", f"sqlite:///{tmp_path}/hotline.sqlite3"
        ).replace("    - knowledge/", f"    - {PROJECT_ROOT}/knowledge/"),
        encoding="utf-8",
    )
    config = load_config(config_file)
    # One sound phrasing, and one that reads as another entry's phrasing does.
    taught = [
        ("homework.group_checkins", "班级小管家每天要交口算截图"),
        ("five.sleep", "周末能上英语补习班吗"),
    ]

    async def teach() -> None:
        store = await open_store(config.storage, config.base_dir)
        try:
            async with store.transaction() as tx:
                for entry_id, phrasing in taught:
                    await tx.add_taught_phrasing(entry_id, phrasing, "staff:1", datetime.now(UTC))
        finally:
            await store.close()

    code, _, err = run(capsys, "--config", str(config_file), "kb", "check")
    assert code == 0 and "taught phrasings not checked: database" in err  # not created yet
    asyncio.run(teach())
    code, out, err = run(capsys, "--config", str(config_file), "kb", "check")
    problems = [line for line in out.splitlines() if ": warning: " not in line]
    assert code == 1
    assert problems == [
        f"sqlite:///{tmp_path}/hotline.sqlite3: taught phrasing #2 (five.sleep): "
        "'周末能上英语补习班吗' reads as '周末 培训班 学科类', "
        "like a phrasing of training.holidays_ban"
    ]
    assert f"2 taught phrasing(s) from sqlite:///{tmp_path}/hotline.sqlite3" in err
    code, _, err = run(capsys, "--config", str(config_file), "kb", "check", "--no-taught")
    assert code == 0 and "taught" not in err


def test_staff_add_list_and_remove_at_the_console(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The way in when nobody is left to invite anyone: audited as the operator 'cli'."""
    config = sqlite_config(tmp_path)
    assert main(["staff", "add", "123456789", "--role", "admin", "--config", str(config)]) == 0
    assert "123456789  admin      organisation" in capsys.readouterr().out
    assert (
        main(["staff", "add", "987654321", "--queue", "edu-haidian", "--config", str(config)]) == 0
    )
    capsys.readouterr()
    assert main(["staff", "list", "--config", str(config)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["user", "id", "role", "where", "added"]
    assert any(
        "987654321  inspector  queue edu-haidian" in line and "by cli" in line for line in listed
    )
    assert main(["staff", "remove", "987654321", "--config", str(config)]) == 0
    assert "removed 1 role(s) of 987654321" in capsys.readouterr().out
    assert main(["staff", "remove", "987654321", "--config", str(config)]) == 1
    assert "holds no role" in capsys.readouterr().err
    assert main(["staff", "add", "5", "--queue", "nowhere", "--config", str(config)]) == 2
    assert "no queue 'nowhere'" in capsys.readouterr().err
    assert audit_log(tmp_path) == [
        ("cli", "staff_add", 1),
        ("cli", "staff_add", 1),
        ("cli", "staff_remove", 1),
    ]
