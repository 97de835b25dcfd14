"""`db status` and `db migrate`: what a database has and needs, read without changing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.store.migrate import known_migrations
from tests.conftest import Query


def config_file(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "hotline.yaml"
    path.write_text(f'storage:\n  url: "{database_url}"\n', encoding="utf-8")
    return path


def test_status_then_migrate_then_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, query: Query
) -> None:
    config = str(config_file(tmp_path, database_url))
    latest = known_migrations()[-1]
    code = main(["db", "status", "--config", config])
    out = capsys.readouterr().out
    assert code == 1  # pending (or, for SQLite, not created yet): not current
    assert f"pending  {latest.version:04d}_{latest.name}" in out
    if database_url.startswith("sqlite"):
        assert "not created yet" in out and not (tmp_path / "hotline.sqlite3").exists()

    assert main(["db", "migrate", "--config", config]) == 0
    assert f"applied {len(known_migrations())} migration(s)" in capsys.readouterr().out
    assert main(["db", "migrate", "--config", config]) == 0
    assert "up to date" in capsys.readouterr().out

    assert main(["db", "status", "--config", config]) == 0
    out = capsys.readouterr().out
    assert f"{len(known_migrations())} migrations applied" in out and "none pending" in out
    assert f"applied  {latest.version:04d}_{latest.name}" in out
    assert query("SELECT COUNT(*) FROM schema_migrations") == [(len(known_migrations()),)]


def test_status_of_an_unreachable_database_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(config_file(tmp_path, "postgresql://nobody:pw@127.0.0.1:1/none"))
    assert main(["db", "status", "--config", config]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: cannot connect to postgresql://nobody:***@127.0.0.1:1/none")
