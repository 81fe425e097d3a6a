"""How precise the numbers are: the solvers' tolerances, and what counts as zero.

Both solvers are given the same tolerances, so their answers can be compared; every
rule below that treats a small number as nothing follows from them, and lives here so
that a lever price, the dividend, a binding constraint and a flow agree on what
"nothing" is.
"""

from __future__ import annotations

# Solver tolerances, set alike for CBC and HiGHS.
PRIMAL_TOLERANCE = 1e-7
DUAL_TOLERANCE = 1e-7
# CBC reports values to 8 significant digits, objectives are summed from those values,
# and both solvers stop within the tolerances above: two optima that differ by less than
# this share of their size are the same optimum.
OBJECTIVE_PRECISION = 1e-7
# A constraint binds when its slack is within this share of its right-hand side (or of 1).
BINDING_TOLERANCE = 1e-6
# Below half a penny a step, a shadow price is zero.
NEGLIGIBLE_POUNDS = 0.005
# Smaller flows are solver noise, not money.
NONZERO = 1e-9


def optimum_difference(first: float, second: float) -> float:
    """``first − second`` for two optimal objectives, or 0.0 when they are the same
    optimum to the solvers' precision (never a price of a few pounds made of rounding)."""
    difference = first - second
    if abs(difference) <= OBJECTIVE_PRECISION * max(abs(first), abs(second), 1.0):
        return 0.0
    return difference
