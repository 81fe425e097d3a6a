"""Benchmarks: where the time goes, at three sizes, against the floor no tool can beat.

    python benchmarks/run.py                  # all sizes, median of 3 runs each
    python benchmarks/run.py --repeat 1 --sizes small,medium

For each size (``SIZES`` in ``pooling/synthetic.py``: about 3,000, 25,000 and 270,000
variables) a contract workbook and a pooled scenario are generated, and the real
pipeline runs in a fresh process, phase by phase: load (read the workbook), validate,
build (the PuLP model), convert (the model handed to HiGHS as arrays), solve (HiGHS
itself: stage 1 of the plan rule, the value LP), read back (values and duals), stage 2
(the plan closest to the base-year budget, a QP, with the model handed over as arrays),
stage 3 (the least money crossing partners, an LP), explain, write (the annotated
workbook). The **floor** is what no modelling layer can beat, stage by stage: floor 1
is the value LP exported from our model as sparse arrays and solved by highspy
directly with the same options; floors 2 and 3 are the solvers' own calls on stages 2
and 3 (Clarabel's solve, HiGHS's runs), timed around those calls alone. The ratio is
(build + convert + solve + read back + stage 2 + stage 3) / (floor 1 + floor 2 +
floor 3). Each phase is the median of the runs; peak memory is the largest resident
size of the run's process.

At the largest size the value LP is then measured against an **independent floor**
(``benchmarks/floor.py``: the same LP built with numpy from the validated place in the
best formulation, one pot a year, and solved by highspy directly with pooling's
options): pooling's build + convert + solve + read back and the floor's build + solve,
each in a fresh process, alternated (AB, BA, ...), the median of the pairs' ratios
(target ≤ 1.2×); and against the same LP in the contract's arc formulation solved by raw
HiGHS (the solve alone; target: pooling ≤ 0.3× of it).

It also times ``pooling run`` on the example as a whole process (what a treasurer
waits for, with the machine's load averages beside it), and reading and validating a
workbook of 50,000 rows. The last line reads
``largest: N variables, R× the solvers' floor``, for scripts that follow it over time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = ("load", "validate", "build", "convert", "solve", "read back", "stage 2", "stage 3", "explain", "write")
# What the floor is compared with: every phase that makes and solves the three stages.
MODELLING = ("build", "convert", "solve", "read back", "stage 2", "stage 3")
FLOORS = ("floor 1", "floor 2", "floor 3")
SCENARIO = {
    "name": "Benchmark: pooled, grants cut, council tax frozen",
    "objective": "outcomes",
    "pooling": "pooled",
    "ring_fencing": "removed",
    "council_tax": {"freeze": True},
    "change": {"source": {"grant": -0.071}},
}


def child(workbook: Path, scenario_path: Path, output: Path) -> dict:
    """One run of the pipeline, phase by phase, and the floor (in this process)."""
    from pooling.diagnose import diagnose
    from pooling.explain import binding_constraints, cell_notes, programme_positions, statements
    from pooling.model import build
    from pooling.pipeline import Result
    from pooling.report import build_tables
    from pooling.rule import reported_plan
    from pooling.scenario import read_scenario
    from pooling.solve import configured_highs, highs_lp, solve
    from pooling.tables import read_place
    from pooling.validate import validate

    times = {}
    clock = time.perf_counter()
    raw = read_place(workbook)
    times["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    place = validate(raw)
    times["validate"] = time.perf_counter() - clock
    scenario = read_scenario(scenario_path, {"solver": "highs"})
    clock = time.perf_counter()
    model = build(place, scenario)
    times["build"] = time.perf_counter() - clock
    value = solve(model)
    times["convert"], times["solve"], times["read back"] = (value.timings[k] for k in ("convert", "run", "read back"))
    clock = time.perf_counter()
    solution = reported_plan(model, value)
    plan_seconds = time.perf_counter() - clock
    closest, crossing = solution.stages[-2], solution.stages[-1]
    times["stage 3"] = crossing.seconds
    times["stage 2"] = plan_seconds - crossing.seconds  # with the model handed over as arrays
    # The floor of stages 2 and 3: the solvers' own calls (Clarabel's solve, HiGHS's runs)
    # on the same problems, timed around those calls alone.
    times["floor 2"], times["floor 3"] = closest.solver_seconds, crossing.solver_seconds
    clock = time.perf_counter()
    binding = binding_constraints(model, value)
    grouped = statements(model, value, binding)
    positions = programme_positions(model, value, binding)
    tables = build_tables(model, solution, binding, positions)
    notes = cell_notes(model, value, grouped)
    diagnosis = diagnose(place, scenario) if solution.status == "infeasible" else None
    times["explain"] = time.perf_counter() - clock
    import datetime as dt

    result = Result(
        place,
        raw.package,
        scenario,
        model,
        solution,
        binding,
        grouped,
        positions,
        tables,
        notes,
        dt.datetime.now(dt.UTC),
    )
    result.diagnosis = diagnosis
    result.value = value
    clock = time.perf_counter()
    result.write(output)
    times["write"] = time.perf_counter() - clock

    lp, variables, constraints = highs_lp(model)
    highs = configured_highs(len(variables))
    highs.passModel(lp)
    clock = time.perf_counter()
    highs.run()
    times["floor 1"] = time.perf_counter() - clock
    nonzeros = len(lp.a_matrix_.index_)
    return {
        "times": times,
        "variables": len(variables),
        "constraints": len(constraints),
        "nonzeros": nonzeros,
        "status": solution.status,
        "objective": solution.objective,
        "floor objective": highs.getInfo().objective_function_value,
    }


def _place(workbook: Path, scenario_path: Path):
    """The validated place and the scenario (HiGHS), read before any clock starts."""
    from pooling.scenario import read_scenario
    from pooling.tables import read_place
    from pooling.validate import validate

    return validate(read_place(workbook)), read_scenario(scenario_path, {"solver": "highs"})


def stage_one(workbook: Path, scenario_path: Path, form: str) -> dict:
    """pooling's value LP in ``form``: build, convert, solve and read back (what the floor
    does, and nothing else)."""
    from pooling.model import build
    from pooling.solve import solve

    place, scenario = _place(workbook, scenario_path)
    clock = time.perf_counter()
    model = build(place, scenario, form=form)
    built = time.perf_counter() - clock
    value = solve(model)
    total = time.perf_counter() - clock
    times = {"build": built, **{k: value.timings[k] for k in ("convert", "run", "read back")}, "total": total}
    return {**times, "objective": value.objective, "variables": len(model.columns)}


def raw_arcs(workbook: Path, scenario_path: Path) -> dict:
    """The same LP in the contract's arc form, exported from pooling's arc model (not timed)
    and solved by highspy with pooling's options: the solve alone."""
    from pooling.model import build
    from pooling.solve import configured_highs, highs_lp

    place, scenario = _place(workbook, scenario_path)
    lp, variables, _ = highs_lp(build(place, scenario, form="arcs"))
    highs = configured_highs(len(variables))
    highs.passModel(lp)
    clock = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - clock
    return {"solve": seconds, "objective": highs.getInfo().objective_function_value, "variables": len(variables)}


