"""Receipt codes: ≥16 random digits, shown once, kept only as a slow salted hash.

To find the ticket without hashing every stored code, a short prefix of HMAC(pepper, code) is
kept as an index; the slow hash is then checked for the few rows that share that prefix.

The account that filed the report is kept only as an *owner tag*: an HMAC of the filer's keyed
hash under a key the slow hash derives from the code (its second 32 bytes, never stored). Without
the code nobody can compute it (not even with the pepper), so it links no account to the report;
with the right code, typed from the filing account, it proves that the person asking is the one
who filed, which lets them in while the limit on everyone's wrong codes is full. One scrypt
run yields both, when a code is issued and when it is checked.
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
    return hash_with_owner(code, settings, None)[0]


def hash_with_owner(
    code: str, settings: ReceiptSettings, owner: str | None
) -> tuple[str, str | None]:
    """:func:`hash_code`, and the owner tag of ``owner`` (if given) from the same scrypt run."""
    salt = secrets.token_bytes(SALT_BYTES)
    n, r, p = settings.scrypt_n, settings.scrypt_r, settings.scrypt_p
    derived = _scrypt(code, salt, n, r, p, dklen=2 * HASH_BYTES)
    stored = "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(derived[:HASH_BYTES])])
    return stored, None if owner is None else _owner_tag(derived, owner)


def verify_code(code: str, stored: str, *, owner: str | None = None, owner_tag: str = "") -> bool:
    """Whether ``code`` is the one ``stored`` was made from; with ``owner``, also whether it was
    filed by ``owner`` (``owner_tag``)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        # scrypt's output is a prefix of its longer output: the stored half checks the code.
        dklen = 2 * HASH_BYTES if owner is not None else HASH_BYTES
        derived = _scrypt(code, base64.b64decode(salt), int(n), int(r), int(p), dklen=dklen)
    except ValueError:
        return False
    if not hmac.compare_digest(derived[:HASH_BYTES], expected):
        return False
    return owner is None or hmac.compare_digest(_owner_tag(derived, owner), owner_tag)


def _owner_tag(derived: bytes, owner: str) -> str:
    return hmac.new(derived[HASH_BYTES:], owner.encode(), hashlib.sha256).hexdigest()


def lookup_index(pepper: bytes, code: str, chars: int) -> str:
    return keyed_hash(pepper, "receipt", code)[:chars]


def _scrypt(code: str, salt: bytes, n: int, r: int, p: int, *, dklen: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(code.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


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
        code_hash, tag = await asyncio.to_thread(hash_with_owner, code, self.settings, owner)
        return IssuedCode(code=code, lookup=self.lookup(code), code_hash=code_hash, owner_tag=tag)

    def normalize(self, text: str) -> str | None:
        return normalize_code(text, self.settings.digits)

    def lookup(self, code: str) -> str:
        return lookup_index(self._pepper, code, self.settings.lookup_chars)

    async def matches(self, code: str, code_hash: str) -> bool:
        return await asyncio.to_thread(verify_code, code, code_hash)

    async def matches_owned(
        self, code: str, code_hash: str, requester: str, owner_tag: str | None
    ) -> bool:
        """Whether ``code`` is right and ``requester`` filed the report it belongs to."""
        if owner_tag is None:
            return False
        return await asyncio.to_thread(
            lambda: verify_code(code, code_hash, owner=requester, owner_tag=owner_tag)
        )
