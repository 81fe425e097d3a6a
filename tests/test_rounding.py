"""Rounded board tables add up exactly, and every figure is its value rounded down or up."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pooling.rounding import controlled_round, largest_remainder

AMOUNTS = st.floats(min_value=-1e6, max_value=1e7, allow_nan=False, allow_infinity=False)


def test_largest_remainder_by_hand():
    # Thirds: 0.333 each, total 1: the first (all remainders equal, earliest first) gets it.
    assert largest_remainder([1 / 3, 1 / 3, 1 / 3]) == [1, 0, 0]
    # 2.6 + 3.3 + 4.1 = 10: floors 2 + 3 + 4 = 9, one unit to the largest remainder (0.6).
    assert largest_remainder([2.6, 3.3, 4.1]) == [3, 3, 4]


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=30))
def test_largest_remainder_adds_up(values):
    rounded = largest_remainder(values)
    assert sum(rounded) == round(sum(values))
    for value, whole in zip(values, rounded):
        assert math.floor(value + 1e-9) <= whole <= math.floor(value + 1e-9) + 1


def test_controlled_rounding_by_hand():
    # Row sums 1.5 and 1.5, column sums 1.0 and 2.0, total 3: naive rounding gives
    # 1 + 1 = 2 in the second column against a total of 2... and rows 1 + 1 against 2
    # and 2: here every cell is .5, and the table still adds up.
    cells, rows, columns, total = controlled_round([[0.5, 1.0], [0.5, 1.0]])
    assert total == 3
    assert [sum(row) for row in cells] == rows
    assert [cells[0][j] + cells[1][j] for j in range(2)] == columns
    assert columns == [1, 2]


@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda rows: st.integers(min_value=1, max_value=6).flatmap(
            lambda columns: st.lists(
                st.lists(AMOUNTS, min_size=columns, max_size=columns), min_size=rows, max_size=rows
            )
        )
    )
)
def test_controlled_rounding_adds_up_on_random_tables(table):
    cells, row_totals, column_totals, total = controlled_round(table)
    for row, rounded_row, row_total in zip(table, cells, row_totals):
        assert sum(rounded_row) == row_total
        assert _adjacent(sum(row), row_total)
        for value, whole in zip(row, rounded_row):
            assert _adjacent(value, whole)
    for j, column_total in enumerate(column_totals):
        assert sum(row[j] for row in cells) == column_total
        assert _adjacent(sum(row[j] for row in table), column_total)
    assert sum(row_totals) == sum(column_totals) == total
    assert _adjacent(sum(map(sum, table)), total)


def _adjacent(value: float, whole: int) -> bool:
    """``whole`` is ``value`` rounded down or up (to floating-point tolerance)."""
    return math.floor(value + 1e-6) - 1e-9 <= whole <= math.ceil(value - 1e-6) + 1e-9 or whole == pytest.approx(value)


def test_kept_column_totals_are_kept_and_the_cells_still_add_up():
    # Spending and the funding that paid for it: the same money, so each year's rounded
    # total must be one figure in both. Columns of 0.7 round to 1 on their own; kept at 0
    # and 1 (each a rounding, down or up, of 0.7) the cells follow.
    table = [[0.4, 0.4], [0.3, 0.3]]
    cells, row_totals, column_totals, total = controlled_round(table, column_totals=[0, 1])
    assert column_totals == [0, 1] and total == 1
    assert [sum(row) for row in cells] == row_totals
    assert [cells[0][0] + cells[1][0], cells[0][1] + cells[1][1]] == [0, 1]
    for row, figures in zip(cells, table):
        for rounded, figure in zip(row, figures):
            assert rounded in (math.floor(figure), math.ceil(figure))
    with pytest.raises(ValueError, match="not this table's"):
        controlled_round(table, column_totals=[2, 1])  # 2 is no rounding of 0.7


def test_a_total_is_rounded_to_its_nearest_when_the_table_allows():
    # One row of 0.3 and 0.3: the total 0.6 reads 1 to anyone who rounds it. Weighing every
    # figure alike, rounding all down is closest (rounding a cell up costs 0.4 in the cell and
    # 0.4 in its column, and gains 0.2 in the row and 0.2 in the grand total); the totals come
    # first, so one cell goes up and the total is 1.
    cells, row_totals, column_totals, total = controlled_round([[0.3, 0.3]])
    assert total == 1 and row_totals == [1] and sorted(cells[0]) == [0, 1] and sorted(column_totals) == [0, 1]
