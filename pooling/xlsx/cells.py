"""Edit the cells of one worksheet part by splicing its bytes.

A finance team's sheet holds more than openpyxl can round-trip (extensions,
sparklines, data-validation lists, conditional formats of newer Excel versions),
so a cell is changed the way ``graft.py`` adds sheets: the part is scanned once
with :func:`~pooling.xlsx.container.scan` (defusedxml's guards, byte offsets, no tree),
and each change is a splice into the original bytes. Every byte outside the cells
and rows we write stays as it was.

:func:`edit_cells` writes values into existing cells, adds cells to existing rows,
adds rows, and grows ``<dimension>``. Text is always written as an inline string,
so text that starts with ``=`` stays text. A cell we replace keeps its style.

What it refuses (with a one-line :class:`~pooling.xlsx.container.PackageError`):

* the master cell of a shared formula that other cells use, and any cell of a
  multi-cell array formula (the dependants would lose their formula);
* a value in a cell hidden under a merged range (Excel would never show it);
* rows or cells out of order, or a cell whose reference names another row (a part
  in that state is damaged, and "where to insert" has no answer);
* a part that is not a worksheet, not UTF-8, or whose main namespace is unknown;
* values Excel cannot hold exactly: NaN, infinities, integers beyond 2**53, text
  longer than 32,767 characters, and types other than str/int/float/bool/None.

Rows and cells without an ``r`` attribute are numbered as Excel and openpyxl do
(one after the previous); new rows and cells always carry ``r``.

The caller owns the rest of the package: removing a formula leaves the workbook's
``calcChain`` part naming a cell with no formula (drop that part, Excel rebuilds
it), and the header cells of a table must match the table part's column names.
"""

from __future__ import annotations

import bisect
import decimal
import math
import numbers
import re
from dataclasses import dataclass, field

from .container import NS_MAIN, PackageError, Tag, scan
from .refs import MAX_COLUMN, MAX_ROW, cell_ref, parse_range, parse_ref, range_text

__all__ = ["cell_ref", "edit_cells"]

