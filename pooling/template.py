"""The blank input workbook, made from the schema: headers, guidance, dropdowns.

``pooling template OUT.xlsx`` writes it; the example workbook is the same layout
filled with the example place's rows (``spreadsheets/build.py``), and the partners'
returns use the same guidance and dropdowns (``returns/split.py``), so a finance team
sees one shape of workbook everywhere.
"""

from __future__ import annotations

from pathlib import Path

from . import schema
from .files import atomic_write
from .xlsx.book import Book, Sheet

HEADER = {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter"}
GUIDE = {"italic": True, "font_color": "#595959"}
ROWS_WITH_DROPDOWNS = 500  # dropdowns and formats reach this far down each sheet
NUMBER_FORMATS = {
    "money": "#,##0",
    "pounds": "#,##0",
    "quantity": "#,##0.##",
    "percent": "0%",
    "whole": "0",
}
_KINDS_HELP = {
    "code": "A code (text).",
    "text": "Text.",
    "choice": "Pick from the list.",
    "yesno": "yes or no.",
    "codes": "Codes separated by commas.",
    "money": "Money in the workbook's unit (Place sheet: Units).",
    "pounds": "Money in £, whatever the workbook's unit.",
    "quantity": "A number, zero or more.",
    "percent": "A percentage: 25% (or 25).",
    "whole": "A whole number.",
}
EXTRA_COLUMN_HELP = (
    "An extra column: a year label (2012/13) on Outcomes overrides Target for that year; anything else is kept "
    "and ignored."
)


def place_workbook(sheets: dict[str, list] | None = None) -> bytes:
    """A contract workbook with guidance, as bytes; ``sheets`` optionally fills it with rows.

    ``sheets`` maps a sheet name to its rows: for Place, (setting, value) pairs; for
    the others, dicts keyed by header. Keys that are not contract columns (year
    target columns on Outcomes, notes) become extra columns after the contract's.
    """
    sheets = sheets or {}
    book = Book()
    for spec in schema.SHEETS:
        sheet = book.sheet(spec.name)
        if spec is schema.PLACE:
            _place_sheet(sheet, sheets.get("Place"))
            continue
        rows = sheets.get(spec.name, [])
        headers = [column.name for column in spec.columns]
        for row in rows:
            headers += [key for key in row if key not in headers]
        for index, header in enumerate(headers, start=1):
            sheet.put(1, index, header, style=HEADER)
            column = _column(spec, header)
            sheet.note(1, index, f"{column.help}\n{_KINDS_HELP[column.kind]}" if column else EXTRA_COLUMN_HELP)
            width = max(12, len(header) + 4, 30 if column is not None and column.kind == "text" else 0)
            sheet.width(index, width)
            number_format = NUMBER_FORMATS.get(column.kind) if column else NUMBER_FORMATS["quantity"]
            for row_number, row in enumerate(rows, start=2):
                value = row.get(header)
                if value is not None:
                    sheet.put(row_number, index, value, number_format)
            if column is not None:
                column_validation(sheet, column, index)
        sheet.freeze(2, 2)
    return book.bytes()


def _column(spec: schema.SheetSpec, header: str) -> schema.Column | None:
    try:
        return spec.column(header)
    except KeyError:
        return None


def column_validation(sheet: Sheet, column: schema.Column, index: int, first_row: int = 2) -> None:
    """A dropdown for a column of choices, yes/no or codes from another sheet."""
    last = ROWS_WITH_DROPDOWNS
    if column.kind == "choice":
        sheet.dropdown(
            first_row, last, index, list(column.choices), f"{column.name}: one of {', '.join(column.choices)}."
        )
    elif column.kind == "yesno":
        sheet.dropdown(first_row, last, index, ["yes", "no"], f"{column.name}: yes or no.")
    elif column.kind == "code" and column.refers_to:
        source = f"='{column.refers_to}'!$A$2:$A${ROWS_WITH_DROPDOWNS}"
        sheet.dropdown(first_row, last, index, source, f"{column.name}: a code from the {column.refers_to} sheet.")


def _place_sheet(sheet: Sheet, rows) -> None:
    for index, header in enumerate(("Setting", "Value"), start=1):
        sheet.put(1, index, header, style=HEADER)
    given = dict(rows or [])
    for row_number, setting in enumerate(schema.PLACE_SETTINGS, start=2):
        sheet.put(row_number, 1, setting.name, style={"bold": True})
        default = None if setting.default is schema.REQUIRED else setting.default
        value = given.get(setting.name, default if rows is None else None)
        number_format = "0.0%" if setting.kind == "rate" else None
        sheet.put(row_number, 2, value, number_format)
        required = "Required." if setting.default is schema.REQUIRED else f"Default if blank: {setting.default}."
        sheet.note(row_number, 1, f"{setting.help}\n{required}", height=90)
        sheet.put(row_number, 3, setting.help, style=GUIDE)
        if setting.kind == "units":
            sheet.dropdown(row_number, row_number, 2, list(schema.UNITS), "Units: £, £000 or £m.")
    sheet.width(1, 18)
    sheet.width(2, 24)
    sheet.width(3, 70)


def write_place_workbook(path: Path, sheets: dict[str, list] | None = None) -> Path:
    """Write a contract workbook (blank, or filled with ``sheets``) atomically."""
    path = Path(path)
    atomic_write(path, place_workbook(sheets))
    return path


def write_template(path: Path) -> Path:
    """The blank template: headers with guidance, defaults on the Place sheet, dropdowns."""
    return write_place_workbook(path)
