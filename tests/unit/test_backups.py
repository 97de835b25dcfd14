"""The nightly backup scripts, run for real: sqlite3's .backup, pg_dump and pg_restore."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.config import PROJECT_ROOT
from tests.conftest import POSTGRESQL_URL
from tests.deployment import CHECKOUT, DEPLOY, unit_settings

SQLITE_SCRIPT = DEPLOY / "backup" / "backup-sqlite.sh"
POSTGRES_SCRIPT = DEPLOY / "backup" / "backup-postgres.sh"
BACKUP_UNIT = DEPLOY / "backup" / "hotline-backup.service"
needs_sqlite3 = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs sqlite3")


def database(tmp_path: Path) -> Path:
    path = tmp_path / "hotline.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE tickets (number TEXT)")
    conn.execute("INSERT INTO tickets VALUES ('SJ-2026-000001')")
    conn.commit()
    conn.close()
    return path


def backup(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args], env={**os.environ, **env}, capture_output=True, text=True
    )


@needs_sqlite3
def test_two_backups_in_one_second_are_both_kept(tmp_path: Path) -> None:
    db, folder = database(tmp_path), tmp_path / "backups"
    runs = [backup(SQLITE_SCRIPT, str(db), BACKUP_DIR=str(folder)) for _ in range(3)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 3, written  # the same second: -2, -3 instead of overwriting
    assert not [name for name in written if "partial" in name]
    for name in written:
        copy = sqlite3.connect(folder / name)
        assert copy.execute("SELECT number FROM tickets").fetchall() == [("SJ-2026-000001",)]
        copy.close()


@needs_sqlite3
@pytest.mark.parametrize("script", [SQLITE_SCRIPT, POSTGRES_SCRIPT], ids=["sqlite", "postgres"])
def test_a_bad_keep_days_stops_before_anything_is_written(script: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    done = backup(script, str(database(tmp_path)), BACKUP_DIR=str(folder), KEEP_DAYS="abc")
    assert done.returncode == 2
    assert done.stderr.strip() == "KEEP_DAYS must be a whole number of days, not 'abc'"
    assert not folder.exists() or not list(folder.iterdir())


@pytest.mark.skipif(
    not POSTGRESQL_URL or shutil.which("pg_dump") is None, reason="needs PostgreSQL"
)
def test_postgres_backups_in_one_second_are_both_kept_and_restorable(tmp_path: Path) -> None:
    parts = urlsplit(POSTGRESQL_URL)
    server = {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
    }
    # A database of its own: the shared test database changes under other test runs.
    name = f"hotline_backup_{uuid.uuid4().hex[:12]}"
    subprocess.run(["createdb", name], env={**os.environ, **server}, check=True)
    try:
        # hotline-backup.service's own command line and Environment= lines, this machine's paths.
        unit = unit_settings(BACKUP_UNIT)
        [exec_start] = unit["ExecStart"]
        argv = shlex.split(exec_start.replace(CHECKOUT, str(PROJECT_ROOT)))
        env = dict(line.split("=", 1) for line in unit["Environment"])
        assert env["PGDATABASE"] == "hotline" and env["BACKUP_DIR"] == "/var/backups/hotline"
        env |= {**server, "PGDATABASE": name, "BACKUP_DIR": str(tmp_path / "backups")}
        runs = [
            subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True)
            for _ in range(2)
        ]
    finally:
        subprocess.run(["dropdb", name], env={**os.environ, **server}, check=True)
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    dumps = sorted((tmp_path / "backups").iterdir())
    assert len(dumps) == 2
    for dump in dumps:
        listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True)
        assert listed.returncode == 0
