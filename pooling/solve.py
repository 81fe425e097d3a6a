"""Solve: run CBC or HiGHS on the model and read back a solver-independent solution.

Two adapters, one result:

* **CBC**, bundled with PuLP 3.x, through PuLP's command-line interface (the model
  goes to the solver as an MPS file). Solved as an LP (``-initialSolve``) so duals are
  the LP's.
* **HiGHS** through ``highspy``: the PuLP model is handed over as sparse row-wise
  arrays in one call, which is much faster than PuLP's own HiGHS interface adding
  one column and one row at a time.

Solvers disagree on signs. PuLP's CBC interface reports a row's dual as the change
of the objective per unit increase of its right-hand side for both senses; HiGHS
does the same when it is given the model's own sense (PuLP's HiGHS interface
instead negates a maximisation, which flips every dual). :class:`Solution` always
holds the contract's meaning: ``shadow_prices[name]`` is the change of the
objective per unit increase of the constraint's right-hand side, and
``reduced_costs[name]`` the change of the objective per unit the variable is forced
up from its value. Slacks are not taken from the solvers at all (they differ in sign
for ≥ rows); ``explain.py`` computes them from the values.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pulp
from pulp.apis.coin_api import PULP_CBC_CMD

from .errors import SolverError
from .model import Model, cyclic_collection_paused
from .precision import DUAL_TOLERANCE, PRIMAL_TOLERANCE
from .scenario import SOLVERS

OPTIMAL, INFEASIBLE, UNBOUNDED, NOT_SOLVED = "optimal", "infeasible", "unbounded", "not solved"
TIME_LIMIT = 600.0  # seconds each solver may take on one stage; past it, a SolverError


@dataclass(frozen=True)
class Stage:
    """One stage of the plan rule (``rule.py``): what it found, with which solver, how fast."""

    name: str
    solver: str
    seconds: float
    status: str
    solver_seconds: float | None = None  # of ``seconds``, inside the solver's own calls


@dataclass
class Solution:
    status: str  # OPTIMAL, INFEASIBLE, UNBOUNDED or NOT_SOLVED
    objective: float | None
    solver: str
    solver_version: str
    seconds: float
    values: dict[str, float] = field(default_factory=dict)  # variable name -> value
    shadow_prices: dict[str, float] = field(default_factory=dict)  # constraint name -> d objective / d rhs
    reduced_costs: dict[str, float] = field(default_factory=dict)  # variable name -> d objective / d value
    message: str = ""  # what the solver said, in words
    timings: dict[str, float] = field(default_factory=dict)  # phases of the solve, where known
    stages: list[Stage] = field(default_factory=list)  # the plan rule's stages, when it ran
    plan_value: float | None = None  # the reported plan's own objective (within ε of ``objective``)
    other_optima: bool = False  # other plans reach the same value (the value LP's own answer differed)
    # Constraint name -> (lowest, highest) right-hand side over which its shadow price holds:
    # HiGHS's ranging of the optimal basis (conservative where the optimum is degenerate).
    rhs_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    def value(self, variable: pulp.LpVariable) -> float:
        return self.values.get(variable.name, 0.0)


def solve(model: Model, solver: str | None = None, time_limit: float = TIME_LIMIT) -> Solution:
    """Solve the value LP with the scenario's solver (or ``solver``). A non-optimal status is
    a Solution saying so; a solver that cannot run, or does not finish in ``time_limit``
    seconds, raises :class:`~pooling.errors.SolverError`."""
    solver = solver or model.scenario.solver
    if solver == "cbc":
        return _solve_cbc(model, time_limit)
    if solver == "highs":
        return _solve_highs(model, time_limit)
    raise SolverError(f"unknown solver {solver!r} (known: {', '.join(SOLVERS)})")


# -- CBC ---------------------------------------------------------------------------------

_CBC_STATUS = {
    pulp.LpStatusOptimal: OPTIMAL,
    pulp.LpStatusInfeasible: INFEASIBLE,
    pulp.LpStatusUnbounded: UNBOUNDED,
    pulp.LpStatusNotSolved: NOT_SOLVED,
    pulp.LpStatusUndefined: INFEASIBLE,  # CBC says "undefined" for some infeasible LPs
}


def cbc_path() -> str:
    return PULP_CBC_CMD.pulp_cbc_path


@functools.cache
def cbc_version() -> str:
    try:
        output = subprocess.run(
            [cbc_path(), "-quit"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "CBC (version unknown)"
    for line in output.splitlines():
        if line.startswith("Version:"):
            return "CBC " + line.split(":", 1)[1].strip()
    return "CBC (version unknown)"


def _solve_cbc(model: Model, time_limit: float) -> Solution:
    problem = model.problem
    command = pulp.COIN_CMD(
        path=cbc_path(),
        msg=False,
        mip=False,
        timeLimit=time_limit,
        options=[f"primalTolerance {PRIMAL_TOLERANCE}", f"dualTolerance {DUAL_TOLERANCE}"],
    )
    started = time.perf_counter()
    try:
        code = problem.solve(command)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"CBC could not be run: {exc}") from None
    seconds = time.perf_counter() - started
    status = _CBC_STATUS.get(code, NOT_SOLVED)
    if status == NOT_SOLVED and seconds >= time_limit:
        raise SolverError(f"CBC did not finish in {time_limit:.0f} s")
    solution = Solution(
        status=status,
        objective=None,
        solver="cbc",
        solver_version=cbc_version(),
        seconds=seconds,
        message=pulp.LpStatus.get(code, "unknown"),
    )
    if status != OPTIMAL:
        return solution
    for variable in problem.variables():
        solution.values[variable.name] = variable.varValue or 0.0
        solution.reduced_costs[variable.name] = variable.dj or 0.0
    for constraint in problem.constraints():
        solution.shadow_prices[constraint.name] = constraint.pi or 0.0
    solution.objective = _objective_value(model, solution)
    return solution


# -- HiGHS -------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_stdout():
    """highspy prints a banner on stdout when its first instance is made, before any
    option can silence it; the banner would corrupt ``--json`` output."""
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


_FIRST_HIGHS = threading.Lock()
_banner_done = False


def new_highs():
    """A silent HiGHS instance, safe to make from several threads at once.

    Only the process's first instance prints the banner, so only its making silences
    stdout, under a lock: redirecting file descriptor 1 is process-wide, and two
    threads each saving and restoring it could leave stdout pointing at /dev/null.
    """
    global _banner_done
    with _FIRST_HIGHS:
        if not _banner_done:
            sys.stdout.flush()
            with _quiet_stdout():
                highs = highspy.Highs()
            _banner_done = True
        else:
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def model_arrays(model: Model):
    """The model as arrays: variables, objective, row-wise matrix, bounds.

    Returns (variables, constraints, cost, col_lower, col_upper, row_lower, row_upper,
    starts, indices, values) with constraints in registry order. The rows come from
    what the build recorded; after the model is changed (a diagnosis adds slacks to
    its constraints) they are read from the PuLP constraints instead.
    """
    problem = model.problem
    variables = model.variables()
    constraints = [info.constraint for info in model.registry.values()]
    cost = np.zeros(len(variables))
    if model.extra:
        position = {id(variable): index for index, variable in enumerate(variables)}
        rows = [([position[id(v)] for v in c.keys()], list(c.values())) for c in constraints]
    else:
        position = {id(variable): variable.column for variable in variables}
        rows = model.rows
    for variable, coefficient in problem.objective.items():
        cost[position[id(variable)]] += coefficient
    inf = np.inf
    col_lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables])
    col_upper = np.array([inf if v.upBound is None else v.upBound for v in variables])
    lengths = np.fromiter((len(columns) for columns, _ in rows), dtype=np.int64, count=len(rows))
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    indices = np.fromiter((i for columns, _ in rows for i in columns), dtype=np.int32, count=int(starts[-1]))
    values = np.fromiter((v for _, coefficients in rows for v in coefficients), dtype=float, count=int(starts[-1]))
    bounds = np.array([-c.constant for c in constraints])
    senses = np.array([c.sense for c in constraints])
    row_lower = np.where(senses == pulp.LpConstraintLE, -inf, bounds)
    row_upper = np.where(senses == pulp.LpConstraintGE, inf, bounds)
    return variables, constraints, cost, col_lower, col_upper, row_lower, row_upper, starts, indices, values


IPM_FROM_COLUMNS = 100_000  # above this, HiGHS's interior point method (with crossover) is faster


def highs_lp(model: Model, arrays=None):
    """The model as a highspy ``HighsLp``, with its variables and constraints in order
    (from ``arrays``, ``model_arrays(model)``, when the caller has them already)."""
    variables, constraints, cost, col_lower, col_upper, row_lower, row_upper, starts, indices, values = (
        arrays or model_arrays(model)
    )
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = len(variables)
    lp.num_row_ = len(constraints)
    lp.col_cost_ = cost
    lp.col_lower_ = np.where(np.isinf(col_lower), -inf, col_lower)
    lp.col_upper_ = np.where(np.isinf(col_upper), inf, col_upper)
    lp.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower)
    lp.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = indices
    lp.a_matrix_.value_ = values
    lp.a_matrix_.num_col_ = len(variables)
    lp.a_matrix_.num_row_ = len(constraints)
    lp.sense_ = highspy.ObjSense.kMaximize if model.problem.sense == pulp.LpMaximize else highspy.ObjSense.kMinimize
    return lp, variables, constraints


def configured_highs(columns: int):
    """A quiet HiGHS with the tolerances shared with CBC, and the interior point method
    (crossover on, so duals come from a basis) for large models, where the pooled
    model's many interchangeable streams make the simplex method slow."""
    highs = new_highs()
    highs.setOptionValue("primal_feasibility_tolerance", PRIMAL_TOLERANCE)
    highs.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    if columns > IPM_FROM_COLUMNS:
        highs.setOptionValue("solver", "ipm")
    return highs


