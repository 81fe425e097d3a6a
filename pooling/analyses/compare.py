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

Where several levers separate two scenarios, :func:`lever_shares` splits the difference
B − A among them by Shapley value over the levers, so the shares add up to it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import words
from ..model import build
from ..pipeline import Result, solve_scenario
from ..precision import optimum_difference
from ..scenario import read_scenario
from ..solve import solve
from ..validate import load


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
class LeverShares:
    """What each lever that separates two scenarios gives of the difference between them."""

    low: int  # index of scenario A
    high: int  # ... and of B: the difference is B − A
    difference: float  # z(B) − z(A), in the objective's unit
    unit: str
    shares: dict[str, float]  # lever -> its Shapley share of the difference (they add up to it)
    moves: dict[str, tuple[str, str]]  # lever -> (its setting in A, in B)
    least_cost: bool
    sentence: str = ""


@dataclass
class Comparison:
    results: list[Result]
    prices: list[LeverPrice] = field(default_factory=list)
    shares: list[LeverShares] = field(default_factory=list)

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
            lambda r: {
                f"{row.Name} ({row.Programme})": row.Total for row in r.tables.allocation.frame.iloc[:-1].itertuples()
            }
        )

    def by_partner(self) -> pd.DataFrame:
        def partners(result):
            used = result.tables.streams.frame.groupby("Partner", sort=False)["Used"].sum()
            return {result.place.partners[code].name: float(amount) for code, amount in used.items()}

        return self._side_by_side(partners)

    def by_outcome(self) -> pd.DataFrame:
        def outcomes(result):
            frame = result.tables.outcomes.frame
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
            "lever_shares": [
                {
                    "from": self.names[d.low],
                    "to": self.names[d.high],
                    "difference": d.difference,
                    "unit": d.unit,
                    "shares": [
                        {"lever": lever, "from": d.moves[lever][0], "to": d.moves[lever][1], "share": share}
                        for lever, share in d.shares.items()
                    ],
                    "meaning": d.sentence,
                }
                for d in self.shares
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


# Each lever of Scenario.policy() and the scenario fields that set it.
LEVER_FIELDS = {
    "pooling": ("pooling", "coalition"),
    "ring-fencing": ("ring_fencing",),
    "council tax": ("freeze", "growth", "freeze_grant"),
    "funding changes": ("change_default", "change_source", "change_partner", "change_stream"),
}
# Beyond this many levers the 2^n subsets are too many to solve for a comparison.
MAX_SHARED_LEVERS = 6


def lever_shares(results: list[Result], places: dict) -> list[LeverShares]:
    """For every two optimal scenarios on one workbook and objective, each separating
    lever's share of the difference B − A, by Shapley value over the levers: every subset
    S of them is solved (A with S's levers set as in B), and lever i gets the average of
    v(S ∪ {i}) − v(S) over the orders the levers could be moved in

        share_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)),

    so the shares add up to v(N) − v(∅) = z(B) − z(A) exactly. Values are stage-1 optima."""
    found = []
    for a, b in itertools.combinations(range(len(results)), 2):
        first, second = results[a], results[b]
        if not (first.optimal and second.optimal):
            continue
        policy_a, policy_b = first.scenario.policy(), second.scenario.policy()
        if policy_a["workbook"] != policy_b["workbook"] or policy_a["objective"] != policy_b["objective"]:
            continue
        levers = [lever for lever in LEVER_FIELDS if policy_a[lever] != policy_b[lever]]
        if not levers or len(levers) > MAX_SHARED_LEVERS:
            continue
        place = places[first.scenario.workbook]
        values: dict[frozenset, float] = {frozenset(): first.objective, frozenset(levers): second.objective}
        for size in range(1, len(levers)):
            for subset in itertools.combinations(levers, size):
                moved = {name: getattr(second.scenario, name) for lever in subset for name in LEVER_FIELDS[lever]}
                solution = solve(build(place, dataclasses.replace(first.scenario, **moved)))
                if not solution.optimal:
                    break
                values[frozenset(subset)] = solution.objective
            else:
                continue
            break
        if len(values) != 2 ** len(levers):
            continue  # a mixture of the two is infeasible: no shares can be given
        shares = {lever: _shapley(lever, levers, values) for lever in levers}
        moves = {lever: (policy_a[lever], policy_b[lever]) for lever in levers}
        least_cost = first.scenario.objective == "least-cost"
        item = LeverShares(a, b, second.objective - first.objective, first.objective_unit, shares, moves, least_cost)
        item.sentence = words.lever_shares(item, first.scenario.name, second.scenario.name)
        found.append(item)
    return found


def _shapley(lever: str, levers: list[str], values: dict[frozenset, float]) -> float:
    others = [other for other in levers if other != lever]
    n = len(levers)
    total = 0.0
    for size in range(len(others) + 1):
        weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
        for subset in itertools.combinations(others, size):
            before = frozenset(subset)
            total += weight * (values[before | {lever}] - values[before])
    return total


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
    comparison.shares = lever_shares(results, {path: place for path, (place, _) in loaded.items()})
    return comparison
