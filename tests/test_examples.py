"""The example place under every scenario in scenarios/: solved, checked, compared (CBC against
HiGHS, objective and plan: tests/test_plan_rule.py)."""

from pathlib import Path

import pytest

import pooling

from .contract_check import check_output

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def test_there_are_example_scenarios():
    names = {path.stem for path in SCENARIOS}
    assert {"baseline-silo", "sr2010-silo", "sr2010-pooled", "sr2010-pooled-ringfenced", "sr2010-least-cost"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_contract_constraint_holds_on_the_written_output(tmp_path, path):
    out = tmp_path / "out.xlsx"
    result = pooling.run(path, output=out)
    assert result.status == "optimal"
    check_output(out, result.place, result.scenario, result.objective)


def test_pooling_is_worth_something_and_ring_fences_and_the_freeze_cost_something():
    objective = {path.stem: pooling.run(path).objective for path in SCENARIOS}
    assert objective["sr2010-pooled-ringfenced"] > objective["sr2010-silo"]
    assert objective["sr2010-pooled"] >= objective["sr2010-pooled-ringfenced"]
    assert objective["sr2010-pooled-no-freeze"] > objective["sr2010-pooled"]
