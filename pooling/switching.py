"""Switching values (Green Book 2020, 5.60-5.61): how far an input may move before the
recommended plan, or the decision it supports, changes; found by solving again, not read
from one basis.

**A programme's effect rate** (every ``Per £m`` of its Effects rows, scaled together by a
factor f, 100% being the evidence as written):

* a programme the reported plan funds above its minimum: the f below which funding it
  above its minimum is worth no more than the plan rule's ε, so no plan within ε of the
  best needs it there (the reported plan, pulled towards the base-year budget, may still
  keep a little there below f: this is where the value stops needing it, which the value
  LP decides, not where the closest plan first moves);
* a programme held at its minimum: the f above which funding it further is worth
  something, up to twice the evidence.

At each f the value LP is solved twice, warm: as it is, z(f), and with the programme's
spend held at its minimum, z_min(f). Funding it above its minimum is worth something when
z(f) beats z_min(f) by more than ε (for least cost, when it spends less). Where that margin
is within ε at the evidence itself, the plan funds the programme above its minimum only by
the rule that picks among equal plans: the switching value is the evidence itself.

Scaling a programme's yields scales its effect columns y[p,o,j,t] in everything they feed
(the objective, targets, the cashable savings they release), not in its effect capacities
(Σ_j y ≤ spend) or segment widths, which are in money.

**Rates** (every programme's effects together, each ``[change]`` rate of the scenario that
sets several streams, each stream's annual change, each savings row's ``£ per unit``, each
freeze-grant rate, each partner's ``Pool max %``), searched from the input down to the far
end of its plausible range (−100% of it; twice a cut; a Pool max % down to its Pool min %):

* where a yearly target is first missed (``outcomes`` with targets) or the plan becomes
  infeasible (least cost: its targets are constraints);
* where pooling stops beating silo (for every effect together, the scenario rates, the
  freeze-grant rates and Pool max %): the partnership dividend, z_pooled(x) − z_silo(x)
  (the other way round for least cost), is no longer more than ε. Both scenarios are solved
  at each x, each in its own HiGHS instance.

A missed target is found by bisection to 0.1% of the input, between the input (every target
met) and the far end (one missed): a deeper cut or a weaker effect does not help meet a
target, so it is the nearest. The dividend, a difference of two optima, can fall and rise
again as an input falls: it is scanned in five even steps from the input, and the first
step where pooling no longer beats silo is bisected back, so a dip narrower than a step can
be missed. The Switching value column holds the nearer of the two.

The searches are independent: they run on as many threads as there are cores, each thread
with its own HiGHS instances (HiGHS releases Python's lock while it solves), and every
search starts from the optimal basis of the scenario as written, so what it finds does not
depend on which thread ran it or what ran before.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from .explain import NOTHING_SHARE
from .families import EFFECT_CAPACITY, POOL_MAX, POOL_MIN, STREAM_LIMIT
from .funding import change_rate, pool_base
from .model import Model
from .precision import BINDING_TOLERANCE
from .rule import epsilon
from .solve import Solution, highs_lp, model_arrays, warm_highs

# The bisection stops within this share of the input (0.1%).
PRECISION = 0.001
# How far above the evidence a programme at its minimum is searched: up to twice it.
HIGHEST = 2.0
# A programme still worth funding at this share of its evidence is worth funding "as long
# as it has any effect at all"; probing here first spares the bisection most of its steps.
ANY_EFFECT = 0.01
# Steps of the scan for where pooling stops beating silo, from the input to the far end.
SCAN_STEPS = 5
# The rates searched for where pooling stops beating silo: the levers a board sets or doubts
# as a whole (every effect together, a scenario rate, a freeze-grant rate, a Pool max %). Each
# stream and savings row is searched for a missed target only: with the scan, their dividend
# searches would double the time of a run for switches the scenario rates already show.
DIVIDEND_KINDS = ("effects", "key", "limit", "pool")


@dataclass
class SwitchingValue:
    """One key input, its value, and the value at which the decision it supports changes."""

    input: str  # the input in words
    cells: tuple[str, ...]  # the input cells (the programme's Per £m cells), or the scenario key
    programme: str  # what the input belongs to: a programme, stream, partner, partner type or key
    value: float  # the input as written: 1.0 (100% of the evidence) for an effect, the rate for a stream
    switching: float | None  # where the decision switches; None when nothing does in range
    what: str  # what switches, in words
    kind: str = "effect"  # effect, effects (all together), key, change, saving, limit or pool
    targets: float | None = None  # where a yearly target is first missed (or the plan is infeasible)
    dividend: float | None = None  # where pooling stops beating silo

    @property
    def anything(self) -> bool:
        """A programme that stays funded as long as it has any effect at all."""
        return self.kind == "effect" and self.switching is not None and self.switching <= ANY_EFFECT

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


class _Exported:
    """A model exported once for every search: its HiGHS LP, its matrix, and where its
    streams, pool shares and shortfalls sit."""

    def __init__(self, model: Model):
        exported = model_arrays(model)
        variables, constraints, *_, starts, indices, values = exported
        self.model = model
        self.lp, _, _ = highs_lp(model, exported)
        self.column = {id(variable): index for index, variable in enumerate(variables)}
        self.matrix = sparse.csr_matrix((values, indices, starts), shape=(len(constraints), len(variables)))
        self.by_column = self.matrix.tocsc()
        self.row_lower, self.row_upper = np.asarray(self.lp.row_lower_), np.asarray(self.lp.row_upper_)
        self.cost = np.asarray(self.lp.col_cost_, dtype=float)
        self.maximise = self.lp.sense_ == highspy.ObjSense.kMaximize
        # Rows in registry order, as model_arrays exports them.
        self.stream_rows: dict[str, list[tuple[int, int]]] = {}  # stream -> [(row, t)]
        self.pool_max_rows: dict[str, list[int]] = {}  # partner -> rows
        self.pool_rows: dict[tuple[str, int], list[int]] = {}  # (partner, t) -> Pool min % and max % rows
        self.capacity_rows: set[int] = set()
        for row, info in enumerate(model.registry.values()):
            if info.family is STREAM_LIMIT:
                self.stream_rows.setdefault(info.keys["stream"], []).append((row, info.year))
            elif info.family in (POOL_MIN, POOL_MAX):
                self.pool_rows.setdefault((info.keys["partner"], info.year), []).append(row)
                if info.family is POOL_MAX:
                    self.pool_max_rows.setdefault(info.keys["partner"], []).append(row)
            elif info.family is EFFECT_CAPACITY:
                self.capacity_rows.add(row)
        self.short = np.array([self.column[id(variable)] for variable in model.short.values()], dtype=np.int64)
        self.targets = np.array([model.place.outcomes[code].targets[t - 1] or 0.0 for code, t in model.short])

    def set_amounts(self, highs, amounts: list[tuple[int, int, str, float]]) -> None:
        """Set stream amounts A[s,t], given as [(stream limit row, t, stream, A)], in their
        rows and in the pool-share rows they feed: Pool min % and Pool max % × B[i,t], with
        B[i,t] the partner's poolable funding, moved by the change in A."""
        moved: dict[tuple[str, int], float] = {}
        for row, t, code, amount in amounts:
            highs.changeRowBounds(row, float(self.row_lower[row]), float(amount))
            stream = self.model.stream(code)
            if stream.counts_for_pool_share:
                key = (stream.partner, t)
                moved[key] = moved.get(key, 0.0) + amount - float(self.row_upper[row])
        for (partner, t), change in moved.items():
            base = pool_base(self.model.streams, partner, t)
            if base <= 0:
                continue
            scale = (base + change) / base
            for row in self.pool_rows.get((partner, t), []):
                lower, upper = float(self.row_lower[row]), float(self.row_upper[row])
                if math.isfinite(lower):  # Pool min % × B ≤ …
                    lower *= scale
                if math.isfinite(upper):  # … ≤ Pool max % × B
                    upper *= scale
                highs.changeRowBounds(row, lower, upper)

    def effect_entries(self, programmes: set[str] | None = None):
        """The effect columns of ``programmes`` (all when None) and their coefficients in
        every row but the effect capacities: [(row, column, coefficient)], [column]."""
        columns = [
            self.column[id(var)] for (p, _, _, _), var in self.model.y.items() if programmes is None or p in programmes
        ]
        matrix = self.by_column
        entries = [
            (int(row), col, float(matrix[row, col]))
            for col in columns
            for row in matrix.indices[matrix.indptr[col] : matrix.indptr[col + 1]]
            if row not in self.capacity_rows
        ]
        return entries, columns


