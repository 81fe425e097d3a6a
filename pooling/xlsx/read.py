"""Load: read the sheets of a workbook into plain rows of cell values.

Nothing here knows the contract beyond sheet names: rows come out as they are in
the workbook (with their row numbers, so every later problem can name its cell),
and ``validate.py`` makes sense of them. Cells hold the values Excel last
calculated; a formula cell with no calculated value is recorded separately so that
it is reported by cell, never read as zero or blank.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from .container import NS_MAIN, Package, PackageError, require_defusedxml
from .formulas import formulas, recalculates_on_open
from .refs import column_index

_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# For the extent of a sheet (``check_extent``). Cells that are self-closing hold no value.
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW_FAST = re.compile(rb'<row r="(\d{1,10})"')
_ROW_ANY = re.compile(_PREFIX + rb'row\s[^>]*?\br="(\d{1,10})"')
_COLUMNS_FAST = [re.compile(rb'<c r="([A-Za-z]{%d})\d{1,10}"[^>]*(?<!/)>' % n) for n in (3, 2, 1)]
_COLUMNS_ANY = [re.compile(_PREFIX + rb'c\s[^>]*?\br="([A-Za-z]{%d})\d{1,10}"[^>]*(?<!/)>' % n) for n in (3, 2, 1)]
_FAR_ROW_CELL = re.compile(_PREFIX + rb'c\s[^>]*?\br="[A-Za-z]{1,3}(\d{6,10})"[^>]*(?<!/)>')
# A row or cell whose r is not its first attribute, or that has a namespace prefix.
_OTHER_ORDER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:(?:c|row)\s|(?:c|row)\s(?!r=)[^>]*?\br=")')
_CELL_WITHOUT_ROW_NUMBER = re.compile(rb"<row(?:\s(?![^>]*\br=)[^>]*)?>")
# The reader lays a sheet out as a grid from A1 to its last cell with a value, so memory
# follows that cell's address, not the number of values: refuse a sheet whose grid would
# pass this many cells (about 65 MB read; the benchmark's 50,000-row workbook's largest
# sheet spans under 0.3 million).
MAX_GRID_CELLS = 1_000_000
_ERROR = re.compile(rb'\st="e"')
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


@dataclass
class RawSheet:
    """One sheet's cells: ``rows`` are (row number, values by column from A)."""

    title: str
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> '#DIV/0!'
    # Formula cells whose stored value the workbook itself says is out of date (it asks to be
    # recalculated when opened, as pooling merge does after changing cells formulas read).
    stale: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula


@dataclass
class RawWorkbook:
    path: Path
    package: Package
    sheets: dict[str, RawSheet]  # keyed by the reader's key of the sheet name

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.package.sheets]


def read_workbook(path: Path, wanted: set[str], key: Callable[[str], str]) -> RawWorkbook:
    """Read the sheets whose names, as ``key`` makes them, are in ``wanted``; others are
    left unread.

    Raises :class:`PackageError` (one line) when the file is not a workbook we can
    open safely.
    """
    require_defusedxml()
    try:
        package = Package.open(path)
    except PackageError as exc:
        raise PackageError(f"{path}: {exc}") from None
    return read_package(package, wanted, key)


def read_package(package: Package, wanted: set[str], key: Callable[[str], str]) -> RawWorkbook:
    """The sheets of a package already open (its bytes read once), as :func:`read_workbook`."""
    by_key = {key(sheet.name): sheet for sheet in package.sheets}
    chosen = {key: by_key[key] for key in wanted if key in by_key}
    sheets: dict[str, RawSheet] = {}
    recalculate = recalculates_on_open(package.parts.get(package.workbook_part, b""))
    parts, data = as_utf8(package)
    if chosen:
        for sheet in chosen.values():
            check_extent(package.path, sheet.name, parts.get(sheet.part, b""))
        values = _read_values(package, data, [sheet.name for sheet in chosen.values()])
        for key, sheet in chosen.items():
            raw = RawSheet(title=sheet.name, rows=values[sheet.name])
            part = parts.get(sheet.part, b"")
            if _FORMULA.search(part) or _ERROR.search(part):
                raw.uncalculated, raw.errors = _formulas_and_errors(part)
                if recalculate and _FORMULA.search(part):
                    raw.stale = {
                        (formula.row, formula.column): "=" + formula.text
                        for formula in formulas(sheet.name, part)
                        if (formula.row, formula.column) not in raw.uncalculated
                        and (formula.row, formula.column) not in raw.errors
                    }
                _keep_flagged_rows(raw)
            sheets[key] = raw
    return RawWorkbook(path=Path(package.path), package=package, sheets=sheets)


