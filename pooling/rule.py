"""Which plan is reported: the rule of contract v1.1, stages 2 and 3 after the value LP.

The optimum is rarely unique: money that buys nothing more can sit in many places, and
two solvers (or two versions of one) return different optimal vertices. The reported
plan is fixed by a rule instead, so that every figure a board quotes is the same
whichever solver ran::

    stage 1  the value LP (``solve.solve``): z*, shadow prices and reduced costs
    stage 2  minimise  Σ_t Σ_p (spend[p,t] − Baseline_p)² / max(Baseline_p, 1)
             subject to every constraint of the model and
                 objective ≥ z* − ε   (maximising outcome value)
                 objective ≤ z* + ε   (minimising cost),     ε = 1e-7 × max(|z*|, 1)
    stage 3  minimise  Σ x[s,p,t] over i(s) ≠ ℓ(p)   (money crossing partners)
             subject to every constraint, spend[p,t] held at stage 2's value to 1e-7 of
             its size, the outcomes at what that spend buys; a vertex; then, with that
             held too, a fixed preference between the arcs, so the Flows are one plan

Stages 1 and 2 are solved on the model as built (the pot form: ``model.py``); stage 3
asks which partner's money crosses to which, which money in the pot no longer knows, so it
is solved on the contract's arc form, built for it, and its plan is carried back.

Stage 2 is strictly convex in spend, so spend is unique: changes from the base year fall
in proportion to each programme's baseline, as far as the optimum allows. It is a convex
QP, solved by an interior-point method (Clarabel), which is quick on these degenerate
models where an active-set QP can stall at the same objective for minutes; the columns
are scaled to the size of their values and the objective row by |z*| first, because an
interior-point method reads badly scaled rows as infeasibility. Should Clarabel fail
short of its time limit, HiGHS's QP solver tries. Stage 3 is an LP solved by HiGHS, from a cold start
(so the same LP gives the same vertex whichever solver found z*), by the simplex method
(interior point with crossover for large models): a vertex, so the flows hold no dust.
With spend held, the outcomes are what that spend buys; if it cannot hold spend to 1e-7
(an interior-point answer may lie a hair outside the feasible set), it holds it to 1e-6
and then 1e-5, as long as the plan's value stays within ε, and the Audit says so.

The reported :class:`~pooling.solve.Solution` has stage 3's values with stage 1's
objective (z*), shadow prices and reduced costs, and the stages with their solvers and
times. Coalition values, lever prices and sweep objectives are stage-1 optima and never
come here.
"""

from __future__ import annotations

import dataclasses
import time

import clarabel
import highspy
import numpy as np
import pulp
import scipy.sparse as sparse

from .errors import SolverError
from .model import Model, build
from .solve import TIME_LIMIT, Solution, Stage, configured_highs, highs_lp, model_arrays, new_highs, solve

EPSILON = 1e-7  # the contract's ε, as a share of max(|z*|, 1)
HOLD = 1e-7  # spend held in stage 3 to this share of its size (the same relative precision)
# Stage 3 holds spend to these shares of its size, tried in turn: an interior-point answer
# may lie a hair outside the feasible set.
HOLDS = (HOLD, 1e-6, 1e-5)
# Under least cost, stage 3's second solve buys the most outcomes after the least crossing
# money, weighted well below it (outcome value scaled to 1, times this).
OUTCOME_WEIGHT = 1e-6
# How far (a share of ε) the second solve may let the objective slip, and the plan's value
# stray beyond ε: the solvers' precision.
BAND_PRECISION = 0.01
# An "optimal" plan breaking a row by more than this (relative to the row's size) is
# refused: the solvers' feasibility tolerance is 1e-7, but on scaled rows, so a badly
# scaled row of a valid place can end 1e-6 out; an answer that is wrong is far beyond.
RESIDUAL_TOLERANCE = 1e-5
# Passes of typical_sizes along the rows: more than the longest chain of the model.
PROPAGATION_PASSES = 8
# Clarabel's gap and feasibility tolerances, tighter than its 1e-8: spend is only as exact
# as about the square root of the gap on this flat objective.
CLARABEL_TOLERANCE = 1e-11
CLARABEL_ITERATIONS = 500
CLARABEL_VERSION = f"Clarabel {clarabel.__version__}"


