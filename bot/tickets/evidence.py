"""Evidence files: decide what the bytes really are, refuse the dangerous, strip the revealing.

The claimed name and MIME type are only hints from the sender: the type is read from the bytes.
Every image is decoded and re-encoded, so EXIF (GPS position, camera serial) and other metadata
never reach the database; orientation is applied first so the picture still looks right.
Documents lose their authors and properties, and the pictures in them their EXIF
(:mod:`bot.tickets.documents`); videos and recordings lose their place and device
(:mod:`bot.tickets.recordings`). What cannot be cleaned completely is kept with
``cleaned=False``, and the reporter is told so.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.store.base import StoredFile
from bot.tickets.documents import (
    OLE2,
    ZIP,
    clean_office,
    clean_pdf,
    embedded_images_cost,
    package_refusal,
)
from bot.tickets.images import decoding_cost, image_format, reencode_image
from bot.tickets.model import Cleaned, Reason
from bot.tickets.recordings import check_ogg, clean_iso_media, clean_mp3, clean_wav
from bot.tickets.settings import EvidenceSettings


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str
    decoder: str | None = None  # the only Pillow decoder allowed to read it; None: not an image
    image_format: str | None = None  # what Pillow re-encodes it into


JPEG = FileType("image/jpeg", ".jpg", "JPEG", "JPEG")
PNG = FileType("image/png", ".png", "PNG", "PNG")
GIF = FileType("image/gif", ".gif", "GIF", "GIF")
WEBP = FileType("image/webp", ".webp", "WEBP", "WEBP")
TIFF = FileType("image/png", ".png", "TIFF", "PNG")  # camera TIFFs are stored as PNG
PDF = FileType("application/pdf", ".pdf")
MP4 = FileType("video/mp4", ".mp4")
MOV = FileType("video/quicktime", ".mov")
M4A = FileType("audio/mp4", ".m4a")
OGG = FileType("audio/ogg", ".ogg")
MP3 = FileType("audio/mpeg", ".mp3")
WAV = FileType("audio/wav", ".wav")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"
)
TEXT = FileType("text/plain", ".txt")
_OFFICE = (DOCX, XLSX, PPTX)
_IMAGES = {"JPEG": JPEG, "PNG": PNG, "GIF": GIF, "WEBP": WEBP, "TIFF": TIFF}


@dataclass(frozen=True)
class EvidenceResult:
    file: StoredFile | None
    reason: Reason | None = None

    @property
    def accepted(self) -> bool:
        return self.file is not None


def refuse(reason: Reason) -> EvidenceResult:
    return EvidenceResult(file=None, reason=reason)


class EvidenceCleaner:
    """Cleans files in worker threads (decoding is CPU work), holding back those that would
    take more memory than is left of ``processing_memory_mb``: a large image waits until it
    can be decoded alone, while small files go side by side. Without the bound, a handful of
    reporters sending camera images at once took gigabytes and slowed every reply."""

    def __init__(self, settings: EvidenceSettings) -> None:
        self.settings = settings
        self.budget = MemoryBudget(settings.processing_memory_mb * 1_000_000)
        # Two threads, as many as the cores that do the work; fewer threads also means fewer
        # malloc arenas holding on to freed pixels (see _give_back_freed_memory).
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence")

    async def clean(self, data: bytes, claimed_name: str) -> EvidenceResult:
        loop = asyncio.get_running_loop()
        cost = await loop.run_in_executor(self._threads, processing_cost, data, self.settings)
        async with self.budget.hold(cost):
            return await loop.run_in_executor(
                self._threads, _clean_in_thread, data, claimed_name, self.settings
            )


def _clean_in_thread(data: bytes, claimed_name: str, settings: EvidenceSettings) -> EvidenceResult:
    try:
        return inspect_evidence(data, claimed_name, settings)
    finally:
        _give_back_freed_memory()


def _give_back_freed_memory() -> None:
    """Return freed memory to the system. glibc keeps what a thread frees in that thread's
    arena, so every thread that once decoded a large image stays that large: measured with 8
    images of 40 Mpx, a peak of 509 MB with two threads, 324 MB with this after each file."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _libc() -> object:
    import ctypes

    return ctypes.CDLL(None)  # the C library the process already uses (glibc has malloc_trim)


# Rewriting a document or a video holds the original, the copy and the parser's own objects.
_WORKING_COPIES = 4


def processing_cost(data: bytes, settings: EvidenceSettings) -> int:
    """Roughly how many bytes cleaning ``data`` will hold at once (read from headers only)."""
    detected = detect_type(data) if len(data) <= settings.max_file_bytes else Reason.TOO_LARGE
    if isinstance(detected, Reason):
        return 0
    if detected in _OFFICE:  # and its pictures, decoded one after the other
        return len(data) * _WORKING_COPIES + embedded_images_cost(data, settings)
    if detected.decoder is None or detected.image_format is None:
        return len(data) * _WORKING_COPIES
    return len(data) + decoding_cost(data, detected.decoder, detected.image_format, settings)


