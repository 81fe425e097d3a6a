"""Files a user relies on: written atomically, backed up before they are replaced, never
while open, never over a file pooling did not write, and checked once written.

Every command that writes goes through :func:`write_output` (or, for the annotated
workbook, :func:`atomic_write` with a verified backup): the bytes go to a temporary file
in the target's folder, are flushed, synced and checked (:func:`verify_workbook`), given
their permissions, and only then renamed over the target. A failure at any step leaves
the target as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable
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


# A lock of pooling's own older than this is stale even if its process id is alive again
# (ids are reused); no write of pooling's holds a lock for more than seconds.
STALE_LOCK_SECONDS = 3600


def lock_path(target: Path) -> Path:
    return target.with_name(f".~pooling.{target.name}.lock")


@contextlib.contextmanager
def exclusive(target: Path):
    """Hold pooling's own lock on ``target`` for a read-modify-write: a lock file beside
    it, created atomically (``O_CREAT | O_EXCL``), holding the process id and the time.
    A lock whose process is gone, or older than ``STALE_LOCK_SECONDS``, is taken over;
    any other means another run is writing the file, and this one refuses."""
    target = Path(target)
    lock = lock_path(target)
    for _ in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is None:  # stale: its run ended without removing it
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock)
                continue
            raise WriteError(
                f"{target} is being written by another pooling run (process {holder}); wait for it to finish "
                "and run again"
            ) from None
        except OSError as exc:
            raise WriteError(f"{target}: cannot take a lock beside it ({exc.strerror})") from None
        break
    else:
        raise WriteError(f"{target}: another pooling run keeps taking the lock {lock.name}; run again")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(f"{os.getpid()} {time.time():.0f}\n")
        pause_for_tests("locked", lock)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)


def _lock_holder(lock: Path) -> int | None:
    """The live process holding ``lock``, or None when the lock is stale."""
    try:
        pid, started = (float(field) for field in lock.read_text(encoding="ascii").split()[:2])
    except (OSError, ValueError):
        # Unreadable or half-written: stale only once old (its writer may be writing it now).
        with contextlib.suppress(OSError):
            if time.time() - lock.stat().st_mtime < STALE_LOCK_SECONDS:
                return -1
        return None
    if time.time() - started > STALE_LOCK_SECONDS or not _alive(int(pid)):
        return None
    return int(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def pause_for_tests(step: str, lock: Path) -> None:
    """For the concurrency tests only: with ``POOLING_TEST_PAUSE=<step>`` in the
    environment, wait at ``step`` until ``<lock>.go`` exists, so that another process can
    be run at exactly this point. Does nothing otherwise."""
    if os.environ.get("POOLING_TEST_PAUSE") != step:
        return
    go = lock.with_name(lock.name + ".go")
    Path(f"{go}.waiting").write_text(str(os.getpid()), encoding="ascii")
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def backup_path(path: Path, data: bytes, replaceable: Callable[[Path], bool] | None = None) -> Path:
    """``name.xlsx.bak``, or a numbered one when that holds a different, older copy that
    is not ``replaceable`` (an earlier output of ours is: one backup per output name, not a
    pile of them; a user's workbook never is)."""
    candidate = path.with_name(path.name + ".bak")
    if replaceable is not None and candidate.exists() and replaceable(candidate):
        return candidate
    number = 2
    while candidate.exists() and candidate.read_bytes() != data:
        candidate = path.with_name(f"{path.name}.bak{number}")
        number += 1
    return candidate


def make_backup(path: Path, data: bytes | None = None, replaceable: Callable[[Path], bool] | None = None) -> Path:
    """Copy ``path`` beside itself, from ``data`` (the bytes that were read and checked
    against the file) or the file as it is, and check the copy before anything is written.
    Called under :func:`exclusive`, so no other run can move the file in between.
    ``replaceable(old_backup)`` says whether an existing ``NAME.bak`` may be replaced."""
    data = path.read_bytes() if data is None else data
    backup = backup_path(path, data, replaceable)
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
    remove_abandoned_temporaries(target)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f"{_temporary_prefix(target)}{os.getpid()}.", suffix=".tmp", dir=folder
        )
    except OSError as exc:
        raise WriteError(f"{target}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if verify is not None:
            verify(Path(temporary))
        # A temporary file is private (0600); the file it becomes gets the input's permissions
        # when given, or what any new file of the user's would get (0666 less the umask).
        os.chmod(temporary, mode if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
        try:  # make the rename itself durable
            directory = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError:
            pass
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # a full disk, a quota, a file system gone read-only
            raise WriteError(f"{target}: could not be written ({exc.strerror or exc}); it is as it was") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_prefix(target: Path) -> str:
    return f".{target.stem}.pooling-"


def remove_abandoned_temporaries(target: Path) -> None:
    """Remove the temporary files an earlier run left beside ``target`` when it was killed
    before its rename (each is named with its process id; only a dead process's go)."""
    prefix = _temporary_prefix(target)
    with contextlib.suppress(OSError):
        for leftover in target.parent.glob(f"{glob_escape(prefix)}*.tmp"):
            pid = leftover.name[len(prefix) :].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def glob_escape(text: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def verify_workbook(path: Path, original: Package | None = None) -> None:
    """The written file reopens as a workbook, every part readable (its CRC checked), and
    the parts we wrote well-formed (:func:`check_written_parts`)."""
    try:
        check_written_parts(Package.open(path, written=True), original)
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
    with exclusive(target):
        check_output(target, ours, made_by, kind)  # again, under the lock: another run may have written it
        # The output replaced is ours (checked above), so is an earlier backup of it that holds our sheets.
        backup = make_backup(target, replaceable=lambda old: is_our_output(old, ours)) if target.exists() else None
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
