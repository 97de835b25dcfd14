"""Documents sent as evidence: Office files and PDFs rewritten without who made them.

Office files (docx, xlsx, pptx) are zip packages: the document properties (author, last editor,
company, manager, custom fields, sensitivity labels) become blank but valid parts, the authors
of comments and tracked changes become empty, links to files on the sender's computer lose their
paths, document-library data in ``customXml`` becomes empty, and pictures are re-encoded as
photos are (:mod:`bot.tickets.images`), each in its own format so the document still shows
them. The workbook behind a chart is cleaned the same way; any other embedded object (OLE, which
can be a program) is refused. A part that may carry metadata but cannot be rewritten here (EMF
and WMF drawings, SVG, printer settings) is kept, and the file is marked as not cleaned.

PDFs are read with pypdf, which undoes name escapes (``/J#61vaScript``) and opens compressed
object streams, so scripts, launch actions and attached files are found wherever they are; the
information dictionary and XMP metadata are dropped on rewriting, and JPEG images lose their
metadata segments. Other images keep only their samples, except JPEG 2000 and JBIG2 ones (and
coded images inside page contents): those may carry metadata, and the file is marked as not
cleaned.
"""

from __future__ import annotations

import html
import io
import logging
import re
import shutil
import zipfile
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING

from bot.tickets.images import decoding_cost, image_format, jpeg_without_metadata, reencode_image
from bot.tickets.model import Cleaned, Reason
from bot.tickets.settings import EvidenceSettings

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, StreamObject

log = logging.getLogger(__name__)

# --- Office packages ---------------------------------------------------------------------------

# A package that unpacks to more than this is a zip bomb, not a document.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE objects, ActiveX controls, old .doc/.xls
ZIP = b"PK\x03\x04"
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
    # Sensitivity labels: the organisation's tenant and site ids.
    "docMetadata/LabelInfo.xml": (
        _XML_DECLARATION + '<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/'
        '2020/mipLabelMetadata"/>'
    ).encode(),
}
_VALUE = rb"""("[^"]*"|'[^']*')"""


def _emptied(*attributes: str) -> re.Pattern[bytes]:
    names = "|".join(re.escape(a) for a in attributes).encode()
    return re.compile(rb"(\s(?:" + names + rb")=)" + _VALUE)


# A link to a file on the sender's computer or network (an attached template, a mail-merge
# source, another workbook, a hyperlink to a file) names their folders: C:\Users\<name>\...
# Only links to the web and to mail addresses keep their target.
_NOT_WEB = re.compile(rb"""(\sTarget=)(?!["'](?:https?|mailto):)""" + _VALUE, re.IGNORECASE)
_EXTERNAL = re.compile(rb"""\sTargetMode=(["'])External\1""")


def _local_path(relationship: re.Match[bytes]) -> bytes:
    """The relationship with an empty target if it points to a file outside the package."""
    element = relationship.group()
    if not _EXTERNAL.search(element):
        return element  # a part of the package, which may be named from its root ("/word/...")
    return _NOT_WEB.sub(rb'\1""', element)


_Replacement = bytes | Callable[[re.Match[bytes]], bytes]
# Who wrote a comment or a tracked change, who shared a workbook, and the folder it was saved
# in (C:\Users\<name>\...), by the parts they live in; each becomes empty.
_PEOPLE: tuple[tuple[re.Pattern[str], re.Pattern[bytes], _Replacement], ...] = (
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
    (re.compile(r"(.*/)?_rels/[^/]*\.rels"), re.compile(rb"<Relationship\b[^>]*>"), _local_path),
)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry times say when and in which time zone


# Where packages keep embedded objects, document-library data and fonts (names lowercased).
_EMBEDDED = re.compile(r"(.*/)?embeddings/.*")
_CUSTOM_XML = re.compile(r"customxml/[^/]+\.xml")
_ITEM_PROPERTIES = re.compile(r"customxml/itemprops\d*\.xml")
_MARKUP = (".xml", ".rels", ".vml")  # the document itself, with the rules above applied
_FONTS = (".odttf", ".fntdata", ".ttf", ".otf")  # they name the font's maker only
# A package inside a package is cleaned; one inside that is refused.
_EMBEDDING_DEPTH = 1