class _Search:
    """One exported model in its own HiGHS instance, re-solved warm (simplex from the last
    basis). Each search puts back what it changed; ``restart`` puts back the basis."""

    def __init__(self, exported: _Exported):
        self.exported = exported
        self.highs = warm_highs(exported.lp)
        self.highs.run()
        self.start = self.highs.getBasis()
        self.bound: dict[int, Callable[[float], None]] = {}  # an input's setter on this model

    def restart(self) -> None:
        self.highs.setBasis(self.start)

    def value(self) -> float | None:
        """Solve again: the optimum, or None when there is no optimal plan."""
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return self.highs.getInfo().objective_function_value

    def targets_met(self) -> bool:
        """Solve again: is the plan optimal with every yearly target met?"""
        if self.value() is None:
            return False
        shortfall = np.asarray(self.highs.getSolution().col_value)[self.exported.short]
        return bool(np.all(shortfall <= BINDING_TOLERANCE * np.maximum(1.0, self.exported.targets)))

    def setter(self, rate: _Rate) -> Callable[[float], None]:
        if id(rate) not in self.bound:
            self.bound[id(rate)] = rate.bind(self)
        return self.bound[id(rate)]


class _Searches:
    """One thread's searches: the scenario's, and (for the dividend) its counterpart's."""

    def __init__(self, own: _Exported, other: _Exported | None):
        self.own = _Search(own)
        self.other = _Search(other) if other is not None else None

    def restart(self) -> None:
        self.own.restart()
        if self.other is not None:
            self.other.restart()


