"""The benchmark's independent floor, the one-pot formulation (benchmarks/floor.py), reaches
the contract model's optimum: the ground for issue 16's smaller model."""

import sys
from pathlib import Path

import pytest

import pooling
from pooling.synthetic import write_generated

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from floor import solve_floor  # noqa: E402


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda path: path.stem)
def test_the_one_pot_floor_has_the_example_scenarios_optimum(path):
    scenario = pooling.read_scenario(path)
    place, _ = pooling.load(scenario.workbook)
    status, objective, _ = solve_floor(place, scenario)
    result = pooling.run(path, counterpart=False, switching=False)
    assert status == result.status
    assert objective == pytest.approx(result.objective, rel=1e-9)


@pytest.mark.parametrize("seed", [4, 7, 12, 21])
def test_the_one_pot_floor_has_a_generated_places_optimum(tmp_path, seed):
    _, _, _, path = write_generated(tmp_path, seed)
    scenario = pooling.read_scenario(path, {"solver": "highs"})
    place, _ = pooling.load(scenario.workbook)
    status, objective, _ = solve_floor(place, scenario)
    result = pooling.run(path, overrides={"solver": "highs"}, counterpart=False, switching=False, allow_nonoptimal=True)
    assert status == result.status
    if result.optimal:
        assert objective == pytest.approx(result.objective, rel=1e-9, abs=1e-6)
