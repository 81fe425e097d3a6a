"""Switching values (Green Book 2020, 5.60-5.61): found by solving again, and checked by
solving just inside and just beyond each."""

import functools
from pathlib import Path

import pytest

import pooling
from pooling.switching import PRECISION

from .helpers import OUTCOME_COLUMNS, place_sheets, write_sheets

SCENARIO = Path(__file__).parent.parent / "scenarios" / "sr2010-pooled.toml"


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

    from pooling.synthetic import write_generated, write_workbook

    from .oracle import oracle_solve, oracle_value_held

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
            if free is None or held is None:
                # No plan at all: nothing to fund above a minimum in. No plan with it held at
                # its minimum: it is needed there.
                assert (free is not None) == worth, (item.programme, item.switching, factor, free, held)
                continue
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


def test_every_programmes_effect_together_switches_where_a_target_is_first_missed(tmp_path):
    # As in sheets(): P1 60 at 20 per £1m and P2 40 at 5 give 1.2 + 0.2 = 1.4 units. With a
    # target of 1.05 and every effect scaled by f, the target holds while 1.4 f ≥ 1.05:
    # f ≥ 0.75, a quarter smaller. (Money cannot buy more: P1 is full, P2 has the rest.)
    base = sheets()
    base["Outcomes"][1][OUTCOME_COLUMNS.index("Target")] = 1.05
    path = write_sheets(tmp_path / "all.xlsx", base)
    (tmp_path / "all.toml").write_text(f'name = "all"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "all.toml", switching=True)
    (item,) = [item for item in result.switching if item.kind == "effects"]
    assert item.switching == pytest.approx(0.75, abs=0.001)
    assert item.targets == pytest.approx(0.75, abs=0.001) and item.dividend is None
    assert item.cells == ("Effects!C2:C3",)
    assert "unless every programme's effect is 25% smaller than the evidence says" in item.what


def test_a_scenario_rate_over_several_streams_switches_with_them_all(tmp_path):
    # Two grants of 100 (£000), both falling 10% a year by change.source.grant, buy 10 units
    # per £1m: 200 (1 + r) × 10 / 1,000 = 2 (1 + r) units against a target of 1.72. Together
    # they may fall to r = −14%; G1 alone (G2 at −10%, 90) to 100 (1 + r) + 90 ≥ 172, r = −18%.
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G1", "A", "grant", 100, None, None), ("G2", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.72, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "key.xlsx", base)
    (tmp_path / "key.toml").write_text(
        f'name = "key"\nworkbook = "{path.name}"\n[change]\nsource = {{ grant = -0.10 }}\n', encoding="utf-8"
    )
    result = pooling.run(tmp_path / "key.toml", switching=True)
    found = {item.programme: item for item in result.switching if item.kind in ("key", "change")}
    assert found["change.source.grant"].switching == pytest.approx(-0.14, abs=0.0001)
    assert found["change.source.grant"].cells == ("scenario: change.source.grant",)
    assert "every grant stream falls by more than 14.0% a year" in found["change.source.grant"].what
    assert found["G1"].switching == pytest.approx(-0.18, abs=0.0001)
    assert found["G2"].switching == pytest.approx(-0.18, abs=0.0001)


def pool_sheets(b_pool_max: float):
    # A (grant 100) must pool at least 20%; its own programme PA buys 20 units per £1m, the
    # pooled programme Q 10. B (grant 100) may pool up to m; its own PB buys 5. Value 1,000
    # a unit, so each £1,000 at ρ per £1m is worth ρ.
    #   silo:   A 100 × 20 + B 100 × 5 = 2,500;
    #   pooled: A 80 × 20 + 20 × 10 + B (100 m × 10 + 100 (1 − m) × 5) = 2,300 + 500 m.
    # Pooling beats silo while m > 0.4: B's Pool max % of 80% may fall by half.
    return place_sheets(
        partners=[("A", "council", 0.2, None), ("B", "police", None, b_pool_max)],
        funding=[("GA", "A", "grant", 100, "yes", None), ("GB", "B", "grant", 100, "yes", None)],
        programmes=[
            ("PA", "A", "no", 0, None, None),
            ("PB", "B", "no", 0, None, None),
            ("Q", "A", "yes", 0, None, None),
        ],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None), ("Q", "O", 10, None)],
    )


