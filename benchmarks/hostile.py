"""Time and peak memory of refusing each hostile file of the test corpus.

Each file is checked by `pooling validate` in a process of its own, so the peak
memory is that process's own (resident set, from the operating system). The issue's
bound is 5 seconds and 300 MB a file.

    python benchmarks/hostile.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus import hostile_files  # noqa: E402


def measure(path: Path) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak MB, the reason given) for one file."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "pooling.cli", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Read the (short) output, then reap the child with wait4 for its own peak memory.
    output, errors = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    reason = (errors or output).strip().splitlines()[-1].strip()
    return child.returncode, seconds, usage.ru_maxrss / 1024, reason


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = hostile_files(Path(folder))
        print(f"{'file':30} {'exit':>4} {'seconds':>8} {'peak MB':>8}  reason")
        worst_time = worst_memory = 0.0
        for name, path in files.items():
            status, seconds, peak, reason = measure(path)
            worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
            print(f"{name:30} {status:>4} {seconds:>8.2f} {peak:>8.0f}  {reason.replace(str(path) + ': ', '')[:90]}")
        print(f"worst: {worst_time:.2f} s, {worst_memory:.0f} MB (bound: 5 s, 300 MB)")


if __name__ == "__main__":
    main()
