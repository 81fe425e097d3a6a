"""A corpus of hostile files and of rich workbooks, built by code for tests.

No binary is checked in: every file is written on demand into a folder the test
gives (usually ``tmp_path``), and the whole corpus builds in a few seconds with
little memory (the big parts are streamed in chunks, never held whole).

``hostile_files(folder)``
    Files that a careless reader would choke on: XML entity bombs, zip bombs,
    zip headers that lie, encrypted or truncated zips, other formats named
    ``.xlsx``, path traversal, too many parts, a Word document. The tool must
    refuse each one cleanly (a message, exit status 1), quickly and in bounded
    memory: never crash, hang, expand an entity or write outside its folder.

``rich_workbooks(folder, sheets)``
    Valid contract workbooks that also carry what finance teams add in Excel:
    charts, images, text boxes, 2010-style data validation and data bars,
    sparklines, slicers, custom XML, sensitivity labels, formatted comments and
    macros. The tool must read through them and keep them intact in the
    annotated copy. ``differences(path, sheets)`` checks the contract sheets
    still read back as given.

``example_like_sheets()``
    A small valid contract workbook's sheets to build the rich workbooks from.

Numbers are written by XlsxWriter, which keeps 16 significant digits: a float
that needs 17 (``0.1 + 0.2``) reads back rounded.
"""

from __future__ import annotations

import csv
import io
import itertools
import posixpath
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import xlsxwriter
from xlsxwriter.utility import xl_range, xl_range_abs

from pooling.schema import PARTNER_TYPES

from .helpers import place_sheets

MB = 1 << 20
#: Size of each streamed bomb part (uncompressed).
BIG = 100 * MB
#: The signature of an OLE2 compound file (legacy .xls, vbaProject.bin).
OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
EMPTY_RELS = (
    XML_DECLARATION
    + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
)
SHARED_STRINGS = "xl/sharedStrings.xml"
WORKBOOK = "xl/workbook.xml"


# --------------------------------------------------------------------------------------
# An OPC package in memory
# --------------------------------------------------------------------------------------


class Package:
    """An OPC package (a zip of parts) held as part name -> content, to add or replace
    parts that XlsxWriter cannot write.

    A content is bytes, or an iterable of byte chunks that ``save`` streams into the
    zip (zip64, chunk by chunk) so that a 100 MB part is never held in memory.
    """

    def __init__(self, parts: dict[str, bytes | Iterable[bytes]] | None = None):
        self.parts: dict[str, bytes | Iterable[bytes]] = dict(parts or {})

    @classmethod
    def read(cls, data: bytes) -> Package:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return cls({info.filename: archive.read(info) for info in archive.infolist()})

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def put(self, name: str, content: str | bytes | Iterable[bytes]) -> None:
        self.parts[name] = content.encode("utf-8") if isinstance(content, str) else content

    def save(self, target: Path | io.BytesIO) -> Path | io.BytesIO:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, content in self.parts.items():
                if isinstance(content, bytes):
                    archive.writestr(name, content)
                else:
                    with archive.open(name, "w", force_zip64=True) as out:
                        for chunk in content:
                            out.write(chunk)
        return target

    def to_bytes(self) -> bytes:
        return self.save(io.BytesIO()).getvalue()

    def override(self, part: str, content_type: str) -> None:
        """Declare the content type of one part (``/xl/...``) in [Content_Types].xml."""
        self._content_type(f'<Override PartName="{part}" ContentType="{content_type}"/>')

    def default(self, extension: str, content_type: str) -> None:
        """Declare the content type of every part named ``*.extension``."""
        self._content_type(f'<Default Extension="{extension}" ContentType="{content_type}"/>')

    def _content_type(self, entry: str) -> None:
        self.put("[Content_Types].xml", _insert_before(self.text("[Content_Types].xml"), "</Types>", entry))

    def relate(self, source: str, rel_type: str, target: str) -> str:
        """Add a relationship from part ``source`` ('' for the package root) to ``target``
        (relative to source's folder), creating the .rels part if needed; return its Id."""
        folder, base = posixpath.split(source)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        xml = self.text(rels) if rels in self.parts else EMPTY_RELS
        taken = [int(n) for n in re.findall(r'Id="rId(\d+)"', xml)]
        rid = f"rId{max(taken, default=0) + 1}"
        entry = f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/>'
        self.put(rels, _insert_before(xml, "</Relationships>", entry))
        return rid

    def sheet_part(self, sheet: str) -> str:
        """The part name of the worksheet called ``sheet`` (through the workbook's relationships)."""
        book = ElementTree.fromstring(self.parts[WORKBOOK])
        rid = next(s.get(f"{{{REL}}}id") for s in book.iter(f"{{{MAIN}}}sheet") if s.get("name") == sheet)
        rels = ElementTree.fromstring(self.parts["xl/_rels/workbook.xml.rels"])
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        return posixpath.normpath(posixpath.join("xl", target))

    def add_ext(self, part: str, ext: str) -> None:
        """Append an ``<ext>`` to the root's ``<extLst>``, creating it as the root's last child."""
        xml = self.text(part)
        if "</extLst>" in xml:
            xml = _insert_before(xml, "</extLst>", ext)
        else:
            xml = _insert_before(xml, "</", f"<extLst>{ext}</extLst>")
        self.put(part, xml)

    def define_name(self, name: str, value: str) -> None:
        """Add a workbook-level defined name; ``value`` is XML text (it may hold entity references)."""
        xml = self.text(WORKBOOK)
        entry = f'<definedName name="{name}">{value}</definedName>'
        if "</definedNames>" in xml:
            xml = _insert_before(xml, "</definedNames>", entry)
        else:
            xml = xml.replace("</sheets>", f"</sheets><definedNames>{entry}</definedNames>", 1)
        self.put(WORKBOOK, xml)