def warm_highs(lp) -> highspy.Highs:
    """A HiGHS holding ``lp`` for re-solving after small changes: the simplex method, which
    starts each solve from the basis the last one left (switching values, coalitions,
    Monte Carlo samples)."""
    highs = configured_highs(lp.num_col_)
    highs.setOptionValue("solver", "simplex")
    highs.passModel(lp)
    return highs


def _solve_highs(model: Model, time_limit: float) -> Solution:
    with cyclic_collection_paused():  # the export and read-back make many objects that live on
        return _solve_highs_paused(model, time_limit)


def _solve_highs_paused(model: Model, time_limit: float) -> Solution:
    clock = time.perf_counter()
    lp, variables, constraints = highs_lp(model)
    highs = configured_highs(len(variables))
    highs.setOptionValue("time_limit", float(time_limit))
    highs.passModel(lp)
    converted = time.perf_counter()
    highs.run()
    ran = time.perf_counter()
    status_code = highs.getModelStatus()
    HMS = highspy.HighsModelStatus
    if status_code == HMS.kTimeLimit:
        raise SolverError(f"HiGHS did not finish in {time_limit:.0f} s")
    status = {
        HMS.kOptimal: OPTIMAL,
        HMS.kInfeasible: INFEASIBLE,
        HMS.kUnbounded: UNBOUNDED,
        HMS.kUnboundedOrInfeasible: INFEASIBLE,
        HMS.kModelEmpty: OPTIMAL,
    }.get(status_code, NOT_SOLVED)
    solution = Solution(
        status=status,
        objective=None,
        solver="highs",
        solver_version=f"HiGHS {highs.version()}",
        seconds=0.0,
        message=highs.modelStatusToString(status_code),
    )
    if status == OPTIMAL:
        result = highs.getSolution()
        names = [variable.name for variable in variables]
        col_value = list(result.col_value) if variables else []
        solution.values = dict(zip(names, col_value))
        solution.reduced_costs = dict(zip(names, result.col_dual)) if variables else {}
        solution.shadow_prices = dict(zip((c.name for c in constraints), result.row_dual)) if constraints else {}
        solution.objective = _objective_value(model, solution)
        solution.rhs_ranges = _rhs_ranges(highs, constraints)
    done = time.perf_counter()
    solution.timings = {"convert": converted - clock, "run": ran - converted, "read back": done - ran}
    solution.seconds = done - clock
    return solution


def _rhs_ranges(highs, constraints) -> dict[str, tuple[float, float]]:
    """Each row's right-hand side range over which the optimal basis, and so its shadow
    price, holds (HiGHS's ranging; infinite where the price holds without limit)."""
    if not constraints:
        return {}
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk:
        return {}
    low, high = ranging.row_bound_dn.value_, ranging.row_bound_up.value_
    return {
        constraint.name: (_infinite(lower, -1.0), _infinite(upper, 1.0))
        for constraint, lower, upper in zip(constraints, low, high)
    }


def _infinite(value: float, sign: float) -> float:
    """HiGHS writes an unlimited range as ±1e30 or more."""
    return sign * math.inf if abs(value) >= 1e29 else float(value)


def _objective_value(model: Model, solution: Solution) -> float:
    """The objective recomputed from the values (both solvers, one formula)."""
    return float(
        sum(
            coefficient * solution.values.get(variable.name, 0.0)
            for variable, coefficient in model.problem.objective.items()
        )
    )
