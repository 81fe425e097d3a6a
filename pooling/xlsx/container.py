"""The workbook as a zip package: pre-flight checks and the map of its parts.

An ``.xlsx`` file is a zip of XML parts (Office Open XML). Before any XML is parsed
we check the zip itself (:func:`preflight`): a finance team's workbook may come from
anywhere, and a zip bomb or an XML bomb must cost milliseconds, not gigabytes. Every
XML part we parse ourselves goes through ``defusedxml``; openpyxl is checked to do
the same (:func:`require_defusedxml`).

:class:`Package` then maps the parts: content types, relationships, and which part
holds which sheet. The reader uses it to find formulas without calculated values;
the writer uses it to add the result sheets beside the original parts without
rewriting them (``write.py``).
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import stat
import sys
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..errors import InputError

# Bounds on what we accept. Generous for real workbooks (the largest finance
# workbooks we have seen are tens of MB unpacked; the benchmark's 50,000 rows are 8.5 MB),
# tight enough that a bomb is refused before it is opened and that the largest file
# accepted is run within 300 MB (a 140 MB sheet took 520 MB just to validate).
MAX_PARTS = 10_000
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 48 * 1024 * 1024
MAX_FILE_BYTES = MAX_TOTAL_BYTES  # zipped, a package is never larger than unpacked
MAX_RATIO = 100  # uncompressed / compressed, for parts over RATIO_FLOOR bytes (real sheets: 5-30)
RATIO_FLOOR = 1024 * 1024

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_STYLES = NS_REL + "/styles"
REL_COMMENTS = NS_REL + "/comments"
REL_VML = NS_REL + "/vmlDrawing"

WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
}


class PackageError(InputError):
    """The file is not a workbook we can open safely; the message is one line."""


def require_defusedxml() -> None:
    """Fail closed unless the XML parser we use refuses entity declarations.

    Every XML part the tool parses goes through defusedxml (or expat with the same
    guards, in :func:`scan`); the cell values are read by calamine, whose parser does
    not expand entities, and any part that declares a DTD is refused before either
    sees it. This checks, once, that defusedxml really refuses an entity, and that
    openpyxl, if it is loaded, is set to use defusedxml too.
    """
    global _CHECKED
    if _CHECKED:
        return
    try:
        SafeET.fromstring('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    except Exception as exc:  # defusedxml.EntitiesForbidden, as it should
        if "Entit" not in type(exc).__name__:
            raise PackageError(
                f"the XML parser's guard against entities did not work ({exc}); refusing to read"
            ) from None
    else:
        raise PackageError(
            "the XML parser expanded an entity; refusing to read workbooks without protection against XML bombs"
        )
    openpyxl_xml = sys.modules.get("openpyxl.xml")
    if openpyxl_xml is not None and not openpyxl_xml.DEFUSEDXML:
        raise PackageError(
            "openpyxl is not using defusedxml (is OPENPYXL_DEFUSEDXML set to False?); "
            "refusing to read workbooks without protection against XML bombs"
        )
    _CHECKED = True


_CHECKED = False


def _sniff(head: bytes) -> str | None:
    """A one-line reason when the first bytes show the file is not an xlsx zip."""
    if not head:
        return "the file is empty"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "this is an old-style Excel .xls file (or a password-protected workbook); "
            "open it in Excel and save it as .xlsx"
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return None
    if head.lstrip().startswith((b"<?xml", b"<html", b"<HTML", b"<!DOCTYPE")):
        return "this is an XML or HTML file, not an Excel .xlsx workbook"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "this is not an Excel .xlsx workbook (it is not a zip package)"
    return "this is a text file (a CSV?) not an Excel .xlsx workbook; open it in Excel and save it as .xlsx"


def read_package_bytes(path: Path, written: bool = False) -> bytes:
    """The file's bytes, read once: every later reader and the audit hash use these."""
    path = Path(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            # A device or a pipe has no size to check and may never end (/dev/zero, a FIFO).
            raise PackageError("this is not a file but a device, a pipe or a socket; refused")
        size = status.st_size
        most = MAX_FILE_BYTES + (WRITTEN_EXTRA_BYTES if written else 0)
        if size > most:
            raise PackageError(f"the file is {size:,} bytes (more than {most:,}); refused")
        return path.read_bytes()
    except FileNotFoundError:
        raise PackageError("no such file") from None
    except IsADirectoryError:
        raise PackageError("this is a folder, not a workbook") from None
    except OSError as exc:
        raise PackageError(f"cannot read the file ({exc.strerror})") from None


# What a file pooling wrote may hold beyond the input limits above: the result sheets and
# notes it adds to an input that was just within them (so nothing accepted as input is
# refused as output). Written parts are not checked for their compression ratio: a
# repetitive sheet compresses well, and pooling wrote it.
WRITTEN_EXTRA_PARTS = 1_000
WRITTEN_EXTRA_BYTES = 100 * 1024 * 1024


def preflight(source: Path | bytes, written: bool = False) -> None:
    """Check the zip container before anything parses it; raise :class:`PackageError`.

    Refuses: a missing or empty file, a file that is not a zip (an ``.xls``, a CSV),
    a truncated zip, encrypted entries, paths that climb out of the package (``..``,
    absolute paths), too many parts, parts or a total too large unpacked, and parts
    that compress suspiciously well (zip bombs). Python's zipfile never returns more
    bytes than a part's declared size, so checking the declared sizes bounds the work
    of every later reader.
    """
    data = source if isinstance(source, bytes) else read_package_bytes(source)
    reason = _sniff(data[:512])
    if reason:
        raise PackageError(reason)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise PackageError("the workbook is damaged or truncated (not a complete zip package)") from None
    with archive:
        infos = archive.infolist()
        most_parts = MAX_PARTS + (WRITTEN_EXTRA_PARTS if written else 0)
        most_part_bytes = MAX_PART_BYTES + (WRITTEN_EXTRA_BYTES if written else 0)
        most_bytes = MAX_TOTAL_BYTES + (WRITTEN_EXTRA_BYTES if written else 0)
        if len(infos) > most_parts:
            raise PackageError(f"the package holds {len(infos):,} parts (more than {most_parts:,}); refused")
        total = packed = 0
        seen: set[str] = set()
        for info in infos:
            name = info.filename
            if part_key(name) in seen:
                raise PackageError(
                    f"part {name} appears twice in the package (under names that differ only in slashes, case or "
                    "Unicode form); refused"
                )
            seen.add(part_key(name))
            if "\\" in name:
                # Readers differ on such a name (some map it to a slash, some do not), so the
                # sheet solved could differ from the sheet shown.
                raise PackageError(
                    f"part name {name!r} uses backslashes, which zip packages for Excel may not; save the "
                    "workbook again from Excel or LibreOffice"
                )
            if info.flag_bits & 0x1:
                raise PackageError(f"part {name} is encrypted; remove the password in Excel and save again")
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise PackageError(f"part name {name!r} points outside the package; refused")
            if info.file_size > most_part_bytes:
                raise PackageError(
                    f"part {name} unpacks to {info.file_size:,} bytes (more than {most_part_bytes:,}); refused"
                )
            if not written and info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise PackageError(
                    f"part {name} compresses {info.file_size // max(info.compress_size, 1):,} to 1 "
                    "(a zip bomb?); refused"
                )
            total += info.file_size
            packed += info.compress_size
        # The ratio over the whole package, so that many small parts (each under the floor
        # of the check above) cannot inflate between them what one large part may not.
        if not written and total > RATIO_FLOOR and total > MAX_RATIO * max(packed, 1):
            raise PackageError(
                f"the package's parts compress {total // max(packed, 1):,} to 1 between them (a zip bomb?); refused"
            )
        if total > most_bytes:
            raise PackageError(f"the package unpacks to {total:,} bytes (more than {most_bytes:,}); refused")
        names = {info.filename for info in infos}
        if "xl/workbook.bin" in names:
            raise PackageError(
                "this is an Excel binary workbook (.xlsb); save it in Excel as an Excel Workbook (.xlsx)"
            )
        if "[Content_Types].xml" not in names:
            raise PackageError("this zip is not an Excel workbook (it has no [Content_Types].xml)")


_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<")


def _declares_dtd(data: bytes) -> bool:
    """Office never writes a DTD; one in a part is an attempt at an entity bomb.

    Every part that is XML is searched, whatever its name or case (``.XML``), in its own
    encoding: UTF-16 (by its byte-order mark or first character, as Excel and LibreOffice
    read it) hides the bytes of ``<!DOCTYPE`` from a byte search. The whole part is
    searched, not just its head, since a prolog can be padded with comments or
    whitespace. Outside comments and CDATA (which Office does not write) a literal ``<``
    cannot appear in XML text, so this never mistakes a cell's text for a DTD.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
        encoding = (
            "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le" if data[:1] == b"<" else "utf-16-be"
        )
        text = data.decode(encoding, errors="replace")
        return "<!DOCTYPE" in text or "<!ENTITY" in text
    if not _XML_START.match(data):
        return False  # not XML: an image, a VBA project
    return b"<!DOCTYPE" in data or b"<!ENTITY" in data


def part_key(name: str) -> str:
    """The name a part is known by however it is spelt in the zip: slash for backslash,
    one Unicode form, any case (Excel and LibreOffice resolve parts this way)."""
    return unicodedata.normalize("NFC", name.replace("\\", "/")).casefold()


@dataclass
class SheetPart:
    name: str  # as shown on the sheet tab
    part: str  # e.g. xl/worksheets/sheet1.xml
    rel_id: str
    sheet_id: int
    state: str = "visible"


@dataclass
class Package:
    """The parts of a workbook package and what they are, read without changing them."""

    path: Path
    parts: dict[str, bytes]  # part name -> bytes exactly as stored
    order: list[str]  # part names in zip order
    content_types: dict[str, str] = field(default_factory=dict)  # part -> content type
    workbook_part: str = "xl/workbook.xml"
    sheets: list[SheetPart] = field(default_factory=list)
    mode: int | None = None  # the file's permission bits
    dates: dict[str, tuple] = field(default_factory=dict)  # part -> zip date_time
    data: bytes = b""  # the file exactly as read
    sha256: str = ""  # of ``data``: the audit trail names the very bytes that were read

    @classmethod
    def open(cls, path: Path, written: bool = False) -> Package:
        """Read the file once, pre-flight it (``written``: a file pooling has just written,
        with the room its results need), then read every part as it is stored."""
        path = Path(path)
        data = read_package_bytes(path, written)
        preflight(data, written)
        package = cls.from_bytes(data, path)
        package.mode = stat.S_IMODE(path.stat().st_mode)
        return package

    @classmethod
    def from_bytes(cls, data: bytes, path: Path = Path("results.xlsx")) -> Package:
        """A package read from memory (the file's bytes, or a results workbook we made)."""
        package = cls.from_zip(io.BytesIO(data), path)
        package.data = data
        package.sha256 = hashlib.sha256(data).hexdigest()
        return package

    @classmethod
    def from_zip(cls, source, path: Path) -> Package:
        with zipfile.ZipFile(source) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            try:
                parts = {info.filename: archive.read(info) for info in infos}
            except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError, zlib.error) as exc:
                raise PackageError(f"the workbook is damaged ({exc})") from None
        for name, data in parts.items():
            if _declares_dtd(data):
                raise PackageError(f"part {name} declares a DTD or XML entities (an XML bomb?); refused")
        package = cls(path=path, parts=parts, order=[info.filename for info in infos])
        package.dates = {info.filename: info.date_time for info in infos}
        package._map()
        return package

    def xml(self, part: str):
        try:
            return SafeET.fromstring(self.parts[part])
        except KeyError:
            raise PackageError(f"the workbook has no part {part}") from None
        except SafeET.ParseError as exc:
            raise PackageError(f"part {part} is not well-formed XML ({exc})") from None
        except Exception as exc:  # defusedxml's EntitiesForbidden, DTDForbidden, ...
            raise PackageError(f"part {part} was refused: {type(exc).__name__}") from None

    def relationships(self, part: str) -> list[tuple[str, str, str, str]]:
        """(Id, Type, resolved target part, TargetMode) for each relationship of ``part``."""
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if rels_part not in self.parts:
            return []
        found = []
        for rel in self.xml(rels_part):
            target = rel.get("Target", "")
            mode = rel.get("TargetMode", "Internal")
            if mode != "External":
                target = resolve_target(folder, target)
            found.append((rel.get("Id", ""), rel.get("Type", ""), target, mode))
        return found

    def _map(self) -> None:
        types = self.xml("[Content_Types].xml")
        defaults = {}
        for node in types:
            tag = node.tag.rsplit("}", 1)[-1]
            if tag == "Default":
                defaults[node.get("Extension", "").lower()] = node.get("ContentType", "")
            elif tag == "Override":
                self.content_types[node.get("PartName", "").lstrip("/")] = node.get("ContentType", "")
        for name in self.order:
            if name not in self.content_types and not name.endswith("/"):
                self.content_types[name] = defaults.get(name.rsplit(".", 1)[-1].lower(), "")
        office = [t for _, kind, t, _ in self.relationships("") if kind == REL_OFFICE_DOCUMENT]
        if not office or office[0] not in self.parts:
            raise PackageError("this zip is not an Excel workbook (no workbook part)")
        self.workbook_part = office[0]
        if self.content_types.get(self.workbook_part) not in WORKBOOK_TYPES:
            raise PackageError(
                "this package is not an Excel workbook "
                f"({self.content_types.get(self.workbook_part) or 'unknown content type'})"
            )
        targets = {rid: target for rid, kind, target, _ in self.relationships(self.workbook_part)}
        workbook = self.xml(self.workbook_part)
        sheets = workbook.find(f"{{{NS_MAIN}}}sheets")
        for node in sheets if sheets is not None else []:
            rid = node.get(f"{{{NS_REL}}}id", "")
            self.sheets.append(
                SheetPart(
                    name=node.get("name", ""),
                    part=targets.get(rid, ""),
                    rel_id=rid,
                    sheet_id=int(node.get("sheetId", "0") or 0),
                    state=node.get("state", "visible"),
                )
            )
        for sheet in self.sheets:
            if sheet.part not in self.parts:
                where = targets.get(sheet.rel_id)
                raise PackageError(
                    f"the relationship of sheet {sheet.name} points to {where!r}, which is not a part of this package"
                    if where
                    else f"sheet {sheet.name} has no relationship to a part of this package"
                )

    @property
    def kind(self) -> str:
        """The file extension the workbook part's content type calls for (.xlsx, .xlsm...)."""
        return WORKBOOK_TYPES[self.content_types[self.workbook_part]]


def resolve_target(folder: str, target: str) -> str:
    """A relationship target as a part name (no leading slash)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


# -- locating elements in XML we must not re-serialise -----------------------------------


@dataclass(frozen=True)
class Tag:
    """One element of a scanned part: where its start and end tags lie in the bytes."""

    name: str  # qualified name as written, e.g. "x:sheets" or "sheets"
    depth: int  # 0 for the root
    start: int  # offset of '<' of the start tag
    start_end: int  # offset just after the start tag's '>'
    end: int  # offset of '<' of the end tag ('</x>'), or of '<' of an empty element
    close: int  # offset just after the whole element
    empty: bool  # written as <x/>

    @property
    def local(self) -> str:
        return self.name.rsplit(":", 1)[-1]

    @property
    def prefix(self) -> str:
        return self.name.rsplit(":", 1)[0] + ":" if ":" in self.name else ""


def _tag_end(xml: bytes, begin: int) -> int:
    """Offset just after the '>' closing the tag at ``begin`` ('>' may appear in quotes)."""
    quote = None
    for position in range(begin, len(xml)):
        char = xml[position]
        if quote:
            if char == quote:
                quote = None
        elif char in (0x22, 0x27):  # " or '
            quote = char
        elif char == 0x3E:  # >
            return position + 1
    raise PackageError("a part is not well-formed XML (unterminated tag)")


def _guarded_parser():
    """An expat parser that refuses DTDs, entity declarations and external entities,
    the guards of defusedxml."""
    parser = expat.ParserCreate()

    def forbid_dtd(name, sysid, pubid, has_internal_subset):
        raise DTDForbidden(name, sysid, pubid)

    def forbid_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def forbid_external(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = forbid_dtd
    parser.EntityDeclHandler = forbid_entity
    parser.UnparsedEntityDeclHandler = lambda *args: forbid_entity(args[0], False, None, *args[1:])
    parser.ExternalEntityRefHandler = forbid_external
    return parser


def _parse_guarded(parser, xml: bytes, part: str = "a part") -> None:
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise PackageError(f"{part} is not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise PackageError(f"{part} was refused: {type(exc).__name__}") from None


def check_well_formed(xml: bytes, part: str) -> None:
    """Raise :class:`PackageError` unless ``xml`` parses end to end (no tree is built:
    a result sheet can be tens of megabytes)."""
    _parse_guarded(_guarded_parser(), xml, f"part {part}")


def scan(xml: bytes, max_depth: int = 1) -> list[Tag]:
    """Elements down to ``max_depth`` with their byte offsets, parsed with the guards of
    defusedxml (no DTDs, no entity declarations, no external entities).

    Used to insert into parts that must otherwise stay byte for byte as they were:
    parsing and re-serialising them would rename namespace prefixes that
    ``mc:Ignorable`` refers to, and reorder attributes.
    """
    parser = _guarded_parser()
    stack: list[list] = []
    found: list[Tag] = []

    def start(name, attributes):
        begin = parser.CurrentByteIndex
        stack.append([name, len(stack), begin])

    def end(name):
        name, depth, begin = stack.pop()
        position = parser.CurrentByteIndex
        if depth > max_depth:
            return
        start_end = _tag_end(xml, begin)
        empty = xml[start_end - 2 : start_end] == b"/>"
        close = start_end if empty else xml.index(b">", position) + 1
        found.append(Tag(name, depth, begin, start_end, begin if empty else position, close, empty))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse_guarded(parser, xml)
    found.sort(key=lambda tag: tag.start)
    return found


class Splices:
    """Insertions and replacements into one part's bytes, applied back to front."""

    def __init__(self, data: bytes):
        self.data = data
        self.edits: list[tuple[int, int, bytes]] = []

    def insert(self, at: int, text: bytes) -> None:
        self.edits.append((at, at, text))

    def replace(self, start: int, stop: int, text: bytes) -> None:
        self.edits.append((start, stop, text))

    def apply(self) -> bytes:
        data = self.data
        for start, stop, text in sorted(self.edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
            data = data[:start] + text + data[stop:]
        return data


def child_tags(xml: bytes) -> tuple[object, list]:
    tags = scan(xml, max_depth=1)
    root = next(tag for tag in tags if tag.depth == 0)
    return root, [tag for tag in tags if tag.depth == 1]


def set_count(splices: Splices, xml: bytes, tag, count: int) -> None:
    """Rewrite (or add) the count attribute of an element's start tag."""
    start_tag = xml[tag.start : tag.start_end]
    if re.search(rb'\scount="\d*"', start_tag):
        new = re.sub(rb'(\scount=")\d*(")', rb"\g<1>" + str(count).encode() + rb"\g<2>", start_tag, count=1)
    else:
        cut = len(start_tag) - (2 if tag.empty else 1)
        new = start_tag[:cut] + f' count="{count}"'.encode() + start_tag[cut:]
    splices.replace(tag.start, tag.start_end, new)
