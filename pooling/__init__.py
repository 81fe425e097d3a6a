"""pooling: optimise a place-based pooled budget across local public services.

The pipeline, as library calls::

    import pooling

    result = pooling.run("scenarios/sr2010-pooled.toml", output="results.xlsx")
    print(result.status, result.objective, result.objective_unit)

    place, package = pooling.load("spreadsheets/example.xlsx")   # load + validate
    scenario = pooling.read_scenario("scenarios/sr2010-silo.toml", {"pooling": "pooled"})
    result = pooling.solve_scenario(scenario, place, package)
    comparison = pooling.compare(["scenarios/sr2010-silo.toml", "scenarios/sr2010-pooled.toml"])
    analysis = pooling.partners(place, package, scenario)

Everything the command line does is one of these calls. See README.md and docs/ for
the workbook contract, the model and the package's layout (docs/architecture.md).
Names are imported on first use, so ``pooling --help`` and ``pooling validate`` start
without loading the solver and the table libraries.
"""

from importlib import import_module

from .version import __version__

# Public name -> (module, name in it).
_NAMES = {
    # load and validate
    "load": ("validate", "load"),
    "ValidationError": ("validate", "ValidationError"),
    "PackageError": ("xlsx.container", "PackageError"),
    "read_scenario": ("scenario", "read_scenario"),
    "scenario_from_dict": ("scenario", "scenario_from_dict"),
    "Scenario": ("scenario", "Scenario"),
    "ScenarioError": ("scenario", "ScenarioError"),
    "write_template": ("template", "write_template"),
    # one scenario
    "run": ("pipeline", "run"),
    "solve_scenario": ("pipeline", "solve_scenario"),
    "Result": ("pipeline", "Result"),
    "check_result_target": ("write", "check_result_target"),
    # analyses
    "compare": ("analyses.compare", "compare"),
    "Comparison": ("analyses.compare", "Comparison"),
    "write_comparison": ("analyses.books", "write_comparison"),
    "partners": ("analyses.partnership", "analyse"),
    "Partnership": ("analyses.partnership", "Partnership"),
    "write_partnership": ("analyses.books", "write_partnership"),
    "sweep": ("analyses.sweep", "sweep"),
    "sweep_places": ("analyses.sweep", "sweep_places"),
    "read_places": ("analyses.sweep", "read_places"),
    "write_national": ("analyses.books", "write_national"),
    "parse_vary": ("analyses.sweep", "parse_vary"),
    "Sweep": ("analyses.sweep", "Sweep"),
    "sweep_risks": ("analyses.sweep", "risks"),
    "write_sweep": ("analyses.books", "write_sweep"),
    "write_sweep_table": ("analyses.books", "write_table"),
    # partners' returns
    "split": ("returns.split", "split"),
    "merge": ("returns.merge", "merge"),
    "write_merged": ("returns.merge", "write_merged"),
    "MergeError": ("returns.merge", "MergeError"),
    "write_per_partner": ("returns.per_partner", "write_per_partner"),
    "check_per_partner_targets": ("returns.per_partner", "check_per_partner_targets"),
    # the board paper
    "write_paper": ("paper", "write_paper"),
    "paper_to_pdf": ("paper", "to_pdf"),
    # errors
    "InputError": ("errors", "InputError"),
    "WriteError": ("errors", "WriteError"),
    "SolverError": ("errors", "SolverError"),
    "NotOptimal": ("errors", "NotOptimal"),
}

__all__ = sorted(_NAMES) + ["__version__"]


def __getattr__(name: str):
    if name in _NAMES:
        module, attribute = _NAMES[name]
        value = getattr(import_module(f".{module}", __name__), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pooling' has no attribute {name!r}")


def __dir__():
    return __all__