def floor_pairs(workbook: Path, scenario: Path, pairs: int) -> dict:
    """pooling's stage 1 (pot form) and the independent floor, each in a fresh process,
    alternated (AB, BA, ...): the median of the pairs' ratios, and the arc form by raw
    HiGHS as many times."""
    ratios, ours, floors, arcs = [], [], [], []
    for number in range(pairs):
        order = ("pooling", "floor") if number % 2 == 0 else ("floor", "pooling")
        timed = {}
        for which in order:
            print(f"floor pair {number + 1} of {pairs}: {which} ...", file=sys.stderr, flush=True)
            arguments = ["stage1", str(workbook), str(scenario), "pot"] if which == "pooling" else [
                "floor", str(workbook), str(scenario), "-"]  # fmt: skip
            timed[which] = in_child(["--child", *arguments])[0]
        ours.append(timed["pooling"])
        floors.append(timed["floor"])
        ratios.append(timed["pooling"]["total"] / timed["floor"]["total"])
    for number in range(pairs):
        print(f"arc form by raw HiGHS, run {number + 1} of {pairs} ...", file=sys.stderr, flush=True)
        arcs.append(in_child(["--child", "arcs", str(workbook), str(scenario), "-"])[0])
    gap = abs(ours[0]["objective"] - floors[0]["objective"]) / max(1.0, abs(floors[0]["objective"]))
    arc_gap = abs(ours[0]["objective"] - arcs[0]["objective"]) / max(1.0, abs(arcs[0]["objective"]))
    return {
        "pooling": median([run["total"] for run in ours]),
        "phases": {k: median([run[k] for run in ours]) for k in ("build", "convert", "run", "read back")},
        "floor": median([run["total"] for run in floors]),
        "floor build": median([run["build"] for run in floors]),
        "ratio": median(ratios),
        "arcs": median([run["solve"] for run in arcs]),
        "variables": ours[0]["variables"],
        "floor variables": floors[0]["variables"],
        "arc variables": arcs[0]["variables"],
        "gaps": (gap, arc_gap),
    }


