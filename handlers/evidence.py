"""Evidence files sent in Telegram: size checked before downloading, then cleaned.

Telegram refuses to hand bots files over 20 MB, so the size it reports is checked first and the
reporter is told at once. Whatever arrives goes through :class:`bot.tickets.EvidenceCleaner`: the
type is read from the bytes, images are re-encoded without EXIF/GPS, executables are refused.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Message
from telegram.error import BadRequest, TelegramError

from bot.store.base import FileInfo, StoredFile
from bot.tickets.model import Reason
from bot.tickets.settings import EvidenceSettings
from handlers.refusals import download_limit
from handlers.request import Request

log = logging.getLogger(__name__)

# Media a reporter may send as evidence, and the name used when Telegram gives none.
_MEDIA = (
    ("document", "document"),
    ("video", "video.mp4"),
    ("audio", "audio"),
    ("voice", "voice.ogg"),
    ("video_note", "video.mp4"),
    ("animation", "animation.mp4"),
)


@dataclass(frozen=True)
class IncomingFile:
    file_id: str
    size: int | None
    name: str  # only a hint: the type is read from the bytes


def incoming_file(message: Message) -> IncomingFile | None:
    """The file a message carries (the largest size of a photo), or None."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingFile(largest.file_id, largest.file_size, "photo.jpg")
    for field, default_name in _MEDIA:
        media = getattr(message, field, None)
        if media is not None:
            name = getattr(media, "file_name", None) or default_name
            return IncomingFile(media.file_id, media.file_size, name)
    return None


async def fetch_evidence(
    request: Request, incoming: IncomingFile, settings: EvidenceSettings
) -> StoredFile | Reason | None:
    """The cleaned file, why it is refused, or None when the download failed (try again)."""
    if incoming.size is not None and incoming.size > download_limit(settings):
        return Reason.TOO_LARGE
    try:
        file = await request.bot.get_file(incoming.file_id)
        data = bytes(await file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            return Reason.TOO_LARGE
        log.warning("evidence download refused: %s", type(exc).__name__)
        return None
    except TelegramError as exc:
        log.warning("evidence download failed: %s", type(exc).__name__)
        return None
    result = await request.services.tickets.evidence.clean(data, incoming.name)
    return result.file if result.file is not None else result.reason or Reason.CORRUPT


# --- What the reporter is told about cleaning ----------------------------------------------------

_DOCUMENT_TYPES = ("application/pdf", "application/vnd.openxmlformats-officedocument.")


def cleaning_note(request: Request, file: StoredFile) -> str | None:
    """What was removed from a file just received, or that nothing could be; None for a file
    with nothing hidden in it (plain text)."""
    if not file.cleaned:
        return request.t("report.evidence.not_cleaned")
    if file.mime.startswith("image/"):
        return request.t("report.evidence.cleaned")
    if file.mime.startswith(_DOCUMENT_TYPES):
        return request.t("report.evidence.cleaned_document")
    if file.mime.startswith(("video/", "audio/")):
        return request.t("report.evidence.cleaned_recording")
    return None


def cleaning_summary(request: Request, files: Sequence[FileInfo]) -> list[str]:
    """For the review before confirming: how many files were cleaned, and by name the files
    that keep their metadata."""
    lines = []
    cleaned = [f for f in files if f.cleaned and f.mime != "text/plain"]
    if cleaned:
        lines.append(request.t("report.review.cleaned", count=len(cleaned)))
    kept = [html.escape(f.filename) for f in files if not f.cleaned]
    if kept:
        lines.append(request.t("report.review.not_cleaned", files="、".join(kept)))
    return lines
