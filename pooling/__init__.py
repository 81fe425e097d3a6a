"""pooling: optimise a place-based pooled budget across local public services.

The pipeline, as library calls::

    import pooling

    result = pooling.run("scenarios/sr2010-pooled.toml", output="results.xlsx")
    print(result.status, result.objective, result.objective_unit)

    place, package = pooling.load("spreadsheets/example.xlsx")   # load + validate
    scenario = pooling.read_scenario("scenarios/sr2010-silo.toml", {"pooling": "pooled"})
    result = pooling.solve_scenario(scenario, place, package)

See README.md and docs/ for the workbook contract and the model.
"""

__version__ = "0.1.0"

from .compare import Comparison, compare  # noqa: E402
from .errors import InputError  # noqa: E402
from .package import PackageError  # noqa: E402
from .pipeline import Result, load, run, solve_scenario  # noqa: E402
from .scenario import Scenario, ScenarioError, read_scenario, scenario_from_dict  # noqa: E402
from .validate import ValidationError  # noqa: E402

__all__ = [
    "Comparison",
    "compare",
    "InputError",
    "PackageError",
    "Result",
    "Scenario",
    "ScenarioError",
    "ValidationError",
    "load",
    "read_scenario",
    "run",
    "scenario_from_dict",
    "solve_scenario",
    "__version__",
]
