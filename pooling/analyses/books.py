"""The workbooks of the analyses: a comparison, a partnership, a sweep.

Each analysis computes in its own module (``compare.py``, ``partnership.py``,
``sweep.py``); here its figures are laid out as a workbook of their own (tables with
number formats, native charts, an Audit sheet) and written as every file is written
(``files.write_output``: atomically, never over a file pooling did not write).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .. import fmt, words
from ..errors import WriteError
from ..files import atomic_write, exclusive, make_backup, refuse_if_open, write_output
from ..outputs import COMPARISON, NATIONAL, PARTNERSHIP, SWEEP
from ..scenario import ScenarioError
from ..solve import OPTIMAL
from ..version import __version__
from ..xlsx.book import BOLD, TITLE, WRAP, Book
from .compare import Comparison
from .partnership import Partnership
from .sweep import (
    National,
    Sweep,
    national_frame,
    percentiles,
    point_label,
    runs_frame,
    target_probabilities,
    tornado,
    uncertain_inputs,
)

# -- pooling compare -----------------------------------------------------------------------------


def comparison_workbook(comparison: Comparison) -> bytes:
    """The comparison as a workbook (its bytes): side by side, lever prices, charts."""
    names = comparison.names
    book = Book(("Comparison of scenarios", " / ".join(names)[:200], ""))
    columns = comparison.columns()

    sheet = book.sheet("Comparison")
    headline = comparison.headline().reset_index(names="Figure")
    widths = {"Figure": 34, **{c: 24 for c in columns}}
    money = {c: fmt.EXCEL_MONEY for c in columns}  # the cells keep full precision
    last = sheet.frame(headline, money, widths=widths)
    sheet.put(last + 2, 1, "Levers", style=TITLE)
    levers = comparison.levers().reset_index(names="Lever")
    last = sheet.frame(levers, start_row=last + 3, widths={"Lever": 34, **{c: 24 for c in columns}})
    _objective_chart(sheet, comparison, last + 3)
    sheet.finish()

    sheet = book.sheet("Lever prices")
    rows = [(p.lever, p.name, names[p.low], names[p.high], p.price, p.unit, p.sentence) for p in comparison.prices]
    columns_prices = ["Lever", "Price of", "From", "To", "Price", "Unit", "Meaning"]
    last = sheet.table(columns_prices, rows, {"Price": fmt.EXCEL_MONEY}, widths={"Meaning": 90, "From": 36, "To": 36})
    for row, record in enumerate(rows, start=2):  # the long texts, wrapped
        for column in (3, 4, 7):
            sheet.put(row, column, record[column - 1], style=WRAP)
        sheet.row_height(row, 45)
    if comparison.prices:
        chart = book.chart("bar")
        chart.add_series({"name": "Price", "categories": sheet.ref(2, 2, last, 2), "values": sheet.ref(2, 5, last, 5)})
        chart.set_title({"name": "The price of each lever"})
        chart.set_x_axis({"num_format": "#,##0"})
        chart.set_legend({"none": True})
        sheet.insert_chart(last + 3, 1, chart)
    else:
        sheet.put(
            3, 1, "No two scenarios differ in exactly one lever (on the same workbook and objective).", style=BOLD
        )
    sheet.finish()

    sheet = book.sheet("Lever shares")
    rows = [
        (names[item.low], names[item.high], lever, before, after, share, item.difference, item.unit, item.sentence)
        for item in comparison.shares
        for lever, share in item.shares.items()
        for before, after in [item.moves[lever]]
    ]
    columns_shares = ["From (A)", "To (B)", "Lever", "In A", "In B", "Share of B − A", "B − A", "Unit", "Meaning"]
    sheet.table(
        columns_shares,
        rows,
        {"Share of B − A": fmt.EXCEL_MONEY, "B − A": fmt.EXCEL_MONEY},
        widths={"From (A)": 36, "To (B)": 36, "In A": 30, "In B": 30, "Meaning": 90},
    )
    if not rows:
        sheet.put(3, 1, "No two optimal scenarios on the same workbook and objective to compare.", style=BOLD)
    sheet.finish()

    units = comparison.results[0].place.units
    for title, frame, first in (
        ("Programmes", comparison.by_programme(), "Programme"),
        ("Partners", comparison.by_partner(), "Partner"),
        ("Outcomes", comparison.by_outcome(), "Outcome"),
    ):
        sheet = book.sheet(title)
        frame = frame.reset_index(names=first)
        number_format = fmt.EXCEL_QUANTITY if title == "Outcomes" else fmt.EXCEL_MONEY
        last = sheet.frame(frame, {c: number_format for c in frame.columns[1:]}, widths={first: 48})
        note = "achieved, summed over the years" if title == "Outcomes" else f"over all years, {units}"
        sheet.put(last + 2, 1, f"Figures are {note}; the last columns are each scenario less the first.")
        sheet.finish()

    sheet = book.sheet("Audit")
    audit = []
    for result in comparison.results:
        audit += [
            (result.scenario.name, ""),
            ("  Scenario file", str(result.scenario.path)),
            ("  Scenario file SHA-256", result.scenario_sha256),
            ("  Input workbook", str(result.package.path)),
            ("  Input workbook SHA-256", result.workbook_sha256),
            ("  Solver", result.solution.solver_version),
            ("  Objective value", repr(result.objective)),
        ]
    audit.append(("Tool", f"pooling {__version__}"))
    sheet.table(["Item", "Value"], audit, widths={"Item": 40, "Value": 100})
    sheet.finish(landscape=False)
    return book.bytes()


def _objective_chart(sheet, comparison: Comparison, row: int) -> None:
    """A column chart of the objectives, for the scenarios whose objective shares the most
    common unit (outcome value in £ and least cost in the workbook unit do not mix)."""
    units = [result.objective_unit for result in comparison.results]
    unit = max(set(units), key=units.count)
    chart = sheet.book.chart("column")
    shown = []
    for index, result in enumerate(comparison.results):
        if result.objective_unit == unit and result.optimal:
            column = index + 2
            chart.add_series({"name": sheet.ref(1, column)[:3], "values": sheet.ref(3, column)})
            shown.append(result.objective)
    chart.set_title({"name": f"Objective by scenario ({unit})"})
    chart.set_y_axis({"num_format": "#,##0", **zero_axis(shown)})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(row, 1, chart, width=760, height=360)


def write_comparison(comparison: Comparison, target: Path) -> None:
    """Write the comparison workbook atomically (never over a file pooling did not write)."""
    write_output(target, lambda: comparison_workbook(comparison), COMPARISON.signature, "pooling compare")


# -- pooling partners ----------------------------------------------------------------------------


def partnership_workbook(analysis: Partnership) -> bytes:
    game, place = analysis.game, analysis.game.place
    units = place.units
    book = Book((place.name, f"Partnership: {game.scenario.name}", ""))
    sheet = book.sheet("Partnership")
    row = 1
    sheet.put(row, 1, f"{place.name}: who gains from pooling", style=TITLE)
    for sentence in words.partnership_sentences(analysis):
        row += 1
        sheet.paragraph(row, sentence, 9)
    row += 2
    losses = game.walk_away()
    value_unit = units if game.least_cost else "£"
    columns = [
        "Partner",
        "Name",
        f"Fair share ({value_unit})",
        "± (95%)",
        "Share of the dividend",
        f"Walk-away loss ({value_unit})",
        f"Cashable gain ({units}, PV)",
        f"Fair share of cashable gains ({units})",
        f"Settlement ({units}: + receives, − pays)",
    ]
    dividend = game.dividend or 0.0
    rows = [
        (
            code,
            partner.name,
            game.shapley.get(code),
            game.interval.get(code) if not game.exact else None,
            _share(game.shapley[code], dividend, game.precision) if game.shapley and dividend else None,
            losses.get(code),
            analysis.cashable_gain.get(code),
            analysis.fair_cashable.get(code),
            analysis.transfers.get(code),
        )
        for code, partner in place.partners.items()
    ]
    money = fmt.EXCEL_MONEY
    formats = {
        columns[2]: money,
        columns[3]: money,
        columns[4]: fmt.EXCEL_PERCENT,
        columns[5]: money,
        columns[6]: money,
        columns[7]: money,
        columns[8]: money,
    }
    first = row
    last = sheet.table(columns, rows, formats, start_row=row, widths={"Name": 36})
    sheet.put(last + 1, 1, "Total", style=BOLD)
    for column in (3, 5, 7, 8, 9):
        values = [record[column - 1] for record in rows if record[column - 1] is not None]
        if values:
            sheet.put(last + 1, column, sum(values), formats.get(columns[column - 1]), style=BOLD)
    if game.shapley:
        chart = book.chart("bar")
        for column, name in ((3, "Fair share"), (6, "Walk-away loss")):
            chart.add_series(
                {
                    "name": name,
                    "categories": sheet.ref(first + 1, 2, last, 2),
                    "values": sheet.ref(first + 1, column, last, column),
                }
            )
        chart.set_title({"name": "Fair shares and walk-away losses"})
        chart.set_x_axis({"num_format": "#,##0"})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(last + 4, 1, chart, width=760, height=380)
    sheet.finish(header_row=first, repeat_header=False)

    sheet = book.sheet("Coalitions")
    coalition_rows = sorted(game.values.values(), key=lambda v: (len(v.members), sorted(v.members)))
    sheet.table(
        ["Members", "Size", "Status", f"Objective ({game.scenario.objective})", "Gain over all in silo", "Reason"],
        [
            (
                ", ".join(sorted(v.members)) or "(all in silo)",
                len(v.members),
                v.status,
                v.value,
                game.gain(v.members) if v.status == OPTIMAL else None,
                v.reason,
            )
            for v in coalition_rows
        ],
        {f"Objective ({game.scenario.objective})": fmt.EXCEL_FULL, "Gain over all in silo": money},
        widths={"Members": 40, "Reason": 80},
    )
    sheet.finish()

    sheet = book.sheet("Money flows")
    if analysis.pooled.tables is not None and analysis.silo.tables is not None:
        flows = analysis.flows()
        columns = list(flows[0]) if flows else ["Partner", "Year"]
        sheet.table(columns, [list(record.values()) for record in flows], {c: money for c in columns[2:]})
        sheet.put(len(flows) + 3, 1, f"Money in {units}, from the pooled run (savings also from the silo run).")
    sheet.finish()

    sheet = book.sheet("Settlement")
    sheet.table(
        ["Payer", "Receiver", f"Amount ({units}, present value)"],
        [(place.partners[p.payer].name, place.partners[p.receiver].name, p.amount) for p in analysis.payments],
        {f"Amount ({units}, present value)": money},
        widths={"Payer": 40, "Receiver": 40},
    )
    sheet.finish()

    sheet = book.sheet("Audit")
    audit = [
        ("Tool", f"pooling {__version__}"),
        ("Scenario", game.scenario.name),
        ("Scenario file", str(game.scenario.path)),
        ("Input workbook", str(analysis.pooled.package.path)),
        ("Solver", analysis.pooled.solution.solver_version),
        ("Coalitions solved", str(len(game.values))),
        ("Method", "exact: every coalition" if game.exact else f"sampled: {game.samples} orders, seed {game.seed}"),
        ("v(all), pooled run", repr(game.values[game.everyone].value)),
        ("v(none), silo run", repr(game.values[frozenset()].value)),
        ("Dividend", repr(game.dividend)),
    ]
    sheet.table(["Item", "Value"], audit, widths={"Item": 32, "Value": 100})
    sheet.finish(landscape=False)
    return book.bytes()


def write_partnership(analysis: Partnership, target: Path) -> None:
    write_output(target, lambda: partnership_workbook(analysis), PARTNERSHIP.signature, "pooling partners")


def zero_axis(values) -> dict:
    """Axis bounds that keep zero on a value axis (Excel's own scale may start at £380m and
    make one bar look a third of another): from 0 when every value is positive, to 0 when
    every value is negative; mixed signs include zero anyway."""
    values = [value for value in values if value == value]  # not NaN
    if values and min(values) >= 0:
        return {"min": 0}
    if values and max(values) <= 0:
        return {"max": 0}
    return {}


def _share(part: float, whole: float, precision: float) -> float:
    """part / whole, with a part within the solvers' precision of nothing shown as 0%
    (not −0%)."""
    return 0.0 if abs(part) <= precision else part / whole


# -- pooling sweep -------------------------------------------------------------------------------


def sweep_workbook(result: Sweep) -> bytes:
    book = Book((result.place.name, f"Sweep: {result.scenario_name}", ""))
    runs = runs_frame(result)
    money = fmt.EXCEL_MONEY

    sheet = book.sheet("Runs")
    formats = {c: money for c in runs.columns if c == "Objective" or c.startswith("Spend ")}
    formats.update({c: fmt.EXCEL_QUANTITY for c in runs.columns if c.startswith(("Outcome ", "Drawn: "))})
    last = sheet.frame(runs, formats, widths={"Solver says": 24})
    sheet.finish(filter_to=(last, runs.shape[1]))

    sheet = book.sheet("Percentiles")
    table = percentiles(result)
    last = sheet.frame(table, {"P10": money, "P50": money, "P90": money}, widths={"Grid point": 50, "Measure": 28})
    objective = table[table["Measure"] == "Objective"].reset_index(drop=True)
    if len(objective):
        # Grouped columns, not a line: grid points are categories, and one point is one group.
        chart = book.chart("column")
        block = last + 3  # the objective's rows, one a grid point, gathered for the fan chart
        sheet.put(block, 1, "Objective across the grid", style=TITLE)
        sheet.table(
            ["Grid point", "P10", "P50", "P90"],
            objective[["Grid point", "P10", "P50", "P90"]].itertuples(index=False),
            {"P10": money, "P50": money, "P90": money},
            start_row=block + 1,
            widths={"Grid point": 50},
        )
        for column, name in ((2, "P10"), (3, "P50"), (4, "P90")):
            chart.add_series(
                {
                    "name": name,
                    "categories": sheet.ref(block + 2, 1, block + 1 + len(objective), 1),
                    "values": sheet.ref(block + 2, column, block + 1 + len(objective), column),
                }
            )
        chart.set_title({"name": "Objective across the grid: P10, P50, P90"})
        values = [float(v) for column in ("P10", "P50", "P90") for v in objective[column]]
        chart.set_y_axis({"num_format": "#,##0", **zero_axis(values)})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(block + 3 + len(objective), 1, chart, width=760, height=360)
    sheet.finish()

    sheet = book.sheet("Targets")
    sheet.frame(target_probabilities(result), {"Probability met": fmt.EXCEL_PERCENT}, widths={"Grid point": 50})
    sheet.finish()

    sheet = book.sheet("Tornado")
    swings = tornado(result)
    last = sheet.table(
        ["What moves the objective", "Swing"], swings, {"Swing": money}, widths={"What moves the objective": 70}
    )
    if swings:
        chart = book.chart("bar")
        shown = min(len(swings), 15)
        chart.add_series(
            {"name": "Swing", "categories": sheet.ref(2, 1, 1 + shown, 1), "values": sheet.ref(2, 2, 1 + shown, 2)}
        )
        chart.set_title({"name": "What moves the objective most"})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"num_format": "#,##0"})
        chart.set_legend({"none": True})
        sheet.insert_chart(last + 3, 1, chart, width=760, height=420)
    sheet.put(last + 1, 1, "Levers: spread of the mean objective over the lever's values. Inputs: mean objective "
              "when drawn in the top third less in the bottom third of its range.")  # fmt: skip
    sheet.finish()

    sheet = book.sheet("Not optimal")
    failed = [
        (run.spec.number, run.spec.sample, point_label(run.spec.levers), run.status, run.message)
        for run in result.failed
    ]
    sheet.table(["Run", "Sample", "Grid point", "Status", "Solver says"], failed, widths={"Grid point": 60})
    sheet.put(
        len(failed) + 3,
        1,
        f"{len(failed)} of {len(result.runs)} runs are not optimal; they are kept in Runs too.",
        style=BOLD,
    )
    sheet.finish()

    sheet = book.sheet("Audit")
    audit = [
        ("Tool", f"pooling {__version__}"),
        ("Scenario", result.scenario_name),
        ("Scenario file", str(result.scenario_path)),
        ("Grid", "; ".join(f"{key} in {values}" for key, values in result.vary) or "none"),
        ("Samples", str(result.samples)),
        ("Seed", str(result.seed)),
        ("Runs", str(len(result.runs))),
        ("Not optimal", str(len(result.failed))),
        ("Uncertain inputs", str(len(uncertain_inputs(result.place)))),
        ("Draws", "triangular between Low, the value and High; sample k seeded by (seed, k)"),
    ]
    sheet.table(["Item", "Value"], audit, widths={"Item": 24, "Value": 100})
    sheet.finish(landscape=False)
    return book.bytes()


def national_runs(national: National):
    """Every place's Runs table, one below the other, the place in the first column."""
    frames = [runs_frame(result).assign(Place=result.place.name) for result in national.sweeps]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    return frame[["Place", *(column for column in frame.columns if column != "Place")]]


