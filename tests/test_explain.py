"""The words of the explanation, pinned on a small model worked out by hand."""

import pytest

from pooling.explain import statements
from pooling.scenario import SOLVERS

from .helpers import place_sheets, solve

# One council, A: council tax 100 (frozen: freeze grant 2.5% = 2.5) and a grant G of 50,
# £152.5k in all. P1 buys 20 units per £1m but may take at most 60; P2 buys 5 per £1m.
# Outcome O is worth £1,000 a unit, with a target of 2 and a penalty of £2,000 a unit
# short. P1 gets 60 (1.2 units), P2 the other 92.5 (0.4625 units): 1.6625 units, short
# by 0.3375. Objective 1,662.5 − 2,000 × 0.3375 = £987.50.
# One more £1,000 goes to P2: 0.005 units, each worth £1,000 and £2,000 less penalty:
# £15. £1,000 more room in P1 moves £1,000 from P2 to P1: 0.015 units × £3,000 = £45.
# P1's own £1,000 is worth 0.02 × £3,000 = £60; the best other use, P2, £15.
# How far the prices hold: £15 for more money until the target is met, 0.3375 / 0.005 =
# £67.5k more (then only the £5 of outcome value); £45 for more room in P1 until the
# target is met, 0.3375 / 0.015 = £22.5k (before P2 would reach its Min of 40, £52.5k).
SHEETS = place_sheets(
    partners=[("A", "council", None, None)],
    funding=[("CT", "A", "council tax", 100, None, None), ("G", "A", "grant", 50, None, None)],
    programmes=[("P1", "A", "no", 0, None, 60), ("P2", "A", "no", 0, 40, None)],
    outcomes=[("O", 1000, 2, 2000)],
    effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
)


@pytest.fixture(scope="module", params=list(SOLVERS))
def result(tmp_path_factory, request):
    return solve(tmp_path_factory.mktemp("explain"), SHEETS, solver=request.param)


def test_objective(result):
    assert result.objective == pytest.approx(987.5)


def test_sentences_of_the_binding_constraints(result):
    sentences = {statement.subject: statement.sentence for statement in result.statements}
    assert sentences == {
        "council tax of Partner A (CT), frozen at £100k,": (
            "Council tax of Partner A (CT), frozen at £100k, is fully used in 2011/12: "
            "£1,000 more would buy £15 of outcome value (present value), for up to £67.5k more; beyond that, less."
        ),
        "stream G (grant) of Partner A": (
            "Stream G (grant) of Partner A is fully used in 2011/12: £1,000 more would buy £15 of outcome value "
            "(present value), for up to £67.5k more; beyond that, less."
        ),
        "the council tax freeze grant to Partner A": (
            "The council tax freeze grant to Partner A is fully used in 2011/12: "
            "£1,000 more would buy £15 of outcome value (present value), for up to £67.5k more; beyond that, less."
        ),
        "the maximum of Programme P1 (P1)": (
            "Programme P1 (P1) is at its maximum of £60k in 2011/12: "
            "£1,000 more room would buy £45 of outcome value (present value), for up to £22.5k more; beyond that, less."
        ),
        "the target for Outcome O (O)": (
            "Outcome O (O) misses its target in 2011/12, by up to 0.34: "
            "each unit short costs the penalty of £2,000 (before discounting)."
        ),
    }
    # Most valuable first: the penalty (£2,000 a unit), then P1's maximum (£45).
    assert [s.subject for s in result.statements[:2]] == [
        "the target for Outcome O (O)",
        "the maximum of Programme P1 (P1)",
    ]


def test_why_a_programme_sits_at_its_limit(result):
    (position,) = result.positions
    assert position.programme == "P1" and position.position == "at its maximum"
    assert position.own_value == pytest.approx(60.0)
    assert position.other_use == pytest.approx(15.0)
    assert position.sentence == (
        "Programme P1 (P1) is at its maximum of £60k in 2011/12: its next £1,000 would buy £60 of outcome value, "
        "against £15 for the money's best other use: more room would gain £45 per £1,000 (present value)."
    )


def test_input_cells_carry_the_statements(result):
    notes = result.notes
    assert notes["Programmes!G2"].startswith("Programme P1 (P1) is at its maximum of £60k in 2011/12")
    # The council tax Base sets both the stream and the freeze grant: two lines.
    assert notes["Funding!D2"].count("\n") == 1
    assert "Outcomes!E2" in notes


def test_a_programme_that_gets_nothing_says_what_it_would_lose(tmp_path):
    # P2 buys 5 per £1m against P1's 20, with no limits: P2 gets nothing, and a first
    # £1,000 for it would lose (20 − 5) / 1000 × £1,000 = £15 of outcome value.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, None), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
    )
    for solver in SOLVERS:
        result = solve(tmp_path, sheets, solver=solver)
        (position,) = result.positions
        assert position.sentence == (
            "Programme P2 (P2) gets nothing in 2011/12: a first £1,000 for it would cost £15 of outcome value "
            "against where the money goes now (present value)."
        )


def test_statements_group_the_years(tmp_path):
    # Two years, no discounting, the same grant each year, P capped at 60: the cap binds
    # in both years and the statement says so once. More room holds its price until P1
    # has all 100: £40k more.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, 60), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
        years=2,
    )
    result = solve(tmp_path, sheets)
    found = [
        s for s in statements(result.model, result.solution, result.binding) if s.family.name == "programme maximum"
    ]
    assert [s.sentence for s in found] == [
        "Programme P1 (P1) is at its maximum of £60k in every year: "
        "£1,000 more room in 2011/12 would buy £15 of outcome value (present value), for up to £40k more; "
        "beyond that, less."
    ]


def test_a_target_set_by_a_year_column_is_explained_on_that_cell(tmp_path):
    # £100k a year buys 20 × 100 / 1000 = 2 units. The target is 3 (Outcomes!E2) in
    # 2011/12 and 4 in 2012/13 (the year column, Outcomes!G2): short by 1, then by 2.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 3, 2000)],
        effects=[("P1", "O", 20, None)],
        years=2,
        target_years={"2012/13": {"O": 4}},
    )
    result = solve(tmp_path, sheets)
    assert "misses its target in 2011/12, by up to 1:" in result.notes["Outcomes!E2"]
    assert "misses its target in 2012/13, by up to 2:" in result.notes["Outcomes!G2"]
    assert "2012/13" not in result.notes["Outcomes!E2"]


def test_least_cost_prices_below_a_workbook_unit_are_still_quoted(tmp_path):
    # In £m, 1,000 units per £1m: each unit of the target of 50 costs £1m / 1,000 =
    # £1,000, a thousandth of the workbook unit but no rounding error.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 50, None)],
        effects=[("P1", "O", 1000, None)],
        units="£m",
    )
    result = solve(tmp_path, sheets, objective="least-cost")
    assert result.objective == pytest.approx(0.05)
    (target,) = [s for s in result.statements if s.family.name == "target"]
    # The price holds until the £100m is spent: 100 × 1,000 = 100,000 units, 99,950 more.
    assert "would add £1,000 of spending (present value), for up to 99,950 units more" in target.sentence
    assert target.worth == pytest.approx(0.001)


def test_statements_are_ordered_by_what_a_step_of_each_is_worth(result):
    # A target one unit higher is one more unit short: the £2,000 penalty. P1's maximum
    # is worth £45 a £1,000 step, each stream £15.
    worth = [statement.worth for statement in result.statements]
    assert worth == pytest.approx([2000.0, 45.0, 15.0, 15.0, 15.0])
