"""The ``pooling`` command: a thin shell over the library.

Each command parses its arguments, calls the public API (``pooling.*``: the library a
script would call), prints what ``words.py`` says of the result, and exits with the
status of what happened: 0 solved to optimality, 1 bad input, 2 bad usage, 3 infeasible
or unbounded, 4 the solver could not run. Options shared by several commands are
declared once (``solver_option``, ``json_option``, ...), and library errors become exit
statuses in one place (:func:`reported`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

import pooling

from . import words
from .errors import EXIT_NOT_OPTIMAL, EXIT_USAGE, InputError, SolverError, WriteError
from .scenario import SOLVERS, parse_value
from .version import __version__

# -- shared options and error handling ---------------------------------------------------------


def solver_option(function):
    return click.option("--solver", type=click.Choice(SOLVERS), help="Override the solver of every scenario given.")(
        function
    )


def json_option(function):
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as JSON (full precision) instead of text."
    )(function)


def output_option(what: str, required: bool = False):
    return click.option("-o", "--output", required=required, type=click.Path(dir_okay=False, path_type=Path), help=what)


def workers_option(function):
    return click.option("--workers", type=int, help="Local processes solving in parallel (default: all cores).")(
        function
    )


# More Monte Carlo samples or sampled orders than any analysis needs, and than memory holds.
MAX_SAMPLES = 100_000


def seed_option(what: str):
    return click.option(
        "--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True, help=f"Seed of the {what}."
    )


@contextlib.contextmanager
def reported(as_json: bool = False, writing: str = "the output", while_writing: bool = False):
    """Turn library errors into one-line messages and exit statuses: bad input (every
    problem listed) 1; an output that cannot be written 2; a solver that cannot run 4.
    ``while_writing``: the inputs were read already, so an input error met now is a
    failure to write ``writing`` (still exit 1)."""
    try:
        yield
    except InputError as error:
        if while_writing:
            click.echo(f"Could not write {writing}: {error}", err=True)
            sys.exit(error.exit_status)
        lines = error.lines()
        if as_json:
            click.echo(json.dumps({"status": "bad input", "problems": lines}, indent=2))
        else:
            click.echo(f"Bad input ({len(lines)} problem{'s' if len(lines) != 1 else ''}):", err=True)
            for line in lines:
                click.echo(f"  {line}", err=True)
        sys.exit(error.exit_status)
    except WriteError as error:
        click.echo(f"Could not write {writing}: {error}", err=True)
        sys.exit(error.exit_status)
    except SolverError as error:
        click.echo(f"The solver failed: {error}", err=True)
        sys.exit(error.exit_status)
    except OSError as error:  # what the library did not turn into a message of its own
        where = f"{error.filename}: " if error.filename else ""
        click.echo(
            f"Could not {'write ' + writing if while_writing else 'go on'}: {where}{error.strerror or error}", err=True
        )
        sys.exit(EXIT_USAGE)
    except MemoryError:
        click.echo("Out of memory: the input is larger than this machine can hold", err=True)
        sys.exit(EXIT_USAGE)


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _show(as_json: bool, data: dict, lines: list[str], written: list[Path | None]) -> None:
    """The result as JSON, or in words with the files written."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    _echo(lines)
    for path in written:
        if path is not None:
            click.echo(f"Wrote {path}")


def _progress_bar(label: str):
    """A ``progress(done, total)`` that draws a bar with the time left on a terminal's
    stderr (nothing when stderr is a file or a pipe)."""
    bar, shown, finished = None, 0, False

    def progress(done: int, total: int) -> None:
        nonlocal bar, shown, finished
        if finished or not sys.stderr.isatty():
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, show_eta=True, show_pos=True, file=sys.stderr)
            bar.__enter__()
        bar.update(done - shown)
        shown = done
        if done == total:
            bar.__exit__(None, None, None)
            finished = True

    return progress


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(message, err=True)