def epsilon(z: float) -> float:
    """ε = 1e-7 × max(|z*|, 1): how far below (or above, for least cost) z* a plan may be."""
    return EPSILON * max(abs(z), 1.0)


def reported_plan(model: Model, value: Solution, time_limit: float = TIME_LIMIT) -> Solution:
    """The plan the contract's rule picks, for a model whose value LP ``value`` is optimal."""
    if not value.optimal or not model.spend:
        return value
    exported = model_arrays(model)
    variables, _, cost, col_lower, col_upper, row_lower, row_upper, starts, indices, values = exported
    matrix = sparse.csr_matrix((values, indices, starts), shape=(len(row_lower), len(variables)))
    first = np.array([value.values.get(variable.name, 0.0) for variable in variables])
    column = {id(variable): index for index, variable in enumerate(variables)}
    spend = np.array([column[id(variable)] for variable in model.spend.values()], dtype=np.int64)
    baselines = np.array([model.place.programmes[p].baseline for p, _ in model.spend])
    maximise = model.problem.sense == pulp.LpMaximize
    arrays = (matrix, cost, col_lower, col_upper, row_lower, row_upper)

    check_residuals(matrix, first, col_lower, col_upper, row_lower, row_upper, variables, value.solver_version)
    stages = [Stage("1 value", value.solver_version, value.seconds, value.message)]
    z = value.objective
    if not value.solver_version.startswith("HiGHS"):
        # The plan moves with the edge of the band, about £4k per £1 on large places, and
        # CBC's z* differs from HiGHS's by its tolerances: the band is placed by HiGHS, so
        # the plan is the same whichever solver found z* (which stays the one reported).
        again = solve(model, solver="highs", time_limit=time_limit)
        if not again.optimal:
            raise SolverError(f"HiGHS could not confirm {value.solver_version}'s optimum ({again.message})")
        z = again.objective
        # Ranges come from HiGHS's basis; they belong to CBC's prices only where the two agree.
        value.rhs_ranges = {
            name: span
            for name, span in again.rhs_ranges.items()
            if abs(again.shadow_prices.get(name, 0.0) - value.shadow_prices.get(name, 0.0))
            <= 1e-6 * max(1.0, abs(value.shadow_prices.get(name, 0.0)))
        }
        stages.append(Stage("1b the value again, to place the band", again.solver_version, again.seconds,
                            f"z* = {z!r}, {value.solver_version} {value.objective!r}",
                            again.timings.get("run")))  # fmt: skip
    clock = time.perf_counter()
    closest, solver, status, inside = closest_to_budget(arrays, first, spend, baselines, z, maximise, time_limit)
    stages.append(Stage("2 closest to the base-year budget", solver, time.perf_counter() - clock, status, inside))

    # Stage 3 asks which partner's money crosses to which, which money in the pot no longer
    # knows: it is solved on the contract's arcs, with spend held at stage 2's values.
    arcs = build(model.place, model.scenario, form="arcs") if model.pot_in else model
    arc_exported = model_arrays(arcs) if arcs is not model else exported
    arc_column = {id(variable): index for index, variable in enumerate(arc_exported[0])}
    held_columns = np.array([arc_column[id(arcs.spend[key])] for key in model.spend], dtype=np.int64)
    crossing = np.zeros(len(arc_exported[0]))
    for (stream, programme, _), variable in arcs.x.items():
        if arcs.stream(stream).partner != arcs.place.programmes[programme].lead:
            crossing[arc_column[id(variable)]] = 1.0
    clock = time.perf_counter()
    on_arcs, solver, note, inside = least_crossing(arcs, arc_exported, z, closest[spend], held_columns, crossing,
                                                   maximise, time_limit)  # fmt: skip
    stages.append(Stage("3 each partner funds its own first", solver, time.perf_counter() - clock, note, inside))
    flows, plan = from_arcs(model, arcs, arc_exported[0], on_arcs, column, len(variables))

    check_residuals(matrix, plan, col_lower, col_upper, row_lower, row_upper, variables, "the plan rule")
    names = [variable.name for variable in variables]
    others = bool(np.any(np.abs(first[spend] - plan[spend]) > 1e-6 * np.maximum(1.0, np.abs(plan[spend]))))
    return dataclasses.replace(
        value,
        values={**dict(zip(names, plan.tolist())), **flows},
        stages=stages,
        plan_value=float(cost @ plan),
        other_optima=others,
        seconds=value.seconds + sum(stage.seconds for stage in stages[1:]),
    )


