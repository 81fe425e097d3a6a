"""Tiny models whose optimum is worked out by hand, one per constraint family and lever.

Money is in £000 unless a test says otherwise, so spending s (£000) on a programme
with a rate of ρ outcome units per £1m buys ρ × s / 1000 units. Each test solves
with both CBC and HiGHS.
"""

import pytest

from pooling import families, scenario

from .helpers import has_constraint, place_sheets, shadow, solve

SOLVERS = list(scenario.SOLVERS)
approx = lambda value: pytest.approx(value, rel=1e-7, abs=1e-6)  # noqa: E731

ONE_COUNCIL = [("A", "council", None, None)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_stream_limit_and_effect(tmp_path, solver):
    # One grant of £100k buys 10 units per £1m: 10 × 100 / 1000 = 1 unit worth £1,000.
    # £1k more buys 0.01 units: a shadow price of £10 per £000.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.status == "optimal"
    assert result.objective == approx(1000.0)
    assert shadow(result, families.STREAM_LIMIT, stream="G") == approx(10.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_change_rates_compound_and_discount(tmp_path, solver):
    # Grants fall 10% a year: A = 100 × 0.9 = 90 in year 1, 100 × 0.81 = 81 in year 2.
    # Outcomes 0.9 and 0.81 units at £1,000, year 2 discounted by 1/1.035:
    # 900 + 810 / 1.035.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
        years=2,
        discount_rate=0.035,
    )
    result = solve(tmp_path, sheets, solver=solver, change={"source": {"grant": -0.1}})
    assert result.objective == approx(900 + 810 / 1.035)
    # Year 2's shadow price is discounted too: £10 per £000 / 1.035.
    assert shadow(result, families.STREAM_LIMIT, t=2, stream="G") == approx(10 / 1.035)


def test_most_specific_change_rate_wins(tmp_path):
    # default -10%, source grant -20%, partner B -30%, stream G3 -40%: each stream gets
    # the most specific. Base 100 each, year 1: G1 (A, fees) 90, G2 (A, grant) 80,
    # G3 (B, grant) 60, G4 (B, grant) 70.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "other", None, None)],
        funding=[
            ("G1", "A", "fees", 100, None, None),
            ("G2", "A", "grant", 100, None, None),
            ("G3", "B", "grant", 100, None, None),
            ("G4", "B", "grant", 100, None, None),
        ],
        programmes=[("P", "A", "no", 0, None, None), ("Q", "B", "no", 0, None, None)],
    )
    result = solve(
        tmp_path,
        sheets,
        change={"default": -0.1, "source": {"grant": -0.2}, "partner": {"B": -0.3}, "stream": {"G3": -0.4}},
    )
    amounts = {stream.code: stream.amounts[0] for stream in result.model.streams}
    assert amounts["G1"] == approx(90)
    assert amounts["G2"] == approx(80)
    assert amounts["G3"] == approx(60)
    assert amounts["G4"] == approx(70)


