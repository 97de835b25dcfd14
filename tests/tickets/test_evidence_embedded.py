"""Pictures and objects inside documents: photos in Word, Excel and PDF files lose their EXIF
and GPS as photos sent alone do; what cannot be cleaned is refused or marked as not cleaned."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import docx
import openpyxl
import pypdfium2 as pdfium
import pytest
from openpyxl.drawing.image import Image as SheetImage
from PIL import ExifTags, Image, ImageCms

from bot.tickets.evidence import inspect_evidence, processing_cost
from bot.tickets.images import jpeg_without_metadata
from bot.tickets.model import Reason
from bot.tickets.settings import EvidenceSettings
from tests.tickets.test_evidence import CAMERA, png_chunk
from tests.tickets.test_evidence_documents import (
    AUTHOR,
    PAGES,
    pdf_from,
    unpacked,
    zip_parts,
)

SETTINGS = EvidenceSettings()
XMP_CREATOR = "wangxm-xmp-creator"
COMMENT = "拍摄于星光学堂门口"
RED = (200, 30, 30)
LATITUDE = (39.0, 54.0, 26.0)
# The latitude as EXIF stores it: three rationals, big-endian ("MM") as Pillow writes them.
LATITUDE_IN_EXIF = struct.pack(">6L", 39, 1, 54, 1, 26, 1)


def camera_jpeg(size: tuple[int, int] = (160, 120), orientation: int = 1) -> bytes:
    """A red photo as a phone makes it: EXIF with GPS and camera, XMP, an ICC profile and a
    comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    image = Image.new("RGB", size, RED)
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1] // 2))  # shows which way is up
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif,
        xmp=f"<x:xmpmeta><dc:creator>{XMP_CREATOR}</dc:creator></x:xmpmeta>".encode(),
        comment=COMMENT.encode(),
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return out.getvalue()


def revealing(stored: bytes) -> list[bytes]:
    """The traces of the place, the camera and its owner still in ``stored``: the GPS latitude,
    the EXIF header, the camera's model, XMP, the comment and the ICC profile's marker."""
    traces = [LATITUDE_IN_EXIF, b"Exif\x00\x00", CAMERA.encode(), XMP_CREATOR.encode()]
    traces += [COMMENT.encode(), b"ICC_"]
    return [trace for trace in traces if trace in stored]


def docx_with_photo(photo: bytes) -> bytes:
    document = docx.Document()
    document.core_properties.author = AUTHOR
    document.add_paragraph("收费现场")
    document.add_picture(io.BytesIO(photo))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with_camera_photo() -> bytes:
    return docx_with_photo(camera_jpeg())


def parts_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def with_parts(package: bytes, changes: dict[str, bytes]) -> bytes:
    """``package`` with parts added or replaced."""
    return zip_parts(parts_of(package) | changes)


# --- Office -------------------------------------------------------------------------------------


