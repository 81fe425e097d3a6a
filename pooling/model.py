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

import re
from dataclasses import dataclass, field

import pulp

from .families import (
    EFFECT_CAPACITY,
    POOL_MAX,
    POOL_MIN,
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
        """spend[p,t] from a solution, as the sum of its x (so tables add up exactly)."""
        return sum(values.value(variable) for variable in self.funded_by.get((programme, t), []))

    def __post_init__(self):
        self._streams_by_code = {stream.code: stream for stream in self.streams}

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


def build(place: Place, scenario: Scenario) -> Model:
    """The contract's LP for this place and scenario: variables, constraints, objective."""
    sense = pulp.LpMaximize if scenario.objective == "outcomes" else pulp.LpMinimize
    model = Model(
        place,
        scenario,
        resolve_funding(place, scenario),
        pulp.LpProblem(_SAFE.sub("_", scenario.name) or "pooling", sense),
    )
    add_allocation_variables(model)
    add_effect_variables(model)
    add_spend_definitions(model)
    add_stream_limits(model)
    add_ring_fences(model)
    add_programme_bounds(model)
    add_pool_shares(model)
    add_effect_capacities(model)
    add_targets(model)
    set_objective(model)
    return model


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


def add_allocation_variables(model: Model) -> None:
    """x[s,p,t] ≥ 0 for every allowed (stream, programme) and year.

    A savings stream gets variables only in years some saving can reach (t − Lag ≥ 1);
    in other years its limit would be Σ_p x ≤ 0.
    """
    place = model.place
    labels = place.year_labels
    members = pooling_partners(place, model.scenario)
    for stream in model.streams:
        years = sorted(savings_years(place, stream.partner)) if stream.kind == SAVINGS else list(model.years)
        for programme in place.programmes.values():
            if not allowed(stream, programme, members):
                continue
            for t in years:
                variable = model.variable("x", stream.code, programme.code, labels[t - 1])
                model.x[(stream.code, programme.code, t)] = variable
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
    for (programme, t), funders in model.funded_by.items():
        spend = model.variable("spend", programme, labels[t - 1], low=None)
        model.spend[(programme, t)] = spend
        terms = [(variable, 1.0) for variable in funders] + [(spend, -1.0)]
        model.add(SPEND, {"programme": programme}, t, terms, pulp.LpConstraintEQ, 0.0, ())


def add_stream_limits(model: Model) -> None:
    """Stream limit, for every stream s and year t::

        Σ_p x[s,p,t] ≤ A[s,t]

    For SAVINGS-i the amount is itself a sum of earlier outcomes::

        Σ_p x[s,p,t] − Σ_{rows o→i, t − Lag ≥ 1} (£ per unit × Cashable % / k) × out[o, t − Lag] ≤ 0
    """
    place = model.place
    for stream in model.streams:
        for t in model.years:
            terms = [(variable, 1.0) for _, variable in model.spent_from.get((stream.code, t), [])]
            if not terms:
                continue
            if stream.kind == SAVINGS:
                for saving in place.savings:
                    if saving.beneficiary != stream.partner or t - saving.lag < 1:
                        continue
                    per_unit = saving.per_unit * saving.cashable / place.unit_pounds
                    terms = terms + [(v, -per_unit * c) for v, c in model.out.get((saving.outcome, t - saving.lag), [])]
                rhs = 0.0
            else:
                rhs = stream.amounts[t - 1]
            model.add(STREAM_LIMIT, {"stream": stream.code}, t, _merge(terms), LE, rhs, stream.cells)


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

        Pool min %_i × B[i,t] ≤ Σ_{s of i, poolable, not SAVINGS} Σ_{p pooled} x[s,p,t] ≤ Pool max %_i × B[i,t]

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
    ``least-cost``: minimise Σ_t d_t Σ_{s,p} x[s,p,t], in the workbook unit."""
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
    model.problem.setObjective(pulp.LpAffineExpression(_merge(terms)))


def _merge(terms: list[tuple[pulp.LpVariable, float]]) -> list[tuple[pulp.LpVariable, float]]:
    """Add up the coefficients of a variable that appears more than once."""
    merged: dict[pulp.LpVariable, float] = {}
    for variable, coefficient in terms:
        merged[variable] = merged.get(variable, 0.0) + coefficient
    return list(merged.items())