def _exit(optimal: bool) -> None:
    sys.exit(0 if optimal else EXIT_NOT_OPTIMAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pooling")
def main() -> None:
    """Optimise a place-based pooled budget across local public services.

    \b
    Examples:
      pooling run scenarios/sr2010-pooled.toml -o results.xlsx
      pooling run scenarios/sr2010-pooled.toml --pooling silo --solver highs
      pooling compare scenarios/sr2010-silo.toml scenarios/sr2010-pooled.toml -o compare.xlsx
      pooling partners scenarios/sr2010-pooled.toml -o partnership.xlsx
      pooling sweep scenarios/sr2010-pooled.toml --samples 200 -o mc.xlsx
      pooling validate spreadsheets/example.xlsx
      pooling split spreadsheets/example.xlsx -o returns/
      pooling merge spreadsheets/example.xlsx returns/*.xlsx -o merged.xlsx
      pooling template my-place.xlsx
    """


def _overrides(pooling_mode, ring_fencing, freeze, solver, objective, settings) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for item in settings:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        overrides[key.strip()] = parse_value(value.strip())
    if pooling_mode:
        overrides["pooling"] = pooling_mode
    if ring_fencing:
        overrides["ring_fencing"] = (
            ring_fencing
            if ring_fencing in ("kept", "removed")
            else [code.strip() for code in ring_fencing.split(",") if code.strip()]
        )
    if freeze is not None:
        overrides["council_tax.freeze"] = freeze
    if solver:
        overrides["solver"] = solver
    if objective:
        overrides["objective"] = objective
    return overrides


# -- pooling run -------------------------------------------------------------------------------


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@output_option("Annotated workbook to write. Default: SCENARIO-results.xlsx in the current folder.")
@click.option(
    "--pooling", "pooling_mode", type=click.Choice(["pooled", "silo"]), help="Override the scenario's pooling."
)
@click.option(
    "--ring-fencing",
    metavar="kept|removed|CODES",
    help="Override ring-fencing: kept, removed, or comma-separated streams that stay ring-fenced.",
)
@click.option("--freeze/--no-freeze", default=None, help="Override the council tax freeze.")
@solver_option
@click.option("--objective", type=click.Choice(["outcomes", "least-cost"]), help="Override the objective.")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set any scenario key, e.g. --set change.source.grant=-0.10 (repeatable).",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Write the results into the input workbook itself, after a verified backup (NAME.bak).",
)
@click.option(
    "--switching/--no-switching",
    default=True,
    show_default=True,
    help="Find the switching values of the programmes' effects (re-solving each; about a second on the example).",
)
@click.option(
    "--per-partner",
    "per_partner",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write one results workbook per partner into this folder.",
)
@click.option(
    "--dividend/--no-dividend",
    default=True,
    help="Also solve with pooling switched (pooled/silo) to state the partnership dividend (default: on).",
)
@json_option
def run(
    scenario,
    output,
    pooling_mode,
    ring_fencing,
    freeze,
    solver,
    objective,
    settings,
    per_partner,
    dividend,
    in_place,
    switching,
    as_json,
):
    """Solve SCENARIO and write the annotated workbook.

    Reads the scenario file (TOML) and the workbook it names, finds the allocation
    that is optimal for the scenario's objective, and writes the partners' workbook
    back with result sheets (Summary, Allocation, Flows, Pool, Outcomes achieved,
    Constraints, Audit) and comments on the input cells whose constraints bind.
    The input workbook is never changed, unless --in-place is given: then it is
    backed up first, and the copy checked, before the results are added to it.

    \b
    Examples:
      pooling run scenarios/sr2010-pooled.toml -o results.xlsx
      pooling run scenarios/sr2010-pooled.toml --pooling silo -o silo.xlsx
      pooling run scenarios/sr2010-pooled.toml --no-freeze --set council_tax.growth=0.035
      pooling run scenarios/sr2010-pooled.toml --json
      pooling run my-scenario.toml --in-place
      pooling run scenarios/sr2010-pooled.toml -o results.xlsx --per-partner partners/
    """
    if in_place and output is not None:
        raise click.UsageError("give either -o/--output or --in-place, not both")
    overrides = _overrides(pooling_mode, ring_fencing, freeze, solver, objective, settings)
    with reported(as_json):
        resolved = pooling.read_scenario(scenario, overrides)
        _progress(f"Reading {resolved.workbook} ...")
        place, package = pooling.load(resolved.workbook)
        if output is None and not in_place:
            output = Path.cwd() / f"{scenario.stem}-results{package.kind}"
    with reported(writing="the results", while_writing=True):  # refused before solving, not after
        pooling.check_result_target(package, package.path if in_place else output, in_place)
        if per_partner is not None:
            pooling.check_per_partner_targets(package.path, place.partners, per_partner)
    with reported(as_json):
        _progress(f"Solving with {resolved.solver.upper()} ...")
        result = pooling.solve_scenario(resolved, place, package, counterpart=dividend, switching=switching)
    with reported(writing="the results", while_writing=True):
        _progress(f"Writing {output or package.path} ...")
        result.write(output, in_place=in_place)
        if per_partner is not None and result.optimal:
            _progress(f"Writing one workbook per partner into {per_partner} ...")
            for path in pooling.write_per_partner(result, per_partner):
                result.messages.append(f"Wrote {path}")
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _echo(words.terminal_summary(result))
    _exit(result.optimal)


