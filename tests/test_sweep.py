"""Sweeps and uncertainty: the same numbers on one worker, two, or a Dask cluster."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import pooling
from pooling.analyses.books import write_table
from pooling.analyses.sweep import parse_vary, plan, sample_place, sweep, triangular
from pooling.cli import main

from .helpers import place_sheets, small_place, write_sheets

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "sr2010-pooled.toml"
GRID3 = parse_vary(
    ["change.source.grant=-0.05,-0.071,-0.10", "change.source.fees=0.0,0.02,0.05", "change.partner.B=-0.02,0.0,0.02"]
)
SAMPLES = 60


def fingerprint(result):
    return [(run.spec, run.status, run.objective, run.outcomes, run.allocation, run.draws) for run in result.runs]


def test_plan_is_every_combination_times_every_sample():
    specs = plan(parse_vary(["pooling=silo,pooled", "objective=outcomes,least-cost"]), samples=3)
    assert len(specs) == 2 * 2 * 3
    assert [spec.number for spec in specs] == list(range(1, 13))
    assert specs[0].levers == (("pooling", "silo"), ("objective", "outcomes")) and specs[0].sample == 1
    assert specs[-1].levers == (("pooling", "pooled"), ("objective", "least-cost")) and specs[-1].sample == 3


def test_triangular_quantiles_by_hand():
    # (0, 1, 2) is symmetric: the median is the mode, the 12.5% quantile is 0.5.
    assert triangular(0.0, 1.0, 2.0, 0.5) == pytest.approx(1.0)
    assert triangular(0.0, 1.0, 2.0, 0.125) == pytest.approx(0.5)
    # a one-sided range (low = mode): the 75% quantile of (1, 1, 3) is 3 − 2 × √0.25 = 2
    assert triangular(1.0, 1.0, 3.0, 0.75) == pytest.approx(2.0)


def test_draws_stay_in_range_keep_segments_falling_and_depend_only_on_seed_and_sample(tmp_path):
    place, _ = pooling.load(ROOT / "spreadsheets" / "example.xlsx")
    drawn, draws, quantiles = sample_place(place, seed=3, sample=7)
    again, draws_again, _ = sample_place(place, seed=3, sample=7)
    assert draws == draws_again and drawn.effects == again.effects
    assert draws != sample_place(place, seed=3, sample=8)[1]
    for (programme, outcome), segments in drawn.effects.items():
        original = place.effects[(programme, outcome)]
        for before, after in zip(original, segments):
            low = before.rate if before.low is None else before.low
            high = before.rate if before.high is None else before.high
            assert low - 1e-12 <= after.rate <= high + 1e-12
        assert all(a.rate >= b.rate for a, b in zip(segments, segments[1:]))
    assert all(0 <= u < 1 for u in quantiles.values()) and len(quantiles) >= 20


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The scenario of a small three-partner place with every effect and saving ranged."""
    return small_place(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def grid_one_worker(small):
    return sweep(small, GRID3, workers=1)


@pytest.fixture(scope="module")
def monte_carlo_one_worker(small):
    return sweep(small, [], samples=SAMPLES, seed=11, workers=1)


def test_grid_of_three_levers_by_three_values_on_one_and_two_workers(small, grid_one_worker):
    assert len(grid_one_worker.runs) == 27 and not grid_one_worker.failed
    two = sweep(small, GRID3, workers=2)
    assert fingerprint(two) == fingerprint(grid_one_worker)
    # each run is the plain run of its levers
    run = grid_one_worker.runs[0]
    plain = pooling.run(small, overrides=dict(run.spec.levers), counterpart=False)
    assert run.objective == pytest.approx(plain.objective, rel=1e-12)


def test_monte_carlo_on_one_and_two_workers(small, monte_carlo_one_worker):
    assert len(monte_carlo_one_worker.runs) == SAMPLES
    two = sweep(small, [], samples=SAMPLES, seed=11, workers=2)
    assert fingerprint(two) == fingerprint(monte_carlo_one_worker)
    objectives = [run.objective for run in monte_carlo_one_worker.runs]
    assert len(set(objectives)) > SAMPLES * 3 // 4  # the inputs really vary


def test_the_same_on_a_local_dask_cluster(small, grid_one_worker, monte_carlo_one_worker):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        grid = sweep(small, GRID3, scheduler=cluster.scheduler_address)
        assert fingerprint(grid) == fingerprint(grid_one_worker)
        carlo = sweep(small, [], samples=SAMPLES, seed=11, scheduler=cluster.scheduler_address)
        assert fingerprint(carlo) == fingerprint(monte_carlo_one_worker)


def test_infeasible_runs_are_counted_and_listed_never_dropped(tmp_path):
    # A programme minimum of 70, 90 or 110 out of £100k a year: the last is infeasible.
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, 70, None), ("Q", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 5, None), ("Q", "O", 10, None)],
    )
    write_sheets(tmp_path / "place.xlsx", sheets)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "Cuts"\nworkbook = "place.xlsx"\nsolver = "highs"\n')
    result = sweep(scenario, parse_vary(["change.default=0.0,-0.2,-0.4"]), workers=1)
    assert [run.status for run in result.runs] == ["optimal", "optimal", "infeasible"]
    (failed,) = result.failed
    assert failed.spec.levers == (("change.default", -0.4),)
    out = tmp_path / "sweep.xlsx"
    cli = CliRunner().invoke(
        main, ["sweep", str(scenario), "--vary", "change.default=0.0,-0.2,-0.4", "-o", str(out), "--workers", "1"]
    )
    assert cli.exit_code == 3
    assert "3 runs, 1 not optimal." in cli.output
    book = openpyxl.load_workbook(out)
    assert [row[3] for row in book["Not optimal"].iter_rows(min_row=2, max_row=2, values_only=True)] == ["infeasible"]
    assert len(list(book["Runs"].iter_rows(min_row=2, values_only=True))) == 3


