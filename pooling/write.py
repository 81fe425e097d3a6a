"""Write: the annotated workbook.

The result sheets are laid out in a workbook of their own with XlsxWriter (number
formats, frozen headers, filters, charts, print set-up), then grafted into the user's
package (``xlsx/graft.py``) so nothing of theirs is rewritten, and written as
``files.py`` writes every file: atomically, checked, after a verified backup of what
it replaces.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from . import fmt
from .board import summary_sheet
from .errors import WriteError
from .files import atomic_write, check_written_parts, is_our_output, make_backup, refuse_if_open, verify_workbook
from .schema import RESULT_SHEETS
from .xlsx.book import BOLD, TOTAL, Book
from .xlsx.container import Package, PackageError
from .xlsx.graft import GraftReport, graft, planned_edits


def results_workbook(result) -> bytes:
    """The result sheets, in the contract's order, as a workbook of their own (its bytes)."""
    book = Book((result.place.name, result.scenario.name, f"{result.started:%d %b %Y}"))
    summary_sheet(book.sheet(RESULT_SHEETS[0]), result)
    tables = result.tables
    units = result.place.units
    money = fmt.EXCEL_MONEY if units != "£m" else fmt.EXCEL_MONEY_DECIMALS
    if tables is not None:
        years = result.place.year_labels
        sheet = book.sheet("Allocation")
        allocation = tables.allocation
        money_columns = {c: money for c in ["Baseline", *years, "Total"]}
        last = sheet.frame(allocation.iloc[:-1], money_columns)
        total = allocation.iloc[-1]
        for column, name in enumerate(allocation.columns, start=1):
            sheet.put(last + 1, column, total[name], money_columns.get(name), style=TOTAL)
        sheet.put(last + 3, 1, f"Spend per year in {units}. Baseline is the base year ({result.place.base_year}).")
        sheet.finish()

        sheet = book.sheet("Flows")
        last = sheet.frame(tables.flows, {"Amount": fmt.EXCEL_FULL})
        sheet.finish(filter_to=(last, tables.flows.shape[1]))

        sheet = book.sheet("Pool")
        sheet.frame(tables.pool, {c: money for c in tables.pool.columns[3:]})
        sheet.finish()

        sheet = book.sheet(RESULT_SHEETS[4])
        quantity = fmt.EXCEL_QUANTITY
        sheet.frame(
            tables.outcomes,
            {"Achieved": quantity, "Target": quantity, "Shortfall": quantity, "Value (£)": fmt.EXCEL_MONEY},
        )
        sheet.finish()

        sheet = book.sheet("Constraints")
        sheet.frame(
            tables.constraints,
            {"Shadow price": fmt.EXCEL_MONEY_DECIMALS, "Slack": fmt.EXCEL_FULL},
            widths={"Meaning": 120, "Binds": 45, "Input cell": 24, "Constraint": 40},
        )
        sheet.finish()

        sheet = book.sheet("Programme limits")
        frame = tables.positions
        formats = {"Spend": money, "Limit": money}
        formats |= {c: fmt.EXCEL_MONEY for c in frame.columns if c.startswith(("Its money is worth", "Best other use"))}
        sheet.frame(frame, formats, widths={"Why": 120, "Name": 40})
        sheet.finish()

        sheet = book.sheet("Funding used")
        sheet.frame(tables.streams, {"Available": money, "Used": money})
        sheet.finish()
    else:
        if result.diagnosis is not None:
            sheet = book.sheet("Diagnosis")
            rows = [
                (r.cell, r.info.family.name, result.place.year_labels[r.info.year - 1], r.amount, r.sentence)
                for r in result.diagnosis.relaxations
            ]
            columns = ["Input cell", "Constraint", "Year", "Relaxation needed", "What has to give"]
            sheet.table(columns, rows, {"Relaxation needed": fmt.EXCEL_QUANTITY}, widths={"What has to give": 120})
            sheet.finish()
        for name in RESULT_SHEETS[1:-1]:
            sheet = book.sheet(name)
            sheet.put(
                1, 1, f"No results: the scenario is {result.status}. See the Summary and Diagnosis sheets.", style=BOLD
            )

    sheet = book.sheet("Audit")
    sheet.table(["Item", "Value"], result.audit(), widths={"Item": 32, "Value": 100})
    sheet.finish(landscape=False)
    return book.bytes()


