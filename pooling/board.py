"""The Summary sheet, laid out for a board paper.

From the top: the place and scenario; a headline in sentences; what binds, worth most
first; the contract's ``Setting | Value`` block (status and objective at full
precision, every total with its unit, for auditors and machines, which find it by its
``Setting`` header); then three tables in £000 or £m whose rounded figures add up to their
rounded totals (``rounding.controlled_round``), each with a native Excel chart:
spending by programme and year, funding by partner and year, and outcomes against
their targets. A4 landscape, fitted to the page width, each table on a page of its
own, place, scenario and date in the header.
"""

from __future__ import annotations

from . import fmt
from .rounding import MoneyTable
from .xlsx.book import BOLD, HEADER, TITLE, TOTAL, Sheet

TEXT_WIDTH = 9  # columns a paragraph spans (A to I)
TOP_PROGRAMMES = 8  # the chart shows the programmes with the most money; the table has all
CHART_ROWS = 17  # rows a chart takes below its table


def summary_sheet(sheet: Sheet, result) -> None:
    """Fill the Summary sheet of ``result``: words first, then the figures behind them."""
    sheet.width(1, 42)
    for column in range(2, 15):
        sheet.width(column, 13)
    sheet.put(1, 1, f"{result.place.name}: {result.scenario.name}", style=TITLE)
    row = 3
    sheet.put(row, 1, "In a sentence", style=TITLE)
    for sentence in result.headline():
        row += 1
        sheet.paragraph(row, sentence, TEXT_WIDTH)
    if result.tables is not None and result.statements:
        row += 2
        sheet.put(row, 1, "What binds, worth most first (all in the Constraints sheet)", style=TITLE)
        for statement in result.top_statements(8):
            row += 1
            sheet.paragraph(row, statement.sentence, TEXT_WIDTH)
    row = _settings_block(sheet, row + 2, result)
    breaks = []
    if result.tables is not None:
        figures = result.board()
        row += 2
        breaks.append(row)
        first = row
        row, rows = _money_table(sheet, row, figures.spending)
        spending = figures.spending
        years, label = spending.years, spending.label
        band_rows = []
        for name, values, pooled, members in spending.chart_bands(TOP_PROGRAMMES):
            if len(members) == 1:
                band_rows.append(rows[members[0]])
                continue
            # A band of several rows gets a row of its own below the totals, for the chart to draw.
            row += 1
            words = (
                "Of which pooled programmes (marked *)"
                if pooled
                else f"In the chart as {name.split(' (')[0]}: {len(members)} programmes"
            )
            sheet.put(row, 1, words, style={"italic": True})
            for column, value in enumerate([*values, sum(spending.row_totals[i] for i in members)], start=2):
                sheet.put(row, column, value, spending.number_format, style={"italic": True})
            band_rows.append(row)
        _stacked_chart(sheet, first, row, years, f"Spending by programme ({label})", rows=band_rows, beside=True)

        row += 2
        breaks.append(row)
        first = row
        row, _ = _money_table(sheet, row, figures.funding)
        row = _stacked_chart(sheet, first, row, years, f"Funding by partner ({label})")

        row += 2
        breaks.append(row)
        _outcomes_table(sheet, row, result)
    sheet.page_breaks(breaks)
    sheet.finish(repeat_header=False)  # a board paper, not a list: no repeated header row


def _settings_block(sheet: Sheet, row: int, result) -> int:
    """The contract's ``Setting | Value`` block from ``row`` (its header row), with a Unit
    column beside it; the objective at full precision. Returns its last row."""
    sheet.put(row, 1, "The run in figures (at full precision, each with its unit)", style=TITLE)
    row += 1
    sheet.put(row, 1, "Setting", style=HEADER)
    sheet.put(row, 2, "Value", style=HEADER)
    sheet.put(row, 3, "Unit", style=HEADER)  # an extra column: the contract's block is the first two
    for setting, value in result.summary_rows():
        row += 1
        sheet.put(row, 1, setting, style=BOLD)
        number_format = (
            fmt.EXCEL_FULL if setting == "Objective value" else fmt.EXCEL_MONEY if isinstance(value, float) else None
        )
        sheet.put(row, 2, value, number_format, style={"align": "left"})
        unit = result.summary_unit(setting)
        if unit:
            sheet.put(row, 3, unit)
    return row