def check_extent(path, title: str, part: bytes) -> None:
    """Refuse, in one line naming the cell, a sheet whose last cell with a value lies so far
    from A1 that laying the sheet out as a grid would pass ``MAX_GRID_CELLS``.

    Read with regular expressions over the part, keeping little: row numbers from the
    rows, column letters from the cells (one- and two-letter ones are small shared
    objects). Writers put ``r`` first (``<c r="B7"``), which a literal prefix finds fast;
    any other order is read by slower patterns that allow for it."""
    canonical = not _OTHER_ORDER.search(part)
    row_pattern, column_patterns = (_ROW_FAST, _COLUMNS_FAST) if canonical else (_ROW_ANY, _COLUMNS_ANY)
    last_row = max((int(number) for number in row_pattern.findall(part)), default=0)
    if _CELL_WITHOUT_ROW_NUMBER.search(part) or not canonical:
        # Rows without numbers: the cells' own references say where they are.
        last_row = max([last_row, *(int(number) for number in _FAR_ROW_CELL.findall(part))])
    letters = b""
    for pattern in column_patterns:  # three letters, then two, then one
        found = pattern.findall(part)
        if found:
            letters = max(found).upper()
            break
    last_column = column_index(letters.decode("ascii")) if letters else 0
    if last_row * last_column <= MAX_GRID_CELLS:
        return
    far = _far_cell(part, letters, last_row, by_column=last_column > 26)
    raise PackageError(
        f"{path}: sheet {title} reaches cell {far}: laid out from A1 it would span {last_row:,} rows by "
        f"{last_column:,} columns, {last_row * last_column:,} cells (the limit is {MAX_GRID_CELLS:,}); clear any "
        "stray cell far from the table, or move the table nearer A1"
    )


def _far_cell(part: bytes, letters: bytes, last_row: int, by_column: bool) -> str:
    """The reference of a cell in the last column (``by_column``) or the last row, to name
    in the refusal."""
    in_column = rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="(' + letters + rb'\d{1,10})"'
    in_row = rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Za-z]{1,3}' + str(last_row).encode() + rb')"'
    for pattern in (in_column, in_row) if by_column else (in_row, in_column):
        match = re.search(pattern, part, flags=re.IGNORECASE)
        if match:
            return match.group(1).decode("ascii").upper()
    return f"{letters.decode('ascii')}{last_row}"


def as_utf8(package: Package) -> tuple[dict[str, bytes], bytes]:
    """The package's parts, and its zip bytes, with any UTF-16 XML part (which Excel and
    LibreOffice read, but the cell reader does not) re-encoded as UTF-8. The package as
    the user saved it is what is written back; this copy is only read."""
    utf16 = {name for name, data in package.parts.items() if data[:2] in (b"\xff\xfe", b"\xfe\xff")}
    if not utf16:
        return package.parts, package.data
    parts = dict(package.parts)
    for name in utf16:
        text = parts[name].decode("utf-16")
        text = re.sub(r"""(<\?xml[^>]*encoding=)(["'])UTF-16\2""", r"\1\2UTF-8\2", text, count=1, flags=re.IGNORECASE)
        parts[name] = text.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.order:
            if name in parts:
                archive.writestr(name, parts[name])
    return parts, buffer.getvalue()


def _read_values(package: Package, data: bytes, titles: list[str]) -> dict[str, list[tuple[int, tuple]]]:
    """Cell values (as last calculated) of the named sheets, row by row.

    Read with python-calamine, several times faster than openpyxl on large sheets. A
    blank cell reads as "", a number as a float, a date as a date. It reads an error
    cell as blank, so errors are found in the XML (:func:`_formulas_and_errors`) and
    reported by cell, never read as blanks.
    """
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged packages
        reason = " ".join(str(exc).split())  # one line, whatever the reader said
        raise PackageError(f"{package.path}: the workbook cannot be read ({type(exc).__name__}: {reason})") from None
    result = {}
    for title in titles:
        try:
            grid = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            reason = " ".join(str(exc).split())
            raise PackageError(f"{package.path}: sheet {title} cannot be read ({reason})") from None
        # Blank cells stay "" (every reader of these rows treats "" as blank): converting
        # each of a large sheet's cells would cost more than reading it.
        result[title] = [
            (number, tuple(values)) for number, values in enumerate(grid, start=1) if values.count("") < len(values)
        ]
    return result


def _keep_flagged_rows(raw: RawSheet) -> None:
    """Rows whose only content is an uncalculated formula or an error read as empty:
    keep them, so the problem is reported by cell."""
    present = {number for number, _ in raw.rows}
    missing = {row for row, _ in [*raw.uncalculated, *raw.errors, *raw.stale]} - present
    if missing:
        raw.rows = sorted(raw.rows + [(number, ()) for number in missing])


def _formulas_and_errors(part: bytes) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
    """Formula cells with no calculated value, {(row, column): formula}, and cells that
    hold an Excel error, {(row, column): '#DIV/0!'}."""
    uncalculated, errors = {}, {}
    cell_tag, formula_tag, value_tag = (f"{{{NS_MAIN}}}{name}" for name in ("c", "f", "v"))
    try:
        events = SafeET.iterparse(io.BytesIO(part), events=("end",))
        for _, node in events:
            if node.tag != cell_tag:
                continue
            formula, value = node.find(formula_tag), node.find(value_tag)
            text = (value.text or "").strip() if value is not None else ""
            # A formula whose result is the empty string (=IF(A2="","",A2)) is stored as
            # t="str" with an empty <v>: a blank, as Excel shows it. An empty <v> of any
            # other type is a formula never calculated (openpyxl writes those).
            empty_text = node.get("t") == "str" and value is not None
            if formula is not None and not text and not empty_text or node.get("t") == "e":
                match = _CELL_REF.fullmatch(node.get("r", ""))
                if match:
                    key = (int(match.group(2)), column_index(match.group(1)))
                    if node.get("t") == "e" and text:
                        errors[key] = text
                    else:
                        uncalculated[key] = "=" + formula.text.strip() if formula.text else "(a shared formula)"
            node.clear()
    except SafeET.ParseError as exc:
        raise PackageError(f"a sheet is not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:  # a DTD or entity the package check did not catch
        raise PackageError(f"a sheet was refused ({type(exc).__name__})") from None
    return uncalculated, errors
