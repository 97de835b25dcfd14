"""Office files and PDFs sent as evidence: who made them is removed, scripts are refused."""

from __future__ import annotations

import io
import zipfile
import zlib

import docx
import openpyxl
import pytest
from openpyxl.comments import Comment
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from bot.tickets.evidence import inspect_evidence
from bot.tickets.model import Reason
from bot.tickets.settings import EvidenceSettings

SETTINGS = EvidenceSettings()
AUTHOR = "王晓明"
COMPANY = "星光学堂教育科技有限公司"
XMP_CREATOR = "wangxm-xmp-creator"


def unpacked(package: bytes) -> bytes:
    """Every part of a zip package, decompressed, one after the other."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def docx_by_author() -> bytes:
    document = docx.Document()
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = AUTHOR
    document.core_properties.comments = "手机 13800000000"
    paragraph = document.add_paragraph("收费标准:每期 3000 元")
    document.add_comment(paragraph.runs, text="请核实", author=AUTHOR, initials="WXM")
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").replace(
            b"</Properties>", f"<Company>{COMPANY}</Company></Properties>".encode()
        )
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["docProps/app.xml"] = app
    return zip_parts(parts)


def zip_parts(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_word_document_loses_its_authors_and_still_opens() -> None:
    original = docx_by_author()
    assert AUTHOR.encode() in unpacked(original) and COMPANY.encode() in unpacked(original)

    result = inspect_evidence(original, "收费单.docx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    assert result.file.filename == "收费单.docx"
    stored = unpacked(result.file.data)
    for revealing in (AUTHOR, COMPANY, "WXM", "13800000000"):
        assert revealing.encode() not in stored, revealing
    document = docx.Document(io.BytesIO(result.file.data))
    assert [p.text for p in document.paragraphs] == ["收费标准:每期 3000 元"]
    assert document.core_properties.author == ""
    assert [c.text for c in document.comments] == ["请核实"]  # the comment itself stays


def test_a_workbook_loses_its_creator_and_comment_authors_and_still_opens() -> None:
    workbook = openpyxl.Workbook()
    workbook.properties.creator = AUTHOR
    workbook.properties.lastModifiedBy = AUTHOR
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "学员名单"
    sheet["A1"].comment = Comment("报名表", AUTHOR)
    out = io.BytesIO()
    workbook.save(out)

    result = inspect_evidence(out.getvalue(), "名单.xlsx", SETTINGS)

    assert result.file is not None and result.file.cleaned
    assert AUTHOR.encode() not in unpacked(result.file.data)
    reopened = openpyxl.load_workbook(io.BytesIO(result.file.data))
    cell = reopened.active["A1"]  # type: ignore[index]
    assert cell.value == "学员名单"
    assert cell.comment is not None and cell.comment.text.startswith("报名表")


def test_slide_comment_authors_and_a_table_name_are_told_apart() -> None:
    authors = (
        b'<p:cmAuthorLst xmlns:p="x"><p:cmAuthor id="0" name="'
        + AUTHOR.encode()
        + b'" initials="WXM" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
    )
    pptx = zip_parts(
        {
            "[Content_Types].xml": b"<Types/>",
            "ppt/presentation.xml": b'<p:presentation xmlns:p="x"/>',
            "ppt/commentAuthors.xml": authors,
            "ppt/slides/slide1.xml": b'<p:sld xmlns:p="x"><p:cSld name="Kept"/></p:sld>',
        }
    )
    result = inspect_evidence(pptx, "课件.pptx", SETTINGS)
    assert result.file is not None and result.file.cleaned
    stored = unpacked(result.file.data)
    assert AUTHOR.encode() not in stored and b"WXM" not in stored
    assert b'name="Kept"' in stored  # only the authors' part loses its names


def test_a_zip_bomb_dressed_as_a_document_is_refused() -> None:
    bomb = zip_parts(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(300 * 1024 * 1024)}
    )
    assert len(bomb) < 1024 * 1024
    assert inspect_evidence(bomb, "大文件.docx", SETTINGS).reason == Reason.CORRUPT


# --- PDF ---------------------------------------------------------------------------------------


def pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": AUTHOR, "/Creator": "Phone Scanner 13800000000"})
    xmp = StreamObject()
    xmp.set_data(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>'
        + XMP_CREATOR.encode()
        + b"</dc:creator>"
        b"</x:xmpmeta>"
    )
    xmp[NameObject("/Type")] = NameObject("/Metadata")
    xmp[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_from(objects: list[bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF of ``objects`` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


def pdf_with_escaped_javascript() -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    action = b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"
    return pdf_from([catalog, *PAGES, action])


def pdf_with_javascript_in_an_object_stream() -> bytes:
    """Object 5, the script, is compressed inside object stream 4; the cross-reference is a
    stream (object 6), as PDF 1.5 writers make them."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = [0]
    plain = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", *PAGES]
    inside = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    header = b"5 0 "
    packed = zlib.compress(header + inside)
    stream = b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(header),
        len(packed),
    )
    for number, body in enumerate([*plain, stream + packed + b"\nendstream"], start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    rows = b"\x00" + bytes(4) + b"\xff\xff"
    rows += b"".join(b"\x01" + o.to_bytes(4, "big") + b"\x00\x00" for o in offsets[1:])
    rows += b"\x02" + (4).to_bytes(4, "big") + b"\x00\x00"  # object 5: in stream 4, first
    rows += b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00"
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(
        rows
    )
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_a_pdf_loses_its_information_dictionary_and_xmp() -> None:
    original = pdf_with_metadata()
    assert AUTHOR.encode("utf-16-be") in original or b"/Author" in original
    assert XMP_CREATOR.encode() in original

    result = inspect_evidence(original, "通知.pdf", SETTINGS)

    assert result.file is not None and result.file.cleaned
    stored = result.file.data
    for revealing in (b"/Author", b"/Creator", b"13800000000", XMP_CREATOR.encode()):
        assert revealing not in stored, revealing
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1 and not reader.metadata
    assert "/Metadata" not in reader.trailer["/Root"]


@pytest.mark.parametrize(
    "make", [pdf_with_escaped_javascript, pdf_with_javascript_in_an_object_stream]
)
def test_hidden_javascript_is_found_and_refused(make: object) -> None:
    assert callable(make)
    data = make()
    assert b"/JavaScript" not in data  # a scan of the bytes would have let it through
    assert inspect_evidence(data, "通知.pdf", SETTINGS).reason == Reason.MACROS


def test_plain_javascript_launch_and_attached_files_are_refused() -> None:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    launch = b"<< /S /Launch /F (cmd.exe) >>"
    assert inspect_evidence(pdf_from([catalog, *PAGES, launch]), "a.pdf", SETTINGS).reason == (
        Reason.MACROS
    )
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("发票.exe", b"MZ" + bytes(64))
    out = io.BytesIO()
    writer.write(out)
    assert inspect_evidence(out.getvalue(), "a.pdf", SETTINGS).reason == Reason.EMBEDDED_FILES


def test_a_locked_pdf_is_refused_but_one_merely_restricted_is_kept() -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        writer.add_metadata({"/Author": AUTHOR})
        writer.encrypt(user_password, owner_password="owner", algorithm="AES-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert inspect_evidence(encrypted("secret"), "a.pdf", SETTINGS).reason == Reason.ENCRYPTED
    kept = inspect_evidence(encrypted(""), "a.pdf", SETTINGS)
    assert kept.file is not None and kept.file.cleaned
    assert not PdfReader(io.BytesIO(kept.file.data)).metadata


def test_a_pdf_that_cannot_be_parsed_is_corrupt() -> None:
    garbage = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R" + bytes(100) + b"\n%%EOF\n"
    assert inspect_evidence(garbage, "a.pdf", SETTINGS).reason == Reason.CORRUPT