def machine_load() -> str:
    """The load averages (1, 5, 15 minutes) and the cores, to read a timing beside."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def in_child(arguments: list[str], timeout: float = 3600) -> tuple[dict | None, float, float]:
    """Run ``benchmarks/run.py`` with ``arguments`` in a fresh process: (its JSON, seconds, peak MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    output, errors = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark child failed: {errors.strip()[-2000:]}")
    lines = output.strip().splitlines()
    return (json.loads(lines[-1]) if lines else None), seconds, usage.ru_maxrss / 1024


def make_size(folder: Path, size: str) -> tuple[Path, Path]:
    from pooling.synthetic import generate_place, write_scenario, write_workbook

    workbook, scenario = folder / f"{size}.xlsx", folder / f"{size}.toml"
    write_workbook(generate_place(7, size=size, units="£000"), workbook)
    write_scenario(SCENARIO, workbook, scenario)
    return workbook, scenario


def median(values):
    return statistics.median(values) if values else float("nan")


def table(rows: list[dict]) -> str:
    header = ["size", "variables", "rows", "non-zeros", *PHASES, *FLOORS, "× floor", "build/solve", "peak MB"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        t = row["times"]
        modelling = sum(t[phase] for phase in MODELLING)
        cells = [
            row["size"],
            f"{row['variables']:,}",
            f"{row['constraints']:,}",
            f"{row['nonzeros']:,}",
            *(f"{t[phase]:.2f}" for phase in PHASES),
            *(f"{t[floor]:.2f}" for floor in FLOORS),
            f"{modelling / sum(t[floor] for floor in FLOORS):.2f}",
            f"{t['build'] / t['solve']:.0%}",
            f"{row['peak']:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "A", "B", "C"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *paths = args.child
        if kind == "pipeline":
            print(json.dumps(child(*map(Path, paths))))
        elif kind == "stage1":
            print(json.dumps(stage_one(Path(paths[0]), Path(paths[1]), paths[2])))
        elif kind == "floor":
            from floor import solve_floor

            place, scenario = _place(Path(paths[0]), Path(paths[1]))
            status, objective, times = solve_floor(place, scenario)
            total = times["build"] + times["solve"]
            print(json.dumps({**times, "total": total, "objective": objective, "variables": times["columns"]}))
        elif kind == "arcs":
            print(json.dumps(raw_arcs(Path(paths[0]), Path(paths[1]))))
        elif kind == "partners":
            import pooling.pipeline
            from pooling.analyses.partnership import analyse
            from pooling.scenario import read_scenario, scenario_from_dict

            if paths[2] == "-":
                scenario = read_scenario(ROOT / "scenarios" / "sr2010-pooled.toml", {"solver": paths[0]})
            else:  # a generated place of that many partners, two streams and programmes each
                from pooling.synthetic import generate_place, write_workbook

                count = int(paths[2])
                workbook = Path(tempfile.mkdtemp()) / "partners.xlsx"
                write_workbook(
                    generate_place(
                        1, partners=count, streams_per_partner=2, programmes=2 * count, outcomes=3, savings=False
                    ),
                    workbook,
                )
                scenario = scenario_from_dict({"workbook": str(workbook), "solver": paths[0], "objective": "outcomes"})
            place, package = pooling.pipeline.load(scenario.workbook)
            clock = time.perf_counter()
            analysis = analyse(place, package, scenario, workers=int(paths[1]))
            print(
                json.dumps(
                    {
                        "seconds": time.perf_counter() - clock,
                        "coalitions": len(analysis.game.values),
                        "partners": len(place.partners),
                    }
                )
            )
        elif kind == "national":
            from pooling.analyses.sweep import sweep_places
            from pooling.synthetic import national_places

            where, samples = paths[0], int(paths[1])
            scenarios = national_places(Path(tempfile.mkdtemp()), 152)
            if where == "dask":
                from dask.distributed import LocalCluster

                cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
                options = {"scheduler": cluster.scheduler_address}
            else:
                options = {"workers": 2}
            clock = time.perf_counter()
            result = sweep_places(scenarios, [], samples=samples, seed=1, **options)
            seconds = time.perf_counter() - clock
            runs = sum(len(one.runs) for one in result.sweeps)
            print(json.dumps({"seconds": seconds, "runs": runs, "not_optimal": len(result.failed)}))
        elif kind == "sweep":
            from pooling.analyses.sweep import sweep

            clock = time.perf_counter()
            result = sweep(
                ROOT / "scenarios" / "sr2010-pooled.toml",
                [],
                samples=int(paths[0]),
                seed=1,
                workers=int(paths[1]),
                solver="highs",
            )
            print(json.dumps({"seconds": time.perf_counter() - clock, "runs": len(result.runs)}))
        elif kind == "load":
            import pooling.pipeline  # imported before the clock starts: reading is timed, not imports

            clock = time.perf_counter()
            place, _ = pooling.pipeline.load(Path(paths[0]))
            rows = sum(
                len(getattr(place, name)) for name in ("partners", "streams", "programmes", "outcomes", "savings")
            )
            rows += sum(len(segments) for segments in place.effects.values())
            print(json.dumps({"seconds": time.perf_counter() - clock, "rows": rows}))
        return

    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for size in args.sizes.split(","):
            workbook, scenario = make_size(folder, size)
            runs, peaks = [], []
            for number in range(args.repeat):
                print(f"{size}: run {number + 1} of {args.repeat} ...", file=sys.stderr, flush=True)
                data, _, peak = in_child(
                    ["--child", "pipeline", str(workbook), str(scenario), str(folder / f"{size}-out.xlsx")]
                )
                runs.append(data)
                peaks.append(peak)
                (folder / f"{size}-out.xlsx").unlink(missing_ok=True)
                (folder / f"{size}-out.xlsx.bak").unlink(missing_ok=True)
            times = {phase: median([run["times"][phase] for run in runs]) for phase in [*PHASES, *FLOORS]}
            results.append({**runs[0], "size": size, "times": times, "peak": max(peaks)})
            gap = abs(runs[0]["objective"] - runs[0]["floor objective"]) / max(1.0, abs(runs[0]["floor objective"]))
            print(f"{size}: objective matches the floor's to {gap:.1e}", file=sys.stderr)

        print("Pipeline phases (seconds, median of runs; HiGHS):")
        print(table(results))
        print()

        # The value LP at the largest size against an independent floor built with numpy in the
        # best formulation (benchmarks/floor.py), and against the contract's arc form by raw HiGHS.
        pairs = floor_pairs(workbook, scenario, args.repeat)
        phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in pairs["phases"].items())
        print(
            f"{size}, the value LP: pooling (pot form, {pairs['variables']:,} variables) {pairs['pooling']:.2f} s "
            f"({phases}); independent floor ({pairs['floor variables']:,} variables) {pairs['floor']:.2f} s "
            f"(build {pairs['floor build']:.2f}); {pairs['ratio']:.2f}× the floor (median of {args.repeat} "
            f"alternated pairs; target ≤ 1.2×)"
        )
        print(
            f"{size}, the same LP in the contract's arc form ({pairs['arc variables']:,} variables) by raw HiGHS: "
            f"{pairs['arcs']:.2f} s; pooling takes {pairs['pooling'] / pairs['arcs']:.2f}× that (target ≤ 0.3×); "
            f"objectives agree to {max(pairs['gaps']):.1e}"
        )
        print()

        # As a treasurer runs it: Python may cache compiled bytecode (some sandboxes turn
        # that off), and the first, untimed run fills that cache as any first run does.
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        for flags, target in (([], "0.5 s, with switching values"), (["--no-switching"], "0.5 s")):
            process, load = [], machine_load()
            for attempt in range(max(args.repeat, 5) + 1):
                started = time.perf_counter()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pooling",
                        "run",
                        "scenarios/sr2010-pooled.toml",
                        "-o",
                        str(folder / "example.xlsx"),
                        *flags,
                    ],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    env=environment,
                )
                if attempt:
                    process.append(time.perf_counter() - started)
            print(
                f"pooling run {' '.join(flags) + ' ' if flags else ''}on the example, as a whole process: "
                f"{median(process):.2f} s (median of {len(process)}; target {target}; {load} before it)"
            )

        from pooling.synthetic import generate_place, write_workbook

        big = folder / "rows.xlsx"
        write_workbook(generate_place(11, programmes=400, outcomes=60, effect_density=1.0), big)
        loads = [in_child(["--child", "load", str(big), "-", "-"])[0] for _ in range(args.repeat)]
        print(
            f"reading and validating a workbook of {loads[0]['rows']:,} rows: "
            f"{median([load['seconds'] for load in loads]):.2f} s (median of {len(loads)}; target 2 s)"
        )
        # HiGHS re-solves one model per worker from the last basis; CBC builds each coalition's.
        for solver, workers, count, target in (
            ("highs", "1", "-", "under 1 s"),
            ("highs", "2", "-", "under 1 s"),
            ("cbc", "2", "-", "under a minute"),
            ("highs", "2", "12", "under 60 s"),
        ):
            partners = [in_child(["--child", "partners", solver, workers, count])[0] for _ in range(args.repeat)]
            where = "the example" if count == "-" else "a generated place"
            print(
                f"partnership analysis of {where} ({partners[0]['partners']} partners, {partners[0]['coalitions']} "
                f"coalitions solved, exact, {workers} worker(s), {solver.upper()}): "
                f"{median([p['seconds'] for p in partners]):.2f} s (median of {len(partners)}; target {target})"
            )

        samples = 1000
        timed = {}
        for workers in (1, 2):
            sweeps = [in_child(["--child", "sweep", str(samples), str(workers), "-"])[0] for _ in range(args.repeat)]
            timed[workers] = median([s["seconds"] for s in sweeps])
            print(
                f"sweep of {samples} Monte Carlo runs of the example on {workers} worker(s): {timed[workers]:.2f} s, "
                f"{samples / timed[workers]:.0f} runs a second (target on 2 workers: 100)"
            )
        print(f"sweep speed-up on 2 workers: {timed[1] / timed[2]:.2f}× (target 1.8×)")

        # The national view: 152 generated places (England's upper-tier areas) x 20 samples,
        # on the process pool and on a 2-worker Dask LocalCluster; the time for 1,000 samples
        # each projected from the faster's throughput (reading the places included).
        throughput = {}
        for where in ("pool", "dask"):
            national = [in_child(["--child", "national", where, "20", "-"])[0] for _ in range(args.repeat)]
            seconds = median([n["seconds"] for n in national])
            throughput[where] = national[0]["runs"] / seconds
            print(
                f"national sweep on the {'process pool' if where == 'pool' else 'Dask LocalCluster'} (2 workers): "
                f"152 places x 20 samples, {national[0]['runs']:,} runs in {seconds:.1f} s, "
                f"{throughput[where]:.0f} runs a second ({national[0]['not_optimal']} not optimal)"
            )
        minutes = 152 * 1000 / max(throughput.values()) / 60
        print(f"national: 152 places x 1000 samples projected to {minutes:.0f} min on this machine (target 20)")

    largest = results[-1]
    t = largest["times"]
    ratio = sum(t[phase] for phase in MODELLING) / sum(t[floor] for floor in FLOORS)
    print(f"largest: {largest['variables']} variables, {ratio:.2f}× the solvers' floor")
    print(
        f"largest, the value LP: {pairs['ratio']:.2f}× the independent floor, {pairs['pooling'] / pairs['arcs']:.2f}× the arc form by raw HiGHS"
    )


if __name__ == "__main__":
    main()
