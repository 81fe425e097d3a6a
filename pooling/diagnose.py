"""Why a plan is infeasible: the smallest relaxation of the hard constraints that fixes it.

When a scenario has no feasible plan, the same model is solved again in an elastic
form: every hard requirement gets a slack variable e_c ≥ 0 that lets it give way,

    programme minimum     spend[p,t] + e ≥ Min_p
    pool minimum share    contribution[i,t] + e ≥ Pool min %_i × B[i,t]
    target (least cost)   out[o,t] + e ≥ Target[o,t]
    ring-fence            Σ_{p ∉ RF(s)} x[s,p,t] − e ≤ 0

and the objective is to minimise Σ_c e_c / size_c, the relaxations as shares of what
each constraint asks (its right-hand side; for a ring-fence, the stream's money), so
that money and outcome units can be weighed together and a large requirement is not
favoured over a small one. With every requirement relaxed, spending nothing is
feasible, so the elastic model always solves. Every e_c above zero is reported by
the input cell it comes from, in money or outcome units.

(Outcome targets under the ``outcomes`` objective are already soft: a shortfall is
priced by its penalty.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp

from .families import RING_FENCE, TARGET
from .model import ConstraintInfo, Model, build
from .place import Place
from .scenario import Scenario
from .solve import OPTIMAL, solve
from .words import Words


@dataclass
class Relaxation:
    info: ConstraintInfo
    amount: float  # in the constraint's unit: workbook money, or outcome units for targets
    sentence: str

    @property
    def cell(self) -> str:
        return self.info.cells[0] if self.info.cells else ""


@dataclass
class Diagnosis:
    status: str  # of the elastic solve: optimal unless something is badly wrong
    relaxations: list[Relaxation]

    def lines(self) -> list[str]:
        return [relaxation.sentence for relaxation in self.relaxations]


def elastic_size(model: Model, info: ConstraintInfo) -> float:
    """What a constraint asks, to weigh its relaxation: its right-hand side, or for a
    ring-fence (right-hand side 0) the money of the stream it fences."""
    if info.family is RING_FENCE:
        return max(1.0, model.stream(info.keys["stream"]).amounts[info.year - 1])
    return max(1.0, abs(info.rhs))


def make_elastic(model: Model) -> dict[str, pulp.LpVariable]:
    """Give every hard requirement of ``model`` a slack and minimise their relative sum."""
    slacks: dict[str, pulp.LpVariable] = {}
    objective = []
    for info in model.registry.values():
        if not info.family.relaxes:
            continue
        if info.family is TARGET and model.scenario.objective == "outcomes":
            continue  # already soft: a shortfall is priced by its penalty
        slack = model.problem.add_variable(model.unique_name("relax", info.name), lowBound=0)
        info.constraint.expr.addterm(slack, 1.0 if info.sense == ">=" else -1.0)
        model.extra.append(slack)
        slacks[info.name] = slack
        objective.append((slack, 1.0 / elastic_size(model, info)))
    model.problem.sense = pulp.LpMinimize
    model.problem.setObjective(pulp.LpAffineExpression(objective))
    return slacks


def diagnose(place: Place, scenario: Scenario, solver: str | None = None) -> Diagnosis:
    """The smallest relaxation (as shares of what each constraint asks) that makes the
    scenario feasible, constraint by constraint, with its input cell."""
    model = build(place, scenario)
    slacks = make_elastic(model)
    solution = solve(model, solver)
    if solution.status != OPTIMAL:
        return Diagnosis(solution.status, [])
    words = Words(model, solution)
    relaxations = []
    for name, slack in slacks.items():
        amount = solution.value(slack)
        info = model.registry[name]
        if amount > 1e-6 * elastic_size(model, info):
            relaxations.append(Relaxation(info, amount, words.relaxed(info, amount)))
    return Diagnosis(OPTIMAL, relaxations)
