"""What a reporter is told when a service refuses: one catalog text per reason."""

from __future__ import annotations

from telegram.constants import FileSizeLimit

from bot.i18n import CATALOGS, text
from bot.tickets.model import Reason, Refused
from bot.tickets.settings import EvidenceSettings
from handlers.request import Request

# Reasons about a file ("evidence.*"); reasons about a receipt code ("status.*"); the rest
# ("refused.*").
FILE_REASONS = frozenset(
    {
        Reason.EMPTY_FILE,
        Reason.TOO_LARGE,
        Reason.EXECUTABLE,
        Reason.ARCHIVE,
        Reason.MACROS,
        Reason.EMBEDDED_FILES,
        Reason.ENCRYPTED,
        Reason.UNSUPPORTED_TYPE,
        Reason.TOO_MANY_PIXELS,
        Reason.CORRUPT,
        Reason.DUPLICATE_FILE,
        Reason.TOO_MANY_ATTACHMENTS,
        Reason.NO_DRAFT,
    }
)
CODE_REASONS = frozenset({Reason.CODE_MALFORMED, Reason.CODE_UNKNOWN, Reason.TOO_MANY_ATTEMPTS})
BYTES_PER_MB = 1_000_000  # as Telegram counts its "20 MB"


def reason_key(reason: Reason) -> str:
    if reason in FILE_REASONS:
        return f"evidence.{reason}"
    if reason in CODE_REASONS:
        return f"status.{reason}"
    key = f"refused.{reason}"
    # Lifecycle reasons (claims, status changes) never reach a reporter.
    return key if key in CATALOGS["zh"] else "error.generic"


def download_limit(settings: EvidenceSettings) -> int:
    """Telegram lets bots download 20 MB at most, whatever the config says."""
    return min(settings.max_file_bytes, int(FileSizeLimit.FILESIZE_DOWNLOAD))


def refusal_text(language: str, refused: Refused, evidence: EvidenceSettings) -> str:
    max_mb = download_limit(evidence) // BYTES_PER_MB
    minutes = max(1, refused.retry_after_minutes)
    return text(language, reason_key(refused.reason), max_mb=max_mb, minutes=minutes)


def refusal(request: Request, refused: Refused | Reason) -> str:
    if isinstance(refused, Reason):
        refused = Refused(refused)
    settings = request.services.config.tickets.evidence
    return refusal_text(request.language, refused, settings)
