"""Monte Carlo samples by changing one model's coefficients, not building one per sample.

A sample draws effect rates ρ_j (``Per £m``) and savings rates (``£ per unit``); the
model's structure does not depend on them. They enter only the columns of the effect
variables y[p,o,j,t], through out[o,t] = Σ ρ_j × y × k / 1,000,000
(``model.add_effect_variables``), in three places:

* the objective (``outcomes``): d_t × Value_o × ρ_j × k / 1,000,000;
* the target row of (o, t) (``model.add_targets``): ρ_j × k / 1,000,000;
* the stream limit of SAVINGS-i in year t + Lag, for each Savings row o → i
  (``model.add_stream_limits``): −(£ per unit × Cashable % / k) × ρ_j × k / 1,000,000,
  summed over the rows that meet in one cell.

So the model of a grid point is built once, and each sample sets those coefficients
(by the same formulas, from the sampled place) and is re-solved by the simplex method
from the last basis. The objectives equal a fresh build's to the solvers' precision
(tests/test_sweep.py checks every sample of a sweep).
"""

from __future__ import annotations

import highspy
import numpy as np

from ..families import STREAM_LIMIT, TARGET
from ..funding import SAVINGS
from ..model import Model, build
from ..place import Place
from ..precision import BINDING_TOLERANCE
from ..scenario import Scenario
from ..solve import OPTIMAL, highs_lp, warm_highs


class _Values:
    """Solution values by variable, for ``Model.spent``."""

    def __init__(self, column: dict[int, int], values: np.ndarray):
        self.column, self.values = column, values

    def value(self, variable) -> float:
        return float(self.values[self.column[id(variable)]])


class SampledModel:
    """One grid point's model in one HiGHS instance; ``solve(place)`` for each sample."""

    def __init__(self, place: Place, scenario: Scenario):
        self.model: Model = build(place, scenario)
        lp, variables, _ = highs_lp(self.model)
        self.column = {id(variable): index for index, variable in enumerate(variables)}
        rows = {}
        for row, info in enumerate(self.model.registry.values()):
            if info.family is TARGET:
                rows[("target", info.keys["outcome"], info.year)] = row
            elif info.family is STREAM_LIMIT:
                rows[("stream", info.keys["stream"], info.year)] = row
        self.rows = rows
        # Each partner's savings stream, by the partner: the Savings rows name the beneficiary.
        self.savings_stream = {s.partner: s.code for s in self.model.streams if s.kind == SAVINGS}
        self.cost = np.asarray(lp.col_cost_, dtype=float).copy()
        self.effect_columns = np.array(
            [self.column[id(variable)] for variable in self.model.y.values()], dtype=np.int32
        )
        self.highs = warm_highs(lp)

    def coefficients(self, place: Place):
        """(the effect columns' costs, [(row, column, coefficient)], each column's
        coefficient in out[o,t]) for ``place``'s rates, in the order of ``model.y``."""
        model, scenario = self.model, self.model.scenario
        per_unit_spend = place.unit_pounds / 1_000_000.0
        outcomes_objective = scenario.objective == "outcomes"
        savings_to = {}
        for saving in place.savings:
            savings_to.setdefault(saving.outcome, []).append(saving)
        costs, entries, out = [], [], []
        for (programme, outcome, j, t), variable in model.y.items():
            coefficient = place.effects[(programme, outcome)][j - 1].rate * per_unit_spend
            out.append(coefficient)
            column = self.column[id(variable)]
            costs.append(place.discount(t) * place.outcomes[outcome].value * coefficient if outcomes_objective else 0.0)
            target = self.rows.get(("target", outcome, t))
            if target is not None:
                entries.append((target, column, coefficient))
            into: dict[int, float] = {}
            for saving in savings_to.get(outcome, ()):
                stream = self.savings_stream.get(saving.beneficiary)
                row = self.rows.get(("stream", stream, t + saving.lag))
                if row is not None:
                    per_unit = saving.per_unit * saving.cashable / place.unit_pounds
                    into[row] = into.get(row, 0.0) - per_unit * coefficient
            entries += [(row, column, value) for row, value in into.items()]
        return np.asarray(costs, dtype=float), entries, np.asarray(out, dtype=float)

    def solve(self, place: Place) -> tuple[str, float | None, str, dict, dict, dict]:
        """Re-solve with ``place``'s rates: (status, objective, message, outcomes achieved
        over the years, targets met by (outcome, year), spend by programme over the years)."""
        costs, entries, out = self.coefficients(place)
        for row, column, coefficient in entries:
            self.highs.changeCoeff(row, column, coefficient)
        self.highs.changeColsCost(len(self.effect_columns), self.effect_columns, costs)
        self.cost[self.effect_columns] = costs
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            words = self.highs.modelStatusToString(status)
            return ("infeasible" if "infeasible" in words.lower() else words.lower()), None, words, {}, {}, {}
        values = np.asarray(self.highs.getSolution().col_value)
        objective = float(self.cost @ values)
        model, labels = self.model, place.year_labels
        levels: dict[tuple[str, int], float] = {}
        for (_, outcome, _, t), coefficient, value in zip(model.y, out, values[self.effect_columns]):
            levels[(outcome, t)] = levels.get((outcome, t), 0.0) + float(coefficient * value)
        achieved, targets = {}, {}
        for outcome in place.outcomes.values():
            yearly = [levels.get((outcome.code, t), 0.0) for t in model.years]
            achieved[outcome.code] = sum(yearly)
            for t, (level, target) in enumerate(zip(yearly, outcome.targets), start=1):
                if target is not None:
                    targets[(outcome.code, labels[t - 1])] = level >= target - BINDING_TOLERANCE * max(1.0, target)
        solution = _Values(self.column, values)
        allocation = {p: sum(model.spent(solution, p, t) for t in model.years) for p in place.programmes}
        return OPTIMAL, objective, "", achieved, targets, allocation
