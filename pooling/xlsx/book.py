"""Result workbooks, laid out with XlsxWriter: tables, formats, print set-up, charts.

Every workbook of results the tool makes (the result sheets of ``pooling run``, each
partner's results, ``pooling compare``, the Changes sheet of a merge) is written
here. XlsxWriter writes a sheet five to ten times faster than openpyxl, which
matters when a Flows sheet has hundreds of thousands of rows, and it writes native
Excel charts. Text is always written as text (``strings_to_formulas`` is off, so a
name beginning '=' is never a formula) and URLs are not turned into links.

Rows and columns are 1-based here, as in Excel and openpyxl, and converted for
XlsxWriter at the edge.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_rowcol_to_cell

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True, "valign": "vcenter"}
TITLE = {"bold": True, "font_size": 14}
BOLD = {"bold": True}
WRAP = {"text_wrap": True, "valign": "top"}
TOTAL = {"bold": True, "top": 1, "bottom": 6}  # a thin rule above, a double rule below
UNLOCKED = {"locked": False}
DATE = "dd/mm/yyyy"
A4 = 9


class FullPrecisionWorksheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that writes numbers to full precision.

    XlsxWriter writes numbers to 16 significant digits (Excel displays 15), which loses
    the last bits of a double; the contract promises Flows and the objective at full
    precision, so numbers are written with ``repr``, the shortest text that reads back
    as the very same double. (This overrides XlsxWriter's inner cell writer; a test
    reads written numbers back bit for bit, so a change in XlsxWriter cannot slip by.)
    """

    def _xml_number_element(self, number, attributes=()) -> None:
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(
            f"<c{attr}><v>{float(number)!r}</v></c>" if not isinstance(number, int) else f"<c{attr}><v>{number}</v></c>"
        )


