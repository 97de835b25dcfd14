"""Videos and recordings sent as evidence: place, device and tags removed where they can be."""

from __future__ import annotations

import io
import os
import struct
import wave

from bot.tickets.evidence import inspect_evidence
from bot.tickets.settings import EvidenceSettings

SETTINGS = EvidenceSettings()
PLACE = b"+39.9042+116.4074+044.000/"  # Beijing, as phones write it into ©xyz
MAKER, MODEL = b"Apple", b"iPhone 15 Pro"
OWNER = "王晓明"


def box(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


def handler(kind: bytes) -> bytes:
    return box(b"hdlr", bytes(8) + kind + bytes(12) + b"\x00")


def video(*, metadata_track: bool = False, brand: bytes = b"mp42") -> tuple[bytes, int]:
    """A small MP4 laid out as phones write it (ftyp, moov, mdat), with its place, maker and
    model in moov/udta and moov/meta, and a sample table pointing into mdat. Returns the file
    and the offset its chunk table gives for the first sample."""
    samples = b"\x00\x00\x00\x10" + os.urandom(60)
    udta = box(
        b"udta",
        box(b"\xa9xyz", struct.pack(">HH", len(PLACE), 0x15C7) + PLACE),
        box(b"\xa9mak", struct.pack(">HH", len(MAKER), 0) + MAKER),
        box(b"\xa9mod", struct.pack(">HH", len(MODEL), 0) + MODEL),
    )
    keys = box(b"keys", bytes(8) + box(b"mdta", b"com.apple.quicktime.location.ISO6709"))
    meta = box(
        b"meta", bytes(4), handler(b"mdta"), keys, box(b"ilst", box(b"\x00\x00\x00\x01", PLACE))
    )
    ftyp = box(b"ftyp", brand + bytes(4) + brand + b"isom")

    def movie(chunk_offset: int) -> bytes:
        stco = box(b"stco", bytes(4) + struct.pack(">II", 1, chunk_offset))
        track = box(
            b"trak",
            box(b"tkhd", bytes(84)),
            box(b"mdia", handler(b"vide"), box(b"minf", box(b"stbl", stco))),
            box(b"udta", box(b"\xa9mod", MODEL)),
        )
        tracks = [track]
        if metadata_track:
            tracks.append(box(b"trak", box(b"tkhd", bytes(84)), box(b"mdia", handler(b"meta"))))
        return box(b"moov", box(b"mvhd", bytes(100)), *tracks, udta, meta)

    offset = len(ftyp) + len(movie(0)) + 8  # the samples start right after mdat's header
    data = ftyp + movie(offset) + box(b"mdat", samples)
    assert data[offset : offset + len(samples)] == samples
    return data, offset


def test_a_video_loses_its_place_and_device_and_keeps_its_layout() -> None:
    original, offset = video()
    assert PLACE in original and MODEL in original

    result = inspect_evidence(original, "VID_2026.MP4", SETTINGS)

    assert result.file is not None and result.file.cleaned
    assert (result.file.mime, result.file.filename) == ("video/mp4", "VID_2026.mp4")
    stored = result.file.data
    for revealing in (PLACE, MAKER, MODEL, b"com.apple.quicktime.location"):
        assert revealing not in stored, revealing
    assert len(stored) == len(original)
    assert stored[offset:] == original[offset:]  # the samples are where the chunk table says
    assert stored.count(b"free") == 3  # moov/udta, moov/meta and the track's udta


def test_a_video_with_a_track_of_location_samples_is_kept_but_not_called_clean() -> None:
    original, _ = video(metadata_track=True, brand=b"qt  ")
    result = inspect_evidence(original, "IMG_0001.MOV", SETTINGS)
    assert result.file is not None and result.file.mime == "video/quicktime"
    assert not result.file.cleaned
    assert PLACE not in result.file.data  # what could be removed still was


def test_a_video_whose_boxes_do_not_add_up_is_kept_as_sent() -> None:
    broken = (
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\xff\xffmoov" + bytes(64)
    )
    result = inspect_evidence(broken, "cut.mp4", SETTINGS)
    assert result.file is not None and result.file.data == broken and not result.file.cleaned


def id3_frame(kind: bytes, value: str) -> bytes:
    body = b"\x03" + value.encode()  # UTF-8 text
    return kind + struct.pack(">I", len(body)) + b"\x00\x00" + body


def test_an_mp3_loses_its_id3_tags() -> None:
    frames = id3_frame(b"TPE1", OWNER) + id3_frame(b"TIT2", "家长会录音")
    size = len(frames)
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    sound = (b"\xff\xfb\x90\x64" + bytes(413)) * 4
    v1 = b"TAG" + OWNER.encode().ljust(125, b"\x00")
    result = inspect_evidence(
        b"ID3\x04\x00\x00" + synchsafe + frames + sound + v1, "rec.mp3", SETTINGS
    )
    assert result.file is not None and result.file.cleaned
    assert result.file.data == sound


def test_a_wav_keeps_only_its_sound() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(os.urandom(1600))
    plain = out.getvalue()
    artist = b"IART" + struct.pack("<I", len(OWNER.encode()) + 1) + OWNER.encode() + b"\x00"
    info = b"INFO" + artist + (b"\x00" if len(artist) % 2 else b"")
    tagged_body = plain[12:] + b"LIST" + struct.pack("<I", len(info)) + info
    tagged = b"RIFF" + struct.pack("<I", 4 + len(tagged_body)) + b"WAVE" + tagged_body

    result = inspect_evidence(tagged, "录音.wav", SETTINGS)

    assert result.file is not None and result.file.cleaned
    assert OWNER.encode() not in result.file.data
    with wave.open(io.BytesIO(result.file.data)) as recording:
        assert recording.getnframes() == 800


def ogg_page(packet: bytes, sequence: int) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    return (
        b"OggS\x00\x00"
        + bytes(8)
        + b"\x01\x00\x00\x00"
        + struct.pack("<I", sequence)
        + bytes(4)
        + bytes([len(lacing)])
        + lacing
        + packet
    )


def opus(*tags: str) -> bytes:
    vendor = b"libopus 1.4"
    comments = b"".join(struct.pack("<I", len(t.encode())) + t.encode() for t in tags)
    header = b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    tags_packet = (
        b"OpusTags"
        + struct.pack("<I", len(vendor))
        + vendor
        + struct.pack("<I", len(tags))
        + comments
    )
    return ogg_page(header, 0) + ogg_page(tags_packet, 1) + ogg_page(os.urandom(120), 2)


def test_a_voice_message_without_tags_is_clean_and_one_with_tags_is_said_to_keep_them() -> None:
    voice = inspect_evidence(opus(), "voice.ogg", SETTINGS)
    assert voice.file is not None and voice.file.cleaned
    tagged = inspect_evidence(opus(f"ARTIST={OWNER}"), "voice.ogg", SETTINGS)
    assert tagged.file is not None and not tagged.file.cleaned
