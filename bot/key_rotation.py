"""``keys rotate``: re-seal every sealed value under the newest sealing key, so that older keys
can be retired from ``SEALING_KEYS``.

Batch by batch, each in its own unit of work, so a run cut short keeps what it did and the next
run goes on (values already under the newest key are left alone: running it twice changes
nothing). A value is replaced only if it is still the one read (compare-and-set), so a bot
running meanwhile loses no change of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.privacy import PrivacyKeys
from bot.store.base import SEALED_COLUMNS, SealedColumn, Store

BATCH = 200
# Every Fernet token begins with its version byte (0x80) and a 64-bit timestamp whose first
# bytes are zero until the year 2106: "gAAAAA" in URL-safe base64.
TOKEN_PREFIX = "gAAAAA"


@dataclass
class Rotated:
    resealed: int = 0
    current: int = 0  # already sealed with the newest key
    unreadable: int = 0  # sealed with a key no longer listed: nobody can open it
    plain: int = 0  # not sealed at all (chat_state's language choice, say)

    def describe(self) -> str:
        parts = [f"{self.resealed} re-sealed", f"{self.current} already under the newest key"]
        if self.unreadable:
            parts.append(f"{self.unreadable} sealed with a key no longer listed")
        return ", ".join(parts)


async def rotate_sealed_values(store: Store, keys: PrivacyKeys) -> dict[str, Rotated]:
    newest = Fernet(keys.sealing_keys[0])
    every = MultiFernet([Fernet(k) for k in keys.sealing_keys])
    counts: dict[str, Rotated] = {}
    for place in SEALED_COLUMNS:
        counts[f"{place.table}.{place.column}"] = await _rotate_column(store, place, newest, every)
    return counts


async def _rotate_column(
    store: Store, place: SealedColumn, newest: Fernet, every: MultiFernet
) -> Rotated:
    counts = Rotated()
    after = ""
    while True:
        async with store.transaction() as tx:
            rows = await tx.sealed_values(place, after, BATCH)
            for row_key, value in rows:
                resealed = _resealed(value, newest, every, counts)
                if resealed is not None and await tx.reseal(place, row_key, value, resealed):
                    counts.resealed += 1
        if len(rows) < BATCH:
            return counts
        after = rows[-1][0]


def _resealed(value: str, newest: Fernet, every: MultiFernet, counts: Rotated) -> str | None:
    """The value sealed under the newest key, or None (counted) if it needs nothing."""
    token = value.encode("ascii", errors="replace")
    try:
        newest.decrypt(token)
    except InvalidToken:
        pass
    else:
        counts.current += 1
        return None
    try:
        return every.rotate(token).decode("ascii")
    except InvalidToken:
        if value.startswith(TOKEN_PREFIX):
            counts.unreadable += 1
        else:
            counts.plain += 1
        return None
