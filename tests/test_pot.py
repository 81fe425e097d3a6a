"""The pot form of the model (pooled money through one pot a year, ``model.build``'s
default) is the contract's arc form written smaller: same status, objective, plan (spend
of every programme and year) and Flows, on every example scenario and on the oracle's
generated places."""

import dataclasses
from pathlib import Path

import pytest

import pooling
from pooling.families import POT
from pooling.model import Arc, build
from pooling.rule import reported_plan
from pooling.scenario import scenario_from_dict
from pooling.solve import solve
from pooling.synthetic import write_generated

from .helpers import place_sheets, write_sheets

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def _both_forms(place, scenario):
    """(model, its stage-1 value, its reported plan) in the pot form and in the arc form."""
    solved = []
    for form in ("pot", "arcs"):
        model = build(place, scenario, form=form)
        value = solve(model, solver="highs")
        solved.append((model, value, reported_plan(model, value) if value.optimal else value))
    return solved


def _assert_same(place, scenario):
    (pot, pot_value, pot_plan), (arcs, arc_value, arc_plan) = _both_forms(place, scenario)
    assert pot_value.status == arc_value.status
    if not arc_value.optimal:
        return
    assert pot_value.objective == pytest.approx(arc_value.objective, rel=1e-9, abs=1e-9)
    assert pot_plan.plan_value == pytest.approx(arc_plan.plan_value, rel=1e-8, abs=1e-8)
    size = max([1.0, *(abs(amount) for amount in arc_plan.values.values())])
    assert set(pot.spend) == set(arcs.spend)
    for programme, t in arcs.spend:
        assert pot.spent(pot_plan, programme, t) == pytest.approx(
            arcs.spent(arc_plan, programme, t), rel=1e-6, abs=1e-7 * size
        ), (programme, t)
    assert list(pot.flows) == list(arcs.x), "the Flows' arcs, in the same order"
    for key, variable in arcs.x.items():
        assert pot_plan.value(pot.flows[key]) == pytest.approx(arc_plan.value(variable), rel=1e-6, abs=1e-7 * size), key


def _two_partners(tmp_path, ring_fence: str | None = None, pooling_: str = "pooled", ring_fencing: str = "removed"):
    """Two partners, A with two poolable streams, B with one; two pooled programmes of each
    and one own, not pooled, programme of A's; one year. B's first programme buys the most."""
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[
            ("A1", "A", "grant", 60, "yes", ring_fence),
            ("A2", "A", "fees", 30, "yes", None),
            ("B1", "B", "grant", 40, "yes", None),
        ],  # fmt: skip
        programmes=[
            ("PA1", "A", "yes", 0, None, None),
            ("PA2", "A", "yes", 0, None, None),
            ("PA3", "A", "no", 0, None, None),
            ("PB1", "B", "yes", 0, None, None),
            ("PB2", "B", "yes", 0, None, None),
        ],  # fmt: skip
        outcomes=[("O", 1000, None, None)],
        effects=[("PB1", "O", 10, None), ("PA1", "O", 5, None)],
    )
    path = write_sheets(tmp_path / "two.xlsx", sheets)
    scenario = scenario_from_dict(
        {"name": "two", "workbook": str(path), "pooling": pooling_, "ring_fencing": ring_fencing}
    )
    place, _ = pooling.load(path)
    return place, scenario


def test_pooled_money_between_partners_goes_through_the_pot(tmp_path):
    """Worked by hand: in the arc form each stream has an arc to each programme it may fund:
    A1, A2 → PA1, PA2, PA3 (own) and PB1, PB2 (pooled, across): 5 each; B1 → PB1, PB2 (own)
    and PA1, PA2 (across): 4; 14 arcs. The pot form keeps the 8 own arcs, and the 6 across
    become what A1, A2 and B1 put in (3) and what PA1, PA2, PB1 and PB2 take out (4): S + P
    columns a year in place of S × P as places grow."""
    place, scenario = _two_partners(tmp_path)
    pot, arcs = build(place, scenario), build(place, scenario, form="arcs")
    assert len(arcs.x) == 14
    assert len(pot.x) == 8
    assert sorted(stream for stream, _ in pot.pot_in) == ["A1", "A2", "B1"]
    assert sorted(programme for programme, _ in pot.pot_out) == ["PA1", "PA2", "PB1", "PB2"]
    assert [info.family for info in pot.registry.values()].count(POT) == 1
    assert sum(isinstance(variable, Arc) for variable in pot.flows.values()) == 6
    assert all(variable.name == arcs.x[key].name for key, variable in pot.flows.items())