class Book:
    """A workbook being written in memory, with each distinct format made once."""

    def __init__(self, header: tuple[str, str, str] = ("", "", "")):
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        self.header = "&L{}&C{}&R{}".format(*(part.replace("&", "&&") for part in header))
        self._formats: dict[tuple, object] = {}

    def format(self, *parts: dict | None, number_format: str | None = None):
        """The format combining ``parts`` (dicts of XlsxWriter properties) and a number format."""
        merged: dict = {}
        for part in parts:
            merged.update(part or {})
        if number_format:
            merged["num_format"] = number_format
        key = tuple(sorted(merged.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(merged) if merged else None
        return self._formats[key]

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, self.book.add_worksheet(name, worksheet_class=FullPrecisionWorksheet))

    def chart(self, kind: str, subtype: str | None = None):
        options = {"type": kind}
        if subtype:
            options["subtype"] = subtype
        return self.book.add_chart(options)

    def bytes(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


class Sheet:
    def __init__(self, book: Book, worksheet):
        self.book = book
        self.worksheet = worksheet
        self.name = worksheet.get_name()
        self.widths: dict[int, float] = {}

    def put(self, row: int, column: int, value, number_format: str | None = None, style: dict | None = None) -> None:
        """One cell: text as text, numbers as numbers, nothing for a blank."""
        cell_format = self.book.format(style, number_format=number_format)
        r, c = row - 1, column - 1
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if cell_format is not None:
                self.worksheet.write_blank(r, c, None, cell_format)
        elif isinstance(value, bool):
            self.worksheet.write_boolean(r, c, value, cell_format)
        elif isinstance(value, (int, float)):
            if math.isinf(value):
                self.worksheet.write_string(r, c, "infinite", cell_format)
            else:
                self.worksheet.write_number(r, c, value, cell_format)
        elif hasattr(value, "item"):  # a numpy scalar
            self.put(row, column, value.item(), number_format, style)
        elif isinstance(value, (dt.datetime, dt.date)):
            with_date = self.book.format(style, number_format=number_format or DATE)
            self.worksheet.write_datetime(r, c, value, with_date)
        else:
            self.worksheet.write_string(r, c, str(value), cell_format)

    def note(self, row: int, column: int, text: str, width: float = 300, height: float = 110) -> None:
        """A comment (Excel "note") on a cell: guidance, shown when hovered."""
        self.worksheet.write_comment(
            row - 1, column - 1, text, {"author": "pooling", "x_scale": width / 128, "y_scale": height / 74}
        )

    def dropdown(
        self, first_row: int, last_row: int, column: int, source, error: str, title: str = "Not in the list"
    ) -> None:
        """A list to pick from in a column's cells: ``source`` is the choices or a range
        (``=Partners!$A$2:$A$500``); anything else typed is refused with ``error``."""
        options = {
            "validate": "list",
            "source": source,
            "ignore_blank": True,
            "error_title": title,
            "error_message": error,
        }
        self.worksheet.data_validation(first_row - 1, column - 1, last_row - 1, column - 1, options)

    def share(self, first_row: int, last_row: int, column: int, title: str, message: str) -> None:
        """A share from 0% to 100% in a column's cells, with a message saying how to type it."""
        options = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 1,
            "input_title": title[:32],
            "input_message": message[:255],
            "error_title": "Not a share from 0% to 100%",
            "error_message": f"{title}: type a percentage from 0% to 100% (25% or 0.25).",
        }
        self.worksheet.data_validation(first_row - 1, column - 1, last_row - 1, column - 1, options)

    def freeze(self, row: int, column: int) -> None:
        """Rows above ``row`` and columns left of ``column`` stay in view."""
        self.worksheet.freeze_panes(row - 1, column - 1)

    def lock(self, very_hidden: bool = False) -> None:
        """Protect the sheet against slips (no password): only cells written with the
        ``UNLOCKED`` style can be edited; widths may still be changed."""
        self.worksheet.protect("", {"format_columns": True})
        if very_hidden:
            self.worksheet.very_hidden()

    def width(self, column: int, width: float) -> None:
        self.widths[column] = width
        self.worksheet.set_column(column - 1, column - 1, width)

    def table(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence],
        formats: dict[str, str] | None = None,
        start_row: int = 1,
        widths: dict[str, float] | None = None,
    ) -> int:
        """A header row and a row per record; returns the last row written."""
        formats, widths = formats or {}, widths or {}
        longest = [len(str(column)) for column in columns]
        for index, column in enumerate(columns, start=1):
            self.put(start_row, index, column, style=HEADER)
        row = start_row
        for row, record in enumerate(rows, start=start_row + 1):
            for index, (column, value) in enumerate(zip(columns, record), start=1):
                self.put(row, index, value, formats.get(column))
                if row - start_row <= 500:  # widths from the first rows: enough, and cheap
                    longest[index - 1] = max(longest[index - 1], _shown_length(value, formats.get(column)))
        lines = 1
        for index, column in enumerate(columns, start=1):
            width = widths.get(column, min(max(10, longest[index - 1] + 2), 60))
            self.width(index, width)
            lines = max(lines, math.ceil(len(str(column)) / max(1, width - 1)))
        if lines > 1:  # a wrapped header needs a taller row (Excel and LibreOffice do not grow it)
            self.worksheet.set_row(start_row - 1, 15 * min(lines, 4))
        return row

    def frame(self, frame, formats=None, start_row: int = 1, widths=None) -> int:
        """A pandas data frame as a table."""
        return self.table(list(frame.columns), frame.itertuples(index=False), formats, start_row, widths)

    def paragraph(self, row: int, text: str, last_column: int, style: dict | None = None, per_line: int = 150) -> None:
        """A sentence across columns 1..last_column, wrapped, its row tall enough to show it."""
        cell_format = self.book.format(WRAP, style)
        if last_column > 1:
            self.worksheet.merge_range(row - 1, 0, row - 1, last_column - 1, text, cell_format)
        else:
            self.worksheet.write_string(row - 1, 0, text, cell_format)
        self.worksheet.set_row(row - 1, 15 * (1 + len(text) // per_line))

    def row_height(self, row: int, height: float) -> None:
        self.worksheet.set_row(row - 1, height)

    def page_breaks(self, rows: list[int]) -> None:
        """New printed pages start at these rows."""
        self.worksheet.set_h_pagebreaks([row - 1 for row in rows])

    def finish(
        self,
        header_row: int = 1,
        landscape: bool = True,
        filter_to: tuple[int, int] | None = None,
        repeat_header: bool = True,
    ) -> None:
        """Frozen header, filter, A4 fitting the page width, header row repeated, page header."""
        self.worksheet.freeze_panes(header_row, 0)
        if filter_to is not None:
            last_row, last_column = filter_to
            self.worksheet.autofilter(header_row - 1, 0, max(last_row, header_row) - 1, last_column - 1)
        self.worksheet.set_paper(A4)
        if landscape:
            self.worksheet.set_landscape()
        else:
            self.worksheet.set_portrait()
        self.worksheet.fit_to_pages(1, 0)
        if repeat_header:
            self.worksheet.repeat_rows(header_row - 1)
        self.worksheet.set_header(self.book.header)

    def ref(
        self, first_row: int, first_column: int, last_row: int | None = None, last_column: int | None = None
    ) -> list:
        """An XlsxWriter range of this sheet, for chart series."""
        return [
            self.name,
            first_row - 1,
            first_column - 1,
            (last_row or first_row) - 1,
            (last_column or first_column) - 1,
        ]

    def cell(self, row: int, column: int) -> str:
        return f"'{self.name}'!{xl_rowcol_to_cell(row - 1, column - 1, row_abs=True, col_abs=True)}"

    def insert_chart(self, row: int, column: int, chart, width: float = 720, height: float = 300) -> None:
        chart.set_size({"width": width, "height": height})
        self.worksheet.insert_chart(row - 1, column - 1, chart)


def _shown_length(value, number_format: str | None) -> int:
    if isinstance(value, float) and number_format and number_format != "General":
        return len(f"{value:,.1f}")
    return len(str(value)) if value is not None else 0
