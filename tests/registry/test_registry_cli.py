"""The README's registry commands, run as written (with a config of the test's own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main

EXAMPLE = "deploy/registry/example-list.csv"
ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    path = tmp_path / "config.yaml"
    path.write_text(
        f"storage:\n  url: sqlite:///{tmp_path / 'hotline.sqlite3'}\n", encoding="utf-8"
    )
    return path


def test_import_reports_what_changed_then_export_gives_it_back(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "--config", str(config), "registry", "import", EXAMPLE)
    assert code == 0
    assert out.splitlines()[0].startswith("added 6, updated 0")
    assert "+ 北京博学优才教育科技有限公司 [blacklisted]" in out
    code, out, _ = run(capsys, "--config", str(config), "registry", "import", EXAMPLE)
    assert code == 0 and "unchanged 6" in out
    target = tmp_path / "registry.xlsx"
    code, _, err = run(
        capsys, "--config", str(config), "registry", "export", "--output", str(target)
    )
    assert code == 0 and f"wrote {target}" in err
    assert target.read_bytes().startswith(b"PK")


def test_a_malformed_file_is_refused_line_by_line(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("机构名称,状态\n甲机构,白名单\n乙机构,暂时关门\n,白名单\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "registry", "import", str(bad))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("bad.csv:3: 状态 '暂时关门': unknown status")
    assert lines[1] == "bad.csv:4: 机构名称 is empty"
    assert lines[-1] == "refused: 2 problem(s); nothing changed"
    code, out, _ = run(capsys, "--config", str(config), "registry", "import", "--dry-run", EXAMPLE)
    assert code == 0 and out.startswith("added 6")  # the refused file left nothing behind


def test_a_white_list_without_a_status_column_takes_status_from_the_command(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    white = tmp_path / "white.csv"
    white.write_text("机构名称,所属区\n明德书香培训学校,海淀区\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "registry", "import", str(white))
    assert code == 1 and "has no 状态" in err
    argv = ("--config", str(config), "registry", "import", str(white), "--status", "白名单")
    code, out, _ = run(capsys, *argv, "--date", "2026-03-01")
    assert code == 0 and "+ 明德书香培训学校 [approved]" in out
    code, _, err = run(capsys, *argv, "--date", "明天")
    assert code == 1 and "--date '明天'" in err


def test_the_registry_benchmark_reports_every_figure(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    code, out, _ = run(
        capsys, "--config", str(config), "bench", "registry", "--institutions", "300"
    )
    assert code == 0
    figures = dict(re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[1:])
    assert figures["import added"] == "300"
    assert float(figures["lookup ms (target p99 ≤ 5) p99"]) > 0
    for during in ("quiet", "status import", "new names import"):
        assert int(figures[f"{during}: lookups"].replace(",", "")) > 0
        assert float(figures[f"{during}: longest event-loop stall ms"]) >= 0
    for during in ("status import", "new names import"):
        assert figures[f"{during}: new version seen"] == "True"
    assert figures["status import: index"] == "caught up"
