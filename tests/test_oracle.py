"""The objective equals that of an independent implementation of the contract.

``tests/oracle.py`` was written from the contract alone, without reading ``pooling``,
and solves with highspy's own API. Places and scenarios are generated at random by
``pooling/synthetic.py`` (which also imports nothing from the rest of ``pooling``):
units, percent forms, blanks that take defaults, year target columns, ring-fences,
savings with lags, codes that look like numbers, messy headers and sheet order,
Effects rows out of order. Status and objective must agree.
"""

import pytest

import pooling
from pooling.synthetic import write_generated

from .oracle import oracle_solve

SEEDS = range(36)


@pytest.mark.parametrize("seed", SEEDS)
def test_objective_equals_the_independent_implementation(tmp_path, seed):
    options = {"shuffle_effects": seed % 3 == 0}
    _, workbook, scenario, scenario_path = write_generated(tmp_path, seed, messy=True, **options)

    expected_status, expected = oracle_solve(workbook, scenario)
    solver = "highs" if seed % 2 else "cbc"
    result = pooling.run(scenario_path, overrides={"solver": solver}, allow_nonoptimal=True)
    assert result.status == expected_status
    if expected is not None:
        assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
