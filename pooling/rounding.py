"""Rounding for board tables: rounded figures that still add up to the rounded totals.

A board paper shows £000 or £m. Rounding every figure on its own breaks the sums
(three thirds rounded are 0 + 0 + 0 but their total rounds to 1). Two methods:

* :func:`largest_remainder` for a list with a total: round every figure down, then give
  the units still missing to the figures with the largest remainders.
* :func:`controlled_round` for a table with row totals, column totals and a grand
  total: every cell and every total is rounded down or up to a whole unit, so that
  each row and each column of rounded cells adds up to its rounded total. The choice
  is a small network problem (a transportation problem with bounds 0 or 1 on each
  rounding up), so a solution always exists (the unrounded table is a fractional one)
  and the simplex method finds one in whole units; among them it takes the one
  closest to the unrounded figures, which for a single row is largest remainder.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from .solve import new_highs

_EPS = 1e-9


def largest_remainder(values: list[float], total: int | None = None) -> list[int]:
    """Whole numbers, each the value rounded down or up, that add up to ``total``
    (the rounded sum of the values, by default)."""
    if total is None:
        total = round(sum(values))
    floors = [math.floor(value + _EPS) for value in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    if not 0 <= missing <= len(values):
        raise ValueError(f"{total} cannot be reached by rounding {len(values)} values")
    result = list(floors)
    for i in order[:missing]:
        result[i] += 1
    return result


def controlled_round(table: list[list[float]]) -> tuple[list[list[int]], list[int], list[int], int]:
    """(cells, row totals, column totals, grand total), all whole numbers, each the
    unrounded figure rounded down or up, with every row and column adding up.

    Values are in rounding units already (multiply £000 by 0.001 for £m, by 10 for
    £m to one decimal...). Negative values are allowed.
    """
    rows, columns = len(table), len(table[0]) if table else 0
    if rows == 0 or columns == 0:
        return [[] for _ in range(rows)], [0] * rows, [0] * columns, 0
    cells = np.asarray(table, dtype=float)
    figures = [*cells.ravel(), *cells.sum(axis=1), *cells.sum(axis=0), cells.sum()]
    floors = np.floor(np.asarray(figures) + _EPS)
    fractions = np.asarray(figures) - floors
    # One variable per figure: u = 1 rounds it up. Cost (1 − 2 × fraction) is the
    # change of |rounded − figure| when rounding up rather than down.
    count = len(figures)
    n_cells, row_of, column_of, grand = rows * columns, rows * columns, rows * columns + rows, count - 1
    equations: list[tuple[list[int], list[float], float]] = []
    for i in range(rows):  # cells of row i − row total i = 0 (in floors plus ups)
        members = [i * columns + j for j in range(columns)]
        rhs = floors[row_of + i] - sum(floors[m] for m in members)
        equations.append((members + [row_of + i], [1.0] * columns + [-1.0], rhs))
    for j in range(columns):
        members = [i * columns + j for i in range(rows)]
        rhs = floors[column_of + j] - sum(floors[m] for m in members)
        equations.append((members + [column_of + j], [1.0] * rows + [-1.0], rhs))
    members = [row_of + i for i in range(rows)]
    equations.append((members + [grand], [1.0] * rows + [-1.0], floors[grand] - sum(floors[m] for m in members)))

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = count, len(equations)
    lp.col_cost_ = 1.0 - 2.0 * fractions
    lp.col_lower_ = np.zeros(count)
    lp.col_upper_ = np.where(fractions > _EPS, 1.0, 0.0)  # a whole figure stays as it is
    lp.row_lower_ = lp.row_upper_ = np.array([rhs for _, _, rhs in equations])
    starts, indices, values = [0], [], []
    for members, coefficients, _ in equations:
        indices += members
        values += coefficients
        starts.append(len(indices))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(values, dtype=float)
    highs = new_highs()
    highs.setOptionValue("solver", "simplex")  # a vertex: whole numbers on this network
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ArithmeticError("controlled rounding found no solution")
    ups = np.rint(np.asarray(highs.getSolution().col_value)).astype(int)
    rounded = (floors + ups).astype(int)
    result = rounded[:n_cells].reshape(rows, columns).tolist()
    row_totals = rounded[row_of : row_of + rows].tolist()
    column_totals = rounded[column_of : column_of + columns].tolist()
    total = int(rounded[grand])
    if (
        any(sum(r) != t for r, t in zip(result, row_totals))
        or any(sum(result[i][j] for i in range(rows)) != column_totals[j] for j in range(columns))
        or sum(row_totals) != total
    ):
        raise ArithmeticError("controlled rounding did not add up")  # never expected: a guard
    return result, row_totals, column_totals, total


def choose_unit(largest: float, units: str) -> tuple[str, float, int]:
    """(label, factor, decimals) for a board table of amounts in the workbook's unit:
    £m to one decimal when the largest figure is £100m or more, else £000."""
    pounds = largest * {"£": 1.0, "£000": 1_000.0, "£m": 1_000_000.0}[units]
    in_thousands = {"£": 0.001, "£000": 1.0, "£m": 1_000.0}[units]
    if pounds >= 100_000_000:
        return "£m", in_thousands / 1_000.0, 1
    return "£000", in_thousands, 0