# -- pooling paper -----------------------------------------------------------------------------


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@output_option("Board paper to write (.docx). Default: SCENARIO-paper.docx in the current folder.")
@click.option("--pdf", is_flag=True, help="Also convert it to PDF beside it (needs LibreOffice).")
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also run N Monte Carlo samples of the ranged inputs and add their risks to the paper.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the samples.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A .docx in your house style: the paper takes its styles, headers, footers and page set-up.",
)
@solver_option
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set any scenario key, e.g. --set change.source.grant=-0.10 (repeatable).",
)
def paper(scenario, output, pdf, samples, seed, template, solver, settings):
    """Solve SCENARIO and write a board paper (Word) from it.

    The paper has a title, purpose, recommendation and executive summary (what the plan
    buys, the partnership dividend, what binds, the switching values), then the
    allocation, the partners' funding and the outcomes (the Summary sheet's own rounded
    figures, so they add up and match the workbook), charts, and an appendix tracing
    every figure to the workbook and scenario (file, SHA-256, solver, date).

    \b
    Examples:
      pooling paper scenarios/sr2010-pooled.toml -o paper.docx
      pooling paper scenarios/sr2010-pooled.toml -o paper.docx --pdf
      pooling paper scenarios/sr2010-pooled.toml -o paper.docx --template house-style.docx
      pooling paper scenarios/sr2010-pooled.toml -o paper.docx --samples 200
    """
    overrides = _overrides(None, None, None, solver, None, settings)
    with reported(False):
        resolved = pooling.read_scenario(scenario, overrides)
        _progress(f"Reading {resolved.workbook} ...")
        place, package = pooling.load(resolved.workbook)
    if output is None:
        output = Path.cwd() / f"{scenario.stem}-paper.docx"
    with reported(False):
        _progress(f"Solving with {resolved.solver.upper()} ...")
        result = pooling.solve_scenario(resolved, place, package, counterpart=True, switching=True)
    risks = None
    if samples and result.optimal:
        with reported(False):
            _progress(f"Running {samples:,} samples ...")
            # --set applies to the samples too, as a grid of one point.
            vary = [(key, [value]) for key, value in overrides.items()]
            swept = pooling.sweep(scenario, vary, samples=samples, seed=seed, solver=solver)
            risks = pooling.sweep_risks(swept, place)
    with reported(writing="the board paper", while_writing=True):
        _progress(f"Writing {output} ...")
        written = [pooling.write_paper(result, output, template, risks)]
        if pdf:
            _progress("Converting it to PDF with LibreOffice ...")
            written.append(pooling.paper_to_pdf(output))
    for path in written:
        click.echo(f"Wrote {path}")
    _exit(result.optimal)


# -- pooling compare ---------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@output_option("Comparison workbook to write.")
@solver_option
@json_option
def compare(scenarios, output, solver, as_json):
    """Solve SCENARIOS and set them side by side, with the price of each lever.

    Shows objective, totals, spending by programme, funding by partner and outcomes
    for every scenario, with differences from the first. Where two scenarios differ
    in exactly one lever, the difference of their objectives is that lever's price:
    the partnership dividend (silo to pooled), the price of the freeze, the price of
    the ring-fences. Exit status 3 if any scenario is not solved to optimality.

    \b
    Example:
      pooling compare scenarios/sr2010-silo.toml scenarios/sr2010-pooled.toml \\
          scenarios/sr2010-pooled-ringfenced.toml -o comparison.xlsx
    """
    with reported(as_json):
        comparison = pooling.compare(list(scenarios), solver, progress=_progress)
    if output is not None:
        with reported(writing="the comparison"):
            pooling.write_comparison(comparison, output)
    _show(as_json, comparison.to_dict(), words.comparison_lines(comparison), [output])
    _exit(all(result.optimal for result in comparison.results))


