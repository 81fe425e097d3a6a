"""Switching values (Green Book 2020, 5.60-5.61): found by solving again, and checked by
solving just inside and just beyond each."""

import pytest

import pooling

from .helpers import place_sheets, write_sheets


def sheets(p1_rate: float = 20.0):
    # A grant of 100 (£000). P1 buys 20 units per £1m up to its Max of 60; P2 buys 5,
    # without limit. The plan: P1 = 60, P2 = 40. P1's extra funding is worth something while
    # its yield beats P2's: 20 f > 5, so f > 0.25: its switching value is 25% of the
    # evidence, a fall of 75%. P2 takes money nothing else can use (P1 is full): it stays
    # funded as long as it has any effect at all.
    return place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, 60), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", p1_rate, None), ("P2", "O", 5, None)],
    )


def run(tmp_path, name: str, p1_rate: float = 20.0, switching: bool = False):
    path = write_sheets(tmp_path / f"{name}.xlsx", sheets(p1_rate))
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(f'name = "{name}"\nworkbook = "{path.name}"\n', encoding="utf-8")
    return pooling.run(scenario, switching=switching)


def test_switching_values_worked_out_by_hand_switch_just_beyond_them(tmp_path):
    result = run(tmp_path, "evidence", switching=True)
    found = {item.programme: item for item in result.switching}
    assert found["P1"].switching == pytest.approx(0.25, abs=0.001)
    assert found["P1"].change == pytest.approx(-0.75, abs=0.001)
    assert "unless its effect is 75% smaller than the evidence says" in found["P1"].what
    assert found["P2"].switching <= 0.01 and "any effect at all" in found["P2"].what
    assert found["P1"].cells == ("Effects!C2",)
    # Just inside (the yield 5% above the switching value) P1 keeps its 60; just beyond
    # (5% below) the plan moves its money to P2.
    inside = run(tmp_path, "inside", 20 * 0.25 * 1.05)
    beyond = run(tmp_path, "beyond", 20 * 0.25 * 0.95)
    # (To the plan rule's ε: with yields 5.25 and 5 the band lets £0.2 move between them.)
    assert inside.model.spent(inside.solution, "P1", 1) == pytest.approx(60.0, abs=1e-3)
    assert beyond.model.spent(beyond.solution, "P1", 1) == pytest.approx(0.0, abs=1e-3)
    # The Summary says the most telling one in words, and the sheet and --json carry them all.
    assert any("What would change the plan: Programme P1 (P1) stays funded" in line for line in result.headline())
    assert len(result.tables.switching) == 2
    assert {item["input"] for item in result.to_dict()["switching_values"]} == {
        "effect rate of Programme P1 (P1)",
        "effect rate of Programme P2 (P2)",
    }


def test_a_programme_at_its_minimum_switches_when_its_effect_is_large_enough(tmp_path):
    # With P1 uncapped at 20 per £1m, P2 at 12 gets nothing (its minimum, 0) until its
    # yield passes P1's: 12 f > 20, f > 1.667, a rise of 67%.
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, None), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 12, None)],
    )
    path = write_sheets(tmp_path / "min.xlsx", base)
    (tmp_path / "min.toml").write_text(f'name = "m"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "min.toml", switching=True)
    found = {item.programme: item for item in result.switching}
    assert found["P2"].switching == pytest.approx(20 / 12, abs=0.002)
    assert "would get more than its minimum if its effect were 67% larger" in found["P2"].what


def test_a_streams_annual_change_switches_where_a_target_is_first_missed(tmp_path):
    # A grant of 100 (£000) falling 10% a year buys 10 units per £1m: (1 + r) units in the
    # year against a target of 0.85. The target is met while 1 + r ≥ 0.85: the switching
    # rate is −15%, within the range searched (−20% to −10%, twice the scenario's change).
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 0.85, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "cut.xlsx", base)
    (tmp_path / "cut.toml").write_text(
        f'name = "cut"\nworkbook = "{path.name}"\n[change]\nsource = {{ grant = -0.10 }}\n', encoding="utf-8"
    )
    result = pooling.run(tmp_path / "cut.toml", switching=True)
    (item,) = [item for item in result.switching if item.kind == "change"]
    assert item.value == pytest.approx(-0.10)
    assert item.switching == pytest.approx(-0.15, abs=0.0001)  # 0.1% of the input
    assert item.change == pytest.approx(-0.5, abs=0.002)
    assert "falls by more than 15.0% a year (the scenario has a fall of 10.0%)" in item.what
    assert any(
        "What would change the plan: Every yearly target is still met unless" in line for line in result.headline()
    )


