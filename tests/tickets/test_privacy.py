from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.privacy import PrivacyKeys, Sealer, SealError, reporter_key
from bot.store.base import StoredFile
from bot.tickets.evidence import inspect_evidence
from bot.tickets.model import ReportAccepted, TicketView
from bot.tickets.settings import EvidenceSettings

from .conftest import NOW, REPORTER_ID, Desk, Query, file_bytes
from .test_evidence import jpeg_with_gps

USERNAME = "wang_xiaoming_1987"
FIRST_NAME = "晓明"
LAST_NAME = "欧阳"
PHONE = "13912345678"
FILE_UNIQUE_ID = "AgADkQ4AAuQ2aUs"


def test_reporter_keys_need_the_pepper() -> None:
    keys, other = PrivacyKeys.generate(), PrivacyKeys.generate()
    key = reporter_key(keys.pepper, REPORTER_ID)
    assert key == reporter_key(keys.pepper, REPORTER_ID)
    assert key != reporter_key(other.pepper, REPORTER_ID)
    assert key != reporter_key(keys.pepper, REPORTER_ID + 1)
    # A plain hash could be reversed by hashing every 10-digit id; this is not that hash.
    assert key != hashlib.sha256(str(REPORTER_ID).encode()).hexdigest()
    assert str(REPORTER_ID) not in key


def test_secrets_come_from_the_environment_and_never_print() -> None:
    fernet_key = Fernet.generate_key().decode()
    keys = PrivacyKeys.from_environ(
        {
            "REPORTER_PEPPER": "ab" * 32,
            "SEALING_KEYS": f"{fernet_key}, {Fernet.generate_key().decode()}",
        }
    )
    assert keys.pepper == bytes.fromhex("ab" * 32) and len(keys.sealing_keys) == 2
    assert "ab" * 8 not in repr(keys) and fernet_key not in repr(keys)
    with pytest.raises(ValueError, match="REPORTER_PEPPER"):
        PrivacyKeys.from_environ({"SEALING_KEYS": fernet_key})
    with pytest.raises(ValueError, match="SEALING_KEYS"):
        PrivacyKeys.from_environ({"REPORTER_PEPPER": "ab" * 32})
    with pytest.raises(ValueError, match="at least 64 hex digits"):
        PrivacyKeys.from_environ({"REPORTER_PEPPER": "abcdef", "SEALING_KEYS": fernet_key})
    with pytest.raises(ValueError, match="item 1 of 1 is not a Fernet key"):
        PrivacyKeys.from_environ({"REPORTER_PEPPER": "ab" * 32, "SEALING_KEYS": "nonsense"})


def test_sealed_values_open_only_with_the_keys_and_survive_rotation() -> None:
    old = PrivacyKeys.generate()
    sealed = Sealer(old).seal_chat(REPORTER_ID)
    assert str(REPORTER_ID) not in sealed
    rotated = replace(old, sealing_keys=(Fernet.generate_key(), *old.sealing_keys))
    assert Sealer(rotated).open_chat(sealed) == REPORTER_ID
    with pytest.raises(SealError):
        Sealer(PrivacyKeys.generate()).open(sealed)


async def test_after_a_full_report_the_database_files_hold_nothing_that_identifies(
    desk: Desk, backend: str, db_path: Path, query: Query
) -> None:
    """Everything a reporter's updates carry passes through; none of it may reach the disk."""
    update = {
        "update_id": 900001,
        "message": {
            "message_id": 12,
            "from": {
                "id": REPORTER_ID,
                "first_name": FIRST_NAME,
                "last_name": LAST_NAME,
                "username": USERNAME,
            },
            "chat": {"id": REPORTER_ID, "type": "private", "username": USERNAME},
            "contact": {"phone_number": PHONE, "user_id": REPORTER_ID},
            "document": {"file_id": "BQACAgUAAxkBAAI", "file_unique_id": FILE_UNIQUE_ID},
        },
    }
    await desk.inbox.record_update(900001, json.dumps(update, ensure_ascii=False), NOW)
    key = desk.reporter_key(REPORTER_ID)
    draft = await desk.drafts.start(key, NOW)
    cleaned = inspect_evidence(jpeg_with_gps(), "IMG_0001.JPG", EvidenceSettings())
    assert isinstance(cleaned.file, StoredFile)
    await desk.drafts.add_evidence(key, cleaned.file, NOW)
    draft = replace(
        draft,
        category="disguised",
        description="某机构周末以托管名义上数学课",
        wants_updates=True,
        evidence=(await desk.drafts.load(key) or draft).evidence,
    )
    result = await desk.intake.submit_report(
        draft, key, "confirm:900001", NOW, reply_chat_id=REPORTER_ID
    )
    assert isinstance(result, ReportAccepted)
    view = await desk.reporters.check_status(result.receipt_code, key, NOW)
    assert isinstance(view, TicketView) and view.notifications_on
    await desk.inbox.mark_done(900001, NOW)

    on_disk = stored_bytes(backend, db_path, query)
    for secret in (str(REPORTER_ID), USERNAME, FIRST_NAME, LAST_NAME, PHONE, FILE_UNIQUE_ID):
        assert secret.encode() not in on_disk, secret
        if len(secret) >= 4:  # shorter needles turn up by chance in UTF-16
            assert secret.encode("utf-16-le") not in on_disk, secret
    assert REPORTER_ID.to_bytes(8, "big") not in on_disk
    assert result.receipt_code.replace(" ", "").encode() not in on_disk
    # Only the keyed hash links a person to anything, and only where unavoidable.
    assert query(f"SELECT COUNT(*) FROM tickets WHERE details LIKE '%{key}%'") == [(0,)]
    assert query("SELECT DISTINCT actor FROM ticket_events") == [("reporter",)]


def stored_bytes(backend: str, db_path: Path, query: Query) -> bytes:
    """What the database holds: SQLite's files as they are on disk (the WAL included, while the
    store is open), or every row of every PostgreSQL table as text (binary columns in hex)."""
    if backend == "sqlite":
        wal = db_path.with_name(db_path.name + "-wal")
        assert wal.exists()
        return file_bytes(db_path, wal)
    tables = query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    rows = [query(f"SELECT CAST(t AS TEXT) FROM {name} t") for (name,) in tables]
    return repr(rows).encode()
