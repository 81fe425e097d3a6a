"""Validate: turn the raw sheets into a :class:`~pooling.place.Place`, or list every problem.

Each ``check_*`` function looks at one rule of the contract and reports what is
wrong as ``Sheet!Cell: what is wrong``. Nothing stops at the first problem: a
finance officer fixing a workbook wants the whole list at once. Only when every
check passes is a Place built.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import schema
from .errors import InputError
from .place import Outcome, Partner, Place, Programme, Saving, Segment, Stream, year_label
from .schema import REQUIRED, Column, SheetSpec, normalise
from .tables import HEADER_SEARCH_ROWS, SheetTable, code_text, describe, locate, read_place
from .xlsx.container import Package
from .xlsx.read import RawSheet, RawWorkbook
from .xlsx.refs import cell_ref, column_letter

_YEAR_LABEL = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2})\s*$")
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


@dataclass(frozen=True)
class Problem:
    where: str  # Sheet!Cell, or a sheet name when no cell applies
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ValidationError(InputError):
    """The workbook breaks the contract; ``problems`` lists every breach found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class Row:
    """One data row of a contract sheet: parsed values, and where each column's cell is."""

    number: int
    values: dict[str, object] = field(default_factory=dict)  # column key -> parsed value
    extra: dict[str, object] = field(default_factory=dict)  # other headers -> raw value
    places: dict[str, str] = field(default_factory=dict, repr=False)  # column name -> "Sheet!D" (no row)

    def __getitem__(self, column: str):
        return self.values[normalise(column)]

    @property
    def cells(self) -> dict[str, str]:
        """Column name -> ``Sheet!Ref`` of its cell in this row (made when asked: a large
        sheet has hundreds of thousands of cells, and few are ever named)."""
        return {name: f"{place}{self.number}" for name, place in self.places.items()}


@dataclass
class Table:
    """A contract sheet read and parsed: every row's values by column kind."""

    sheet: SheetSpec
    title: str
    rows: list[Row]
    extra_headers: dict[str, int]  # header as written -> column index, for non-contract columns
    extra_header_values: dict[str, object] = field(default_factory=dict)  # header -> the cell's value


class Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(Problem(where, message))


def validate(raw: RawWorkbook) -> Place:
    """The validated place, or :class:`ValidationError` listing every problem."""
    problems = Problems()
    tables: dict[str, Table] = {}
    for sheet in schema.SHEETS:
        raw_sheet = raw.sheets.get(sheet.key)
        if raw_sheet is None:
            if not sheet.optional:
                present = ", ".join(raw.sheet_names()) or "none"
                problems.add(sheet.name, f"the sheet is missing (the workbook has: {present})")
            continue
        table = read_table(raw_sheet, sheet, problems)
        if table is not None:
            tables[sheet.name] = table
    if any(name not in tables for name in ("Place", "Partners", "Funding", "Programmes", "Outcomes", "Effects")):
        raise ValidationError(problems)

    settings, setting_cells = check_place(tables["Place"], problems)
    years = settings.get("years")
    base_year = settings.get("base year")
    labels = [year_label(int(base_year[:4]) + t) for t in range(1, years + 1)] if base_year and years else []

    check_unique_codes(tables, problems)
    check_references(tables, problems)
    check_programme_bounds(tables["Programmes"], problems)
    check_pool_shares(tables["Partners"], problems)
    check_generated_stream_codes(tables["Funding"], tables["Partners"], problems)
    check_ranges(tables["Effects"], "Per £m", problems)
    if "Savings" in tables:
        check_ranges(tables["Savings"], "£ per unit", problems)
    if settings.get("units") in schema.UNITS:
        check_within_reality(tables, schema.UNITS[settings["units"]], problems)
    segments = check_effect_segments(tables["Effects"], problems)
    targets, place_warnings = check_target_years(tables["Outcomes"], labels, problems)

    if problems:
        raise ValidationError(problems)
    place = _build_place(tables, settings, setting_cells, segments, targets)
    place.warnings.extend(place_warnings)
    return place


# --- reading a sheet -----------------------------------------------------------------


def _near_miss(column: Column, headers: dict[str, int]) -> str | None:
    """A header as written that is probably a misspelling of ``column`` (e.g. 'Per £ m')."""
    squashed = {"".join(normalise(header).split()): header for header in headers}
    wanted = "".join(column.key.split())
    if wanted in squashed:
        return squashed[wanted]
    close = difflib.get_close_matches(wanted, list(squashed), n=1, cutoff=0.8)
    return squashed[close[0]] if close else None