def test_a_photo_in_a_word_document_loses_gps_and_camera_and_is_turned_upright() -> None:
    original = docx_with_photo(camera_jpeg(orientation=6))  # taken with the phone on its side
    assert len(revealing(unpacked(original))) == 6

    result = inspect_evidence(original, "现场.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    assert revealing(unpacked(result.file.data)) == []
    assert AUTHOR.encode() not in unpacked(result.file.data)
    document = docx.Document(io.BytesIO(result.file.data))
    assert [p.text for p in document.paragraphs if p.text] == ["收费现场"]
    [shape] = document.inline_shapes
    blob = document.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
    with Image.open(io.BytesIO(blob.blob)) as picture:
        assert picture.format == "JPEG" and not picture.getexif()
        assert picture.size == (120, 160)  # rotated as the orientation said, then dropped
        picture = picture.convert("RGB")
        assert _near(picture.getpixel((110, 10)), (20, 20, 200))  # the blue corner: top right
        assert _near(picture.getpixel((10, 150)), RED)


def _near(pixel: object, colour: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


def tagged_png() -> bytes:
    """A PNG screenshot with the phone's EXIF in an eXIf chunk and its owner in tEXt."""
    image = Image.new("RGB", (120, 80), RED)
    out = io.BytesIO()
    image.save(out, "PNG")
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = CAMERA
    chunks = png_chunk(b"tEXt", b"Author\x00" + XMP_CREATOR.encode())
    chunks += png_chunk(b"eXIf", exif.tobytes())
    data = out.getvalue()
    return data[:33] + chunks + data[33:]  # after IHDR


def test_a_screenshot_in_a_workbook_loses_its_text_and_exif_chunks_and_still_shows() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "缴费记录"
    sheet.add_image(SheetImage(io.BytesIO(tagged_png())), "B2")
    out = io.BytesIO()
    workbook.save(out)
    assert CAMERA.encode() in unpacked(out.getvalue())

    result = inspect_evidence(out.getvalue(), "缴费.xlsx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    stored = unpacked(result.file.data)
    assert CAMERA.encode() not in stored and XMP_CREATOR.encode() not in stored
    reopened = openpyxl.load_workbook(io.BytesIO(result.file.data))
    sheet = reopened.active
    assert sheet is not None and sheet["A1"].value == "缴费记录"
    [picture] = sheet._images  # type: ignore[attr-defined]
    with Image.open(io.BytesIO(picture._data())) as shown:
        assert shown.format == "PNG" and shown.size == (120, 80)
        assert not shown.getexif() and "Author" not in shown.info


def tiff_with_artist() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), RED).save(
        out, "TIFF", tiffinfo={315: AUTHOR, 700: XMP_CREATOR.encode()}
    )
    return out.getvalue()


def test_a_tiff_in_a_document_stays_a_tiff_without_its_tags() -> None:
    original = with_parts(docx_with_camera_photo(), {"word/media/image2.tiff": tiff_with_artist()})
    assert XMP_CREATOR.encode() in unpacked(original)

    result = inspect_evidence(original, "扫描.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    picture = parts_of(result.file.data)["word/media/image2.tiff"]
    assert XMP_CREATOR.encode() not in picture and AUTHOR.encode() not in picture
    with Image.open(io.BytesIO(picture)) as shown:
        assert shown.format == "TIFF" and shown.size == (64, 48)
        assert 315 not in shown.getexif() and 700 not in shown.getexif()


def test_a_drawing_that_cannot_be_rewritten_leaves_the_document_not_cleaned() -> None:
    emf = b"\x01\x00\x00\x00" + bytes(36) + b" EMF" + "王晓明的图".encode("utf-16-le")
    original = with_parts(docx_with_camera_photo(), {"word/media/image9.emf": emf})

    result = inspect_evidence(original, "示意图.docx", SETTINGS)

    assert result.file is not None and not result.file.cleaned
    stored = parts_of(result.file.data)
    assert stored["word/media/image9.emf"] == emf  # kept as it was: nothing else to do with it
    assert AUTHOR.encode() not in stored["docProps/core.xml"]  # the rest is cleaned all the same


def test_a_picture_that_cannot_be_decoded_is_kept_and_the_document_not_cleaned() -> None:
    broken = camera_jpeg()[:400]
    original = with_parts(docx_with_camera_photo(), {"word/media/image1.png": broken})

    result = inspect_evidence(original, "a.docx", SETTINGS)

    assert result.file is not None and not result.file.cleaned


CUSTOM_ITEM = (
    '<?xml version="1.0" encoding="utf-8"?><p:properties xmlns:p="http://schemas.microsoft.com/'
    'office/2006/metadata/properties"><documentManagement><_dlc_DocId>XGQX-1520-88</_dlc_DocId>'
    f"<Owner>{AUTHOR}</Owner><_dlc_DocIdUrl>https://xingguang.sharepoint.com/sites/hr"
    "</_dlc_DocIdUrl></documentManagement></p:properties>"
).encode()
ITEM_ID = "{6E1A8D7C-5B2F-4E3A-9C11-0D2B3A4F5E6D}"
ITEM_PROPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem '
    f'ds:itemID="{ITEM_ID}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/'
    'customXml"><ds:schemaRefs><ds:schemaRef ds:uri="http://schemas.microsoft.com/office/2006/'
    'metadata/properties"/><ds:schemaRef ds:uri="a1b2c3d4-xingguang-hr"/></ds:schemaRefs>'
    "</ds:datastoreItem>"
).encode()


def test_document_library_data_in_custom_xml_is_blanked_and_the_document_still_opens() -> None:
    original = with_parts(
        docx_with_camera_photo(),
        {"customXml/item1.xml": CUSTOM_ITEM, "customXml/itemProps1.xml": ITEM_PROPS},
    )
    assert AUTHOR.encode() in unpacked(original)

    result = inspect_evidence(original, "通知.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    stored = parts_of(result.file.data)
    everything = unpacked(result.file.data)
    for trace in (AUTHOR.encode(), b"XGQX-1520-88", b"xingguang", b"a1b2c3d4"):
        assert trace not in everything, trace
    assert stored["customXml/item1.xml"].endswith(
        b'<properties xmlns="http://schemas.microsoft.com/office/2006/metadata/properties"/>'
    )
    assert ITEM_ID.encode() in stored["customXml/itemProps1.xml"]  # bound fields still find it
    document = docx.Document(io.BytesIO(result.file.data))
    assert document.paragraphs[0].text == "收费现场"


def test_custom_xml_that_is_not_xml_leaves_the_document_not_cleaned() -> None:
    original = with_parts(
        docx_with_camera_photo(), {"customXml/item1.xml": b"\x00\x01" + CUSTOM_ITEM}
    )
    result = inspect_evidence(original, "a.docx", SETTINGS)
    assert result.file is not None and not result.file.cleaned


OLE_OBJECT = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Package\x00C:\\Users\\wangxm\\a.exe"
)


def docx_with_ole_object() -> bytes:
    return with_parts(docx_with_camera_photo(), {"word/embeddings/oleObject1.bin": OLE_OBJECT})


@pytest.mark.parametrize("part", ["word/embeddings/oleObject1.bin", "word/activeX/activeX1.bin"])
def test_an_embedded_object_is_refused(part: str) -> None:
    original = with_parts(docx_with_camera_photo(), {part: OLE_OBJECT})
    assert inspect_evidence(original, "a.docx", SETTINGS).reason == Reason.EMBEDDED_FILES


def test_the_workbook_behind_a_chart_is_cleaned_as_a_workbook_is() -> None:
    workbook = openpyxl.Workbook()
    workbook.properties.creator = AUTHOR
    out = io.BytesIO()
    workbook.save(out)
    original = with_parts(
        docx_with_camera_photo(), {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": out.getvalue()}
    )

    result = inspect_evidence(original, "图表.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    inner = parts_of(result.file.data)["word/embeddings/Microsoft_Excel_Worksheet.xlsx"]
    assert AUTHOR.encode() not in unpacked(inner)
    assert openpyxl.load_workbook(io.BytesIO(inner)).properties.creator != AUTHOR


def test_anything_else_embedded_is_refused() -> None:
    for embedded in (b"%PDF-1.7\n%%EOF", zip_parts({"a.txt": b"x"})):
        original = with_parts(docx_with_camera_photo(), {"word/embeddings/a.bin": embedded})
        assert inspect_evidence(original, "a.docx", SETTINGS).reason == Reason.EMBEDDED_FILES


def test_links_to_files_on_the_senders_computer_lose_their_path() -> None:
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="file:///C:\\Users\\wangxm\\AppData\\Roaming\\Microsoft\\Templates\\HR.dotm" '
        b'TargetMode="External"/><Relationship Id="rId2" TargetMode="External" Type="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
        b'Target="https://www.moe.gov.cn/"/><Relationship Id="rId3" TargetMode="External" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
        b'Target="../../Users/wangxm/O\'Brien/%E8%B4%B9%E7%94%A8.xlsx"/></Relationships>'
    )
    original = with_parts(docx_with_camera_photo(), {"word/_rels/settings.xml.rels": rels})

    result = inspect_evidence(original, "a.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    stored = parts_of(result.file.data)
    assert b"wangxm" not in stored["word/_rels/settings.xml.rels"]
    assert b'Target="https://www.moe.gov.cn/"' in stored["word/_rels/settings.xml.rels"]
    assert (
        stored["word/_rels/document.xml.rels"] == parts_of(original)["word/_rels/document.xml.rels"]
    )  # the package's own parts are where they were
    assert docx.Document(io.BytesIO(result.file.data)).inline_shapes


def test_a_sensitivity_label_naming_the_organisation_is_blanked() -> None:
    label = (
        b'<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">'
        b'<clbl:label id="{5a1f}" siteId="{xingguang-tenant}" enabled="1"/></clbl:labelList>'
    )
    original = with_parts(docx_with_camera_photo(), {"docMetadata/LabelInfo.xml": label})
    result = inspect_evidence(original, "a.docx", SETTINGS)
    assert result.file is not None and b"xingguang" not in unpacked(result.file.data)


def test_a_large_photo_in_a_document_counts_against_the_memory_budget_and_is_kept_smaller() -> None:
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), RED).save(out, "PNG")
    original = docx_with_photo(out.getvalue())
    settings = EvidenceSettings(stored_short_side=1000)

    assert processing_cost(original, settings) > 3000 * 2000 * 4  # decoded, as the photo alone
    result = inspect_evidence(original, "a.docx", settings)

    assert result.file is not None and result.file.cleaned
    [picture] = [d for n, d in parts_of(result.file.data).items() if n.startswith("word/media/")]
    with Image.open(io.BytesIO(picture)) as shown:
        assert shown.size == (1500, 1000)


# --- PDF ----------------------------------------------------------------------------------------


def pdf_with_image(image: bytes, filters: bytes, size: tuple[int, int] = (160, 120)) -> bytes:
    """One page filled by one image XObject of ``image`` (bytes as stored) with ``filters``."""
    width, height = size
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R"
        b" /Resources << /XObject << /Im1 5 0 R >> >> >>" % size
    )
    content = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % size
    picture = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Filter %s /Length %d >>\nstream\n%s\nendstream"
        % (width, height, filters, len(image), image)
    )
    return pdf_from(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES[0],
            page,
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            picture,
        ]
    )