@pytest.mark.parametrize("solver", SOLVERS)
def test_council_tax_freeze_and_growth(tmp_path, solver):
    # Council tax 100 and a grant 100; 10 units per £1m at £1,000 a unit = £10 per £000.
    # Frozen: 100 + 100 + freeze grant 2.5% × 100 = 202.5 → £2,025.
    # Not frozen, growth 3.5%: 103.5 + 100 = 203.5 → £2,035 (no freeze grant).
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("CT", "A", "council tax", 100, None, None), ("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    frozen = solve(tmp_path, sheets, solver=solver, council_tax={"freeze": True, "growth": 0.5})
    assert frozen.objective == approx(2025.0)
    assert "FREEZE-A" in {stream.code for stream in frozen.model.streams}
    rising = solve(tmp_path, sheets, solver=solver, council_tax={"freeze": False, "growth": 0.035})
    assert rising.objective == approx(2035.0)
    assert "FREEZE-A" not in {stream.code for stream in rising.model.streams}


def test_freeze_grant_only_for_types_with_a_rate(tmp_path):
    # A health partner with council tax (odd, but allowed) gets no freeze grant when
    # the scenario gives health no rate; a fire authority gets 3% of its council tax.
    sheets = place_sheets(
        partners=[("H", "health", None, None), ("F", "fire", None, None)],
        funding=[("HCT", "H", "council tax", 100, None, None), ("FCT", "F", "council tax", 200, None, None)],
        programmes=[("P", "H", "no", 0, None, None), ("Q", "F", "no", 0, None, None)],
    )
    result = solve(tmp_path, sheets, council_tax={"freeze": True, "freeze_grant": {"fire": 0.03}})
    amounts = {stream.code: stream.amounts[0] for stream in result.model.streams}
    assert "FREEZE-H" not in amounts
    assert amounts["FREEZE-F"] == approx(6.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_ring_fence_kept_and_removed(tmp_path, solver):
    # Stream R (100) is ring-fenced to P1 (5 per £1m); P2 buys 20 per £1m; value £1,000.
    # Kept: all of R on P1: 5 × 100 / 1000 = 0.5 units → £500; releasing £1k of the
    # ring-fence moves it from P1 to P2: (20 − 5) / 1000 × 1000 = £15.
    # Removed: all on P2: 2 units → £2,000.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("R", "A", "grant", 100, None, "P1")],
        programmes=[("P1", "A", "no", 0, None, None), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 5, None), ("P2", "O", 20, None)],
    )
    kept = solve(tmp_path, sheets, solver=solver, ring_fencing="kept")
    assert kept.objective == approx(500.0)
    assert shadow(kept, families.RING_FENCE, stream="R") == approx(15.0)
    removed = solve(tmp_path, sheets, solver=solver, ring_fencing="removed")
    assert removed.objective == approx(2000.0)
    assert not has_constraint(removed, families.RING_FENCE)
    listed = solve(tmp_path, sheets, solver=solver, ring_fencing=["R"])
    assert listed.objective == approx(500.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_programme_maximum_and_minimum(tmp_path, solver):
    # Stream 100; P1 buys 20 per £1m up to a maximum of 60; P2 buys 5 per £1m.
    # Max binds: P1 = 60, P2 = 40: (60 × 20 + 40 × 5) / 1000 = 1.4 units → £1,400.
    # Raising the max by £1k moves £1k from P2 to P1: (20 − 5) = £15.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, None, 60), ("P2", "A", "no", 0, 30, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None), ("P2", "O", 5, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == approx(1400.0)
    assert shadow(result, families.PROGRAMME_MAX, programme="P1") == approx(15.0)
    assert shadow(result, families.PROGRAMME_MIN, programme="P2") == approx(0.0)
    # Now P2's minimum is 50: P1 gets only 50: (50 × 20 + 50 × 5) / 1000 → £1,250, and
    # a £1k higher minimum would cost £15 (shadow price −15).
    sheets["Programmes"][2][5] = 50
    result = solve(tmp_path, sheets, name="min.xlsx", solver=solver)
    assert result.objective == approx(1250.0)
    assert shadow(result, families.PROGRAMME_MIN, programme="P2") == approx(-15.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pooling_and_pool_maximum_share(tmp_path, solver):
    # A (council) and B (health) have 100 each. PA, led by A and pooled, buys 20 per £1m;
    # PB, led by B, buys 5. Silo: 100 × 20 + 100 × 5 → 2.5 units → £2,500.
    # Pooled with B's pool maximum at 30%: B puts 30 into PA:
    # (130 × 20 + 70 × 5) / 1000 = 2.95 units → £2,950; the cap's shadow price is £15.
    # The maximum written as 30 (a number above 1 is a percent) means the same as 0.3.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, 30)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "other", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, None), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None)],
    )
    silo = solve(tmp_path, sheets, solver=solver, pooling="silo")
    assert silo.objective == approx(2500.0)
    assert not has_constraint(silo, families.POOL_MAX)
    pooled = solve(tmp_path, sheets, solver=solver, pooling="pooled")
    assert pooled.objective == approx(2950.0)
    assert shadow(pooled, families.POOL_MAX, partner="B") == approx(15.0)
    sheets["Partners"][2][4] = 0.3
    assert solve(tmp_path, sheets, name="fraction.xlsx", solver=solver).objective == approx(2950.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pool_minimum_share(tmp_path, solver):
    # PA (pooled, led by A) buys only 2 per £1m, PB (B's own) buys 5: B would rather keep
    # its money, but must pool at least 40%: B puts 40 into PA.
    # (100 × 2 + 40 × 2 + 60 × 5) / 1000 = 0.58 units → £580; a £1k higher minimum moves
    # £1k from PB to PA: −(5 − 2) = −£3.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", 0.4, None)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "other", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, None), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 2, None), ("PB", "O", 5, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == approx(580.0)
    assert shadow(result, families.POOL_MIN, partner="B") == approx(-3.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_non_poolable_stream_stays_with_its_partner(tmp_path, solver):
    # As above but B's stream is not poolable: B cannot fund PA even when pooled, so the
    # pooled answer equals silo: £2,500.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "other", 100, "no", None)],
        programmes=[("PA", "A", "yes", 0, None, None), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None)],
    )
    assert solve(tmp_path, sheets, solver=solver, pooling="pooled").objective == approx(2500.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_diminishing_return_segments(tmp_path, solver):
    # 10 per £1m up to 50, 4 per £1m from 50 to 80, 1 per £1m beyond (rows out of order:
    # segments are taken in order of Up to). Spending 100:
    # (50 × 10 + 30 × 4 + 20 × 1) / 1000 = 0.64 units → £640; the last £1k buys 1/1000
    # unit: £1.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 1, None), ("P", "O", 4, 80), ("P", "O", 10, 50)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == approx(640.0)
    assert shadow(result, families.STREAM_LIMIT, stream="G") == approx(1.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_spend_beyond_the_last_segment_buys_nothing(tmp_path, solver):
    # One segment, 10 per £1m up to 60: spending 100 still buys 0.6 units → £600.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, 60)],
    )
    assert solve(tmp_path, sheets, solver=solver).objective == approx(600.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_target_shortfall_penalty(tmp_path, solver):
    # Only 1 unit is reachable (100 × 10 / 1000) against a target of 2, value £1,000,
    # penalty £5,000: 1 × 1,000 − 1 × 5,000 = −£4,000. A target 1 unit higher costs
    # the penalty: shadow price −5,000.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 2, 5000)],
        effects=[("P", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.objective == approx(-4000.0)
    assert shadow(result, families.TARGET, outcome="O") == approx(-5000.0)
    # Blank penalty: the value per unit. 1,000 − 1 × 1,000 = 0.
    sheets["Outcomes"][1][5] = None
    assert solve(tmp_path, sheets, name="blank.xlsx", solver=solver).objective == approx(0.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_least_cost(tmp_path, solver):
    # Reaching 0.5 units at 10 per £1m takes £50k: the objective is 50 (£000), and a
    # target 1 unit higher costs £100k more (1000 / 10).
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 0.5, None)],
        effects=[("P", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver, objective="least-cost")
    assert result.objective == approx(50.0)
    assert result.objective_unit == "£000"
    assert shadow(result, families.TARGET, outcome="O") == approx(100.0)
    # An unreachable target is infeasible under least cost (no shortfall allowed).
    sheets["Outcomes"][1][4] = 2
    assert solve(tmp_path, sheets, name="hard.xlsx", solver=solver, objective="least-cost").status == "infeasible"


@pytest.mark.parametrize("solver", SOLVERS)
def test_year_target_columns_override_target(tmp_path, solver):
    # Target 0.5 a year, but 2012/13 asks for 0.8: least cost 50 + 80 (£000, no discount).
    # A blank year cell keeps Target.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 0.5, None)],
        effects=[("P", "O", 10, None)],
        years=3,
        target_years={"2012/13": {"O": 0.8}, "2013/14": {}},
    )
    result = solve(tmp_path, sheets, solver=solver, objective="least-cost")
    assert result.objective == approx(50 + 80 + 50)


@pytest.mark.parametrize("solver", SOLVERS)
def test_cashable_savings_to_another_partner(tmp_path, solver):
    # A spends 100 a year on PA (10 per £1m): 1 unit a year, £1,000 each. Each unit
    # saves B £500, 50% cashable, a year later: 0.25 (£000) in year 2, which B spends on
    # PB (10 per £1m): 0.0025 units → £2.50. No discounting: 1,000 + 1,000 + 2.5.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, None)],
        programmes=[("PA", "A", "no", 0, None, None), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 10, None), ("PB", "O", 10, None)],
        savings=[("O", "B", 500, 50, 1)],
        years=2,
    )
    result = solve(tmp_path, sheets, solver=solver, pooling="silo")
    assert result.objective == approx(2002.5)
    flows = result.tables.flows.frame
    saved = flows[flows["Stream"] == "SAVINGS-B"]
    assert list(saved["Programme"]) == ["PB"]
    assert float(saved["Amount"].sum()) == approx(0.25)


@pytest.mark.parametrize("solver", SOLVERS)
def test_savings_lag_beyond_the_horizon_buy_nothing(tmp_path, solver):
    # Lag 2 with 2 years modelled: savings would arrive in year 3, outside the model.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, None)],
        programmes=[("PA", "A", "no", 0, None, None), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 10, None), ("PB", "O", 10, None)],
        savings=[("O", "B", 500, 50, 2)],
        years=2,
    )
    assert solve(tmp_path, sheets, solver=solver).objective == approx(2000.0)


