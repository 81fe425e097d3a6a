"""pooling: optimise a place-based pooled budget across local public services.

The pipeline, as library calls::

    import pooling

    result = pooling.run("scenarios/sr2010-pooled.toml", output="results.xlsx")
    print(result.status, result.objective, result.objective_unit)

    place, package = pooling.load("spreadsheets/example.xlsx")   # load + validate
    scenario = pooling.read_scenario("scenarios/sr2010-silo.toml", {"pooling": "pooled"})
    result = pooling.solve_scenario(scenario, place, package)
    comparison = pooling.compare(["scenarios/sr2010-silo.toml", "scenarios/sr2010-pooled.toml"])

See README.md and docs/ for the workbook contract and the model. Names are imported
on first use, so ``pooling --help`` and ``pooling validate`` start without loading the
solver and table libraries.
"""

from importlib import import_module

__version__ = "0.1.0"

_NAMES = {
    "Comparison": "comparison",
    "compare": "comparison",
    "InputError": "errors",
    "PackageError": "xlsx.container",
    "Result": "pipeline",
    "load": "validate",
    "run": "pipeline",
    "solve_scenario": "pipeline",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "read_scenario": "scenario",
    "scenario_from_dict": "scenario",
    "ValidationError": "validate",
    "WriteError": "errors",
}

__all__ = sorted(_NAMES) + ["__version__"]


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pooling' has no attribute {name!r}")


def __dir__():
    return __all__