MAX_TEXT = 32_767  # characters (UTF-16 code units) in one cell
MAX_EXACT_INT = 2**53  # Excel holds numbers as doubles
_MAIN_NAMESPACES = {NS_MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main"}

# Attributes of a row copied to a new row from the style row: its look, never its
# identity (r), its cell span hint (spans) or whether it is hidden/collapsed.
_ROW_LOOK = {b"s", b"customFormat", b"ht", b"customHeight", b"thickTop", b"thickBot", b"outlineLevel", b"dyDescent"}
# Attributes dropped from a cell whose value we replace: its type, and the cell and
# value metadata that describe the formula (dynamic arrays) or rich value it held.
_VALUE_ATTRIBUTES = {b"t", b"cm", b"vm"}

_NAME = re.compile(rb"<([^\s/>]+)")
_ATTRIBUTE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
_R = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_DECLARATION = re.compile(rb"""\sxmlns(?::([^\s=/>]+))?\s*=\s*["']([^"']*)["']""")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_XML_ENCODING = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*["']([^"']+)["']""")
_EXCEL_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


# -- reading the part ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attribute:
    value: bytes  # as written, without quotes
    start: int  # span of ' name="value"' (with its leading space) in the start tag
    stop: int
    value_start: int  # span of the value inside the quotes
    value_stop: int


def _attributes(start_tag: bytes) -> dict[bytes, _Attribute]:
    """The attributes of a start tag, by name as written."""
    name = _NAME.match(start_tag)
    found = {}
    for match in _ATTRIBUTE.finditer(start_tag, name.end() if name else 0):
        value_start, value_stop = match.start(2) + 1, match.end(2) - 1
        found[match.group(1)] = _Attribute(
            start_tag[value_start:value_stop], match.start(), match.end(), value_start, value_stop
        )
    return found


def _value(attributes: dict, name: bytes) -> str | None:
    item = attributes.get(name)
    return item.value.decode("utf-8", "replace") if item else None


def _parse_ref(text: str, where: str) -> tuple[int, int]:
    try:
        return parse_ref(text)
    except ValueError:
        reason = "outside the sheet" if re.fullmatch(r"\$?[A-Za-z]+\$?[0-9]+", text.strip()) else "that is not a cell"
        raise PackageError(f"{where} has a cell reference {text!r} {reason}") from None


def _parse_range(text: str, where: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of "A1:C9" or "B2"."""
    first, _, last = text.strip().partition(":")
    for ref in (first, last) if last else (first,):
        _parse_ref(ref, where)
    return parse_range(text)


@dataclass
class _Row:
    number: int
    tag: Tag
    columns: list[int] = field(default_factory=list)  # ascending
    cells: list[Tag] = field(default_factory=list)


@dataclass
class _ParsedSheet:
    xml: bytes
    root: Tag
    sheet_data: Tag
    rows: list[_Row]
    numbers: list[int]  # row numbers, ascending, for bisect
    dimension: Tag | None
    declared: dict[bytes, bytes]  # prefix (b"" for the default) -> namespace
    merged: list[tuple[int, int, int, int]]
    arrays: list[tuple[int, int, int, int]]  # ranges of multi-cell array formulas and data tables

    def row(self, number: int) -> _Row | None:
        index = bisect.bisect_left(self.numbers, number)
        if index < len(self.numbers) and self.numbers[index] == number:
            return self.rows[index]
        return None


def _check_encoding(xml: bytes) -> None:
    if xml.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PackageError("the worksheet part is UTF-16 encoded; only UTF-8 parts are edited")
    match = _XML_ENCODING.match(xml)
    if match and match.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise PackageError(f"the worksheet part is encoded as {match.group(1).decode('ascii', 'replace')}, not UTF-8")


def _read_sheet(xml: bytes) -> _ParsedSheet:
    _check_encoding(xml)
    tags = scan(xml, max_depth=3)
    if not tags or tags[0].depth != 0:
        raise PackageError("the worksheet part has no root element")
    root = tags[0]
    if root.local != "worksheet":
        raise PackageError(f"the part is a <{root.local}>, not a worksheet")
    children = [tag for tag in tags if tag.depth == 1]
    by_local: dict[str, Tag] = {}
    for tag in children:
        by_local.setdefault(tag.local, tag)
    sheet_data = by_local.get("sheetData")
    if sheet_data is None:
        raise PackageError("the worksheet part has no <sheetData>")

    declared: dict[bytes, bytes] = {}
    for tag in (root, sheet_data):
        for match in _DECLARATION.finditer(xml, tag.start, tag.start_end):
            declared[match.group(1) or b""] = match.group(2)
    prefix = sheet_data.prefix[:-1].encode()
    if declared.get(prefix) not in _MAIN_NAMESPACES:
        where = f"prefix {prefix.decode()!r}" if prefix else "the default namespace"
        raise PackageError(f"<sheetData> is not in the SpreadsheetML namespace ({where}); refused")

    rows: list[_Row] = []
    index = next(i for i, tag in enumerate(tags) if tag is sheet_data) + 1
    previous_row = 0
    while index < len(tags) and tags[index].start < sheet_data.close:
        tag = tags[index]
        index += 1
        if tag.depth == 2:
            if tag.local != "row":
                raise PackageError(f"<sheetData> holds a <{tag.name}> element; only rows were expected")
            match = _R.search(xml, tag.start, tag.start_end)
            if match:
                try:
                    number = int(match.group(1))
                except ValueError:
                    raise PackageError(f"a row has the number {match.group(1)!r}") from None
            else:
                number = previous_row + 1
            if not 1 <= number <= MAX_ROW:
                raise PackageError(f"a row has the number {number}, outside the sheet")
            if number <= previous_row:
                raise PackageError(f"row {number} comes after row {previous_row}; rows out of order, refused")
            previous_row = number
            rows.append(_Row(number, tag))
        elif tag.depth == 3 and tag.local == "c":
            row = rows[-1]
            match = _R.search(xml, tag.start, tag.start_end)
            previous = row.columns[-1] if row.columns else 0
            if match:
                where = f"row {row.number}"
                cell_row, column = _parse_ref(match.group(1).decode("ascii", "replace"), where)
                if cell_row != row.number:
                    raise PackageError(
                        f"cell {cell_ref(cell_row, column)} is written inside row {row.number}; the part is damaged"
                    )
            else:
                column = previous + 1
                if column > MAX_COLUMN:
                    raise PackageError(f"row {row.number} has more cells than Excel's {MAX_COLUMN:,} columns")
            if column <= previous:
                raise PackageError(
                    f"cell {cell_ref(row.number, column)} comes after {cell_ref(row.number, previous)}; "
                    "cells out of order, refused"
                )
            row.columns.append(column)
            row.cells.append(tag)

    merged = []
    merge_list = by_local.get("mergeCells")
    if merge_list is not None:
        for tag in tags:
            if tag.depth == 2 and tag.local == "mergeCell" and merge_list.start < tag.start < merge_list.close:
                ref = _value(_attributes(xml[tag.start : tag.start_end]), b"ref")
                if ref:
                    merged.append(_parse_range(ref, "a merged range"))

    arrays = []
    for match in _FORMULA_TAG.finditer(xml, sheet_data.start_end, sheet_data.end):
        start_tag = xml[match.start() : xml.index(b">", match.start()) + 1]
        if b"array" not in start_tag and b"dataTable" not in start_tag:
            continue
        formula = _attributes(start_tag)
        ref = _value(formula, b"ref")
        if _value(formula, b"t") in ("array", "dataTable") and ref:
            bounds = _parse_range(ref, "an array formula")
            if bounds[:2] != bounds[2:]:
                arrays.append(bounds)

    return _ParsedSheet(
        xml=xml,
        root=root,
        sheet_data=sheet_data,
        rows=rows,
        numbers=[row.number for row in rows],
        dimension=by_local.get("dimension"),
        declared=declared,
        merged=merged,
        arrays=arrays,
    )


# -- what to write ---------------------------------------------------------------------------


def _number(value, where: str) -> bytes:
    if isinstance(value, numbers.Integral):
        integer = int(value)
        if abs(integer) > MAX_EXACT_INT:
            raise PackageError(f"{where}: {integer} is beyond the integers Excel holds exactly (2**53)")
        return str(integer).encode()
    number = float(value)
    if not math.isfinite(number):
        raise PackageError(f"{where}: {number} cannot be stored in an Excel cell")
    return repr(number).encode()


def excel_text(value: str) -> str:
    """``value`` as the text of a ``<t>`` element, as Excel reads it back.

    XML 1.0 cannot hold most control characters; Excel reads ``_xHHHH_`` as an escaped
    character, so they are written that way, and a literal "_x0041_" keeps its
    underscore as ``_x005F_``.
    """
    text = _EXCEL_ESCAPE.sub(lambda m: "_x005F_" if m.group() == "_" else f"_x{ord(m.group()):04X}_", value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: str, where: str) -> bytes:
    if len(value.encode("utf-16-le", "surrogatepass")) // 2 > MAX_TEXT:
        raise PackageError(f"{where}: the text is longer than Excel's {MAX_TEXT:,} characters")
    text = excel_text(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise PackageError(f"{where}: the text holds a lone surrogate and is not valid Unicode") from None


def _content(value, prefix: str, where: str) -> tuple[bytes | None, bytes]:
    """(the t attribute or None, the child elements) for a value."""
    p = prefix.encode()
    if value is None:
        return None, b""
    if isinstance(value, bool):
        return b"b", b"<" + p + b"v>" + (b"1" if value else b"0") + b"</" + p + b"v>"
    if isinstance(value, str):
        body = b"<" + p + b"is><" + p + b't xml:space="preserve">' + _text(value, where)
        return b"inlineStr", body + b"</" + p + b"t></" + p + b"is>"
    if isinstance(value, numbers.Real | decimal.Decimal):
        return None, b"<" + p + b"v>" + _number(value, where) + b"</" + p + b"v>"
    raise PackageError(f"{where}: a {type(value).__name__} cannot be written to a cell (text, number, bool or None)")


def _requests(values, new_rows) -> tuple[dict[tuple[int, int], object], list[int]]:
    """All cells to write, and the rows new_rows asks for, checked."""
    wanted: dict[tuple[int, int], object] = {}

    def add(row, column, value, origin: str) -> None:
        for number, limit, what in ((row, MAX_ROW, "row"), (column, MAX_COLUMN, "column")):
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= limit:
                raise PackageError(f"{origin}: {what} {number!r} is not a {what} number from 1 to {limit:,}")
        key = (row, column)
        if key in wanted:
            raise PackageError(f"cell {cell_ref(row, column)} is given twice (in values and new_rows)")
        where = f"cell {cell_ref(row, column)}"
        _content(value, "", where)  # refuse a bad value before touching anything
        wanted[key] = value

    for key, value in (values or {}).items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise PackageError(f"values keys must be (row, column) pairs, not {key!r}")
        add(key[0], key[1], value, "values")
    added: list[int] = []
    for item in new_rows or []:
        try:
            number, cells = item
        except (TypeError, ValueError):
            raise PackageError(f"new_rows entries must be (row number, {{column: value}}), not {item!r}") from None
        if number in added:
            raise PackageError(f"new_rows adds row {number} twice")
        if not isinstance(cells, dict):
            raise PackageError(f"new_rows row {number}: the cells must be a {{column: value}} dict")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_ROW:
            raise PackageError(f"new_rows: row {number!r} is not a row number from 1 to {MAX_ROW:,}")
        added.append(number)
        for column, value in cells.items():
            add(number, column, value, f"new_rows row {number}")
    return wanted, added


# -- splicing --------------------------------------------------------------------------------


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """The edits applied in one pass (insertions at one offset keep their order)."""
    order = sorted(range(len(edits)), key=lambda i: (edits[i][0], edits[i][1], i))
    pieces = []
    position = 0
    for i in order:
        start, stop, text = edits[i]
        if start < position:
            raise PackageError("internal error: overlapping edits to the worksheet part")
        pieces.append(data[position:start])
        pieces.append(text)
        position = stop
    pieces.append(data[position:])
    return b"".join(pieces)


def _open_tag(start_tag: bytes, empty: bool, drop: set[bytes], add: bytes = b"") -> bytes:
    """A start tag without the ``drop`` attributes, with ``add`` appended, never self-closing."""
    attributes = _attributes(start_tag)
    spans = sorted((item.start, item.stop) for name, item in attributes.items() if name in drop)
    for a, b in reversed(spans):
        start_tag = start_tag[:a] + start_tag[b:]
    body = start_tag[:-2] if empty else start_tag[:-1]
    return body.rstrip() + add + b">"


def _element(open_tag: bytes, name: str, content: bytes) -> bytes:
    if content:
        return open_tag + content + f"</{name}>".encode()
    return open_tag[:-1] + b"/>"


def _replace_cell(sheet: _ParsedSheet, tag: Tag, value, where: str) -> bytes:
    """The new bytes of an existing cell: its attributes kept (but t, cm, vm), its value
    replaced, any child other than <f>, <v>, <is> (an extLst) kept."""
    xml = sheet.xml
    fragment = xml[tag.start : tag.close]
    kept = b""
    if not tag.empty:
        for child in scan(fragment, max_depth=1):
            if child.depth != 1:
                continue
            if child.local == "f":
                formula = _attributes(fragment[child.start : child.start_end])
                ref = _value(formula, b"ref")
                if _value(formula, b"t") == "shared" and ref:
                    bounds = _parse_range(ref, where)
                    if bounds[:2] != bounds[2:]:
                        raise PackageError(
                            f"{where} holds the shared formula that cells {ref} use; replacing it would break them"
                        )
            elif child.local not in ("v", "is"):
                kept += fragment[child.start : child.close]
    kind, content = _content(value, tag.prefix, where)
    add = b' t="' + kind + b'"' if kind else b""
    open_tag = _open_tag(xml[tag.start : tag.start_end], tag.empty, _VALUE_ATTRIBUTES, add)
    return _element(open_tag, tag.name, content + kept)


def _new_cell(prefix: str, row: int, column: int, style: bytes | None, value) -> bytes:
    where = f"cell {cell_ref(row, column)}"
    kind, content = _content(value, prefix, where)
    attributes = f' r="{cell_ref(row, column)}"'.encode()
    if style is not None:
        attributes += b' s="' + style + b'"'
    if kind:
        attributes += b' t="' + kind + b'"'
    return _element(f"<{prefix}c".encode() + attributes + b">", f"{prefix}c", content)


def _covering(ranges, row: int, column: int):
    for bounds in ranges:
        top, left, bottom, right = bounds
        if top <= row <= bottom and left <= column <= right:
            return bounds
    return None


def edit_cells(
    xml: bytes,
    values: dict[tuple[int, int], object],
    new_rows: list[tuple[int, dict[int, object]]] | None = None,
    style_row: int | None = None,
) -> bytes:
    """The worksheet part ``xml`` with cells written, by splicing its bytes.

    ``values`` maps (row, column), both from 1, to a value: ``str`` (an inline string,
    never a formula), ``int``/``float`` (a number), ``bool``, or ``None`` (clear the
    value, keep the cell and its style). A cell or row that does not exist is added in
    order; a new cell takes the style (``s``) of the cell in its column in
    ``style_row``, if there is one. ``None`` where there is no cell adds a blank cell
    only when it has such a style to carry.

    ``new_rows`` are rows to add, (row number, {column: value}); they must not exist
    yet, and take the row-level look (height, row style, outline level) of
    ``style_row``. ``<dimension>`` grows to cover every cell, when the part has one.

    Raises :class:`PackageError` (one line) for what cannot be done safely; see the
    module docstring.
    """
    wanted, added_rows = _requests(values, new_rows)
    if not wanted and not added_rows:
        return xml
    sheet = _read_sheet(xml)

    styles: dict[int, bytes] = {}
    row_look = b""
    if style_row is not None:
        source = sheet.row(style_row) if isinstance(style_row, int) and not isinstance(style_row, bool) else None
        if source is None:
            raise PackageError(f"style row {style_row!r} is not in the sheet; there is no style to copy")
        for column, tag in zip(source.columns, source.cells):
            style = _attributes(xml[tag.start : tag.start_end]).get(b"s")
            if style:
                styles[column] = style.value
        source_tag = xml[source.tag.start : source.tag.start_end]
        for name, item in _attributes(source_tag).items():
            prefix, _, local = name.rpartition(b":")
            if local in _ROW_LOOK and (not prefix or prefix in sheet.declared):
                row_look += b" " + source_tag[item.start : item.stop].lstrip()

    for number in added_rows:
        if sheet.row(number) is not None:
            raise PackageError(f"new_rows: row {number} already exists; write its cells through values")

    by_row: dict[int, dict[int, object]] = {number: {} for number in added_rows}
    for (row, column), value in wanted.items():
        where = f"cell {cell_ref(row, column)}"
        bounds = _covering(sheet.arrays, row, column)
        if bounds:
            raise PackageError(f"{where} is part of the array formula over {range_text(*bounds)}; refused")
        bounds = _covering(sheet.merged, row, column)
        if bounds and value is not None and (row, column) != bounds[:2]:
            raise PackageError(
                f"{where} is hidden under the merged range {range_text(*bounds)}; write to {cell_ref(*bounds[:2])}"
            )
        by_row.setdefault(row, {})[column] = value

    edits: list[tuple[int, int, bytes]] = []
    new_row_text: dict[int, list[bytes]] = {}  # insertion offset -> rows, in order
    written: list[tuple[int, int]] = []  # positions of cells that exist afterwards
    main_prefix = sheet.sheet_data.prefix
    for number in sorted(by_row):
        cells = by_row[number]
        row = sheet.row(number)
        if row is None:
            body = b"".join(
                _new_cell(main_prefix, number, column, styles.get(column), value)
                for column, value in sorted(cells.items())
                if value is not None or column in styles
            )
            written += [(number, column) for column, value in cells.items() if value is not None or column in styles]
            if not body and number not in added_rows:
                continue
            look = row_look if number in added_rows else b""
            open_tag = f'<{main_prefix}row r="{number}"'.encode() + look + b">"
            index = bisect.bisect_right(sheet.numbers, number)
            at = sheet.rows[index].tag.start if index < len(sheet.rows) else sheet.sheet_data.end
            new_row_text.setdefault(at, []).append(_element(open_tag, f"{main_prefix}row", body))
            continue

        inserts: dict[int, list[bytes]] = {}
        new_columns = []
        for column, value in sorted(cells.items()):
            index = bisect.bisect_left(row.columns, column)
            if index < len(row.columns) and row.columns[index] == column:
                tag = row.cells[index]
                new = _replace_cell(sheet, tag, value, f"cell {cell_ref(number, column)}")
                edits.append((tag.start, tag.close, new))
                written.append((number, column))
                continue
            if value is None and column not in styles:
                continue
            if index < len(row.cells):
                at = row.cells[index].start
            elif row.cells:
                at = row.cells[-1].close
            else:
                at = row.tag.start_end
            inserts.setdefault(at, []).append(_new_cell(row.tag.prefix, number, column, styles.get(column), value))
            new_columns.append(column)
            written.append((number, column))
        if not new_columns:
            continue
        start_tag = xml[row.tag.start : row.tag.start_end]
        spans = _attributes(start_tag).get(b"spans")
        new_start = None
        if spans:
            covered = _widen_spans(spans.value, new_columns)
            if covered is not None:
                new_start = start_tag[: spans.value_start] + covered + start_tag[spans.value_stop :]
        if row.tag.empty:
            open_tag = _open_tag(new_start or start_tag, True, set())
            body = b"".join(b"".join(items) for _, items in sorted(inserts.items()))
            edits.append((row.tag.start, row.tag.close, open_tag + body + f"</{row.tag.name}>".encode()))
            continue
        if new_start is not None:
            edits.append((row.tag.start, row.tag.start_end, new_start))
        for at, items in inserts.items():
            edits.append((at, at, b"".join(items)))

    if new_row_text:
        sheet_data = sheet.sheet_data
        if sheet_data.empty:
            open_tag = _open_tag(xml[sheet_data.start : sheet_data.start_end], True, set())
            body = b"".join(b"".join(items) for _, items in sorted(new_row_text.items()))
            edits.append((sheet_data.start, sheet_data.close, open_tag + body + f"</{sheet_data.name}>".encode()))
        else:
            for at, items in new_row_text.items():
                edits.append((at, at, b"".join(items)))

    dimension = _dimension_edit(sheet, written)
    if dimension:
        edits.append(dimension)
    return _apply(xml, edits)


def _widen_spans(spans: bytes, columns: list[int]) -> bytes | None:
    """The row's spans hint ("1:5") widened to the new columns, or None when it covers them."""
    try:
        pairs = [tuple(int(n) for n in item.split(b":")) for item in spans.split()]
        if not pairs or any(len(pair) != 2 for pair in pairs):
            raise ValueError
    except ValueError:
        raise PackageError(f"a row has a spans attribute {spans!r} that cannot be read") from None
    if all(any(low <= column <= high for low, high in pairs) for column in columns):
        return None
    low = min([pair[0] for pair in pairs] + columns)
    high = max([pair[1] for pair in pairs] + columns)
    return f"{low}:{high}".encode()


def _dimension_edit(sheet: _ParsedSheet, written: list[tuple[int, int]]) -> tuple[int, int, bytes] | None:
    """The <dimension ref> grown to cover every cell, as one edit (None when it already does)."""
    tag = sheet.dimension
    if tag is None:
        return None
    start_tag = sheet.xml[tag.start : tag.start_end]
    ref = _attributes(start_tag).get(b"ref")
    cells = list(written)
    for row in sheet.rows:
        if row.columns:
            cells.append((row.number, row.columns[0]))
            cells.append((row.number, row.columns[-1]))
    if not cells:
        return None
    top = min(row for row, _ in cells)
    bottom = max(row for row, _ in cells)
    left = min(column for _, column in cells)
    right = max(column for _, column in cells)
    if ref is not None:
        try:
            old = _parse_range(ref.value.decode("ascii", "replace"), "<dimension>")
        except PackageError:
            old = None  # an unreadable used range is replaced by the true one
        if old:
            if old[0] <= top and old[1] <= left and old[2] >= bottom and old[3] >= right:
                return None
            top, left = min(top, old[0]), min(left, old[1])
            bottom, right = max(bottom, old[2]), max(right, old[3])
    text = range_text(top, left, bottom, right).encode()
    if ref is None:
        cut = len(start_tag) - (2 if tag.empty else 1)
        return tag.start, tag.start_end, start_tag[:cut].rstrip() + b' ref="' + text + b'"' + start_tag[cut:]
    return tag.start + ref.value_start, tag.start + ref.value_stop, text
