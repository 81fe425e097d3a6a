"""Laying out result sheets with openpyxl: text kept as text, tables, print set-up.

Shared by the result sheets (``write.py``), the board-paper Summary (``board.py``)
and the template (``template.py``), so every sheet the tool writes looks and prints
the same way.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import fmt

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def put(cell, value, number_format: str | None = None, font=None):
    """Write a value; text always as text, so a name starting '=' never becomes a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def write_table(
    sheet, frame, formats: dict[str, str] | None = None, start_row: int = 1, widths: dict[str, float] | None = None
) -> int:
    """A header row and one row per record; returns the last row written."""
    formats = formats or {}
    widths = widths or {}
    columns = list(frame.columns)
    for index, column in enumerate(columns, start=1):
        cell = put(sheet.cell(start_row, index), column, font=HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row_number = start_row
    for row_number, record in enumerate(frame.itertuples(index=False), start=start_row + 1):
        for index, (column, value) in enumerate(zip(columns, record), start=1):
            if value is None or (isinstance(value, float) and value != value):
                continue
            put(sheet.cell(row_number, index), value.item() if hasattr(value, "item") else value, formats.get(column))
    header_lines = 1
    for index, column in enumerate(columns, start=1):
        if column in widths:
            width = widths[column]
        else:
            longest = max([len(str(column))] + [len(_shown(v, formats.get(column))) for v in frame[column].head(500)])
            width = min(max(10, longest + 2), 60)
        sheet.column_dimensions[get_column_letter(index)].width = width
        header_lines = max(header_lines, -(-len(str(column)) // max(1, int(width) - 1)))
    if header_lines > 1:  # a wrapped header needs a taller row (Excel and LibreOffice do not grow it)
        sheet.row_dimensions[start_row].height = 15 * min(header_lines, 4)
    return row_number


def _shown(value, number_format) -> str:
    if isinstance(value, float) and number_format and number_format != fmt.EXCEL_FULL:
        return f"{value:,.1f}"
    return str(value)


def finish_sheet(
    sheet, header_row: int = 1, landscape: bool = True, filter_range: str | None = None, repeat_header: bool = True
) -> None:
    """Frozen header, filter, A4 landscape fitting the page width, header row repeated."""
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    if filter_range:
        sheet.auto_filter.ref = filter_range
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if repeat_header:
        sheet.print_title_rows = f"{header_row}:{header_row}"