def test_the_workbook_percentiles_targets_and_tornado(monte_carlo_one_worker, tmp_path):
    from pooling.analyses.books import write_sweep
    from pooling.analyses.sweep import percentiles, target_probabilities, tornado

    out = tmp_path / "mc.xlsx"
    write_sweep(monte_carlo_one_worker, out)
    book = openpyxl.load_workbook(out)
    assert {"Runs", "Percentiles", "Targets", "Tornado", "Not optimal", "Audit"} <= set(book.sheetnames)
    assert len(book["Percentiles"]._charts) == 1 and len(book["Tornado"]._charts) == 1
    table = percentiles(monte_carlo_one_worker)
    objective = table[table["Measure"] == "Objective"].iloc[0]
    values = sorted(run.objective for run in monte_carlo_one_worker.runs)
    assert objective["P10"] <= objective["P50"] <= objective["P90"]
    assert objective["P50"] == pytest.approx(pd.Series(values).quantile(0.5))
    probabilities = target_probabilities(monte_carlo_one_worker)
    assert probabilities["Probability met"].between(0, 1).all() and len(probabilities) == 3  # O1 in 3 years
    swings = tornado(monte_carlo_one_worker)
    assert swings and all(name.startswith("input ") for name, _ in swings)
    assert abs(swings[0][1]) >= abs(swings[-1][1])


def test_the_runs_table_for_analysts(grid_one_worker, tmp_path):
    for suffix in (".csv", ".parquet"):
        if suffix == ".parquet":
            pytest.importorskip("pyarrow")
        target = tmp_path / f"runs{suffix}"
        write_table(grid_one_worker, target)
        frame = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
        assert len(frame) == 27 and {"Run", "Objective", "Status", "change.source.grant"} <= set(frame.columns)
        assert frame["Objective"].iloc[0] == pytest.approx(grid_one_worker.runs[0].objective, rel=1e-12)


def test_bad_lever_values_are_refused_before_any_run():
    with pytest.raises(pooling.ScenarioError) as caught:
        sweep(SCENARIO, parse_vary(["pooling=silo,shared"]), workers=1)
    assert any("pooling: must be 'pooled' or 'silo', not 'shared'" in line for line in caught.value.lines())


