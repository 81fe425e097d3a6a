"""Build: the contract's linear programme, one function per constraint family.

Symbols (as in ``docs/model.md``)::

    i partners, s streams (partner i(s)), p programmes (lead ℓ(p)), o outcomes,
    t = 1..T years, j effect segments
    A[s,t]   money available in stream s in year t (``funding.py``)
    x[s,p,t] money from stream s spent on programme p in year t, ≥ 0
    spend[p,t] = Σ_s x[s,p,t], a variable tied to the x by an equality
    y[p,o,j,t] spend of p counted in segment j of its effect on o, 0 ≤ y ≤ w_j
    out[o,t] = Σ_p Σ_j ρ_j × y[p,o,j,t] × k / 1,000,000
    short[o,t] shortfall below target, ≥ 0 (``outcomes`` objective only)
    k        the workbook unit in £; d_t = (1 + r)^-(t-1)

x[s,p,t] exists where allowed: in ``silo`` when i(s) = ℓ(p); in ``pooled`` also for
every programme with Pooled = yes when s is poolable.

**Two forms of one LP.** The contract writes pooled money as those arcs: every poolable
stream to every pooled programme of another partner, S × P of them a year. ``build``
writes it by default (``form="pot"``) as one pot a year, which is how a pooled fund
works (money in the pot loses its origin)::

    c[s,t] ≥ 0   what poolable stream s puts into year t's pot
    g[p,t] ≥ 0   what pooled programme p takes out of it
    Σ_s c[s,t] − Σ_p g[p,t] = 0                                    (pot balance)

with explicit x[s,p,t] only where the contract needs them: a partner's own programmes,
and every arc of a stream whose ring-fence the scenario keeps (so the ring-fence row is
the contract's, with its shadow price). Each pooled arc's column in the contract's LP is
the sum of a column that depends on its stream alone (stream limit, pool share, the
least-cost objective) and one that depends on its programme alone (spend), so any flow
over the arcs is a flow through the pot and back: the feasible plans, the optimum and
every contract row's meaning are the same, with S + P variables a year instead of S × P.
``form="arcs"`` builds the contract's arcs themselves; the plan rule solves its stage 3
(which partner's money crosses to which) on them. The arcs a plan reports are always in
``Model.flows``: in the pot form the pooled ones are named variables outside the LP, given
values by stage 3.

Every constraint is recorded in ``Model.registry`` with its family, the codes and
year it is about, and the input cells it comes from, so nothing ever has to parse a
constraint name back.

spend[p,t] is a variable of its own (defined by Σ_s x[s,p,t] − spend[p,t] = 0) rather
than the sum written out wherever it appears: a programme can be funded by hundreds of
streams and affect dozens of outcomes, and writing the sum into each effect capacity
would multiply the matrix's non-zeros by the number of outcomes. The feasible plans
and the optimum are the same. The build also records each row's column indices as it
goes, so the HiGHS adapter needs no second pass over PuLP's expressions.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass, field

import pulp

from .families import (
    EFFECT_CAPACITY,
    POOL_MAX,
    POOL_MIN,
    POT,
    PROGRAMME_MAX,
    PROGRAMME_MIN,
    RING_FENCE,
    SPEND,
    STREAM_LIMIT,
    TARGET,
    Family,
)
from .funding import SAVINGS, FundingStream, pool_base, resolve_funding
from .place import Place
from .scenario import Scenario

LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE
FORMS = ("pot", "arcs")  # how pooled money is written: one pot a year, or the contract's arcs


class Arc:
    """A pooled arc x[s,p,t] that the pot form writes through the pot: not a column of its LP,
    named as the arc form names its variable, and valued by the plan rule's stage 3."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"Arc({self.name!r})"


@dataclass
class ConstraintInfo:
    """What one constraint is about, where it came from, and the constraint itself."""

    name: str
    family: Family
    keys: dict[str, str]  # e.g. {"stream": "NCC-CT"} or {"partner": "NCC"}
    year: int  # t = 1..T
    cells: tuple[str, ...]  # input cells it comes from ("Funding!D7")
    sense: str  # "<=" or ">="
    rhs: float
    constraint: pulp.LpConstraint = field(repr=False)

    @property
    def unit(self) -> str:
        """Of the right-hand side: ``families.MONEY`` (workbook unit) or ``OUTCOME_UNITS``."""
        return self.family.unit