def national_workbook(national: National) -> bytes:
    """The National sheet (a row a place and grid point, and a chart), every run, the audit."""
    book = Book(("", "Sweep of several places", ""))
    money = fmt.EXCEL_MONEY
    table = national_frame(national)
    sheet = book.sheet("National")
    formats = {column: money for column in table.columns if column.startswith(("Objective", "Dividend"))}
    formats["Probability met"] = fmt.EXCEL_PERCENT
    last = sheet.frame(table, formats, widths={"Place": 28, "Scenario": 36, "Grid point": 40, "Target least sure": 22})
    if len(table):
        chart = book.chart("column")
        for column, name in enumerate(table.columns, start=1):
            if name in ("Objective P10", "Objective P50", "Objective P90"):
                chart.add_series(
                    {
                        "name": name.removeprefix("Objective "),
                        # Place, scenario and grid point as the categories' three levels.
                        "categories": sheet.ref(2, 1, last, 3),
                        "values": sheet.ref(2, column, last, column),
                    }
                )
        chart.set_title({"name": "Objective by place: P10, P50, P90"})
        values = [float(v) for c in ("Objective P10", "Objective P90") for v in table[c].dropna()]
        chart.set_y_axis({"num_format": "#,##0", **zero_axis(values or [0.0])})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(last + 3, 1, chart, width=900, height=380)
    sheet.finish(filter_to=(last, table.shape[1]))

    runs = national_runs(national)
    sheet = book.sheet("Runs")
    formats = {c: money for c in runs.columns if c == "Objective" or c.startswith("Spend ")}
    formats.update({c: fmt.EXCEL_QUANTITY for c in runs.columns if c.startswith(("Outcome ", "Drawn: "))})
    last = sheet.frame(runs, formats, widths={"Place": 28, "Solver says": 24})
    sheet.finish(filter_to=(last, runs.shape[1]))

    first = national.sweeps[0]
    sheet = book.sheet("Audit")
    audit = [("Tool", f"pooling {__version__}")]
    audit += [(f"Scenario: {result.place.name}", str(result.scenario_path)) for result in national.sweeps]
    audit += [
        ("Grid", "; ".join(f"{key} in {values}" for key, values in first.vary) or "none"),
        ("Samples", str(first.samples)),
        ("Seed", str(first.seed)),
        ("Runs", str(sum(len(result.runs) for result in national.sweeps))),
        ("Not optimal", str(len(national.failed))),
        ("Draws", "triangular between Low, the value and High; sample k seeded by (seed, k), the same at every place"),
    ]
    sheet.table(["Item", "Value"], audit, widths={"Item": 36, "Value": 100})
    sheet.finish(landscape=False)
    return book.bytes()


