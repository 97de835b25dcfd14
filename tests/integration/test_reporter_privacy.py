"""Confidentiality: after a whole report and follow-up, nothing the bot stored or logged names
the reporter (Telegram knows who they are; the bureau's database and logs must not)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from bot.tickets.model import inspector
from tests.integration.reporting import (
    WHAT,
    Reporter,
    bot_running,
    db_path,
    receipt_of,
    reporting_config,
)
from tests.tickets.test_evidence import jpeg_with_gps

REPORTER_ID = 5_123_456_789
NAMES = ("wxm_private_4471", "Xiaoming", "Wangsecret")


IDENTITY = (str(REPORTER_ID), *NAMES)
# ... and the id as SQLite would write it in an integer column.
IDENTITY_BYTES = (*(text.encode() for text in IDENTITY), REPORTER_ID.to_bytes(6, "big"))


def stored_bytes(db: Path) -> bytes:
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return b"".join(path.read_bytes() for path in files if path.exists())


async def test_no_id_username_or_name_is_stored_or_logged(
    emu: BotApiEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    caplog.set_level(logging.INFO)
    duty = emu.group(title="受理值班")
    config = reporting_config(tmp_path, emu)
    config = replace(config, tickets=replace(config.tickets, duty_chat_id=duty["id"]))
    user = emu.user(id=REPORTER_ID, first_name=NAMES[1], last_name=NAMES[2], username=NAMES[0])
    async with bot_running(emu, config) as bot:
        reporter = Reporter(bot, user)
        await reporter.say("周六日还能送孩子去上数学补习班吗")  # a question first, as parents do
        await reporter.answer_until_review()
        await reporter.press(":fix:evidence", await reporter.press(":edit"))
        await reporter.send_and_wait(
            emu.send_document(user, jpeg_with_gps(), "IMG_0001.JPG", "image/jpeg")
        )
        await reporter.press(":evdone")
        number, code = receipt_of(await reporter.press(":ok"))
        view = await reporter.say(code)
        await reporter.press("s:on", view)
        await bot.services.tickets.lifecycle.claim_ticket(number, inspector("7"), datetime.now(UTC))
        [staff_notice] = await emu.wait_for_messages(duty["id"], 1)
        assert number in staff_notice["text"] and "海淀区" in staff_notice["text"]
        while_running = stored_bytes(db_path(config))
    after_stop = stored_bytes(db_path(config))

    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("bot.emulator")  # the emulator plays Telegram, which knows
    )
    assert number in logs  # ticket numbers are logged ...
    for fragment in IDENTITY_BYTES:
        assert fragment not in while_running and fragment not in after_stop, fragment
    for text in IDENTITY:
        assert text not in logs and text not in staff_notice["text"], text
    for secret in (WHAT, code, code.replace(" ", "")):  # ... tip texts and codes are not
        assert secret not in logs
