"""An independent floor for the benchmark: the contract's LP in the one-pot formulation,
built with plain Python and numpy from the validated place (and the scenario's resolved
funding), solved by ``highspy`` directly. No PuLP, nothing of ``pooling.model``.

Pooled money goes through one pot a year instead of an arc from every poolable stream to
every pooled programme::

    c[s,t] ≥ 0   what poolable stream s puts into the pot in year t
    g[p,t] ≥ 0   what pooled programme p takes out of it
    Σ_s c[s,t] = Σ_p g[p,t]

with explicit arcs x[s,p,t] only where the contract needs them: a partner's own programmes,
and a ring-fenced stream (kept by the scenario) to the programmes it is fenced to. spend[p,t]
= Σ_s x[s,p,t] + g[p,t] is an expression, not a variable. Every other family is the
contract's: stream limits (savings streams fed by earlier outcomes), programme bounds, pool
shares (own pooled arcs and pot contributions of the partner's poolable streams), effect
capacities, targets and the objective. Same optimum as the arc form (money in the pot loses
its origin, which no constraint of a full partnership looks at; coalitions are not built here).

    python benchmarks/floor.py SCENARIO.toml     # its objective, and pooling's, side by side
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import highspy
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pooling.funding import SAVINGS, resolve_funding  # noqa: E402
from pooling.precision import DUAL_TOLERANCE, PRIMAL_TOLERANCE  # noqa: E402


class _LP:
    """Columns and rows as Python lists, handed to HiGHS as arrays."""

    def __init__(self):
        self.cost, self.lower, self.upper = [], [], []
        self.rows: list[tuple[list[int], list[float], float, float]] = []

    def column(self, cost: float = 0.0, lower: float = 0.0, upper: float = np.inf) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.cost) - 1

    def row(self, terms: dict[int, float], lower: float, upper: float) -> None:
        if terms:
            self.rows.append((list(terms), list(terms.values()), lower, upper))

    def highs_lp(self, maximise: bool) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        inf = highspy.kHighsInf
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.rows)
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.lower, dtype=float)
        lp.col_upper_ = np.where(np.isinf(self.upper), inf, self.upper)
        lp.row_lower_ = np.array([max(r[2], -inf) for r in self.rows], dtype=float)
        lp.row_upper_ = np.array([min(r[3], inf) for r in self.rows], dtype=float)
        starts = np.cumsum([0] + [len(r[0]) for r in self.rows])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = np.fromiter((i for r in self.rows for i in r[0]), dtype=np.int32)
        lp.a_matrix_.value_ = np.fromiter((v for r in self.rows for v in r[1]), dtype=float)
        lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        return lp


def one_pot_lp(place, scenario) -> tuple[highspy.HighsLp, int]:
    """The one-pot LP of a full partnership (or silo) and its number of arcs x."""
    streams = resolve_funding(place, scenario)
    years = range(1, place.years + 1)
    pooled_mode = scenario.pooling == "pooled"
    outcomes_objective = scenario.objective == "outcomes"
    k = place.unit_pounds / 1_000_000.0
    lp = _LP()
    programmes = place.programmes
    pooled = [code for code, p in programmes.items() if p.pooled]
    savings_years = {
        partner: {t for s in place.savings if s.beneficiary == partner for t in range(s.lag + 1, place.years + 1)}
        for partner in place.partners
    }
    # Arcs, pot contributions and takings.
    into: dict[tuple[str, int], dict[int, float]] = {}  # (programme, t) -> spend terms
    out_of: dict[tuple[str, int], dict[int, float]] = {}  # (stream, t) -> columns it funds
    shares: dict[tuple[str, int], dict[int, float]] = {}  # (partner, t) -> pool-share terms
    arcs = 0
    for stream in streams:
        active = sorted(savings_years[stream.partner]) if stream.kind == SAVINGS else list(years)
        fenced = set(stream.ring_fenced_to) if stream.kept_ring_fenced else None
        counts = stream.poolable and stream.kind != SAVINGS
        for t in active:
            for code, programme in programmes.items():
                own = programme.lead == stream.partner
                if fenced is not None and code not in fenced:
                    continue  # a kept ring-fence: no money elsewhere
                if not own and not (fenced is not None and pooled_mode and programme.pooled and stream.poolable):
                    continue  # others' pooled programmes are reached through the pot
                column = lp.column(0.0 if outcomes_objective else place.discount(t))
                arcs += 1
                into.setdefault((code, t), {})[column] = 1.0
                out_of.setdefault((stream.code, t), {})[column] = 1.0
                if counts and programme.pooled and pooled_mode:
                    shares.setdefault((stream.partner, t), {})[column] = 1.0
            if pooled_mode and stream.poolable and fenced is None:
                column = lp.column(0.0 if outcomes_objective else place.discount(t))
                out_of.setdefault((stream.code, t), {})[column] = 1.0
                pot = into.setdefault(("__pot__", t), {})
                pot[column] = 1.0
                if counts:
                    shares.setdefault((stream.partner, t), {})[column] = 1.0
    if pooled_mode:
        for t in years:
            pot = dict(into.pop(("__pot__", t), {}))
            for code in pooled:
                column = lp.column()
                into.setdefault((code, t), {})[column] = 1.0
                pot[column] = -1.0
            lp.row(pot, 0.0, 0.0)
    # Effects.
    out: dict[tuple[str, int], dict[int, float]] = {}
    capacity: dict[tuple[str, str, int], dict[int, float]] = {}
    for (code, outcome), segments in place.effects.items():
        for segment in segments:
            for t in years:
                width = segment.end - segment.start if segment.end is not None else np.inf
                weight = place.discount(t) * place.outcomes[outcome].value if outcomes_objective else 0.0
                column = lp.column(weight * segment.rate * k, 0.0, width)
                out.setdefault((outcome, t), {})[column] = segment.rate * k
                capacity.setdefault((code, outcome, t), {})[column] = 1.0
    # Stream limits.
    for stream in streams:
        for t in years:
            terms = dict(out_of.get((stream.code, t), {}))
            if not terms:
                continue
            if stream.kind == SAVINGS:
                for saving in place.savings:
                    if saving.beneficiary != stream.partner or t - saving.lag < 1:
                        continue
                    per_unit = saving.per_unit * saving.cashable / place.unit_pounds
                    for column, coefficient in out.get((saving.outcome, t - saving.lag), {}).items():
                        terms[column] = terms.get(column, 0.0) - per_unit * coefficient
                lp.row(terms, -np.inf, 0.0)
            else:
                lp.row(terms, -np.inf, stream.amounts[t - 1])
    # Programme bounds and effect capacities.
    for code, programme in programmes.items():
        for t in years:
            spend = into.get((code, t), {})
            if programme.min > 0 or programme.max is not None:
                if spend or programme.min > 0:
                    lp.row(
                        spend,
                        programme.min if programme.min > 0 else -np.inf,
                        programme.max if programme.max is not None else np.inf,
                    )
    for (code, _, t), terms in capacity.items():
        row = dict(terms)
        for column, coefficient in into.get((code, t), {}).items():
            row[column] = row.get(column, 0.0) - coefficient
        lp.row(row, -np.inf, 0.0)
    # Pool shares.
    if pooled_mode:
        for partner in place.partners.values():
            for t in years:
                base = sum(
                    s.amounts[t - 1] for s in streams if s.partner == partner.code and s.poolable and s.kind != SAVINGS
                )
                terms = shares.get((partner.code, t), {})
                low = partner.pool_min * base if partner.pool_min > 0 and base > 0 else -np.inf
                high = partner.pool_max * base if partner.pool_max < 1 and terms else np.inf
                if np.isfinite(low) or np.isfinite(high):
                    lp.row(terms, low, high)
    # Targets.
    for outcome in place.outcomes.values():
        for t in years:
            target = outcome.targets[t - 1]
            if target is None:
                continue
            terms = dict(out.get((outcome.code, t), {}))
            if outcomes_objective:
                terms[lp.column(-place.discount(t) * outcome.penalty)] = 1.0
            lp.row(terms, target, np.inf)
    return lp.highs_lp(outcomes_objective), arcs


def solve_floor(place, scenario) -> tuple[str, float | None, dict[str, float]]:
    """(status, objective, seconds of build and solve) of the one-pot floor."""
    clock = time.perf_counter()
    lp, _ = one_pot_lp(place, scenario)
    built = time.perf_counter()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # pooling's own options (pooling.solve.configured_highs), so the floor differs from it
    # only in how the model is made: the same tolerances, interior point above 100,000 columns.
    highs.setOptionValue("primal_feasibility_tolerance", PRIMAL_TOLERANCE)
    highs.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    if lp.num_col_ > 100_000:
        highs.setOptionValue("solver", "ipm")
    highs.passModel(lp)
    highs.run()
    solved = time.perf_counter()
    status = highs.modelStatusToString(highs.getModelStatus()).lower()
    objective = highs.getInfo().objective_function_value if status == "optimal" else None
    return status, objective, {"build": built - clock, "solve": solved - built, "columns": lp.num_col_}


if __name__ == "__main__":
    import pooling

    for path in sys.argv[1:]:
        scenario = pooling.read_scenario(path)
        place, _ = pooling.load(scenario.workbook)
        status, objective, times = solve_floor(place, scenario)
        result = pooling.run(path, counterpart=False, switching=False)
        print(f"{path}: one-pot floor {status} {objective!r}; pooling {result.status} {result.objective!r}; {times}")