def from_arcs(model: Model, arcs: Model, arc_variables, on_arcs: np.ndarray, column: dict[int, int], n: int):
    """Stage 3's plan, solved on the arc form, as values of ``model``: every arc a plan
    reports (by name), and the vector of ``model``'s columns, where what a stream puts into
    the pot, c[s,t], and what a programme takes out, g[p,t], are the sums of its pooled arcs."""
    value = dict(zip((id(variable) for variable in arc_variables), on_arcs.tolist()))
    plan = np.zeros(n)
    for own, theirs in ((model.y, arcs.y), (model.spend, arcs.spend), (model.short, arcs.short), (model.x, arcs.x)):
        for key, variable in own.items():
            plan[column[id(variable)]] = value[id(theirs[key])]
    flows = {}
    for key, variable in model.flows.items():
        amount = value[id(arcs.x[key])]
        flows[variable.name] = amount
        if key not in model.x:  # through the pot
            stream, programme, t = key
            plan[column[id(model.pot_in[(stream, t)])]] += amount
            plan[column[id(model.pot_out[(programme, t)])]] += amount
    return flows, plan


def check_residuals(matrix, x, col_lower, col_upper, row_lower, row_upper, variables, solver: str) -> None:
    """An "optimal" answer that breaks a constraint by more than the tolerance
    (``RESIDUAL_TOLERANCE`` relative to the row's size) is a failure, never a result:
    raise :class:`SolverError` naming the worst row."""
    activity = matrix @ x
    # A row's size: its right-hand side or its terms, whichever is larger (an equality
    # with right-hand side 0 between large terms is as exact as those terms).
    terms = abs(matrix) @ np.abs(x)
    bounds = np.maximum(np.abs(np.nan_to_num(row_lower, posinf=0.0, neginf=0.0)),
                        np.abs(np.nan_to_num(row_upper, posinf=0.0, neginf=0.0)))  # fmt: skip
    size = np.maximum(1.0, np.maximum(bounds, terms))
    excess = np.maximum(row_lower - activity, activity - row_upper) / size
    column_size = np.maximum(1.0, np.abs(x))
    column_excess = np.maximum(col_lower - x, x - col_upper) / column_size
    worst_row = int(np.argmax(excess)) if len(excess) else -1
    worst_column = int(np.argmax(column_excess)) if len(column_excess) else -1
    if worst_row >= 0 and excess[worst_row] > RESIDUAL_TOLERANCE:
        raise SolverError(
            f"{solver} reported an optimum that breaks a constraint (row {worst_row + 1} by "
            f"{excess[worst_row]:.1e} of its size); the figures are too far apart for the solver to resolve"
        )
    if worst_column >= 0 and column_excess[worst_column] > RESIDUAL_TOLERANCE:
        raise SolverError(
            f"{solver} reported an optimum outside the bounds of {variables[worst_column].name} (by "
            f"{column_excess[worst_column]:.1e}); the figures are too far apart for the solver to resolve"
        )


def closest_to_budget(arrays, first, spend, baselines, z, maximise, time_limit) -> tuple[np.ndarray, str, str, float]:
    """Stage 2: the plan within ε of z* closest to the base-year budget (values, solver, status,
    seconds inside the solver)."""
    matrix, cost, col_lower, col_upper, row_lower, row_upper = arrays
    n = len(cost)
    weights = 1.0 / np.maximum(baselines, 1.0)
    hessian = np.zeros(n)
    linear = np.zeros(n)
    hessian[spend] = 2.0 * weights  # ½ xᵀPx + qᵀx = Σ w (x − B)² less a constant
    linear[spend] = -2.0 * weights * baselines
    band = epsilon(z)
    try:
        plan, inside = _clarabel(matrix, cost, col_lower, col_upper, row_lower, row_upper, hessian, linear, first, z,
                                 band, maximise, time_limit)  # fmt: skip
        return plan, CLARABEL_VERSION, "solved", inside
    except _Failed as failure:
        if failure.timed_out:
            raise SolverError(
                f"stage 2 of the plan rule (the plan closest to the base-year budget) did not finish in "
                f"{time_limit:.0f} s ({CLARABEL_VERSION}: {failure})"
            ) from None
        reason = str(failure)
    plan, inside = _highs_qp(matrix, cost, col_lower, col_upper, row_lower, row_upper, hessian, linear, z, band,
                             maximise, time_limit)  # fmt: skip
    return plan, "HiGHS QP", f"solved (Clarabel: {reason})", inside