def write_national(national: National, target: Path) -> None:
    write_output(target, lambda: national_workbook(national), NATIONAL.signature, "pooling sweep")


# The columns every Runs table holds: a file holding them was written by pooling sweep.
TABLE_SIGNATURE = ("Run", "Sample", "Status", "Objective")


def write_table(result: Sweep | National, target: Path, force: bool = False) -> Path | None:
    """The Runs table for analysts: Parquet (needs pyarrow) or CSV (UTF-8 with a byte-order
    mark, so Excel shows £ signs), by the file's suffix; the backup of an earlier table.

    Written as every output is: never while open in Excel, never over a file that is not
    an earlier Runs table unless ``force``, under pooling's lock, atomically, after a
    backup of what was there."""
    target = Path(target)
    frame = national_runs(result) if isinstance(result, National) else runs_frame(result)
    if target.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401  (optional: pooling[parquet]; pandas needs it to write Parquet)
        except ImportError:
            raise ScenarioError(
                ["Parquet needs pyarrow: pip install 'pooling[parquet]', or write .csv"], "--table"
            ) from None
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data = buffer.getvalue()
    elif target.suffix.lower() == ".csv":
        data = frame.to_csv(index=False).encode("utf-8-sig")
    else:
        raise ScenarioError([f"{target}: the table is written as .parquet or .csv"], "--table")
    refuse_if_open(target)
    with exclusive(target):
        if target.exists() and not force and not _is_runs_table(target):
            raise WriteError(
                f"{target} exists and is not a table pooling sweep wrote; choose another name (or --force)"
            )
        backup = make_backup(target, replaceable=_is_runs_table) if target.exists() else None
        atomic_write(target, data)
    return backup


def _is_runs_table(path: Path) -> bool:
    """Does ``path`` hold the Runs table's columns (``TABLE_SIGNATURE``)?"""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if path.suffix.lower() == ".csv":
        first = data[:65536].decode("utf-8-sig", errors="replace").splitlines()[:1]
        return bool(first) and set(TABLE_SIGNATURE) <= set(first[0].split(","))
    # Parquet keeps its schema, with the column names, at the end of the file.
    return data.startswith(b"PAR1") and all(name.encode() in data[-65536:] for name in TABLE_SIGNATURE)


def write_sweep(result: Sweep, target: Path) -> None:
    write_output(target, lambda: sweep_workbook(result), SWEEP.signature, "pooling sweep")
