"""Time and peak memory of every hostile or unlucky case pooling must survive.

Each case is a `pooling` command run in a process of its own, so the peak memory is that
process's own (resident set, from the operating system), on a file or a folder built for
it: the hostile workbooks of the test corpus (zip and XML bombs, a value far from A1, a
hidden twin of a sheet, ...), money beyond any public budget, devices and pipes given as
files, a full disk and a read-only folder (tiny file systems, where this machine lets us
mount them), two runs writing one workbook at once, and the outputs that used to be
refused after solving. Every case must end with a one-line result, no traceback, in
5 seconds and 300 MB; the table is the one in docs/safety.md.

    python benchmarks/hostile.py
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus import hostile_files  # noqa: E402
from tests.helpers import place_sheets, write_sheets  # noqa: E402

BOUND_SECONDS, BOUND_MB = 5.0, 300.0


def measure(command: list[str], folder: Path) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak MB, the last line printed) for one command.

    The peak is read by GNU time (``/usr/bin/time -f %M``) around the command: a child's
    own maximum resident size as wait4 reports it starts from its parent's at the fork,
    and this process holds the hostile files it built."""
    peak_file = folder / "peak.txt"
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(peak_file)] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    child = subprocess.Popen(
        [*timer, sys.executable, "-m", "pooling", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
    )
    output, errors = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    peak = usage.ru_maxrss
    if timer and peak_file.exists():
        peak = int(peak_file.read_text(encoding="ascii").split()[-1])
        errors = "\n".join(line for line in errors.splitlines() if not line.startswith("Command exited with"))
    text = (errors or output).strip()
    if "Traceback" in output + errors:
        text = "TRACEBACK: " + text.splitlines()[-1]
    last = text.splitlines()[-1].strip() if text else ""
    return os.waitstatus_to_exitcode(status), seconds, peak / 1024, last


def small_place(folder: Path, base: float = 100.0, name: str = "Programme P") -> Path:
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("CT", "A", "council tax", base, None, None), ("G", "B", "grant", 100, None, None)],
        programmes=[("P", "A", "yes", 10, None, None), ("Q", "B", "no", 10, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None), ("Q", "O", 5, None)],
    )
    sheets["Programmes"][1][1] = name
    folder.mkdir(parents=True, exist_ok=True)
    workbook = write_sheets(folder / "place.xlsx", sheets)
    (folder / "scenario.toml").write_text(f'name = "t"\nworkbook = "{workbook.name}"\n', encoding="utf-8")
    return folder / "scenario.toml"


