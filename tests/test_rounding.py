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