def rendered_colours(pdf: bytes) -> tuple[object, object]:
    """The colours at the top right and bottom left of the rendered page."""
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    corners = image.getpixel((150, 10)), image.getpixel((10, 110))
    Image.Image.close(image)
    return corners


@pytest.mark.parametrize(
    ("stored", "filters"),
    [
        (camera_jpeg(), b"/DCTDecode"),
        (zlib.compress(camera_jpeg()), b"[/FlateDecode /DCTDecode]"),
    ],
)
def test_a_photo_in_a_pdf_loses_its_metadata_segments_and_still_shows(
    stored: bytes, filters: bytes
) -> None:
    original = pdf_with_image(stored, filters)
    assert LATITUDE_IN_EXIF in (zlib.decompress(stored) if b"Flate" in filters else stored)
    shown_before = rendered_colours(original)

    result = inspect_evidence(original, "截图.pdf", SETTINGS)

    assert result.file is not None and result.file.cleaned
    from pypdf import PdfReader

    [image] = PdfReader(io.BytesIO(result.file.data)).pages[0].images
    assert revealing(image.data) == [] and revealing(result.file.data) == []
    with Image.open(io.BytesIO(image.data)) as picture:
        assert picture.size == (160, 120) and not picture.getexif()
    assert rendered_colours(result.file.data) == shown_before  # not re-encoded: the same pixels


