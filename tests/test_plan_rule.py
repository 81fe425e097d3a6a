"""The plan reported is the one contract v1.1's rule picks ("Which plan is reported").

Stage 1 finds the best value z*; stage 2, among plans within ε = 1e-7 × max(|z*|, 1) of
z*, the one closest to the base-year budget, minimising Σ (spend − Baseline)² / Baseline;
stage 3, with that spend held, the least money crossing partners, at a vertex.

The hand models are degenerate on purpose (two programmes buying the same outcome at the
same rate), so a solver left to itself could report any of many optima. Money is in £000.
"""

from pathlib import Path

import pytest

import pooling
from pooling import scenario
from pooling.synthetic import write_generated

from .contract_check import check_output
from .helpers import place_sheets, solve, write_sheets
from .oracle import oracle_plan

SOLVERS = list(scenario.SOLVERS)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))
ONE_COUNCIL = [("A", "council", None, None)]


def spend(result: pooling.Result) -> dict[tuple[str, int], float]:
    """spend[p,t] of the reported plan, as Allocation shows it."""
    return {key: result.model.spent(result.solution, *key) for key in result.model.spend}


def same_plan(first: dict, second: dict, unit_factor: float) -> list[str]:
    """Where two plans differ by more than £1k and 1e-6 relative (the issue's tolerance)."""
    thousand = 1000.0 / unit_factor
    return [
        f"{key}: {first[key]} vs {second.get(key, 0.0)}"
        for key in first
        if abs(first[key] - second.get(key, 0.0)) > max(thousand, 1e-6 * abs(first[key]))
    ]