class MemoryBudget:
    """Bytes handed out first come, first served; a request larger than the whole budget is
    served alone once everything before it is done."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @contextlib.asynccontextmanager
    async def hold(self, amount: int) -> AsyncIterator[None]:
        amount = min(amount, self.capacity)
        if self._waiting or self.in_use + amount > self.capacity:
            granted = asyncio.get_running_loop().create_future()
            self._waiting.append((amount, granted))
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._give_back(amount)  # granted just as the wait was cancelled
                else:
                    self._waiting.remove((amount, granted))
                    self._serve_waiting()
                raise
        else:
            self.in_use += amount
        try:
            yield
        finally:
            self._give_back(amount)

    def _give_back(self, amount: int) -> None:
        self.in_use -= amount
        self._serve_waiting()

    def _serve_waiting(self) -> None:
        while self._waiting and self.in_use + self._waiting[0][0] <= self.capacity:
            amount, granted = self._waiting.popleft()
            self.in_use += amount
            granted.set_result(None)


def inspect_evidence(data: bytes, claimed_name: str, settings: EvidenceSettings) -> EvidenceResult:
    if not data:
        return refuse(Reason.EMPTY_FILE)
    if len(data) > settings.max_file_bytes:
        return refuse(Reason.TOO_LARGE)
    detected = detect_type(data)
    if isinstance(detected, Reason):
        return refuse(detected)
    cleaned = clean_contents(data, detected, settings)
    if isinstance(cleaned, Reason):
        return refuse(cleaned)
    if len(cleaned.data) > settings.max_file_bytes:
        return refuse(Reason.TOO_LARGE)
    return _keep(cleaned.data, detected, claimed_name, settings, cleaned=cleaned.complete)


def clean_contents(data: bytes, kind: FileType, settings: EvidenceSettings) -> Cleaned | Reason:
    """The file without the metadata that can be removed, or why it is refused."""
    if kind in _OFFICE:
        return clean_office(data, settings)
    if kind.image_format is None:
        return _CLEANERS[kind](data)
    assert kind.decoder is not None
    image = reencode_image(data, kind.decoder, kind.image_format, settings)
    return image if isinstance(image, Reason) else Cleaned(image, complete=True)


def _plain_text(data: bytes) -> Cleaned:
    return Cleaned(data, complete=True)  # nothing hidden: what it says is all there is


_CLEANERS: dict[FileType, Callable[[bytes], Cleaned | Reason]] = {
    PDF: clean_pdf,
    MP4: clean_iso_media,
    MOV: clean_iso_media,
    M4A: clean_iso_media,
    MP3: clean_mp3,
    WAV: clean_wav,
    OGG: check_ogg,
    TEXT: _plain_text,
}


def _keep(
    data: bytes, kind: FileType, claimed_name: str, settings: EvidenceSettings, *, cleaned: bool
) -> EvidenceResult:
    name = safe_filename(claimed_name, kind.extension, settings.max_filename_chars)
    digest = hashlib.sha256(data).hexdigest()
    return EvidenceResult(StoredFile(name, kind.mime, digest, cleaned, data))


# --- What are these bytes? ---------------------------------------------------------------------

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows .exe/.dll/.scr
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
    b"dex\n",  # Android
    b"\x00asm",  # WebAssembly
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut
)
_ARCHIVE_MAGIC = (
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"MSCF",  # Windows cabinet
)
_VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"3gp4", b"3gp5", b"3g2a"}
_HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif"}


def detect_type(data: bytes) -> FileType | Reason:
    """The file's type from its first bytes, or why it is refused."""
    head = data[:16]
    if head.startswith(_EXECUTABLE_MAGIC):
        return Reason.EXECUTABLE
    if head.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        return Reason.ARCHIVE
    if head.startswith(ZIP):
        return _office_type(data)
    return _media_type(data) or _text_type(data) or Reason.UNSUPPORTED_TYPE


def _media_type(data: bytes) -> FileType | Reason | None:
    head = data[:16]
    if (fmt := image_format(head)) is not None:
        return _IMAGES[fmt]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return _pdf_type(data)
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return MP3
    if head[4:8] == b"ftyp":
        return _iso_media_type(head[8:12])
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return MOV
    if head.startswith(OLE2):  # old .doc/.xls, and .msi installers
        return Reason.UNSUPPORTED_TYPE
    return None


def _iso_media_type(brand: bytes) -> FileType | Reason:
    if brand == b"qt  ":
        return MOV
    if brand in (b"M4A ", b"M4B "):
        return M4A
    if brand in _HEIF_BRANDS:
        return Reason.UNSUPPORTED_TYPE  # HEIC needs a decoder we do not ship
    return MP4 if brand in _VIDEO_BRANDS else Reason.UNSUPPORTED_TYPE


def _pdf_type(data: bytes) -> FileType | Reason:
    # Scripts and attached files are looked for when it is parsed (bot.tickets.documents).
    return PDF if b"%%EOF" in data[-2048:] else Reason.CORRUPT


def _office_type(data: bytes) -> FileType | Reason:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return Reason.CORRUPT
    refused = package_refusal(names)
    if refused is not None:
        return refused
    for folder, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
        if any(n.startswith(folder) for n in names):
            return kind
    return Reason.UNSUPPORTED_TYPE


def _text_type(data: bytes) -> FileType | None:
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT  # stored as .txt whatever it was called, so it is never run as a script


# --- File names --------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[<>:"/\\|?*\s]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


def safe_filename(claimed: str, extension: str, max_chars: int) -> str:
    """A harmless name with the extension of the detected type: ``invoice.pdf.exe`` cannot
    survive as such, nor can right-to-left tricks, control characters or paths."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", claimed))[-1]
    base = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = _UNSAFE.sub("_", stem.replace(".", "_")).strip("_ ")
    if _RESERVED.match(stem):
        stem = f"_{stem}"
    stem = stem[: max(1, max_chars - len(extension))] or "evidence"
    return f"{stem}{extension}"