def switching_values(
    model: Model, value: Solution, plan: Solution, counterpart: Model | None = None, workers: int | None = None
) -> list[SwitchingValue]:
    """Every switching value of a solved scenario: the programmes' effect rates, then the
    rates (see the module's text): where a target is first missed, when the scenario has
    targets, and where pooling stops beating silo, when ``counterpart`` (the same scenario
    with pooling switched) is given. ``workers`` threads (default: one per core)."""
    if not value.optimal:
        return []
    own = _Exported(model)
    tasks: list[Callable[[_Searches], SwitchingValue | None]] = [
        functools.partial(_programme_switching, code, plan) for code in _programmes_with_effects(model)
    ]
    objective = model.scenario.objective
    least_cost = objective != "outcomes"
    targets = least_cost or bool(model.short)
    other = _Exported(counterpart) if counterpart is not None else None
    if targets or other is not None:
        own_pooled = model.scenario.pooling == "pooled"
        tasks += [functools.partial(_rate_switching, rate, targets, own_pooled, least_cost) for rate in _rates(model)]
    return [item for item in _run(tasks, own, other, workers) if item is not None]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _run(tasks, own: _Exported, other: _Exported | None, workers: int | None) -> list:
    """Run the searches, in order, on threads that each keep their own HiGHS instances."""
    local = threading.local()

    def do(task):
        searches = getattr(local, "searches", None)
        if searches is None:
            searches = local.searches = _Searches(own, other)
        searches.restart()
        return task(searches)

    workers = max(1, min(workers or _cores(), len(tasks)))
    if workers == 1:
        return [do(task) for task in tasks]
    with ThreadPoolExecutor(workers, thread_name_prefix="switching") as pool:
        return list(pool.map(do, tasks))


# -- programmes' effect rates ------------------------------------------------------------


def _programmes_with_effects(model: Model) -> list[str]:
    with_effects = {p for (p, _, _, _) in model.y}
    with_spend = {p for (p, _) in model.spend}
    return [code for code in model.place.programmes if code in with_effects and code in with_spend]


def _programme_switching(code: str, plan: Solution, searches: _Searches) -> SwitchingValue:
    """The switching value of one programme's effect rate (see the module's text)."""
    search = searches.own
    exported, highs = search.exported, search.highs
    model = exported.model
    programme = model.place.programmes[code]
    entries, columns = exported.effect_entries({code})
    spend = [exported.column[id(var)] for (p, _), var in model.spend.items() if p == code]
    # The pennies the plan rule's ε lets sit where money buys less are not funding.
    hair = NOTHING_SHARE * max([1.0, *(amount for stream in model.streams for amount in stream.amounts or ())])
    floor = programme.min or 0.0
    above = any(
        model.spent(plan, code, t) > floor + max(hair, BINDING_TOLERANCE * max(1.0, floor)) for t in model.years
    )
    cells = tuple(segment.cell for (p, _), segments in model.place.effects.items() if p == code for segment in segments)
    worth = functools.partial(_worth, search, entries, columns, spend, floor)
    try:
        switching, what = _decide(f"{programme.name} ({code})", above, worth)
    finally:
        _scale(highs, entries, exported.cost, columns, 1.0)
    return SwitchingValue(f"effect rate of {programme.name} ({code})", cells, code, 1.0, switching, what)


