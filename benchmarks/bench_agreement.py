"""Benchmark of peerstudy.stats.codetable.agreement_table on large synthetic codings.

Builds seeded synthetic tidy codings: every one of two coders applies each code to
about ``--rate`` of the segments, the second coder mostly agreeing with the first
(keeps 90% of the first coder's applications and adds a few of their own). Then it
times ``agreement_table`` on the whole data, measures its memory, and times
``krippendorff.alpha`` on data of the same size (2 coders x all segments, nominal,
the presence of one code) for comparison. (A 50-category label over a million
units is not measured: the package then builds a units x categories x categories
array, about 20 GB.)

Memory is reported two ways:

* tracemalloc: peak of the memory allocated *during* one ``agreement_table``
  call (NumPy and pandas report their buffers to tracemalloc), measured on a
  separate run so that tracing does not slow down the timed run;
* getrusage: the process's maximum resident set size (ru_maxrss) at the end,
  which also includes the synthetic data and the imported libraries.

Run::

    PYTHONPATH=src python benchmarks/bench_agreement.py [--segments 1000000 --codes 50]

Prints numbers and labels only; it checks nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import krippendorff
import numpy as np
import pandas as pd

from peerstudy.stats.codetable import agreement_table


def make_codings(
    n_segments: int, n_codes: int, rate: float, seed: int, string_ids: bool
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Synthetic tidy codings; also the segment ids and code 0's presence (2 x segments)."""
    rng = np.random.default_rng(seed)
    segs, codes, coders = [], [], []
    first_code = None
    for k in range(n_codes):
        a = rng.random(n_segments) < rate
        b = np.where(a, rng.random(n_segments) < 0.9, rng.random(n_segments) < rate * 0.1)
        if k == 0:
            first_code = np.vstack([a, b]).astype(float)
        for coder, present in ((0, a), (1, b)):
            idx = np.flatnonzero(present)
            segs.append(idx)
            codes.append(np.full(idx.size, k, dtype=np.int16))
            coders.append(np.full(idx.size, coder, dtype=np.int8))
    seg = np.concatenate(segs)
    order = rng.permutation(seg.size)  # real exports are not sorted by code
    code_names = np.array([f"code_{k:02d}" for k in range(n_codes)], dtype=object)
    ids = np.arange(n_segments)
    if string_ids:
        ids = np.array([f"doc{i // 100:05d}:seg{i % 100:02d}" for i in ids], dtype=object)
    codings = pd.DataFrame(
        {
            "segment": ids[seg[order]],
            "code": code_names[np.concatenate(codes)[order]],
            "coder": np.array(["coder_A", "coder_B"], dtype=object)[np.concatenate(coders)[order]],
        }
    )
    return codings, ids, first_code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.03, help="share of segments a coder gives a code")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--string-ids", action="store_true", help="string segment ids instead of integers")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    codings, segment_ids, first_code = make_codings(args.segments, args.codes, args.rate, args.seed, args.string_ids)
    print(f"segments                          {args.segments}")
    print(f"codes                             {args.codes}")
    print("coders                            2")
    print(f"coding rows                       {len(codings)}")
    print(f"segment ids                       {'strings' if args.string_ids else 'integers'}")
    print(f"data generation s                 {time.perf_counter() - t0:.2f}")

    t0 = time.perf_counter()
    table = agreement_table(codings, segments=segment_ids)
    t_table = time.perf_counter() - t0
    print(f"agreement_table wall s            {t_table:.2f}")

    tracemalloc.start()
    tracemalloc.reset_peak()
    agreement_table(codings, segments=segment_ids)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"agreement_table peak MiB (tracemalloc, allocated during the call)  {peak / 2**20:.0f}")

    t0 = time.perf_counter()
    alpha_pkg = krippendorff.alpha(first_code, level_of_measurement="nominal")
    t_kripp = time.perf_counter() - t0
    print(f"krippendorff.alpha 2 x {args.segments} nominal (one code's presence) wall s  {t_kripp:.2f}")

    print(f"ratio agreement_table ({args.codes} codes) / krippendorff.alpha (one code)  {t_table / t_kripp:.2f}")
    print(
        f"ratio agreement_table / ({args.codes} x krippendorff.alpha one code)  {t_table / (args.codes * t_kripp):.3f}"
    )
    row = table.iloc[0]
    print(f"alpha of {row['code']}: agreement_table {row['alpha']:.10f}  krippendorff {alpha_pkg:.10f}")
    print(f"overall percent agreement         {table.iloc[-1]['percent_agreement']:.6f}")
    print(f"overall kappa                     {table.iloc[-1]['kappa']:.6f}")

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    maxrss_mib = maxrss / 2**20 if sys.platform == "darwin" else maxrss / 2**10  # bytes on macOS, KiB on Linux
    print(f"process max RSS MiB (getrusage ru_maxrss, whole run)  {maxrss_mib:.0f}")


if __name__ == "__main__":
    main()
