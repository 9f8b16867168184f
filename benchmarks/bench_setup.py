"""Benchmark: set-up from requirements.lock with uv against pip, each into a fresh temporary venv.

Both installers read the same lock; the caches are warmed by a first, untimed install of
each, then each installs once more into a new venv and its wall time is printed with the
ratio pip / uv (issue 14 goal: set-up <= 10 s on a warm cache). It may take a minute or
two. It skips with a message when a venv cannot be made or uv is not found (on PATH, or
as ``python -m uv``). Run: .venv/bin/python benchmarks/bench_setup.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def find_uv() -> list[str] | None:
    """The command that runs uv, or None."""
    if shutil.which("uv"):
        return [shutil.which("uv")]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    return [sys.executable, "-m", "uv"] if probe.returncode == 0 else None


def make_venv(folder: Path) -> Path:
    """A fresh venv with pip; its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / ("Scripts" if sys.platform == "win32" else "bin") / "python"


def install(tool: str, uv: list[str], folder: Path) -> float:
    """Wall seconds to install the lock into a new venv at ``folder`` with ``tool``."""
    python = make_venv(folder)
    if tool == "uv":
        command = [*uv, "pip", "install", "--python", str(python), "-r", str(LOCK)]
    else:
        command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(LOCK)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tool} could not install {LOCK.name}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> int:
    uv = find_uv()
    if uv is None:
        print("skipped: uv is not on PATH (nor importable as python -m uv); install it to compare with pip")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp:
        try:
            make_venv(Path(tmp) / "probe")
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"skipped: cannot create a virtual environment here ({exc})")
            return 0
        times = {}
        for tool in ("uv", "pip"):
            install(tool, uv, Path(tmp) / f"{tool}-warm")  # warms the tool's cache
            times[tool] = install(tool, uv, Path(tmp) / f"{tool}-timed")
    print(
        f"set-up from {LOCK.name} on a warm cache: uv {times['uv']:.1f} s, pip {times['pip']:.1f} s wall; "
        f"pip / uv = {times['pip'] / times['uv']:.1f}x (goal: <= 10 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