@dataclass
class Model:
    place: Place
    scenario: Scenario
    streams: list[FundingStream]
    problem: pulp.LpProblem
    x: dict[tuple[str, str, int], pulp.LpVariable] = field(default_factory=dict)
    y: dict[tuple[str, str, int, int], pulp.LpVariable] = field(default_factory=dict)
    short: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    spend: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    funded_by: dict[tuple[str, int], list[pulp.LpVariable]] = field(default_factory=dict)  # (p,t) -> x
    spent_from: dict[tuple[str, int], list[tuple[str, pulp.LpVariable]]] = field(
        default_factory=dict
    )  # (s,t) -> (p, x)
    out: dict[tuple[str, int], list[tuple[pulp.LpVariable, float]]] = field(default_factory=dict)
    form: str = "arcs"
    pot_in: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # (s,t) -> c[s,t]
    pot_out: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # (p,t) -> g[p,t]
    # Every arc (s,p,t) a plan reports, in the arc form's order, and whether it goes
    # through the pot (then it is not a column of the LP).
    arcs: list[tuple[tuple[str, str, int], bool]] = field(default_factory=list)
    registry: dict[str, ConstraintInfo] = field(default_factory=dict)
    columns: list[pulp.LpVariable] = field(default_factory=list)  # every variable, in creation order
    rows: list[tuple[list[int], list[float]]] = field(default_factory=list)  # per constraint: columns, values
    extra: list[pulp.LpVariable] = field(default_factory=list)  # added after the build (diagnosis slacks)
    _names: set[str] = field(default_factory=set, repr=False)
    _safe: dict[object, str] = field(default_factory=dict, repr=False)

    def variables(self) -> list[pulp.LpVariable]:
        """Every variable, in a fixed order: as built, then any added later."""
        return [*self.columns, *self.extra]

    @property
    def years(self) -> range:
        return range(1, self.place.years + 1)

    @property
    def objective_unit(self) -> str:
        """Outcome value is in £; least cost is in the workbook's unit."""
        return "£" if self.scenario.objective == "outcomes" else self.place.units

    def stream(self, code: str) -> FundingStream:
        return self._streams_by_code[code]

    def spend_terms(self, programme: str, t: int) -> list[tuple[pulp.LpVariable, float]]:
        """spend[p,t] as terms: empty when no stream may fund the programme that year."""
        variable = self.spend.get((programme, t))
        return [] if variable is None else [(variable, 1.0)]

    def spent(self, values, programme: str, t: int) -> float:
        """spend[p,t] from a solution, as the sum of its x and what it takes from the pot
        (so tables add up exactly)."""
        total = sum(values.value(variable) for variable in self.funded_by.get((programme, t), []))
        taken = self.pot_out.get((programme, t))
        return total if taken is None else total + values.value(taken)

    def __post_init__(self):
        self._streams_by_code = {stream.code: stream for stream in self.streams}
        self._flows: dict[tuple[str, str, int], pulp.LpVariable | Arc] | None = None
        self._flows_from: dict[tuple[str, int], list[tuple[str, pulp.LpVariable | Arc]]] = {}

    # -- the arcs a plan reports, in either form -------------------------------------------

    @property
    def flows(self) -> dict[tuple[str, str, int], pulp.LpVariable | Arc]:
        """x[s,p,t] for every arc of the contract, in its order: the LP's own arcs and, in the
        pot form, the pooled arcs (valued only in a plan of the rule). Made on first use, so a
        model that is only solved (a coalition, a sample) never makes them."""
        if self._flows is None:
            if not self.pot_in:  # the arc form, or nothing pooled
                self._flows = self.x
            else:
                labels = self.place.year_labels
                self._flows = {
                    key: Arc(self.unique_name("x", key[0], key[1], labels[key[2] - 1])) if pooled else self.x[key]
                    for key, pooled in self.arcs
                }
            for (stream, programme, t), variable in self._flows.items():
                self._flows_from.setdefault((stream, t), []).append((programme, variable))
        return self._flows

    def flows_from(self, stream: str, t: int) -> list[tuple[str, pulp.LpVariable | Arc]]:
        """(p, x[s,p,t]) for every arc from stream s in year t (see ``flows``)."""
        self.flows  # noqa: B018 (made on first use)
        return self._flows_from.get((stream, t), [])

    def arc_reduced_costs(self, reduced_costs: dict[str, float], programme: str, t: int) -> list[float]:
        """The reduced cost of every arc into programme p in year t. A pooled arc of the pot
        form costs what its two halves do: d(x[s,p,t]) = d(c[s,t]) + d(g[p,t]), since its
        column in the arc form is c's column plus g's (the pot balance's ±1 cancel)."""
        costs = []
        for (stream, target, year), variable in self.flows.items():
            if target != programme or year != t:
                continue
            if isinstance(variable, Arc):
                put, taken = self.pot_in[(stream, t)], self.pot_out[(programme, t)]
                costs.append(reduced_costs.get(put.name, 0.0) + reduced_costs.get(taken.name, 0.0))
            else:
                costs.append(reduced_costs.get(variable.name, 0.0))
        return costs

    def pooling_columns(self) -> list[tuple[pulp.LpVariable, tuple[str, ...]]]:
        """Every column that moves money between partners, with the partners it needs in a
        coalition: an arc across partners (its stream's partner and the programme's lead),
        money into the pot (the stream's partner), money out of it (the programme's lead)."""
        leads = {code: programme.lead for code, programme in self.place.programmes.items()}
        columns = [
            (variable, (self.stream(stream).partner, leads[programme]))
            for (stream, programme, _), variable in self.x.items()
            if self.stream(stream).partner != leads[programme]
        ]
        columns += [(variable, (self.stream(stream).partner,)) for (stream, _), variable in self.pot_in.items()]
        columns += [(variable, (leads[programme],)) for (programme, _), variable in self.pot_out.items()]
        return columns

    # -- naming and registering ------------------------------------------------------

    def unique_name(self, *parts: object) -> str:
        """A predictable, solver-safe, unique name: ``stream_limit__NCC_CT__2012_13``."""
        safe = self._safe
        try:
            base = "__".join([safe[part] for part in parts])
        except KeyError:
            for part in parts:
                if part not in safe:
                    safe[part] = _SAFE.sub("_", str(part))
            base = "__".join([safe[part] for part in parts])
        name, counter = base, 1
        while name in self._names:  # two codes that read alike once made safe
            counter += 1
            name = f"{base}__{counter}"
        self._names.add(name)
        return name

    def variable(self, *name: object, low: float | None = 0.0, up: float | None = None) -> pulp.LpVariable:
        """A new variable, numbered in creation order for the solver's arrays."""
        variable = self.problem.add_variable(self.unique_name(*name), lowBound=low, upBound=up)
        variable.column = len(self.columns)
        self.columns.append(variable)
        return variable

    def add(
        self,
        family: Family,
        keys: dict[str, str],
        t: int,
        terms: list[tuple[pulp.LpVariable, float]],
        sense: int,
        rhs: float,
        cells: tuple[str, ...],
    ) -> ConstraintInfo:
        """Register one constraint of ``family`` (terms must name each variable once)."""
        name = self.unique_name(
            family.name.replace(" ", "_").replace("-", "_"), *keys.values(), self.place.year_labels[t - 1]
        )
        constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs)
        self.problem.addConstraint(constraint)
        self.rows.append(([variable.column for variable, _ in terms], [coefficient for _, coefficient in terms]))
        info = ConstraintInfo(
            name,
            family,
            dict(keys),
            t,
            tuple(c for c in cells if c),
            {LE: "<=", GE: ">="}.get(sense, "="),
            rhs,
            constraint,
        )
        self.registry[name] = info
        return info


