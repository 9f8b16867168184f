"""Screenshots of every report page, as a reviewer sees them, with headless Chromium.

Usage::

    .venv/bin/python scripts/screenshot_reports.py [--reports reports] [--out .scratch/screenshots]
                                                   [--width 1400] [--height 3000]

Every ``*.html`` below the reports folder (``index.html`` and each study's pages) is
opened from disk with the network refused (a proxy on a closed local port), and a PNG of
``--width`` x ``--height`` pixels is written to ``--out`` under the same relative path.
Where no Chromium is installed (Debian: ``apt-get install chromium``), says so and exits 0
without writing anything.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# A local port nothing listens on: every request to the network is refused there.
REFUSED_PROXY = "http://127.0.0.1:9"


def find_chromium() -> str | None:
    """The path of a Chromium executable on PATH, or ``None``."""
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def screenshot_page(chromium: str, page: Path, target: Path, *, width: int, height: int, profile: Path) -> None:
    """Write a PNG of ``page`` (opened offline) to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--proxy-server={REFUSED_PROXY}",
            "--proxy-bypass-list=<-loopback>",
            f"--window-size={width},{height}",
            "--virtual-time-budget=3000",
            f"--screenshot={target}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )


def screenshot_reports(reports: Path, out: Path, *, width: int = 1400, height: int = 3000) -> list[Path]:
    """Screenshots of every ``.html`` page below ``reports`` into ``out``; the PNGs written."""
    chromium = find_chromium()
    if chromium is None:
        print("headless Chromium not found (Debian: apt-get install chromium): no screenshots taken")
        return []
    written = []
    with tempfile.TemporaryDirectory(prefix="peerstudy-chromium-") as profile:
        for page in sorted(reports.rglob("*.html")):
            target = out / page.relative_to(reports).with_suffix(".png")
            screenshot_page(chromium, page, target, width=width, height=height, profile=Path(profile))
            print(target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="folder of the report pages")
    parser.add_argument("--out", type=Path, default=Path(".scratch/screenshots"), help="folder for the PNGs")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)
    if not args.reports.is_dir():
        print(f"{args.reports}: no such folder", file=sys.stderr)
        return 2
    screenshot_reports(args.reports, args.out, width=args.width, height=args.height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
