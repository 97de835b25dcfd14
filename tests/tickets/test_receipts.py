from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections import Counter
from dataclasses import replace

import pytest

from bot.store.throttle import RateLimit
from bot.tickets import receipts
from bot.tickets.model import Reason, Refused, StatusResult, TicketStatus, TicketView
from bot.tickets.receipts import (
    group_digits,
    hash_code,
    lookup_index,
    new_code,
    normalize_code,
    verify_code,
)
from bot.tickets.settings import ReceiptSettings, TicketSettings

from .conftest import NOW, OTHER_ID, REPORTER_ID, Desk, Query, build_desk

SETTINGS = ReceiptSettings()


def test_a_code_has_sixteen_random_digits_shown_in_groups() -> None:
    code = new_code(16)
    assert re.fullmatch(r"\d{16}", code)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", group_digits(code))
    assert len({new_code(16) for _ in range(1000)}) == 1000


def test_typed_codes_are_read_generously() -> None:
    assert normalize_code("4821 0937 5562 1184", 16) == "4821093755621184"
    assert normalize_code("４８２１-０９３７-５５６２-１１８４", 16) == "4821093755621184"
    assert normalize_code("4821 0937 5562", 16) is None
    assert normalize_code("4821 0937 5562 118x", 16) is None
    assert normalize_code("٤٨٢١٠٩٣٧٥٥٦٢١١٨٤", 16) is None  # other scripts' digits are not ours


def test_the_hash_is_salted_slow_and_verifiable() -> None:
    code = new_code(16)
    first, second = hash_code(code, SETTINGS), hash_code(code, SETTINGS)
    assert first != second  # a fresh salt each time
    assert first.split("$")[:4] == ["scrypt", str(SETTINGS.scrypt_n), "8", "1"]
    assert verify_code(code, first) and verify_code(code, second)
    assert not verify_code(str(int(code) ^ 1).zfill(16), first)
    assert not verify_code(code, "scrypt$broken")
    assert not verify_code(code, "md5$1$1$1$AAAA$AAAA")


def test_the_lookup_index_is_short_and_keyed() -> None:
    code = new_code(16)
    pepper, other = secrets.token_bytes(32), secrets.token_bytes(32)
    assert len(lookup_index(pepper, code, 5)) == 5
    assert lookup_index(pepper, code, 5) == lookup_index(pepper, code, 5)
    assert lookup_index(pepper, code, 8) != lookup_index(other, code, 8)


async def test_the_right_code_shows_status_and_timeline(desk: Desk) -> None:
    accepted = await desk.report()
    view = await desk.reporters.check_status(
        accepted.receipt_code, desk.reporter_key(OTHER_ID), NOW
    )
    assert isinstance(view, TicketView)
    assert view.ticket_number == accepted.ticket_number
    assert view.status == TicketStatus.NEW
    assert [entry.what for entry in view.timeline] == ["received"]
    assert view.open_questions == ()
    assert not view.notifications_on


async def test_wrong_and_malformed_codes(desk: Desk) -> None:
    await desk.report()
    requester = desk.reporter_key(OTHER_ID)
    assert await desk.reporters.check_status("1234", requester, NOW) == Refused(
        Reason.CODE_MALFORMED
    )
    assert await desk.reporters.check_status("0000 0000 0000 0000", requester, NOW) == Refused(
        Reason.CODE_UNKNOWN
    )


async def test_guessing_is_stopped_per_reporter(desk: Desk) -> None:
    accepted = await desk.report()
    guesser = desk.reporter_key(OTHER_ID)
    wrong = [await desk.reporters.check_status(new_code(16), guesser, NOW) for _ in range(6)]
    assert wrong[:5] == [Refused(Reason.CODE_UNKNOWN)] * 5
    assert wrong[5] == Refused(Reason.TOO_MANY_ATTEMPTS, retry_after_minutes=15)
    # Even the right code waits: otherwise the limit would tell the guesser nothing.
    right = await desk.reporters.check_status(accepted.receipt_code, guesser, NOW)
    assert right == Refused(Reason.TOO_MANY_ATTEMPTS, retry_after_minutes=15)
    # Someone else still gets in; the guesser too once the window has passed.
    other = await desk.reporters.check_status(accepted.receipt_code, desk.reporter_key(1), NOW)
    assert isinstance(other, TicketView)
    later = NOW.replace(minute=45)
    assert isinstance(
        await desk.reporters.check_status(accepted.receipt_code, guesser, later), TicketView
    )


async def test_right_codes_do_not_count_as_guesses(desk: Desk) -> None:
    accepted = await desk.report()
    reader = desk.reporter_key(OTHER_ID)
    for _ in range(10):
        view = await desk.reporters.check_status(accepted.receipt_code, reader, NOW)
        assert isinstance(view, TicketView)