def test_the_runs_table_never_replaces_a_file_it_did_not_write(grid_one_worker, tmp_path):
    target = tmp_path / "runs.csv"
    target.write_text("Name,Budget\nmine,1\n", encoding="utf-8")
    with pytest.raises(pooling.WriteError, match="not a table pooling sweep wrote"):
        write_table(grid_one_worker, target)
    assert target.read_text(encoding="utf-8") == "Name,Budget\nmine,1\n"
    write_table(grid_one_worker, target, force=True)  # asked for: replaced, the old one kept
    assert (tmp_path / "runs.csv.bak").read_text(encoding="utf-8") == "Name,Budget\nmine,1\n"
    assert write_table(grid_one_worker, target) is not None  # an earlier table: replaced after a backup
    (tmp_path / "~$runs.csv").write_text("", encoding="utf-8")  # open in Excel
    with pytest.raises(pooling.WriteError, match="open in Excel"):
        write_table(grid_one_worker, target)
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".~pooling*"))


@pytest.mark.parametrize("which", ["small", "example"])
def test_every_run_re_solved_on_one_model_equals_a_fresh_build(small, which):
    # A batch of runs shares one model: each sample's effect and savings rates are set in its
    # coefficients and re-solved from the last basis. Each run's optimum must be the one a
    # model built for that sample alone reaches (the small place ranges savings too).
    import tomllib

    from pooling.analyses.sweep import run_one

    scenario = small if which == "small" else ROOT / "scenarios" / "sr2010-pooled.toml"
    vary = GRID3[:1] if which == "small" else []  # three grid points, each its own batches
    result = sweep(scenario, vary, samples=30, seed=7, workers=1)
    data = tomllib.loads(Path(scenario).read_text(encoding="utf-8"))
    assert len(result.runs) > 25  # more than one batch of a point: a batch's first run starts cold
    for run in result.runs:
        cold = run_one(result.place, data, str(Path(scenario).parent), 7, None, run.spec)
        assert run.status == cold.status, run.spec
        if cold.objective is not None:
            assert run.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9), run.spec
            assert sum(run.allocation.values()) == pytest.approx(sum(cold.allocation.values()), rel=1e-6)


@pytest.fixture(scope="module")
def three_places(tmp_path_factory):
    """Three small places (grants cut by 2%, 5% and 8% a year) and a places file listing them."""
    folder = tmp_path_factory.mktemp("national")
    scenarios = []
    for number, cut in enumerate((0.02, 0.05, 0.08), start=1):
        (folder / f"place{number}").mkdir()
        scenario = small_place(folder / f"place{number}")
        scenario.write_text(
            scenario.read_text(encoding="utf-8")
            .replace("grant = -0.05", f"grant = -{cut}")
            .replace('name = "Small place, pooled, grants cut"', f'name = "Place {number}, grants cut {cut:.0%}"'),
            encoding="utf-8",
        )
        scenarios.append(scenario)
    manifest = folder / "places.toml"
    manifest.write_text(
        "scenarios = [" + ", ".join(f'"place{n}/scenario.toml"' for n in (1, 2, 3)) + "]\n", encoding="utf-8"
    )
    return scenarios, manifest


POOLING = parse_vary(["pooling=silo,pooled"])


def test_cluster_tasks_group_whole_batches_in_order():
    from pooling.analyses.sweep import cluster_tasks

    # (place, runs, one by one): 3 + 4 + 2 + 5 + 1 runs, grouped to at least 6 a task.
    batches = [(0, [1, 2, 3], False), (0, [4, 5, 6, 7], False), (1, [1, 2], False), (1, [3, 4, 5, 6, 7], False)]
    batches.append((2, [1], True))
    tasks = cluster_tasks(batches, runs_per_task=6)
    assert tasks == [batches[0:2], batches[2:4], batches[4:]]  # 7 runs, 7 runs, and the 1 left
    assert cluster_tasks(batches, runs_per_task=100) == [batches]