def package_refusal(names: Collection[str]) -> Reason | None:
    """Why a zip file is refused from the names inside it alone, or None for an Office file."""
    lowered = {n.lower() for n in names}
    if "classes.dex" in lowered or "androidmanifest.xml" in lowered:
        return Reason.EXECUTABLE  # an Android app
    if any(n.endswith(".class") for n in lowered):
        return Reason.EXECUTABLE  # a Java archive
    if "[Content_Types].xml" not in names:
        return Reason.ARCHIVE
    if any(n.endswith("vbaproject.bin") for n in lowered):
        return Reason.MACROS
    return None


def clean_office(data: bytes, settings: EvidenceSettings) -> Cleaned | Reason:
    return _clean_package(data, settings, depth=0)


def embedded_images_cost(data: bytes, settings: EvidenceSettings, depth: int = 0) -> int:
    """Bytes the largest picture in an Office package takes to decode, read from headers (the
    pictures are cleaned one after the other); 0 for a package that is refused unopened."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                return 0
            costs = [0]
            for entry in entries:
                head = _head(package, entry)
                if (fmt := image_format(head)) is not None:
                    costs.append(decoding_cost(package.read(entry), fmt, fmt, settings))
                elif head.startswith(ZIP) and depth < _EMBEDDING_DEPTH:
                    costs.append(embedded_images_cost(package.read(entry), settings, depth + 1))
            return max(costs)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return 0


def _clean_package(data: bytes, settings: EvidenceSettings, depth: int) -> Cleaned | Reason:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                return Reason.CORRUPT
            refused = package_refusal(package.namelist())
            if refused is not None:
                return refused
            return _rewritten(package, entries, settings, depth)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return Reason.CORRUPT


def _rewritten(
    package: zipfile.ZipFile, entries: list[zipfile.ZipInfo], settings: EvidenceSettings, depth: int
) -> Cleaned | Reason:
    out = io.BytesIO()
    complete = True
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as clean:
        for entry in entries:
            if entry.is_dir():
                continue
            target = zipfile.ZipInfo(entry.filename, _FIXED_TIME)
            target.compress_type = zipfile.ZIP_DEFLATED
            part = _cleaned_part(package, entry, settings, depth)
            if isinstance(part, Reason):
                return part
            if part is not None:
                clean.writestr(target, part.data)
                complete &= part.complete
                continue
            with package.open(entry) as source, clean.open(target, "w") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    return Cleaned(out.getvalue(), complete=complete)


def _cleaned_part(
    package: zipfile.ZipFile, entry: zipfile.ZipInfo, settings: EvidenceSettings, depth: int
) -> Cleaned | Reason | None:
    """The part's new content, why the file is refused, or None to copy it as it is."""
    name, lowered = entry.filename, entry.filename.lower()
    if name in BLANK_PARTS:
        return Cleaned(BLANK_PARTS[name], complete=True)
    head = _head(package, entry)
    if head.startswith(OLE2):
        return Reason.EMBEDDED_FILES  # an OLE object can be anything, a program too
    if _EMBEDDED.fullmatch(lowered):
        return _embedded_package(package.read(entry), settings, depth)
    if (fmt := image_format(head)) is not None:
        return _picture(package.read(entry), fmt, settings)
    if _CUSTOM_XML.fullmatch(lowered):
        return _blank_custom_xml(package.read(entry), lowered)
    if lowered.endswith(_MARKUP):
        return _without_people(package, name)
    if lowered.endswith(_FONTS):
        return None
    # EMF, WMF and SVG drawings (titles, authors, file paths), HD Photos, printer settings
    # (the printer's name) and anything else: not understood here, so not cleaned.
    return Cleaned(package.read(entry), complete=False)