_SAFE = re.compile(r"[^A-Za-z0-9_.]")


def build(place: Place, scenario: Scenario, form: str = "pot") -> Model:
    """The contract's LP for this place and scenario: variables, constraints, objective,
    with pooled money through one pot a year (``form="pot"``) or the contract's arcs."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, not {form!r}")
    sense = pulp.LpMaximize if scenario.objective == "outcomes" else pulp.LpMinimize
    model = Model(
        place,
        scenario,
        resolve_funding(place, scenario),
        pulp.LpProblem(_SAFE.sub("_", scenario.name) or "pooling", sense),
        form=form,
    )
    with cyclic_collection_paused():
        add_allocation_variables(model)
        add_effect_variables(model)
        add_spend_definitions(model)
        add_pot_balances(model)
        add_stream_limits(model)
        add_ring_fences(model)
        add_programme_bounds(model)
        add_pool_shares(model)
        add_effect_capacities(model)
        add_targets(model)
        set_objective(model)
    return model


@contextlib.contextmanager
def cyclic_collection_paused():
    """Pause Python's cyclic garbage collector while a model is built.

    A build makes hundreds of thousands of PuLP objects that all stay alive, and each
    allocation burst triggers a full collection that finds nothing to free: at 70,000
    variables about half the build time went to those scans. Reference counting still
    frees everything as usual; the collector resumes (if it was on) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pooling_partners(place: Place, scenario: Scenario) -> set[str]:
    """The partners who pool: none in silo; in pooled, all of them, or the scenario's
    coalition (a coalition of one is that partner in silo)."""
    if scenario.pooling != "pooled":
        return set()
    members = set(place.partners) if scenario.coalition is None else set(scenario.coalition)
    return members if scenario.coalition is None or len(members) > 1 else set()