def annotated_workbook(result) -> tuple[bytes, GraftReport]:
    """The user's workbook with the result sheets and comments added, as bytes.

    If the results cannot be added without risk to the user's parts (an unusual
    package, or a graft that would not keep every original part), the results come
    back as a workbook of their own and the report says why.
    """
    results = results_workbook(result)
    try:
        data, report = graft(result.package, results, result.notes)
        check_kept(result.package, data, set(planned_edits(result.package, note_sheets(result.notes))))
        return data, report
    except PackageError as exc:
        reason = str(exc)
    except Exception as exc:  # a package the graft does not understand: the results must still reach the user
        reason = f"{type(exc).__name__}: {exc}"
    result.messages.append(
        f"The results could not be added to the input workbook safely ({reason}); they are in a "
        "workbook of their own, and the input workbook was not touched."
    )
    report = GraftReport(fallback=reason)
    return results_workbook(result), report


def note_sheets(notes: dict[str, str]) -> set[str]:
    return {where.rpartition("!")[0] for where in notes}


def check_kept(original: Package, data: bytes, may_edit: set[str]) -> None:
    """Every original part is in the output, and byte for byte the same unless it is one
    the graft plans to edit; every part added or edited is well-formed. Raises
    PackageError otherwise: nothing is dropped silently, and nothing damaged is written."""
    written = Package.from_bytes(data)
    for name, content in original.parts.items():
        if name not in written.parts:
            raise PackageError(f"part {name} would have been lost")
        if name not in may_edit and written.parts[name] != content:
            raise PackageError(f"part {name} would have changed")
    check_written_parts(written, original)


def write_result(result, target: Path, in_place: bool = False) -> GraftReport:
    """Write the annotated workbook to ``target``; the report says where it went.

    Never over the input unless ``in_place``, and then only after a verified backup;
    never over a file pooling did not write; never while the target is open in Excel.
    If the results could not be added to the input (``report.fallback``), they are a
    workbook of their own: that never replaces the input, and it is an ``.xlsx`` (a
    workbook without macros must not carry an ``.xlsm`` name), so it goes beside the
    target as ``<name>-results.xlsx`` or ``<name>.xlsx``.
    """
    target = Path(target)
    package = result.package
    source = package.path.resolve()
    names = {sheet.name for sheet in package.sheets}
    if all(name in names for name in RESULT_SHEETS):
        raise WriteError(
            f"{package.path} already holds the results of an earlier run; run on the workbook the "
            "partners sent (or a copy without the result sheets)"
        )
    if target.suffix.lower() != package.kind:
        raise WriteError(f"{target}: the input is a {package.kind} workbook, so the output must end in {package.kind}")
    if in_place and target.resolve() != source:
        raise WriteError("--in-place writes into the input workbook; do not give another output file")
    if not in_place and target.resolve() == source:
        raise WriteError(f"{target}: this is the input workbook; choose another output file (or use --in-place)")
    _check_target(target, in_place)
    data, report = annotated_workbook(result)
    if report.fallback:
        in_place, target = False, _fallback_target(target, source)
        if target.resolve() == source:
            raise WriteError(f"{target} is the input workbook; the results need another name (use -o)")
        _check_target(target, in_place)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else package.mode
    if in_place and hashlib.sha256(target.read_bytes()).hexdigest() != package.sha256:
        raise WriteError(f"{target} changed while the scenario was solved; nothing was written")
    backup = make_backup(target) if target.exists() else None  # the input (in place) or an earlier output
    atomic_write(target, data, mode=mode, verify=lambda path: verify_workbook(path, package))
    report.backup = backup
    report.written = target
    return report


def _check_target(target: Path, in_place: bool) -> None:
    refuse_if_open(target)
    if not in_place and target.exists() and not is_our_output(target, RESULT_SHEETS):
        raise WriteError(f"{target} exists and was not written by pooling; choose another name or remove it first")


def _fallback_target(target: Path, source: Path) -> Path:
    """Where results in a workbook of their own go: never over the input, always .xlsx."""
    beside = target.with_suffix(".xlsx")
    if beside.resolve() == source:  # in place, or an .xlsm output beside a macro workbook named .xlsx
        beside = target.with_name(f"{target.stem}-results.xlsx")
    return beside
