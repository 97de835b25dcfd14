"""Videos and recordings sent as evidence, without where they were made and on what.

MP4, MOV and M4A files are trees of boxes. Phones put the place (``©xyz``, ``loci``), the maker
and model (``©mak``, ``©mod``) and other user data in ``udta``, ``meta`` and ``uuid`` boxes of
the movie and its tracks. Each such box becomes a ``free`` box of the same size with zeroed
contents: nothing moves, so the offsets in the sample tables stay right and the video plays as
before. A track of timed metadata (GPS samples inside the media data) cannot be blanked that
way: such a file is kept, and marked as not completely cleaned.

MP3 loses its ID3 tags, WAV every chunk but the sound's own. An Ogg recording (Telegram's voice
messages) is counted clean when its comment header holds no tags; otherwise it is kept and
marked as not cleaned.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.tickets.model import Cleaned

# --- MP4, MOV, M4A -----------------------------------------------------------------------------

_USER_DATA = frozenset({b"udta", b"meta", b"uuid"})
_TIMED_METADATA = frozenset({b"meta", b"mebx"})  # handler types of tracks of metadata samples


class _Malformed(Exception):
    """The boxes do not add up: the file cannot be walked, so it is kept as sent."""


def clean_iso_media(data: bytes) -> Cleaned:
    out = bytearray(data)
    try:
        complete = _blank_user_data(out, 0, len(out), in_movie=False)
    except _Malformed:
        return Cleaned(data, complete=False)
    return Cleaned(bytes(out), complete=complete)


def _blank_user_data(data: bytearray, start: int, end: int, *, in_movie: bool) -> bool:
    """Blank the user data among the boxes in ``data[start:end]``, going into the movie and its
    tracks; False if a track of timed metadata remains."""
    complete = True
    for kind, box, body, box_end in _boxes(data, start, end):
        if kind in _USER_DATA:
            data[box + 4 : box + 8] = b"free"
            data[body:box_end] = bytes(box_end - body)
        elif kind == b"moov" or (in_movie and kind == b"trak"):
            complete &= _blank_user_data(data, body, box_end, in_movie=True)
            if kind == b"trak" and _handler(data, body, box_end) in _TIMED_METADATA:
                complete = False
    return complete


def _handler(data: bytearray, start: int, end: int) -> bytes | None:
    """A track's handler type (vide, soun, meta ...) from trak/mdia/hdlr."""
    for kind, _, body, box_end in _boxes(data, start, end):
        if kind == b"mdia":
            for inner, _, hdlr, hdlr_end in _boxes(data, body, box_end):
                if inner == b"hdlr" and hdlr_end - hdlr >= 12:
                    return bytes(data[hdlr + 8 : hdlr + 12])  # after version, flags, pre_defined
    return None


def _boxes(data: bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, start, body start, end) of each box in ``data[start:end]``."""
    position = start
    while end - position >= 8:
        size = int.from_bytes(data[position : position + 4], "big")
        kind = bytes(data[position + 4 : position + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if end - position < 16:
                raise _Malformed
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:  # the box runs to the end
            size = end - position
        if size < header or position + size > end:
            raise _Malformed
        yield kind, position, position + header, position + size
        position += size
    # Up to 7 bytes may be left: QuickTime ends some lists with a 32-bit zero.


# --- MP3, WAV, Ogg -----------------------------------------------------------------------------

_ID3V2_HEADER = 10
_ID3V1_SIZE = 128
_ID3V1_EXTENDED_SIZE = 227  # "TAG+" before the ID3v1 tag


def clean_mp3(data: bytes) -> Cleaned:
    start = 0
    while data[start : start + 3] == b"ID3" and len(data) - start >= _ID3V2_HEADER:
        flags, size_bytes = data[start + 5], data[start + 6 : start + 10]
        size = 0
        for byte in size_bytes:  # "synchsafe": 7 bits per byte
            size = size << 7 | (byte & 0x7F)
        footer = _ID3V2_HEADER if flags & 0x10 else 0
        start += _ID3V2_HEADER + size + footer
    end = len(data)
    if data[end - _ID3V1_SIZE : end - _ID3V1_SIZE + 3] == b"TAG":
        end -= _ID3V1_SIZE
        if data[end - _ID3V1_EXTENDED_SIZE : end - _ID3V1_EXTENDED_SIZE + 4] == b"TAG+":
            end -= _ID3V1_EXTENDED_SIZE
    sound = data[start:end]
    if not sound:
        return Cleaned(data, complete=False)
    # APE tags (and ID3 tags appended at the end) are not handled: said, not hidden.
    complete = b"APETAGEX" not in sound[-4096:] and b"3DI" not in sound[-16:]
    return Cleaned(sound, complete=complete)


_WAV_SOUND_CHUNKS = frozenset({b"fmt ", b"fact", b"data", b"cue "})


def clean_wav(data: bytes) -> Cleaned:
    """Keep the sound's format and samples; drop LIST/INFO, bext, iXML, XMP and ID3 chunks."""
    kept = [b"WAVE"]
    position = 12
    while len(data) - position >= 8:
        kind = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        chunk_end = min(len(data), position + 8 + size + (size & 1))  # chunks pad to even
        if kind in _WAV_SOUND_CHUNKS:
            kept.append(data[position:chunk_end])
        position = chunk_end
    if not any(chunk.startswith(b"data") for chunk in kept):
        return Cleaned(data, complete=False)  # not laid out as expected: kept as sent
    body = b"".join(kept)
    return Cleaned(b"RIFF" + len(body).to_bytes(4, "little") + body, complete=True)


_OGG_COMMENTS = (b"OpusTags", b"\x03vorbis")
_OGG_HEADER_SEARCH = 64 * 1024


def check_ogg(data: bytes) -> Cleaned:
    """An Ogg file as sent: complete when its comment header names no tags (artist, place
    ...) beyond the encoder's own name, as in Telegram's voice messages."""
    head = data[:_OGG_HEADER_SEARCH]
    for marker in _OGG_COMMENTS:
        found = head.find(marker)
        if found < 0:
            continue
        vendor_at = found + len(marker)
        vendor_length = int.from_bytes(head[vendor_at : vendor_at + 4], "little")
        count_at = vendor_at + 4 + vendor_length
        if count_at + 4 > len(head):
            break
        count = int.from_bytes(head[count_at : count_at + 4], "little")
        return Cleaned(data, complete=count == 0)
    return Cleaned(data, complete=False)
