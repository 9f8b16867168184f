"""Writing a REFI-QDA project of 100,000 codings, against writing the same members as a
plain zip (issue 14: the writer cost 8.5 times the zip). Prints time, the ratio and,
with ``--mem``, the peak of Python allocations (tracemalloc; slows the run).

    .venv/bin/python benchmarks/bench_refi_write.py [--mem]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd

from peerstudy.qualitative.refi import write_qdpx


def tables(n_docs: int = 200, per_doc: int = 250) -> tuple[pd.DataFrame, ...]:
    """40 codes, 200 documents of 250 segments, each segment coded by two coders."""
    codes = [f"C{i}" for i in range(40)]
    book = pd.DataFrame(
        {
            "label": [f"code {c}" for c in codes],
            "definition": "def",
            "parent": pd.array([None] * 40, dtype="string"),
            "depth": 0,
            "root": codes,
            "order": range(40),
        },
        index=pd.Index(codes, name="code"),
    )
    words = "peer support helped me trust the team again and again "
    docs, segs, cods = [], [], []
    for d in range(n_docs):
        doc = f"D{d:03d}"
        docs.append({"document": doc, "participant": f"P{d % 50}", "text": words * (per_doc + 1)})
        for k in range(per_doc):
            s = k * len(words)
            sid = f"{doc}@{s}-{s + 20}"
            segs.append({"segment": sid, "document": doc, "start": s, "end": s + 20})
            cods += [{"segment": sid, "code": codes[(k + d) % 40], "coder": c, "note": ""} for c in ("Ann", "Ben")]
    return book, pd.DataFrame(docs), pd.DataFrame(segs), pd.DataFrame(cods)


def main() -> None:
    book, documents, segments, codings = tables()
    mem = "--mem" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.qdpx"
        if mem:
            tracemalloc.start()
        started = time.perf_counter()
        write_qdpx(out, book, documents, segments, codings)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if mem else 0
        tracemalloc.stop()
        with zipfile.ZipFile(out) as zf:
            members = {i.filename: zf.read(i) for i in zf.infolist()}
    started = time.perf_counter()
    with zipfile.ZipFile(io.BytesIO(), "w") as zf:
        for name, data in members.items():
            zf.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=9,
            )
    zip_only = time.perf_counter() - started
    print(
        f"{len(codings)} codings: write_qdpx {seconds:.2f} s, the zip alone {zip_only:.2f} s "
        f"({seconds / zip_only:.1f} times)" + (f", peak {peak / 2**20:.0f} MiB" if mem else "")
    )


if __name__ == "__main__":
    main()