def allowed(stream: FundingStream, programme, members: set[str]) -> bool:
    """May stream s fund programme p? Silo: i(s) = ℓ(p). Pooled: also Pooled = yes when s is
    poolable (and, for a coalition, when both the stream's partner and the lead are in it)."""
    if stream.partner == programme.lead:
        return True
    return programme.pooled and stream.poolable and stream.partner in members and programme.lead in members


def savings_years(place: Place, partner: str) -> set[int]:
    """Years t in which SAVINGS-<partner> can hold money: some row has t − Lag ≥ 1."""
    return {
        t for saving in place.savings if saving.beneficiary == partner for t in range(saving.lag + 1, place.years + 1)
    }


def through_pot(stream: FundingStream, programme, members: set[str]) -> bool:
    """Does the pot form send x[s,p,t] through the pot? When it is pooled money between two
    partners: s poolable with its ring-fence not kept, p pooled, i(s) ≠ ℓ(p), both pooling."""
    return (
        stream.partner != programme.lead
        and programme.pooled
        and stream.poolable
        and not stream.kept_ring_fenced
        and stream.partner in members
        and programme.lead in members
    )


def add_allocation_variables(model: Model) -> None:
    """x[s,p,t] ≥ 0 for every allowed (stream, programme) and year; in the pot form, for the
    arcs that do not go through the pot, and c[s,t], g[p,t] ≥ 0 for those that do::

        c[s,t] for every s with an arc through the pot in year t
        g[p,t] for every p with an arc through the pot in year t

    A savings stream gets variables only in years some saving can reach (t − Lag ≥ 1);
    in other years its limit would be Σ_p x ≤ 0.
    """
    place = model.place
    labels = place.year_labels
    members = pooling_partners(place, model.scenario)
    pot = model.form == "pot"
    for stream in model.streams:
        years = sorted(savings_years(place, stream.partner)) if stream.kind == SAVINGS else list(model.years)
        for programme in place.programmes.values():
            if not allowed(stream, programme, members):
                continue
            pooled = pot and through_pot(stream, programme, members)
            for t in years:
                key = (stream.code, programme.code, t)
                model.arcs.append((key, pooled))
                if pooled:
                    if (stream.code, t) not in model.pot_in:
                        model.pot_in[(stream.code, t)] = model.variable("pot_in", stream.code, labels[t - 1])
                    if (programme.code, t) not in model.pot_out:
                        model.pot_out[(programme.code, t)] = model.variable("pot_out", programme.code, labels[t - 1])
                    continue
                variable = model.variable("x", stream.code, programme.code, labels[t - 1])
                model.x[key] = variable
                model.funded_by.setdefault((programme.code, t), []).append(variable)
                model.spent_from.setdefault((stream.code, t), []).append((programme.code, variable))


def add_effect_variables(model: Model) -> None:
    """y[p,o,j,t] with 0 ≤ y ≤ w_j (no upper bound on an open last segment), and
    out[o,t] = Σ_p Σ_j ρ_j × y[p,o,j,t] × k / 1,000,000 as an expression."""
    place = model.place
    labels = place.year_labels
    per_unit_spend = place.unit_pounds / 1_000_000.0
    for (programme, outcome), segments in place.effects.items():
        for j, segment in enumerate(segments, start=1):
            for t in model.years:
                variable = model.variable("y", programme, outcome, j, labels[t - 1], up=segment.width)
                model.y[(programme, outcome, j, t)] = variable
                model.out.setdefault((outcome, t), []).append((variable, segment.rate * per_unit_spend))


def add_spend_definitions(model: Model) -> None:
    """spend[p,t], for every programme and year some stream may fund it::

        Σ_s x[s,p,t] − spend[p,t] = 0

    (A definition, not a constraint of the contract: it is never reported as binding.)
    """
    labels = model.place.year_labels
    funded = list(model.funded_by) + [key for key in model.pot_out if key not in model.funded_by]
    for programme, t in funded:
        spend = model.variable("spend", programme, labels[t - 1], low=None)
        model.spend[(programme, t)] = spend
        terms = [(variable, 1.0) for variable in model.funded_by.get((programme, t), [])]
        if (programme, t) in model.pot_out:
            terms.append((model.pot_out[(programme, t)], 1.0))
        terms.append((spend, -1.0))
        model.add(SPEND, {"programme": programme}, t, terms, pulp.LpConstraintEQ, 0.0, ())