def test_the_plan_through_the_pot_by_hand(tmp_path):
    """PB1 buys 10 units per £1m, PA1 5, the rest nothing, no limits: all £130k goes to PB1,
    1.3 units worth £1,300. Stage 3 has B fund it first (B1's 40 stays B's own), and A's 90
    crosses: x[A1,PB1] = 60, x[A2,PB1] = 30, nothing else. (Stage 2 may move up to
    ε = 1e-7 × 1,300 of value, £13 of spend, towards a programme's baseline of 0.)"""
    place, scenario = _two_partners(tmp_path)
    pot = build(place, scenario)
    value = solve(pot, solver="highs")
    plan = reported_plan(pot, value)
    assert value.objective == pytest.approx(1300.0, rel=1e-9)
    near = lambda amount: pytest.approx(amount, abs=0.013)  # noqa: E731 (£13 in £000)
    flows = {key: plan.value(variable) for key, variable in pot.flows.items()}
    assert flows[("A1", "PB1", 1)] == near(60.0)
    assert flows[("A2", "PB1", 1)] == near(30.0)
    assert flows[("B1", "PB1", 1)] == near(40.0)
    assert sum(abs(amount) for amount in flows.values()) == pytest.approx(130.0, rel=1e-9)
    assert plan.value(pot.pot_in[("A1", 1)]) == near(60.0)
    assert plan.value(pot.pot_out[("PB1", 1)]) == near(90.0)
    assert pot.spent(plan, "PB1", 1) == near(130.0)


def test_a_kept_ring_fence_keeps_its_streams_arcs(tmp_path):
    """A1 is ring-fenced to PB1 and the scenario keeps it: its 5 arcs stay explicit, so the
    ring-fence row is the contract's (Σ_{p ≠ PB1} x[A1,p] ≤ 0); A2 and B1 still pool."""
    place, scenario = _two_partners(tmp_path, ring_fence="PB1", ring_fencing="kept")
    pot = build(place, scenario)
    assert sorted(programme for stream, programme, _ in pot.x if stream == "A1") == ["PA1", "PA2", "PA3", "PB1", "PB2"]
    assert sorted(stream for stream, _ in pot.pot_in) == ["A2", "B1"]
    _assert_same(place, scenario)


def test_silo_has_no_pot(tmp_path):
    place, scenario = _two_partners(tmp_path, pooling_="silo")
    pot = build(place, scenario)
    assert not pot.pot_in and not pot.pot_out
    assert pot.flows is pot.x


def test_the_pot_form_is_smaller_on_the_example():
    scenario = pooling.read_scenario(ROOT / "scenarios" / "sr2010-pooled.toml")
    place, _ = pooling.load(scenario.workbook)
    pot, arcs = build(place, scenario), build(place, scenario, form="arcs")
    assert len(pot.columns) < len(arcs.columns)
    assert len(pot.flows) == len(arcs.x)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_the_pot_form_gives_the_arc_forms_answer_on_the_example(path):
    scenario = pooling.read_scenario(path)
    place, _ = pooling.load(scenario.workbook)
    _assert_same(place, scenario)


@pytest.mark.parametrize("seed", range(24))
def test_the_pot_form_gives_the_arc_forms_answer_on_generated_places(tmp_path, seed):
    _, _, _, path = write_generated(tmp_path, seed, messy=True, shuffle_effects=seed % 3 == 0)
    scenario = pooling.read_scenario(path)
    place, _ = pooling.load(scenario.workbook)
    _assert_same(place, scenario)


def test_the_pot_form_under_a_coalition():
    """Three of the example's partners pool, the others keep to their own programmes."""
    scenario = pooling.read_scenario(ROOT / "scenarios" / "sr2010-pooled.toml")
    place, _ = pooling.load(scenario.workbook)
    coalition = dataclasses.replace(scenario, coalition=tuple(list(place.partners)[:3]))
    pot = build(place, coalition)
    assert {pot.stream(stream).partner for stream, _ in pot.pot_in} <= set(coalition.coalition)
    _assert_same(place, coalition)
