"""Files held by the emulator and the media objects (PhotoSize, Document ...) that describe them."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Any

# Bot API download limit: getFile refuses larger files.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# What sendPhoto takes (Bot API docs): at most 10 MB, width + height at most 10000, and the
# longer side at most 20 times the shorter. Anything else must go as a document.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
_THUMBNAIL_SIDE = 90

# Real file ids start with a type-specific prefix; mimicking it keeps logs familiar.
_FILE_ID_PREFIXES = {
    "photo": "AgACAgUAAxkBAAI",
    "document": "BQACAgUAAxkBAAI",
    "video": "BAACAgUAAxkBAAI",
    "voice": "AwACAgUAAxkBAAI",
    "sticker": "CAACAgUAAxkBAAI",
    "audio": "CQACAgUAAxkBAAI",
    "animation": "CgACAgUAAxkBAAI",
}
_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "voice": "voice",
    "sticker": "stickers",
    "audio": "music",
    "animation": "animations",
}


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


class FileStore:
    """Every file the bot uploaded or a simulated user sent, by file_id and by file_path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def add(self, data: bytes, kind: str, extension: str) -> StoredFile:
        self._count += 1
        digest = hashlib.sha256(f"{kind}:{self._count}".encode()).digest()
        tail = base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
        file_id = f"{_FILE_ID_PREFIXES.get(kind, 'BQACAgUAAxkBAAI')}{self._count:06d}{tail}"
        unique_id = "AQAD" + base64.urlsafe_b64encode(digest[24:32]).decode().rstrip("=")
        path = f"{_FOLDERS.get(kind, 'documents')}/file_{self._count}.{extension}"
        stored = StoredFile(file_id, unique_id, path, data)
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


def photo_refusal(data: bytes) -> str | None:
    """Why Telegram's sendPhoto refuses these bytes (its error text), or None."""
    if len(data) > MAX_PHOTO_BYTES:
        return "PHOTO_SAVE_FILE_INVALID"
    width, height = image_size(data)
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(
        width, height
    ):
        return "PHOTO_INVALID_DIMENSIONS"
    return None


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, JPEG, GIF or WebP image; (1, 1) when the format is unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data) or (1, 1)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data) or (1, 1)
    return (1, 1)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended: 24-bit sizes minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:  # lossless: 14-bit sizes minus one
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30:  # lossy: 14-bit sizes after the key frame code
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        (segment_length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + segment_length
    return None


def photo_sizes(files: FileStore, data: bytes) -> list[dict[str, Any]]:
    """The PhotoSize array Telegram returns: a thumbnail first, the full size last.

    The emulator does not resize, so the thumbnail's bytes are the original image.
    """
    width, height = image_size(data)
    sizes: list[dict[str, Any]] = []
    if max(width, height) > _THUMBNAIL_SIDE:
        scale = _THUMBNAIL_SIDE / max(width, height)
        thumb = files.add(data, "photo", "jpg")
        sizes.append(
            _photo_size(thumb, max(1, round(width * scale)), max(1, round(height * scale)))
        )
    sizes.append(_photo_size(files.add(data, "photo", "jpg"), width, height))
    return sizes


def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "width": width,
        "height": height,
    }


def file_fields(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }


def document_object(stored: StoredFile, file_name: str, mime_type: str) -> dict[str, Any]:
    return {**file_fields(stored), "file_name": file_name, "mime_type": mime_type}


def extension_of(file_name: str, default: str) -> str:
    _, dot, extension = file_name.rpartition(".")
    return extension.lower() if dot and extension.isalnum() else default
