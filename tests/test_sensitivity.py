"""How far each shadow price holds (contract v1.1's Sensitivity sheet): ranges worked out by
hand, and on every example checked by moving the right-hand side and solving again."""

import math
from pathlib import Path

import pytest

import pooling
from pooling import families
from pooling.model import build
from pooling.solve import solve
from pooling.synthetic import write_generated

from .helpers import place_sheets
from .helpers import solve as solve_sheets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))


def binding(result, family, **keys):
    (item,) = [
        b for b in result.binding if b.family is family and all(b.info.keys.get(k) == v for k, v in keys.items())
    ]
    return item


def test_ranges_of_a_model_worked_out_by_hand(tmp_path):
    # A grant of 100 (£000). P1 buys 20 units per £1m up to its Max of 60; P2 buys 5, without
    # limit. A unit is worth £1,000. Best: P1 = 60, P2 = 40: 1.2 + 0.2 units, £1,400.
    # The grant's price is P2's yield, £5 per £000, however much more there is (P2 takes
    # it all), and down to 60 (below that the last £000 comes out of P1 at £20): increase
    # unlimited, decrease 40. P1's Max costs 20 - 5 = £15 per £000 of room, until P1 has
    # all 100 (increase 40) or nothing (decrease 60).
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, 60), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
    )
    result = solve_sheets(tmp_path, sheets, solver="highs")
    assert result.objective == pytest.approx(1400.0)
    grant = binding(result, families.STREAM_LIMIT, stream="G")
    assert grant.shadow_price == pytest.approx(5.0)
    assert math.isinf(grant.increase) and grant.decrease == pytest.approx(40.0)
    cap = binding(result, families.PROGRAMME_MAX, programme="P1")
    assert cap.shadow_price == pytest.approx(15.0)
    assert cap.increase == pytest.approx(40.0) and cap.decrease == pytest.approx(60.0)
    assert "for up to £40k more; beyond that, less" in cap.sentence
    assert "however much more" in grant.sentence
    sheet = result.tables.sensitivity.frame.set_index("Constraint")
    assert sheet.loc[cap.info.name, "Allowable increase"] == pytest.approx(40.0)
    assert math.isnan(sheet.loc[grant.info.name, "Allowable increase"])  # blank: no limit


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_ranges_hold_when_the_right_hand_side_moves(path):
    check_ranges_hold(pooling.run(path))


@pytest.mark.parametrize("seed", [1, 4, 7, 10])
def test_ranges_hold_on_generated_places(tmp_path, seed):
    *_, scenario_path = write_generated(tmp_path, seed)
    result = pooling.run(scenario_path, overrides={"solver": "highs"}, allow_nonoptimal=True)
    if result.optimal:
        check_ranges_hold(result, at_least=1)


def check_ranges_hold(result, at_least: int = 2) -> None:
    """For the binding constraints with the largest prices and a finite range, move the
    right-hand side by half the allowable increase (and decrease) and solve again: the
    objective moves by the shadow price times the move."""
    candidates = [
        item
        for item in result.binding
        if abs(item.shadow_price) > 1e-6 and item.increase is not None and item.decrease is not None
    ]
    candidates.sort(key=lambda item: -abs(item.shadow_price))
    checked = 0
    for item in candidates[:4]:
        for move in (item.increase, -item.decrease):
            if math.isinf(move) or abs(move) < 1e-6:
                continue
            step = move / 2
            model = build(result.place, result.scenario)
            model.registry[item.info.name].constraint.constant -= step  # rhs + step
            moved = solve(model, solver="highs")
            expected = result.objective + item.shadow_price * step
            assert moved.objective == pytest.approx(expected, rel=1e-6, abs=1e-6), (item.info.name, step)
            checked += 1
    assert checked >= at_least
