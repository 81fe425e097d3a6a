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
from .files import (
    atomic_write,
    check_written_parts,
    exclusive,
    is_our_output,
    lock_path,
    make_backup,
    pause_for_tests,
    refuse_if_open,
    verify_workbook,
)
from .outputs import RUN, ResultSheet
from .xlsx.book import BOLD, TOTAL, Book
from .xlsx.container import Package, PackageError
from .xlsx.graft import GraftReport, graft, planned_edits


def number_formats(spec: ResultSheet, years: list[str], **names: str) -> dict[str, str]:
    """Heading -> Excel number format for each column of a result sheet, by its kind."""
    money = fmt.EXCEL_MONEY if names["units"] != "£m" else fmt.EXCEL_MONEY_DECIMALS
    formats = {
        "money": money,
        "pounds": fmt.EXCEL_MONEY,
        "price": fmt.EXCEL_MONEY_DECIMALS,
        "quantity": fmt.EXCEL_QUANTITY,
        "percent": fmt.EXCEL_PERCENT,
        "full": fmt.EXCEL_FULL,
        "exact": fmt.EXCEL_MONEY_DECIMALS,  # the cell holds every digit; the format shows pence or £10s
    }
    return {heading: formats[kind] for heading, kind in spec.kinds(years, **names).items() if kind in formats}


# Sheets laid out by hand rather than as a table.
LAYOUTS = {"Summary": summary_sheet}


def results_workbook(result) -> bytes:
    """The result sheets, in the contract's order, as a workbook of their own (its bytes)."""
    place = result.place
    book = Book((place.name, result.scenario.name, f"{result.started:%d %b %Y}"))
    names = result.column_names()
    for spec in RUN.sheets:
        if spec.name in LAYOUTS:
            LAYOUTS[spec.name](book.sheet(spec.name), result)
            continue
        table = result.table(spec.table or spec.name.casefold())
        if table is None and not spec.placeholder:
            continue  # a sheet this run has nothing for (no diagnosis of a solved plan, say)
        sheet = book.sheet(spec.name)
        if table is None:
            sheet.put(
                1, 1, f"No results: the scenario is {result.status}. See the Summary and Diagnosis sheets.", style=BOLD
            )
            continue
        headers, rows = table
        formats = number_formats(spec, place.year_labels, **names)
        if spec.total_row:
            rows = list(rows)
            rows, total = rows[:-1], rows[-1]
        last = sheet.table(headers, rows, formats, widths=spec.widths(**names))
        if spec.total_row:
            for column, (heading, value) in enumerate(zip(headers, total), start=1):
                sheet.put(last + 1, column, value, formats.get(heading), style=TOTAL)
            last += 1
        if spec.note:
            sheet.put(last + 2, 1, spec.note.format(units=place.units, base_year=place.base_year))
        sheet.finish(landscape=not spec.portrait, filter_to=(last, len(headers)) if spec.autofilter else None)
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
    check_result_target(package, target, in_place)
    data, report = annotated_workbook(result)
    if report.fallback:
        in_place, target = False, _fallback_target(target, source)
        if target.resolve() == source:
            raise WriteError(f"{target} is the input workbook; the results need another name (use -o)")
        _check_target(target, in_place)
    pause_for_tests("solved", lock_path(target))
    with exclusive(target):
        # Under the lock nothing else of pooling's moves the file: check it is what was read,
        # and back up those very bytes, so no interleaving of two runs can lose the original.
        _check_target(target, in_place)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else package.mode
        if in_place and hashlib.sha256(target.read_bytes()).hexdigest() != package.sha256:
            raise WriteError(f"{target} changed while the scenario was solved; nothing was written")
        # The input (in place, from the bytes read) or an earlier output.
        if in_place:  # the user's own workbook: every earlier backup kept
            backup = make_backup(target, package.data)
        elif target.exists():  # an earlier result of ours: one backup of it, replacing the last
            backup = make_backup(target, replaceable=lambda old: is_our_output(old, RUN.signature))
        else:
            backup = None
        pause_for_tests("backed up", lock_path(target))
        atomic_write(target, data, mode=mode, verify=lambda path: verify_workbook(path, package))
    report.backup = backup
    report.written = target
    return report


def check_result_target(package, target: Path, in_place: bool = False) -> None:
    """May the results of a run on ``package`` be written to ``target``? Checked before
    solving as well as before writing, so a run is not wasted on a refusal."""
    target = Path(target)
    source = package.path.resolve()
    names = {sheet.name for sheet in package.sheets}
    if all(name in names for name in RUN.signature):
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
    if not target.parent.is_dir():
        raise WriteError(f"{target}: the folder {target.parent} does not exist")
    _check_target(target, in_place)


def _check_target(target: Path, in_place: bool) -> None:
    refuse_if_open(target)
    if not in_place and target.exists() and not is_our_output(target, RUN.signature):
        raise WriteError(f"{target} exists and was not written by pooling; choose another name or remove it first")


def _fallback_target(target: Path, source: Path) -> Path:
    """Where results in a workbook of their own go: never over the input, always .xlsx."""
    beside = target.with_suffix(".xlsx")
    if beside.resolve() == source:  # in place, or an .xlsm output beside a macro workbook named .xlsx
        beside = target.with_name(f"{target.stem}-results.xlsx")
    return beside
