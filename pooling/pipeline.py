"""The pipeline as library calls: load → validate → build → solve → explain → write.

``run(scenario_path)`` does all of it and returns a :class:`Result`; the command line
is a thin shell over these functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulp

from . import words
from .diagnose import Diagnosis, diagnose
from .errors import NotOptimal
from .explain import (
    Binding,
    ProgrammePosition,
    Statement,
    binding_constraints,
    cell_notes,
    programme_positions,
    statements,
)
from .families import POOL_MAX, POOL_MIN
from .model import Model, build
from .outputs import RUN
from .place import Place
from .precision import DUAL_TOLERANCE, optimum_difference
from .report import Tables, build_tables, column_names, savings_received, switching_table
from .rounding import BoardFigures, board_figures
from .rule import reported_plan
from .scenario import Scenario, ScenarioError, check_against_place, read_scenario
from .solve import INFEASIBLE, OPTIMAL, TIME_LIMIT, Solution, solve
from .switching import SwitchingValue, switching_values
from .validate import load
from .version import __version__
from .write import note_sheets, write_result
from .xlsx.container import Package
from .xlsx.graft import inventory


@dataclass
class Result:
    """One scenario solved: inputs, model, solution, explanation and tables."""

    place: Place
    package: Package
    scenario: Scenario
    model: Model
    solution: Solution
    binding: list[Binding]
    statements: list[Statement]  # the binding constraints grouped by what they bind, most valuable first
    positions: list[ProgrammePosition]  # programmes at a limit or unfunded, and why
    tables: Tables | None
    notes: dict[str, str]  # input cell -> comment text
    started: dt.datetime
    timings: dict[str, float] = field(default_factory=dict)
    workbook_sha256: str = ""
    scenario_sha256: str = ""
    output: Path | None = None
    messages: list[str] = field(default_factory=list)  # what the user should know about the output
    diagnosis: Diagnosis | None = None  # why the scenario is infeasible, when it is
    counterpart: Solution | None = None  # the same scenario with pooling switched, when solved
    # The pooled scenario with the partners' pool-share limits lifted, when those bind: what
    # the limits the partners chose cost (its objective against this one's).
    uncapped: Solution | None = None
    switching: list[SwitchingValue] = field(default_factory=list)  # when asked for (run, not analyses)
    _board: BoardFigures | None = field(default=None, repr=False)
    counterpart_model: Model | None = field(default=None, repr=False)  # the same scenario, pooling switched
    counterpart_plan: Solution | None = field(default=None, repr=False)  # its plan, by the rule
    value: Solution | None = None  # the value LP (stage 1 of the plan rule); ``solution`` is the plan

    # -- headline figures ------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.solution.status

    @property
    def optimal(self) -> bool:
        return self.solution.status == OPTIMAL

    @property
    def objective(self) -> float | None:
        return self.solution.objective

    @property
    def objective_unit(self) -> str:
        return self.model.objective_unit

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def objective_words(self) -> str:
        return words.objective_words(self)

    def totals(self) -> dict[str, float]:
        """Money over all modelled years, in the workbook unit, and outcome value in £."""
        if self.tables is None:
            return {}
        pool, streams, outcomes = self.tables.pool, self.tables.streams, self.tables.outcomes
        available, spent = math.fsum(streams.column("Available")), math.fsum(streams.column("Used"))
        unspent = available - spent
        if abs(unspent) <= 1e-7 * max(1.0, available):  # solver tolerance, not money
            unspent = 0.0
        programmes = self.tables.allocation.records()[:-1]  # the last row is the Total
        return {
            "available": available,
            "spent": spent,
            "spent on pooled programmes": math.fsum(row["Total"] for row in programmes if row["Pooled"] == "yes"),
            "pooled": math.fsum(pool.column("Contribution")),
            "spent on others' programmes": math.fsum(pool.column("Spent on others' programmes")),
            "savings received": math.fsum(pool.column("Savings received")),
            "unspent": unspent,
            "outcome value": math.fsum(outcomes.column("Value (£)")),
            "outcome value (present value)": self.present_value(outcomes),
        }

    def present_value(self, outcomes) -> float:
        """Σ_t d_t Value(£)_t, d_t = (1 + r)^-(t-1): the outcome value as the objective counts it."""
        factors = {year: (1 + self.place.discount_rate) ** -t for t, year in enumerate(self.place.year_labels)}
        return math.fsum(
            value * factors[year] for year, value in zip(outcomes.column("Year"), outcomes.column("Value (£)"))
        )

    def largest_allocations(self, count: int = 5) -> list[tuple[str, str, float]]:
        """(code, name, total over the years) of the programmes with the most money."""
        if self.tables is None:
            return []
        programmes = self.tables.allocation.records()[:-1]  # the last row is the Total
        largest = sorted(programmes, key=lambda row: row["Total"], reverse=True)[:count]  # stable: ties in order
        return [(row["Programme"], row["Name"], float(row["Total"])) for row in largest]

    def top_statements(self, count: int = 8) -> list[Statement]:
        """What binds, worth most at the margin first, one per thing bound."""
        return self.statements[:count]

    def dividend(self) -> float | None:
        """Pooled minus silo objective (for least cost: silo minus pooled spending), when
        both were solved to optimality: what pooling is worth in this scenario."""
        if self.counterpart is None or not self.optimal or not self.counterpart.optimal:
            return None
        pooled, silo = (
            (self.objective, self.counterpart.objective)
            if self.scenario.pooling == "pooled"
            else (self.counterpart.objective, self.objective)
        )
        return (
            optimum_difference(pooled, silo)
            if self.scenario.objective == "outcomes"
            else optimum_difference(silo, pooled)
        )

    def cashable_dividend(self) -> float | None:
        """The cashable part of the dividend, in the workbook unit, present value: the savings
        partners receive in the pooled plan less those in the silo plan (each the plan the
        contract's rule picks, so the figure is the same whichever solver ran)."""
        if self.dividend() is None or self.counterpart_model is None or not self.model.place.savings:
            return None
        if self.counterpart_plan is None:  # solved when first asked: the analyses never ask
            self.counterpart_plan = reported_plan(self.counterpart_model, self.counterpart)
        mine = cashable_savings(self.model, self.solution)
        theirs = cashable_savings(self.counterpart_model, self.counterpart_plan)
        return mine - theirs if self.scenario.pooling == "pooled" else theirs - mine

    def caps_cost(self) -> float | None:
        """What the partners' pool-share limits cost: the objective with them lifted less the
        objective with them (for least cost, the spending they add); None unless they bind."""
        if self.uncapped is None or not self.uncapped.optimal or not self.optimal:
            return None
        if self.scenario.objective == "least-cost":
            return optimum_difference(self.objective, self.uncapped.objective)
        return optimum_difference(self.uncapped.objective, self.objective)

    def dividend_sentence(self) -> str | None:
        return words.dividend_sentence(self)

    def missed_targets(self) -> list[tuple[str, str, float]]:
        if self.tables is None:
            return []
        return [
            (row["Outcome"], row["Year"], float(row["Shortfall"]))
            for row in self.tables.outcomes.records()
            if row["Shortfall"] is not None and row["Shortfall"] > 1e-6 * max(row["Target"] or 0.0, 1.0)
        ]

    def board(self) -> BoardFigures:
        """The board tables, rounded once for the run: the Summary, the headline and the
        paper all quote these figures."""
        if self._board is None:
            self._board = board_figures(self)
        return self._board

    def headline(self) -> list[str]:
        return words.headline(self)

    def summary_unit(self, setting: str) -> str:
        """The unit of a Setting | Value row, for the Summary's Unit column."""
        objective = f"{self.objective_unit}, present value" if self.place.discount_rate else self.objective_unit
        if setting.startswith("Objective value") or setting in (
            "Partnership dividend",
            "Held back by the pool-share limits",
        ):
            return objective
        if setting == "Total outcome value (present value) (£)":
            return "£, present value"
        if setting.startswith("Total "):
            return "£, undiscounted" if "outcome value" in setting else f"{self.place.units}, undiscounted, cash"
        if setting == "Partnership dividend: cashable savings":
            return f"{self.place.units}, present value, cash"
        if setting == "Binding constraints":
            return "count (each in the Constraints sheet)"
        return ""

    def summary_rows(self) -> list[tuple[str, object]]:
        """The Summary sheet's Setting | Value block."""
        rows: list[tuple[str, object]] = [
            ("Place", self.place.name),
            ("Scenario", self.scenario.name),
            ("Status", self.status),
            ("Objective value", self.objective if self.objective is not None else "none"),
            ("Objective", self.objective_words()),
            ("Objective unit", self.objective_unit),
            ("Years", f"{self.place.year_labels[0]} to {self.place.year_labels[-1]}"),
            ("Workbook unit", self.place.units),
            ("Solver", self.solution.solver_version),
        ]
        for key, value in self.totals().items():
            unit = "£" if key.startswith("outcome value") else self.place.units
            rows.append((f"Total {key} ({unit})", value))
        if self.counterpart is not None:
            other = "silo" if self.scenario.pooling == "pooled" else "pooled"
            rows.append(
                (
                    f"Objective value {other}",
                    self.counterpart.objective if self.counterpart.optimal else self.counterpart.status,
                )
            )
            if self.dividend() is not None:
                rows.append(("Partnership dividend", self.dividend()))
            if self.cashable_dividend() is not None:
                rows.append(("Partnership dividend: cashable savings", self.cashable_dividend()))
            if self.caps_cost() is not None:
                rows.append(("Held back by the pool-share limits", self.caps_cost()))
        if self.tables is not None:
            rows.append(("Binding constraints", len(self.binding)))
        for message in self.messages:
            rows.append(("Note", message))
        return rows

    def column_names(self) -> dict[str, str]:
        """What the result sheets' headings name: the workbook unit, the objective's, a step of money."""
        return column_names(self.model)

    def table(self, name: str) -> tuple[list[str], Iterable[Sequence]] | None:
        """(headings, rows) of a result sheet's table (``outputs.ResultSheet.table``), or
        None when this run has none (no plan, no diagnosis)."""
        if name == "diagnosis":
            if self.diagnosis is None:
                return None
            labels = self.place.year_labels
            rows = [
                (r.cell, r.info.family.name, labels[r.info.year - 1], r.amount, r.sentence)
                for r in self.diagnosis.relaxations
            ]
            return RUN.sheet("Diagnosis").headers(), rows
        if name == "audit":
            return RUN.sheet("Audit").headers(), self.audit()
        if self.tables is None:
            return None
        table = getattr(self.tables, name)
        return table.columns, table.rows

    def audit(self) -> list[tuple[str, str]]:
        """Everything needed to trace a figure back: files, hashes, levers, solver, time."""
        rows = [
            ("Tool", f"pooling {__version__}"),
            ("Run at (UTC)", self.started.strftime("%Y-%m-%d %H:%M:%S")),
            ("Run time (seconds)", f"{self.seconds:.2f}"),
            ("Input workbook", str(self.package.path)),
            ("Input workbook SHA-256", self.workbook_sha256),
            ("Scenario file", str(self.scenario.path) if self.scenario.path else "(given in code)"),
            ("Scenario file SHA-256", self.scenario_sha256 or "(none)"),
        ]
        rows += [(f"Lever: {key}", value) for key, value in self.scenario.levers()]
        rows += [
            ("Solver", self.solution.solver),
            ("Solver version", self.solution.solver_version),
            ("Solver status", f"{self.status} ({self.solution.message})"),
            (
                "Plan rule",
                "contract v1.1: the value LP, then the plan within 1e-7 of its optimum closest to the base-year "
                "budget, then the least money crossing partners"
                if self.solution.stages
                else "none (no optimal plan)",
            ),
            *(
                (f"Stage {stage.name}", f"{stage.solver}, {stage.seconds:.3f} s, {stage.status}")
                for stage in self.solution.stages
            ),
            ("Plan's own objective value", repr(self.solution.plan_value)),
            ("PuLP version", pulp.__version__ if hasattr(pulp, "__version__") else "unknown"),
            ("Python version", platform.python_version()),
            ("Variables", f"{len(self.model.variables()):,}"),
            ("Constraints", f"{len(self.model.registry):,}"),
            ("Objective value", repr(self.objective)),
        ]
        rows += [(f"Time: {phase} (seconds)", f"{seconds:.3f}") for phase, seconds in self.timings.items()]

        parts = inventory(self.package, note_sheets(self.notes))
        kept = sum(1 for _, _, fate in parts if fate == "kept byte for byte")
        rows.append(("Input parts", f"{len(parts)}: {kept} kept byte for byte, {len(parts) - kept} edited as listed"))
        rows += [(f"Part {part}", f"{kind}: {fate}") for part, kind, fate in parts]
        return rows

    def to_dict(self) -> dict:
        """The terminal summary as data, at full precision (for ``--json``)."""
        return {
            "place": self.place.name,
            "scenario": self.scenario.name,
            "status": self.status,
            "objective": self.objective,
            "objective_unit": self.objective_unit,
            "units": self.place.units,
            "solver": self.solution.solver_version,
            "totals": self.totals(),
            "pool_share_limits_cost": self.caps_cost(),
            "switching_values": [
                {
                    "input": item.input,
                    "cells": list(item.cells),
                    "value": item.value,
                    "switching_value": item.switching,
                    "change": item.change,
                    "target_first_missed_at": item.targets,
                    "pooling_stops_beating_silo_at": item.dividend,
                    "what_changes": item.what,
                }
                for item in self.switching
            ],
            "counterpart": None
            if self.counterpart is None
            else {
                "pooling": "silo" if self.scenario.pooling == "pooled" else "pooled",
                "status": self.counterpart.status,
                "objective": self.counterpart.objective,
            },
            "dividend": self.dividend(),
            "dividend_cashable": self.cashable_dividend(),
            "largest_allocations": [
                {"programme": code, "name": name, "total": total} for code, name, total in self.largest_allocations()
            ],
            "binding_constraints": [
                {
                    "family": statement.family.name,
                    "binds": statement.subject,
                    "cells": list(statement.cells),
                    "meaning": statement.sentence,
                    "shadow_prices": {
                        self.place.year_labels[item.info.year - 1]: item.shadow_price for item in statement.items
                    },
                }
                for statement in self.statements
            ],
            "missed_targets": [{"outcome": o, "year": y, "shortfall": s} for o, y, s in self.missed_targets()],
            "diagnosis": None
            if self.diagnosis is None
            else [
                {
                    "cell": relaxation.cell,
                    "family": relaxation.info.family.name,
                    "year": self.place.year_labels[relaxation.info.year - 1],
                    "relaxation": relaxation.amount,
                    "meaning": relaxation.sentence,
                }
                for relaxation in self.diagnosis.relaxations
            ],
            "output": str(self.output) if self.output else None,
            "messages": self.messages,
            "warnings": self.place.warnings,
            "seconds": self.seconds,
        }

    def write(self, path: Path | None = None, in_place: bool = False):
        """Write the annotated workbook to ``path`` (or into the input, after a verified
        backup, with ``in_place``); returns what the graft did."""
        started = time.perf_counter()
        target = self.package.path if in_place else Path(path)
        report = write_result(self, target, in_place=in_place)
        self.timings["write"] = time.perf_counter() - started
        self.output = report.written or target
        for sheet, reason in report.not_annotated.items():
            self.messages.append(f"Sheet {sheet} was not annotated: {reason}.")
        for wanted, given in report.sheet_names.items():
            if wanted != given:
                self.messages.append(f"The input already has a sheet named {wanted}; the results are in {given}.")
        if report.backup is not None:
            self.messages.append(
                f"The workbook that was there was backed up to {report.backup} before it was replaced."
            )
        return report


def cashable_savings(model, solution) -> float:
    """Σ_t d_t Σ_i A[SAVINGS-i, t]: the cashable savings partners receive, present value, in
    the workbook unit."""
    rate = model.place.discount_rate
    partners = {saving.beneficiary for saving in model.place.savings}
    return sum(
        (1 + rate) ** -(t - 1) * savings_received(model, solution, partner, t)
        for partner in partners
        for t in model.years
    )


def _caps_bind(binding) -> bool:
    """Does a partner's Pool min % or Pool max % hold the value back (a non-zero price)?"""
    return any(item.family in (POOL_MIN, POOL_MAX) and abs(item.shadow_price) > DUAL_TOLERANCE for item in binding)


def without_pool_limits(model):
    """The model with every partner's pool-share rows lifted (the limits the partners set),
    so that its optimum against the model's says what the limits cost."""
    for info in model.registry.values():
        if info.family in (POOL_MIN, POOL_MAX):
            # expression <= rhs (max) or >= rhs (min), held as expression - rhs: an infinite
            # right-hand side of the right sign leaves the row free.
            info.constraint.constant = -math.inf if info.family is POOL_MAX else math.inf
    return model


def solve_scenario(
    scenario: Scenario,
    place: Place,
    package: Package,
    counterpart: bool = False,
    time_limit: float = TIME_LIMIT,
    switching: bool = False,
) -> Result:
    """Build, solve and explain one scenario for a loaded place.

    The value LP is solved with the scenario's solver, and the plan reported is the one
    the contract's rule picks among its optima (``rule.py``). With ``counterpart``, the
    same scenario is also solved with pooling switched (pooled ↔ silo), so the result can
    state the partnership dividend (its value only: no plan of it is reported).
    """
    started = dt.datetime.now(dt.UTC)
    timings = {}
    clock = time.perf_counter()
    problems = check_against_place(scenario, place)
    if problems:
        raise ScenarioError(problems, str(scenario.path or "scenario"))
    model = build(place, scenario)
    timings["build"] = time.perf_counter() - clock
    value = solve(model, time_limit=time_limit)
    timings["solve"] = value.seconds
    clock = time.perf_counter()
    solution = reported_plan(model, value, time_limit)
    if solution.stages:
        timings["plan"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if solution.status == OPTIMAL:
        # Shadow prices are the value LP's: they hold at its own optimum. What binds, slack,
        # spend and every figure are the rule's plan's, so they read the same whichever
        # solver found the optimum.
        binding = binding_constraints(model, value, plan=solution)
        grouped = statements(model, value, binding)
        positions = programme_positions(model, value, binding, plan=solution)
        tables = build_tables(model, solution, binding, positions)
        notes = cell_notes(model, value, grouped)
    else:
        binding, grouped, positions, tables, notes = [], [], [], None, {}
    diagnosis = diagnose(place, scenario) if solution.status == INFEASIBLE else None
    timings["explain"] = time.perf_counter() - clock
    result = Result(
        place, package, scenario, model, solution, binding, grouped, positions, tables, notes, started, timings
    )
    result.diagnosis = diagnosis
    result.value = value
    other = dataclasses.replace(scenario, pooling="silo" if scenario.pooling == "pooled" else "pooled")
    other_model = build(place, other) if counterpart else None
    if switching and solution.status == OPTIMAL:
        clock = time.perf_counter()
        result.switching = switching_values(model, value, solution, counterpart=other_model)
        result.tables.switching = switching_table(result.switching)
        timings["switching values"] = time.perf_counter() - clock
    result.messages.extend(f"The scenario: {warning}." for warning in scenario.warnings)
    result.workbook_sha256 = package.sha256
    result.scenario_sha256 = scenario.sha256
    if counterpart:
        clock = time.perf_counter()
        result.counterpart = solve(other_model, time_limit=time_limit)
        result.counterpart_model = other_model
        timings["counterpart"] = time.perf_counter() - clock
        if scenario.pooling == "pooled" and solution.optimal and _caps_bind(binding):
            # HiGHS, whatever the scenario's solver: CBC reads the model from a file, which has no
            # way to write an infinite right-hand side.
            result.uncapped = solve(without_pool_limits(build(place, scenario)), "highs", time_limit)
    return result


def run(
    scenario: Path | Scenario,
    output: Path | None = None,
    overrides: dict[str, object] | None = None,
    counterpart: bool = True,
    allow_nonoptimal: bool = False,
    switching: bool = False,
) -> Result:
    """Run one scenario end to end: read the scenario and its workbook, solve, explain,
    and (when ``output`` is given) write the annotated workbook.

    ``overrides`` sets scenario keys by dotted name, e.g. ``{"pooling": "silo"}``.
    ``counterpart`` also solves the scenario with pooling switched, for the dividend;
    ``switching`` finds the switching values of the programmes' effects (re-solving
    each: about a second on the example; ``pooling run`` does it unless --no-switching).
    A scenario with no optimal plan raises :class:`~pooling.errors.NotOptimal`, which
    carries the result (and its diagnosis), after the workbook saying why is written;
    with ``allow_nonoptimal`` the result is returned instead: check ``result.optimal``.
    """
    clock = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = read_scenario(Path(scenario), overrides)
    elif overrides:
        raise ValueError("overrides apply to scenario files; pass a Scenario already resolved")
    place, package = load(scenario.workbook)
    loaded = time.perf_counter() - clock
    result = solve_scenario(scenario, place, package, counterpart=counterpart, switching=switching)
    result.timings = {"load and validate": loaded, **result.timings}
    if output is not None:
        result.write(output)
    if not result.optimal and not allow_nonoptimal:
        raise NotOptimal(result)
    return result