async def guess_many(desk: Desk, codes: list[str], requesters: int) -> list[StatusResult]:
    """Guess in parallel waves of 100, as a scripted attack would."""
    results: list[StatusResult] = []
    for start in range(0, len(codes), 100):
        wave = codes[start : start + 100]
        results += await asyncio.gather(
            *(
                desk.reporters.check_status(
                    code, desk.reporter_key(900_000 + (start + i) % requesters), NOW
                )
                for i, code in enumerate(wave)
            )
        )
    return results


def wrong_codes(issued: set[str], count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = new_code(16)
        if code not in issued:
            codes.append(code)
    return codes


async def test_ten_thousand_wrong_codes_never_open_a_ticket(
    desk: Desk, settings: TicketSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No limits, and a short lookup index so that many guesses share a prefix with a real code
    # and must be turned away by the slow hash itself.
    unlimited = (RateLimit(1_000_000, 3600),)
    open_door = replace(
        settings.receipts,
        lookup_chars=3,
        wrong_codes_per_reporter=unlimited,
        wrong_codes_overall=unlimited,
    )
    desk = build_desk(desk.store, desk.keys, replace(settings, receipts=open_door))
    issued = {(await desk.report(7000 + i)).receipt_code.replace(" ", "") for i in range(40)}
    verified: list[str] = []
    real_verify = receipts.verify_code

    def counting_verify(code: str, stored: str) -> bool:
        verified.append(code)
        return real_verify(code, stored)

    monkeypatch.setattr(receipts, "verify_code", counting_verify)
    results = await guess_many(desk, wrong_codes(issued, 10_000), requesters=1000)
    assert all(r == Refused(Reason.CODE_UNKNOWN) for r in results)
    assert len(verified) >= 20  # about 10_000 * 40 / 16**3 reached the hash


async def test_ten_thousand_wrong_codes_get_throttled(desk: Desk, settings: TicketSettings) -> None:
    issued = {(await desk.report(7000 + i)).receipt_code.replace(" ", "") for i in range(5)}
    results = await guess_many(desk, wrong_codes(issued, 10_000), requesters=1000)
    reasons = Counter(r.reason for r in results if isinstance(r, Refused))
    overall = settings.receipts.wrong_codes_overall[0].count
    assert sum(reasons.values()) == 10_000
    assert reasons[Reason.CODE_UNKNOWN] == overall  # after that, everyone is stopped
    assert reasons[Reason.TOO_MANY_ATTEMPTS] == 10_000 - overall


async def test_the_overall_limit_says_when_to_come_back(
    desk: Desk, settings: TicketSettings
) -> None:
    tight = replace(
        settings,
        receipts=replace(settings.receipts, wrong_codes_overall=(RateLimit(3, 3600),)),
    )
    desk = build_desk(desk.store, desk.keys, tight)
    for i in range(3):
        await desk.reporters.check_status(new_code(16), desk.reporter_key(i), NOW)
    result = await desk.reporters.check_status(new_code(16), desk.reporter_key(99), NOW)
    assert result == Refused(Reason.TOO_MANY_ATTEMPTS, retry_after_minutes=30)


async def test_while_everyones_limit_is_full_the_filer_still_gets_in_and_nobody_else(
    desk: Desk, settings: TicketSettings, query: Query
) -> None:
    """300 wrong codes from 60 accounts fill everyone's limit: the person who filed the report,
    typing its right code from their own account, still opens it; the same right code from any
    other account, and any wrong code, is refused as before, so guessing gains nothing."""
    desk = build_desk(desk.store, desk.keys, settings)
    filed = await desk.report(REPORTER_ID)
    code = filed.receipt_code.replace(" ", "")
    overall = settings.receipts.wrong_codes_overall[0].count
    guessers = [desk.reporter_key(8000 + n) for n in range(60)]
    for n in range(overall):
        await desk.reporters.check_status(new_code(16), guessers[n % 60], NOW)
    locked_out = await desk.reporters.check_status(code, desk.reporter_key(OTHER_ID), NOW)
    assert isinstance(locked_out, Refused) and locked_out.reason == Reason.TOO_MANY_ATTEMPTS

    opened = await desk.reporters.check_status(code, desk.reporter_key(REPORTER_ID), NOW)
    assert isinstance(opened, TicketView) and opened.ticket_number == filed.ticket_number
    wrong = await desk.reporters.check_status(new_code(16), desk.reporter_key(REPORTER_ID), NOW)
    assert isinstance(wrong, Refused) and wrong.reason == Reason.TOO_MANY_ATTEMPTS
    # The owner tag names nobody: it is keyed by what only the code's slow hash yields.
    [(tag, code_hash)] = query("SELECT owner_tag, code_hash FROM receipt_codes")
    key = desk.reporter_key(REPORTER_ID)
    assert len(tag) == 64 and key not in tag and tag not in code_hash
    assert tag != hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()
