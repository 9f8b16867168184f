"""A no-op ``python -m peerstudy report`` against a full run (``--force``) of every study,
both measured in this run, into a scratch output root (the committed outputs are not
touched). Goals (issue 14): the full run <= 25 s on 2 cores, the no-op <= 2 s.

    .venv/bin/python benchmarks/bench_report.py [--jobs N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_report(out: Path, *options: str) -> float:
    """Wall time of ``python -m peerstudy report --output-root out`` with ``options``."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "peerstudy", "report", "--output-root", str(out), *options],
        cwd=ROOT,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    # the full run three times, each into an empty output root: on a shared machine one
    # run of the same code varied from 19 to 26 s
    fulls = []
    for k in range(3):
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            fulls.append(timed_report(Path(tmp), "--force", *argv))
            if k == 2:  # the no-op: the same command again on the last run's outputs
                noop = min(timed_report(Path(tmp), *argv) for _ in range(3))
    full = statistics.median(fulls)
    shown = ", ".join(f"{t:.1f}" for t in fulls)
    print(f"full run (--force {' '.join(argv)}): median {full:.1f} s of 3 ({shown}; goal <= 25 s on 2 cores)")
    print(f"no-op run (best of 3):   {noop:.2f} s (goal <= 2 s)")
    print(f"ratio no-op / full:      {noop / full:.3f} ({full / noop:.0f} times faster)")


if __name__ == "__main__":
    main(sys.argv[1:])
