"""Benchmark: survey cleaning (peerstudy.cleaning.clean.clean_export) against pandas.read_csv of the same export.

Synthetic exports (fixed seed) shaped like the mini-survey fixture's fields file (an id,
a date and time, a whole number with a unit, a number, categories, a yes/no, several
choices and free text) of 1,000, 10,000 and 100,000 respondents. Each size runs in a child
process so that its peak memory (ru_maxrss) is its own; times are CPU times (the machine
is shared), printed with the ratio to read_csv measured in the same child. Each pair
(read_csv, then clean_export) is run REPEATS times (3 at 100,000 rows and more) and the
medians are compared: one sample of a few milliseconds of CPU time on a shared machine
varies by a factor of two or more between runs (time the system spends for other work
is charged to whichever process runs). The goal (issue 14) is cleaning <= 20 x read_csv. Without arguments it also measures
the peak memory of reading an export at peerstudy.io.readers.MAX_TABLE_CELLS (``--limit``).
Run: .venv/bin/python benchmarks/bench_cleaning.py [sizes...]
"""

from __future__ import annotations

import csv
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (1_000, 10_000, 100_000)
#: How many times each size's pair of measurements is made (fewer for the largest exports).
REPEATS = 5
FIELDS = """\
header_rows: 2
missing: ["", "n/a"]
fields:
  number: {column: "No.", type: id}
  entered: {column: "Entered", type: datetime, format: "%Y/%m/%d %H:%M", compare_duplicates: false}
  age: {column: "Age", type: integer, required: true, min: 18, max: 99, units: ["years"]}
  hours: {column: "Hours a week", type: number, min: 0, max: 80}
  sex:
    column: "Gender"
    type: category
    categories: {female: [female, f], male: [male, m], other: [other, diverse]}
  site: {column: "Site", type: label}
  experienced:
    column: "Peer support before?"
    type: boolean
    "true": ["yes", "y"]
    "false": ["no", "n"]
  calm: {column: "Calm", type: likert, levels: [Disagree, Neutral, Agree]}
  activities: {column: "Activities", type: multi, separator: ";", options: {"1": Groups, "2": Walks, "3": Art}}
  why: {column: "Why did you start?", type: text}
"""
_WORDS = "I wanted to give back and grow with peers who listen share hope talk walk cook learn".split()


def write_export(folder: Path, n: int, seed: int = 14) -> Path:
    """An export of ``n`` respondents (every spelling a hand-typed export holds) and its fields file."""
    rng = random.Random(seed)
    (folder / "fields.yaml").write_text(FIELDS, encoding="utf-8")
    path = folder / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "No.",
                "Entered",
                "Age",
                "Hours a week",
                "Gender",
                "Site",
                "Peer support before?",
                "Calm",
                "Activities",
                "Why did you start?",
            ]
        )
        writer.writerow(["ID", "Time", "Open", "Open", "Choice", "Open", "Choice", "Choice", "Choice", "Open"])
        for i in range(1, n + 1):
            age = rng.randint(18, 99)
            writer.writerow(
                [
                    i,
                    f"2020/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                    rng.choice([str(age), f" {age} years", "".join(chr(ord(c) + 0xFEE0) for c in str(age))]),
                    rng.choice(["2", "0.5", " 10 ", "", "n/a", "7.25"]),
                    rng.choice(["Female", "f", "M", "male", "Other", "diverse ", ""]),
                    rng.choice(["North", "South  site", " East"]),
                    rng.choice(["Yes", "y", "no", "N", ""]),
                    rng.choice(["1", "2", "3", "Agree", "neutral", ""]),
                    rng.choice(["1;2", "Groups; Art", "3", "", "walks"]),
                    rng.choice(["", "N/A", " ".join(rng.choices(_WORDS, k=rng.randint(3, 25))) + ".  "]),
                ]
            )
    return path


def measure_one(n: int) -> None:
    """In a child: write, read and clean an export of ``n`` respondents; print one line."""
    import pandas as pd

    from peerstudy.cleaning.clean import clean_export

    with tempfile.TemporaryDirectory(prefix="bench-cleaning-") as tmp:
        # one small run first, so that neither side pays the one-off lazy imports (pandera's)
        warm = Path(tmp) / "warm"
        warm.mkdir()
        pd.read_csv(write_export(warm, 10), dtype=str, keep_default_na=False)
        clean_export(warm / "export.csv", warm / "fields.yaml", text_fields=["why"])
        path = write_export(Path(tmp), n)
        size = path.stat().st_size
        repeats = REPEATS if n < 100_000 else 3
        reads, cleans = [], []
        for _ in range(repeats):
            result = None  # the previous result is not held while the next is made
            started = time.process_time()
            pd.read_csv(path, dtype=str, keep_default_na=False)
            reads.append(time.process_time() - started)
            started = time.process_time()
            result = clean_export(path, Path(tmp) / "fields.yaml", text_fields=["why"])
            cleans.append(time.process_time() - started)
        read, clean = statistics.median(reads), statistics.median(cleans)
        ratios = [c / r for r, c in zip(reads, cleans, strict=True)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n:>8,} respondents ({size / 2**20:6.1f} MiB, {len(result.participants):,} kept, {len(result.log):,} log rows): "
        f"read_csv {read:6.2f} s CPU, clean_export {clean:7.2f} s CPU (medians of {repeats}), "
        f"ratio {clean / read:5.1f}x (goal <= 20x; each pair {min(ratios):.1f}x to {max(ratios):.1f}x); "
        f"peak RSS {peak:,.0f} MiB",
        flush=True,
    )


def measure_limit() -> None:
    """In a child: peak memory of reading (peerstudy.cleaning.surveyexports.read_export) an export just
    under peerstudy.io.readers.MAX_TABLE_CELLS, its rows those of the synthetic export repeated."""
    from peerstudy.cleaning.surveyexports import read_export
    from peerstudy.io import readers

    with tempfile.TemporaryDirectory(prefix="bench-cleaning-") as tmp:
        path = write_export(Path(tmp), 1_000)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        head, body = lines[:2], lines[2:]
        copies = (readers.MAX_TABLE_CELLS // 10 - 2) // len(body)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.writelines(head)
            for _ in range(copies):
                out.writelines(body)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.process_time()
        table = read_export(path, header_rows=2)
        took = time.process_time() - started
        cells = table.table.size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"at the limit (MAX_TABLE_CELLS = {readers.MAX_TABLE_CELLS:,}): read_export of {cells:,} cells "
        f"{took:.1f} s CPU, peak RSS {peak:,.0f} MiB (before reading {before:,.0f} MiB)",
        flush=True,
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        measure_one(int(argv[1]))
        return 0
    if argv[:1] == ["--limit"]:
        measure_limit()
        return 0
    sizes = [int(a) for a in argv] or list(SIZES)
    for n in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)
    if not argv:
        subprocess.run([sys.executable, __file__, "--limit"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