@pytest.mark.parametrize("units, base", [("£", 100_000), ("£000", 100), ("£m", 0.1)])
def test_workbook_unit_scales_money(tmp_path, units, base):
    # The same £100,000 in each unit buys 10 × 0.1 = 1 unit → £1,000 whatever the unit.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", base, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
        units=units,
    )
    assert solve(tmp_path, sheets).objective == approx(1000.0)


def test_solvers_agree_on_unique_duals(tmp_path):
    # The pooled model above has a unique optimum and unique duals: every shadow price
    # must be the same whichever solver ran.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", 0.1, 0.3)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "other", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, 120), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None)],
    )
    cbc = solve(tmp_path, sheets, solver="cbc")
    highs = solve(tmp_path, sheets, solver="highs")
    assert cbc.objective == approx(highs.objective)
    assert set(cbc.solution.shadow_prices) == set(highs.solution.shadow_prices)
    for name, price in cbc.solution.shadow_prices.items():
        assert price == approx(highs.solution.shadow_prices[name]), name


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("objective", ["outcomes", "least-cost"])
def test_shadow_price_is_the_change_of_objective_per_unit_of_right_hand_side(tmp_path, solver, objective):
    # Finite differences: raise the programme minimum by 1 (£000) and re-solve.
    sheets = place_sheets(
        partners=ONE_COUNCIL,
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, 20, None), ("P2", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.5, 3000)],
        effects=[("P1", "O", 5, None), ("P2", "O", 20, None)],
    )
    base = solve(tmp_path, sheets, solver=solver, objective=objective)
    price = shadow(base, families.PROGRAMME_MIN, programme="P1")
    sheets["Programmes"][1][5] = 21
    moved = solve(tmp_path, sheets, name="moved.xlsx", solver=solver, objective=objective)
    assert moved.objective - base.objective == approx(price)
    assert abs(price) > 0.1  # the minimum binds and matters in both objectives
