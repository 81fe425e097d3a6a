"""Coalition values by re-solving one model, not building one per coalition.

The model of a coalition S (``partnership.coalition_scenario``) is the pooled model of
the whole place with two families changed, so it is built once and each coalition is
a change of bounds on it:

* pooled money moves between partners through the year's pot (``model.build``): what a
  partner's stream puts in, c[s,t], and what a partner's pooled programme takes out,
  g[p,t], exist in S's model only for members of S; here they keep their bounds for
  members and are held at 0 for the others. An arc x[s,p,t] across partners outside the
  pot (a stream whose ring-fence is kept) needs both its partners in S
  (``model.allowed``);
* the pool shares (``model.add_pool_shares``) bind the members of S only; a
  non-member's rows are freed (−∞ to +∞).

A coalition of fewer than two pools with nobody: every such column is held
at 0 and every pool-share row freed, which is the silo model. Held at 0, a column is
the column left out; a freed row is the row left out: the optimum is the same.

The coalitions are visited in Gray-code order (one partner joins or leaves between
neighbours, so few bounds change) and each is re-solved by the simplex method from
the previous basis. The values equal the cold solves' to the solvers' precision
(tests/test_partnership.py checks every coalition). With several workers the order is
cut into runs of neighbours, one model per run.
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np

from ..families import POOL_MAX, POOL_MIN
from ..model import build
from ..place import Place
from ..scenario import Scenario
from ..solve import highs_lp, warm_highs

# Fewer coalitions than this are solved in this process: starting workers and
# building a model in each costs more than re-solving them one after another.
PARALLEL_FROM = 256


@dataclasses.dataclass
class Solved:
    """One coalition's optimum, or its status when there is none."""

    members: frozenset[str]
    status: str  # "optimal" or what HiGHS said
    value: float | None


class CoalitionModel:
    """The place's pooled model in one HiGHS instance, set to any coalition by its bounds."""

    def __init__(self, place: Place, scenario: Scenario):
        model = build(place, dataclasses.replace(scenario, pooling="pooled", coalition=None))
        lp, variables, _ = highs_lp(model)
        column = {id(variable): index for index, variable in enumerate(variables)}
        self.partners = list(place.partners)
        bit = {code: 1 << number for number, code in enumerate(self.partners)}
        # Each column that moves money between partners, and the partners it needs (a bit mask).
        arcs = [
            (column[id(variable)], sum(bit[partner] for partner in set(partners)))
            for variable, partners in model.pooling_columns()
        ]
        self.arc_columns = np.array([index for index, _ in arcs], dtype=np.int32)
        self.arc_needs = np.array([needs for _, needs in arcs], dtype=np.int64)
        self.arc_lower = np.asarray(lp.col_lower_)[self.arc_columns]
        self.arc_upper = np.asarray(lp.col_upper_)[self.arc_columns]
        rows = [
            (row, bit[info.keys["partner"]])
            for row, info in enumerate(model.registry.values())
            if info.family in (POOL_MIN, POOL_MAX)
        ]
        self.share_rows = np.array([row for row, _ in rows], dtype=np.int32)
        self.share_owner = np.array([owner for _, owner in rows], dtype=np.int64)
        self.share_lower = np.asarray(lp.row_lower_)[self.share_rows]
        self.share_upper = np.asarray(lp.row_upper_)[self.share_rows]
        self.cost = np.asarray(lp.col_cost_, dtype=float)
        self.highs = warm_highs(lp)

    def mask(self, members: frozenset[str]) -> int:
        return sum(1 << self.partners.index(code) for code in members)

    def solve(self, members: frozenset[str]) -> Solved:
        """v(S), from the basis the last coalition left."""
        mask = self.mask(members) if len(members) > 1 else 0
        inside = (self.arc_needs & mask) == self.arc_needs
        if len(self.arc_columns):
            self.highs.changeColsBounds(
                len(self.arc_columns),
                self.arc_columns,
                self.arc_lower,
                np.where(inside, self.arc_upper, 0.0),
            )
        if len(self.share_rows):
            member = (self.share_owner & mask) != 0
            inf = highspy.kHighsInf
            self.highs.changeRowsBounds(
                len(self.share_rows),
                self.share_rows,
                np.where(member, self.share_lower, -inf),
                np.where(member, self.share_upper, inf),
            )
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            words = self.highs.modelStatusToString(status).lower()
            return Solved(members, "infeasible" if "infeasible" in words else words, None)
        # The objective as the model states it (no constant), as solve._objective_value does.
        values = np.asarray(self.highs.getSolution().col_value)
        return Solved(members, "optimal", float(self.cost @ values))


def gray_order(coalitions: list[frozenset[str]], partners: list[str]) -> list[frozenset[str]]:
    """The coalitions sorted by their place in the reflected Gray code of the partners'
    bit masks, so that neighbours differ by as few partners as the list allows."""

    def rank(members: frozenset[str]) -> int:
        code = sum(1 << partners.index(partner) for partner in members)
        number = 0
        while code:  # the inverse of g = n ^ (n >> 1)
            number ^= code
            code >>= 1
        return number

    return sorted(coalitions, key=rank)


def solve_run(place: Place, scenario: Scenario, run: list[frozenset[str]]) -> list[Solved]:
    """Each coalition of ``run`` on one model, in order (a worker's task)."""
    model = CoalitionModel(place, scenario)
    return [model.solve(members) for members in run]


def runs_of(ordered: list, count: int) -> list[list]:
    """``ordered`` cut into ``count`` runs of neighbours, as even as can be."""
    size, extra = divmod(len(ordered), count)
    runs, start = [], 0
    for number in range(count):
        end = start + size + (1 if number < extra else 0)
        if end > start:
            runs.append(ordered[start:end])
        start = end
    return runs