# -- pooling partners --------------------------------------------------------------------------


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@output_option("Partnership workbook to write.")
@workers_option
@click.option(
    "--samples",
    type=click.IntRange(1, MAX_SAMPLES),
    default=2000,
    show_default=True,
    help="Orders sampled when there are more than 12 partners.",
)
@seed_option("sampled orders")
@solver_option
@json_option
def partners(scenario, output, workers, samples, seed, solver, as_json):
    """Who gains from pooling in SCENARIO: the dividend, fair shares, the walk-away test.

    Solves the place with every coalition of partners pooling (the rest in silo),
    and gives each partner's fair share of the partnership dividend (its Shapley
    value: exact up to 12 partners, sampled beyond), the place's loss if it walked
    away, whether any coalition would do better on its own (the core), the money
    flows between partners, and the payments that would share the cashable savings
    in proportion to the fair shares. Exit status 3 if a coalition has no feasible
    plan (the analysis says which, and why).

    \b
    Example:
      pooling partners scenarios/sr2010-pooled.toml -o partnership.xlsx
    """

    progress = _progress_bar("Coalitions")
    with reported(as_json):
        resolved = pooling.read_scenario(scenario, {"solver": solver} if solver else None)
        place, package = pooling.load(resolved.workbook)
        _progress(f"Solving every coalition of {len(place.partners)} partners ...")
        analysis = pooling.partners(
            place, package, resolved, workers=workers, samples=samples, seed=seed, progress=progress
        )
    if output is not None:
        with reported(writing="the analysis"):
            pooling.write_partnership(analysis, output)
    _show(as_json, analysis.to_dict(), words.partnership_lines(analysis), [output])
    _exit(analysis.game.whole)


# -- pooling sweep -----------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@output_option("Sweep workbook to write.")
@click.option(
    "--places",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help='A TOML file listing places: scenarios = ["a.toml", ...], relative to the file.',
)
@click.option(
    "--vary",
    "vary",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="A lever and its values (repeatable: every combination runs).",
)
@click.option(
    "--samples",
    type=click.IntRange(0, MAX_SAMPLES),
    default=0,
    show_default=True,
    help="Monte Carlo samples of the uncertain inputs (Low/High).",
)
@seed_option("samples")
@workers_option
@click.option("--scheduler", metavar="ADDRESS", help="Run on a Dask distributed cluster (needs pooling[distributed]).")
@solver_option
@click.option(
    "--table", type=click.Path(dir_okay=False, path_type=Path), help="Also write the runs as .parquet or .csv."
)
@click.option("--force", is_flag=True, help="Let --table replace a file that is not an earlier Runs table.")
@json_option
def sweep(scenarios, output, manifest, vary, samples, seed, workers, scheduler, solver, table, force, as_json):
    """Run SCENARIO over a grid of levers and/or samples of its uncertain inputs.

    Several scenario files (or --places, a file listing them) run the same grid and
    samples on every place they name, on one pool of workers, into one workbook: a
    National sheet (a row per place and grid point: the objective's P10/P50/P90, the
    dividend's when the grid varies pooling=silo,pooled, the target least sure to be
    met) and every run with its place.

    Every combination of the --vary values runs; with --samples, each combination runs
    once per sample, drawing every Effects and Savings figure that has Low and High from
    the triangular distribution between them. The same seed gives the same numbers
    whatever the number of workers. The workbook has one row per run, P10/P50/P90 of
    the objective, outcomes and allocations, the probability each target is met, a fan
    chart and a tornado of what moves the objective most. Runs that are not optimal
    are counted and listed. Exit status 3 if any run is not optimal.

    \b
    Examples:
      pooling sweep scenarios/sr2010-pooled.toml -o sweep.xlsx \\
          --vary change.source.grant=-0.05,-0.071,-0.10 --vary pooling=silo,pooled
      pooling sweep scenarios/sr2010-pooled.toml -o mc.xlsx --samples 200 --seed 7
      pooling sweep --places places.toml -o national.xlsx --samples 20 --vary pooling=silo,pooled
    """
    if not vary and not samples:
        raise click.UsageError("give --vary KEY=V1,V2 and/or --samples N")
    progress = _progress_bar("Runs")
    with reported(as_json):
        paths = list(scenarios) + (pooling.read_places(manifest) if manifest is not None else [])
        if not paths:
            raise click.UsageError("give a SCENARIO file (or several, or --places FILE)")
        national = pooling.sweep_places(
            paths, pooling.parse_vary(list(vary)), samples, seed, workers, scheduler, solver, progress
        )
        result = national.sweeps[0] if len(paths) == 1 else national
        if table is not None:
            pooling.write_sweep_table(result, table, force=force)
    if output is not None:
        with reported(writing="the sweep"):
            (pooling.write_sweep if len(paths) == 1 else pooling.write_national)(result, output)
    lines = [line for one in national.sweeps for line in words.sweep_lines(one, len(paths) > 1)]
    _show(as_json, result.to_dict(), lines, [output, table])
    _exit(not result.failed)


