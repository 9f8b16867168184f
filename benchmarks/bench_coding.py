"""Transcripts, coding and agreement of 10, 100 and 1,000 synthetic interviews, with the growth exponent.

Each size is a whole interview study written into a temporary folder by
``interviews.write_study`` (9 participant turns per interview, a de-identification key of
1.5 entries per interview that grows with the study, a codebook, two coders' sheets of 5
excerpts per interview). Timed, as the notebooks call them (``clean-transcripts`` and
``code``), in CPU time (``time.process_time``: the machine is shared):

* transcripts: ``clean_export`` of the participants sheet, ``study_key``,
  ``read_transcripts`` and ``clean_transcripts`` (reading and de-identification);
* coding: ``read_codebook`` and ``read_codings`` (coder sheets by excerpt, turns and key);
* agreement: ``reliability_summary(shared_documents(...))``.

Printed per size: each step, the total, and the ratio of the total to a reference measured
in the same run (reading every file of the study as text). Then per step the ratio
1,000 / 100 and the growth exponent ``log(t_1000 / t_100) / log(10)`` (1 = linear,
2 = quadratic). Goal (issue 14): the total at 1,000 interviews <= 10 x the total at 100.

Run: ``.venv/bin/python benchmarks/bench_coding.py [sizes...]`` (default 10 100 1000).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

from interviews import write_study

from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.deid import redacted_errors
from peerstudy.cleaning.deidkey import study_key
from peerstudy.cleaning.transcripts import clean_transcripts, read_transcripts
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import read_codings
from peerstudy.qualitative.reliability import reliability_summary, shared_documents

SIZES = (10, 100, 1000)
STEPS = ("transcripts", "coding", "agreement")


def run_study(paths: dict) -> tuple[dict[str, float], dict[str, int]]:
    """CPU seconds of each step on one written study, and the counts it produced."""
    times = {}
    start = time.process_time()
    people = clean_export(paths["participants_sheet"], paths["participants_fields"])
    key = study_key(paths["deid_key"], ["KR"])
    with redacted_errors(key):
        clean = clean_transcripts(read_transcripts(paths["transcripts"]), key, people.participants)
    times["transcripts"] = time.process_time() - start
    start = time.process_time()
    book = read_codebook(paths["codebook"], key)
    coded = read_codings(
        paths["coding_sheets"],
        clean.documents,
        book,
        document_key=["transcript"],
        turns=clean.turns,
        unit_column="unit",
        key=key,
    )
    times["coding"] = time.process_time() - start
    start = time.process_time()
    summary = reliability_summary(shared_documents(coded.codings, coded.segments))
    times["agreement"] = time.process_time() - start
    counts = {"documents": len(clean.documents), "turns": len(clean.turns), "codings": len(coded.codings)}
    counts["summary rows"] = len(summary)
    return times, counts


def time_reference(folder: Path) -> float:
    """CPU seconds to read every file of the study as text once."""
    start = time.process_time()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            path.read_text(encoding="utf-8")
    return time.process_time() - start


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or list(SIZES)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-coding-") as tmp:
        run_study(write_study(Path(tmp) / "warm", 3))  # one-off imports and lazy set-up, outside the timings
        for n in sizes:
            paths = write_study(Path(tmp) / f"n{n}", n)
            times, counts = run_study(paths)
            ref = time_reference(Path(tmp) / f"n{n}")
            total = sum(times.values())
            results[n] = {**times, "total": total}
            steps = "  ".join(f"{s} {times[s]:7.3f} s" for s in STEPS)
            print(
                f"{n:>5} interviews ({counts['turns']:,} turns, {counts['codings']:,} codings, "
                f"{int(n * 1.5):,} key entries): {steps}  total {total:7.3f} s CPU; "
                f"reference (read every file) {ref:.4f} s, ratio {total / ref:,.0f}x",
                flush=True,
            )
    low, high = (100, 1000) if {100, 1000} <= set(results) else (sizes[-2], sizes[-1]) if len(sizes) > 1 else (0, 0)
    if low:
        factor = high / low
        for step in (*STEPS, "total"):
            ratio = results[high][step] / results[low][step]
            print(
                f"{step:<12} {high:,} / {low:,} interviews: ratio {ratio:6.2f} (linear = {factor:g}), "
                f"growth exponent {math.log(ratio) / math.log(factor):5.2f}  (1 = linear, 2 = quadratic)"
            )
        goal = "met" if results[high]["total"] <= factor * results[low]["total"] else "NOT met"
        print(f"goal: total at {high:,} <= {factor:g} x total at {low:,}: {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
