"""Keeping reporters unidentifiable to anyone who reads the database, the logs or an export.

* A reporter is known only by a keyed hash of their Telegram id: a plain hash of a ~10-digit id
  is reversed in seconds, an HMAC without the pepper is not.
* Whatever must reach the reporter later (their chat id, an update still to handle) is sealed
  with a key kept outside the database.
Both secrets come from the environment, never from the config file or the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PEPPER_VARIABLE = "REPORTER_PEPPER"
SEALING_VARIABLE = "SEALING_KEYS"
MIN_PEPPER_BYTES = 32


class SealError(Exception):
    """A sealed value could not be opened (wrong key, or tampered with)."""


@dataclass(frozen=True)
class PrivacyKeys:
    """The two secrets; ``repr`` never shows them."""

    pepper: bytes = field(repr=False)
    # Fernet keys, newest first: the first seals, all of them open (for key rotation).
    sealing_keys: tuple[bytes, ...] = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.pepper) < MIN_PEPPER_BYTES:
            raise ValueError(f"the pepper must be at least {MIN_PEPPER_BYTES} bytes")
        if not self.sealing_keys:
            raise ValueError("at least one sealing key is needed")
        for key in self.sealing_keys:
            try:
                Fernet(key)
            except ValueError:
                raise ValueError("a sealing key is not a valid Fernet key") from None

    @classmethod
    def generate(cls) -> PrivacyKeys:
        """Fresh keys, for tests and for printing a first set with ``keys generate``."""
        return cls(
            pepper=secrets.token_bytes(MIN_PEPPER_BYTES), sealing_keys=(Fernet.generate_key(),)
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PrivacyKeys:
        """Read ``REPORTER_PEPPER`` (hex, or any text of 32+ bytes) and ``SEALING_KEYS``."""
        env = os.environ if environ is None else environ
        pepper_text = env.get(PEPPER_VARIABLE, "").strip()
        keys_text = env.get(SEALING_VARIABLE, "").strip()
        if not pepper_text:
            raise ValueError(f"set {PEPPER_VARIABLE} (at least {MIN_PEPPER_BYTES} random bytes)")
        if not keys_text:
            raise ValueError(f"set {SEALING_VARIABLE} (comma-separated Fernet keys, newest first)")
        try:
            pepper = bytes.fromhex(pepper_text)
        except ValueError:
            pepper = pepper_text.encode()
        keys = tuple(k.strip().encode() for k in keys_text.split(",") if k.strip())
        try:
            return cls(pepper=pepper, sealing_keys=keys)
        except ValueError as exc:
            raise ValueError(f"{PEPPER_VARIABLE}/{SEALING_VARIABLE}: {exc}") from None


def load_privacy_keys(keys_file: Path, environ: Mapping[str, str] | None = None) -> PrivacyKeys:
    """Keys from the environment if set, else from ``keys_file``, created on first use.

    The file is written readable by its owner only and never printed; a deployment that keeps
    secrets elsewhere sets the environment variables instead.
    """
    env = os.environ if environ is None else environ
    if env.get(PEPPER_VARIABLE) or env.get(SEALING_VARIABLE):
        return PrivacyKeys.from_environ(env)
    if not keys_file.exists():
        _write_new_keys(keys_file)
    try:
        stored = json.loads(keys_file.read_text(encoding="utf-8"))
        return PrivacyKeys(
            pepper=bytes.fromhex(stored["pepper"]),
            sealing_keys=tuple(k.encode() for k in stored["sealing_keys"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{keys_file}: not a usable privacy keys file ({exc})") from None


def _write_new_keys(keys_file: Path) -> None:
    keys = PrivacyKeys.generate()
    body = {"pepper": keys.pepper.hex(), "sealing_keys": [k.decode() for k in keys.sealing_keys]}
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not overwrite each other's keys.
    with contextlib.suppress(FileExistsError):
        fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out)


def keyed_hash(pepper: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 with a purpose prefix, so one pepper serves unrelated uses safely."""
    return hmac.new(pepper, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def reporter_key(pepper: bytes, telegram_user_id: int) -> str:
    """The only name a reporter has inside the bot: stable, not reversible without the pepper."""
    return keyed_hash(pepper, "reporter", str(telegram_user_id))


class Sealer:
    """Encrypts small values (chat ids, pending messages) with the sealing keys."""

    def __init__(self, keys: PrivacyKeys) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in keys.sealing_keys])

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SealError("cannot open a sealed value with the configured keys") from exc

    def seal_chat(self, chat_id: int) -> str:
        return self.seal(str(chat_id))

    def open_chat(self, token: str) -> int:
        return int(self.open(token))