def _header(sheet: Sheet, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        sheet.put(row, column, title, style={**HEADER, "align": "center" if column > 1 else "left"})
    if any(len(title) > 12 for title in titles[1:]):
        sheet.row_height(row, 30)


def _money_table(sheet: Sheet, row: int, table: MoneyTable) -> tuple[int, list[int]]:
    """Put a board table; returns its last row (the totals) and the row of each of its rows."""
    sheet.put(row, 1, table.title, style=TITLE)
    row += 1
    _header(sheet, row, [table.first_header, *table.years, "Total"])
    rows = []
    for index, (name, values, row_total) in enumerate(zip(table.names, table.cells, table.row_totals)):
        row += 1
        rows.append(row)
        sheet.put(row, 1, f"{name} *" if table.marks and table.marks[index] else name)
        for column, value in enumerate([*values, row_total], start=2):
            sheet.put(row, column, value, table.number_format)
    row += 1
    sheet.put(row, 1, "Total", style=TOTAL)
    for column, value in enumerate([*table.column_totals, table.total], start=2):
        sheet.put(row, column, value, table.number_format, style=TOTAL)
    return row, rows


def _stacked_chart(
    sheet: Sheet,
    first: int,
    last: int,
    years: list[str],
    title: str,
    rows: list[int] | None = None,
    beside: bool = False,
) -> int:
    """A stacked column chart of a money table (series = its rows, or those given: a
    chart of two dozen thin bands cannot be read), years along the axis, placed below
    the table (or beside it); returns the last row table and chart cover."""
    header = first + 1  # the title row, then the header row, the rows, the totals
    chart = sheet.book.chart("column", "stacked")
    for r in rows or range(first + 2, last):
        chart.add_series(
            {
                "name": sheet.ref(r, 1)[:3],
                "categories": sheet.ref(header, 2, header, 1 + len(years)),
                "values": sheet.ref(r, 2, r, 1 + len(years)),
            }
        )
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": "#,##0", "name": title.rsplit("(", 1)[-1].rstrip(")"), "min": 0})
    chart.set_legend({"position": "right"})
    if beside:
        sheet.insert_chart(first + 1, len(years) + 4, chart, width=620, height=440)
        return max(last, first + CHART_ROWS)
    sheet.insert_chart(last + 2, 1, chart, width=720, height=300)
    return last + 2 + CHART_ROWS


def _outcomes_table(sheet: Sheet, row: int, result) -> int:
    """Outcomes achieved against their targets, year by year, as numbers and as a share."""
    years = result.place.year_labels
    achieved = result.tables.outcomes.keyed("Outcome", "Year")
    sheet.put(row, 1, "Outcomes against targets (achieved, target, % of target)", style=TITLE)
    row += 1
    titles = [
        *(f"Achieved {year}" for year in years),
        *(f"Target {year}" for year in years),
        f"% of target {years[-1]}",
    ]
    _header(sheet, row, ["Outcome", *titles])
    first = row
    share_column = 2 + 2 * len(years)
    for outcome in result.place.outcomes.values():
        row += 1
        sheet.put(row, 1, f"{outcome.name} ({outcome.unit})" if outcome.unit else outcome.name)
        for column, year in enumerate(years, start=2):
            sheet.put(row, column, float(achieved[outcome.code, year]["Achieved"]), "#,##0.0")
            target = achieved[outcome.code, year]["Target"]
            if target is not None:
                sheet.put(row, column + len(years), float(target), "#,##0.0")
        last = achieved[outcome.code, years[-1]]
        if last["Target"]:
            sheet.put(row, share_column, float(last["Achieved"]) / float(last["Target"]), fmt.EXCEL_PERCENT)
    if row > first:
        chart = sheet.book.chart("bar")
        chart.add_series(
            {
                "name": f"Share of the {years[-1]} target achieved",
                "categories": sheet.ref(first + 1, 1, row, 1),
                "values": sheet.ref(first + 1, share_column, row, share_column),
            }
        )
        chart.set_title({"name": f"Share of the {years[-1]} target achieved"})
        chart.set_x_axis({"num_format": "0%", "min": 0})
        chart.set_legend({"none": True})
        sheet.insert_chart(row + 2, 1, chart, width=720, height=300)
        row += 2 + CHART_ROWS
    return row