def add_pot_balances(model: Model) -> None:
    """Pot balance, the pot form only, for every year t with pooled money::

        Σ_s c[s,t] − Σ_p g[p,t] = 0

    (How the model is written, not a constraint of the contract: never reported.)
    """
    for t in model.years:
        terms = [(variable, 1.0) for (_, year), variable in model.pot_in.items() if year == t]
        terms += [(variable, -1.0) for (_, year), variable in model.pot_out.items() if year == t]
        if terms:
            model.add(POT, {}, t, terms, pulp.LpConstraintEQ, 0.0, ())


def add_stream_limits(model: Model) -> None:
    """Stream limit, for every stream s and year t::

        Σ_p x[s,p,t] (+ c[s,t] in the pot form) ≤ A[s,t]

    For SAVINGS-i the amount is itself a sum of earlier outcomes::

        Σ_p x[s,p,t] − Σ_{rows o→i, t − Lag ≥ 1} (£ per unit × Cashable % / k) × out[o, t − Lag] ≤ 0
    """
    place = model.place
    for stream in model.streams:
        for t in model.years:
            terms = [(variable, 1.0) for _, variable in model.spent_from.get((stream.code, t), [])]
            if (stream.code, t) in model.pot_in:
                terms.append((model.pot_in[(stream.code, t)], 1.0))
            if not terms:
                continue
            if stream.kind == SAVINGS:
                for saving in place.savings:
                    if saving.beneficiary != stream.partner or t - saving.lag < 1:
                        continue
                    per_unit = saving.per_unit * saving.cashable / place.unit_pounds
                    terms = terms + [(v, -per_unit * c) for v, c in model.out.get((saving.outcome, t - saving.lag), [])]
                terms = _merge(terms)  # two savings rows of one outcome name the same y
                rhs = 0.0
            else:
                rhs = stream.amounts[t - 1]
            model.add(STREAM_LIMIT, {"stream": stream.code}, t, terms, LE, rhs, stream.cells)


def add_ring_fences(model: Model) -> None:
    """Ring-fence, for every stream s that the scenario keeps ring-fenced and year t::

        Σ_{p ∉ RF(s)} x[s,p,t] ≤ 0

    A constraint rather than missing variables, so that its shadow price (what lifting
    the ring-fence would be worth) is reported.
    """
    for stream in model.streams:
        if not stream.kept_ring_fenced:
            continue
        fenced = set(stream.ring_fenced_to)
        cell = model.place.streams[stream.code].cells.get("Ring-fenced to", stream.cells[0])
        for t in model.years:
            terms = [
                (variable, 1.0)
                for programme, variable in model.spent_from.get((stream.code, t), [])
                if programme not in fenced
            ]
            if terms:
                model.add(RING_FENCE, {"stream": stream.code}, t, terms, LE, 0.0, (cell,))


def add_programme_bounds(model: Model) -> None:
    """Programme bounds, for every programme p and year t::

    spend[p,t] ≥ Min_p    (when Min_p > 0)
    spend[p,t] ≤ Max_p    (when Max_p is given)
    """
    for programme in model.place.programmes.values():
        for t in model.years:
            terms = model.spend_terms(programme.code, t)
            if programme.min > 0:
                model.add(
                    PROGRAMME_MIN,
                    {"programme": programme.code},
                    t,
                    terms,
                    GE,
                    programme.min,
                    (programme.cells.get("Min"),),
                )
            if programme.max is not None and terms:
                model.add(
                    PROGRAMME_MAX,
                    {"programme": programme.code},
                    t,
                    terms,
                    LE,
                    programme.max,
                    (programme.cells.get("Max"),),
                )


