"""Load: the contract's sheets of a workbook as tables, the one reader of them.

A contract sheet's header row may sit below a title (the first row, of the top 20,
that holds the sheet's first column); headers are matched case-insensitively with
spaces ignored; other columns are kept. :func:`locate` finds all that once, and both
``validate.py`` (which parses every cell by its column's kind) and the partners'
returns (which copy and compare cells as they are) read the tables it gives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import schema
from .schema import SheetSpec, normalise
from .xlsx.container import Package
from .xlsx.read import RawSheet, RawWorkbook, read_package, read_workbook

HEADER_SEARCH_ROWS = 20


def read_place(path: Path, extra: set[str] = frozenset()) -> RawWorkbook:
    """The contract's sheets of the workbook at ``path`` (and the sheets named in
    ``extra``), read safely; other sheets are left unread."""
    return read_workbook(Path(path), {sheet.key for sheet in schema.SHEETS} | set(extra), normalise)


def read_place_package(package: Package) -> RawWorkbook:
    """As :func:`read_place`, from a package already open."""
    return read_package(package, {sheet.key for sheet in schema.SHEETS}, normalise)


@dataclass
class SheetTable:
    """A contract sheet as it stands in the workbook: its header row, which column holds
    which header, and its data rows as read."""

    spec: SheetSpec
    title: str
    header_row: int
    headers: list[str | None]  # by column (index 0 is column A), as written less surrounding spaces
    columns: dict[str, int]  # contract column key -> 1-based column
    extra: dict[str, int]  # any other header as written -> 1-based column
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (column, header) seen before
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (row number, values from column A)
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> formula
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> '#REF!'
    extra_values: dict[str, object] = field(default_factory=dict)  # other header -> the header cell's value

    def column(self, name: str) -> int | None:
        """1-based column of a header (contract or not), matched as the contract matches."""
        key = normalise(name)
        if key in self.columns:
            return self.columns[key]
        for header, index in self.extra.items():
            if normalise(header) == key:
                return index
        return None

    def value(self, values, name: str):
        column = self.column(name)
        return values[column - 1] if column and column <= len(values) else None

    def code(self, values, name: str) -> str | None:
        """The code in column ``name`` of a row, as text (None when blank)."""
        return code_or_none(self.value(values, name), name)


def find_header_row(raw: RawSheet, spec: SheetSpec) -> tuple[int, tuple] | None:
    """The first row (of the top 20) that holds the sheet's first column header."""
    wanted = spec.code_column.key
    for number, values in raw.rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if any(value is not None and normalise(value) == wanted for value in values):
            return number, values
    return None


def locate(raw: RawSheet, spec: SheetSpec) -> SheetTable | None:
    """The table of a contract sheet, or None when no header row is found."""
    found = find_header_row(raw, spec)
    if found is None:
        return None
    header_row, header_values = found
    known = {column.key for column in spec.columns}
    headers: list[str | None] = []
    columns: dict[str, int] = {}
    extra: dict[str, int] = {}
    extra_values: dict[str, object] = {}
    duplicates = []
    seen: set[str] = set()
    for index, value in enumerate(header_values, start=1):
        text = None if value is None or str(value).strip() == "" else str(value).strip()
        headers.append(text)
        if text is None:
            continue
        key = normalise(value)
        if key in seen:
            duplicates.append((index, str(value)))
            continue
        seen.add(key)
        if key in known:
            columns[key] = index
        else:
            extra[text] = index
            extra_values[text] = value
    while headers and headers[-1] is None:
        headers.pop()
    rows = [(number, values) for number, values in raw.rows if number > header_row]
    return SheetTable(
        spec,
        raw.title,
        header_row,
        headers,
        columns,
        extra,
        duplicates,
        rows,
        raw.uncalculated,
        raw.errors,
        extra_values,
    )


def code_text(value: object, name: str) -> str:
    """A code as text: codes are text even when they look like numbers (a cell holding
    7 reads as "7"); TRUE/FALSE and dates are not codes."""
    if value.__class__ is str:  # the common case, first
        return value.strip()
    if isinstance(value, bool) or isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise ValueError(f"{name} must be a code, not {describe(value)}")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def code_or_none(value: object, name: str) -> str | None:
    """A cell read as a code, leniently: None when blank, its text when it is no code."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return code_text(value, name)
    except ValueError:
        return str(value)


def describe(value: object) -> str:
    """A cell's value as a problem names it: 'TRUE/FALSE', 'a date (01/11/2010)', ''x''."""
    if isinstance(value, bool):
        return "TRUE/FALSE"
    if isinstance(value, (dt.datetime, dt.date)):
        return f"a date ({value:%d/%m/%Y})"
    if isinstance(value, dt.time):
        return "a time"
    return f"'{value}'"