def _head(package: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    with package.open(entry) as part:
        return part.read(16)


def _without_people(package: zipfile.ZipFile, name: str) -> Cleaned | None:
    rules = [(pattern, by) for part, pattern, by in _PEOPLE if part.fullmatch(name)]
    if not rules:
        return None
    content = package.read(name)
    for pattern, by in rules:
        content = pattern.sub(by, content)
    return Cleaned(content, complete=True)


def _picture(data: bytes, fmt: str, settings: EvidenceSettings) -> Cleaned:
    """A picture re-encoded in its own format (the package names it by its extension); one that
    cannot be decoded is kept as it is."""
    image = reencode_image(data, fmt, fmt, settings)
    return Cleaned(data, complete=False) if isinstance(image, Reason) else Cleaned(image, True)


def _embedded_package(data: bytes, settings: EvidenceSettings, depth: int) -> Cleaned | Reason:
    """The workbook behind a chart, a document in a slide: cleaned as the file itself is. Any
    other embedded file is refused, as files attached to PDFs are."""
    if depth >= _EMBEDDING_DEPTH or not data.startswith(ZIP):
        return Reason.EMBEDDED_FILES
    cleaned = _clean_package(data, settings, depth + 1)
    if cleaned == Reason.ARCHIVE:
        return Reason.EMBEDDED_FILES  # a zip, but no Office file
    if cleaned == Reason.CORRUPT:
        return Cleaned(data, complete=False)  # the document shows the chart it drew last
    return cleaned


# customXml: what document libraries (SharePoint) know of the file (author, document ids, the
# site's address), cover-page fields and bibliography sources. Each item becomes its root
# element, empty; an item's properties keep only the item's id, which bound fields refer to.
_DATASTORE = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
_GUID = re.compile(r"\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}")


def _blank_custom_xml(data: bytes, lowered_name: str) -> Cleaned:
    root = _root_element(data)
    if root is None:
        return Cleaned(data, complete=False)  # not XML: nobody can say what it holds
    tag, attributes = root
    if _ITEM_PROPERTIES.fullmatch(lowered_name):
        item_id = attributes.get(f"{{{_DATASTORE}}}itemID", "")
        if tag != f"{{{_DATASTORE}}}datastoreItem" or not _GUID.fullmatch(item_id):
            return Cleaned(data, complete=False)
        blank = (
            f'<ds:datastoreItem ds:itemID="{item_id}" xmlns:ds="{_DATASTORE}">'
            "<ds:schemaRefs/></ds:datastoreItem>"
        )
    else:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        xmlns = f' xmlns="{html.escape(namespace)}"' if namespace else ""
        blank = f"<{local}{xmlns}/>"
    return Cleaned((_XML_DECLARATION + blank).encode(), complete=True)


def _root_element(data: bytes) -> tuple[str, dict[str, str]] | None:
    """The root element's name ({namespace}local) and attributes, read no further than it.
    Expat (2.4 and later) refuses entity expansion bombs, and ElementTree never fetches
    external entities."""
    from xml.etree.ElementTree import Element, ParseError, XMLPullParser

    parser: XMLPullParser[Element] = XMLPullParser(events=("start",))
    try:
        for at in range(0, len(data), 4096):
            parser.feed(data[at : at + 4096])
            for event in parser.read_events():
                if isinstance(element := event[-1], Element):
                    return element.tag, dict(element.attrib)
    except ParseError:
        return None
    return None


# --- PDF ---------------------------------------------------------------------------------------

# Names that make a PDF do something when opened or clicked, or carry files inside it.
_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA", "/RichMediaContent"})
_SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute"})
_FILE_KEYS = frozenset({"/EmbeddedFile", "/EmbeddedFiles", "/EF"})
_FILE_ACTIONS = frozenset({"/GoToE", "/EmbeddedFile", "/FileAttachment"})
# Per-object metadata: XMP streams on pages and images, and editing applications' private data.
_METADATA_KEYS = ("/Metadata", "/PieceInfo")
# Filters that leave an image as its samples alone: nothing in it but pixels.
_SAMPLE_FILTERS = frozenset(
    {
        "/FlateDecode",
        "/LZWDecode",
        "/RunLengthDecode",
        "/ASCIIHexDecode",
        "/ASCII85Decode",
        "/CCITTFaxDecode",
    }
)
_JPEG, _FLATE_JPEG = ["/DCTDecode"], ["/FlateDecode", "/DCTDecode"]
# An image inside page contents coded as JPEG, JPEG 2000 or JBIG2: files of their own, with room
# for metadata, that are not rewritten here.
_CODED_INLINE_IMAGE = re.compile(rb"/(?:DCT|JPX|JBIG2)(?:Decode)?(?![^\s/\[\]<>(){}%])")
_STRUCTURE = frozenset({"/XRef", "/ObjStm"})  # streams pypdf has already read as the file's


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
        images_cleaned = _images_cleaned(reader)
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # the information dictionary: author, creator, dates
        # The old information dictionary and XMP streams, now unreferenced, are left out.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except Exception as exc:  # as in clean_pdf
        log.info("a PDF could not be rewritten (%s): kept as sent", type(exc).__name__)
        return Cleaned(original, complete=False)
    return Cleaned(out.getvalue(), complete=images_cleaned)


def _images_cleaned(reader: PdfReader) -> bool:
    """Strip the metadata segments from every JPEG image, before the file is copied; False if
    an image is left that may carry metadata (JPEG 2000, JBIG2, a JPEG that cannot be walked,
    a coded image inside page contents) or a stream cannot be read to tell."""
    from pypdf.generic import StreamObject

    complete = True
    for dictionary in _dictionaries(reader):
        if isinstance(dictionary, StreamObject):
            complete &= _stream_cleaned(dictionary)  # every JPEG is stripped, whatever the rest
    return complete


def _stream_cleaned(stream: StreamObject) -> bool:
    """Whether the stream is an image, or holds images, whose metadata is gone."""
    filters = _filters(stream)
    if filters is None:
        return False
    if "/DCTDecode" in filters:
        return _jpeg_stripped(stream, filters)
    if _resolved(stream.get("/Subtype")) == "/Image":
        return set(filters) <= _SAMPLE_FILTERS
    if _resolved(stream.get("/Type")) in _STRUCTURE:
        return True
    from pypdf.filters import decode_stream_data
    from pypdf.generic import StreamObject

    try:
        # Decoded and let go (get_data() would keep every stream); pypdf's decoder takes no
        # stream without filters.
        content = decode_stream_data(stream) if filters else StreamObject.get_data(stream)
    except Exception:  # as in clean_pdf
        return False
    return _CODED_INLINE_IMAGE.search(content) is None


def _filters(stream: StreamObject) -> list[str] | None:
    """The names of the stream's filters, in order; None if they are not names."""
    from pypdf.generic import ArrayObject, NameObject

    value = _resolved(stream.get("/Filter"))
    values = [_resolved(v) for v in value] if isinstance(value, ArrayObject) else [value]
    if values == [None]:
        return []
    names = [str(v) for v in values if isinstance(v, NameObject)]
    return names if len(names) == len(values) else None


def _jpeg_stripped(stream: StreamObject, filters: list[str]) -> bool:
    """A JPEG image stream (DCTDecode data is a JPEG file) rewritten without its metadata
    segments; False if it is coded in a way not handled here or its segments do not add up."""
    from pypdf.filters import FlateDecode
    from pypdf.generic import StreamObject

    compressed = filters == _FLATE_JPEG
    if not (filters == _JPEG or (compressed and not _has_parameters(stream))):
        return False
    # The stored bytes, read and written through StreamObject: an EncodedStreamObject would
    # decode them (and keep a copy) and only takes new data for FlateDecode alone.
    stored = StreamObject.get_data(stream)
    try:
        stripped = jpeg_without_metadata(FlateDecode.decode(stored) if compressed else stored)
    except Exception:  # as in clean_pdf
        return False
    if stripped is None:
        return False
    StreamObject.set_data(stream, FlateDecode.encode(stripped) if compressed else stripped)
    return True


def _has_parameters(stream: StreamObject) -> bool:
    """Whether the first filter (FlateDecode, before DCTDecode) has parameters (a predictor)."""
    from pypdf.generic import ArrayObject, is_null_or_none

    parameters = _resolved(stream.get("/DecodeParms"))
    if isinstance(parameters, ArrayObject):
        parameters = _resolved(parameters[0]) if parameters else None
    return not is_null_or_none(parameters) and bool(parameters)
