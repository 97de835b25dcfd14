"""Evidence images: decoded at the size inspectors need, re-encoded without metadata.

An image is scaled down so that its shorter side is at most ``stored_short_side`` pixels: a
camera's 40-megapixel photo becomes a few megapixels, while a long screenshot (a chat log, a
payment record) keeps its width and so its text. JPEGs are decoded at 1/2, 1/4 or 1/8 of their
size where that is still large enough, so their full-size pixels are never held at all.
:func:`decoding_cost` says how much memory decoding will take, from the header alone, so that
the caller can hold back large images while others are decoded.

JPEGs that are not decoded (those inside PDFs, where the file draws them as they are) lose their
metadata segments instead: :func:`jpeg_without_metadata` walks the segments and keeps only those
a decoder needs.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from bot.tickets.model import Reason
from bot.tickets.settings import EvidenceSettings

if TYPE_CHECKING:
    from PIL import Image

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)
_STORED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # what re-encoded images are kept as
_ANIMATED_FORMATS = ("GIF", "WEBP")  # kept frame by frame, at their size
BYTES_PER_PIXEL = 4  # the widest mode held (RGBA, CMYK)
# How each format Pillow re-encodes begins, by Pillow's name for it.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def image_format(data: bytes) -> str | None:
    """The image format the bytes are in (Pillow's name), read from their first bytes; None
    for anything that is not an image re-encoded here."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _MAGIC if head.startswith(magic)), None)


def reencode_image(
    data: bytes, decoder: str, fmt: str, settings: EvidenceSettings
) -> bytes | Reason:
    # Pillow is imported with the first photo, not at start: most processes never receive one.
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[decoder]) as image:
            frames = _kept_frames(image, fmt)
            _decode_smaller(image, settings)
            if image.width * image.height * frames > settings.max_image_pixels:
                return Reason.TOO_MANY_PIXELS
            image.load()
            if frames > 1:
                return _animation(image, fmt)
            return _still(image, fmt, settings)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Reason.TOO_MANY_PIXELS
    except _DECODE_ERRORS:
        return Reason.CORRUPT


