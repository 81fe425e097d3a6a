"""Partners' returns: split the place workbook into one workbook per partner, merge them back.

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
  is known exactly, even if the place workbook has moved on since.

``merge`` reads the returns back, refuses (by file and cell) any edit to a row the
partner does not own, to a reference sheet, or to a cell another return also changed
or the place workbook changed since, validates the merged place as a whole (every
problem named by the file and cell it came from), and writes the place workbook with
exactly those edits spliced into its sheets and a Changes sheet listing them.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from . import __version__, schema
from .errors import InputError
from .layout import HEADER_FILL, HEADER_FONT, TITLE_FONT, put
from .schema import normalise
from .tables import code_text, find_header_row, locate, read_place
from .validate import ValidationError, validate
from .xlsx.container import Package
from .xlsx.read import RawSheet, RawWorkbook
from .xlsx.refs import cell_ref

OWNED = ("Partners", "Funding", "Programmes", "Effects", "Savings")
REFERENCE = ("Place", "Outcomes")
PLACE_ROW = "Place row"
COVER = "Cover"
CODES = "Programme codes"
BASE = "pooling base"
SPARE_ROWS = 30  # unlocked blank rows under each table, for new rows
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
UNLOCKED = Protection(locked=False)


class MergeError(InputError):
    """Returns that cannot be merged; every problem is a line naming file and cell."""


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
        value = self.value(values, name)
        if value is None or str(value).strip() == "":
            return None
        try:
            return code_text(value, name)
        except ValueError:
            return str(value)

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
    book: openpyxl.Workbook
    rows: dict[tuple[str, int], int]  # (sheet, place row) -> row in the return


def partner_return(
    tables: dict[str, PlaceTable], partner: str, place_name: str, place_file: str, place_hash: str, results: str = ""
) -> PartnerReturn:
    """The return workbook of one partner: its own rows, the place's for reference.

    With ``results`` (the scenario's name), the cover presents the partner's results
    instead of asking for figures; the workbook can still be sent back as a return.
    """
    from .template import column_validation, header_comment

    book = openpyxl.Workbook()
    cover = book.active
    cover.title = COVER
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
        sheet = book.create_sheet(table.title)
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
            cell = put(sheet.cell(1, index), header, font=HEADER_FONT)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            column = _spec_column(spec, header)
            if header == PLACE_ROW:
                cell.comment = header_comment(
                    "The row of the place workbook this row came from. Do not change it; leave it blank on new rows."
                )
            elif column is not None:
                cell.comment = header_comment(column.help)
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(header or "")) + 4))
        for offset, (number, values) in enumerate(rows, start=2):
            mapping[(spec.name, number)] = offset
            for column, value in enumerate(values, start=1):
                if not _blank(value):
                    put(sheet.cell(offset, column), value)
                    base_rows.append((spec.name, number, table.headers[column - 1] or get_column_letter(column), value))
            put(sheet.cell(offset, place_column), number).fill = LOCKED_FILL
        last = len(rows) + 1 + (0 if reference else SPARE_ROWS)
        if not reference:
            for row in range(2, last + 1):
                for column in range(1, width + 1):
                    sheet.cell(row, column).protection = UNLOCKED
                sheet.cell(row, place_column).fill = LOCKED_FILL
            for index, header in enumerate(table.headers, start=1):
                column = _spec_column(spec, header)
                if column is not None:
                    column_validation(sheet, column, index)
        sheet.freeze_panes = "B2"
        sheet.protection.sheet = True  # no password: it guards against slips, not against intent
        sheet.protection.formatColumns = False  # widths may still be changed

    codes = book.create_sheet(CODES)
    _reference_list(codes, tables, led)
    base = book.create_sheet(BASE)
    for index, header in enumerate(("Sheet", "Place row", "Column", "Value"), start=1):
        put(base.cell(1, index), header)
    for row, record in enumerate(base_rows, start=2):
        for column, value in enumerate(record, start=1):
            put(base.cell(row, column), value)
    base.sheet_state = "veryHidden"
    base.protection.sheet = True
    _cover(cover, partner, partner_name, place_name, place_file, place_hash, results)
    return PartnerReturn(partner, book, mapping)


def _spec_column(spec: schema.SheetSpec, header) -> schema.Column | None:
    if header is None:
        return None
    try:
        return spec.column(header)
    except KeyError:
        return None


def _reference_list(sheet, tables, led) -> None:
    for index, header in enumerate(("Programme", "Name", "Lead"), start=1):
        cell = put(sheet.cell(1, index), header, font=HEADER_FONT)
        cell.fill = HEADER_FILL
    programmes = tables["Programmes"]
    for row, values in enumerate(programmes.rows.values(), start=2):
        put(sheet.cell(row, 1), programmes.code(values, "Programme"))
        put(sheet.cell(row, 2), programmes.value(values, "Name"))
        put(sheet.cell(row, 3), programmes.code(values, "Lead"))
    sheet.column_dimensions["B"].width = 50
    sheet.protection.sheet = True


def _cover(sheet, partner, partner_name, place_name, place_file, place_hash, results: str = "") -> None:
    if results:
        put(sheet.cell(1, 1), f"{place_name}: results for {partner_name} ({partner}), {results}", font=TITLE_FONT)
        lines = [
            "What is here",
            "Summary, Stream use, Pool share, Led programmes, Savings received and Constraints: this partner's share",
            "of the place's optimised plan. The input sheets hold this partner's rows; cells whose constraints bind",
            "carry a comment saying what one more £1,000 (or one unit less of a minimum) would be worth.",
            "The figures are a slice of the place results: all partners' figures add up to the place's.",
        ]
    else:
        put(sheet.cell(1, 1), f"{place_name}: return for {partner_name} ({partner})", font=TITLE_FONT)
        lines = _return_lines(partner_name)
    for row, text in enumerate(lines, start=3):
        cell = put(sheet.cell(row, 1), text, font=Font(bold=True) if row == 3 else None)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 15 * (1 + len(text) // 95)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    _cover_block(sheet, partner, place_file, place_hash)


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


def _cover_block(sheet, partner, place_file, place_hash) -> None:
    block = [
        ("Setting", "Value"),
        ("Partner", partner),
        ("Place workbook", place_file),
        ("Place workbook SHA-256", place_hash),
        ("Made", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Made by", f"pooling {__version__}"),
    ]
    for offset, (name, value) in enumerate(block):
        put(sheet.cell(12 + offset, 1), name, font=Font(bold=True) if offset == 0 else None)
        put(sheet.cell(12 + offset, 2), value, font=Font(bold=True) if offset == 0 else None)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 70
    sheet.protection.sheet = True


def split(place_path: Path, folder: Path) -> list[Path]:
    """Write one return per partner into ``folder``; returns the files written."""
    from .errors import WriteError
    from .files import atomic_write
    from .template import workbook_bytes

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
    for code, target in targets.items():
        made = partner_return(tables, code, place.name, place_path.name, raw.package.sha256)
        atomic_write(target, workbook_bytes(made.book))
        written.append(target)
    return written


def partner_files(folder: Path, place_path: Path, partners, kind: str) -> dict[str, Path]:
    """``PLACE-<kind>-<partner>.xlsx`` in ``folder`` for each partner code.

    Characters a file name cannot safely hold become ``_``; two codes that would then
    share a file (``A&B`` and ``A_B``, or ``ncc`` and ``NCC`` on a disk that ignores
    case) are refused, so one partner's file never replaces another's.
    """
    from .errors import WriteError

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
        taken[name.casefold()] = code
        files[code] = Path(folder) / name
    return files


# -- merge ------------------------------------------------------------------------------


@dataclass
class Edit:
    sheet: str  # contract sheet name
    row: int  # place row
    column: int
    old: object
    new: object
    partner: str
    file: str
    source: str  # Sheet!Cell in the return


@dataclass
class MergePlan:
    edits: list[Edit]
    tables: dict[str, PlaceTable]  # the place tables with the edits applied
    added_rows: dict[str, list[int]]  # sheet -> place rows added


def read_return(path: Path) -> tuple[str, RawWorkbook]:
    """The partner code a return is for, and its raw sheets."""
    raw = read_place(Path(path), {normalise(COVER), normalise(BASE)})
    cover = raw.sheets.get(normalise(COVER))
    partner = None
    if cover is not None:
        for _, values in cover.rows:
            if values and values[0] == "Partner" and len(values) > 1 and values[1] is not None:
                partner = str(values[1]).strip()
    if partner is None:
        raise MergeError(f"{Path(path).name}: Cover!B13: no partner code; this is not a return made by pooling split")
    return partner, raw


def plan_merge(place_raw: RawWorkbook, returns: list[Path]) -> MergePlan:
    """Every edit the returns make, checked; raise MergeError listing every problem."""
    tables = place_tables(place_raw)
    led = leads(tables)
    problems: list[str] = []
    edits: list[Edit] = []
    touched: dict[tuple[str, int, int], Edit] = {}
    added: dict[str, list[int]] = {}
    next_row = {name: table.last_row + 1 for name, table in tables.items()}
    for path in returns:
        path = Path(path)
        try:
            partner, raw = read_return(path)
        except InputError as error:
            problems += error.lines()
            continue
        name = path.name
        if tables["Partners"] and partner not in {
            tables["Partners"].code(v, "Partner") for v in tables["Partners"].rows.values()
        }:
            problems.append(f"{name}: Cover!B13: partner '{partner}' is not in the place workbook")
            continue
        base = _base_values(raw)
        new_programmes = set()
        for spec in schema.SHEETS:
            table = tables.get(spec.name)
            sheet = raw.sheets.get(spec.key)
            if table is None or sheet is None:
                continue
            found = find_header_row(sheet, spec)
            if found is None:
                problems.append(f"{name}: {sheet.title}: no header row")
                continue
            header_row, header_values = found
            columns, place_column, header_problems = _match_columns(table, header_values, name, sheet.title, header_row)
            problems += header_problems
            if place_column is None:
                continue
            for number, values in sheet.rows:
                if number <= header_row:
                    continue
                values = list(values)
                where_row = f"{name}: {sheet.title}!"
                place_row = values[place_column - 1] if place_column <= len(values) else None
                if isinstance(place_row, float) and place_row.is_integer():
                    place_row = int(place_row)  # numbers read as floats
                elif _blank(place_row):
                    place_row = None
                data = {place: values[ret - 1] if ret <= len(values) else None for ret, place in columns.items()}
                if all(_blank(value) for value in data.values()) and place_row is None:
                    continue
                if place_row is None:  # a new row
                    if spec.name in REFERENCE:
                        problems.append(
                            f"{where_row}{cell_ref(number, 1)}: {spec.name} is for reference; rows cannot be added here"
                        )
                        continue
                    row_values = [data.get(column) for column in range(1, len(table.headers) + 1)]
                    belongs = owner(tables, spec.name, row_values, {**led, **{p: partner for p in new_programmes}})
                    if spec.name == "Programmes" and table.code(row_values, "Lead") == partner:
                        new_programmes.add(table.code(row_values, "Programme"))
                        belongs = partner
                    if belongs != partner:
                        problems.append(
                            f"{where_row}{cell_ref(number, 1)}: a new row for {belongs or 'another partner'}; a return may only add {partner}'s rows"
                        )
                        continue
                    target = next_row[spec.name]
                    next_row[spec.name] += 1
                    added.setdefault(spec.name, []).append(target)
                    for column, value in data.items():
                        if not _blank(value):
                            edit = Edit(
                                spec.name,
                                target,
                                column,
                                None,
                                value,
                                partner,
                                name,
                                f"{sheet.title}!{cell_ref(number, _return_column(columns, column))}",
                            )
                            edits.append(edit)
                    continue
                if not isinstance(place_row, int) or place_row not in table.rows:
                    problems.append(
                        f"{where_row}{cell_ref(number, place_column)}: Place row {place_row!r} is not a row of {spec.name} in the place workbook"
                    )
                    continue
                current = table.rows[place_row]
                if spec.name not in REFERENCE and owner(tables, spec.name, current, led) != partner:
                    problems.append(
                        f"{where_row}{cell_ref(number, 1)}: row {place_row} of {spec.name} belongs to {owner(tables, spec.name, current, led)}, not {partner}"
                    )
                    continue
                for column, value in data.items():
                    sent = base.get((spec.name, place_row, table.headers[column - 1] or get_column_letter(column)))
                    if _same(value, sent):
                        continue
                    source = f"{sheet.title}!{cell_ref(number, _return_column(columns, column))}"
                    if spec.name in REFERENCE:
                        problems.append(
                            f"{name}: {source}: {spec.name} is for reference; it cannot be changed in a return"
                        )
                        continue
                    now = current[column - 1]
                    if not _same(now, sent):
                        problems.append(
                            f"{name}: {source}: the place workbook's {table.title}!{cell_ref(place_row, column)} has changed since this return was made ({sent!r} → {now!r})"
                        )
                        continue
                    edit = Edit(spec.name, place_row, column, now, value, partner, name, source)
                    edits.append(edit)
        # ownership may not be given away: a changed Partner, Lead or Beneficiary
        for edit in edits:
            if edit.file == name and edit.old is not None and edit.sheet in OWNED:
                header = tables[edit.sheet].headers[edit.column - 1]
                if header and normalise(header) in ("partner", "lead", "beneficiary") and _code_of(edit.new) != partner:
                    problems.append(
                        f"{name}: {edit.source}: {header} changed to '{edit.new}'; a return cannot hand a row to another partner"
                    )
    for edit in edits:
        key = (edit.sheet, edit.row, edit.column)
        if key in touched and touched[key].file != edit.file:
            other = touched[key]
            problems.append(
                f"{edit.file}: {edit.source}: {tables[edit.sheet].title}!{cell_ref(edit.row, edit.column)} is also changed by "
                f"{other.file} ({other.source})"
            )
        touched.setdefault(key, edit)
    if problems:
        raise MergeError("\n".join(problems))
    merged = _apply(tables, edits)
    _check_merged(place_raw, merged, edits)
    return MergePlan(edits, merged, added)


def _base_values(raw: RawWorkbook) -> dict[tuple[str, int, str], object]:
    sheet = raw.sheets.get(normalise(BASE))
    values = {}
    for number, row in sheet.rows if sheet is not None else []:
        if number == 1 or len(row) < 4:
            continue
        values[(row[0], row[1], row[2])] = row[3]
    return values


def _match_columns(table: PlaceTable, header_values, name, title, header_row):
    """Return column -> place column, the Place row column, and problems with headers."""
    problems = []
    columns: dict[int, int] = {}
    place_column = None
    for index, value in enumerate(header_values, start=1):
        if value is None or str(value).strip() == "":
            continue
        if normalise(value) == normalise(PLACE_ROW):
            place_column = index
            continue
        column = table.column(str(value))
        if column is None:
            problems.append(
                f"{name}: {title}!{cell_ref(header_row, index)}: column '{value}' is not in the place workbook; a return cannot add columns"
            )
        else:
            columns[index] = column
    for column, header in enumerate(table.headers, start=1):
        if header is not None and column not in columns.values():
            problems.append(f"{name}: {title}!{header_row}:{header_row}: column '{header}' is missing")
    if place_column is None:
        problems.append(
            f"{name}: {title}!{header_row}:{header_row}: the 'Place row' column is missing; this is not a return made by pooling split"
        )
    return columns, place_column, problems


def _return_column(columns: dict[int, int], place_column: int) -> int:
    return next(ret for ret, place in columns.items() if place == place_column)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _same(a, b) -> bool:
    """Two cell values are the same (blank is blank however written; numbers by value)."""
    if _blank(a) and _blank(b):
        return True
    if (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return float(a) == float(b)  # both read from cells written from the same value
    return a == b


def _code_of(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def _apply(tables: dict[str, PlaceTable], edits: list[Edit]) -> dict[str, PlaceTable]:
    merged = {}
    for name, table in tables.items():
        copy = PlaceTable(
            table.spec,
            table.title,
            table.header_row,
            list(table.headers),
            {r: list(v) for r, v in table.rows.items()},
            dict(table.uncalculated),
        )
        merged[name] = copy
    for edit in edits:
        table = merged[edit.sheet]
        row = table.rows.setdefault(edit.row, [None] * len(table.headers))
        row[edit.column - 1] = edit.new
        table.uncalculated.pop((edit.row, edit.column), None)
    return merged


def _check_merged(place_raw: RawWorkbook, merged: dict[str, PlaceTable], edits: list[Edit]) -> None:
    """Validate the merged place; name each problem by the return and cell it came from."""
    sheets = {}
    for table in merged.values():
        header = place_raw.sheets[table.spec.key]
        rows = [(number, values) for number, values in header.rows if number <= table.header_row]
        rows += [(number, tuple(values)) for number, values in sorted(table.rows.items())]
        sheets[table.spec.key] = RawSheet(table.title, rows, table.uncalculated)
    raw = RawWorkbook(place_raw.path, place_raw.package, sheets)
    try:
        validate(raw)
    except ValidationError as error:
        sources = {f"{merged[e.sheet].title}!{cell_ref(e.row, e.column)}": e for e in edits}
        lines = []
        for problem in error.problems:
            edit = sources.get(problem.where)
            if edit is not None:
                lines.append(f"{edit.file}: {edit.source} (place {problem.where}): {problem.message}")
            else:
                lines.append(f"{place_raw.path.name}: {problem}")
        raise MergeError("\n".join(lines)) from None


def merge(place_path: Path, returns: list[Path]) -> tuple[MergePlan, Package]:
    """Read the place workbook and the returns; every edit, checked and validated."""
    place_path = Path(place_path)
    raw = read_place(place_path)
    return plan_merge(raw, list(returns)), raw.package


def merged_workbook(package: Package, plan: MergePlan) -> bytes:
    """The place workbook with the edits spliced into its sheets and a Changes sheet added."""
    from .xlsx.cells import edit_cells
    from .xlsx.graft import graft

    parts = dict(package.parts)
    by_sheet: dict[str, dict[tuple[int, int], object]] = {}
    for edit in plan.edits:
        by_sheet.setdefault(edit.sheet, {})[(edit.row, edit.column)] = edit.new
    titles = {sheet.name: sheet.part for sheet in package.sheets}
    for name, values in by_sheet.items():
        table = plan.tables[name]
        part = titles[table.title]
        original_rows = [row for row in table.rows if row not in plan.added_rows.get(name, [])]
        style_row = max(original_rows, default=table.header_row)
        parts[part] = edit_cells(parts[part], values, style_row=style_row)
    order, content_types = list(package.order), dict(package.content_types)
    if by_sheet:
        drop_calculation_chain(package, parts, order, content_types)
    edited = Package(
        path=package.path,
        parts=parts,
        order=order,
        content_types=content_types,
        workbook_part=package.workbook_part,
        sheets=list(package.sheets),
        mode=package.mode,
        dates=dict(package.dates),
    )
    changes = _changes_workbook(plan)
    data, _ = graft(edited, changes, {})
    return data


def drop_calculation_chain(package: Package, parts: dict, order: list, content_types: dict) -> None:
    """Remove the calculation chain (``xl/calcChain.xml``), its relationship and its type.

    The chain lists every formula cell in the order Excel last calculated them. A merged
    figure can replace a formula, and a chain naming a cell with no formula makes Excel
    offer to repair the file; without a chain, Excel rebuilds it silently on open. The
    three go together or not at all: a relationship or type left pointing at a missing
    part would itself need repair.
    """
    rels = posixpath.join(
        posixpath.dirname(package.workbook_part), "_rels", posixpath.basename(package.workbook_part) + ".rels"
    )
    for rel_id, kind, target, _ in package.relationships(package.workbook_part):
        if not kind.endswith("/calcChain"):
            continue
        new_rels = _without_child(parts[rels], "Id", rel_id)
        new_types = _without_child(parts["[Content_Types].xml"], "PartName", "/" + target)
        if new_rels is None or new_types is None:
            continue
        parts[rels], parts["[Content_Types].xml"] = new_rels, new_types
        parts.pop(target, None)
        if target in order:
            order.remove(target)
        content_types.pop(target, None)


def _without_child(xml: bytes, attribute: str, value: str) -> bytes | None:
    """``xml`` without the one child of its root whose ``attribute`` is ``value``, cut
    out at its byte offsets (everything else kept as written); None unless exactly one."""
    from defusedxml import ElementTree as SafeET

    from .xlsx.container import scan

    children = list(SafeET.fromstring(xml))
    matches = [index for index, child in enumerate(children) if child.get(attribute) == value]
    tags = [tag for tag in scan(xml, max_depth=1) if tag.depth == 1]
    if len(matches) != 1 or len(tags) != len(children):
        return None
    tag = tags[matches[0]]
    return xml[: tag.start] + xml[tag.close :]


def _changes_workbook(plan: MergePlan) -> bytes:
    """A workbook holding the Changes sheet: every edit the merge made, and whose."""
    from .xlsx.book import Book

    book = Book(("Merged returns", "", ""))
    sheet = book.sheet("Changes")
    rows = [
        (
            plan.tables[edit.sheet].title,
            cell_ref(edit.row, edit.column),
            edit.old,
            edit.new,
            edit.partner,
            edit.file,
            edit.source,
            "added row" if edit.row in plan.added_rows.get(edit.sheet, []) else "changed",
        )
        for edit in plan.edits
    ]
    columns = ["Sheet", "Cell", "Old value", "New value", "Partner", "Return", "Return cell", "Change"]
    sheet.table(columns, rows, widths={"Return": 36, "Return cell": 24})
    if not rows:
        sheet.put(2, 1, "No return changed anything.")
    sheet.finish()
    return book.bytes()


def write_merged(place_path: Path, returns: list[Path], target: Path) -> MergePlan:
    """Merge the returns into a new copy of the place workbook, written atomically."""
    from .errors import WriteError
    from .files import check_output, write_output

    place_path, target = Path(place_path), Path(target)
    if target.resolve() == place_path.resolve():
        raise WriteError(f"{target}: this is the place workbook; merge into a new file")
    check_output(target, ("Changes",), "pooling merge", kind=None)  # before the work; the kind once it is known
    plan, package = merge(place_path, returns)
    write_output(
        target,
        lambda: merged_workbook(package, plan),
        ("Changes",),
        "pooling merge",
        package.kind,
        package.mode,
        package,
    )
    return plan