def add_pool_shares(model: Model) -> None:
    """Pool share, ``pooled`` only, for every partner i (of the coalition, if the scenario
        names one) and year t::

            Pool min %_i × B[i,t] ≤ Σ_{s of i, poolable, not SAVINGS} (Σ_{p pooled} x[s,p,t] + c[s,t]) ≤ Pool max %_i × B[i,t]

    (c[s,t], what s puts into the pot, in the pot form only.)
        where B[i,t] = Σ A[s,t] over i's poolable streams other than SAVINGS. The upper
        bound is left out when Pool max % is 100%: the stream limits already imply it.
    """
    place = model.place
    members = pooling_partners(place, model.scenario)
    if not members:
        return
    pooled = {code for code, programme in place.programmes.items() if programme.pooled}
    for partner in place.partners.values():
        if partner.code not in members:
            continue
        own = [s.code for s in model.streams if s.partner == partner.code and s.counts_for_pool_share]
        for t in model.years:
            base = pool_base(model.streams, partner.code, t)
            terms = [
                (variable, 1.0)
                for code in own
                for programme, variable in model.spent_from.get((code, t), [])
                if programme in pooled
            ]
            terms += [(model.pot_in[(code, t)], 1.0) for code in own if (code, t) in model.pot_in]
            if partner.pool_min > 0 and base > 0:
                model.add(
                    POOL_MIN,
                    {"partner": partner.code},
                    t,
                    terms,
                    GE,
                    partner.pool_min * base,
                    (partner.cells.get("Pool min %"),),
                )
            if partner.pool_max < 1 and terms:
                model.add(
                    POOL_MAX,
                    {"partner": partner.code},
                    t,
                    terms,
                    LE,
                    partner.pool_max * base,
                    (partner.cells.get("Pool max %"),),
                )


def add_effect_capacities(model: Model) -> None:
    """Effect capacity, for every programme p, outcome o with effects, and year t::

        Σ_j y[p,o,j,t] ≤ spend[p,t]

    With rates that do not increase, an optimal plan fills the segments in order, so
    out[o,t] is the piecewise-linear, concave effect of the programme's spend.
    """
    place = model.place
    for (programme, outcome), segments in place.effects.items():
        cells = tuple(segment.cell for segment in segments)
        for t in model.years:
            terms = [(model.y[(programme, outcome, j, t)], 1.0) for j in range(1, len(segments) + 1)]
            terms += [(variable, -1.0) for variable, _ in model.spend_terms(programme, t)]
            model.add(EFFECT_CAPACITY, {"programme": programme, "outcome": outcome}, t, terms, LE, 0.0, cells)


def add_targets(model: Model) -> None:
    """Targets, for every outcome o and year t with a target::

    outcomes:    out[o,t] + short[o,t] ≥ Target[o,t],  short ≥ 0
    least-cost:  out[o,t] ≥ Target[o,t]
    """
    place = model.place
    soft = model.scenario.objective == "outcomes"
    for outcome in place.outcomes.values():
        for t in model.years:
            target = outcome.targets[t - 1]
            if target is None:
                continue
            terms = list(model.out.get((outcome.code, t), []))
            if soft:
                short = model.variable("short", outcome.code, place.year_labels[t - 1])
                model.short[(outcome.code, t)] = short
                terms.append((short, 1.0))
            model.add(TARGET, {"outcome": outcome.code}, t, terms, GE, target, (outcome.target_cells[t - 1],))


def set_objective(model: Model) -> None:
    """``outcomes``:   maximise Σ_t d_t Σ_o (Value_o × out[o,t] − Penalty_o × short[o,t]), in £
    ``least-cost``: minimise Σ_t d_t Σ_{s,p} x[s,p,t], in the workbook unit (in the pot form,
    Σ_t d_t (Σ x[s,p,t] + Σ_s c[s,t]): what goes into the pot is what comes out)."""
    place = model.place
    terms: list[tuple[pulp.LpVariable, float]] = []
    if model.scenario.objective == "outcomes":
        for (outcome, t), out_terms in model.out.items():
            weight = place.discount(t) * place.outcomes[outcome].value
            terms += [(variable, weight * coefficient) for variable, coefficient in out_terms]
        for (outcome, t), short in model.short.items():
            terms.append((short, -place.discount(t) * place.outcomes[outcome].penalty))
    else:
        terms = [(variable, place.discount(t)) for (_, _, t), variable in model.x.items()]
        terms += [(variable, place.discount(t)) for (_, t), variable in model.pot_in.items()]
    # Each variable once: a y in one outcome's out[o,t], a short, an x or a c.
    model.problem.setObjective(pulp.LpAffineExpression(terms))


def _merge(terms: list[tuple[pulp.LpVariable, float]]) -> list[tuple[pulp.LpVariable, float]]:
    """Add up the coefficients of a variable that appears more than once."""
    merged: dict[pulp.LpVariable, float] = {}
    for variable, coefficient in terms:
        merged[variable] = merged.get(variable, 0.0) + coefficient
    return list(merged.items())