def decoding_cost(data: bytes, decoder: str, fmt: str, settings: EvidenceSettings) -> int:
    """Bytes the decoded and the scaled pixels will take, read from the header alone; 0 for a
    file whose header cannot be read (it is refused without decoding)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[decoder]) as image:
            frames = _kept_frames(image, fmt)
            _decode_smaller(image, settings)
            if frames > 1:
                return image.width * image.height * frames * BYTES_PER_PIXEL
            width, height = stored_size(image.size, settings)
            # Resizing goes one direction at a time: an image scaled in one only lies between.
            between = max(width * image.height, image.width * height) if width < image.width else 0
            pixels = image.width * image.height + between + width * height
            if fmt == "TIFF" and between == 0:
                pixels += width * height  # saved from a copy (see _mode_for)
            return pixels * BYTES_PER_PIXEL
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, *_DECODE_ERRORS):
        return 0


def stored_size(size: tuple[int, int], settings: EvidenceSettings) -> tuple[int, int]:
    """The size an image is kept at: its shorter side at most ``stored_short_side``."""
    width, height = size
    shorter = min(width, height)
    if shorter <= settings.stored_short_side:
        return size
    scale = settings.stored_short_side / shorter
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of a stored image, read from its header (no pixel is decoded)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_STORED_FORMATS) as image:
            return image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, *_DECODE_ERRORS):
        return None


def _kept_frames(image: Image.Image, fmt: str) -> int:
    return getattr(image, "n_frames", 1) if fmt in _ANIMATED_FORMATS else 1


def _decode_smaller(image: Image.Image, settings: EvidenceSettings) -> None:
    """Have a JPEG decoded at the smallest 1/2^n scale still at least its stored size."""
    if image.format == "JPEG":
        target = stored_size(image.size, settings)
        if target != image.size:
            image.draft(None, target)


def _still(image: Image.Image, fmt: str, settings: EvidenceSettings) -> bytes:
    from PIL import Image, ImageOps

    target = stored_size(image.size, settings)
    if target != image.size:
        if image.mode in ("1", "P"):  # palettes only resize pixel by pixel
            image = image.convert("RGBA")
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    ImageOps.exif_transpose(image, in_place=True)  # the orientation, before EXIF is dropped
    clean = _bare(_mode_for(image, fmt))
    options: dict[str, object] = {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = settings.jpeg_quality
    if fmt == "TIFF":
        options["compression"] = "tiff_lzw"  # Pillow writes TIFFs uncompressed otherwise
    out = io.BytesIO()
    clean.save(out, fmt, **options)
    return out.getvalue()


def _animation(image: Image.Image, fmt: str) -> bytes:
    from PIL import ImageSequence

    copies = [_bare(frame.copy()) for frame in ImageSequence.Iterator(image)]
    out = io.BytesIO()
    copies[0].save(out, fmt, save_all=True, append_images=copies[1:], loop=0)
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
    """The image in a mode ``fmt`` can store (itself if it already is: no copy)."""
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        return image.convert("RGB")
    if fmt == "PNG" and image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        return image.convert("RGBA")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA")
    if fmt == "TIFF" and hasattr(image, "tag_v2"):
        # Pillow saves a TIFF it read with the file's XMP, IPTC and Photoshop tags: a copy has
        # none of them.
        return image.copy()
    return image


# --- JPEG segments -----------------------------------------------------------------------------

# Markers after 0xFF. Kept: frame headers (SOF0-15 but JPG), Huffman and arithmetic tables,
# quantisation tables, restart interval, scans and the line count. Dropped: application data
# (APP1 Exif and XMP, APP2 ICC and MPF, APP13 IPTC/Photoshop ...) and comments. APP0 (JFIF) and
# APP14 (Adobe: how colours are stored) are kept without anything after their fixed fields.
_APP0, _APP14, _COMMENT, _SCAN, _END = 0xE0, 0xEE, 0xFE, 0xDA, 0xD9
_DECODING = frozenset({*range(0xC0, 0xC8), *range(0xC9, 0xD0), 0xDB, 0xDC, 0xDD, _SCAN})
_APPLICATION = range(0xE0, 0xF0)
_FIXED_FIELDS = {_APP0: (b"JFIF\x00", 12), _APP14: (b"Adobe", 12)}
# The end of a scan's entropy-coded data: a marker other than a stuffed zero or a restart.
_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG with only the segments a decoder needs, and nothing after its end (appended
    videos, second pictures); None when its segments do not add up or one is of a kind not
    known here, since then nobody can say what is left."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out = bytearray(b"\xff\xd8")
    at = 2
    while at + 2 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == _END:
            return bytes(out + b"\xff\xd9")
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        end = at + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker in _DECODING:
            out += data[at:end]
        elif marker in _FIXED_FIELDS:
            out += _fixed_fields(marker, data[at + 4 : end])
        elif marker not in _APPLICATION and marker != _COMMENT:
            return None
        at = end
        if marker == _SCAN:
            entropy_end = _AFTER_SCAN.search(data, at)
            if entropy_end is None:
                return None
            out += data[at : entropy_end.start()]
            at = entropy_end.start()
    return None


def _fixed_fields(marker: int, payload: bytes) -> bytes:
    """An APP0 or APP14 segment cut to its fixed fields (a JFIF thumbnail is a picture of its
    own), or nothing if it is not the JFIF or Adobe one."""
    signature, size = _FIXED_FIELDS[marker]
    if not payload.startswith(signature) or len(payload) < size:
        return b""
    kept = payload[:size] + (b"\x00\x00" if marker == _APP0 else b"")  # no thumbnail
    return bytes((0xFF, marker)) + (len(kept) + 2).to_bytes(2, "big") + kept
