from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from bot.tickets.evidence import EvidenceCleaner, inspect_evidence, safe_filename
from bot.tickets.model import Reason
from bot.tickets.settings import EvidenceSettings
from tests.tickets.test_evidence_documents import pdf_with_metadata

SETTINGS = EvidenceSettings()
CAMERA = "HotlineTestCam Model X-1000"


def noisy_image(size: tuple[int, int] = (160, 120)) -> Image.Image:
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def jpeg_with_gps(orientation: int = 1, size: tuple[int, int] = (160, 120)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 29.0)
    out = io.BytesIO()
    noisy_image(size).save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny file whose header promises a huge picture: a decompression bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def zip_of(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return out.getvalue()


def test_a_photo_keeps_its_pixels_and_loses_gps_and_camera() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry GPS

    result = inspect_evidence(original, "IMG_0001.JPG", SETTINGS)

    assert result.file is not None and result.reason is None
    assert (result.file.mime, result.file.filename, result.file.cleaned) == (
        "image/jpeg",
        "IMG_0001.jpg",
        True,
    )
    stored = result.file.data
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (160, 120)
        assert not image.getexif()
        assert "exif" not in image.info
    assert b"Exif\x00\x00" not in stored and CAMERA.encode() not in stored


def test_orientation_is_applied_before_exif_is_dropped() -> None:
    rotated = jpeg_with_gps(orientation=6, size=(40, 20))  # "rotate 90° when showing"
    result = inspect_evidence(rotated, "sideways.jpg", SETTINGS)
    assert result.file is not None
    with Image.open(io.BytesIO(result.file.data)) as image:
        assert image.size == (20, 40)


def test_png_text_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "王晓明 13800000000")
    out = io.BytesIO()
    noisy_image().save(out, "PNG", pnginfo=info)
    result = inspect_evidence(out.getvalue(), "screen.png", SETTINGS)
    assert result.file is not None and result.file.mime == "image/png"
    assert b"13800000000" not in result.file.data


def test_an_animated_gif_keeps_its_frames() -> None:
    frames = [noisy_image((32, 32)).convert("P") for _ in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], comment=b"secret note")
    result = inspect_evidence(out.getvalue(), "clip.gif", SETTINGS)
    assert result.file is not None
    with Image.open(io.BytesIO(result.file.data)) as image:
        assert getattr(image, "n_frames", 1) == 3
    assert b"secret note" not in result.file.data


def test_a_program_dressed_as_a_photo_is_refused() -> None:
    exe = (
        b"MZ\x90\x00\x03\x00\x00\x00" + b"This program cannot be run in DOS mode." + os.urandom(512)
    )
    assert inspect_evidence(exe, "photo.jpg", SETTINGS).reason == Reason.EXECUTABLE
    elf = b"\x7fELF\x02\x01\x01" + os.urandom(100)
    assert inspect_evidence(elf, "photo.jpg", SETTINGS).reason == Reason.EXECUTABLE


def test_a_truncated_photo_is_corrupt() -> None:
    whole = jpeg_with_gps(size=(400, 300))
    result = inspect_evidence(whole[: len(whole) // 2], "cut.jpg", SETTINGS)
    assert result.reason == Reason.CORRUPT and result.file is None


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    assert inspect_evidence(png_claiming(100_000, 100_000), "bomb.png", SETTINGS).reason == (
        Reason.TOO_MANY_PIXELS
    )
    small_limit = EvidenceSettings(max_image_pixels=1_000_000)
    assert inspect_evidence(png_claiming(2000, 1000), "big.png", small_limit).reason == (
        Reason.TOO_MANY_PIXELS
    )


def test_documents_keep_their_names_and_types() -> None:
    pdf = inspect_evidence(pdf_with_metadata(), "合同.pdf", SETTINGS)
    assert pdf.file is not None
    assert (pdf.file.mime, pdf.file.filename) == ("application/pdf", "合同.pdf")
    docx = zip_of("[Content_Types].xml", "word/document.xml", "docProps/core.xml")
    result = inspect_evidence(docx, "收费单.docx", SETTINGS)
    assert result.file is not None and result.file.filename == "收费单.docx"
    xlsx = zip_of("[Content_Types].xml", "xl/workbook.xml")
    assert inspect_evidence(xlsx, "名单.xlsx", SETTINGS).accepted


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (zip_of("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"), "macros"),
        (zip_of("notes.txt", "photo.jpg"), "archive"),
        (zip_of("AndroidManifest.xml", "classes.dex"), "executable"),
        (b"Rar!\x1a\x07\x01\x00" + os.urandom(64), "archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(64), "unsupported_type"),
        (b"\x00\x00\x00\x18ftypheic" + os.urandom(64), "unsupported_type"),
        (b"\x00\x01\x02\x03\xfe\xff" + os.urandom(64), "unsupported_type"),
        (b"%PDF-1.4\nnever ends", "corrupt"),
        (b"PK\x03\x04 not really a zip", "corrupt"),
        (b"", "empty_file"),
    ],
)
def test_risky_or_unknown_files_are_refused(data: bytes, reason: str) -> None:
    result = inspect_evidence(data, "file.bin", SETTINGS)
    assert result.reason == Reason(reason) and result.file is None


def test_videos_and_voice_that_cannot_be_walked_are_accepted_but_not_called_clean() -> None:
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(256)
    result = inspect_evidence(mp4, "VID_2026.MP4", SETTINGS)
    assert result.file is not None
    assert (result.file.mime, result.file.cleaned) == ("video/mp4", False)
    voice = inspect_evidence(b"OggS\x00\x02" + os.urandom(128), "voice", SETTINGS)
    assert voice.file is not None and voice.file.filename == "voice.ogg"


def test_size_limits() -> None:
    small = EvidenceSettings(max_file_bytes=1024)
    assert inspect_evidence(b"a" * 2048, "big.txt", small).reason == Reason.TOO_LARGE


def test_a_script_is_stored_as_plain_text() -> None:
    result = inspect_evidence(b"@echo off\r\ndel *.*\r\n", "run.bat", SETTINGS)
    assert result.file is not None
    assert (result.file.filename, result.file.mime) == ("run.txt", "text/plain")


@pytest.mark.parametrize(
    ("claimed", "stored"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\王\\证据 1.JPG", "证据_1.jpg"),
        ("invoice.pdf.exe", "invoice_pdf.jpg"),
        ("\u202egpj.exe", "gpj.jpg"),  # right-to-left override: 'exe.jpg' on screen
        ("CON.jpg", "_CON.jpg"),
        ("", "evidence.jpg"),
        ("...", "evidence.jpg"),
        ("a" * 300 + ".jpg", "a" * 76 + ".jpg"),
    ],
)
def test_file_names_are_made_harmless(claimed: str, stored: str) -> None:
    assert safe_filename(claimed, ".jpg", 80) == stored


async def test_cleaning_runs_off_the_event_loop() -> None:
    result = await EvidenceCleaner(SETTINGS).clean(jpeg_with_gps(), "a.jpg")
    assert result.accepted


def test_a_camera_tiff_is_stored_as_png_without_its_tags() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = CAMERA
    out = io.BytesIO()
    noisy_image((64, 48)).save(out, "TIFF", exif=exif)
    result = inspect_evidence(out.getvalue(), "scan.tif", SETTINGS)
    assert result.file is not None
    assert (result.file.mime, result.file.filename) == ("image/png", "scan.png")
    assert CAMERA.encode() not in result.file.data