def test_a_pool_max_switches_where_pooling_stops_beating_silo(tmp_path):
    def run_pool(name: str, share: float, switching: bool = False):
        path = write_sheets(tmp_path / f"{name}.xlsx", pool_sheets(share))
        scenario = tmp_path / f"{name}.toml"
        scenario.write_text(f'name = "{name}"\nworkbook = "{path.name}"\npooling = "pooled"\n', encoding="utf-8")
        return pooling.run(scenario, switching=switching)

    result = run_pool("pool", 0.8, switching=True)
    assert result.dividend() == pytest.approx(2300 + 500 * 0.8 - 2500, rel=1e-6)
    (item,) = [item for item in result.switching if item.kind == "pool"]
    assert item.value == pytest.approx(0.8) and item.cells == ("Partners!E3",)  # Pool max % of the second partner
    assert item.switching == pytest.approx(0.4, abs=0.8 * 0.001)
    assert item.dividend == item.switching and item.targets is None
    assert "Pooling still beats silo unless Partner B's Pool max % falls below 40.0% (it is 80.0%)" in item.what
    # Just inside (0.95 of the change) pooling still beats silo; just beyond (1.05) it does not.
    inside = run_pool("inside", 0.8 - 0.95 * 0.4)
    beyond = run_pool("beyond", 0.8 - 1.05 * 0.4)
    assert inside.dividend() > 1e-6 and beyond.dividend() < -1e-6


def test_the_examples_summary_states_three_switching_values_that_switch(tmp_path):
    # The example's three most telling: every programme's effect together, every grant's cut
    # (change.source.grant), and the probation grant alone. Each checked by running the
    # scenario just inside (0.95 of the change) and just beyond (1.05).
    result = pooling.run(SCENARIO, switching=True)
    line = next(line for line in result.headline() if line.startswith("What would change the plan:"))
    assert line.count(";") >= 2
    telling = sorted((item for item in result.switching if item.telling), key=lambda item: abs(item.change))[:3]
    assert [item.kind for item in telling] == ["effects", "key", "change"]
    for item in telling:
        assert item.what in line
    key, stream = telling[1], telling[2]
    for item, setting in ((key, "change.source.grant"), (stream, f"change.stream.{stream.programme}")):
        for share, holds in ((0.95, True), (1.05, False)):
            moved = item.value + share * (item.switching - item.value)
            other = pooling.run(SCENARIO, overrides={setting: moved}, counterpart=False, allow_nonoptimal=True)
            assert (other.optimal and not other.missed_targets()) == holds, (setting, share, moved)


def _moved(sheets, levers, item, x):
    """The generated place and scenario with ``item``'s input set to ``x``."""
    import copy

    sheets, levers = copy.deepcopy(sheets), copy.deepcopy(levers)
    if item.kind == "effects":
        for row in sheets["Effects"]:
            for column in ("Per £m", "Low", "High"):
                if row.get(column) is not None:
                    row[column] = row[column] * x
    elif item.kind == "saving":
        (cell,) = item.cells
        sheets["Savings"][int(cell.split("!C")[1]) - 2]["£ per unit"] = x
    elif item.kind == "pool":
        (row,) = [row for row in sheets["Partners"] if str(row["Partner"]) == item.programme]
        row["Pool max %"] = x
    elif item.kind == "limit":
        levers.setdefault("council_tax", {}).setdefault("freeze_grant", {})[item.programme] = x
    else:
        change = levers.setdefault("change", {})
        key = f"change.stream.{item.programme}" if item.kind == "change" else item.programme
        table, *name = key.split(".")[1:]
        if table == "default":
            change["default"] = x
        else:
            change.setdefault(table, {})[".".join(name)] = x
    return sheets, levers


@pytest.mark.parametrize("seed", [13, 14, 19])
def test_rate_switching_values_hold_against_the_independent_implementation(tmp_path, seed):
    # On generated places, for every rate with a switching value (every programme's effects
    # together, a stream's or a scenario key's annual change, a savings rate, a freeze-grant
    # rate, a Pool max %): the oracle (tests/oracle.py) meets every target with the rate
    # moved 0.95 of the way to where a target is first missed, and misses one at 1.05; and
    # where pooling stops beating silo, the oracle's pooled value beats its silo value
    # just inside and not just beyond.
    from pooling.synthetic import write_generated, write_workbook

    from .oracle import oracle_solve, oracle_targets_met

    sheets, _, levers, scenario_path = write_generated(tmp_path, seed)
    result = pooling.run(scenario_path, overrides={"solver": "highs"}, allow_nonoptimal=True, switching=True)
    assert result.optimal
    maximise = result.scenario.objective == "outcomes"
    checked = 0
    for number, item in enumerate(i for i in result.switching if i.kind != "effect"):
        for found, what in ((item.targets, "targets"), (item.dividend, "dividend")):
            if found is None:
                continue
            if what == "targets":
                points = [item.value + share * (found - item.value) for share in (0.95, 1.05)]
            else:
                # The dividend is a difference of two optima and need not fall steadily with
                # the input (seed 14 has a dip and back between 0.32 and 0.34 of the effects):
                # the switch is checked where the bisection placed it, 0.2% of the input either side.
                step = 2 * PRECISION * abs(item.value) * (1 if item.value > found else -1)
                points = [found + step, found - step]
            for x, holds in zip(points, (True, False), strict=True):
                share = x
                moved_sheets, moved_levers = _moved(sheets, levers, item, x)
                path = tmp_path / f"moved-{number}-{what}-{share}.xlsx"
                write_workbook(moved_sheets, path)
                if what == "targets":
                    assert oracle_targets_met(path, moved_levers) == holds, (item.input, share)
                else:
                    _, pooled = oracle_solve(path, {**moved_levers, "pooling": "pooled"})
                    _, silo = oracle_solve(path, {**moved_levers, "pooling": "silo"})
                    gain = (pooled - silo) if maximise else (silo - pooled)
                    assert (gain > 1e-7 * max(abs(pooled), 1.0)) == holds, (item.input, share, gain)
                checked += 1
    assert checked  # these seeds were chosen because each has at least one