@pytest.mark.parametrize("solver", SOLVERS)
def test_capped_effects_leave_money_that_goes_towards_the_baseline(tmp_path, solver):
    # One grant of 70 (£000). P1 and P2 both buy 10 units per £1m, each only up to 30:
    # the best value is 10 × 60 / 1000 = 0.6 units, £600, for any plan with P1 ≥ 30,
    # P2 ≥ 30 and P1 + P2 ≤ 70. Baselines 60 and 20. Stage 2 minimises
    # (P1 − 60)²/60 + (P2 − 20)²/20: P2 as low as the optimum allows (30), and P1 as
    # high as the money left allows (40); sliding along P1 + P2 = 70 the unconstrained
    # best would be P1 = 52.5, P2 = 17.5, below P2's 30. So the plan is P1 = 40, P2 = 30.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 70, None, None)],
        programmes=[("P1", "A", "no", 60, None, None), ("P2", "A", "no", 20, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 10, 30), ("P2", "O", 10, 30)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == pytest.approx(600.0, rel=1e-9)
    plan = spend(result)
    # ε = 6e-5 (£) lets P2 fall below 30 by at most 6e-6 (£000): within the tolerance.
    assert plan["P1", 1] == pytest.approx(40.0, abs=1e-4)
    assert plan["P2", 1] == pytest.approx(30.0, abs=1e-4)
    assert result.solution.other_optima  # (30, 30) and (30, 40) reach £600 too
    assert "Other plans reach the same value" in " ".join(result.headline())


@pytest.mark.parametrize("solver", SOLVERS)
def test_money_that_buys_the_same_everywhere_falls_in_proportion_to_baselines(tmp_path, solver):
    # Grant 100; P1 and P2 buy the same without caps, so all 100 is spent and every split
    # is optimal. Minimising (P1 − 60)²/60 + (P2 − 20)²/20 on P1 + P2 = 100: the
    # gradients match when (P1 − 60)/60 = (P2 − 20)/20 = λ, so 80 + 80λ = 100, λ = 1/4:
    # P1 = 75, P2 = 25, each 25% above its baseline.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 60, None, None), ("P2", "A", "no", 20, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 10, None), ("P2", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == pytest.approx(1000.0, rel=1e-9)
    plan = spend(result)
    assert plan["P1", 1] == pytest.approx(75.0, abs=1e-4)
    assert plan["P2", 1] == pytest.approx(25.0, abs=1e-4)


@pytest.mark.parametrize("solver", SOLVERS)
def test_each_partner_funds_its_own_programmes_first(tmp_path, solver):
    # A has 80, B has 20, all poolable; PA (A's, baseline 30) and PB (B's, baseline 70)
    # are pooled and buy the same. Stage 2: PA = 30, PB = 70 (their baselines, which
    # the 100 exactly covers). Stage 3: B's 20 goes to its own PB; A funds PA (30) and
    # the rest of PB (50), the least that can cross (50): any of B's money in PA would
    # push as much more of A's into PB.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 80, None, None), ("GB", "B", "grant", 20, None, None)],
        programmes=[("PA", "A", "yes", 30, None, None), ("PB", "B", "yes", 70, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 10, None), ("PB", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    plan = spend(result)
    assert plan["PA", 1] == pytest.approx(30.0, abs=1e-4)
    assert plan["PB", 1] == pytest.approx(70.0, abs=1e-4)
    flows = {(row.Stream, row.Programme): row.Amount for row in result.tables.flows.frame.itertuples()}
    assert set(flows) == {("GA", "PA"), ("GA", "PB"), ("GB", "PB")}
    assert flows["GA", "PA"] == pytest.approx(30.0, abs=1e-4)
    assert flows["GA", "PB"] == pytest.approx(50.0, abs=1e-4)
    assert flows["GB", "PB"] == pytest.approx(20.0, abs=1e-4)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_cbc_and_highs_report_the_same_plan_on_every_example(tmp_path, path):
    cbc = pooling.run(path, overrides={"solver": "cbc"}, output=tmp_path / "cbc.xlsx", counterpart=False)
    highs = pooling.run(path, overrides={"solver": "highs"}, output=tmp_path / "highs.xlsx", counterpart=False)
    assert cbc.status == highs.status == "optimal"
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-7)
    factor = highs.place.unit_pounds
    assert same_plan(spend(highs), spend(cbc), factor) == []
    # What binds is read from the plan, so it is the same list too (prices are stage 1's).
    assert [item.info.name for item in cbc.binding] == [item.info.name for item in highs.binding]
    assert [(p.programme, p.year, p.position) for p in cbc.positions] == [
        (p.programme, p.year, p.position) for p in highs.positions
    ]
    # Every contract constraint holds on the plan as written, tighter under HiGHS.
    check_output(tmp_path / "highs.xlsx", highs.place, highs.scenario, highs.objective, tolerance=1e-9)
    check_output(tmp_path / "cbc.xlsx", cbc.place, cbc.scenario, cbc.objective)
    # Flows are a vertex: no dust at the level of the solvers' feasibility tolerance (1e-7
    # in the workbook unit for both), as an interior point would leave on every arc. A
    # vertex may still hold a small amount that is real (a few pounds of cashable savings).
    for result in (cbc, highs):
        amounts = [row.Amount for row in result.tables.flows.frame.itertuples()]
        assert min(amounts) > 1e-6, path.stem


@pytest.mark.parametrize("seed", range(0, 36, 4))
def test_the_plan_equals_an_independent_implementation_of_the_rule(tmp_path, seed):
    _, workbook, levers, scenario_path = write_generated(tmp_path, seed, messy=True)

    expected = oracle_plan(workbook, levers)
    for solver in SOLVERS:
        result = pooling.run(scenario_path, overrides={"solver": solver}, allow_nonoptimal=True)
        if expected is None:
            assert not result.optimal
            continue
        assert result.optimal
        assert same_plan(expected, spend(result), result.place.unit_pounds) == [], solver


def test_a_plan_with_nothing_to_choose_is_reported_as_the_only_one(tmp_path):
    # One programme, one grant of 50 wholly spent: the optimum is unique.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 50, None, None)],
        programmes=[("P", "A", "no", 40, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    result = solve(tmp_path, sheets)
    assert spend(result)["P", 1] == pytest.approx(50.0, abs=1e-6)
    assert not result.solution.other_optima
    assert "Other plans" not in " ".join(result.headline())
    assert [stage.name[0] for stage in result.solution.stages] == ["1", "2", "3"]


def test_the_audit_records_every_stage(tmp_path):
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 50, None, None)],
        programmes=[("P", "A", "no", 40, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "place.xlsx", sheets)
    (tmp_path / "s.toml").write_text(f'name = "t"\nworkbook = "{path.name}"\n', encoding="utf-8")
    result = pooling.run(tmp_path / "s.toml")
    audit = dict(result.audit())
    assert "Plan rule" in audit
    stages = [label for label in audit if label.startswith("Stage ")]
    assert len(stages) == 3
    assert audit[stages[1]].startswith("Clarabel")  # stage 2's QP solver, not the fallback