@pytest.mark.parametrize(
    ("image", "filters"),
    [
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + XMP_CREATOR.encode(), b"/JPXDecode"),
        (b"\x97JB2\r\n\x1a\n" + XMP_CREATOR.encode(), b"/JBIG2Decode"),
        (camera_jpeg()[:-300], b"/DCTDecode"),  # cut short: its segments do not add up
        (camera_jpeg().hex().encode() + b">", b"[/ASCIIHexDecode /DCTDecode]"),
    ],
    ids=["jpeg2000", "jbig2", "truncated-jpeg", "hex-wrapped-jpeg"],
)
def test_a_pdf_with_an_image_whose_metadata_cannot_be_removed_is_not_cleaned(
    image: bytes, filters: bytes
) -> None:
    result = inspect_evidence(pdf_with_image(image, filters), "a.pdf", SETTINGS)
    assert result.file is not None and not result.file.cleaned


def test_a_pdf_with_a_jpeg_inside_its_page_contents_is_not_cleaned() -> None:
    jpeg = camera_jpeg((8, 8))
    content = b"q 8 0 0 8 0 0 cm BI /W 8 /H 8 /CS /RGB /BPC 8 /F /DCT ID " + jpeg + b" EI Q"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 8 8] /Contents 4 0 R >>"
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    pdf = pdf_from([b"<< /Type /Catalog /Pages 2 0 R >>", PAGES[0], page, stream])

    result = inspect_evidence(pdf, "a.pdf", SETTINGS)

    assert result.file is not None and not result.file.cleaned