def test_a_programme_that_cannot_be_held_at_its_minimum_is_needed_not_a_tie(tmp_path):
    # Least cost, a target of 1 unit a year from a grant of 100 (£000, £0.1m). P1 buys 20
    # units per £1m, P2 5: P2 alone reaches 0.5, so holding P1 at its minimum leaves no plan,
    # and P1 is needed. With P1's effect scaled by f the target can be met while
    # 0.1 × 20 f ≥ 1: f ≥ 0.5, a fall of 50% (P2 cannot help: its 5 per £1m is less).
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, None), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.0, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
    )
    path = write_sheets(tmp_path / "needed.xlsx", base)
    (tmp_path / "needed.toml").write_text(
        f'name = "n"\nworkbook = "{path.name}"\nobjective = "least-cost"\n', encoding="utf-8"
    )
    result = pooling.run(tmp_path / "needed.toml", switching=True)
    found = {item.programme: item for item in result.switching if item.kind == "effect"}
    assert found["P1"].switching == pytest.approx(0.5, abs=0.001)
    assert "equal value" not in found["P1"].what
    # Just inside the switch (5% above it) P1 is still funded, the target met.
    inside = base
    inside["Effects"][1][2] = 20 * 0.5 * 1.05
    write_sheets(path, inside)
    assert pooling.run(tmp_path / "needed.toml").model.spent(result.solution, "P1", 1) > 0


def test_a_switch_at_the_far_end_of_a_rate_is_not_called_infeasible(tmp_path):
    # As the freeze-grant test, with a target of 1.00001 units: the target holds while
    # 100 + 100 r ≥ 100.001, r ≥ 0.001%, and at a rate of nil (the far end) a plan still
    # exists, it only misses the target: no "no plan meets every constraint".
    base = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("CT", "A", "council tax", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.00001, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "edge.xlsx", base)
    (tmp_path / "edge.toml").write_text(f'name = "e"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "edge.toml", switching=True)
    (council,) = [item for item in result.switching if item.input == "freeze grant rate for council partners"]
    assert council.switching == pytest.approx(0.00001, abs=0.025 * 0.001)
    assert "no plan meets every constraint" not in council.what
    nil = pooling.run(tmp_path / "edge.toml", overrides={"council_tax.freeze_grant.council": 0.0}, counterpart=False)
    assert nil.optimal


def test_every_search_leaves_its_model_exactly_as_it_found_it(monkeypatch):
    # Each search changes coefficients and bounds and must put them back to the very
    # floats it read: otherwise the next search on that thread starts from another model.
    import numpy as np
    from scipy import sparse

    from pooling import switching

    real = switching._run
    checked = []

    def snapshot(search):
        lp = search.highs.getLp()
        # The matrix in canonical form: a coefficient set to nil leaves HiGHS's storage and
        # comes back at another position, the same matrix.
        matrix = sparse.csc_matrix(
            (np.array(lp.a_matrix_.value_), np.array(lp.a_matrix_.index_), np.array(lp.a_matrix_.start_)),
            shape=(lp.num_row_, lp.num_col_),
        )
        matrix.sort_indices()
        parts = (lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_)
        return [np.array(part, copy=True) for part in parts] + [matrix.indptr, matrix.indices, matrix.data]

    def each_task_checked(tasks, own, other, workers):
        def checked_task(task, searches):
            before = [snapshot(search) for search in (searches.own, searches.other) if search is not None]
            found = task(searches)
            after = [snapshot(search) for search in (searches.own, searches.other) if search is not None]
            for old, new in zip(before, after):
                for a, b in zip(old, new):
                    assert np.array_equal(a, b), getattr(found, "input", task)
            checked.append(task)
            return found

        return real([functools.partial(checked_task, task) for task in tasks], own, other, 1)

    monkeypatch.setattr(switching, "_run", each_task_checked)
    result = pooling.run(SCENARIO, switching=True)
    assert len(checked) >= 30 and result.switching


def test_highs_instances_made_on_many_threads_leave_stdout_where_it_was(monkeypatch):
    # Only the first instance prints a banner, so only its making silences stdout; two
    # threads each redirecting and restoring file descriptor 1 once left it at /dev/null.
    import os
    from concurrent.futures import ThreadPoolExecutor

    from pooling import solve

    where = os.fstat(1)
    for _ in range(20):
        monkeypatch.setattr(solve, "_banner_done", False)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: solve.new_highs(), range(32)))
        now = os.fstat(1)
        assert (now.st_dev, now.st_ino) == (where.st_dev, where.st_ino)