def _insert_before(xml: str, marker: str, text: str) -> str:
    """Insert ``text`` before the last ``marker``."""
    at = xml.rindex(marker)
    return xml[:at] + text + xml[at:]


def _repeat(unit: bytes, count: int) -> Iterator[bytes]:
    """``unit`` repeated ``count`` times, as chunks of about 1 MB (or one unit, if bigger)."""
    per_chunk = max(1, MB // len(unit))
    chunk = unit * per_chunk
    full, rest = divmod(count, per_chunk)
    yield from itertools.repeat(chunk, full)
    if rest:
        yield unit * rest


def _splice(xml: bytes, marker: bytes, middle: Iterable[bytes]) -> Iterator[bytes]:
    """``xml`` with the chunks of ``middle`` streamed in before its last ``marker``."""
    at = xml.rindex(marker)
    yield xml[:at]
    yield from middle
    yield xml[at:]


def _fake_cfb(size: int = 4096) -> bytes:
    """An OLE2 compound-file signature followed by junk: looks like an .xls or a vbaProject.bin."""
    junk = bytes(range(256)) * (size // 256 + 1)
    return (OLE2_SIGNATURE + junk)[:size]


def _png(width: int = 16, height: int = 16) -> bytes:
    """A small RGB gradient PNG, built with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------------------
# Contract workbooks written with XlsxWriter
# --------------------------------------------------------------------------------------


def example_like_sheets() -> dict[str, list[list]]:
    """A small valid contract workbook: three partners, streams with council tax and a
    grant ring-fenced to one programme, a pooled programme with a Max, outcomes with
    targets, a two-segment effect and savings to a partner who does not pay."""
    return place_sheets(
        partners=[("CC", "council", 0.1, 0.5), ("POL", "police", 0, 0.3), ("NHS", "health", None, None)],
        funding=[
            ("CT-CC", "CC", "council tax", 1200, "yes", None),
            ("RSG-CC", "CC", "grant", 800, "yes", None),
            ("CORE-POL", "POL", "grant", 900, "yes", None),
            ("DAT-POL", "POL", "grant", 150, "no", "DRUGS"),
            ("CCG", "NHS", "grant", 1500, "yes", None),
        ],
        programmes=[
            ("ASC", "CC", "no", 1000, 600, None),
            ("POLICE", "POL", "no", 850, 700, None),
            ("DRUGS", "POL", "no", 150, 0, None),
            ("ACUTE", "NHS", "no", 1400, 1000, None),
            ("PREVENT", "CC", "yes", 100, 0, 600),
        ],
        outcomes=[("ADMIT", 2000, 40, None), ("CRIME", 5000, 30, 8000)],
        effects=[
            ("PREVENT", "ADMIT", 300, 200),
            ("PREVENT", "ADMIT", 100, None),
            ("ASC", "ADMIT", 20, None),
            ("DRUGS", "CRIME", 150, None),
            ("POLICE", "CRIME", 25, None),
        ],
        savings=[("ADMIT", "NHS", 1800, 60, 1), ("CRIME", "POL", 900, None, 2)],
        years=4,
        units="£000",
        discount_rate=0.035,
    )


@dataclass
class _Book:
    """A contract workbook being built: the rows given and, while XlsxWriter is open,
    its workbook and worksheets. Feature steps find sheets and columns through it."""

    sheets: dict[str, list[list]]
    workbook: xlsxwriter.Workbook
    worksheets: dict

    def name(self, sheet: str) -> str:
        """The given name of a contract sheet (matched case-insensitively, as the contract does)."""
        return next(n for n in self.sheets if n.strip().lower() == sheet.lower())

    def column(self, sheet: str, header: str) -> int:
        """The 0-based index of a column, by its header."""
        return next(
            i for i, h in enumerate(self.sheets[self.name(sheet)][0]) if str(h).strip().lower() == header.lower()
        )

    def last_row(self, sheet: str) -> int:
        """The 0-based index of the sheet's last row."""
        return len(self.sheets[self.name(sheet)]) - 1

    def width(self, sheet: str) -> int:
        """The number of columns the sheet's rows use (so ``width`` is the first free column)."""
        return max(len(row) for row in self.sheets[self.name(sheet)])

    def worksheet(self, sheet: str):
        return self.worksheets[self.name(sheet)]

    def column_range(self, sheet: str, header: str) -> str:
        """The data cells of one column, e.g. ``D2:D6``."""
        col = self.column(sheet, header)
        return xl_range(1, col, self.last_row(sheet), col)


def _write_cell(worksheet, row: int, col: int, value) -> None:
    """Write one value with its own type: text stays text (no formula or URL guessing)."""
    if value is None:
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        worksheet.write_number(row, col, value)
    else:
        worksheet.write_string(row, col, str(value))


def _contract_workbook(sheets: dict[str, list[list]], features: Iterable[_Feature] = ()) -> bytes:
    """The sheets written with XlsxWriter, with each feature's XlsxWriter step, then its
    zip step, applied; returns the .xlsx (or .xlsm) bytes."""
    features = list(features)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    book = _Book(sheets, workbook, {})
    for name, rows in sheets.items():
        worksheet = book.worksheets[name] = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                _write_cell(worksheet, r, c, value)
    for feature in features:
        if feature.draw:
            feature.draw(book)
    workbook.close()
    if not any(feature.patch for feature in features):
        return out.getvalue()
    package = Package.read(out.getvalue())
    for feature in features:
        if feature.patch:
            feature.patch(package, book)
    return package.to_bytes()


def differences(path: Path, sheets: dict[str, list[list]]) -> list[str]:
    """How the sheets read back from ``path`` (openpyxl, read-only) differ from the
    rows given, ignoring trailing blanks; empty when they are the same."""

    def trim(rows: Iterable[Iterable]) -> list[list]:
        rows = [list(row) for row in rows]
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    with warnings.catch_warnings():  # openpyxl warns of each x14 extension it skips
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            found = {name: trim(book[name].iter_rows(values_only=True)) for name in sheets if name in book.sheetnames}
        finally:
            book.close()
    return [
        f"{name}: {'missing' if name not in found else f'read {found[name]!r}, wrote {trim(rows)!r}'}"
        for name, rows in sheets.items()
        if found.get(name) != trim(rows)
    ]


# --------------------------------------------------------------------------------------
# Hostile files
# --------------------------------------------------------------------------------------


def _billion_laughs(root: str) -> str:
    """A DTD whose entity ``lol9`` expands, through nine levels of ten references, to
    10**9 copies of "lol" (3 GB)."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return f"<!DOCTYPE {root} [\n" + "\n".join(entities) + "\n]>\n"


def _with_doctype(xml: bytes, doctype: str) -> bytes:
    """``xml`` with a DOCTYPE inserted right after its XML declaration."""
    end = xml.index(b"?>") + 2
    return xml[:end] + b"\n" + doctype.encode() + xml[end:].lstrip()


def _add_shared_string(package: Package, doctype: str, text: Iterable[bytes]) -> None:
    """Append one ``<si><t>`` (streamed from ``text``) to the shared strings, after the
    workbook's own, with ``doctype`` (may be '') in front and the counts kept right."""
    sst = re.sub(
        rb'(count|uniqueCount)="(\d+)"', lambda m: b'%s="%d"' % (m[1], int(m[2]) + 1), package.parts[SHARED_STRINGS]
    )
    si = itertools.chain([b"<si><t>"], text, [b"</t></si>"])
    package.put(SHARED_STRINGS, _splice(_with_doctype(sst, doctype) if doctype else sst, b"</sst>", si))


def _billion_laughs_sharedstrings(base: bytes, path: Path) -> None:
    """The shared strings carry a billion-laughs DTD and a string ``&lol9;``: an XML
    parser that expands entities builds 3 GB from a 1 KB part."""
    package = Package.read(base)
    _add_shared_string(package, _billion_laughs("sst"), [b"&lol9;"])
    package.save(path)


def _utf16_laughs(base: bytes, path: Path) -> None:
    """The shared strings as UTF-16 (as Excel and LibreOffice read it) carrying a
    billion-laughs DTD: a byte search for ``<!DOCTYPE`` finds nothing in UTF-16."""
    package = Package.read(base)
    _add_shared_string(package, _billion_laughs("sst"), [b"&lol9;"])
    xml = b"".join(package.parts[SHARED_STRINGS]).replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    package.put(SHARED_STRINGS, b"\xff\xfe" + xml.decode("utf-8").encode("utf-16-le"))
    package.save(path)


def _upper_case_part_laughs(base: bytes, path: Path) -> None:
    """A billion-laughs DTD in an extra XML part named in capitals (``.XML``)."""
    package = Package.read(base)
    package.put("customXml/ITEM1.XML", _billion_laughs("root") + "<root>&lol9;</root>")
    package.save(path)


def _backslash_twin(base: bytes, path: Path) -> None:
    """The Funding sheet twice: ``xl/worksheets/sheetN.xml`` and a ``xl\\worksheets\\sheetN.xml``
    whose Base figures are five times larger. A reader that maps backslashes to slashes
    and one that does not solve different sheets."""
    package = Package.read(base)
    part = package.sheet_part("Funding")
    package.parts[part.replace("/", "\\")] = package.parts[part].replace(b"<v>1", b"<v>5")
    package.save(path)


def _billion_laughs_workbook(base: bytes, path: Path) -> None:
    """xl/workbook.xml carries a billion-laughs DTD and a defined name worth ``&lol9;``:
    the bomb goes off as soon as the workbook part is parsed, before any sheet."""
    package = Package.read(base)
    package.define_name("Laughs", "&lol9;")
    package.put(WORKBOOK, _with_doctype(package.parts[WORKBOOK], _billion_laughs("workbook")))
    package.save(path)


def _padded_prolog_laughs(base: bytes, path: Path) -> None:
    """The billion-laughs shared strings, with 100 KB of comment in front of the DTD: a
    guard that only looks at the head of a part would miss it."""
    package = Package.read(base)
    padding = "<!--" + " " * 100_000 + "-->\n"
    _add_shared_string(package, padding + _billion_laughs("sst"), [b"&lol9;"])
    package.save(path)


def _quadratic_blowup(base: bytes, path: Path) -> None:
    """One entity of 50,000 characters referenced 50,000 times in a shared string: no
    nesting (so naive depth limits miss it), 2.5 GB expanded from a part of 200 KB."""
    package = Package.read(base)
    doctype = f'<!DOCTYPE sst [\n<!ENTITY a "{"a" * 50_000}">\n]>\n'
    _add_shared_string(package, doctype, _repeat(b"&a;", 50_000))
    package.save(path)


def _many_cells(base: bytes, path: Path) -> None:
    """Zip bomb: the Partners sheet part gets 100 MB of identical 16,384-cell rows after
    its real rows (about 7 million cells), compressing over 500:1 to about 200 KB."""
    package = Package.read(base)
    part = package.sheet_part("Partners")
    row = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    package.put(part, _splice(package.parts[part], b"</sheetData>", _repeat(row, -(-BIG // len(row)))))
    package.save(path)


def _far_cell(reference: str, xml: str | None = None) -> Callable[[bytes, Path], None]:
    """One value far from the table: the Partners sheet gets the number 1 in ``reference``
    (a 27 KB file). A reader that lays a sheet out as a grid from A1 to its last value
    needs memory for every cell in between: 17 billion for XFD1048576."""
    row = int("".join(char for char in reference if char.isdigit()))

    def build(base: bytes, path: Path) -> None:
        package = Package.read(base)
        part = package.sheet_part("Partners")
        cell = (xml or f'<row r="{row}"><c r="{reference}"><v>1</v></c></row>').encode()
        package.put(part, _splice(package.parts[part], b"</sheetData>", [cell]))
        package.save(path)

    build.__doc__ = f"One value at Partners!{reference}, far outside the table."
    return build


def _huge_shared_strings(base: bytes, path: Path) -> None:
    """Zip bomb: one shared string of 100 MB of "A" (after the workbook's own strings),
    compressing about 1000:1; a reader that keeps strings as Python str needs 100 MB+."""
    package = Package.read(base)
    _add_shared_string(package, "", _repeat(b"A", BIG))
    package.save(path)


# Offsets of the fields patched in a central directory header / a local file header.
_HEADER_FIELDS = {"flags": (8, 6), "size": (24, 22)}


def _patch_headers(data: bytes, field: str, change: Callable[[int], int], names: set[str] | None = None) -> bytes:
    """The zip ``data`` with ``field`` (flags or uncompressed size) of the named entries
    (all when None) changed to ``change(old)``, in both the central directory and the
    local headers. Sizes and CRCs of the data itself are left as they are."""
    buffer = bytearray(data)
    end = buffer.rindex(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HII", buffer, end + 10)
    central, local = _HEADER_FIELDS[field]
    fmt = "<H" if field == "flags" else "<I"
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", buffer, offset + 28)
        (local_offset,) = struct.unpack_from("<I", buffer, offset + 42)
        name = buffer[offset + 46 : offset + 46 + name_length].decode("utf-8")
        if names is None or name in names:
            for at in (offset + central, local_offset + local):
                (old,) = struct.unpack_from(fmt, buffer, at)
                struct.pack_into(fmt, buffer, at, change(old))
        offset += 46 + name_length + extra_length + comment_length
    return bytes(buffer)


def _lying_header_small(base: bytes, path: Path) -> None:
    """Both headers of xl/workbook.xml claim a tenth of its real size (the CRC is of the
    real data): a reader that sizes buffers or checks limits from the headers is fooled."""
    path.write_bytes(_patch_headers(base, "size", lambda size: size // 10, {WORKBOOK}))


def _lying_header_huge(base: bytes, path: Path) -> None:
    """Both headers of xl/workbook.xml claim 4 GB (0xFFFFFFFE, not the zip64 marker):
    a reader that allocates what the header says runs out of memory."""
    path.write_bytes(_patch_headers(base, "size", lambda size: 0xFFFF_FFFE, {WORKBOOK}))


def _encrypted_entry(base: bytes, path: Path) -> None:
    """Every entry has general-purpose flag bit 0 (encrypted) set in both headers, though
    the data is plain: the zip cannot be read without a password."""
    path.write_bytes(_patch_headers(base, "flags", lambda flags: flags | 1))


def _truncated(base: bytes, path: Path) -> None:
    """The first half of a valid workbook: no central directory, as after an interrupted
    download or a full disk."""
    path.write_bytes(base[: len(base) // 2])


def _old_xls(base: bytes, path: Path) -> None:
    """An OLE2 compound file (the signature of Excel 97-2003 .xls, or an encrypted .xlsx)
    followed by junk, named .xlsx."""
    path.write_bytes(_fake_cfb())


def _renamed_csv(base: bytes, path: Path) -> None:
    """The Partners sheet saved as CSV text, named .xlsx."""
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(example_like_sheets()["Partners"])


def _empty(base: bytes, path: Path) -> None:
    """A zero-byte file named .xlsx."""
    path.write_bytes(b"")


def _path_traversal(base: bytes, path: Path) -> None:
    """A valid workbook with extra entries whose names escape the extraction folder
    (``../``, absolute, via a folder, and with a Windows backslash)."""
    package = Package.read(base)
    for name in ("../evil.txt", "/abs.txt", "xl/../../evil-nested.txt", "..\\evil-backslash.txt"):
        package.put(name, b"written outside the extraction folder\n")
    package.save(path)


def _many_small_bombs(base: bytes, path: Path) -> None:
    """Zip bomb in small pieces: 200 extra parts of 900 KB of zeros each (each under the
    1 MB floor of the per-part ratio check), 180 MB unpacked from about 200 KB."""
    package = Package.read(base)
    package.default("bin", "application/octet-stream")
    for number in range(200):
        package.put(f"xl/media/pad{number}.bin", b"\0" * 900_000)
    package.save(path)


def _relationship_outside(base: bytes, path: Path) -> None:
    """The Partners sheet's relationship points at ``/etc/passwd`` instead of its part."""
    package = Package.read(base)
    part = package.sheet_part("Partners")
    rels = "xl/_rels/workbook.xml.rels"
    target = posixpath.relpath(part, "xl")
    package.put(rels, package.parts[rels].replace(f'Target="{target}"'.encode(), b'Target="/etc/passwd"'))
    package.save(path)


def _binary_workbook(base: bytes, path: Path) -> None:
    """An Excel binary workbook (.xlsb) saved under an .xlsx name: a zip whose workbook
    part is ``xl/workbook.bin``."""
    Package(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                b'content-types"><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.'
                b'binary.macroEnabled.main"/></Types>'
            ),
            "xl/workbook.bin": b"\x83\x01\x00",
        }
    ).save(path)


def _too_many_parts(base: bytes, path: Path) -> None:
    """A valid workbook with 20,000 extra one-byte parts (declared by a Default content
    type): a reader that opens or lists every entry spends time and memory on each."""
    package = Package.read(base)
    package.default("dat", "application/octet-stream")
    for i in range(20_000):
        package.put(f"xl/extra/part{i:05d}.dat", b"x")
    package.save(path)


def _not_a_workbook(base: bytes, path: Path) -> None:
    """A well-formed OPC package whose main part is a Word document (word/document.xml,
    wordprocessingml content type), named .xlsx."""
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    Package(
        {
            "[Content_Types].xml": (
                XML_DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType='
                '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
            ).encode(),
            "_rels/.rels": _insert_before(
                EMPTY_RELS,
                "</Relationships>",
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>',
            ).encode(),
            "word/document.xml": (
                XML_DECLARATION + f'<w:document xmlns:w="{word}"><w:body><w:p><w:r>'
                "<w:t>Pooled budget 2011/12: see the spreadsheet.</w:t></w:r></w:p></w:body></w:document>"
            ).encode(),
        }
    ).save(path)


#: Hostile file name -> builder(base workbook bytes, path).
HOSTILE: dict[str, Callable[[bytes, Path], None]] = {
    "billion-laughs-sharedstrings": _billion_laughs_sharedstrings,
    "billion-laughs-workbook": _billion_laughs_workbook,
    "utf16-laughs": _utf16_laughs,
    "upper-case-part-laughs": _upper_case_part_laughs,
    "backslash-twin": _backslash_twin,
    "padded-prolog-laughs": _padded_prolog_laughs,
    "quadratic-blowup": _quadratic_blowup,
    "many-cells": _many_cells,
    "far-cell-XFD1048576": _far_cell("XFD1048576"),
    "far-cell-XFD20000": _far_cell("XFD20000"),
    "far-cell-Z1048576": _far_cell("Z1048576"),
    "far-cell-CV100000": _far_cell("CV100000"),
    "far-cell-attributes-reordered": _far_cell(
        "XFD1048576", '<row s="1" r="1048576"><c t="n" r="XFD1048576"><v>1</v></c></row>'
    ),
    "far-cell-row-unnumbered": _far_cell("XFD1048576", '<row><c r="XFD1048576"><v>1</v></c></row>'),
    "huge-shared-strings": _huge_shared_strings,
    "lying-header-small": _lying_header_small,
    "lying-header-huge": _lying_header_huge,
    "encrypted-entry": _encrypted_entry,
    "truncated": _truncated,
    "old-xls": _old_xls,
    "renamed-csv": _renamed_csv,
    "empty": _empty,
    "path-traversal": _path_traversal,
    "too-many-parts": _too_many_parts,
    "relationship-outside": _relationship_outside,
    "many-small-bombs": _many_small_bombs,
    "binary-workbook": _binary_workbook,
    "not-a-workbook": _not_a_workbook,
}


def hostile_files(folder: Path, names: Iterable[str] | None = None) -> dict[str, Path]:
    """Write the hostile files (all, or those named) into ``folder`` as ``<name>.xlsx``;
    return name -> path. Those built from a workbook start from ``example_like_sheets()``
    written by XlsxWriter (so it has xl/sharedStrings.xml)."""
    folder = Path(folder)
    base = _contract_workbook(example_like_sheets())
    paths = {}
    for name in names or HOSTILE:
        paths[name] = folder / f"{name}.xlsx"
        HOSTILE[name](base, paths[name])
    return paths


# --------------------------------------------------------------------------------------
# Rich workbooks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Feature:
    """Something Excel users add to a workbook: ``draw`` adds it with XlsxWriter (while
    the workbook is open), ``patch`` adds parts XlsxWriter cannot write (after)."""

    name: str
    draw: Callable[[_Book], None] | None = None
    patch: Callable[[Package, _Book], None] | None = None
    suffix: str = ".xlsx"


def _draw_chart(book: _Book) -> None:
    """A column chart of base-year funding by stream, floating beside the Funding data."""
    name, last = book.name("Funding"), book.last_row("Funding")
    stream, base = book.column(name, "Stream"), book.column(name, "Base")
    chart = book.workbook.add_chart({"type": "column"})
    chart.add_series(
        {"name": "Base", "categories": [name, 1, stream, last, stream], "values": [name, 1, base, last, base]}
    )
    chart.set_title({"name": "Base-year funding"})
    book.worksheet(name).insert_chart(1, book.width(name) + 1, chart)


def _draw_image(book: _Book) -> None:
    """A PNG (made here) floating beside the Programmes data."""
    name = book.name("Programmes")
    book.worksheet(name).insert_image(1, book.width(name) + 2, "logo.png", {"image_data": io.BytesIO(_png())})


def _draw_textbox(book: _Book) -> None:
    """A formatted text box beside the Place settings."""
    name = book.name("Place")
    options = {"width": 320, "height": 80, "font": {"bold": True, "color": "#1F4E79"}, "fill": {"color": "#FFF2CC"}}
    book.worksheet(name).insert_textbox(1, book.width(name) + 1, "Figures agreed at the 2010 Spending Review.", options)


def _draw_lists(book: _Book) -> None:
    """An extra sheet 'Lists' with the partner types, the source of the validation list."""
    lists = book.workbook.add_worksheet("Lists")
    for row, kind in enumerate(PARTNER_TYPES):
        lists.write_string(row, 0, kind)


def _patch_validation_2010(package: Package, book: _Book) -> None:
    """Partner Type cells validated against Lists!A1:A6 the way Excel 2010+ writes a
    list from another sheet: x14:dataValidations in the worksheet's extLst."""
    source = "Lists!" + xl_range_abs(0, 0, len(PARTNER_TYPES) - 1, 0)
    package.add_ext(
        package.sheet_part(book.name("Partners")),
        f'<ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{X14}">'
        f'<x14:dataValidations count="1" xmlns:xm="{XM}">'
        '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
        f"<x14:formula1><xm:f>{source}</xm:f></x14:formula1>"
        f"<xm:sqref>{book.column_range('Partners', 'Type')}</xm:sqref>"
        "</x14:dataValidation></x14:dataValidations></ext>",
    )


def _draw_data_bar(book: _Book) -> None:
    """A data bar on the Funding Base cells, written the Excel 2010 way (x14 extLst)."""
    book.worksheet("Funding").conditional_format(
        book.column_range("Funding", "Base"), {"type": "data_bar", "data_bar_2010": True, "bar_color": "#63BE7B"}
    )


def _draw_sparklines(book: _Book) -> None:
    """One sparkline per programme (Baseline, Min, Max) in the first column after the data."""
    name = book.name("Programmes")
    first, last = book.column(name, "Baseline"), book.column(name, "Max")
    for row in range(1, book.last_row(name) + 1):
        book.worksheet(name).add_sparkline(
            row, book.width(name), {"range": xl_range(row, first, row, last), "markers": True}
        )


def _draw_partners_table(book: _Book) -> None:
    """The Partners data formatted as an Excel table (the slicer's source)."""
    name = book.name("Partners")
    header = book.sheets[name][0]
    book.worksheet(name).add_table(
        0,
        0,
        book.last_row(name),
        len(header) - 1,
        {"name": "PartnersTable", "columns": [{"header": h} for h in header]},
    )


def _patch_slicer(package: Package, book: _Book) -> None:
    """A table slicer on the Partners Type column: xl/slicers/slicer1.xml related from
    the sheet, xl/slicerCaches/slicerCache1.xml related from the workbook, both listed
    in extLsts, a Slicer_Type defined name and their content types. Not drawn (no
    drawing anchor), as Excel would after the shape is deleted from the drawing."""
    sheet = package.sheet_part(book.name("Partners"))
    package.put(
        "xl/slicers/slicer1.xml",
        XML_DECLARATION
        + f'<slicers xmlns="{X14}"><slicer name="Type" cache="Slicer_Type" caption="Type" rowHeight="241300"/></slicers>',
    )
    package.put(
        "xl/slicerCaches/slicerCache1.xml",
        XML_DECLARATION + f'<slicerCacheDefinition xmlns="{X14}" name="Slicer_Type" sourceName="Type"><extLst>'
        f'<ext uri="{{2F2917AC-EB37-4324-AD4E-5DD8C200BD13}}" xmlns:x15="{X15}">'
        f'<x15:tableSlicerCache tableId="1" column="{book.column("Partners", "Type") + 1}"/></ext></extLst></slicerCacheDefinition>',
    )
    package.override("/xl/slicers/slicer1.xml", "application/vnd.ms-excel.slicer+xml")
    package.override("/xl/slicerCaches/slicerCache1.xml", "application/vnd.ms-excel.slicerCache+xml")
    slicer = package.relate(
        sheet, "http://schemas.microsoft.com/office/2007/relationships/slicer", "../slicers/slicer1.xml"
    )
    cache = package.relate(
        WORKBOOK, "http://schemas.microsoft.com/office/2007/relationships/slicerCache", "slicerCaches/slicerCache1.xml"
    )
    package.add_ext(
        sheet,
        f'<ext uri="{{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}}" xmlns:x15="{X15}">'
        f'<x14:slicerList xmlns:x14="{X14}"><x14:slicer xmlns:r="{REL}" r:id="{slicer}"/></x14:slicerList></ext>',
    )
    package.add_ext(
        WORKBOOK,
        f'<ext uri="{{46BE6895-7355-4a93-B00E-2C351335B9C9}}" xmlns:x15="{X15}">'
        f'<x15:slicerCaches xmlns:x14="{X14}"><x14:slicerCache xmlns:r="{REL}" r:id="{cache}"/></x15:slicerCaches></ext>',
    )
    package.define_name("Slicer_Type", "#N/A")


def _patch_custom_xml(package: Package, book: _Book) -> None:
    """A SharePoint-style custom XML data store item as Office writes it:
    customXml/item1.xml (related from the workbook) and its properties
    customXml/itemProps1.xml (related from the item)."""
    package.put(
        "customXml/item1.xml",
        XML_DECLARATION + '<p:properties xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><documentManagement>'
        "<Budget_x0020_year>2011/12</Budget_x0020_year></documentManagement></p:properties>",
    )
    package.put(
        "customXml/itemProps1.xml",
        XML_DECLARATION + '<ds:datastoreItem ds:itemID="{6A5B2C1D-3E4F-4A5B-8C7D-9E0F1A2B3C4D}" '
        'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs>'
        '<ds:schemaRef ds:uri="http://schemas.microsoft.com/office/2006/metadata/properties"/>'
        "</ds:schemaRefs></ds:datastoreItem>",
    )
    package.override(
        "/customXml/itemProps1.xml", "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
    )
    package.relate("customXml/item1.xml", f"{REL}/customXmlProps", "itemProps1.xml")
    package.relate(WORKBOOK, f"{REL}/customXml", "../customXml/item1.xml")


_LABEL_ID = "f42aa342-8706-4288-bd11-ebb85995028c"
_LABEL_SITE = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _draw_label_properties(book: _Book) -> None:
    """The MSIP_Label_* custom document properties that go with a sensitivity label."""
    prefix = f"MSIP_Label_{_LABEL_ID}_"
    for key, value in (
        ("Enabled", "true"),
        ("Method", "Standard"),
        ("Name", "OFFICIAL"),
        ("SiteId", _LABEL_SITE),
        ("ContentBits", "0"),
    ):
        book.workbook.set_custom_property(prefix + key, value)


def _patch_sensitivity_label(package: Package, book: _Book) -> None:
    """Microsoft sensitivity label metadata: docMetadata/LabelInfo.xml related from the
    package root as a classification label."""
    package.put(
        "docMetadata/LabelInfo.xml",
        XML_DECLARATION + '<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">'
        f'<clbl:label id="{{{_LABEL_ID}}}" enabled="1" method="Standard" siteId="{{{_LABEL_SITE}}}" removed="0"/>'
        "</clbl:labelList>",
    )
    package.override("/docMetadata/LabelInfo.xml", "application/vnd.ms-office.classificationlabels+xml")
    package.relate(
        "",
        "http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels",
        "docMetadata/LabelInfo.xml",
    )


def _draw_comment(book: _Book) -> None:
    """A visible, formatted comment on the Partners header cell A1 (not a data cell)."""
    book.worksheet("Partners").write_comment(
        0,
        0,
        "Codes agreed with the partnership board; do not rename.",
        {
            "author": "Finance team",
            "font_name": "Arial",
            "font_size": 12,
            "color": "#CCFFCC",
            "visible": True,
            "x_scale": 1.5,
        },
    )


def _draw_vba(book: _Book) -> None:
    """A (fake) vbaProject.bin: XlsxWriter makes the workbook macro-enabled."""
    book.workbook.add_vba_project(io.BytesIO(_fake_cfb()), is_stream=True)
    book.workbook.set_vba_name("ThisWorkbook")


FEATURES: tuple[_Feature, ...] = (
    _Feature("chart", draw=_draw_chart),
    _Feature("image", draw=_draw_image),
    _Feature("textbox", draw=_draw_textbox),
    _Feature("data-validation-2010", draw=_draw_lists, patch=_patch_validation_2010),
    _Feature("data-bar", draw=_draw_data_bar),
    _Feature("sparklines", draw=_draw_sparklines),
    _Feature("slicer", draw=_draw_partners_table, patch=_patch_slicer),
    _Feature("custom-xml", patch=_patch_custom_xml),
    _Feature("sensitivity-label", draw=_draw_label_properties, patch=_patch_sensitivity_label),
    _Feature("formatted-comment", draw=_draw_comment),
    _Feature("macros", draw=_draw_vba, suffix=".xlsm"),
)


def rich_workbooks(folder: Path, sheets: dict[str, list[list]], names: Iterable[str] | None = None) -> dict[str, Path]:
    """Write, for each feature (all, or those named), a valid contract workbook of
    ``sheets`` that also carries it, plus "everything" carrying all of them at once;
    return name -> path. Files are ``<name>.xlsx``, or ``.xlsm`` when they hold macros
    (``macros.xlsm`` and ``everything.xlsm``: Excel refuses macros in an .xlsx)."""
    folder = Path(folder)
    wanted = set(names or [feature.name for feature in FEATURES] + ["everything"])
    builds = [(feature.name, (feature,)) for feature in FEATURES] + [("everything", FEATURES)]
    paths = {}
    for name, features in builds:
        if name in wanted:
            suffix = ".xlsm" if any(feature.suffix == ".xlsm" for feature in features) else ".xlsx"
            paths[name] = folder / f"{name}{suffix}"
            paths[name].write_bytes(_contract_workbook(sheets, features))
    return paths
