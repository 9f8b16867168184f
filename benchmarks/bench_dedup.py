"""Benchmark of peerstudy.review.dedup.find_duplicates: accuracy on real labelled sets, speed
and memory on a synthetic search of 50,000 records, and bib-dedupe in the same run.

1. Every labelled set in ``../shared/samples/dedup/<set>/`` (``records_pre_merged.csv``
   and ``merged_record_ids.csv``: pairs within a ``merged_ids`` group are true
   duplicates, every other pair is not): pairwise precision, recall and F1 and the time
   of ``find_duplicates``; the true pairs missed, by the reason they were kept apart.
   A set folder that is absent is skipped with a message.
2. bib-dedupe on the same records, when an interpreter with it is found
   (``--bib-dedupe-python``, else ``.venv-bench/bin/python``, made by
   ``make bench-venv``; bib-dedupe is never installed in the project's venv): its
   figures and the ratio of its time to ours, measured in this run. Otherwise says so.
3. A synthetic search (fixed seed) of ``--records`` records (50,000) shaped like the real
   samples: works exported by five databases (MEDLINE and RIS files), a work found by
   one to three of them with the variations databases make (case, punctuation, HTML
   entities, translation markers, typing errors, author forms, journal abbreviations,
   abbreviated page ranges, missing DOIs, a year off by one), and records that look
   alike but are different (editorials of different issues, abstracts of a supplement
   sharing one DOI, parts 1 and 2 of a series). The files are read with
   ``read_exports`` and deduplicated; time of each step, peak memory (ru_maxrss of the
   process), and precision/recall against the planted truth; then again without authors.

Run (``make benchmark`` runs every benchmark)::

    .venv/bin/python benchmarks/bench_dedup.py [--records 50000] [--samples DIR]

Prints numbers and labels only; it checks nothing. Goals (issue 17, issue 14): each
labelled set precision >= 0.998 and F1 >= 0.98; 50,000 records in <= 30 s and <= 2 GB;
without authors <= 10 s.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from peerstudy.config import PROJECT_ROOT
from peerstudy.review.bibliography import read_exports
from peerstudy.review.dedup import find_duplicates

Pair = tuple[str, str]


# ------------------------------------------------------------------------ scoring
def pairs_of_groups(groups) -> set[Pair]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def predicted_pairs(marked: pd.DataFrame) -> set[Pair]:
    groups: dict[str, list[str]] = {}
    for record, kept in zip(marked["record"], marked["duplicate_of"], strict=False):
        groups.setdefault(record if pd.isna(kept) else kept, []).append(record)
    return pairs_of_groups(groups.values())


def score(found: set[Pair], truth: set[Pair]) -> dict[str, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(found), "true": len(truth), "tp": tp, "precision": precision, "recall": recall, "f1": f1}


def show(label: str, s: dict[str, float], seconds: float) -> None:
    print(
        f"  {label:<14} precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}  "
        f"({s['tp']}/{s['pairs']} found pairs true, {s['true']} true pairs)  {seconds:.2f} s"
    )


def missed_by_reason(pairs: pd.DataFrame, missed: set[Pair]) -> dict[str, int]:
    """True pairs not merged, by the reason given when the pair (or its clusters) was listed."""
    reasons = {}
    for a, b, decision, reason in zip(
        pairs["record_a"], pairs["record_b"], pairs["decision"], pairs["reason"], strict=False
    ):
        if decision == "kept apart":
            reasons[tuple(sorted((a, b)))] = reason
    counts: dict[str, int] = {}
    for p in missed:
        key = reasons.get(p, "not listed (not similar enough, or apart through their groups)")
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


# ------------------------------------------------------------------------ labelled sets
def read_labelled(folder: Path) -> tuple[pd.DataFrame, set[Pair]]:
    raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
    authors = raw["author"].str.replace(" and ", "; ", regex=False)

    def col(name: str) -> list:
        return [v or None for v in raw[name]] if name in raw else [None] * len(raw)

    records = pd.DataFrame(
        {
            "record": raw["ID"],
            "database": "",
            "title": col("title"),
            "authors": [a or None for a in authors],
            "first_author": [a.split("; ")[0] or None for a in authors],
            "year": pd.array([int(y) if y.strip().isdigit() else None for y in raw["year"]], dtype="Int64"),
            "journal": col("journal"),
            "volume": col("volume"),
            "issue": col("number"),
            "pages": col("pages"),
            "doi": col("doi"),
            "pmid": None,
            "abstract": col("abstract"),
        }
    )
    with open(folder / "merged_record_ids.csv", newline="", encoding="utf-8") as f:
        truth = pairs_of_groups(row["merged_ids"].split(";") for row in csv.DictReader(f))
    return records, truth


def find_bib_dedupe(explicit: str | None) -> str | None:
    """An interpreter that can import bib_dedupe: the one given, .venv-bench, or this one."""
    candidates = [explicit] if explicit else [str(PROJECT_ROOT / ".venv-bench" / "bin" / "python"), sys.executable]
    for python in candidates:
        if python and Path(python).exists():
            ok = subprocess.run([python, "-c", "import bib_dedupe"], capture_output=True).returncode == 0
            if ok:
                return python
    return None


def run_bib_dedupe(python: str, source: Path) -> tuple[list[list[str]], float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "groups.json"
        subprocess.run(
            [python, str(Path(__file__).with_name("bib_dedupe_runner.py")), str(source), str(target)],
            check=True,
            capture_output=True,
        )
        result = json.loads(target.read_text())
    return result["groups"], result["seconds"], result["version"]


def bench_labelled(samples: Path, bib_python: str | None) -> None:
    print(f"1. Labelled sets in {samples}")
    if not samples.is_dir():
        print(f"  skipped: {samples} is absent")
        return
    folders = sorted(p for p in samples.iterdir() if (p / "records_pre_merged.csv").is_file())
    if not folders:
        print("  skipped: no set with records_pre_merged.csv")
    for folder in folders:
        records, truth = read_labelled(folder)
        start, cpu = time.perf_counter(), time.process_time()
        marked, pairs = find_duplicates(records)
        ours, cpu = time.perf_counter() - start, time.process_time() - cpu
        found = predicted_pairs(marked)
        print(f" {folder.name}: {len(records)} records")
        show("peerstudy", score(found, truth), ours)
        print(f"  {'':<14} (CPU {cpu:.2f} s)")
        print(f"  {'':<14} true pairs missed, by reason: {missed_by_reason(pairs, truth - found)}")
        wrong = sorted(found - truth)
        if wrong:
            print(f"  {'':<14} pairs merged against the labels: {wrong[:10]}")
        if bib_python:
            groups, theirs, version = run_bib_dedupe(bib_python, folder / "records_pre_merged.csv")
            show(f"bib-dedupe {version}", score(pairs_of_groups(groups), truth), theirs)
            print(f"  {'':<14} bib-dedupe time / peerstudy time = {theirs / ours:.1f}")
    if not bib_python:
        print("  bib-dedupe: not importable here (make bench-venv creates .venv-bench with it); our figures alone")


# ------------------------------------------------------------------------ synthetic search
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "to",
    "vi",
    "da",
    "fe",
    "go",
    "hi",
    "ju",
    "ke",
    "le",
    "mo",
    "nu",
    "pa",
    "qui",
    "re",
    "si",
    "tu",
    "ve",
    "wa",
    "xo",
    "ya",
    "ze",
    "bra",
    "cre",
    "dro",
    "fla",
    "gri",
    "plo",
]
COMMON = [
    "peer",
    "support",
    "recovery",
    "community",
    "mental",
    "health",
    "trial",
    "workers",
    "groups",
    "housing",
    "stigma",
    "employment",
    "youth",
    "carers",
    "crisis",
    "service",
    "outcomes",
    "model",
    "rural",
    "online",
    "randomised",
    "qualitative",
    "study",
    "review",
    "effects",
    "of",
    "in",
    "and",
    "the",
    "for",
    "with",
    "among",
]
DATABASES = [("PubMed", "medline"), ("Embase", "ris"), ("PsycINFO", "ris"), ("CINAHL", "ris"), ("Scopus", "ris")]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_works(n_records: int, seed: int) -> list[dict]:
    """Works (publications) with their true fields; copies are made per database later."""
    rng = random.Random(seed)
    vocabulary = [_word(rng) for _ in range(4000)]
    surnames = [_word(rng).capitalize() for _ in range(6000)] + ["Nováková", "Müller", "Ødegård", "Núñez", "Çelik"]
    journals = []
    for _ in range(1500):
        words = [_word(rng).capitalize() for _ in range(rng.randint(2, 4))]
        journals.append(("Journal of " + " ".join(words), "J " + " ".join(w[:4] for w in words)))
    works: list[dict] = []

    def work(title: str, **fixed) -> dict:
        journal = rng.choice(journals)
        first = rng.randint(1, 2400)
        w = {
            "title": title,
            "authors": [
                (rng.choice(surnames), "".join(rng.choice("ABCDEFGHJKLMNPRST") for _ in range(rng.randint(1, 2))))
                for _ in range(rng.randint(1, 7))
            ],
            "year": rng.randint(1985, 2024),
            "journal": journal,
            "volume": str(rng.randint(1, 60)),
            "issue": str(rng.randint(1, 12)),
            "pages": (first, first + rng.randint(0, 14)),
            "doi": f"10.5555/syn.{len(works)}" if rng.random() < 0.8 else None,
            "pmid": str(30000000 + len(works)) if rng.random() < 0.6 else None,
        }
        w.update(fixed)
        works.append(w)
        return w

    def title(k: int) -> str:
        words = [rng.choice(COMMON) if rng.random() < 0.35 else rng.choice(vocabulary) for _ in range(k)]
        if k > 8 and rng.random() < 0.3:  # a subtitle
            words[k // 2] += ":"
        return " ".join(words).capitalize()

    # records that look alike but are different publications
    for _ in range(60):  # editorials of one editor, every issue of a year
        base = work("Editorial")
        for issue in range(2, 7):
            work(
                "Editorial",
                authors=base["authors"],
                journal=base["journal"],
                year=base["year"],
                volume=base["volume"],
                issue=str(issue),
                pages=(issue * 100, issue * 100 + 1),
                doi=None,
                pmid=None,
            )
    for s in range(25):  # abstracts of one supplement under one DOI
        base = work(title(9), doi=f"10.5555/suppl.{s}", pmid=None, issue="S1")
        for k in range(1, 20):
            work(
                title(9),
                journal=base["journal"],
                year=base["year"],
                volume=base["volume"],
                issue="S1",
                pages=(base["pages"][0] + k, None),
                doi=base["doi"],
                pmid=None,
            )
    for _ in range(150):  # parts 1 and 2 of a series
        t = title(10)
        one = work(t + ": part 1")
        work(
            t + ": part 2",
            authors=one["authors"],
            journal=one["journal"],
            year=one["year"],
            volume=one["volume"],
            issue=one["issue"],
            pages=(one["pages"][1] + 1, one["pages"][1] + 9),
        )
    expected = 0.5 * 1 + 0.5 * (0.7 * 2 + 0.3 * 3)  # copies per work (see make_records)
    while len(works) < n_records / expected:
        work(title(rng.randint(7, 18)))
    return works


def _vary_title(t: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.15:
        t = t.upper() if rng.random() < 0.3 else t.lower()
    elif r < 0.25:
        t = t + "."
    elif r < 0.30:
        t = t.replace(" and ", " &amp; ") if " and " in t else t + "."
    elif r < 0.33:
        t = t + ". [Chinese]"
    elif r < 0.36:
        t = f"[{t}]"
    elif r < 0.41 and len(t) > 30:
        i = rng.randint(10, len(t) - 5)
        t = t[:i] + t[i + 1 :]  # a typing error
    elif r < 0.44 and ":" in t:
        t = t.split(":")[0]  # the subtitle left out
    return t


def _author(surname: str, initials: str, rng: random.Random) -> str:
    form = rng.random()
    if form < 0.5:
        return f"{surname}, {'. '.join(initials)}."
    if form < 0.8:
        return f"{surname} {initials}"
    return f"{surname}, {initials}"


def make_records(works: list[dict], seed: int) -> tuple[list[list[dict]], set[Pair]]:
    """Per database, its records (dicts of export fields); and the true pairs (by database:index)."""
    rng = random.Random(seed + 1)
    per_db: list[list[dict]] = [[] for _ in DATABASES]
    groups: list[list[str]] = []
    for w in works:
        k = 1 if rng.random() < 0.5 else (2 if rng.random() < 0.7 else 3)
        dbs = rng.sample(range(len(DATABASES)), k)
        ids = []
        for rank, d in enumerate(sorted(dbs)):
            first, last = w["pages"]
            pages = f"{first}" if last is None else f"{first}-{last}"
            if last and rng.random() < 0.15 and len(str(last)) == len(str(first)) and last > first:
                pages = f"{first}-{str(last)[-2:]}" if str(last)[:-2] == str(first)[:-2] else pages
            year = w["year"] + (1 if rank and rng.random() < 0.03 else 0)
            journal = w["journal"][1] if rng.random() < 0.4 else w["journal"][0]
            rec = {
                "title": _vary_title(w["title"], rng) if rank else w["title"],
                "authors": [_author(s, i, rng) for s, i in w["authors"]] if rng.random() > 0.03 else [],
                "year": year,
                "journal": journal,
                "volume": w["volume"],
                "issue": w["issue"],
                "pages": pages,
                "doi": w["doi"] if rng.random() < 0.85 else None,
                "pmid": w["pmid"] if DATABASES[d][0] == "PubMed" else None,
            }
            per_db[d].append(rec)
            ids.append(f"{DATABASES[d][0].lower()}:{len(per_db[d])}")
        groups.append(ids)
    return per_db, pairs_of_groups(g for g in groups if len(g) > 1)


def write_medline(path: Path, records: list[dict]) -> None:
    lines = []
    for i, r in enumerate(records, 1):
        lines.append(f"PMID- {r['pmid'] or 90000000 + i}")
        lines.append(f"TI  - {r['title']}")
        lines += [f"FAU - {a}" for a in r["authors"]]
        lines += [
            f"DP  - {r['year']}",
            f"TA  - {r['journal']}",
            f"VI  - {r['volume']}",
            f"IP  - {r['issue']}",
            f"PG  - {r['pages']}",
            "LA  - eng",
        ]
        if r["doi"]:
            lines.append(f"LID - {r['doi']} [doi]")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_ris(path: Path, records: list[dict]) -> None:
    lines = []
    for r in records:
        lines += ["TY  - JOUR", f"TI  - {r['title']}"] + [f"AU  - {a}" for a in r["authors"]]
        start, _, end = r["pages"].partition("-")
        lines += [
            f"PY  - {r['year']}",
            f"JO  - {r['journal']}",
            f"VL  - {r['volume']}",
            f"IS  - {r['issue']}",
            f"SP  - {start}",
        ] + ([f"EP  - {end}"] if end else [])
        if r["doi"]:
            lines.append(f"DO  - {r['doi']}")
        lines += ["ER  - ", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def bench_synthetic(n_records: int, seed: int) -> None:
    works = make_works(n_records, seed)
    per_db, truth = make_records(works, seed)
    total = sum(len(r) for r in per_db)
    print(
        f"\n3. Synthetic search: {total} records of {len(works)} works in {len(DATABASES)} exports "
        f"(seed {seed}), {len(truth)} true pairs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        exports = []
        for (name, fmt), records in zip(DATABASES, per_db, strict=False):
            path = Path(tmp) / f"{name.lower()}.{'nbib' if fmt == 'medline' else 'ris'}"
            (write_medline if fmt == "medline" else write_ris)(path, records)
            exports.append({"file": str(path), "database": name, "format": fmt})
        start, cpu = time.perf_counter(), time.process_time()
        records = read_exports(exports)
        imported, imported_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    marked, pairs = find_duplicates(records, priority=[d for d, _ in DATABASES])
    deduplicated, deduplicated_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(
        f"  import (read_exports) {imported:.1f} s (CPU {imported_cpu:.1f} s); find_duplicates {deduplicated:.1f} s "
        f"(CPU {deduplicated_cpu:.1f} s); together {imported + deduplicated:.1f} s "
        f"(CPU {imported_cpu + deduplicated_cpu:.1f} s); peak memory of the process (ru_maxrss) {rss:.0f} MB"
    )
    print("  (wall time on a shared machine; CPU time is the time this process had a core)")
    show("planted truth", score(predicted_pairs(marked), truth), deduplicated)
    print(f"  {'':<14} true pairs missed, by reason: {missed_by_reason(pairs, truth - predicted_pairs(marked))}")
    print(f"  {'':<14} pairs listed: {len(pairs)} ({(pairs['decision'] == 'kept apart').sum()} near misses)")
    anonymous = records.assign(first_author=None, authors=None)
    start, cpu = time.perf_counter(), time.process_time()
    marked, _ = find_duplicates(anonymous, priority=[d for d, _ in DATABASES])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    show("no authors", score(predicted_pairs(marked), truth), seconds)
    print(f"  {'':<14} (CPU {cpu:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000, help="records in the synthetic search")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument(
        "--samples",
        type=Path,
        default=PROJECT_ROOT.parent / "shared" / "samples" / "dedup",
        help="folder of labelled sets",
    )
    parser.add_argument(
        "--bib-dedupe-python",
        default=os.environ.get("BIB_DEDUPE_PYTHON"),
        help="an interpreter that has bib-dedupe (default: .venv-bench/bin/python if it has it)",
    )
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    bib_python = find_bib_dedupe(args.bib_dedupe_python)
    print("peerstudy.review.dedup benchmark" + (f" (bib-dedupe from {bib_python})" if bib_python else ""))
    bench_labelled(args.samples, bib_python)
    print("\n2. bib-dedupe: " + ("compared above, in the same run" if bib_python else "not available in this run"))
    if not args.skip_synthetic:
        bench_synthetic(args.records, args.seed)


if __name__ == "__main__":
    main()
