"""Scenarios side by side, and the price of each lever.

Boards compare scenarios, not single runs. :func:`compare` solves each scenario and
sets them side by side: objective, totals, spending by programme, funding by partner
and outcomes, with the difference from the first scenario. Where two scenarios differ
in exactly one lever (on the same workbook and objective), the difference of their
objectives is that lever's price:

* pooling: the **partnership dividend**, pooled less silo;
* council tax: the **price of the freeze**, rising less frozen;
* ring-fencing: the **price of the ring-fences**, removed less kept;
* funding changes: the **effect of the funding changes** between the two.

For a least-cost objective the price is the spending saved, so a positive price is
always good news for whoever moves the lever that way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import fmt, words
from .pipeline import Result, load, solve_scenario
from .precision import optimum_difference
from .scenario import read_scenario
from .xlsx.book import BOLD, TITLE, WRAP, Book

COMPARISON_SHEETS = ("Comparison", "Lever prices", "Programmes", "Partners", "Outcomes", "Audit")


@dataclass
class LeverPrice:
    lever: str
    name: str  # "partnership dividend"
    low: int  # index of the scenario the lever moves from
    high: int  # ... and to
    price: float  # in the objective's unit: good news when positive
    unit: str
    sentence: str


@dataclass
class Comparison:
    results: list[Result]
    prices: list[LeverPrice] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [result.scenario.name for result in self.results]

    def levers(self) -> pd.DataFrame:
        """Lever × scenario: every lever as resolved."""
        rows = {}
        for index, result in enumerate(self.results):
            for lever, value in result.scenario.policy().items():
                rows.setdefault(lever, [""] * len(self.results))[index] = value
        return pd.DataFrame.from_dict(rows, orient="index", columns=self.columns())

    def columns(self) -> list[str]:
        """Scenario names as column headings (numbered when two share a name)."""
        seen: dict[str, int] = {}
        columns = []
        for name in self.names:
            seen[name] = seen.get(name, 0) + 1
            columns.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
        return columns

    def headline(self) -> pd.DataFrame:
        """Status, objective and totals by scenario."""
        rows = {
            "Status": [r.status for r in self.results],
            "Objective value": [r.objective for r in self.results],
            "Objective unit": [r.objective_unit for r in self.results],
        }
        for key in ("available", "spent", "pooled", "unspent", "savings received", "outcome value"):
            rows[f"Total {key}"] = [r.totals().get(key) if r.optimal else None for r in self.results]
        return pd.DataFrame.from_dict(rows, orient="index", columns=self.columns())

    def by_programme(self) -> pd.DataFrame:
        return self._side_by_side(
            lambda r: {f"{row.Name} ({row.Programme})": row.Total for row in r.tables.allocation.iloc[:-1].itertuples()}
        )

    def by_partner(self) -> pd.DataFrame:
        def partners(result):
            used = result.tables.streams.groupby("Partner", sort=False)["Used"].sum()
            return {result.place.partners[code].name: float(amount) for code, amount in used.items()}

        return self._side_by_side(partners)

    def by_outcome(self) -> pd.DataFrame:
        def outcomes(result):
            frame = result.tables.outcomes
            achieved = frame.groupby("Outcome", sort=False)["Achieved"].sum()
            return {f"{result.place.outcomes[code].name} ({code})": float(level) for code, level in achieved.items()}

        return self._side_by_side(outcomes)

    def _side_by_side(self, figures) -> pd.DataFrame:
        """Rows × scenarios (blank where a scenario is not optimal or lacks the row), and the
        difference of each scenario from the first."""
        columns = self.columns()
        table: dict[str, list] = {}
        for index, result in enumerate(self.results):
            if not result.optimal:
                continue
            for key, value in figures(result).items():
                table.setdefault(key, [None] * len(self.results))[index] = value
        frame = pd.DataFrame.from_dict(table, orient="index", columns=columns)
        for column in columns[1:]:
            frame[f"{column} − {columns[0]}"] = frame[column] - frame[columns[0]]
        return frame

    def to_dict(self) -> dict:
        """Everything at full precision, for ``--json``."""
        return {
            "scenarios": [
                {
                    "name": r.scenario.name,
                    "file": str(r.scenario.path) if r.scenario.path else None,
                    "levers": r.scenario.policy(),
                    "status": r.status,
                    "objective": r.objective,
                    "objective_unit": r.objective_unit,
                    "totals": r.totals(),
                }
                for r in self.results
            ],
            "lever_prices": [
                {
                    "lever": p.lever,
                    "name": p.name,
                    "from": self.names[p.low],
                    "to": self.names[p.high],
                    "price": p.price,
                    "unit": p.unit,
                    "meaning": p.sentence,
                }
                for p in self.prices
            ],
            "programmes": _records(self.by_programme()),
            "partners": _records(self.by_partner()),
            "outcomes": _records(self.by_outcome()),
        }


def _records(frame: pd.DataFrame) -> dict:
    return {
        row: {column: (None if pd.isna(value) else float(value)) for column, value in values.items()}
        for row, values in frame.iterrows()
    }


def lever_prices(results: list[Result]) -> list[LeverPrice]:
    """The price of every lever that alone separates two optimal scenarios."""
    prices = []
    for a, b in itertools.combinations(range(len(results)), 2):
        first, second = results[a], results[b]
        if not (first.optimal and second.optimal):
            continue
        policy_a, policy_b = first.scenario.policy(), second.scenario.policy()
        differing = [lever for lever in policy_a if policy_a[lever] != policy_b[lever]]
        if len(differing) != 1 or differing[0] in ("workbook", "objective"):
            continue
        price = _price(differing[0], a, b, results)
        if price is not None:
            prices.append(price)
    return prices


def _price(lever: str, a: int, b: int, results: list[Result]) -> LeverPrice | None:
    """The price of moving ``lever`` the way the board asks about (silo → pooled, freeze →
    rising council tax, ring-fences kept → removed), whichever way round a and b are."""
    scenario = {i: results[i].scenario for i in (a, b)}
    if lever == "pooling":
        low = a if scenario[a].pooling == "silo" else b
        name = "partnership dividend"
    elif lever == "council tax":
        low = a if scenario[a].freeze else b
        if scenario[a].freeze == scenario[b].freeze:
            low, name = min(a, b), "price of the difference in council tax"
        else:
            name = "price of the freeze"
    elif lever == "ring-fencing":
        low = a if scenario[a].ring_fencing == "kept" else b
        name = "price of the ring-fences"
    else:
        low, name = min(a, b), "effect of the funding changes"
    high = b if low == a else a
    result_low, result_high = results[low], results[high]
    least_cost = result_low.scenario.objective == "least-cost"
    price = (
        optimum_difference(result_low.objective, result_high.objective)
        if least_cost
        else optimum_difference(result_high.objective, result_low.objective)
    )
    unit = result_low.objective_unit
    sentence = words.lever_price(
        lever, name, price, unit, least_cost, result_low.scenario.name, result_high.scenario.name
    )
    return LeverPrice(lever, name, low, high, price, unit, sentence)


def compare(paths: list[Path], solver: str | None = None, progress=None) -> Comparison:
    """Solve each scenario (workbooks read once each) and price the levers between them."""
    loaded: dict[Path, tuple] = {}
    results = []
    for number, path in enumerate(paths, start=1):
        scenario = read_scenario(Path(path), {"solver": solver} if solver else None)
        if progress:
            progress(f"[{number}/{len(paths)}] {scenario.name}")
        if scenario.workbook not in loaded:
            loaded[scenario.workbook] = load(scenario.workbook)
        place, package = loaded[scenario.workbook]
        result = solve_scenario(scenario, place, package)
        results.append(result)
    comparison = Comparison(results)
    comparison.prices = lever_prices(results)
    return comparison


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

    from . import __version__

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
    for index, result in enumerate(comparison.results):
        if result.objective_unit == unit and result.optimal:
            column = index + 2
            chart.add_series({"name": sheet.ref(1, column)[:3], "values": sheet.ref(3, column)})
    chart.set_title({"name": f"Objective by scenario ({unit})"})
    chart.set_y_axis({"num_format": "#,##0"})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(row, 1, chart, width=760, height=360)


def write_comparison(comparison: Comparison, target: Path) -> None:
    """Write the comparison workbook atomically (never over a file pooling did not write)."""
    from .files import write_output

    write_output(target, lambda: comparison_workbook(comparison), COMPARISON_SHEETS, "pooling compare")