def _decide(name: str, above: bool, worth) -> tuple[float | None, str]:
    """The switching factor of a programme's yields (None when none in range), and what
    switches there, in words."""
    if above:
        if not worth(1.0):
            return 1.0, (
                f"{name} is funded above its minimum only by the rule that picks among plans of equal value: "
                "any smaller effect and the value no longer needs it there"
            )
        if worth(ANY_EFFECT):
            # (Funding it is worth nothing with no effect at all: the bisection starts at 0.)
            return _bisect(worth, 0.0, ANY_EFFECT), (
                f"{name} stays funded above its minimum as long as it has any effect at all: its money has no "
                "better use"
            )
        switching = _bisect(worth, ANY_EFFECT, 1.0)
        return switching, (
            f"{name} stays funded above its minimum unless its effect is {1 - switching:.0%} smaller than the "
            "evidence says"
        )
    if not worth(HIGHEST):
        return None, f"{name} stays at its minimum even at twice its effect"
    switching = _bisect(worth, 1.0, HIGHEST)
    return switching, f"{name} would get more than its minimum if its effect were {switching - 1:.0%} larger"


def _worth(search: _Search, entries, columns, spend, floor: float, f: float) -> bool:
    """Is funding the programme above its minimum worth more than ε with its yields × f?"""
    exported, highs = search.exported, search.highs
    _scale(highs, entries, exported.cost, columns, f)
    with_it = search.value()
    lower, upper = np.asarray(exported.lp.col_lower_)[spend], np.asarray(exported.lp.col_upper_)[spend]
    indices = np.array(spend, dtype=np.int32)
    highs.changeColsBounds(len(spend), indices, lower, np.minimum(upper, floor))
    without = search.value()
    highs.changeColsBounds(len(spend), indices, lower, upper)
    if with_it is None:  # no plan at all with yields this small: nothing to fund it above its minimum in
        return False
    if without is None:  # no plan meets every constraint with it held at its minimum: it is needed
        return True
    margin = with_it - without if exported.maximise else without - with_it
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


def _first_switch(decides, value: float, far: float, precision: float, steps: int = SCAN_STEPS) -> float | None:
    """The switch of ``decides`` (True at ``value``) nearest ``value`` on the way to ``far``:
    the first of ``steps`` even steps where it is False, then bisection back from there; None
    when it holds at every step. The dividend is a difference of two optima, which need not
    move one way only as an input falls: a switch and back within one step is not seen."""
    previous = value
    for step in range(1, steps + 1):
        x = value + (far - value) * step / steps
        if not decides(x):
            return _bisect(decides, x, previous, precision)
        previous = x
    return None


def _scale(highs, entries, cost, columns, f: float) -> None:
    for row, col, coefficient in entries:
        highs.changeCoeff(row, col, coefficient * f)
    indices = np.array(columns, dtype=np.int32)
    highs.changeColsCost(len(columns), indices, cost[columns] * f)


# -- rates -------------------------------------------------------------------------------


@dataclass(eq=False)
class _Rate:
    """A rate searched downwards, from its value to ``far``, in its own units."""

    input: str
    cells: tuple[str, ...]
    owner: str
    value: float
    far: float
    kind: str
    bind: Callable[[_Search], Callable[[float], None]]  # its setter on a search's model
    unless: Callable[[float], str]  # the rate beyond x, in words
    even: str  # the rate at the far end, in words ("if … were nil")


