"""Write: the annotated workbook, made safely.

The result sheets are laid out in a workbook of their own with XlsxWriter (number
formats, frozen headers, filters, charts, print set-up), then grafted into the user's
package (``graft.py``) so nothing of theirs is rewritten. The file is written to a
temporary file in the target folder, flushed, synced, reopened to check it is a
readable workbook, given the input's permissions, and only then renamed over the
target. A failure at any step leaves the target as it was.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from . import fmt
from .board import summary_sheet
from .graft import GraftReport, graft, planned_edits
from .package import Package, PackageError, check_well_formed
from .schema import RESULT_SHEETS

if TYPE_CHECKING:
    import openpyxl
from .sheets import BOLD, TOTAL, Book


class WriteError(Exception):
    """The output could not be written; the target is untouched."""


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
                (r.cell, r.info.family, result.place.year_labels[r.info.year - 1], r.amount, r.sentence)
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


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    """An openpyxl workbook (templates, returns) as bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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


def check_written_parts(written: Package, original: Package | None = None) -> None:
    """Every XML part we wrote (all of them, or those that differ from ``original``)
    parses end to end. A user's VML drawing is the exception: Office writes VML that is
    not always well-formed XML (an unclosed ``<br>``), so our notes are spliced into it as
    text, and it is left to Excel to read, as it did before."""
    for name, data in written.parts.items():
        if not name.endswith((".xml", ".rels", ".vml")):
            continue
        before = original.parts.get(name) if original is not None else None
        if before == data or (before is not None and name.endswith(".vml")):
            continue
        check_well_formed(data, name)


def lock_files(path: Path) -> list[Path]:
    """Lock files that show ``path`` is open: Excel's ~$name (long names lose two
    characters) and LibreOffice's .~lock.name#."""
    folder, name = path.parent, path.name
    candidates = [folder / f"~${name}", folder / f"~${name[2:]}", folder / f".~lock.{name}#"]
    return [candidate for candidate in candidates if candidate.exists()]


def refuse_if_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise WriteError(f"{path} is open in Excel or LibreOffice ({locks[0].name} exists); close it and run again")


def backup_path(path: Path) -> Path:
    """``name.xlsx.bak``, or a numbered one when that holds a different, older copy."""
    candidate = path.with_name(path.name + ".bak")
    number = 2
    while candidate.exists() and candidate.read_bytes() != path.read_bytes():
        candidate = path.with_name(f"{path.name}.bak{number}")
        number += 1
    return candidate


def make_backup(path: Path) -> Path:
    """Copy ``path`` beside itself and check the copy is identical before anything is written."""
    backup = backup_path(path)
    data = path.read_bytes()
    atomic_write(backup, data, mode=stat.S_IMODE(path.stat().st_mode))
    if hashlib.sha256(backup.read_bytes()).digest() != hashlib.sha256(data).digest():
        raise WriteError(f"the backup {backup} does not match {path}; nothing was written")
    return backup


def is_our_output(path: Path, sheets: tuple[str, ...] = RESULT_SHEETS) -> bool:
    """Was ``path`` written by pooling (it holds all of ``sheets``)? Only such a file may be replaced."""
    try:
        package = Package.open(path)
    except PackageError:
        return False
    names = {sheet.name for sheet in package.sheets}
    return all(name in names for name in sheets)


def atomic_write(target: Path, data: bytes, mode: int | None = None, verify=None) -> None:
    """Write ``data`` to ``target`` through a synced temporary file in the same folder.

    ``verify(path)`` may raise to refuse the temporary file before it replaces the target.
    """
    target = Path(target)
    folder = target.parent
    if not folder.is_dir():
        raise WriteError(f"{target}: the folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if verify is not None:
            verify(Path(temporary))
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
        try:  # make the rename itself durable
            directory = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError:
            pass
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def verify_workbook(path: Path, original: Package | None = None) -> None:
    """The written file reopens as a workbook, every part readable (its CRC checked), and
    the parts we wrote well-formed (:func:`check_written_parts`)."""
    try:
        check_written_parts(Package.open(path), original)
    except PackageError as exc:
        raise WriteError(f"the written file does not reopen as a workbook ({exc})") from None


def check_output(target: Path, ours: tuple[str, ...], made_by: str, kind: str | None = ".xlsx") -> None:
    """May ``target`` be written? Not while it is open, not with the wrong extension (when
    ``kind`` is given), and not over a file pooling did not write (one holding all of the
    sheets ``ours``)."""
    target = Path(target)
    refuse_if_open(target)
    if kind is not None and target.suffix.lower() != kind:
        raise WriteError(f"{target}: {made_by} writes a {kind} workbook, so the name must end in {kind}")
    if target.exists() and not is_our_output(target, ours):
        raise WriteError(f"{target} exists and was not written by {made_by}; choose another name")


def write_output(
    target: Path,
    make,
    ours: tuple[str, ...],
    made_by: str,
    kind: str = ".xlsx",
    mode: int | None = None,
    original: Package | None = None,
) -> Path | None:
    """Check ``target`` (:func:`check_output`), make the bytes (``make()``), back up an
    earlier output, and write atomically, verified; the backup made, if any."""
    target = Path(target)
    check_output(target, ours, made_by, kind)
    data = make()
    backup = make_backup(target) if target.exists() else None
    atomic_write(target, data, mode=mode, verify=lambda path: verify_workbook(path, original))
    return backup


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
    if not in_place and target.exists() and not is_our_output(target):
        raise WriteError(f"{target} exists and was not written by pooling; choose another name or remove it first")


def _fallback_target(target: Path, source: Path) -> Path:
    """Where results in a workbook of their own go: never over the input, always .xlsx."""
    beside = target.with_suffix(".xlsx")
    if beside.resolve() == source:  # in place, or an .xlsm output beside a macro workbook named .xlsx
        beside = target.with_name(f"{target.stem}-results.xlsx")
    return beside
