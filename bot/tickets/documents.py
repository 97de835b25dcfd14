"""Documents sent as evidence: Office files and PDFs rewritten without who made them.

Office files (docx, xlsx, pptx) are zip packages: the document properties (author, last editor,
company, manager, custom fields) become blank but valid parts, the authors of comments and
tracked changes become empty, and the rest is copied unchanged, so Word, Excel and PowerPoint
open the result as before. PDFs are read with pypdf, which undoes name escapes (``/J#61vaScript``)
and opens compressed object streams, so scripts, launch actions and attached files are found
wherever they are; the information dictionary and XMP metadata are dropped on rewriting.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.tickets.model import Cleaned, Reason

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject

log = logging.getLogger(__name__)

# --- Office packages ---------------------------------------------------------------------------

# A package that unpacks to more than this is a zip bomb, not a document.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# Valid and empty: what Office writes for a document nobody has described.
BLANK_PARTS = {
    "docProps/core.xml": (
        _XML_DECLARATION + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
        'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    ).encode(),
    "docProps/app.xml": (
        _XML_DECLARATION + '<Properties xmlns="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/extended-properties" xmlns:vt="{_VT}"/>'
    ).encode(),
    "docProps/custom.xml": (
        _XML_DECLARATION + '<Properties xmlns="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/custom-properties" xmlns:vt="{_VT}"/>'
    ).encode(),
}
_VALUE = rb"""("[^"]*"|'[^']*')"""


def _emptied(*attributes: str) -> re.Pattern[bytes]:
    names = "|".join(re.escape(a) for a in attributes).encode()
    return re.compile(rb"(\s(?:" + names + rb")=)" + _VALUE)


# Who wrote a comment or a tracked change, who shared a workbook, and the folder it was saved
# in (C:\Users\<name>\...), by the parts they live in; each becomes empty.
_PEOPLE: tuple[tuple[re.Pattern[str], re.Pattern[bytes], bytes], ...] = (
    (
        re.compile(r"word/[^/]+\.xml"),
        _emptied("w:author", "w:initials", "w15:author", "w15:userId", "w15:providerId"),
        rb'\1""',
    ),
    (
        re.compile(r"xl/comments(/[^/]+|[^/]*)\.xml"),
        re.compile(rb"<author>[^<]*</author>"),
        b"<author/>",
    ),
    (
        re.compile(r"xl/persons/[^/]+\.xml"),
        _emptied("displayName", "userId", "providerId"),
        rb'\1""',
    ),
    (re.compile(r"xl/(workbook\.xml|revisions/[^/]+\.xml)"), _emptied("userName"), rb'\1""'),
    (
        re.compile(r"xl/workbook\.xml"),
        re.compile(rb"(<x15ac:absPath\b[^>]*?\surl=)" + _VALUE),
        rb'\1""',
    ),
    (
        re.compile(r"ppt/(commentAuthors|authors)\.xml"),
        _emptied("name", "initials", "userId", "providerId"),
        rb'\1""',
    ),
)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry times say when and in which time zone


def clean_office(data: bytes) -> Cleaned | Reason:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                return Reason.CORRUPT
            return Cleaned(_rewritten(package, entries), complete=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return Reason.CORRUPT


def _rewritten(package: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as clean:
        for entry in entries:
            if entry.is_dir():
                continue
            target = zipfile.ZipInfo(entry.filename, _FIXED_TIME)
            target.compress_type = zipfile.ZIP_DEFLATED
            replacement = _replacement(package, entry.filename)
            if replacement is not None:
                clean.writestr(target, replacement)
                continue
            with package.open(entry) as source, clean.open(target, "w") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    return out.getvalue()


def _replacement(package: zipfile.ZipFile, name: str) -> bytes | None:
    """The part's new content, or None to copy it as it is."""
    if name in BLANK_PARTS:
        return BLANK_PARTS[name]
    rules = [(pattern, by) for part, pattern, by in _PEOPLE if part.fullmatch(name)]
    if not rules:
        return None
    content = package.read(name)
    for pattern, by in rules:
        content = pattern.sub(by, content)
    return content


# --- PDF ---------------------------------------------------------------------------------------

# Names that make a PDF do something when opened or clicked, or carry files inside it.
_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA", "/RichMediaContent"})
_SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute"})
_FILE_KEYS = frozenset({"/EmbeddedFile", "/EmbeddedFiles", "/EF"})
_FILE_ACTIONS = frozenset({"/GoToE", "/EmbeddedFile", "/FileAttachment"})
# Per-object metadata: XMP streams on pages and images, and editing applications' private data.
_METADATA_KEYS = ("/Metadata", "/PieceInfo")


def clean_pdf(data: bytes) -> Cleaned | Reason:
    # pypdf is imported with the first PDF: most processes never receive one.
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return Reason.ENCRYPTED  # nothing inside can be checked without the password
        refused = _dangerous(reader)
    except Exception as exc:  # a parser of hostile input may raise anything
        log.info("a PDF could not be read (%s)", type(exc).__name__)
        return Reason.CORRUPT
    return refused if refused is not None else _without_metadata(reader, data)


def _dangerous(reader: PdfReader) -> Reason | None:
    """Why the PDF is refused, looking at every object it holds, or None."""
    for dictionary in _dictionaries(reader):
        keys = set(dictionary)
        named = {_resolved(dictionary.get(k)) for k in ("/S", "/Type", "/Subtype")}
        if keys & _SCRIPT_KEYS or named & _SCRIPT_ACTIONS or "/RichMedia" in named:
            return Reason.MACROS
        if keys & _FILE_KEYS or named & _FILE_ACTIONS:
            return Reason.EMBEDDED_FILES
    return None


def _resolved(value: object) -> object:
    from pypdf.generic import IndirectObject

    return value.get_object() if isinstance(value, IndirectObject) else value


def _dictionaries(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every dictionary in the file: each object in the cross-reference tables (those inside
    compressed object streams too), the trailer, and the dictionaries nested in them. Metadata
    keys are dropped from each on the way, so a rewrite leaves them out."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    pending: list[object] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(n, generation, reader) for n in numbers]
    pending += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            item = item.get_object()  # a reference nested in a dictionary is visited by itself
        if isinstance(item, DictionaryObject):
            for key in _METADATA_KEYS:
                item.pop(key, None)
            yield item
            pending += [v for v in item.values() if not isinstance(v, IndirectObject)]
        elif isinstance(item, ArrayObject):
            pending += [v for v in item if not isinstance(v, IndirectObject)]


def _without_metadata(reader: PdfReader, original: bytes) -> Cleaned:
    from pypdf import PdfWriter

    try:
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # the information dictionary: author, creator, dates
        # The old information dictionary and XMP streams, now unreferenced, are left out.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:  # as in clean_pdf
        log.info("a PDF could not be rewritten (%s): kept as sent", type(exc).__name__)
        return Cleaned(original, complete=False)
    return Cleaned(out.getvalue(), complete=True)
