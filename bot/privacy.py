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
import logging
import os
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PEPPER_VARIABLE = "REPORTER_PEPPER"
SEALING_VARIABLE = "SEALING_KEYS"
MIN_PEPPER_BYTES = 32

log = logging.getLogger(__name__)


class SecretError(ValueError):
    """A secret is missing or malformed: one line naming it and what is expected."""


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
        """Read ``REPORTER_PEPPER`` (hex) and ``SEALING_KEYS`` (Fernet keys, comma-separated);
        a :class:`ValueError` of one line naming the variable and what is expected otherwise."""
        env = os.environ if environ is None else environ
        pepper_text = env.get(PEPPER_VARIABLE, "").strip()
        keys_text = env.get(SEALING_VARIABLE, "").strip()
        if not pepper_text:
            raise SecretError(f"{PEPPER_VARIABLE} is not set (while {SEALING_VARIABLE} is); {HOW}")
        if not keys_text:
            raise SecretError(f"{SEALING_VARIABLE} is not set (while {PEPPER_VARIABLE} is); {HOW}")
        return cls(
            pepper=parse_pepper(pepper_text, PEPPER_VARIABLE),
            sealing_keys=parse_sealing_keys(keys_text.split(","), SEALING_VARIABLE),
        )

    def as_environment(self) -> dict[str, str]:
        """The keys as ``REPORTER_PEPPER`` and ``SEALING_KEYS`` would hold them."""
        return {
            PEPPER_VARIABLE: self.pepper.hex(),
            SEALING_VARIABLE: ",".join(k.decode("ascii") for k in self.sealing_keys),
        }


HOW = "`python -m bot keys generate` prints values in the expected form"


def parse_pepper(text: str, where: str) -> bytes:
    """The pepper as written in ``where`` (a variable or a file's key): hex digits only, of at
    least 32 bytes. Anything else is refused, never read some other way: a pepper read
    differently by another instance would hide every reporter's draft and receipt there."""
    text = text.strip()
    not_hex = sum(1 for c in text if c not in string.hexdigits)
    if not_hex:
        raise SecretError(
            f"{where}: expected hex digits only (0-9, a-f); {not_hex} of its {len(text)}"
            f" characters are not; {HOW}"
        )
    if len(text) % 2 or len(text) < 2 * MIN_PEPPER_BYTES:
        raise SecretError(
            f"{where}: expected an even number of at least {2 * MIN_PEPPER_BYTES} hex digits"
            f" ({MIN_PEPPER_BYTES} bytes), got {len(text)}; {HOW}"
        )
    return bytes.fromhex(text)


def parse_sealing_keys(items: Sequence[str], where: str) -> tuple[bytes, ...]:
    """Fernet keys, newest first; the first one that is not a key is named by its position."""
    keys = [item.strip() for item in items]
    if not any(keys):
        raise SecretError(f"{where}: no sealing key given; {HOW}")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SecretError(
                f"{where}: item {position} of {len(keys)} is not a Fernet key (expected 44"
                f" characters of URL-safe base64 ending in '='; items are separated by commas,"
                f" newest first); {HOW}"
            ) from None
    return tuple(key.encode("ascii") for key in keys)


class MissingKeys(SecretError):
    """No keys in the environment, and no keys file where the config says it is."""


def load_privacy_keys(
    keys_file: Path, environ: Mapping[str, str] | None = None, *, create: bool = True
) -> PrivacyKeys:
    """Keys from the environment if set, else from ``keys_file``, created on first use when
    ``create`` (the bot itself; command line tools read the service's keys, never make their
    own).

    The file is written readable by its owner only and never printed; a deployment that keeps
    secrets elsewhere sets the environment variables instead.
    """
    env = os.environ if environ is None else environ
    if env.get(PEPPER_VARIABLE) or env.get(SEALING_VARIABLE):
        return PrivacyKeys.from_environ(env)
    if not keys_file.exists():
        if not create:
            raise MissingKeys(
                f"no privacy keys: {PEPPER_VARIABLE} and {SEALING_VARIABLE} are not set and"
                f" there is no {keys_file}; give this command the service's secrets"
                " (see README, Deployment: command line tools in production)"
            )
        _write_new_keys(keys_file)
        log.warning("created new privacy keys in %s: back this file up", keys_file)
    return read_keys_file(keys_file)


def read_keys_file(keys_file: Path) -> PrivacyKeys:
    try:
        stored = json.loads(keys_file.read_text(encoding="utf-8"))
        pepper, sealing = stored["pepper"], stored["sealing_keys"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SecretError(f"{keys_file}: not a usable privacy keys file ({exc})") from None
    if not isinstance(pepper, str) or not isinstance(sealing, list):
        raise SecretError(f"{keys_file}: expected a pepper (text) and sealing_keys (a list)")
    return PrivacyKeys(
        pepper=parse_pepper(pepper, f"{keys_file}: pepper"),
        sealing_keys=parse_sealing_keys([str(k) for k in sealing], f"{keys_file}: sealing_keys"),
    )


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


def asker_key(pepper: bytes, telegram_user_id: int) -> str:
    """Someone asking questions, as the question log and the inbox know them: tells repeats
    apart, names nobody (and is not their reporter key)."""
    return keyed_hash(pepper, "asker", str(telegram_user_id))


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