# -- partners' returns -------------------------------------------------------------------------


@main.command()
@click.argument("place", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the returns.",
)
def split(place, folder):
    """Write one return workbook per partner from the PLACE workbook.

    Each return holds the rows the partner owns (its Partners row, its streams, the
    programmes it leads, their Effects rows, the Savings rows it receives), the
    place's Place and Outcomes sheets and programme codes for reference (locked),
    dropdowns and guidance, and a Cover sheet saying what to fill in. File names
    carry the partner code. Partners send them back for `pooling merge`.

    \b
    Example:
      pooling split spreadsheets/example.xlsx -o returns/
    """
    with reported(writing="the returns"):
        for path in pooling.split(place, folder):
            click.echo(f"Wrote {path}")


@main.command()
@click.argument("place", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("returns", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@output_option("Merged place workbook to write.", required=True)
def merge(place, returns, output):
    """Merge partners' RETURNS into a copy of the PLACE workbook.

    Every return is checked: each partner may change only its own rows and add rows
    of its own; an edit to another partner's row or to a reference sheet, a cell
    two returns both change, or a cell the place workbook changed since the return
    was made, is refused by file and cell. The merged place is validated as a
    whole. The output is the place workbook with exactly those edits and a Changes
    sheet listing each one (sheet, cell, old value, new value, partner).

    \b
    Example:
      pooling merge spreadsheets/example.xlsx returns/*.xlsx -o merged.xlsx
    """
    with reported(writing="the merged workbook"):
        plan = pooling.write_merged(place, list(returns), output)
    partners_changing = sorted({edit.partner for edit in plan.edits})
    click.echo(
        f"Merged {len(returns)} returns: {len(plan.edits)} changed cells from "
        f"{', '.join(partners_changing) or 'no partner'}."
    )
    click.echo(f"Wrote {output}")
    if plan.stale:
        click.echo(
            f"Recalculate before running: {len(plan.stale)} formula(s) read cells the returns changed, so their "
            "stored results are out of date. Open the merged workbook in Excel and save it (it recalculates on "
            "opening), or in LibreOffice press Ctrl+Shift+F9 (Data > Calculate > Recalculate Hard) and save; until "
            "then pooling refuses those cells."
        )
        for line in plan.stale_lines()[:10]:
            click.echo(f"  {line}")


# -- the workbook ------------------------------------------------------------------------------


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def validate(workbook, as_json):
    """Check WORKBOOK against the contract and list every problem with its cell.

    Exit status 0 when the workbook is valid, 1 when it is not.

    \b
    Example:
      pooling validate spreadsheets/example.xlsx
    """
    with reported(as_json):
        place, _ = pooling.load(workbook)
    counts = {
        "partners": len(place.partners),
        "streams": len(place.streams),
        "programmes": len(place.programmes),
        "outcomes": len(place.outcomes),
        "effect rows": sum(len(segments) for segments in place.effects.values()),
        "savings rows": len(place.savings),
    }
    if as_json:
        click.echo(
            json.dumps({"status": "valid", "place": place.name, "counts": counts, "warnings": place.warnings}, indent=2)
        )
        return
    _echo(words.validation_lines(workbook, place, counts))


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def template(output):
    """Write a blank input workbook to OUTPUT, with guidance on every header.

    The template has the contract's sheets and headers, a comment on each header
    saying what goes there, and dropdowns for partner types, sources, yes/no and
    codes. It refuses to overwrite an existing file.

    \b
    Example:
      pooling template my-place.xlsx
    """
    if output.exists():
        raise click.UsageError(f"{output} exists; choose another name (the template never overwrites a file)")
    try:
        pooling.write_template(output)
    except WriteError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Wrote {output}")


def entry() -> None:
    """The ``pooling`` console script: run the command, then leave at once.

    A run leaves hundreds of thousands of objects (the model, the tables) that the
    interpreter would free one by one at exit, which takes longer than solving a small
    place. Everything the command writes is closed and synced by then, so once stdout
    and stderr are flushed the process can end without that teardown.
    """
    try:
        main(standalone_mode=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # python -m pooling.cli
    entry()
