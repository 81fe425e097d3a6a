"""Partners' returns: one workbook per partner, holding the rows it owns.

A place's workbook is assembled from returns: each partner's finance team fills in its
own rows. ``split`` writes, for each partner, a return holding only what it owns:

* its Partners row, its funding streams, the programmes it leads, the Effects rows of
  those programmes and the Savings rows where it is the beneficiary, with every column
  of the place workbook (notes and year columns too);
* the place's Place and Outcomes sheets and a list of every programme code, for
  reference, locked against editing;
* dropdowns and header guidance as in the template, blank unlocked rows below each
  table for new rows, a Cover sheet saying what to fill in;
* a locked ``Place row`` column tying each row to its row in the place workbook, and a
  hidden sheet of the values as they were sent out, so that what the partner changed
  is known exactly, even if the place workbook has moved on since (``merge.py``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import WriteError
from ..files import atomic_write
from ..schema import normalise
from ..tables import code_or_none, locate, read_place
from ..template import column_validation
from ..validate import validate
from ..version import __version__
from ..xlsx.book import BOLD, HEADER, TITLE, UNLOCKED, Book, Sheet
from ..xlsx.read import RawWorkbook
from ..xlsx.refs import column_letter

OWNED = ("Partners", "Funding", "Programmes", "Effects", "Savings")
REFERENCE = ("Place", "Outcomes")
PLACE_ROW = "Place row"
COVER = "Cover"
CODES = "Programme codes"
BASE = "pooling base"
SPARE_ROWS = 30  # unlocked blank rows under each table, for new rows
LOCKED = {"bg_color": "#EDEDED"}  # the Place row column: grey, and locked like every cell not UNLOCKED


@dataclass
class PlaceTable:
    """A contract sheet of the place workbook as it stands: raw cell values by row."""

    spec: schema.SheetSpec
    title: str
    header_row: int
    headers: list[str | None]  # by column (index 0 is column A)
    rows: dict[int, list] = field(default_factory=dict)  # row number -> values by column
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)

    def column(self, name: str) -> int | None:
        """1-based column of a header, matched as the contract matches headers."""
        for index, header in enumerate(self.headers, start=1):
            if header is not None and normalise(header) == normalise(name):
                return index
        return None

    def value(self, values: list, name: str):
        column = self.column(name)
        return values[column - 1] if column and column <= len(values) else None

    def code(self, values: list, name: str) -> str | None:
        return code_or_none(self.value(values, name), name)

    @property
    def last_row(self) -> int:
        return max(self.rows, default=self.header_row)


def place_tables(raw: RawWorkbook) -> dict[str, PlaceTable]:
    """The contract sheets of a (validated) place workbook, raw, with their header rows."""
    tables = {}
    for spec in schema.SHEETS:
        raw_sheet = raw.sheets.get(spec.key)
        located = locate(raw_sheet, spec) if raw_sheet is not None else None
        if located is None:
            continue
        width = len(located.headers)
        rows = {number: _pad(list(values), width) for number, values in located.rows}
        tables[spec.name] = PlaceTable(
            spec, located.title, located.header_row, located.headers, rows, dict(located.uncalculated)
        )
    return tables


def _pad(values: list, width: int) -> list:
    return (values + [None] * width)[:width] if len(values) < width else values[:width]


def owner(tables: dict[str, PlaceTable], sheet: str, values: list, led: dict[str, str]) -> str | None:
    """The partner a row belongs to (None for rows of the place as a whole).

    ``led`` maps programme codes to their lead, for Effects rows.
    """
    table = tables[sheet]
    if sheet in ("Partners", "Funding"):
        return table.code(values, "Partner")
    if sheet == "Programmes":
        return table.code(values, "Lead")
    if sheet == "Effects":
        return led.get(table.code(values, "Programme") or "")
    if sheet == "Savings":
        return table.code(values, "Beneficiary")
    return None


def leads(tables: dict[str, PlaceTable]) -> dict[str, str]:
    programmes = tables["Programmes"]
    return {
        programmes.code(values, "Programme"): programmes.code(values, "Lead")
        for values in programmes.rows.values()
        if programmes.code(values, "Programme")
    }


# -- split ------------------------------------------------------------------------------


@dataclass
class PartnerReturn:
    partner: str
    data: bytes  # the workbook
    rows: dict[tuple[str, int], int]  # (sheet, place row) -> row in the return


def partner_return(
    tables: dict[str, PlaceTable], partner: str, place_name: str, place_file: str, place_hash: str, results: str = ""
) -> PartnerReturn:
    """The return workbook of one partner: its own rows, the place's for reference.

    With ``results`` (the scenario's name), the cover presents the partner's results
    instead of asking for figures; the workbook can still be sent back as a return.
    """
    book = Book()
    cover = book.sheet(COVER)  # first, so the return opens on it; filled last
    led = leads(tables)
    mapping: dict[tuple[str, int], int] = {}
    base_rows: list[tuple[str, int, str, object]] = []
    partner_name = partner
    for values in tables["Partners"].rows.values():
        if tables["Partners"].code(values, "Partner") == partner:
            partner_name = tables["Partners"].value(values, "Name") or partner

    for spec in schema.SHEETS:
        table = tables.get(spec.name)
        if table is None:
            continue
        sheet = book.sheet(table.title)
        reference = spec.name in REFERENCE
        if reference:
            rows = list(table.rows.items())
        else:
            rows = [
                (number, values)
                for number, values in table.rows.items()
                if owner(tables, spec.name, values, led) == partner
            ]
        width = len(table.headers)
        place_column = width + 1
        for index, header in enumerate([*table.headers, PLACE_ROW], start=1):
            sheet.put(1, index, header, style=HEADER)
            column = _spec_column(spec, header)
            if header == PLACE_ROW:
                sheet.note(
                    1,
                    index,
                    "The row of the place workbook this row came from. Do not change it; leave it blank on new rows.",
                )
            elif column is not None:
                sheet.note(1, index, column.help)
            sheet.width(index, max(12, min(40, len(str(header or "")) + 4)))
        editable = None if reference else UNLOCKED  # no password: it guards against slips, not against intent
        for offset, (number, values) in enumerate(rows, start=2):
            mapping[(spec.name, number)] = offset
            for column in range(1, width + 1):
                value = values[column - 1] if column <= len(values) else None
                sheet.put(offset, column, None if blank(value) else value, style=editable)
                if not blank(value):
                    base_rows.append((spec.name, number, table.headers[column - 1] or column_letter(column), value))
            sheet.put(offset, place_column, number, style=LOCKED)
        if not reference:
            for row in range(len(rows) + 2, len(rows) + 2 + SPARE_ROWS):
                for column in range(1, width + 1):
                    sheet.put(row, column, None, style=UNLOCKED)
                sheet.put(row, place_column, None, style=LOCKED)
            for index, header in enumerate(table.headers, start=1):
                column = _spec_column(spec, header)
                if column is not None:
                    column_validation(sheet, column, index)
        sheet.freeze(2, 2)
        sheet.lock()

    _reference_list(book.sheet(CODES), tables)
    base = book.sheet(BASE)
    for index, header in enumerate(("Sheet", "Place row", "Column", "Value"), start=1):
        base.put(1, index, header)
    for row, record in enumerate(base_rows, start=2):
        for column, value in enumerate(record, start=1):
            base.put(row, column, value)
    base.lock(very_hidden=True)
    _cover(cover, partner, partner_name, place_name, place_file, place_hash, results)
    return PartnerReturn(partner, book.bytes(), mapping)


def _spec_column(spec: schema.SheetSpec, header) -> schema.Column | None:
    if header is None:
        return None
    try:
        return spec.column(header)
    except KeyError:
        return None


def _reference_list(sheet: Sheet, tables) -> None:
    for index, header in enumerate(("Programme", "Name", "Lead"), start=1):
        sheet.put(1, index, header, style=HEADER)
    programmes = tables["Programmes"]
    for row, values in enumerate(programmes.rows.values(), start=2):
        sheet.put(row, 1, programmes.code(values, "Programme"))
        sheet.put(row, 2, programmes.value(values, "Name"))
        sheet.put(row, 3, programmes.code(values, "Lead"))
    sheet.width(2, 50)
    sheet.lock()


def _cover(sheet: Sheet, partner, partner_name, place_name, place_file, place_hash, results: str = "") -> None:
    if results:
        title = f"{place_name}: results for {partner_name} ({partner}), {results}"
        lines = [
            "What is here",
            "Summary, Stream use, Pool share, Led programmes, Savings received and Constraints: this partner's share",
            "of the place's optimised plan. The input sheets hold this partner's rows; cells whose constraints bind",
            "carry a comment saying what one more £1,000 (or one unit less of a minimum) would be worth.",
            "The figures are a slice of the place results: all partners' figures add up to the place's.",
        ]
    else:
        title = f"{place_name}: return for {partner_name} ({partner})"
        lines = _return_lines(partner_name)
    sheet.paragraph(1, title, 2, style=TITLE)
    for row, text in enumerate(lines, start=3):
        sheet.paragraph(row, text, 2, style=BOLD if row == 3 else None, per_line=95)
    block = [
        ("Setting", "Value"),
        ("Partner", partner),
        ("Place workbook", place_file),
        ("Place workbook SHA-256", place_hash),
        ("Made", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Made by", f"pooling {__version__}"),
    ]
    for offset, (name, value) in enumerate(block):
        sheet.put(12 + offset, 1, name, style=BOLD if offset == 0 else None)
        sheet.put(12 + offset, 2, value, style=BOLD if offset == 0 else None)
    sheet.width(1, 28)
    sheet.width(2, 70)
    sheet.finish(header_row=0, repeat_header=False)
    sheet.lock()


def _return_lines(partner_name: str) -> list[str]:
    return [
        "What to fill in",
        f"Partners: your row (pool shares). Funding: your funding streams. Programmes: the programmes {partner_name} leads.",
        "Effects: what your programmes achieve. Savings: cashable savings your budget receives when outcomes improve.",
        "Change the figures in place; add new rows in the blank rows under each table (leave 'Place row' blank);",
        "to remove a row, clear its cells. Codes are text; money is in the place's unit (see the Place sheet).",
        "Place, Outcomes and Programme codes are there for reference and are locked.",
        "Send the file back as it is: the place team merges all returns with `pooling merge`.",
    ]


def split(place_path: Path, folder: Path) -> list[Path]:
    """Write one return per partner into ``folder``; returns the files written."""
    place_path = Path(place_path)
    raw = read_place(place_path)
    place = validate(raw)  # a return is only made from a valid place
    folder = Path(folder)
    targets = partner_files(folder, place_path, place.partners, "return")
    # A return may already hold a partner's figures: a second split must never replace it.
    existing = [target for target in targets.values() if target.exists()]
    if existing:
        names = ", ".join(target.name for target in existing)
        raise WriteError(
            f"{folder} already holds returns ({names}); they may hold partners' figures, so nothing was "
            "written: merge them first, or split into another folder"
        )
    tables = place_tables(raw)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for code, target in targets.items():
            made = partner_return(tables, code, place.name, place_path.name, raw.package.sha256)
            atomic_write(target, made.data)
            written.append(target)
    except BaseException:
        # A part of a set of returns is worse than none: partners would be sent some.
        for target in written:
            target.unlink(missing_ok=True)
        raise
    return written


# The longest file name Linux, macOS and Windows file systems all take, in bytes.
MAX_FILE_NAME_BYTES = 255


def partner_files(folder: Path, place_path: Path, partners, kind: str) -> dict[str, Path]:
    """``PLACE-<kind>-<partner>.xlsx`` in ``folder`` for each partner code.

    Characters a file name cannot safely hold become ``_``; two codes that would then
    share a file (``A&B`` and ``A_B``, or ``ncc`` and ``NCC`` on a disk that ignores
    case) are refused, so one partner's file never replaces another's.
    """
    files: dict[str, Path] = {}
    taken: dict[str, str] = {}
    for code in partners:
        safe = "".join(char if char.isalnum() or char in "-_" else "_" for char in code)
        name = f"{Path(place_path).stem}-{kind}-{safe}.xlsx"
        if name.casefold() in taken:
            raise WriteError(
                f"partners {taken[name.casefold()]!r} and {code!r} would share the file {name}; "
                "give one of them a code that differs by more than punctuation or case"
            )
        if len(os.fsencode(name)) > MAX_FILE_NAME_BYTES:
            raise WriteError(
                f"partner {code[:40]!r}{'...' if len(code) > 40 else ''} would need a file name of "
                f"{len(os.fsencode(name)):,} bytes, more than file systems allow ({MAX_FILE_NAME_BYTES}); "
                "give it a shorter code (nothing was written)"
            )
        taken[name.casefold()] = code
        files[code] = Path(folder) / name
    return files


def blank(value) -> bool:
    """A blank cell, however it was written."""
    return value is None or (isinstance(value, str) and value.strip() == "")
