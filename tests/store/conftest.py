from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import Query as Query  # the tests here import it from this module

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hotline.sqlite3"


def file_bytes(*paths: Path) -> bytes:
    """Everything on disk for the database: the file and, if present, its WAL."""
    return b"".join(p.read_bytes() for p in paths if p.exists())