def _rate_switching(
    rate: _Rate, targets: bool, own_pooled: bool, least_cost: bool, searches: _Searches
) -> SwitchingValue | None:
    """Where a target is first missed and where pooling stops beating silo, as ``rate``
    falls from its value to its far end (each None when not in range)."""
    own, other = searches.own, searches.other
    set_own = own.setter(rate)
    set_other = other.setter(rate) if other is not None else None
    precision = PRECISION * abs(rate.value)

    def met(x: float) -> bool:
        set_own(x)
        return own.targets_met()

    settled: list[float | None] = []  # the counterpart's value, when the rate cannot move it

    def beats(x: float) -> bool:
        set_own(x)
        if rate.kind == "pool":  # silo pools nothing: its value stays where it is
            if not settled:
                settled.append(other.value())
            mine, theirs = own.value(), settled[0]
        else:
            set_other(x)
            mine, theirs = own.value(), other.value()
        pooled, silo = (mine, theirs) if own_pooled else (theirs, mine)
        if pooled is None or silo is None:
            # Silo feasible where pooling is not (its Pool min % demands more than there is)
            # beats it; where neither is feasible the targets' search says so.
            return silo is None
        gain = pooled - silo if own.exported.maximise else silo - pooled
        return gain > epsilon(pooled)

    searched_targets = targets and met(rate.value)
    missed = _bisect(met, rate.far, rate.value, precision) if searched_targets and not met(rate.far) else None
    searched_dividend = other is not None and rate.kind in DIVIDEND_KINDS and beats(rate.value)
    stops = _first_switch(beats, rate.value, rate.far, precision) if searched_dividend else None
    if stops is not None and rate.kind == "effects" and stops - rate.far <= ANY_EFFECT * abs(rate.value):
        stops = None  # the dividend goes only with the last of the effects: no switch to speak of
    infeasible = False  # just beyond where a target is missed: is there no plan at all?
    if missed is not None:  # just beyond the switch, never beyond the rate's far end (a negative grant)
        set_own(max(missed - precision, rate.far))
        infeasible = own.value() is None
    set_own(rate.value)  # back to the inputs as written
    if set_other is not None:
        set_other(rate.value)
    if not searched_targets and not searched_dividend:
        return None
    held = "every yearly target can still be met" if least_cost else "every yearly target is still met"
    parts = []
    if searched_targets:
        if missed is not None:
            parts.append(f"{held} unless {rate.unless(missed)}")
            if infeasible and not least_cost:
                parts[-1] += ", beyond which no plan meets every constraint (every minimum, ring-fence and pool share)"
        else:
            parts.append(
                ("the plan is feasible" if least_cost else "every yearly target is met") + f" even {rate.even}"
            )
    if stops is not None:
        parts.append(f"pooling still beats silo unless {rate.unless(stops)}")
    elif searched_dividend and not searched_targets:
        parts.append(f"pooling beats silo even {rate.even}")
    what = "; ".join(parts)
    found = [x for x in (missed, stops) if x is not None]
    return SwitchingValue(
        rate.input,
        rate.cells,
        rate.owner,
        rate.value,
        max(found) if found else None,  # the nearer: both lie below the value
        what[:1].upper() + what[1:],
        kind=rate.kind,
        targets=missed,
        dividend=stops,
    )


def _rates(model: Model) -> list[_Rate]:
    """Every rate searched, in the order the Switching values sheet lists them."""
    return (
        _effects_rate(model)
        + _key_rates(model)
        + _stream_rates(model)
        + _savings_rates(model)
        + _freeze_rates(model)
        + _pool_max_rates(model)
    )


def _effects_rate(model: Model) -> list[_Rate]:
    """Every programme's effects together: how much weaker may the evidence as a whole be?"""
    if len(_programmes_with_effects(model)) < 2:
        return []

    def bind(search: _Search):
        entries, columns = search.exported.effect_entries()
        return lambda f: _scale(search.highs, entries, search.exported.cost, columns, f)

    cells = [segment.cell for segments in model.place.effects.values() for segment in segments if segment.cell]
    return [
        _Rate(
            "effect rate of every programme (every Per £m, together)",
            (_cell_range(cells),) if cells else (),
            "every programme",
            1.0,
            0.0,
            "effects",
            bind,
            lambda f: f"every programme's effect is {1 - f:.0%} smaller than the evidence says",
            "if no programme had any effect",
        )
    ]


