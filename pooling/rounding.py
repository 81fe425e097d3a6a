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
  closest to the unrounded figures, totals first (each to its nearest whenever the
  table allows), which for a single row is largest remainder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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


def controlled_round(
    table: list[list[float]], column_totals: list[int] | None = None
) -> tuple[list[list[int]], list[int], list[int], int]:
    """(cells, row totals, column totals, grand total), all whole numbers, each the
    unrounded figure rounded down or up, with every row and column adding up.

    Values are in rounding units already (multiply £000 by 0.001 for £m, by 10 for
    £m to one decimal...). Negative values are allowed. ``column_totals``, when given,
    are the rounded column totals of another table of the same money (spending and the
    funding that paid for it), each within a unit of this table's: they are kept, so
    that a year's total is one figure in both.
    """
    rows, columns = len(table), len(table[0]) if table else 0
    if rows == 0 or columns == 0:
        return [[] for _ in range(rows)], [0] * rows, [0] * columns, 0
    cells = np.asarray(table, dtype=float)
    figures = np.asarray([*cells.ravel(), *cells.sum(axis=1), *cells.sum(axis=0), cells.sum()])
    floors = np.floor(figures + _EPS)
    fractions = figures - floors
    # One variable per figure: u = 1 rounds it up. Cost (1 − 2 × fraction) is the
    # change of |rounded − figure| when rounding up rather than down.
    count = len(figures)
    n_cells, row_of, column_of, grand = rows * columns, rows * columns, rows * columns + rows, count - 1
    upper = np.where(fractions > _EPS, 1.0, 0.0)  # a whole figure stays as it is
    if column_totals is not None:
        if len(column_totals) != columns or any(
            abs(given - figures[column_of + j]) >= 1.0 for j, given in enumerate(column_totals)
        ):
            raise ValueError("the column totals to keep are not this table's, rounded")
        fixed = [column_of + j for j in range(columns)] + [grand]
        floors[fixed] = [*column_totals, sum(column_totals)]
        upper[fixed] = 0.0
    # Each equation: Σ members' rounded figures (floor + u) = its total's, so Σ ±u = −Σ ±floor.
    equations: list[tuple[list[int], list[float]]] = []
    for i in range(rows):  # the cells of row i, less row total i
        equations.append(([i * columns + j for j in range(columns)] + [row_of + i], [1.0] * columns + [-1.0]))
    for j in range(columns):  # the cells of column j, less column total j
        equations.append(([i * columns + j for i in range(rows)] + [column_of + j], [1.0] * rows + [-1.0]))
    equations.append(([row_of + i for i in range(rows)] + [grand], [1.0] * rows + [-1.0]))
    rhs = [-sum(c * floors[m] for m, c in zip(members, coefficients)) for members, coefficients in equations]

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = count, len(equations)
    # Totals are what a reader checks against the figures elsewhere: each is worth more
    # than every cell together, and the grand total more than every total, so a total is
    # rounded to its nearest whenever the table allows.
    weight = np.ones(count)
    weight[n_cells:grand] = n_cells + 1
    weight[grand] = (n_cells + 1) * (rows + columns + 1)
    lp.col_cost_ = weight * (1.0 - 2.0 * fractions)
    lp.col_lower_ = np.zeros(count)
    lp.col_upper_ = upper
    lp.row_lower_ = lp.row_upper_ = np.array(rhs)
    starts, indices, values = [0], [], []
    for members, coefficients in equations:
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