class _Failed(Exception):
    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def _clarabel(matrix, cost, col_lower, col_upper, row_lower, row_upper, hessian, linear, first, z, band, maximise,
              time_limit) -> tuple[np.ndarray, float]:  # fmt: skip
    """Stage 2 by Clarabel: Ax + s = b, s in the zero cone (equalities) or the nonnegative cone."""
    n = len(cost)
    # Columns scaled to the size their values can take (x = D u): money in £000 and outcome
    # units side by side otherwise spread the problem over many orders of magnitude.
    typical = typical_sizes(matrix, first, col_lower, col_upper, row_lower, row_upper)
    scale = np.maximum(typical, max(typical.max(), 1.0) * 1e-6)
    scaled = matrix @ sparse.diags(scale)
    objective_row = cost * scale / max(abs(z), 1.0)
    equal = np.isfinite(row_lower) & np.isfinite(row_upper) & (row_lower == row_upper)
    upper = np.isfinite(row_upper) & ~equal
    lower = np.isfinite(row_lower) & ~equal
    bounded_above, bounded_below = np.isfinite(col_upper), np.isfinite(col_lower)
    identity = sparse.identity(n, format="csr")
    band_row = -objective_row if maximise else objective_row
    band_rhs = (-(z - band) if maximise else z + band) / max(abs(z), 1.0)
    a = sparse.vstack(
        [
            scaled[equal],
            scaled[upper],
            -scaled[lower],
            sparse.csr_matrix(band_row.reshape(1, -1)),
            identity[bounded_above],
            -identity[bounded_below],
        ]
    ).tocsc()
    b = np.concatenate(
        [
            row_upper[equal],
            row_upper[upper],
            -row_lower[lower],
            [band_rhs],
            col_upper[bounded_above] / scale[bounded_above],
            -col_lower[bounded_below] / scale[bounded_below],
        ]
    )
    p = hessian * scale * scale
    q = linear * scale
    size = max(float(np.abs(q).max()), float(p.max()), 1e-300)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.time_limit = float(time_limit)
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = CLARABEL_TOLERANCE
    settings.max_iter = CLARABEL_ITERATIONS
    cones = [clarabel.ZeroConeT(int(equal.sum())), clarabel.NonnegativeConeT(int(a.shape[0] - equal.sum()))]
    solver = clarabel.DefaultSolver(sparse.diags(p / size).tocsc(), q / size, a, b, cones, settings)
    clock = time.perf_counter()
    solution = solver.solve()
    inside = time.perf_counter() - clock
    status = str(solution.status)
    if "MaxTime" in status:
        raise _Failed(status, timed_out=True)
    if status not in ("Solved", "AlmostSolved"):
        raise _Failed(status)
    return np.asarray(solution.x) * scale, inside


def typical_sizes(matrix, first, col_lower, col_upper, row_lower, row_upper) -> np.ndarray:
    """How large each column can be: the largest of its stage-1 value and its finite
    bounds; for a column with none of these (0 at stage 1's vertex, unbounded), what a row
    it shares with sized columns implies: |a_ij| x_j ~ max(|b_i|, max_k |a_ik| size_k).

    Stage 1's value alone is no guide: a vertex leaves at 0 columns that the plan closest
    to the budget fills, and a column scaled by 0 would make its scaled value enormous.
    Sizes are filled once, never grown, so a cycle of rows cannot inflate them."""
    finite = lambda bound: np.where(np.isfinite(bound), np.abs(bound), 0.0)  # noqa: E731
    typical = np.maximum.reduce([np.abs(first), finite(col_lower), finite(col_upper)])
    rhs = np.maximum(finite(row_lower), finite(row_upper))
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    coefficient = np.abs(matrix.data)
    useful = coefficient > 0.0
    rows, columns, coefficient = rows[useful], matrix.indices[useful], coefficient[useful]
    for _ in range(PROPAGATION_PASSES):
        unknown = typical[columns] == 0.0
        if not unknown.any():
            break
        row_size = rhs.copy()
        np.maximum.at(row_size, rows, coefficient * typical[columns])
        implied = np.zeros_like(typical)
        np.maximum.at(implied, columns[unknown], row_size[rows[unknown]] / coefficient[unknown])
        if not implied.any():
            break
        typical = np.where(typical == 0.0, implied, typical)
    return typical


