"""Scenario sweeps and uncertainty: many runs of one place, in parallel, reproducibly.

A sweep is a grid of lever values (``--vary KEY=V1,V2,...``: every combination) and,
optionally, a Monte Carlo over the uncertain inputs: each Effects row's ``Per £m`` and
each Savings row's ``£ per unit`` that has ``Low`` and ``High`` is drawn from the
triangular distribution between Low, the value, and High. Sample k draws the same
inputs at every grid point (common random numbers, so lever differences are not
blurred by sampling noise), from a generator seeded by (seed, k) alone: the numbers do
not depend on which worker ran what, or how many there were. The drawn rates of one
programme's effect on one outcome are kept non-increasing (each at most the one
before), as the contract requires of segments.

Runs go to local worker processes (``workers``, all cores by default) or, with
``scheduler``, to a Dask distributed cluster (``pip install 'pooling[distributed]'``), in
batches of one grid point's runs that share one model, re-solved sample after sample
(``resample.py``).
Every run is described in full (its levers, its sample and the inputs drawn), and a
run that is not optimal is counted and listed with the solver's reason, never dropped.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model import build
from ..place import Place, Saving, Segment
from ..precision import BINDING_TOLERANCE
from ..report import Risks, outcome_level
from ..scenario import ScenarioError, parse_value, read_scenario, scenario_from_dict
from ..solve import OPTIMAL, solve
from ..validate import load
from .parallel import default_workers, parallel_map
from .resample import SampledModel

# Runs a batch holds at most: a quarter of a second of re-solves on the example, so a
# sweep of a hundred runs still spreads over two cores.
BATCH_RUNS = 25
# Runs a task sent to a Dask cluster holds at least (several batches, each on its own
# model): about a second on the example, so the scheduler's few milliseconds a task and
# the result's trip back are small beside the solving. Locally each batch is a task.
CLUSTER_TASK_RUNS = 120
# Times a cluster task is run again when it raises (a worker killed mid-task is
# rescheduled by Dask itself); only that task's runs are lost meanwhile.
CLUSTER_RETRIES = 2


@dataclass(frozen=True)
class RunSpec:
    number: int  # 1-based, the run's place in the sweep
    levers: tuple[tuple[str, object], ...]  # the grid point: (key, value) pairs
    sample: int | None  # the Monte Carlo sample (1-based), or None for the central inputs


@dataclass
class RunResult:
    spec: RunSpec
    status: str
    objective: float | None
    message: str
    outcomes: dict[str, float] = field(default_factory=dict)  # achieved, summed over the years
    allocation: dict[str, float] = field(default_factory=dict)  # spend, summed over the years
    targets: dict[tuple[str, str], bool] = field(default_factory=dict)  # (outcome, year) -> met
    draws: dict[str, float] = field(default_factory=dict)  # uncertain input -> value drawn
    quantiles: dict[str, float] = field(default_factory=dict)  # uncertain input -> quantile drawn


def parse_vary(items: list[str]) -> list[tuple[str, list[object]]]:
    """``KEY=V1,V2`` → (key, [values]), each value read as TOML would read it."""
    levers = []
    for item in items:
        key, separator, values = item.partition("=")
        if not separator or not key.strip() or not values.strip():
            raise ScenarioError([f"--vary {item!r}: write KEY=V1,V2,... (e.g. pooling=silo,pooled)"], "sweep")
        levers.append((key.strip(), [parse_value(value.strip()) for value in values.split(",")]))
    return levers


def plan(vary: list[tuple[str, list[object]]], samples: int) -> list[RunSpec]:
    """Every grid point, times every sample (or once with the central inputs)."""
    points = list(itertools.product(*[[(key, value) for value in values] for key, values in vary])) or [()]
    draws = list(range(1, samples + 1)) if samples else [None]
    return [
        RunSpec(number, point, sample)
        for number, (point, sample) in enumerate(itertools.product(points, draws), start=1)
    ]


def uncertain_inputs(place: Place) -> list[tuple[str, tuple]]:
    """(name, where) for every input with a plausible range, in a fixed order."""
    found = []
    for (programme, outcome), segments in place.effects.items():
        for j, segment in enumerate(segments):
            if _ranged(segment.rate, segment.low, segment.high):
                found.append(
                    (
                        f"{programme} → {outcome} rate, segment {j + 1} ({segment.cell})",
                        ("effect", programme, outcome, j),
                    )
                )
    for index, saving in enumerate(place.savings):
        if _ranged(saving.per_unit, saving.low, saving.high):
            found.append(
                (
                    f"{saving.outcome} saving to {saving.beneficiary} ({saving.cells.get('£ per unit', '')})",
                    ("saving", index),
                )
            )
    return found


def _ranged(value, low, high) -> bool:
    return (low is not None and low < value) or (high is not None and high > value)


def triangular(low: float, mode: float, high: float, u: float) -> float:
    """The u-quantile of the triangular distribution (low, mode, high)."""
    if high <= low:
        return mode
    cut = (mode - low) / (high - low)
    if u < cut:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def sample_place(place: Place, seed: int, sample: int) -> tuple[Place, dict[str, float], dict[str, float]]:
    """The place with its uncertain inputs drawn for ``sample``; the draws and their quantiles."""
    inputs = uncertain_inputs(place)
    quantiles = np.random.default_rng([seed, sample]).random(len(inputs))
    effects = {key: list(segments) for key, segments in place.effects.items()}
    savings = list(place.savings)
    draws, drawn_quantiles = {}, {}
    for (name, where), u in zip(inputs, quantiles):
        if where[0] == "effect":
            _, programme, outcome, j = where
            segment: Segment = effects[(programme, outcome)][j]
            low = segment.rate if segment.low is None else segment.low
            high = segment.rate if segment.high is None else segment.high
            value = triangular(low, segment.rate, high, float(u))
            effects[(programme, outcome)][j] = segment._replace(rate=value)
        else:
            saving: Saving = savings[where[1]]
            low = saving.per_unit if saving.low is None else saving.low
            high = saving.per_unit if saving.high is None else saving.high
            value = triangular(low, saving.per_unit, high, float(u))
            savings[where[1]] = dataclasses.replace(saving, per_unit=value)
        draws[name], drawn_quantiles[name] = value, float(u)
    for segments in effects.values():  # rates of one effect must not increase
        for j in range(1, len(segments)):
            if segments[j].rate > segments[j - 1].rate:
                segments[j] = segments[j]._replace(rate=segments[j - 1].rate)
    drawn = dataclasses.replace(place, effects={k: tuple(v) for k, v in effects.items()}, savings=tuple(savings))
    return drawn, draws, drawn_quantiles


def run_one(place: Place, scenario_data: dict, base: str, seed: int, solver: str | None, spec: RunSpec) -> RunResult:
    """Build, solve and summarise one run of the sweep."""
    scenario = scenario_from_dict(scenario_data, Path(base), overrides=dict(spec.levers))
    draws, quantiles = {}, {}
    if spec.sample is not None:
        place, draws, quantiles = sample_place(place, seed, spec.sample)
    model = build(place, scenario)
    solution = solve(model, solver)
    result = RunResult(spec, solution.status, solution.objective, solution.message, draws=draws, quantiles=quantiles)
    if solution.status != OPTIMAL:
        return result
    labels = place.year_labels
    for outcome in place.outcomes.values():
        levels = [outcome_level(model, solution, outcome.code, t) for t in model.years]
        result.outcomes[outcome.code] = sum(levels)
        for t, (level, target) in enumerate(zip(levels, outcome.targets), start=1):
            if target is not None:
                result.targets[(outcome.code, labels[t - 1])] = level >= target - BINDING_TOLERANCE * max(1.0, target)
    for programme in place.programmes:
        result.allocation[programme] = sum(model.spent(solution, programme, t) for t in model.years)
    return result


def run_batch(
    place: Place, scenario_data: dict, base: str, seed: int, solver: str | None, batch: list[RunSpec]
) -> list[RunResult]:
    """The runs of one grid point on one model (``resample.py``): built once, each sample's
    rates set in its coefficients and re-solved from the last basis."""
    scenario = scenario_from_dict(scenario_data, Path(base), overrides=dict(batch[0].levers))
    model = SampledModel(place, scenario)
    results = []
    for spec in batch:
        draws, quantiles, drawn = {}, {}, place
        if spec.sample is not None:
            drawn, draws, quantiles = sample_place(place, seed, spec.sample)
        status, objective, message, outcomes, targets, allocation = model.solve(drawn)
        results.append(
            RunResult(spec, status, objective, message, outcomes, allocation, targets, draws=draws, quantiles=quantiles)
        )
    return results


@dataclass
class Sweep:
    place: Place
    scenario_name: str
    scenario_path: Path
    vary: list[tuple[str, list[object]]]
    samples: int
    seed: int
    runs: list[RunResult]
    objective: str = "outcomes"  # the scenario's, before any lever: which way the dividend runs

    @property
    def failed(self) -> list[RunResult]:
        return [run for run in self.runs if run.status != OPTIMAL]

    @property
    def points(self) -> list[tuple]:
        return list(dict.fromkeys(run.spec.levers for run in self.runs))

    def to_dict(self) -> dict:
        """A summary of the sweep, for ``--json``."""
        objectives = [run.objective for run in self.runs if run.objective is not None]
        return {
            "runs": len(self.runs),
            "not_optimal": [
                {"run": r.spec.number, "sample": r.spec.sample, "levers": dict(r.spec.levers), "status": r.status}
                for r in self.failed
            ],
            "objective_min": min(objectives) if objectives else None,
            "objective_max": max(objectives) if objectives else None,
            "seed": self.seed,
            "samples": self.samples,
        }


def sweep(
    scenario_path: Path,
    vary: list[tuple[str, list[object]]],
    samples: int = 0,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    solver: str | None = None,
    progress=None,
) -> Sweep:
    """Run every grid point (and sample); results in run order whatever ran them."""
    return sweep_places([scenario_path], vary, samples, seed, workers, scheduler, solver, progress).sweeps[0]


@dataclass
class National:
    """The same sweep on several places (each a scenario file and the workbook it names)."""

    sweeps: list[Sweep]

    @property
    def failed(self) -> list[RunResult]:
        return [run for result in self.sweeps for run in result.failed]

    def to_dict(self) -> dict:
        return {"places": [{"place": result.place.name, **result.to_dict()} for result in self.sweeps]}


def sweep_places(
    scenario_paths: list[Path],
    vary: list[tuple[str, list[object]]],
    samples: int = 0,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    solver: str | None = None,
    progress=None,
) -> National:
    """The same grid and samples on every place: one pool of workers (or one cluster) for
    all of them, every scenario and lever value checked before any run."""
    jobs, problems = [], []
    for scenario_path in map(Path, scenario_paths):
        try:
            jobs.append(_prepare(scenario_path, vary, samples, solver))
        except ScenarioError as error:
            if len(scenario_paths) == 1:
                raise
            problems += [f"{scenario_path}: {problem}" for problem in error.problems]
    if problems:
        raise ScenarioError(problems, "the sweep's scenarios")
    runs = _dispatch(jobs, seed, solver, workers, scheduler, progress)
    sweeps = []
    for (scenario_path, scenario, place, _, _, _), found in zip(jobs, runs):
        found.sort(key=lambda run: run.spec.number)
        sweeps.append(Sweep(place, scenario.name, scenario_path, vary, samples, seed, found, scenario.objective))
    return National(sweeps)


def read_places(manifest: Path) -> list[Path]:
    """The scenario files a places file lists (``scenarios = ["a.toml", ...]``, relative to
    the file), each checked to exist; every problem named at once."""
    manifest = Path(manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError([f"cannot read it ({exc.strerror})"], str(manifest)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML ({exc})"], str(manifest)) from None
    listed = data.get("scenarios")
    if not isinstance(listed, list) or not listed or not all(isinstance(item, str) for item in listed):
        raise ScenarioError(['give the places as scenarios = ["place-a.toml", "place-b.toml"]'], str(manifest))
    paths = [(manifest.parent / item) for item in listed]
    missing = [f"scenarios: {path} does not exist" for path in paths if not path.is_file()]
    if missing:
        raise ScenarioError(missing, str(manifest))
    return paths


def _prepare(scenario_path: Path, vary, samples: int, solver: str | None):
    """(scenario file, scenario, place, scenario data, its folder, run specs), checked."""
    scenario = read_scenario(scenario_path)
    scenario_data = tomllib.loads(scenario_path.read_text(encoding="utf-8"))
    if solver:
        scenario_data["solver"] = solver
    base = str(scenario_path.parent)
    specs = plan(vary, samples)
    problems = []
    for point in dict.fromkeys(spec.levers for spec in specs):  # every lever value checked before any run
        try:
            scenario_from_dict(scenario_data, Path(base), source=str(scenario_path), overrides=dict(point))
        except ScenarioError as error:
            problems += [problem for problem in error.problems if problem not in problems]
    if problems:
        raise ScenarioError(problems, f"{scenario_path} with --vary")
    place, _ = load(scenario.workbook)
    if samples and not uncertain_inputs(place):
        raise ScenarioError(
            ["no Effects or Savings row has Low and High, so there is nothing to sample"], str(scenario.workbook)
        )
    return scenario_path, scenario, place, scenario_data, base, specs


def _run_job(places, datas, bases, seed, solver, task) -> list[tuple[int, list[RunResult]]]:
    """One task of a sweep (of one place or several): its batches, each (place index, batch,
    one by one), run in turn; for each, (place index, its runs)."""
    found = []
    for index, batch, one_by_one in task:
        if one_by_one:
            runs = [run_one(places[index], datas[index], bases[index], seed, solver, spec) for spec in batch]
        else:
            runs = run_batch(places[index], datas[index], bases[index], seed, solver, batch)
        found.append((index, runs))
    return found


def cluster_tasks(batches: list[tuple], runs_per_task: int | None = None) -> list[list[tuple]]:
    """Batches grouped, in order, into tasks of at least ``runs_per_task`` runs
    (``CLUSTER_TASK_RUNS``; the last may hold fewer). A batch is never split: what a batch
    finds does not depend on which task carries it, so the table is the same however the
    batches are grouped."""
    runs_per_task = runs_per_task or CLUSTER_TASK_RUNS
    tasks, current, held = [], [], 0
    for batch in batches:
        current.append(batch)
        held += len(batch[1])
        if held >= runs_per_task:
            tasks.append(current)
            current, held = [], 0
    if current:
        tasks.append(current)
    return tasks


def _dispatch(jobs, seed, solver, workers, scheduler, progress) -> list[list[RunResult]]:
    """Every place's runs, by place. With HiGHS a task is a batch of one grid point's runs
    on one model, re-solved run after run; the batches are the same whatever runs them (a
    warm start's vertex depends on the run before), so 1 worker, 2 or a cluster give the
    same table to the last digit. With CBC a task is a few runs, each built and solved. On a
    cluster, batches travel in tasks of about a second (``cluster_tasks``), retried if
    they fail, and their runs are counted in as each task finishes."""
    workers = workers or default_workers()
    batches = []
    for index, (_, _, _, scenario_data, _, specs) in enumerate(jobs):
        if (solver or scenario_data.get("solver", "highs")) != "highs":
            # Small chunks: the last ones decide when the pool finishes, so keep them short.
            chunk = max(1, min(4, len(specs) // (16 * workers)))
            batches += [(index, specs[start : start + chunk], True) for start in range(0, len(specs), chunk)]
            continue
        by_point: dict[tuple, list[RunSpec]] = {}
        for spec in specs:
            by_point.setdefault(spec.levers, []).append(spec)
        batches += [
            (index, runs[start : start + BATCH_RUNS], False)
            for runs in by_point.values()
            for start in range(0, len(runs), BATCH_RUNS)
        ]
    tasks = cluster_tasks(batches) if scheduler else [[batch] for batch in batches]
    if len(tasks) == 1:
        workers = 1  # one task: no worker to start
    shared = tuple(tuple(job[k] for job in jobs) for k in (2, 3, 4)) + (seed, solver)
    total = sum(len(job[5]) for job in jobs)
    found: list[list[RunResult]] = [[] for _ in jobs]
    done = 0
    for task in parallel_map(_run_job, tasks, shared, workers, scheduler, retries=CLUSTER_RETRIES):
        for index, runs in task:
            found[index] += runs
            done += len(runs)
        if progress:
            progress(done, total)
    return found


# -- tables -----------------------------------------------------------------------------------


def point_label(levers: tuple) -> str:
    return "; ".join(f"{key}={value}" for key, value in levers) or "as the scenario file says"


def runs_frame(result: Sweep, with_draws: bool = True):
    """One row per run: levers, sample, status, objective, outcomes, allocation (and draws)."""
    place = result.place
    rows = []
    for run in result.runs:
        row = {"Run": run.spec.number, "Sample": run.spec.sample}
        row.update({key: value for key, value in run.spec.levers})
        row.update({"Status": run.status, "Objective": run.objective, "Solver says": run.message})
        row.update({f"Outcome {code}": run.outcomes.get(code) for code in place.outcomes})
        row.update({f"Spend {code}": run.allocation.get(code) for code in place.programmes})
        if with_draws:
            row.update({f"Drawn: {name}": value for name, value in run.draws.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def percentiles(result: Sweep):
    """P10, P50 and P90 of the objective, outcomes and allocations, by grid point, over the
    optimal runs (the samples at that point; with no samples, one run a point)."""
    frame = runs_frame(result, with_draws=False)
    frame = frame[frame["Status"] == OPTIMAL]
    measures = ["Objective", *(c for c in frame.columns if c.startswith(("Outcome ", "Spend ")))]
    keys = [key for key, _ in result.vary]
    rows = []
    groups = frame.groupby(keys, sort=False, dropna=False) if keys else [((), frame)]
    for point, group in groups:
        point = point if isinstance(point, tuple) else (point,)
        label = point_label(tuple(zip(keys, point)))
        for measure in measures:
            values = group[measure].astype(float)
            rows.append(
                {
                    "Grid point": label,
                    "Measure": measure,
                    "Runs": len(values),
                    "P10": values.quantile(0.1),
                    "P50": values.quantile(0.5),
                    "P90": values.quantile(0.9),
                }
            )
    return pd.DataFrame(rows, columns=["Grid point", "Measure", "Runs", "P10", "P50", "P90"])


def target_probabilities(result: Sweep):
    """The share of runs (at each grid point) in which each target is met; an infeasible
    run counts as not meeting it."""
    by_point: dict[tuple, list[RunResult]] = {}
    for run in result.runs:
        by_point.setdefault(run.spec.levers, []).append(run)
    keys = sorted({key for run in result.runs for key in run.targets}, key=lambda k: (k[0], k[1]))
    rows = []
    for levers, runs in by_point.items():
        for outcome, year in keys:
            met = sum(1 for run in runs if run.targets.get((outcome, year)))
            rows.append(
                {
                    "Grid point": point_label(levers),
                    "Outcome": outcome,
                    "Year": year,
                    "Runs": len(runs),
                    "Probability met": met / len(runs),
                }
            )
    return pd.DataFrame(rows, columns=["Grid point", "Outcome", "Year", "Runs", "Probability met"])


def tornado(result: Sweep) -> list[tuple[str, float]]:
    """What moves the objective most: for each lever, the spread of the mean objective over
    its values; for each uncertain input, the mean objective of the runs that drew it in
    its top third less those that drew it in its bottom third. Largest first."""
    runs = [run for run in result.runs if run.status == OPTIMAL]
    swings = []
    for key, values in result.vary:
        means = []
        for value in values:
            chosen = [run.objective for run in runs if dict(run.spec.levers).get(key) == value]
            if chosen:
                means.append(sum(chosen) / len(chosen))
        if len(means) > 1:
            swings.append((f"lever {key}", max(means) - min(means)))
    names = list(runs[0].quantiles) if runs and runs[0].quantiles else []
    for name in names:
        high = [run.objective for run in runs if run.quantiles[name] > 2 / 3]
        low = [run.objective for run in runs if run.quantiles[name] < 1 / 3]
        if high and low:
            swings.append((f"input {name}", sum(high) / len(high) - sum(low) / len(low)))
    return sorted(swings, key=lambda item: -abs(item[1]))


def national_frame(national: National):
    """One row per place and grid point: runs, the objective's P10/P50/P90, the
    partnership dividend's when the grid varies ``pooling`` over silo and pooled (each
    sample's pooled run less its silo run, common random numbers making them a pair),
    and the target least sure to be met."""
    rows = []
    for result in national.sweeps:
        chances = target_probabilities(result)
        by_point: dict[tuple, list[RunResult]] = {}
        for run in result.runs:
            by_point.setdefault(run.spec.levers, []).append(run)
        silo_of = {}
        for run in result.runs:
            levers = dict(run.spec.levers)
            if levers.get("pooling") == "silo" and run.objective is not None:
                rest = tuple((k, v) for k, v in run.spec.levers if k != "pooling")
                silo_of[(rest, run.spec.sample)] = run.objective
        for levers, runs in by_point.items():
            label = point_label(levers)
            values = pd.Series([run.objective for run in runs if run.objective is not None], dtype=float)
            row = {
                "Place": result.place.name,
                "Scenario": result.scenario_name,
                "Grid point": label,
                "Runs": len(runs),
                "Not optimal": sum(1 for run in runs if run.status != OPTIMAL),
                # Outcome value is in £; least cost in the workbook's unit; both discounted.
                "Unit": ("£" if dict(levers).get("objective", result.objective) == "outcomes" else result.place.units)
                + (", present value" if result.place.discount_rate else ""),
                "Objective P10": values.quantile(0.1) if len(values) else None,
                "Objective P50": values.quantile(0.5) if len(values) else None,
                "Objective P90": values.quantile(0.9) if len(values) else None,
            }
            dividends = []
            if dict(levers).get("pooling") == "pooled":
                # More is better for outcome value; for least cost the dividend is spending saved.
                maximise = dict(levers).get("objective", result.objective) == "outcomes"
                rest = tuple((k, v) for k, v in levers if k != "pooling")
                for run in runs:
                    silo = silo_of.get((rest, run.spec.sample))
                    if run.objective is not None and silo is not None:
                        dividends.append(run.objective - silo if maximise else silo - run.objective)
            dividend = pd.Series(dividends, dtype=float)
            for name, q in (("P10", 0.1), ("P50", 0.5), ("P90", 0.9)):
                row[f"Dividend {name}"] = dividend.quantile(q) if len(dividend) else None
            here = chances[chances["Grid point"] == label].sort_values("Probability met")
            if len(here):
                least = here.iloc[0]
                row["Target least sure"] = f"{least['Outcome']} {least['Year']}"
                row["Probability met"] = float(least["Probability met"])
            else:
                row["Target least sure"], row["Probability met"] = None, None
            rows.append(row)
    return pd.DataFrame(rows)


def risks(result: Sweep, place: Place) -> Risks:
    """What a board paper says of a Monte Carlo sweep at one point: the objective's P10, P50
    and P90, the targets least sure to be met, and the inputs that move the objective most."""
    table = percentiles(result)
    objective = table[table["Measure"] == "Objective"].iloc[0]
    chances = target_probabilities(result)
    unsure = chances[chances["Probability met"] < 1].sort_values("Probability met").head(3)
    return Risks(
        samples=len(result.runs),
        seed=result.seed,
        optimal=len(result.runs) - len(result.failed),
        p10=float(objective["P10"]),
        p50=float(objective["P50"]),
        p90=float(objective["P90"]),
        unsure=[(place.outcomes[row[1]].name, row[2], float(row[4])) for row in unsure.itertuples(index=False)],
        movers=tornado(result)[:3],
    )
