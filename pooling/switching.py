"""Switching values (Green Book 2020, 5.60-5.61): how far an input may move before the
recommended plan changes, found by solving again, not read from one basis.

For each programme's effect rate (every ``Per £m`` of its Effects rows, scaled together by
a factor f, 100% being the evidence as written):

* a programme the reported plan funds above its minimum: the f below which funding it
  above its minimum is worth no more than the plan rule's ε, so no plan within ε of the
  best needs it there (the reported plan, pulled towards the base-year budget, may still
  keep a little there below f: this is where the value stops needing it, which the value
  LP decides, not where the closest plan first moves);
* a programme held at its minimum: the f above which funding it further is worth
  something, up to twice the evidence.

At each f the value LP is solved twice from the same HiGHS instance, warm: as it is, z(f),
and with the programme's spend held at its minimum, z_min(f). Funding it above its minimum
is worth something when z(f) beats z_min(f) by more than the plan rule's ε (for least cost,
when it spends less); f is found by bisection to 0.1% of the evidence. Where that margin is
within ε at the evidence itself, the plan funds the programme above its minimum only by the
rule that picks among equal plans: the switching value is the evidence itself.

Scaling a programme's yields scales its effect columns y[p,o,j,t] in everything they feed
(the objective, targets, the cashable savings they release), not in its effect capacities
(Σ_j y ≤ spend) or segment widths, which are in money.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from .explain import NOTHING_SHARE
from .families import EFFECT_CAPACITY, STREAM_LIMIT
from .funding import change_rate
from .model import Model
from .precision import BINDING_TOLERANCE
from .rule import epsilon
from .solve import Solution, configured_highs, highs_lp, model_arrays

# The bisection stops within this share of the input (0.1%).
PRECISION = 0.001
# How far above the evidence a programme at its minimum is searched: up to twice it.
HIGHEST = 2.0


@dataclass
class SwitchingValue:
    """One key input, its value, and the value at which the decision it supports changes."""

    input: str  # the input in words
    cells: tuple[str, ...]  # the input cells (the programme's Per £m cells)
    programme: str
    value: float  # the input as written: 1.0 (100% of the evidence) for an effect, the rate for a stream
    switching: float | None  # where the decision switches; None when nothing does in range
    what: str  # what switches, in words
    kind: str = "effect"  # "effect" (a programme's effect rate) or "change" (a stream's annual change)

    @property
    def anything(self) -> bool:
        """A programme that stays funded as long as it has any effect at all."""
        return self.kind == "effect" and self.switching is not None and self.switching <= 0.01

    @property
    def telling(self) -> bool:
        """Worth a sentence on the Summary: a real switch, not 'any effect' nor a tie."""
        return self.switching is not None and not self.anything and self.switching != self.value

    @property
    def change(self) -> float | None:
        """The switching value against the value, as a share of it (−75%: a quarter left)."""
        if self.switching is None:
            return None
        return (self.switching - self.value) / abs(self.value) if self.value else self.switching


class _Search:
    """The value LP in one HiGHS instance, exported once for every search below, which
    re-solve it warm (simplex from the last basis); each search puts back what it changed."""

    def __init__(self, model: Model):
        exported = model_arrays(model)
        variables, constraints, *_, starts, indices, values = exported
        self.lp, _, _ = highs_lp(model, exported)
        self.column = {id(variable): index for index, variable in enumerate(variables)}
        self.matrix = sparse.csr_matrix((values, indices, starts), shape=(len(constraints), len(variables)))
        self.highs = configured_highs(len(variables))
        self.highs.setOptionValue("solver", "simplex")
        self.highs.passModel(self.lp)
        self.row_lower, self.row_upper = np.asarray(self.lp.row_lower_), np.asarray(self.lp.row_upper_)
        # Rows in registry order, as model_arrays exports them.
        self.stream_rows: dict[str, list[tuple[int, int]]] = {}  # stream -> [(row, t)]
        for row, info in enumerate(model.registry.values()):
            if info.family is STREAM_LIMIT:
                self.stream_rows.setdefault(info.keys["stream"], []).append((row, info.year))
        self.short = np.array([self.column[id(variable)] for variable in model.short.values()], dtype=np.int64)
        self.targets = np.array([model.place.outcomes[code].targets[t - 1] or 0.0 for code, t in model.short])

    def targets_met(self) -> bool:
        """Solve again: is the plan optimal with every yearly target met?"""
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        shortfall = np.asarray(self.highs.getSolution().col_value)[self.short]
        return bool(np.all(shortfall <= BINDING_TOLERANCE * np.maximum(1.0, self.targets)))


def switching_values(model: Model, value: Solution, plan: Solution) -> list[SwitchingValue]:
    """Every switching value of a solved scenario: the programmes' effect rates, then (under
    ``outcomes`` with targets) the streams' annual changes, the savings rates and the
    freeze-grant rates, where a yearly target is first missed."""
    if not value.optimal:
        return []
    search = _Search(model)
    found = programme_switching(model, search, plan)
    if model.scenario.objective == "outcomes" and model.short:
        found += stream_switching(model, search) + savings_switching(model, search) + limit_switching(model, search)
    return found


def programme_switching(model: Model, search: _Search, plan: Solution) -> list[SwitchingValue]:
    """The switching value of every programme's effect rate (see the module's text)."""
    if not model.y:
        return []
    highs, lp, column = search.highs, search.lp, search.column
    matrix = search.matrix.tocsc()
    capacity_rows = {row for row, info in enumerate(model.registry.values()) if info.family is EFFECT_CAPACITY}
    maximise = lp.sense_ == highspy.ObjSense.kMaximize
    cost = np.asarray(lp.col_cost_, dtype=float)
    # The pennies the plan rule's ε lets sit where money buys less are not funding.
    hair = NOTHING_SHARE * max([1.0, *(amount for stream in model.streams for amount in stream.amounts or ())])
    found = []
    for code, programme in model.place.programmes.items():
        columns = [column[id(var)] for (p, _, _, _), var in model.y.items() if p == code]
        spend = [column[id(var)] for (p, _), var in model.spend.items() if p == code]
        if not columns or not spend:
            continue
        entries = [
            (row, col, matrix[row, col])
            for col in columns
            for row in matrix.indices[matrix.indptr[col] : matrix.indptr[col + 1]]
            if row not in capacity_rows
        ]
        floor = programme.min or 0.0
        above = any(
            model.spent(plan, code, t) > floor + max(hair, BINDING_TOLERANCE * max(1.0, floor)) for t in model.years
        )
        cells = tuple(
            segment.cell for (p, _), segments in model.place.effects.items() if p == code for segment in segments
        )

        worth = functools.partial(_worth, highs, lp, entries, cost, columns, spend, floor, maximise)
        switching, what = _decide(f"{programme.name} ({code})", above, worth)
        found.append(SwitchingValue(f"effect rate of {programme.name} ({code})", cells, code, 1.0, switching, what))
        _scale(highs, entries, cost, columns, 1.0)
    return found


def _decide(name: str, above: bool, worth) -> tuple[float | None, str]:
    """The switching factor of a programme's yields (None when none in range), and what
    switches there, in words."""
    if above:
        if not worth(1.0):
            return 1.0, (
                f"{name} is funded above its minimum only by the rule that picks among plans of equal value: "
                "any smaller effect and the value no longer needs it there"
            )
        if worth(0.0):
            return None, f"{name} stays funded above its minimum whatever its effect"
        switching = _bisect(worth, 0.0, 1.0)
        if switching <= 0.01:
            return switching, (
                f"{name} stays funded above its minimum as long as it has any effect at all: its money has no "
                "better use"
            )
        return switching, (
            f"{name} stays funded above its minimum unless its effect is {1 - switching:.0%} smaller than the "
            "evidence says"
        )
    if not worth(HIGHEST):
        return None, f"{name} stays at its minimum even at twice its effect"
    switching = _bisect(worth, 1.0, HIGHEST)
    return switching, f"{name} would get more than its minimum if its effect were {switching - 1:.0%} larger"


def _worth(highs, lp, entries, cost, columns, spend, floor: float, maximise: bool, f: float) -> bool:
    """Is funding the programme above its minimum worth more than ε with its yields × f?"""
    _scale(highs, entries, cost, columns, f)
    with_it = _solve(highs)
    lower, upper = np.asarray(lp.col_lower_)[spend], np.asarray(lp.col_upper_)[spend]
    indices = np.array(spend, dtype=np.int32)
    highs.changeColsBounds(len(spend), indices, lower, np.minimum(upper, floor))
    without = _solve(highs)
    highs.changeColsBounds(len(spend), indices, lower, upper)
    if with_it is None or without is None:
        return False
    margin = with_it - without if maximise else without - with_it
    return margin > epsilon(with_it)


def _bisect(decides, low: float, high: float, precision: float = PRECISION) -> float:
    """The point between ``low`` (decides False) and ``high`` (True) where ``decides``
    changes, to within ``precision`` (0.1% of the input)."""
    while high - low > precision:
        middle = (low + high) / 2
        if decides(middle):
            high = middle
        else:
            low = middle
    return (low + high) / 2


def _scale(highs, entries, cost, columns, f: float) -> None:
    for row, col, coefficient in entries:
        highs.changeCoeff(int(row), int(col), float(coefficient * f))
    indices = np.array(columns, dtype=np.int32)
    highs.changeColsCost(len(columns), indices, cost[columns] * f)


def _solve(highs) -> float | None:
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return highs.getInfo().objective_function_value


def stream_switching(model: Model, search: _Search) -> list[SwitchingValue]:
    """For each stream whose amount changes by a rate a year (``[change]``), the rate at
    which a yearly target is first missed, searched from the scenario's rate to twice it
    (within −100%…+100% of the input); blank where every target is met over that range.
    Only under the ``outcomes`` objective with targets (under least cost a missed target
    is an infeasible plan, which this does not yet search)."""
    scenario, highs, rows = model.scenario, search.highs, search.stream_rows
    found = []
    for stream in model.place.streams.values():
        if stream.source == "council tax" or stream.code not in rows:
            continue
        rate, _ = change_rate(scenario, stream.code, stream.partner, stream.source)
        if rate == 0.0:
            continue  # −100%…+100% of no change is no range
        placed = rows[stream.code]

        def met(r: float, placed=placed, base=stream.base) -> bool:
            for row, t in placed:
                highs.changeRowBounds(row, float(search.row_lower[row]), base * (1 + r) ** t)
            return search.targets_met()

        name = f"{model.place.partners[stream.partner].name}'s {stream.source} {stream.code}"
        if met(rate):
            harsher = rate - abs(rate)
            if met(harsher):
                switching, what = None, f"Every yearly target is met even if {name} changed {harsher:+.1%} a year"
            else:
                switching = _bisect(lambda r: met(r), harsher, rate, PRECISION * abs(rate))
                moves = (
                    f"falls by more than {-switching:.1%}" if switching < 0 else f"grows by less than {switching:.1%}"
                )
                has = f"a fall of {-rate:.1%}" if rate < 0 else f"a rise of {rate:.1%}"
                what = f"Every yearly target is still met unless {name} {moves} a year (the scenario has {has})"
            cells = tuple(model.stream(stream.code).cells)
            found.append(
                SwitchingValue(f"annual change of {name}", cells, stream.code, rate, switching, what, kind="change")
            )
        met(rate)  # back to the scenario's amounts
    return found


def savings_switching(model: Model, search: _Search) -> list[SwitchingValue]:
    """For each Savings row (``£ per unit`` of an outcome, cashable to a partner), the share of
    its rate at which a yearly target is first missed, searched down to nothing (−100% of the
    input); blank where every target is met with no such savings at all. Only under the
    ``outcomes`` objective with targets, like :func:`stream_switching`.

    A row's savings enter its beneficiary's SAVINGS stream limit a Lag after the outcome, as
    −(£ per unit × Cashable % / k) × ρ_j on each effect column y of the outcome; scaling the
    row's rate by g moves those coefficients by (g − 1) times that row's own part (other
    rows paying the same partner for the same outcome keep theirs)."""
    if not model.place.savings:
        return []
    highs, column, matrix = search.highs, search.column, search.matrix
    place = model.place
    found = []
    for saving in place.savings:
        by_year = {t: row for row, t in search.stream_rows.get(f"SAVINGS-{saving.beneficiary}", [])}
        per_unit = saving.per_unit * saving.cashable / place.unit_pounds
        parts = []  # (row, column, original coefficient, this row's part of it)
        for t in model.years:
            row = by_year.get(t)
            if row is None or t - saving.lag < 1:
                continue
            for variable, rate in model.out.get((saving.outcome, t - saving.lag), []):
                col = column[id(variable)]
                parts.append((row, col, float(matrix[row, col]), -per_unit * rate))
        if not parts or not saving.per_unit:
            continue

        def met(g: float, parts=parts) -> bool:
            for row, col, original, own in parts:
                highs.changeCoeff(row, col, original + (g - 1.0) * own)
            return search.targets_met()

        outcome = place.outcomes[saving.outcome].name
        partner = place.partners[saving.beneficiary].name
        name = f"saving to {partner} per unit of {outcome} ({saving.outcome})"
        cells = tuple(cell for key, cell in saving.cells.items() if "unit" in key.lower()) or tuple(
            saving.cells.values()
        )
        if met(1.0):
            if met(0.0):
                switching, what = None, f"Every yearly target is met even if the {name} were nil"
            else:
                share = _bisect(lambda g: met(g), 0.0, 1.0)
                switching = share * saving.per_unit
                what = (
                    f"Every yearly target is still met unless the {name} is {1 - share:.0%} smaller than the "
                    f"evidence says (£{switching:,.0f} against £{saving.per_unit:,.0f})"
                )
            found.append(
                SwitchingValue(f"{name}", cells, saving.beneficiary, saving.per_unit, switching, what, kind="saving")
            )
        met(1.0)  # back to the rates as written
    return found


def limit_switching(model: Model, search: _Search) -> list[SwitchingValue]:
    """For each freeze-grant rate (by partner type, under a freeze), the share of it at which
    a yearly target is first missed, searched down to nothing (−100% of the input). The
    grant is rate × council tax, so a share g of the rate scales its rows' bounds by g.
    Under ``outcomes`` with targets only. (Pool max % is not searched yet: near its Pool
    min % the two limits pin the pool, and a search there reads the solver's tolerance as
    a missed target.)"""
    scenario, place, highs = model.scenario, model.place, search.highs
    if not scenario.freeze:
        return []
    found = []
    for kind, rate in sorted(scenario.freeze_grant.items()):
        codes = [f"FREEZE-{p.code}" for p in place.partners.values() if p.type == kind]
        rows = [row for code in codes for row, _ in search.stream_rows.get(code, [])]
        if not rows or rate <= 0:
            continue
        name = f"freeze grant rate for {kind} partners"

        def met(g: float, rows=rows) -> bool:
            for row in rows:
                highs.changeRowBounds(row, float(search.row_lower[row]), float(search.row_upper[row] * g))
            return search.targets_met()

        if met(1.0):
            if met(0.0):
                switching, what = None, f"Every yearly target is met even with a {name} of nil"
            else:
                share = _bisect(lambda g: met(g), 0.0, 1.0)
                switching = share * rate
                what = (
                    f"Every yearly target is still met unless the {name} falls below {switching:.2%} (it is {rate:.2%})"
                )
            found.append(SwitchingValue(name, (), kind, rate, switching, what, kind="limit"))
        met(1.0)  # back to the inputs as written
    return found