def test_a_pdf_with_plain_pixels_is_cleaned() -> None:
    pixels = zlib.compress(bytes(RED) * 160 * 120)
    result = inspect_evidence(pdf_with_image(pixels, b"/FlateDecode"), "a.pdf", SETTINGS)
    assert result.file is not None and result.file.cleaned
    assert _near(rendered_colours(result.file.data)[0], RED)


# --- JPEG segments ------------------------------------------------------------------------------


def test_only_what_a_decoder_needs_is_left_of_a_jpeg() -> None:
    photo = camera_jpeg()
    appended = photo + b"ftypmp42 a motion photo's video" + CAMERA.encode()
    with Image.open(io.BytesIO(photo)) as image:
        pixels = image.convert("RGB").tobytes()

    stripped = jpeg_without_metadata(appended)

    assert stripped is not None and revealing(stripped) == []
    assert stripped.endswith(b"\xff\xd9") and b"motion photo" not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.convert("RGB").tobytes() == pixels  # the same pixels, not re-encoded


def test_a_jfif_thumbnail_is_dropped_and_the_adobe_colour_marker_kept() -> None:
    out = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 200, 200, 0)).save(out, "JPEG")
    cmyk = out.getvalue()
    assert b"Adobe" in cmyk
    thumbnail = bytes(3 * 4 * 4)
    app0 = b"JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x04\x04" + thumbnail
    with_thumbnail = cmyk[:2] + b"\xff\xe0" + (len(app0) + 2).to_bytes(2, "big") + app0 + cmyk[2:]

    stripped = jpeg_without_metadata(with_thumbnail)

    assert stripped is not None and b"Adobe" in stripped
    assert b"JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x00\x00\xff" in stripped  # no thumbnail
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.mode == "CMYK" and image.getpixel((8, 8))[1] > 150  # type: ignore[index]


@pytest.mark.parametrize(
    "broken",
    [b"", b"\xff\xd8", b"\xff\xd8\xff\xe1\x00", b"\xff\xd8\xff\xf7\x00\x04ab\xff\xd9", b"GIF89a"],
)
def test_a_jpeg_whose_segments_do_not_add_up_is_not_walked(broken: bytes) -> None:
    assert jpeg_without_metadata(broken) is None
