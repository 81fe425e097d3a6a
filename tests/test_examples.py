"""The example place under every scenario in scenarios/: solved, checked, compared (CBC against
HiGHS, objective, plan and every contract constraint on the written output:
tests/test_plan_rule.py)."""

from pathlib import Path

import pooling

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def test_there_are_example_scenarios():
    names = {path.stem for path in SCENARIOS}
    assert {"baseline-silo", "sr2010-silo", "sr2010-pooled", "sr2010-pooled-ringfenced", "sr2010-least-cost"} <= names


def test_pooling_is_worth_something_and_ring_fences_and_the_freeze_cost_something():
    objective = {path.stem: pooling.run(path).objective for path in SCENARIOS}
    assert objective["sr2010-pooled-ringfenced"] > objective["sr2010-silo"]
    assert objective["sr2010-pooled"] >= objective["sr2010-pooled-ringfenced"]
    assert objective["sr2010-pooled-no-freeze"] > objective["sr2010-pooled"]