def read_table(raw: RawSheet, sheet: SheetSpec, problems: Problems) -> Table | None:
    """Parse a contract sheet: locate the header, map columns, parse every cell by kind."""
    title = raw.title
    located: SheetTable | None = locate(raw, sheet)
    if located is None:
        problems.add(
            title,
            f"no header row with a '{sheet.code_column.name}' column in the first {HEADER_SEARCH_ROWS} rows",
        )
        return None
    header_number = located.header_row
    for index, value in located.duplicates:
        problems.add(f"{title}!{cell_ref(header_number, index)}", f"column '{value}' appears twice")
    positions, extra_headers = located.columns, located.extra
    missing = [column for column in sheet.columns if column.required and column.key not in positions]
    for column in missing:
        where, hint = f"{title}!{header_number}:{header_number}", ""
        near = _near_miss(column, extra_headers)
        if near is not None:
            where = f"{title}!{cell_ref(header_number, extra_headers[near])}"
            hint = f" (is '{near}' meant to be '{column.name}'?)"
        problems.add(where, f"missing column '{column.name}'{hint}")
    if missing:
        return None

    # Each contract column once: its key, position, parser, and "Sheet!D" for its cells.
    plan = [
        (column, positions[column.key] - 1, _PARSERS[column.kind], f"{title}!{column_letter(positions[column.key])}")
        for column in sheet.columns
        if column.key in positions
    ]
    absent = {
        column.key: (None if column.blank is REQUIRED else column.blank)
        for column in sheet.columns
        if column.key not in positions
    }
    places = {column.name: place for column, _, _, place in plan}
    places.update({header: f"{title}!{column_letter(index)}" for header, index in extra_headers.items()})
    flagged = {**raw.uncalculated, **raw.errors, **raw.stale}
    rows = []
    for number, values in located.rows:
        width = len(values)
        cells = [values[index] if index < width else None for _, index, _, _ in plan]
        if all(value is None or value == "" or _blank(value) for value in cells) and not (
            flagged and any((number, index + 1) in flagged for _, index, _, _ in plan)
        ):
            continue
        row = Row(number, dict(absent), places=places)
        for (column, index, parser, place), value in zip(plan, cells):
            if flagged and (number, index + 1) in flagged:
                where = f"{place}{number}"
                if (number, index + 1) in raw.stale:
                    problems.add(
                        where,
                        f"formula {raw.stale[(number, index + 1)]} may hold an out-of-date value: the workbook asks "
                        "to be recalculated when opened (pooling merge asks this after changing cells formulas "
                        "read); open it in Excel or LibreOffice, save it, and run again",
                    )
                elif (number, index + 1) in raw.uncalculated:
                    problems.add(
                        where,
                        f"formula {raw.uncalculated[(number, index + 1)]} has no calculated value; open the workbook "
                        "in Excel or LibreOffice and save it so the value is calculated",
                    )
                else:
                    problems.add(
                        where,
                        f"the cell holds the Excel error {raw.errors[(number, index + 1)]}; correct it and save again",
                    )
                row.values[column.key] = None
            elif value is None or value == "" or (value.__class__ is str and not value.strip()):
                if column.blank is REQUIRED:
                    problems.add(f"{place}{number}", f"{column.name} is blank")
                    row.values[column.key] = None
                else:
                    row.values[column.key] = column.blank
            else:
                try:
                    row.values[column.key] = parser(value, column)
                except ValueError as exc:
                    problems.add(f"{place}{number}", str(exc))
                    row.values[column.key] = None
        for header, index in extra_headers.items():
            row.extra[header] = values[index - 1] if index <= width else None
            if (number, index) in raw.uncalculated:
                row.extra[header] = _Uncalculated(raw.uncalculated[(number, index)])
        rows.append(row)
    return Table(sheet, title, rows, extra_headers, located.extra_values)


@dataclass(frozen=True)
class _Uncalculated:
    formula: str


def _blank(value: object) -> bool:
    return value is None or value == "" or (value.__class__ is str and not value.strip())


# Excel holds at most this many characters in a cell; a longer text could not be written
# back into the results.
EXCEL_CELL_CHARACTERS = 32_767


def _within_a_cell(text: str, column: Column) -> str:
    if len(text) > EXCEL_CELL_CHARACTERS:
        raise ValueError(
            f"{column.name} is {len(text):,} characters long; Excel holds at most {EXCEL_CELL_CHARACTERS:,} in a cell"
        )
    return text


