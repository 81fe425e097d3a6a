"""The blank input workbook, made from the schema: headers, guidance, dropdowns.

``pooling template OUT.xlsx`` writes it; the example workbook is the same layout
filled with the example place's rows (``spreadsheets/build.py``), so a finance team
sees one shape of workbook everywhere.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import schema
from .files import atomic_write
from .layout import put

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GUIDE_FONT = Font(italic=True, color="595959")
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


def _dropdown(sheet, formula: str, column: int, prompt: str, first_row: int = 2) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    validation.error = prompt
    validation.errorTitle = "Not in the list"
    validation.add(f"{letter}{first_row}:{letter}{ROWS_WITH_DROPDOWNS}")
    sheet.add_data_validation(validation)


def _code_range(sheet_name: str) -> str:
    return f"'{sheet_name}'!$A$2:$A${ROWS_WITH_DROPDOWNS}"


def place_workbook(sheets: dict[str, list] | None = None) -> openpyxl.Workbook:
    """A contract workbook with guidance; ``sheets`` optionally fills it with rows.

    ``sheets`` maps a sheet name to its rows: for Place, (setting, value) pairs; for
    the others, dicts keyed by header. Keys that are not contract columns (year
    target columns on Outcomes, notes) become extra columns after the contract's.
    """
    sheets = sheets or {}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in schema.SHEETS:
        sheet = book.create_sheet(spec.name)
        if spec is schema.PLACE:
            _place_sheet(sheet, sheets.get("Place"))
            continue
        rows = sheets.get(spec.name, [])
        headers = [column.name for column in spec.columns]
        for row in rows:
            headers += [key for key in row if key not in headers]
        for index, header in enumerate(headers, start=1):
            cell = put(sheet.cell(1, index), header, font=HEADER_FONT)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            column = _column(spec, header)
            text = (
                f"{column.help}\n{_KINDS_HELP[column.kind]}"
                if column
                else "An extra column: a year label (2012/13) on Outcomes overrides Target for that year; anything else is kept and ignored."
            )
            cell.comment = header_comment(text)
            width = max(12, len(header) + 4, 30 if column is not None and column.kind == "text" else 0)
            sheet.column_dimensions[get_column_letter(index)].width = width
            number_format = NUMBER_FORMATS.get(column.kind) if column else NUMBER_FORMATS["quantity"]
            for row_number, row in enumerate(rows, start=2):
                value = row.get(header)
                if value is not None:
                    put(sheet.cell(row_number, index), value, number_format)
            if column is not None:
                column_validation(sheet, column, index)
        sheet.freeze_panes = "B2"
    return book


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    """An openpyxl workbook (templates, returns) as bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def header_comment(text: str) -> Comment:
    """Guidance on a header cell, sized to be read."""
    comment = Comment(text, "pooling")
    comment.width, comment.height = 300, 110
    return comment


def _column(spec: schema.SheetSpec, header: str):
    try:
        return spec.column(header)
    except KeyError:
        return None


def column_validation(sheet, column: schema.Column, index: int) -> None:
    """A dropdown for a column of choices, yes/no or codes from another sheet."""
    if column.kind == "choice":
        _dropdown(
            sheet, '"' + ",".join(column.choices) + '"', index, f"{column.name}: one of {', '.join(column.choices)}."
        )
    elif column.kind == "yesno":
        _dropdown(sheet, '"yes,no"', index, f"{column.name}: yes or no.")
    elif column.kind == "code" and column.refers_to:
        _dropdown(
            sheet, _code_range(column.refers_to), index, f"{column.name}: a code from the {column.refers_to} sheet."
        )


def _place_sheet(sheet, rows) -> None:
    for index, header in enumerate(("Setting", "Value"), start=1):
        cell = put(sheet.cell(1, index), header, font=HEADER_FONT)
        cell.fill = HEADER_FILL
    given = dict(rows or [])
    for row_number, setting in enumerate(schema.PLACE_SETTINGS, start=2):
        name_cell = put(sheet.cell(row_number, 1), setting.name, font=HEADER_FONT)
        default = None if setting.default is schema.REQUIRED else setting.default
        value = given.get(setting.name, default if rows is None else None)
        value_cell = sheet.cell(row_number, 2)
        if value is not None:
            put(value_cell, value)
        if setting.kind == "rate":
            value_cell.number_format = "0.0%"
        required = "Required." if setting.default is schema.REQUIRED else f"Default if blank: {setting.default}."
        comment = Comment(f"{setting.help}\n{required}", "pooling")
        comment.width, comment.height = 300, 90
        name_cell.comment = comment
        put(sheet.cell(row_number, 3), setting.help, font=GUIDE_FONT)
        if setting.kind == "units":
            validation = DataValidation(type="list", formula1='"' + ",".join(schema.UNITS) + '"', allow_blank=True)
            validation.add(f"B{row_number}")
            sheet.add_data_validation(validation)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 70


def write_place_workbook(path: Path, sheets: dict[str, list] | None = None) -> Path:
    """Write a contract workbook (blank, or filled with ``sheets``) atomically."""
    path = Path(path)
    atomic_write(path, workbook_bytes(place_workbook(sheets)))
    return path


def write_template(path: Path) -> Path:
    """The blank template: headers with guidance, defaults on the Place sheet, dropdowns."""
    return write_place_workbook(path)