def _cell_range(cells: list[str]) -> str:
    """'Effects!C2:C57' for cells of one sheet's column, else the cells listed."""
    sheet_columns = {cell.rsplit("!", 1)[0] + "!" + cell.rsplit("!", 1)[1].rstrip("0123456789") for cell in cells}
    if len(sheet_columns) != 1:
        return ", ".join(cells)
    rows = [int(cell.rsplit("!", 1)[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for cell in cells]
    column = sheet_columns.pop()
    return f"{column}{min(rows)}:{column.rsplit('!', 1)[1]}{max(rows)}"


def _streams_changing(model: Model, codes) -> Callable[[_Search], Callable[[float], None]]:
    """A setter of the annual change r of the streams ``codes``: A[s,t] = Base × (1 + r)^t."""
    bases = {code: model.place.streams[code].base for code in codes}

    def bind(search: _Search):
        exported = search.exported
        rows = [(row, t, code) for code in codes for row, t in exported.stream_rows.get(code, [])]

        def set_change(r: float) -> None:
            exported.set_amounts(search.highs, [(row, t, code, bases[code] * (1 + r) ** t) for row, t, code in rows])

        return set_change

    return bind


def _change_words(name: str, rate: float) -> Callable[[float], str]:
    has = f"a fall of {-rate:.1%}" if rate < 0 else f"a rise of {rate:.1%}"

    def unless(r: float) -> str:
        moves = f"falls by more than {-r:.1%}" if r < 0 else f"grows by less than {r:.1%}"
        return f"{name} {moves} a year (the scenario has {has})"

    return unless


def _key_rates(model: Model) -> list[_Rate]:
    """Each [change] rate of the scenario that sets the annual change of several streams
    (``change.source.grant = -0.071``: every grant): the treasurer's own lever."""
    scenario, place = model.scenario, model.place
    by_key: dict[str, tuple[float, list[str]]] = {}
    for stream in place.streams.values():
        if stream.source == "council tax":
            continue
        rate, key = change_rate(scenario, stream.code, stream.partner, stream.source)
        if rate != 0.0 and not key.startswith("change.stream."):
            by_key.setdefault(key, (rate, []))[1].append(stream.code)
    found = []
    for key, (rate, codes) in by_key.items():
        if len(codes) < 2:
            continue  # its stream's own row says it
        part = key.split(".", 2)
        if part[1] == "source":
            name = f"every {part[2]} stream"
        elif part[1] == "partner":
            name = f"every stream of {place.partners[part[2]].name}"
        else:
            name = "every stream without a rate of its own"
        harsher = rate - abs(rate)
        found.append(
            _Rate(
                f"annual change of {name} ({key})",
                (f"scenario: {key}",),
                key,
                rate,
                harsher,
                "key",
                _streams_changing(model, codes),
                _change_words(name, rate),
                f"if {name} changed {harsher:+.1%} a year",
            )
        )
    return found


def _stream_rates(model: Model) -> list[_Rate]:
    """Each stream whose amount changes by a rate a year, from its rate to twice it (a
    rise: down to none)."""
    found = []
    for stream in model.place.streams.values():
        if stream.source == "council tax":
            continue
        rate, _ = change_rate(model.scenario, stream.code, stream.partner, stream.source)
        if rate == 0.0:
            continue  # −100%…+100% of no change is no range
        name = f"{model.place.partners[stream.partner].name}'s {stream.source} {stream.code}"
        harsher = rate - abs(rate)
        found.append(
            _Rate(
                f"annual change of {name}",
                tuple(model.stream(stream.code).cells),
                stream.code,
                rate,
                harsher,
                "change",
                _streams_changing(model, [stream.code]),
                _change_words(name, rate),
                f"if {name} changed {harsher:+.1%} a year",
            )
        )
    return found


def _savings_rates(model: Model) -> list[_Rate]:
    """Each Savings row's ``£ per unit`` (cashable to a partner), down to nothing.

    A row's savings enter its beneficiary's SAVINGS stream limit a Lag after the outcome, as
    −(£ per unit × Cashable % / k) × ρ_j on each effect column y of the outcome; setting the
    row's rate to x moves those coefficients by (x / £ per unit − 1) times that row's own
    part (other rows paying the same partner for the same outcome keep theirs)."""
    place = model.place
    found = []
    for saving in place.savings:
        if not saving.per_unit:
            continue

        def bind(search: _Search, saving=saving):
            exported = search.exported
            by_year = {t: row for row, t in exported.stream_rows.get(f"SAVINGS-{saving.beneficiary}", [])}
            per_unit = saving.per_unit * saving.cashable / place.unit_pounds
            parts = []  # (row, column, original coefficient, this row's part of it)
            for t in exported.model.years:
                row = by_year.get(t)
                if row is None or t - saving.lag < 1:
                    continue
                for variable, rate in exported.model.out.get((saving.outcome, t - saving.lag), []):
                    col = exported.column[id(variable)]
                    parts.append((row, col, float(exported.matrix[row, col]), -per_unit * rate))

            def set_rate(x: float) -> None:
                g = x / saving.per_unit
                for row, col, original, own in parts:
                    search.highs.changeCoeff(row, col, original + (g - 1.0) * own)

            return set_rate

        if not any(t - saving.lag >= 1 and (saving.outcome, t - saving.lag) in model.out for t in model.years):
            continue  # its savings fall after the last year modelled
        outcome = place.outcomes[saving.outcome].name
        partner = place.partners[saving.beneficiary].name
        name = f"saving to {partner} per unit of {outcome} ({saving.outcome})"
        cells = tuple(cell for key, cell in saving.cells.items() if "unit" in key.lower()) or tuple(
            saving.cells.values()
        )

        def unless(x: float, name=name, per_unit=saving.per_unit) -> str:
            return (
                f"the {name} is {1 - x / per_unit:.0%} smaller than the evidence says "
                f"(£{x:,.0f} against £{per_unit:,.0f})"
            )

        found.append(
            _Rate(
                name, cells, saving.beneficiary, saving.per_unit, 0.0, "saving", bind, unless, f"if the {name} were nil"
            )
        )
    return found


def _scaled_rows(rows_of: Callable[[_Exported], list[int]], value: float):
    """A setter of x that scales the upper bounds of some rows by x / value."""

    def bind(search: _Search):
        exported = search.exported
        rows = rows_of(exported)

        def set_rate(x: float) -> None:
            for row in rows:
                upper = float(exported.row_upper[row] * (x / value))  # exact at x = value: restored as read
                search.highs.changeRowBounds(row, float(exported.row_lower[row]), upper)

        return set_rate

    return bind


def _freeze_rates(model: Model) -> list[_Rate]:
    """Each freeze-grant rate (by partner type, under a freeze), down to nothing. The grant
    is rate × council tax, so a rate x scales its rows' bounds by x / rate."""
    scenario, place = model.scenario, model.place
    if not scenario.freeze:
        return []
    found = []
    for kind, rate in sorted(scenario.freeze_grant.items()):
        codes = [f"FREEZE-{p.code}" for p in place.partners.values() if p.type == kind]
        if rate <= 0 or not any(_has_stream(model, code) for code in codes):
            continue
        name = f"freeze grant rate for {kind} partners"

        def bind(search: _Search, codes=codes, rate=rate):
            exported = search.exported
            rows = [(row, t, code) for code in codes for row, t in exported.stream_rows.get(code, [])]

            def set_rate(x: float) -> None:
                # x / rate first: exactly 1 at x = rate, so the amounts are restored as read.
                amounts = [(row, t, code, float(exported.row_upper[row]) * (x / rate)) for row, t, code in rows]
                exported.set_amounts(search.highs, amounts)

            return set_rate

        def unless(x: float, name=name, rate=rate) -> str:
            return f"the {name} falls below {x:.2%} (it is {rate:.2%})"

        found.append(
            _Rate(
                name,
                (f"scenario: council_tax.freeze_grant.{kind}",),
                kind,
                rate,
                0.0,
                "limit",
                bind,
                unless,
                f"with a {name} of nil",
            )
        )
    return found


def _has_stream(model: Model, code: str) -> bool:
    return any(stream.code == code for stream in model.streams)


def _pool_max_rates(model: Model) -> list[_Rate]:
    """Each partner's Pool max % below 100%, down to its Pool min % (pooled only: in silo
    nothing is pooled). Its rows' bounds are Pool max % × B[i,t], so a share x scales them
    by x / Pool max %."""
    if model.scenario.pooling != "pooled":
        return []
    found = []
    rows = {info.keys["partner"] for info in model.registry.values() if info.family is POOL_MAX}
    for partner in model.place.partners.values():
        if partner.code not in rows or partner.pool_max <= partner.pool_min:
            continue
        name = f"{partner.name}'s Pool max %"

        def rows_of(exported: _Exported, code=partner.code) -> list[int]:
            return exported.pool_max_rows.get(code, [])

        def unless(x: float, name=name, share=partner.pool_max) -> str:
            return f"{name} falls below {x:.1%} (it is {share:.1%})"

        found.append(
            _Rate(
                name,
                tuple(cell for cell in (partner.cells.get("Pool max %"),) if cell),
                partner.code,
                partner.pool_max,
                partner.pool_min,
                "pool",
                _scaled_rows(rows_of, partner.pool_max),
                unless,
                f"if {name} were its Pool min % ({partner.pool_min:.0%})",
            )
        )
    return found