def _highs_qp(matrix, cost, col_lower, col_upper, row_lower, row_upper, hessian, linear, z, band, maximise,
              time_limit) -> tuple[np.ndarray, float]:  # fmt: skip
    """Stage 2 by HiGHS's QP solver (active set), when Clarabel could not solve it."""
    n = len(cost)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, matrix.shape[0] + 1
    lp.col_cost_ = linear
    lp.col_lower_ = np.where(np.isfinite(col_lower), col_lower, -highspy.kHighsInf)
    lp.col_upper_ = np.where(np.isfinite(col_upper), col_upper, highspy.kHighsInf)
    with_band = sparse.vstack([matrix, sparse.csr_matrix(cost.reshape(1, -1))]).tocsr()
    low, high = (z - band, highspy.kHighsInf) if maximise else (-highspy.kHighsInf, z + band)
    lp.row_lower_ = np.append(np.where(np.isfinite(row_lower), row_lower, -highspy.kHighsInf), low)
    lp.row_upper_ = np.append(np.where(np.isfinite(row_upper), row_upper, highspy.kHighsInf), high)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = with_band.indptr.astype(np.int32)
    lp.a_matrix_.index_ = with_band.indices.astype(np.int32)
    lp.a_matrix_.value_ = with_band.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, matrix.shape[0] + 1
    lp.sense_ = highspy.ObjSense.kMinimize
    model = highspy.HighsModel()
    model.lp_ = lp
    diagonal = np.nonzero(hessian)[0]
    model.hessian_.dim_ = n
    model.hessian_.format_ = highspy.HessianFormat.kTriangular
    starts = np.zeros(n + 1, dtype=np.int32)
    np.add.at(starts, diagonal + 1, 1)
    model.hessian_.start_ = np.cumsum(starts).astype(np.int32)
    model.hessian_.index_ = diagonal.astype(np.int32)
    model.hessian_.value_ = hessian[diagonal]
    highs = new_highs()
    highs.setOptionValue("time_limit", float(time_limit))
    highs.passModel(model)
    clock = time.perf_counter()
    highs.run()
    inside = time.perf_counter() - clock
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        raise SolverError(f"stage 2 of the plan rule did not finish in {time_limit:.0f} s (HiGHS QP)")
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(
            f"stage 2 of the plan rule could not be solved (HiGHS QP: {highs.modelStatusToString(status)})"
        )
    return np.asarray(highs.getSolution().col_value), inside


def outcome_value(model: Model, column: dict[int, int], n: int) -> np.ndarray:
    """The outcomes objective as a vector: Σ_t d_t Σ_o (Value_o × out[o,t] − Penalty_o × short[o,t])."""
    place = model.place
    vector = np.zeros(n)
    for (outcome, t), terms in model.out.items():
        weight = place.discount(t) * place.outcomes[outcome].value
        for variable, coefficient in terms:
            vector[column[id(variable)]] += weight * coefficient
    for (outcome, t), short in model.short.items():
        vector[column[id(short)]] -= place.discount(t) * place.outcomes[outcome].penalty
    return vector


