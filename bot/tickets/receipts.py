"""Receipt codes: ≥16 random digits, shown once, kept only as a slow salted hash.

To find the ticket without hashing every stored code, a short prefix of HMAC(pepper, code) is
kept as an index; the slow hash is then checked for the few rows that share that prefix.

The account that filed the report is kept only as an *owner tag*: the same slow hash of the
code joined with the filer's keyed hash. Without the code nobody can compute it (not even with
the pepper), so it links no account to the report; with the right code, typed from the filing
account, it proves that the person asking is the one who filed, which lets them in while the
limit on everyone's wrong codes is full.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from bot.privacy import keyed_hash
from bot.tickets.settings import ReceiptSettings

SCHEME = "scrypt"
SALT_BYTES = 16
HASH_BYTES = 32
GROUP = 4
_SEPARATORS = str.maketrans("", "", " -_\u00a0\u3000")


@dataclass(frozen=True)
class IssuedCode:
    code: str  # plain digits; only ever returned to the reporter
    lookup: str
    code_hash: str
    owner_tag: str | None = None

    @property
    def readable(self) -> str:
        return group_digits(self.code)


def new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def group_digits(code: str) -> str:
    """``4821093755621184`` → ``4821 0937 5562 1184``."""
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize_code(text: str, digits: int) -> str | None:
    """The digits a reporter typed (full-width digits and spaces allowed), or None."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    if len(cleaned) != digits or not (cleaned.isascii() and cleaned.isdigit()):
        return None
    return cleaned


def hash_code(code: str, settings: ReceiptSettings) -> str:
    """``scrypt$n$r$p$salt$hash``: the parameters travel with the hash, so costs can rise later."""
    salt = secrets.token_bytes(SALT_BYTES)
    n, r, p = settings.scrypt_n, settings.scrypt_r, settings.scrypt_p
    digest = _scrypt(code, salt, n, r, p)
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(digest)])


def verify_code(code: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(code, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def lookup_index(pepper: bytes, code: str, chars: int) -> str:
    return keyed_hash(pepper, "receipt", code)[:chars]


def _scrypt(code: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(code.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class ReceiptCodes:
    """Issues and checks codes; the slow hashing runs in a worker thread."""

    def __init__(self, pepper: bytes, settings: ReceiptSettings) -> None:
        self._pepper = pepper
        self.settings = settings

    async def issue(self, owner: str | None = None) -> IssuedCode:
        """A new code; ``owner`` (the filer's keyed hash) is kept only as an owner tag."""
        code = new_code(self.settings.digits)
        code_hash, tag = await asyncio.to_thread(self._hashes, code, owner)
        return IssuedCode(code=code, lookup=self.lookup(code), code_hash=code_hash, owner_tag=tag)

    def _hashes(self, code: str, owner: str | None) -> tuple[str, str | None]:
        tag = None if owner is None else hash_code(owner_input(code, owner), self.settings)
        return hash_code(code, self.settings), tag

    def normalize(self, text: str) -> str | None:
        return normalize_code(text, self.settings.digits)

    def lookup(self, code: str) -> str:
        return lookup_index(self._pepper, code, self.settings.lookup_chars)

    async def matches(self, code: str, code_hash: str) -> bool:
        return await asyncio.to_thread(verify_code, code, code_hash)

    async def owned_by(self, code: str, requester: str, owner_tag: str | None) -> bool:
        """Whether ``requester`` filed the report ``code`` belongs to."""
        if owner_tag is None:
            return False
        return await asyncio.to_thread(verify_code, owner_input(code, requester), owner_tag)


def owner_input(code: str, owner: str) -> str:
    return f"{code}:{owner}"