@pytest.mark.parametrize("seed", [2, 5, 11])
def test_switching_values_hold_against_the_independent_implementation(tmp_path, seed):
    # On generated places: for each programme whose switching value lies inside the range,
    # the oracle (tests/oracle.py, written from the contract alone) solves the value LP with
    # the programme's effects at 1.05 and 0.95 of the switching value, free and held at its
    # minimum: funding it above its minimum is worth more than the rule's ε just inside,
    # and no more than ε just beyond.
    import copy

    from .oracle import oracle_solve, oracle_value_held
    from .synthetic import write_generated, write_workbook

    sheets, _, levers, scenario_path = write_generated(tmp_path, seed)
    result = pooling.run(scenario_path, overrides={"solver": "highs"}, allow_nonoptimal=True, switching=True)
    if not result.optimal:
        return
    maximise = result.scenario.objective == "outcomes"
    for item in [i for i in result.switching if i.kind == "effect" and i.telling and i.switching < 1][:2]:
        floor = result.place.programmes[item.programme].min or 0.0
        for factor, worth in ((1.05, True), (0.95, False)):
            scaled = copy.deepcopy(sheets)
            for row in scaled["Effects"]:
                if row["Programme"] == item.programme:
                    for column in ("Per £m", "Low", "High"):
                        if row.get(column) is not None:
                            row[column] = row[column] * item.switching * factor
            path = tmp_path / f"scaled-{item.programme}-{factor}.xlsx"
            write_workbook(scaled, path)
            _, free = oracle_solve(path, levers)
            held = oracle_value_held(path, levers, item.programme, floor)
            margin = free - held if maximise else held - free
            assert (margin > 1e-7 * max(abs(free), 1.0)) == worth, (item.programme, item.switching, factor, margin)


def test_a_savings_rate_switches_where_a_target_is_first_missed(tmp_path):
    # A spends 60 a year on P (10 units per £1m): 0.6 units in 2011/12, its target. In
    # 2012/13 the target is 0.7, which needs 70: the 10 more come from the cashable saving of
    # £25,000 a unit on 2011/12's 0.6 units, £15k. The target holds while 25,000 g × 0.6 /
    # 1,000 ≥ 10, g ≥ 2/3: the switching value is £16,667, a third smaller.
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 60, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 0.6, None)],
        effects=[("P", "O", 10, None)],
        savings=[("O", "A", 25000, 1, 1)],
        years=2,
        target_years={"2012/13": {"O": 0.7}},
    )
    path = write_sheets(tmp_path / "save.xlsx", base)
    (tmp_path / "save.toml").write_text(f'name = "save"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "save.toml", switching=True)
    (item,) = [item for item in result.switching if item.kind == "saving"]
    assert item.switching == pytest.approx(25000 * 2 / 3, rel=0.002)
    assert item.change == pytest.approx(-1 / 3, abs=0.002)
    assert item.cells == ("Savings!C2",)
    assert "is 33% smaller than the evidence says" in item.what


def test_a_freeze_grant_rate_switches_where_a_target_is_first_missed(tmp_path):
    # Council tax of 100 (£000), frozen, with the council freeze grant of 2.5%: 102.5 a year
    # at 10 units per £1m, 1.025 units, against a target of 1.02. The target holds while
    # 100 + 100 r ≥ 102, r ≥ 2%: the switching value of the 2.5% rate is 2%.
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("CT", "A", "council tax", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.02, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "freeze.xlsx", base)
    (tmp_path / "freeze.toml").write_text(f'name = "f"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "freeze.toml", switching=True)
    found = {item.input: item for item in result.switching if item.kind == "limit"}
    council = found["freeze grant rate for council partners"]
    assert council.value == pytest.approx(0.025)
    assert council.switching == pytest.approx(0.02, abs=0.025 * 0.001)
    assert "falls below 2.00% (it is 2.50%)" in council.what
