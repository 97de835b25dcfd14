"""Evidence files: decide what the bytes really are, refuse the dangerous, strip the revealing.

The claimed name and MIME type are only hints from the sender: the type is read from the bytes.
Every image is decoded and re-encoded, so EXIF (GPS position, camera serial) and other metadata
never reach the database; orientation is applied first so the picture still looks right.
Documents lose their authors and properties (:mod:`bot.tickets.documents`), videos and
recordings their place and device (:mod:`bot.tickets.recordings`). What cannot be cleaned
completely is kept with ``cleaned=False``, and the reporter is told so.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.store.base import StoredFile
from bot.tickets.documents import clean_office, clean_pdf
from bot.tickets.model import Cleaned, Reason
from bot.tickets.recordings import check_ogg, clean_iso_media, clean_mp3, clean_wav
from bot.tickets.settings import EvidenceSettings

if TYPE_CHECKING:
    from PIL import Image


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


@dataclass(frozen=True)
class EvidenceResult:
    file: StoredFile | None
    reason: Reason | None = None

    @property
    def accepted(self) -> bool:
        return self.file is not None


def refuse(reason: Reason) -> EvidenceResult:
    return EvidenceResult(file=None, reason=reason)


async def clean_evidence(
    data: bytes, claimed_name: str, settings: EvidenceSettings
) -> EvidenceResult:
    """:func:`inspect_evidence` in a worker thread: decoding images is CPU work."""
    return await asyncio.to_thread(inspect_evidence, data, claimed_name, settings)


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
    if kind.image_format is None:
        return _CLEANERS[kind](data)
    image = reencode_image(data, kind, settings)
    return image if isinstance(image, Reason) else Cleaned(image, complete=True)


def _plain_text(data: bytes) -> Cleaned:
    return Cleaned(data, complete=True)  # nothing hidden: what it says is all there is


_CLEANERS: dict[FileType, Callable[[bytes], Cleaned | Reason]] = {
    PDF: clean_pdf,
    DOCX: clean_office,
    XLSX: clean_office,
    PPTX: clean_office,
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
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls, and .msi installers
_VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"3gp4", b"3gp5", b"3g2a"}
_HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif"}


def detect_type(data: bytes) -> FileType | Reason:
    """The file's type from its first bytes, or why it is refused."""
    head = data[:16]
    if head.startswith(_EXECUTABLE_MAGIC):
        return Reason.EXECUTABLE
    if head.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        return Reason.ARCHIVE
    if head.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return _media_type(data) or _text_type(data) or Reason.UNSUPPORTED_TYPE


def _media_type(data: bytes) -> FileType | Reason | None:
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
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
    if head.startswith(_OLE2):
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
    lowered = {n.lower() for n in names}
    if "classes.dex" in lowered or "androidmanifest.xml" in lowered:
        return Reason.EXECUTABLE  # an Android app
    if any(n.endswith(".class") for n in lowered):
        return Reason.EXECUTABLE  # a Java archive
    if "[Content_Types].xml" not in names:
        return Reason.ARCHIVE
    if any(n.endswith("vbaproject.bin") for n in lowered):
        return Reason.MACROS
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


# --- Images: decode, check, re-encode ----------------------------------------------------------

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)
_STORED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # what re-encoded images are kept as


def reencode_image(data: bytes, kind: FileType, settings: EvidenceSettings) -> bytes | Reason:
    # Pillow is imported with the first photo, not at start: most processes never receive one.
    from PIL import Image

    assert kind.image_format is not None and kind.decoder is not None
    try:
        with Image.open(io.BytesIO(data), formats=[kind.decoder]) as image:
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height * frames > settings.max_image_pixels:
                return Reason.TOO_MANY_PIXELS
            image.load()
            return _save_clean(image, kind.image_format, frames, settings)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Reason.TOO_MANY_PIXELS
    except _DECODE_ERRORS:
        return Reason.CORRUPT


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of a stored image, read from its header (no pixel is decoded)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_STORED_FORMATS) as image:
            return image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, *_DECODE_ERRORS):
        return None


def _save_clean(image: Image.Image, fmt: str, frames: int, settings: EvidenceSettings) -> bytes:
    from PIL import ImageOps, ImageSequence

    out = io.BytesIO()
    if frames > 1 and fmt in ("GIF", "WEBP"):
        copies = [_bare(frame.copy()) for frame in ImageSequence.Iterator(image)]
        copies[0].save(out, fmt, save_all=True, append_images=copies[1:], loop=0)
        return out.getvalue()
    upright = ImageOps.exif_transpose(image)  # apply the orientation before EXIF is dropped
    clean = _bare(_mode_for(upright, fmt))
    options: dict[str, object] = {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = settings.jpeg_quality
    clean.save(out, fmt, **options)
    return out.getvalue()


# How the pixels are drawn, which says nothing about who took them.
_DRAWING_INFO = ("transparency", "duration", "loop", "disposal")


def _bare(image: Image.Image) -> Image.Image:
    """The same pixels without EXIF, XMP, ICC profile, comments or text chunks."""
    kept = {k: image.info[k] for k in _DRAWING_INFO if k in image.info}
    image.info.clear()
    image.info.update(kept)
    return image


def _mode_for(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        return image.convert("RGB")
    if fmt == "PNG" and image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        return image.convert("RGBA")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA")
    return image.copy()


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
