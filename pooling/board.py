"""The Summary sheet, laid out for a board paper.

From the top: the contract's ``Setting | Value`` block (status and objective at full
precision, for machines and auditors); a headline in sentences; what binds, worth
most first; then three tables in £000 or £m whose rounded figures add up to their
rounded totals (``rounding.controlled_round``), each with a native Excel chart:
spending by programme and year, funding by partner and year, and outcomes against
their targets. A4 landscape, fitted to the page width, place, scenario and date in
the header.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from . import fmt
from .layout import BOLD, HEADER_FILL, HEADER_FONT, TITLE_FONT, finish_sheet, put
from .rounding import choose_unit, controlled_round

TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
WRAP = Alignment(wrap_text=True, vertical="top")
TEXT_WIDTH = 9  # columns a paragraph spans (A to I)
TOP_PROGRAMMES = 8  # the chart shows the largest programmes and "Other"


def summary_sheet(sheet, result) -> None:
    """Fill the Summary sheet of ``result``."""
    rows = result.summary_rows()
    _header(sheet, 1, ["Setting", "Value"])
    for number, (setting, value) in enumerate(rows, start=2):
        put(sheet.cell(number, 1), setting, font=BOLD)
        cell = put(sheet.cell(number, 2), value)
        if setting == "Objective value":
            cell.number_format = fmt.EXCEL_FULL
        elif isinstance(value, float):
            cell.number_format = fmt.EXCEL_MONEY
        cell.alignment = Alignment(horizontal="left")
    sheet.column_dimensions["A"].width = 42
    for letter in "BCDEFGHIJKLMN":
        sheet.column_dimensions[letter].width = 13

    row = len(rows) + 3
    put(sheet.cell(row, 1), "In a sentence", font=TITLE_FONT)
    for sentence in result.headline():
        row += 1
        _paragraph(sheet, row, sentence)
    if result.tables is None:
        finish_sheet(sheet, repeat_header=False)
        return
    if result.statements:
        row += 2
        put(sheet.cell(row, 1), "What binds, worth most first (all in the Constraints sheet)", font=TITLE_FONT)
        for statement in result.top_statements(8):
            row += 1
            _paragraph(sheet, row, statement.sentence)

    years = result.place.year_labels
    allocation = result.tables.allocation.iloc[:-1]
    label, factor, decimals = choose_unit(float(allocation["Total"].abs().max() or 0.0), result.place.units)
    number_format = "#,##0" if decimals == 0 else "#,##0.0"

    row += 2
    _page_break(sheet, row)
    programme_rows = [
        [f"{name} ({code})", *values]
        for code, name, values in zip(
            allocation["Programme"], allocation["Name"], allocation[years].to_numpy().tolist()
        )
    ]
    first = row
    row = _money_table(
        sheet,
        row,
        f"Spending by programme and year ({label})",
        "Programme",
        programme_rows,
        years,
        factor,
        decimals,
        number_format,
    )
    _stacked_chart(sheet, first, row, years, f"Spending by programme ({label})", top=TOP_PROGRAMMES, beside=True)

    streams = result.tables.streams
    by_partner = streams.groupby(["Partner", "Year"], sort=False)["Used"].sum()
    partner_rows = [
        [partner.name, *(float(by_partner.get((code, year), 0.0)) for year in years)]
        for code, partner in result.place.partners.items()
    ]
    row += 2
    _page_break(sheet, row)
    first = row
    row = _money_table(
        sheet, row, f"Funding used by partner and year ({label}, savings and freeze grants included)", "Partner",
        partner_rows, years, factor, decimals, number_format,
    )  # fmt: skip
    row = _stacked_chart(sheet, first, row, years, f"Funding by partner ({label})")

    row += 2
    _page_break(sheet, row)
    row = _outcomes_table(sheet, row, result)
    finish_sheet(sheet, repeat_header=False)  # a board paper, not a list: no repeated header


def _header(sheet, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = put(sheet.cell(row, column), title, font=HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center" if column > 1 else "left", wrap_text=True, vertical="center")
    if any(len(title) > 12 for title in titles[1:]):
        sheet.row_dimensions[row].height = 30


def _page_break(sheet, row: int) -> None:
    """Start a new printed page at ``row`` (each table and its chart on a page of its own)."""
    sheet.row_breaks.append(Break(id=row - 1))


def _paragraph(sheet, row: int, text: str) -> None:
    """A sentence across the page, wrapped, its row tall enough to show it."""
    cell = put(sheet.cell(row, 1), text)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=TEXT_WIDTH)
    cell.alignment = WRAP
    sheet.row_dimensions[row].height = 15 * (1 + len(text) // 150)


def _money_table(sheet, row, title, first_header, records, years, factor, decimals, number_format) -> int:
    """A table of amounts (rows × years) rounded so that rows, columns and totals add
    up; returns its last row (the totals)."""
    put(sheet.cell(row, 1), title, font=TITLE_FONT)
    row += 1
    _header(sheet, row, [first_header, *years, "Total"])
    scale = factor * 10**decimals
    cells, row_totals, column_totals, total = controlled_round(
        [[value * scale for value in values] for _, *values in records]
    )
    unit = 10**decimals
    for (name, *_), values, row_total in zip(records, cells, row_totals):
        row += 1
        put(sheet.cell(row, 1), name)
        for column, value in enumerate([*values, row_total], start=2):
            put(sheet.cell(row, column), value / unit, number_format)
    row += 1
    put(sheet.cell(row, 1), "Total", font=BOLD)
    for column, value in enumerate([*column_totals, total], start=2):
        cell = put(sheet.cell(row, column), value / unit, number_format, font=BOLD)
        cell.border = TOTAL_BORDER
    return row


CHART_ROWS = 17  # rows a chart takes below its table


def _stacked_chart(
    sheet, first: int, last: int, years: list[str], title: str, top: int | None = None, beside: bool = False
) -> int:
    """A stacked column chart of a money table (series = its rows, years along the axis),
    placed below the table (or beside it); returns the last row the table and chart cover.

    With ``top``, only the ``top`` rows with the largest totals are drawn: the rest would
    be too thin to read (the table has them all).
    """
    header, body = first + 1, range(first + 2, last)  # the title row, the header row, rows, totals
    rows = list(body)
    if top is not None and len(rows) > top:
        totals = {r: sheet.cell(r, 2 + len(years)).value or 0 for r in rows}
        rows = sorted(rows, key=lambda r: -totals[r])[:top]
        rows.sort()
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = title
    chart.y_axis.title = title.rsplit("(", 1)[-1].rstrip(")")
    chart.y_axis.numFmt = "#,##0"
    chart.height, chart.width = (12, 16) if beside else (8, 18)
    for r in rows:
        values = Reference(sheet, min_col=2, max_col=1 + len(years), min_row=r, max_row=r)
        chart.add_data(values, from_rows=True, titles_from_data=False)
        chart.series[-1].tx = _series_title(sheet, r)
    chart.set_categories(Reference(sheet, min_col=2, max_col=1 + len(years), min_row=header, max_row=header))
    if beside:
        sheet.add_chart(chart, f"{get_column_letter(len(years) + 4)}{first + 1}")
        return max(last, first + CHART_ROWS)
    sheet.add_chart(chart, f"A{last + 2}")
    return last + 2 + CHART_ROWS


def _series_title(sheet, row: int):
    from openpyxl.chart.data_source import StrRef
    from openpyxl.chart.series import SeriesLabel

    return SeriesLabel(strRef=StrRef(f"'{sheet.title}'!$A${row}"))


def _outcomes_table(sheet, row: int, result) -> int:
    """Outcomes achieved against their targets, year by year, as numbers and as shares."""
    years = result.place.year_labels
    frame = result.tables.outcomes
    put(sheet.cell(row, 1), "Outcomes against targets (achieved / target, % of target)", font=TITLE_FONT)
    row += 1
    titles = [
        *(f"Achieved {year}" for year in years),
        *(f"Target {year}" for year in years),
        f"% of target {years[-1]}",
    ]
    _header(sheet, row, ["Outcome", *titles])
    first = row
    for outcome in result.place.outcomes.values():
        row += 1
        rows = frame[frame["Outcome"] == outcome.code].set_index("Year")
        put(sheet.cell(row, 1), f"{outcome.name} ({outcome.unit})" if outcome.unit else outcome.name)
        for column, year in enumerate(years, start=2):
            put(sheet.cell(row, column), float(rows.at[year, "Achieved"]), "#,##0.0")
            target = rows.at[year, "Target"]
            if target == target and target is not None:  # not NaN
                put(sheet.cell(row, column + len(years)), float(target), "#,##0.0")
        final_target = rows.at[years[-1], "Target"]
        if final_target == final_target and final_target:
            put(
                sheet.cell(row, 2 + 2 * len(years)),
                float(rows.at[years[-1], "Achieved"]) / float(final_target),
                fmt.EXCEL_PERCENT,
            )
    if row > first:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"Share of the {years[-1]} target achieved"
        chart.y_axis.numFmt = "0%"
        chart.height, chart.width = 8, 18
        column = 2 + 2 * len(years)
        chart.add_data(
            Reference(sheet, min_col=column, max_col=column, min_row=first, max_row=row), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, max_col=1, min_row=first + 1, max_row=row))
        chart.legend = None
        sheet.add_chart(chart, f"A{row + 2}")
        row += 2 + CHART_ROWS
    return row