def mount_tiny(folder: Path, options: str) -> bool:
    """A tmpfs of 64 KB at ``folder`` (``ro`` for read-only), filled to its last 4 KB when
    writable; False where this machine will not let us mount one."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{options},size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        return False
    if "ro" not in options.split(","):
        free = shutil.disk_usage(folder).free
        (folder / "filler").write_bytes(b"\0" * max(free - 4096, 0))
    return True


def cases(folder: Path) -> list[tuple[str, Callable[[], list[str] | None]]]:
    """(name, set-up returning the pooling command, or None when this machine cannot)."""
    found: list[tuple[str, Callable[[], list[str] | None]]] = []
    (folder / "hostile").mkdir()
    for name, path in hostile_files(folder / "hostile").items():
        found.append((name, lambda path=path: ["validate", str(path)]))

    def money(base: float):
        return lambda: ["run", str(small_place(folder / f"money-{base:g}", base=base)), "-o", "out.xlsx"]

    found += [("Base 1e25", money(1e25)), ("Base 1e300", money(1e300))]

    def device(path: str):
        def setup():
            place = folder / f"device-{Path(path).name}"
            place.mkdir(exist_ok=True)
            target = path
            if path == "fifo":
                target = str(place / "pipe.xlsx")
                os.mkfifo(target)
            (place / "s.toml").write_text(f'name = "t"\nworkbook = "{target}"\n', encoding="utf-8")
            return ["run", str(place / "s.toml")]

        return setup

    found += [(f"workbook = {path}", device(path)) for path in ("/dev/zero", "/dev/urandom", "fifo")]

    def deep_toml():
        scenario = small_place(folder / "deep")
        text = scenario.read_text(encoding="utf-8") + "v = " + "[" * 10_000 + "]" * 10_000 + "\n"
        scenario.write_text(text, encoding="utf-8")
        return ["run", str(scenario)]

    def bom_toml():
        scenario = small_place(folder / "bom")
        scenario.write_bytes(b"\xef\xbb\xbf" + scenario.read_bytes())
        return ["run", str(scenario), "-o", str(folder / "bom" / "out.xlsx")]

    found += [("TOML nested 10,000 deep", deep_toml), ("TOML with a byte-order mark", bom_toml)]

    def sweep_with(*arguments: str):
        return lambda: ["sweep", str(small_place(folder / "sweep")), "--vary", "change.default=0,-0.05", *arguments]

    found += [
        ("sweep --seed -1", sweep_with("--seed", "-1")),
        ("sweep --samples -1", sweep_with("--samples", "-1")),
        ("sweep --samples 1000000000", sweep_with("--samples", "1000000000")),
    ]

    def foreign_table():
        scenario = small_place(folder / "table")
        (folder / "table" / "mine.csv").write_text("Name,Budget\nmine,1\n", encoding="utf-8")
        return [
            "sweep",
            str(scenario),
            "--vary",
            "change.default=0,-0.05",
            "--table",
            str(folder / "table" / "mine.csv"),
        ]

    found.append(("sweep --table over a file it did not write", foreign_table))

    def long_code():
        sheets = place_sheets(
            partners=[("A", "council", None, None), ("B" * 300, "health", None, None)],
            funding=[("G", "A", "grant", 100, None, None), ("H", "B" * 300, "grant", 100, None, None)],
            programmes=[("P", "A", "yes", 10, None, None)],
            outcomes=[("O", 1000, None, None)],
            effects=[("P", "O", 10, None)],
        )
        (folder / "long").mkdir(exist_ok=True)
        place = write_sheets(folder / "long" / "place.xlsx", sheets)
        return ["split", str(place), "-o", str(folder / "long" / "returns")]

    found.append(("split: a partner code too long for a file name", long_code))

    def full_disk():
        scenario = small_place(folder / "full")
        tiny = folder / "tiny"
        return ["run", str(scenario), "-o", str(tiny / "out.xlsx")] if mount_tiny(tiny, "rw") else None

    def read_only():
        scenario = small_place(folder / "ro-place")
        frozen = folder / "frozen"
        return ["run", str(scenario), "-o", str(frozen / "out.xlsx")] if mount_tiny(frozen, "ro") else None

    found += [("a full disk", full_disk), ("a read-only folder", read_only)]

    def output_is_input():
        scenario = small_place(folder / "same")
        return ["run", str(scenario), "-o", str(folder / "same" / "place.xlsx")]

    found.append(("-o naming the input (refused before solving)", output_is_input))

    def many_parts():
        scenario = small_place(folder / "parts")
        workbook = folder / "parts" / "place.xlsx"
        with zipfile.ZipFile(workbook, "a") as archive:
            count = len(archive.infolist())
            for number in range(10_000 - count):
                archive.writestr(f"customXml/extra{number}.bin", b"")
        return ["run", str(scenario), "-o", str(folder / "parts" / "out.xlsx")]

    found.append(("a package of exactly 10,000 parts", many_parts))

    def long_name():
        scenario = small_place(folder / "name", name="PLACEHOLDER")
        workbook = folder / "name" / "place.xlsx"
        with zipfile.ZipFile(workbook) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
        with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data.replace(b"PLACEHOLDER", b"n" * 1_000_000))
        return ["run", str(scenario), "-o", str(folder / "name" / "out.xlsx")]

    found.append(("a name of 1,000,000 characters", long_name))

    def big_sheet(megabytes: int):
        def setup():
            scenario = small_place(folder / f"big-{megabytes}")
            workbook = folder / f"big-{megabytes}" / "place.xlsx"
            with zipfile.ZipFile(workbook) as archive:
                parts = {info.filename: archive.read(info) for info in archive.infolist()}
            effects = next(name for name, data in parts.items() if b">Per " in data or name.endswith("sheet6.xml"))
            # Notes in a column of their own: text that compresses about 9 to 1, as prose does.
            rng = random.Random(megabytes)
            words = ["".join(rng.choice("abcdefgh") for _ in range(6)) for _ in range(64)]
            rows, size, number = [], 0, 100
            while size < megabytes * 1024 * 1024 * 0.97:
                text = " ".join(rng.choice(words) for _ in range(330))
                row = f'<row r="{number}"><c r="H{number}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()
                rows.append(row)
                size, number = size + len(row), number + 1
            parts[effects] = parts[effects].replace(b"</sheetData>", b"".join(rows) + b"</sheetData>")
            with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in parts.items():
                    archive.writestr(name, data)
            return ["run", str(scenario), "-o", str(folder / f"big-{megabytes}" / "out.xlsx")]

        return setup

    found += [("the largest sheet accepted (31 MB)", big_sheet(31)), ("a sheet of 140 MB", big_sheet(140))]

    def utf16_sheet():
        scenario = small_place(folder / "utf16")
        workbook = folder / "utf16" / "place.xlsx"
        with zipfile.ZipFile(workbook) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
        name = next(name for name, data in parts.items() if name.startswith("xl/worksheets/") and b">Partner<" in data)
        xml = parts[name].replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
        parts[name] = b"\xff\xfe" + xml.decode("utf-8").encode("utf-16-le")
        with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
            for part, data in parts.items():
                archive.writestr(part, data)
        return ["run", str(scenario), "-o", str(folder / "utf16" / "out.xlsx")]

    found.append(("a sheet saved as UTF-16 (read, as LibreOffice reads it)", utf16_sheet))
    found.append(("sweep --scheduler nobody listens on", sweep_with("--scheduler", "tcp://127.0.0.1:9")))

    def colliding_partner_files():
        sheets = place_sheets(
            partners=[("a", "council", None, None), ("A", "health", None, None)],
            funding=[("G", "a", "grant", 100, None, None), ("H", "A", "grant", 100, None, None)],
            programmes=[("P", "a", "yes", 10, None, None)],
            outcomes=[("O", 1000, None, None)],
            effects=[("P", "O", 10, None)],
        )
        (folder / "collide").mkdir(exist_ok=True)
        write_sheets(folder / "collide" / "place.xlsx", sheets)
        scenario = folder / "collide" / "s.toml"
        scenario.write_text('name = "t"\nworkbook = "place.xlsx"\n', encoding="utf-8")
        out, each = folder / "collide" / "out.xlsx", folder / "collide" / "each"
        return ["run", str(scenario), "-o", str(out), "--per-partner", str(each)]

    found.append(("--per-partner files that would collide (before solving)", colliding_partner_files))

    def merged_stale():
        import openpyxl

        from pooling.returns.merge import write_merged
        from pooling.returns.split import split

        small_place(folder / "stale")
        workbook = folder / "stale" / "place.xlsx"
        with zipfile.ZipFile(workbook) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
        funding = next(
            name for name, data in parts.items() if name.startswith("xl/worksheets/") and b">Stream<" in data
        )
        # As Excel saves it: B's grant (D3) is =D2*0.5 with its result stored, and no ask to recalculate.
        parts[funding] = re.sub(rb'<c r="D3"([^>]*)><v>100</v></c>', rb'<c r="D3"\1><f>D2*0.5</f><v>50</v></c>',
                                parts[funding])  # fmt: skip
        parts = {name: data.replace(b' fullCalcOnLoad="1"', b"") for name, data in parts.items()}
        with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
        returns = split(workbook, folder / "stale" / "returns")
        mine = next(path for path in returns if path.stem.endswith("-A"))
        book = openpyxl.load_workbook(mine)
        row = next(cell.row for cell in book["Funding"]["A"] if cell.value == "CT")
        book["Funding"][f"D{row}"] = 300
        book.save(mine)
        merged = folder / "stale" / "merged.xlsx"
        write_merged(workbook, returns, merged)
        return ["validate", str(merged)]

    found.append(("merged returns leave a formula's stored result stale", merged_stale))
    return found


def two_runs_at_once(folder: Path) -> tuple[str, float, str]:
    """Two `run --in-place` on one workbook started together: is the original recoverable?"""
    scenario = small_place(folder / "twice")
    workbook = folder / "twice" / "place.xlsx"
    original = workbook.read_bytes()
    started = time.perf_counter()
    command = [sys.executable, "-m", "pooling", "run", str(scenario), "--in-place"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate()[0] for run in runs]
    seconds = time.perf_counter() - started
    kept = any(path.read_bytes() == original for path in (folder / "twice").glob("place.xlsx.bak*"))
    codes = sorted(run.returncode for run in runs)
    traceback = any("Traceback" in output for output in outputs)
    verdict = "original kept in a backup" if kept and not traceback else "ORIGINAL LOST"
    return f"exits {codes[0]} and {codes[1]}", seconds, verdict


def main() -> None:
    worst_time = worst_memory = 0.0
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        print(f"{'case':52} {'exit':>4} {'seconds':>8} {'peak MB':>8}  result")
        try:
            for name, setup in cases(folder):
                command = setup()
                if command is None:
                    print(f"{name:52} {'':>4} {'':>8} {'':>8}  skipped: this machine will not mount a tiny file system")
                    continue
                status, seconds, peak, last = measure(command, folder)
                worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
                if last.startswith("TRACEBACK") or seconds > BOUND_SECONDS or peak > BOUND_MB:
                    failures.append(name)
                shown = last.replace(str(folder) + "/", "")
                print(f"{name:52} {status:>4} {seconds:>8.2f} {peak:>8.0f}  {shown[:110]}")
            codes, seconds, verdict = two_runs_at_once(folder)
            print(f"{'two run --in-place at once':52} {'':>4} {seconds:>8.2f} {'':>8}  {codes}: {verdict}")
            if verdict != "original kept in a backup":
                failures.append("two run --in-place at once")
        finally:
            for mounted in ("tiny", "frozen"):
                subprocess.run(["umount", str(folder / mounted)], capture_output=True)
            shutil.rmtree(folder, ignore_errors=True)
    print(f"worst: {worst_time:.2f} s, {worst_memory:.0f} MB (bound: {BOUND_SECONDS:g} s, {BOUND_MB:g} MB)")
    if failures:
        print("beyond the bounds or ending in a traceback: " + ", ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