def least_crossing(
    model, exported, z, held, spend, crossing, maximise, time_limit
) -> tuple[np.ndarray, str, str, float]:
    """Stage 3: with spend held at stage 2's values, the least money crossing partners, as a
    vertex (HiGHS), in two solves of one LP.

    Spend is held to a hair (1e-7 of its size), not exactly, because an interior-point
    answer lies a hair from the feasible set. First the scenario's objective is made as
    good as the held spend allows (so the hair is never spent on moving money less, and
    the outcomes, shortfalls and cashable savings are what the spend buys); then, with
    the objective kept there, the money crossing partners is made least, and under least
    cost the outcomes bought as large as that allows.
    """
    # Cold, not warm from stage 1's basis: from the same start the same LP gives the same
    # vertex, whichever solver found z*, so the flows do not depend on the solver either.
    lp, variables, _ = highs_lp(model, exported)
    n = len(variables)
    cost = np.asarray(lp.col_cost_)
    second = crossing.copy()
    if not maximise:
        column = {id(variable): index for index, variable in enumerate(variables)}
        outcomes = outcome_value(model, column, n)
        second -= OUTCOME_WEIGHT * outcomes / max(float(np.abs(outcomes).max()), 1e-300)
    preference = arc_preference(model, variables)
    band = epsilon(z)
    nonzero = np.nonzero(cost)[0].astype(np.int32)
    everything = np.arange(n, dtype=np.int32)
    inside = 0.0  # seconds in HiGHS's own runs
    for hold in HOLDS:
        highs = configured_highs(n)
        # Simplex whatever the size: with spend held the first solve is easy (3 s at 270,000
        # columns against 32 s by interior point), and the second starts from its basis
        # (10-24 s against 74 s cold by interior point).
        highs.setOptionValue("solver", "simplex")
        highs.passModel(lp)
        highs.setOptionValue("time_limit", float(time_limit))
        room = hold * np.maximum(np.abs(held), 1.0)
        highs.changeColsBounds(len(spend), spend.astype(np.int32), held - room, held + room)
        found, seconds = _run(highs, time_limit)
        inside += seconds
        if not found:
            continue
        best = highs.getInfo().objective_function_value
        if (z - best if maximise else best - z) > band * (1 + BAND_PRECISION):
            continue  # held too loosely for the value to stay within ε
        keep = BAND_PRECISION * band
        low, high = (best - keep, highspy.kHighsInf) if maximise else (-highspy.kHighsInf, best + keep)
        highs.addRow(low, high, len(nonzero), nonzero, cost[nonzero])
        highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        highs.changeColsCost(n, everything, second)
        found, seconds = _run(highs, time_limit)
        inside += seconds
        if not found:
            continue
        # Money crossing partners can often be moved between two streams of one partner at
        # no cost, and a vertex would then pick one by the path the simplex took (which a
        # hair of difference in the held spend can change). A fixed preference between the
        # arcs, with the crossing money kept where it is, makes the Flows one plan.
        # Each kept on its own row, scaled to its largest coefficient: the outcome term's
        # coefficients are too small for a row of their own size (HiGHS drops them).
        reached = np.asarray(highs.getSolution().col_value)
        for kept in (crossing, second - crossing):
            largest = float(np.abs(kept).max()) if len(kept) else 0.0
            if largest == 0.0:
                continue
            row = kept / largest
            terms = np.nonzero(row)[0].astype(np.int32)
            # At what the last solve reached, no slip: the tie-break may not move money
            # across partners, not even a hair (a hair would be dust in the Flows).
            highs.addRow(-highspy.kHighsInf, float(row @ reached), len(terms), terms, row[terms])
        highs.changeColsCost(n, everything, preference)
        found, seconds = _run(highs, time_limit)
        inside += seconds
        if not found:
            continue
        note = "optimal" if hold == HOLD else f"optimal, with spend held to {hold:g} of its size"
        return np.asarray(highs.getSolution().col_value), f"HiGHS {highs.version()} (simplex)", note, inside
    raise SolverError("stage 3 of the plan rule found no plan holding stage 2's spend; the model is badly scaled")


def arc_preference(model: Model, variables) -> np.ndarray:
    """Stage 3's tie-break: a cost on every arc, 1 + the fractional part of k × φ for the
    k-th arc (golden-ratio steps, so that two different plans almost never cost the same),
    0 on every other column. Which of two equal plans is reported is arbitrary;
    that it is always the same one, whatever the form of the model or the solver, is not."""
    column = {id(variable): index for index, variable in enumerate(variables)}
    preference = np.zeros(len(variables))
    golden = (5**0.5 - 1) / 2
    for k, variable in enumerate(model.x.values(), start=1):
        preference[column[id(variable)]] = 1.0 + (k * golden) % 1.0
    return preference


def _run(highs, time_limit: float) -> tuple[bool, float]:
    """Run HiGHS: whether it found the optimum (a time limit is an error, not a retry), and
    the seconds it took."""
    clock = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - clock
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        raise SolverError(f"stage 3 of the plan rule did not finish in {time_limit:.0f} s (HiGHS)")
    return status == highspy.HighsModelStatus.kOptimal, seconds