def test_several_places_give_the_same_table_on_one_worker_two_and_dask(three_places, monkeypatch):
    from pooling.analyses import sweep as sweeps
    from pooling.analyses.sweep import sweep_places

    scenarios, _ = three_places
    one = sweep_places(scenarios, POOLING, samples=8, seed=3, workers=1)
    two = sweep_places(scenarios, POOLING, samples=8, seed=3, workers=2)
    assert [fingerprint(result) for result in one.sweeps] == [fingerprint(result) for result in two.sweeps]
    # Each place's runs are the runs of a sweep of that place alone.
    alone = sweep(scenarios[1], POOLING, samples=8, seed=3, workers=1)
    assert fingerprint(one.sweeps[1]) == fingerprint(alone)
    distributed = pytest.importorskip("distributed")
    # Tasks of two batches (8 runs each), so a task can carry two places' batches.
    monkeypatch.setattr(sweeps, "CLUSTER_TASK_RUNS", 10)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = sweep_places(scenarios, POOLING, samples=8, seed=3, scheduler=cluster.scheduler_address)
    assert [fingerprint(result) for result in dask.sweeps] == [fingerprint(result) for result in one.sweeps]


def test_the_national_sheet_lists_every_place_with_its_dividend_paired_by_sample(three_places, tmp_path):
    from pooling.analyses.sweep import national_frame, sweep_places

    scenarios, manifest = three_places
    out = tmp_path / "national.xlsx"
    result = CliRunner().invoke(
        main, ["sweep", "--places", str(manifest), "-o", str(out), "--samples", "6", "--vary", "pooling=silo,pooled"]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, data_only=True)
    assert book.sheetnames[:2] == ["National", "Runs"]
    national = sweep_places(scenarios, POOLING, samples=6, seed=1, workers=1)
    table = national_frame(national)
    assert len(table) == 3 * 2  # each place at silo and at pooled
    for result_of_place in national.sweeps:
        runs = result_of_place.runs
        silo = {run.spec.sample: run.objective for run in runs if dict(run.spec.levers)["pooling"] == "silo"}
        pooled = {run.spec.sample: run.objective for run in runs if dict(run.spec.levers)["pooling"] == "pooled"}
        by_hand = pd.Series([pooled[k] - silo[k] for k in pooled]).quantile(0.5)
        row = table[(table["Scenario"] == result_of_place.scenario_name) & (table["Grid point"] == "pooling=pooled")]
        assert len(row) == 1
        assert row["Unit"].iloc[0] == "£, present value"  # outcome value, discounted at 3.5%
        assert float(row["Dividend P50"].iloc[0]) == pytest.approx(by_hand, rel=1e-12)
    rows = list(book["National"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Place", "Scenario", "Grid point") and len([r for r in rows[1:] if r[0]]) == 6
    runs = list(book["Runs"].iter_rows(values_only=True))
    assert runs[0][0] == "Place" and len(runs) - 1 == 3 * 2 * 6


def test_a_places_file_naming_a_missing_scenario_is_a_clear_error(tmp_path):
    manifest = tmp_path / "places.toml"
    manifest.write_text('scenarios = ["here.toml", "gone.toml"]\n', encoding="utf-8")
    (tmp_path / "here.toml").write_text('workbook = "x.xlsx"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["sweep", "--places", str(manifest), "--samples", "2"])
    assert result.exit_code == 1 and "gone.toml does not exist" in result.output and "Traceback" not in result.output


def test_generated_national_places_are_valid_varied_and_ranged(tmp_path):
    from pooling.analyses.sweep import uncertain_inputs
    from pooling.synthetic import national_places

    scenarios = national_places(tmp_path, count=4, seed=2)
    places = [pooling.load(pooling.read_scenario(path).workbook)[0] for path in scenarios]
    assert len({len(place.programmes) for place in places}) > 1  # sizes vary
    for place in places:
        assert 3 <= len(place.partners) <= 8
        assert len(uncertain_inputs(place)) == sum(len(segments) for segments in place.effects.values())