@dataclass
class MoneyTable:
    """A board table of amounts (rows × years) in one unit, rounded so that every row,
    every column and the grand total add up (``rounding.controlled_round``): the figures
    the Summary sheet and the board paper both print."""

    title: str
    first_header: str  # "Programme" or "Partner"
    years: list[str]
    label: str  # the unit, "£m" or "£000"
    decimals: int
    names: list[str]
    cells: list[list[float]]  # rounded, in the unit
    row_totals: list[float]
    column_totals: list[float]
    total: float
    marks: list[bool] = field(default_factory=list)  # a pooled programme

    @property
    def number_format(self) -> str:
        return "#,##0" if self.decimals == 0 else "#,##0.0"

    def text(self, value: float) -> str:
        """A figure as the table prints it: '1,234.5'."""
        return f"{value:,.{self.decimals}f}"

    def money(self, value: float) -> str:
        """A figure of the table in words' form: '£6,344.9m' or '£95,000k'."""
        return f"£{self.text(value)}{'m' if self.label == '£m' else 'k' if self.label == '£000' else ''}"

    def pooled_total(self) -> float:
        """The rounded total of the marked (pooled) rows."""
        return sum(total for total, pooled in zip(self.row_totals, self.marks) if pooled)

    def chart_bands(self, count: int) -> list[tuple[str, list[float], bool, list[int]]]:
        """The bands of a stacked chart of this table, each (label, values by year, pooled,
        the rows it sums): the pooled rows as one band when some rows are marked (they
        are the point of a pooled budget, and each is too thin to see), the largest
        other rows up to ``count`` bands in all, and the rest as 'Other', so that every
        bar adds up to the table's column total."""
        pooled = [index for index, marked in enumerate(self.marks) if marked]
        others = [index for index in range(len(self.names)) if index not in pooled]
        shown = sorted(others, key=lambda index: -self.row_totals[index])[: count - (1 if pooled else 0)]
        rest = [index for index in others if index not in shown]
        if len(rest) == 1:  # one row is shown as itself, not as 'Other (1)'
            shown, rest = shown + rest, []
        bands = []
        if pooled:
            bands.append((f"Pooled programmes ({len(pooled)}) *", self.sum_rows(pooled), True, pooled))
        bands += [(self.names[index], list(self.cells[index]), False, [index]) for index in sorted(shown)]
        if rest:
            bands.append((f"Other ({len(rest)} {self.first_header.lower()}s)", self.sum_rows(rest), False, rest))
        return bands

    def sum_rows(self, rows: list[int]) -> list[float]:
        """The column sums of the given rows, year by year (rounded figures, so they add)."""
        return [
            round(sum(self.cells[index][column] for index in rows), self.decimals) for column in range(len(self.years))
        ]


@dataclass
class BoardFigures:
    spending: MoneyTable  # by programme and year
    funding: MoneyTable  # by partner and year


def board_figures(result) -> BoardFigures:
    """The board tables of a solved result, rounded once, in one unit chosen by the size of
    its largest programme."""
    years = result.place.year_labels
    allocation = result.tables.allocation.records()[:-1]  # the last row is the Total
    largest = max((abs(row["Total"]) for row in allocation), default=0.0)
    label, factor, decimals = choose_unit(float(largest), result.place.units)
    programmes = result.place.programmes
    spending = _rounded(
        f"Spending by programme and year ({label})",
        "Programme",
        [[f"{row['Name']} ({row['Programme']})", *(row[year] for year in years)] for row in allocation],
        years,
        label,
        factor,
        decimals,
    )
    spending.marks = [bool(programmes[row["Programme"]].pooled) for row in allocation]
    used: dict[tuple[str, str], float] = {}
    for row in result.tables.streams.records():
        key = (row["Partner"], row["Year"])
        used[key] = used.get(key, 0.0) + row["Used"]
    funding = _rounded(
        f"Funding used by partner and year ({label}, savings and freeze grants included)",
        "Partner",
        [
            [partner.name, *(float(used.get((code, year), 0.0)) for year in years)]
            for code, partner in result.place.partners.items()
        ],
        years,
        label,
        factor,
        decimals,
        # Money spent is money used: each year's total is one figure in both tables.
        keep_totals=[round(total * 10**decimals) for total in spending.column_totals],
    )
    return BoardFigures(spending, funding)


def _rounded(title, first_header, records, years, label, factor, decimals, keep_totals=None) -> MoneyTable:
    scale = factor * 10**decimals
    cells, row_totals, column_totals, total = controlled_round(
        [[value * scale for value in values] for _, *values in records], keep_totals
    )
    unit = 10**decimals
    return MoneyTable(
        title,
        first_header,
        list(years),
        label,
        decimals,
        [name for name, *_ in records],
        [[value / unit for value in row] for row in cells],
        [value / unit for value in row_totals],
        [value / unit for value in column_totals],
        total / unit,
    )
