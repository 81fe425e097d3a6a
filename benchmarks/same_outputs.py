"""Are two checkouts' outputs the same? Every result sheet, cell for cell.

    python benchmarks/same_outputs.py /path/to/other/checkout          # this one against it
    python benchmarks/same_outputs.py OTHER --solver cbc --only sr2010-pooled

For a change meant to leave behaviour as it was (a restructuring, a faster build), run
the same commands with both checkouts' code, each in a fresh process with its own
``pooling`` first on the path, and compare every cell of every sheet they write:
``pooling run`` on every example scenario, ``pooling compare`` of them all, ``pooling
partners`` and a small ``pooling sweep`` of the pooled scenario. Cells that must differ
from run to run (times, dates, paths, hashes of the written files) are left out; numbers
agree to 1e-9 relative (the solvers are deterministic, so in practice they agree bit for
bit). Prints one line per output and exits 1 if anything differs.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pooling.scenario import SOLVERS  # noqa: E402

# Rows of the Audit sheets, and Summary notes, that differ between any two runs.
VOLATILE = ("run at", "run time", "time:", "input workbook", "scenario file", "tool", "python version", "made")


def outputs(checkout: Path, folder: Path, solver: str | None, only: list[str]) -> dict[str, Path]:
    """Run the commands with ``checkout``'s code; the workbooks written, by name."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    scenarios = sorted((ROOT / "scenarios").glob("*.toml"))
    if only:
        scenarios = [path for path in scenarios if path.stem in only]
    extra = ["--solver", solver] if solver else []
    written = {}

    def command(name: str, *arguments: str) -> None:
        target = folder / f"{name}.xlsx"
        completed = subprocess.run(
            [sys.executable, "-m", "pooling", *arguments, "-o", str(target), *extra],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
        )
        if not target.exists():
            raise SystemExit(f"{checkout}: {' '.join(arguments)} wrote nothing:\n{completed.stderr}")
        written[name] = target

    for path in scenarios:
        command(f"run-{path.stem}", "run", str(path))
    least_cost = ROOT / "scenarios" / "sr2010-least-cost.toml"
    if least_cost in scenarios:  # infeasible in silo: the diagnosis
        command("run-least-cost-silo", "run", str(least_cost), "--pooling", "silo")
    command("compare", "compare", *map(str, scenarios))
    pooled = ROOT / "scenarios" / "sr2010-pooled.toml"
    if pooled in scenarios:
        command("partners", "partners", str(pooled), "--workers", "1")
        command("sweep", "sweep", str(pooled), "--vary", "change.source.grant=-0.05,-0.10", "--workers", "1")
    return written


def cells(path: Path) -> dict[tuple[str, int, int], object]:
    """Every non-blank cell of every sheet, by (sheet, row, column)."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    found = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for r, values in enumerate(rows, start=1):
            if values and isinstance(values[0], str) and values[0].strip().casefold().startswith(VOLATILE):
                continue
            for c, value in enumerate(values, start=1):
                if value != "":
                    found[(name, r, c)] = value
    return found


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a git worktree of main)")
    parser.add_argument("--solver", choices=SOLVERS, help="override every scenario's solver")
    parser.add_argument("--only", action="append", default=[], help="only this scenario (file stem); repeatable")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as mine_dir, tempfile.TemporaryDirectory() as other_dir:
        mine = outputs(ROOT, Path(mine_dir), arguments.solver, arguments.only)
        theirs = outputs(arguments.other.resolve(), Path(other_dir), arguments.solver, arguments.only)
        differing = 0
        for name in mine:
            a, b = cells(mine[name]), cells(theirs[name])
            keys = sorted(set(a) | set(b), key=lambda key: (key[0], key[1], key[2]))
            diffs = [key for key in keys if not same(a.get(key), b.get(key))]
            print(f"{name:40} {len(a):7,} cells  {'same' if not diffs else f'{len(diffs):,} differ'}")
            for sheet, row, column in diffs[:5]:
                print(
                    f"    {sheet}!R{row}C{column}: {a.get((sheet, row, column))!r} vs {b.get((sheet, row, column))!r}"
                )
            differing += bool(diffs)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
