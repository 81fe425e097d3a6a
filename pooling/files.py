"""Files a user relies on: written atomically, backed up before they are replaced, never
while open, never over a file pooling did not write, and checked once written.

Every command that writes goes through :func:`write_output` (or, for the annotated
workbook, :func:`atomic_write` with a verified backup): the bytes go to a temporary file
in the target's folder, are flushed, synced and checked (:func:`verify_workbook`), given
their permissions, and only then renamed over the target. A failure at any step leaves
the target as it was.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import WriteError
from .xlsx.container import Package, PackageError, check_well_formed


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


def is_our_output(path: Path, sheets: tuple[str, ...]) -> bool:
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
