"""Analytic memos: which codes the analysts' memos developed, and when.

A memo sheet (CSV) has ``memo`` (id), ``date`` (YYYY-MM-DD), ``codes`` (code ids joined
by ``;``), ``title`` and ``text``. The text stays in ``data/raw/``; reports show the
timeline of memo dates against the codes they develop.

Examples
--------
>>> book = pd.DataFrame({"label": ["Core", "Trust", "Early trust"], "parent": [None, "core", "trust"],
...                      "depth": [0, 1, 2]}, index=pd.Index(["core", "trust", "early"], name="code"))
>>> memos = pd.DataFrame({"memo": ["M1"], "date": [pd.Timestamp("2023-03-01")], "codes": [["early"]], "title": ["t"]})
>>> memo_timeline(memos, book, depth=1)[["memo", "code", "label"]].values.tolist()
[['M1', 'trust', 'Trust']]
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify_frame, redacted_errors
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.qualitative.codebook import ancestor, suggest_code

__all__ = ["read_memos", "memo_timeline"]


def read_memos(path: str | Path, codebook: pd.DataFrame, key: DeidKey | None = None) -> pd.DataFrame:
    """Read and check a memo sheet; returns ``memo``, ``date``, ``codes`` (list),
    ``title`` (the memo text is not returned: it stays with the raw data). With the
    study's de-identification ``key``, ids and titles are de-identified, and no message
    names a person."""
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            # deidentify_frame passes None through; a frame in gives a frame out
            return cast(pd.DataFrame, deidentify_frame(read_memos(path, codebook), key, columns=["memo", "title"]))
    p = resolve_input(path)
    shown = relative_to_root(p)
    table = read_csv_table(p, required=["memo", "date", "codes", "title"], parameter="memos")
    rows, problems = [], []
    for row, cells in table.iterrows():
        at = int(cast(int, row))  # read_csv_table: spreadsheet row numbers
        try:
            day = date.fromisoformat(cells["date"].strip())
        except ValueError:
            problems.append(
                Problem(
                    file=shown,
                    row=at,
                    field="date",
                    expected="a date as YYYY-MM-DD",
                    found=repr(cells["date"]),
                    fix="write the date the memo was written as YYYY-MM-DD, e.g. 2023-02-15",
                )
            )
            continue
        codes = [c.strip() for c in cells["codes"].split(";") if c.strip()]
        code_problems = _code_problems(codes, codebook, file=shown, row=at)
        problems += code_problems
        if not code_problems:
            rows.append(
                {
                    "memo": cells["memo"].strip(),
                    "date": pd.Timestamp(day),
                    "codes": codes,
                    "title": cells["title"].strip(),
                }
            )
    if problems:
        raise InputError(problems)
    return (
        pd.DataFrame(rows, columns=["memo", "date", "codes", "title"])
        .sort_values(["date", "memo"])
        .reset_index(drop=True)
    )


def _code_problems(codes: list[str], codebook: pd.DataFrame, *, file: str, row: int) -> list[Problem]:
    """The problems of a memo's codes: none given, or some not in the codebook."""
    problems = [
        Problem(
            file=file,
            row=row,
            field="codes",
            expected="codes defined in the codebook",
            found=repr(c),
            fix=suggest_code(c, codebook),
        )
        for c in codes
        if c not in codebook.index
    ]
    if not codes:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="codes",
                expected="at least one code the memo develops",
                found="none",
                fix="list the codes the memo is about, separated by ';'",
            )
        )
    return problems


def memo_timeline(memos: pd.DataFrame, codebook: pd.DataFrame, *, depth: int = 1) -> pd.DataFrame:
    """One row per (memo, code at ``depth``) in date order: ``memo``, ``date``,
    ``code``, ``label``, ``title``."""
    rows = []
    for memo, day, codes, title in zip(memos["memo"], memos["date"], memos["codes"], memos["title"], strict=True):
        for code in dict.fromkeys(ancestor(codebook, c, depth) for c in codes):
            rows.append(
                {
                    "memo": memo,
                    "date": day.date().isoformat(),
                    "code": code,
                    "label": codebook.at[code, "label"],
                    "title": title,
                }
            )
    return pd.DataFrame(rows, columns=["memo", "date", "code", "label", "title"])
