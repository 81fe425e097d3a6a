"""Infeasible plans: the smallest relaxation, by input cell and amount, worked out by hand."""

import openpyxl
import pytest
from click.testing import CliRunner

from pooling import scenario
from pooling.cli import main

from .helpers import place_sheets, solve, write_sheets

SOLVERS = list(scenario.SOLVERS)


@pytest.mark.parametrize("solver", SOLVERS)
def test_programme_minimums_that_cannot_be_funded(tmp_path, solver):
    # £100k a year must fund minimums of 70 (P1) and 50 (P2): £20k short. Relaxed as shares
    # of what each asks, the cheaper fix is P1's (20/70 < 20/50), in both years.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, 70, None), ("P2", "A", "no", 0, 50, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P1", "O", 20, None)],
        years=2,
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.status == "infeasible"
    assert result.diagnosis.lines() == [
        "Programmes!F2: the minimum for Programme P1 (£70k) cannot be funded in 2011/12; £20k short.",
        "Programmes!F2: the minimum for Programme P1 (£70k) cannot be funded in 2012/13; £20k short.",
    ]
    assert [r.amount for r in result.diagnosis.relaxations] == [pytest.approx(20.0), pytest.approx(20.0)]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_ring_fence_gives_way_when_that_is_the_smaller_fix(tmp_path, solver):
    # The only money, R (100), is ring-fenced to P1; P2 must get 30. Releasing £30k of the
    # ring-fence (30/100 of the stream) is smaller than dropping P2's minimum (30/30).
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("R", "A", "grant", 100, None, "P1")],
        programmes=[("P1", "A", "no", 0, None, None), ("P2", "A", "no", 0, 30, None)],
    )
    result = solve(tmp_path, sheets, solver=solver, ring_fencing="kept")
    assert result.diagnosis.lines() == [
        "Funding!F2: the ring-fence of R to P1 would have to release £30k in 2011/12 for the plan to be feasible."
    ]


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_unreachable_least_cost_target(tmp_path, solver):
    # £100k at 10 per £1m reaches 1 unit; the target is 1.5: 0.5 short.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, 1.5, None)],
        effects=[("P", "O", 10, None)],
    )
    result = solve(tmp_path, sheets, solver=solver, objective="least-cost")
    assert result.diagnosis.lines() == [
        "Outcomes!E2: the target for Outcome O (1.5) cannot be met in 2011/12; 0.5 short."
    ]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_pool_minimum_that_pooled_programmes_cannot_take(tmp_path, solver):
    # B must pool at least 60% of its 100, but the only pooled programme, PA, takes at most
    # 40: £20k short of B's minimum share (relaxing it is the only fix).
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", 0.6, None)],
        funding=[("GA", "A", "grant", 0, None, None), ("GB", "B", "other", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, 40), ("PB", "B", "no", 0, None, None)],
    )
    result = solve(tmp_path, sheets, solver=solver)
    assert result.diagnosis.lines() == [
        "Partners!D3: Partner B cannot put its minimum pool share (60%, £60k) into pooled programmes in 2011/12; £20k short."
    ]


def test_the_command_line_exits_3_and_writes_the_diagnosis(tmp_path):
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P1", "A", "no", 0, 70, None), ("P2", "A", "no", 0, 50, None)],
    )
    write_sheets(tmp_path / "place.xlsx", sheets)
    (tmp_path / "s.toml").write_text('name = "Too little"\nworkbook = "place.xlsx"\nsolver = "highs"\n')
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "s.toml"), "-o", str(out)])
    assert result.exit_code == 3
    assert (
        "Programmes!F2: the minimum for Programme P1 (£70k) cannot be funded in 2011/12; £20k short." in result.output
    )
    rows = list(openpyxl.load_workbook(out)["Diagnosis"].iter_rows(values_only=True))
    assert rows[1][:4] == ("Programmes!F2", "programme minimum", "2011/12", pytest.approx(20.0))