def _code(value: object, column: Column) -> str:
    return _within_a_cell(code_text(value, column.name), column)


def _text(value: object, column: Column) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _within_a_cell(str(value).strip(), column)


def _choice(value: object, column: Column) -> str:
    choice = normalise(value)
    if choice not in column.choices:
        raise ValueError(f"{column.name} '{value}' is not one of: {', '.join(column.choices)}")
    return choice


def _yesno(value: object, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    word = normalise(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"{column.name} must be yes or no, not '{value}'")


def _codes(value: object, column: Column) -> tuple[str, ...]:
    return tuple(part.strip() for part in _code(value, column).split(",") if part.strip())


def number(value: object, name: str) -> float:
    """A finite number from a cell (numbers typed as text are accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {describe(value)}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number, not '{value}'") from None
    else:
        raise ValueError(f"{name} must be a number, not {describe(value)}")
    if not math.isfinite(result):
        raise ValueError(f"{name} must be a finite number, not {value}")
    return result


def _non_negative(value: object, column: Column) -> float:
    result = number(value, column.name)
    if result < 0:
        raise ValueError(f"{column.name} is negative ({_plain(result)})")
    return result


def _percent(value: object, column: Column) -> float:
    """Excel percentage (0.25) or a number above 1 read as a percent (25 -> 25%)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        share = number(value.strip()[:-1], column.name) / 100.0
    else:
        share = number(value, column.name)
        if share > 1:
            share /= 100.0
    if share < 0:
        raise ValueError(f"{column.name} is negative ({_plain(share * 100)}%)")
    if share > 1:
        raise ValueError(f"{column.name} is {_plain(share * 100)}%, outside 0-100%")
    return share


def _whole(value: object, column: Column) -> int:
    result = number(value, column.name)
    if not result.is_integer():
        raise ValueError(f"{column.name} must be a whole number of years, not {_plain(result)}")
    if result < 1:
        raise ValueError(f"{column.name} must be 1 or more (is {_plain(result)})")
    return int(result)


_PARSERS = {
    "code": _code,
    "text": _text,
    "choice": _choice,
    "yesno": _yesno,
    "codes": _codes,
    "money": _non_negative,
    "pounds": _non_negative,
    "quantity": _non_negative,
    "percent": _percent,
    "whole": _whole,
    "any": lambda value, column: value,
}


def _plain(value: float) -> str:
    return f"{value:,.10g}"


def parse_year_label(value: object) -> str | None:
    """``2010/11`` as a label, or None. Excel turns a typed 2010/11 into 1 Nov 2010: accepted."""
    if isinstance(value, (dt.datetime, dt.date)):
        if value.day == 1 and value.month == (value.year + 1) % 100:
            return year_label(value.year)
        return None
    if isinstance(value, str):
        match = _YEAR_LABEL.match(value)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            return year_label(int(match.group(1)))
    return None


# --- checks ----------------------------------------------------------------------------


def check_place(table: Table, problems: Problems) -> tuple[dict, dict]:
    """Place settings: known names, required values present, each of the right kind."""
    by_key = {setting.key: setting for setting in schema.PLACE_SETTINGS}
    seen: dict[str, object] = {}
    cells: dict[str, str] = {}
    for row in table.rows:
        name = row["Setting"]
        if name is None:
            continue
        key = normalise(name)
        setting = by_key.get(key)
        if setting is None:
            continue  # other settings are the user's notes, kept and ignored
        where = row.cells.get("Value", f"{table.title}!B{row.number}")
        if key in seen:
            problems.add(row.cells["Setting"], f"setting '{name}' appears twice")
            continue
        seen[key] = None
        cells[setting.name] = where
        value = row["Value"]
        if _blank(value):
            continue
        try:
            seen[key] = _parse_setting(setting, value)
        except ValueError as exc:
            problems.add(where, str(exc))
            seen[key] = REQUIRED  # reported; keep out of the defaults below
    settings = {}
    for setting in schema.PLACE_SETTINGS:
        value = seen.get(setting.key)
        if value is REQUIRED:
            continue
        if value is None:
            if setting.default is REQUIRED:
                where = cells.get(setting.name, table.title)
                problems.add(
                    where, f"the setting '{setting.name}' is {'blank' if setting.name in cells else 'missing'}"
                )
                continue
            value = setting.default
        settings[setting.key] = value
    return settings, cells


def _parse_setting(setting: schema.Setting, value: object):
    if setting.kind == "text":
        return _text(value, Column(setting.name, "text", ""))
    if setting.kind == "yearlabel":
        label = parse_year_label(value)
        if label is None:
            raise ValueError(f"Base year must be a financial year written like 2010/11, not {describe(value)}")
        return label
    if setting.kind == "years":
        years = number(value, "Years")
        if not years.is_integer() or not 1 <= years <= 100:
            raise ValueError(f"Years must be a whole number from 1 to 100, not {_plain(years)}")
        return int(years)
    if setting.kind == "units":
        text = str(value).strip()
        for unit in schema.UNITS:
            if text.casefold() == unit.casefold():
                return unit
        raise ValueError(f"Units must be £, £000 or £m, not '{value}'")
    if setting.kind == "rate":
        rate = number(value, setting.name)
        if not 0 <= rate < 1:
            raise ValueError(f"{setting.name} must be a yearly rate from 0 to 1 (3.5% is 0.035), not {_plain(rate)}")
        return rate
    raise AssertionError(setting.kind)


_CODE_SHEETS = ("Partners", "Funding", "Programmes", "Outcomes")


def check_unique_codes(tables: dict[str, Table], problems: Problems) -> None:
    """Partner, stream, programme and outcome codes are unique within their sheet."""
    for name in _CODE_SHEETS:
        table = tables[name]
        column = table.sheet.code_column
        first: dict[str, int] = {}
        for row in table.rows:
            code = row[column.name]
            if code is None:
                continue
            if code in first:
                problems.add(
                    row.cells[column.name], f"{column.name} code '{code}' is used twice (also row {first[code]})"
                )
            else:
                first[code] = row.number


def _codes_of(table: Table) -> set[str]:
    column = table.sheet.code_column.name
    return {row[column] for row in table.rows if row[column] is not None}


def _unknown(code: str, known: set[str], what: str) -> str:
    close = difflib.get_close_matches(code, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{code}'{hint}"


def check_references(tables: dict[str, Table], problems: Problems) -> None:
    """Every code used in a column that refers to another sheet exists there."""
    codes = {name: _codes_of(tables[name]) for name in _CODE_SHEETS}
    words = {"Partners": "partner", "Programmes": "programme", "Outcomes": "outcome"}
    for table in tables.values():
        for column in table.sheet.columns:
            if column.refers_to is None:
                continue
            known = codes[column.refers_to]
            for row in table.rows:
                value = row[column.name]
                if value is None:
                    continue
                for code in value if isinstance(value, tuple) else (value,):
                    if code not in known:
                        problems.add(row.cells[column.name], _unknown(code, known, words[column.refers_to]))


def check_programme_bounds(table: Table, problems: Problems) -> None:
    """Min ≤ Max for every programme."""
    for row in table.rows:
        low, high = row["Min"], row["Max"]
        if low is not None and high is not None and low > high:
            problems.add(
                row.cells.get("Min", row.cells["Programme"]), f"Min ({_plain(low)}) is above Max ({_plain(high)})"
            )


def check_pool_shares(table: Table, problems: Problems) -> None:
    """Pool min % ≤ Pool max % for every partner."""
    for row in table.rows:
        low, high = row["Pool min %"], row["Pool max %"]
        if low is not None and high is not None and low > high:
            problems.add(
                row.cells.get("Pool min %", row.cells["Partner"]),
                f"Pool min % ({_plain(low * 100)}%) is above Pool max % ({_plain(high * 100)}%)",
            )


def check_generated_stream_codes(funding: Table, partners: Table, problems: Problems) -> None:
    """Stream codes must not clash with the streams the model adds (FREEZE-x, SAVINGS-x)."""
    reserved = {f"{prefix}-{code}" for code in _codes_of(partners) for prefix in ("FREEZE", "SAVINGS")}
    for row in funding.rows:
        code = row["Stream"]
        if code in reserved:
            problems.add(
                row.cells["Stream"],
                f"stream code '{code}' is reserved for the stream the model adds for the "
                f"{'council tax freeze grant' if code.startswith('FREEZE') else 'cashable savings'}",
            )


# No public body's budget, nor any unit cost or outcome count, comes near these; a figure
# beyond them is a slip (a unit, a pasted ID), and it would take the LP out of the range in
# which solvers' tolerances mean anything (HiGHS solved a Base of 1e25 to an objective of 0).
MAX_POUNDS = 1e12  # £1 trillion, in £ whatever the workbook's unit
MAX_QUANTITY = 1e12  # outcome units, rates per £m, widths of effect segments
# Non-zero figures below this (in £) are as far below a penny as the ceiling is above
# any budget; with them the scaled coefficients span more than the solvers can resolve.
MIN_POUNDS = 1e-6


def check_within_reality(tables: dict[str, Table], unit_pounds: float, problems: Problems) -> None:
    """Money, prices and quantities within what a public body can hold (``MAX_POUNDS``,
    ``MAX_QUANTITY``), checked by cell once the workbook's unit is known."""
    for table in tables.values():
        for column in table.sheet.columns:
            if column.kind not in ("money", "pounds", "quantity"):
                continue
            scale = unit_pounds if column.kind == "money" else 1.0
            ceiling = MAX_QUANTITY if column.kind == "quantity" else MAX_POUNDS
            for row in table.rows:
                value = row[column.name]
                if not isinstance(value, float) or value == 0.0:
                    continue
                if value * scale > ceiling:
                    unit = f" in {_unit_words(unit_pounds)}" if column.kind == "money" else ""
                    problems.add(
                        row.cells[column.name],
                        f"{column.name} is {value:,.6g}{unit}, above {ceiling:,.0f}"
                        f"{' (£1 trillion)' if column.kind != 'quantity' else ''}, more than any public body "
                        "holds; check the figure and the workbook's Units",
                    )
                elif column.kind != "quantity" and value * scale < MIN_POUNDS:
                    problems.add(
                        row.cells[column.name],
                        f"{column.name} is {value:.3g}{'' if column.kind != 'money' else ' ' + _unit_words(unit_pounds)}, "
                        "below a millionth of a penny; write 0 or check the figure",
                    )


def _unit_words(unit_pounds: float) -> str:
    return {1.0: "£", 1e3: "£000", 1e6: "£m"}.get(unit_pounds, f"units of £{unit_pounds:,.0f}")


def check_ranges(table: Table, column: str, problems: Problems) -> None:
    """Low ≤ the value ≤ High, where a row gives its plausible range (for sweeps)."""
    for row in table.rows:
        value, low, high = row[column], row["Low"], row["High"]
        if value is None:
            continue
        if low is not None and low > value:
            problems.add(row.cells["Low"], f"Low ({_plain(low)}) is above {column} ({_plain(value)})")
        if high is not None and high < value:
            problems.add(row.cells["High"], f"High ({_plain(high)}) is below {column} ({_plain(value)})")


def check_effect_segments(table: Table, problems: Problems) -> dict[tuple[str, str], tuple[Segment, ...]]:
    """Segments per (programme, outcome): ordered by Up to, only the last open, rates not increasing."""
    programme, outcome, rate, up_to, low, high = (
        normalise(name) for name in ("Programme", "Outcome", "Per £m", "Up to", "Low", "High")
    )
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in table.rows:
        values = row.values
        if values[programme] is not None and values[outcome] is not None:
            grouped[(values[programme], values[outcome])].append(row)

    def cell(row: Row, name: str) -> str:
        return f"{row.places.get(name, row.places['Programme'])}{row.number}"

    segments = {}
    for key, rows in grouped.items():
        if any(row.values[rate] is None for row in rows):
            continue  # already reported
        bounded = sorted(
            (row for row in rows if row.values[up_to] is not None), key=lambda row: (row.values[up_to], row.number)
        )
        open_ended = [row for row in rows if row.values[up_to] is None]
        for row in open_ended[1:]:
            problems.add(
                cell(row, "Up to"),
                f"Up to is blank but is not the last segment of {key[0]} → {key[1]} "
                f"(row {open_ended[0].number} is blank too); only the last segment may have no limit",
            )
        built = []
        start, previous = 0.0, None
        for row in bounded + open_ended[:1]:
            end, level = row.values[up_to], row.values[rate]
            if end is not None and end <= start:
                what = "zero" if previous is None else f"that of row {previous.number} ({_plain(start)})"
                problems.add(cell(row, "Up to"), f"Up to ({_plain(end)}) must be above {what}")
            elif previous is not None and level > previous.values[rate]:
                problems.add(
                    cell(row, "Per £m"),
                    f"rate {_plain(level)} per £m is above the previous segment's "
                    f"{_plain(previous.values[rate])} (row {previous.number}); rates must not increase",
                )
            built.append(
                Segment(start, end, level, cell(row, "Per £m"), low=row.values.get(low), high=row.values.get(high))
            )
            if end is not None:
                start = end
            previous = row
        segments[key] = tuple(built)
    return segments


def check_target_years(
    table: Table, labels: list[str], problems: Problems
) -> tuple[dict[str, tuple[tuple, tuple]], list[str]]:
    """Year columns on Outcomes (headed 2012/13...) override Target for that year.

    Returns, per outcome code, (targets per year, target cell per year), and warnings
    for year columns outside the modelled years.
    """
    year_columns: dict[str, str] = {}  # label -> header as written
    notes = []
    for header, value in table.extra_header_values.items():
        label = parse_year_label(value)
        if label is None:
            continue
        if label in labels:
            year_columns[label] = header
        elif labels:
            notes.append(
                f"{table.title}: column '{header}' is not a modelled year ({labels[0]} to {labels[-1]}); ignored"
            )
    result = {}
    for row in table.rows:
        code = row["Outcome"]
        targets, cells = [], []
        for label in labels:
            header = year_columns.get(label)
            value = row.extra.get(header) if header else None
            if header and isinstance(value, _Uncalculated):
                problems.add(row.cells[header], f"formula {value.formula} has no calculated value")
                value = None
            if header and not _blank(value):
                try:
                    parsed = number(value, f"Target for {label}")
                    if parsed < 0:
                        raise ValueError(f"Target for {label} is negative ({_plain(parsed)})")
                except ValueError as exc:
                    problems.add(row.cells[header], str(exc))
                    parsed = None
                targets.append(parsed)
                cells.append(row.cells[header])
            else:
                targets.append(row["Target"])
                cells.append(row.cells.get("Target") if row["Target"] is not None else None)
        result[code] = (tuple(targets), tuple(cells))
    return result, notes


def _build_place(tables, settings, setting_cells, segments, targets) -> Place:
    partners = {
        row["Partner"]: Partner(
            code=row["Partner"],
            name=row["Name"] or row["Partner"],
            type=row["Type"],
            pool_min=row["Pool min %"],
            pool_max=row["Pool max %"],
            cells=row.cells,
        )
        for row in tables["Partners"].rows
    }
    streams = {
        row["Stream"]: Stream(
            code=row["Stream"],
            partner=row["Partner"],
            source=row["Source"],
            base=row["Base"],
            poolable=row["Poolable"],
            ring_fenced_to=row["Ring-fenced to"],
            cells=row.cells,
        )
        for row in tables["Funding"].rows
    }
    programmes = {
        row["Programme"]: Programme(
            code=row["Programme"],
            name=row["Name"] or row["Programme"],
            lead=row["Lead"],
            pooled=row["Pooled"],
            baseline=row["Baseline"],
            min=row["Min"],
            max=row["Max"],
            cells=row.cells,
        )
        for row in tables["Programmes"].rows
    }
    outcomes = {}
    for row in tables["Outcomes"].rows:
        code = row["Outcome"]
        year_targets, year_cells = targets[code]
        penalty = row["Shortfall penalty"]
        outcomes[code] = Outcome(
            code=code,
            name=row["Name"] or code,
            unit=row["Unit"] or "",
            value=row["Value per unit"],
            penalty=row["Value per unit"] if penalty is None else penalty,
            targets=year_targets,
            cells=row.cells,
            target_cells=year_cells,
        )
    savings = tuple(
        Saving(
            outcome=row["Outcome"],
            beneficiary=row["Beneficiary"],
            per_unit=row["£ per unit"],
            cashable=row["Cashable %"],
            lag=row["Lag"],
            low=row["Low"],
            high=row["High"],
            cells=row.cells,
        )
        for row in (tables["Savings"].rows if "Savings" in tables else [])
    )
    return Place(
        name=settings["place"],
        base_year=settings["base year"],
        years=settings["years"],
        units=settings["units"],
        unit_pounds=schema.UNITS[settings["units"]],
        discount_rate=settings["discount rate"],
        partners=partners,
        streams=streams,
        programmes=programmes,
        outcomes=outcomes,
        effects=segments,
        savings=savings,
        setting_cells=setting_cells,
    )


def load(workbook: Path) -> tuple[Place, Package]:
    """Read and validate a workbook: the place, and the package it came from.

    Raises :class:`~pooling.xlsx.container.PackageError` (not a workbook we can open safely)
    or :class:`~pooling.validate.ValidationError` (every breach of the contract).
    Needs neither the solver nor pandas, so ``pooling validate`` starts quickly.
    """
    raw = read_place(Path(workbook))
    return validate(raw), raw.package
