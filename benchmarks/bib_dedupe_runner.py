"""Run bib-dedupe on one CSV of records and write its groups of duplicates as JSON.

Run by ``bench_dedup.py`` with the interpreter that has bib-dedupe (``.venv-bench``,
made by ``make bench-venv``); bib-dedupe is never installed in the project's venv.

    .venv-bench/bin/python benchmarks/bib_dedupe_runner.py records.csv groups.json

The JSON holds ``groups`` (lists of record IDs), ``seconds`` (prep, block, match and
cluster, timed in this process, imports excluded) and ``version``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import sys
import time

import pandas as pd


def main(source: str, target: str) -> None:
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    records = pd.read_csv(source, dtype=str, keep_default_na=False)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        prepared = prep(records, verbosity_level=0)
        pairs = block(prepared, verbosity_level=0)
        matched = match(pairs, verbosity_level=0)
        groups = cluster(matched, verbosity_level=0)
    seconds = time.perf_counter() - start
    with open(target, "w", encoding="utf-8") as f:
        json.dump(
            {
                "groups": [sorted(map(str, g)) for g in groups],
                "seconds": seconds,
                "version": importlib.metadata.version("bib-dedupe"),
            },
            f,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
