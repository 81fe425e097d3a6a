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
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET
from openpyxl.utils import get_column_letter

from .package import NS_MAIN, Package, PackageError, require_defusedxml

_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


@dataclass
class RawSheet:
    """One sheet's cells: ``rows`` are (row number, values by column from A)."""

    title: str
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula


@dataclass
class RawWorkbook:
    path: Path
    package: Package
    sheets: dict[str, RawSheet]  # keyed by normalised sheet name

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.package.sheets]


def cell_ref(row: int, column: int) -> str:
    """``D7`` for row 7, column 4."""
    return f"{get_column_letter(column)}{row}"


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index


def read_workbook(path: Path, wanted: set[str]) -> RawWorkbook:
    """Read the sheets whose normalised names are in ``wanted``; others are left unread.

    Raises :class:`PackageError` (one line) when the file is not a workbook we can
    open safely.
    """
    from .schema import normalise

    require_defusedxml()
    try:
        package = Package.open(path)
    except PackageError as exc:
        raise PackageError(f"{path}: {exc}") from None
    by_key = {normalise(sheet.name): sheet for sheet in package.sheets}
    chosen = {key: by_key[key] for key in wanted if key in by_key}
    sheets: dict[str, RawSheet] = {}
    if chosen:
        values = _read_values(package, [sheet.name for sheet in chosen.values()])
        for key, sheet in chosen.items():
            raw = RawSheet(title=sheet.name, rows=values[sheet.name])
            part = package.parts.get(sheet.part, b"")
            if _FORMULA.search(part):
                raw.uncalculated = _uncalculated_formulas(part)
            sheets[key] = raw
    return RawWorkbook(path=Path(path), package=package, sheets=sheets)


def _read_values(package: Package, titles: list[str]) -> dict[str, list[tuple[int, tuple]]]:
    """Cell values (as last calculated) of the named sheets, row by row."""
    import openpyxl

    buffer = io.BytesIO(package.path.read_bytes())
    with warnings.catch_warnings():
        # openpyxl warns about features it does not read (data validation
        # extensions, conditional formats); we only read values here.
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(buffer, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many types for damaged packages
            reason = " ".join(str(exc).split())  # one line, whatever openpyxl said
            raise PackageError(
                f"{package.path}: the workbook cannot be read ({type(exc).__name__}: {reason})"
            ) from None
        try:
            result = {}
            for title in titles:
                sheet = book[title]
                sheet.reset_dimensions()  # some writers record a wrong used range
                rows = []
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if any(value is not None for value in values):
                        rows.append((number, values))
                result[title] = rows
            return result
        finally:
            book.close()


def _uncalculated_formulas(part: bytes) -> dict[tuple[int, int], str]:
    """Formula cells that carry no calculated value, as {(row, column): formula}."""
    found = {}
    cell_tag, formula_tag, value_tag = (f"{{{NS_MAIN}}}{name}" for name in ("c", "f", "v"))
    try:
        events = SafeET.iterparse(io.BytesIO(part), events=("end",))
        for _, node in events:
            if node.tag != cell_tag:
                continue
            formula = node.find(formula_tag)
            if formula is not None:
                value = node.find(value_tag)
                if value is None or not (value.text or "").strip():
                    match = _CELL_REF.fullmatch(node.get("r", ""))
                    if match:
                        key = (int(match.group(2)), column_index(match.group(1)))
                        found[key] = "=" + (formula.text or "").strip() if formula.text else "(a shared formula)"
            node.clear()
    except SafeET.ParseError as exc:
        raise PackageError(f"a sheet is not well-formed XML ({exc})") from None
    return found
