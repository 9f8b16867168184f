"""Declared exclusion rules, applied in order to an export's rows, and the participant flow.

A fields file may list rules under ``exclusions``; each leaves out the rows still in whose
cell in ``column`` (the export's column name or question text, declared as a field or not)
passes its test::

    exclusions:
      - {reason: survey preview, column: Status, equals: ["Survey Preview", "1"]}
      - {reason: did not finish, column: Finished, equals: ["0", "false"]}
      - {reason: consent not given, column: Consent, not_equals: ["I agree"]}
      - {reason: duplicate respondent, column: RecipientEmail, duplicate: first}
      - {reason: progress below 80%, column: Progress, below: 80}

Rules apply in the order written, each to the rows the earlier ones left in, so every
excluded row is counted once, under the first reason that applies. Excluded rows are not
cleaned, never become participants or documents, and are listed in the cleaning log.

Examples
--------
>>> import pandas as pd
>>> from peerstudy.cleaning.surveyfields import ExclusionRule
>>> table = pd.DataFrame({"Finished": ["1", "0", "1"], "Progress": ["100", "40", "60"]}, index=[2, 3, 4])
>>> rules = (ExclusionRule("did not finish", "Finished", "equals", ("0",)),
...          ExclusionRule("progress below 80", "Progress", "below", threshold=80.0))
>>> result = apply_exclusions(table, rules, file="export.csv")
>>> list(result.kept), result.counts
([2], [('did not finish', 1), ('progress below 80', 1)])
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerstudy.cleaning.surveyfields import ExclusionRule
from peerstudy.cleaning.values import normalise_label
from peerstudy.errors import Problem

__all__ = ["Exclusions", "apply_exclusions", "flow_table"]


@dataclass
class Exclusions:
    """The rows left in, the rows left out (``row``, ``column``, ``value``, ``reason``), the
    count per rule in order, and problems (cells a rule cannot test)."""

    kept: pd.Index
    excluded: pd.DataFrame
    counts: list[tuple[str, int]]
    problems: list[Problem] = field(default_factory=list)


def apply_exclusions(
    table: pd.DataFrame, rules: tuple[ExclusionRule, ...], *, file: str, missing: tuple[str, ...] = ("",)
) -> Exclusions:
    """Apply ``rules`` in order to the rows of ``table`` (text cells, index = spreadsheet row).

    Parameters
    ----------
    table
        The export's answers; every rule's column must be one of its columns.
    rules
        The declared rules, in order.
    file
        The export as shown in messages.
    missing
        Normalised cell values that mean no answer (never a duplicate; for ``below`` and
        ``above``, a problem).

    Returns
    -------
    Exclusions
    """
    kept = table.index
    excluded, counts, problems = [], [], []
    for rule in rules:
        cells = table.loc[kept, rule.column]
        hit, bad = _test(rule, cells, missing)
        for row in bad:
            problems.append(
                Problem(
                    file=file,
                    row=int(row),
                    field=rule.column,
                    expected=f"a number, for the exclusion rule {rule.reason!r} ({rule.test} {rule.threshold:g})",
                    found=repr(cells[row]),
                    fix="correct the cell in a corrected copy of the export, or the rule in the fields file",
                )
            )
        excluded += [(int(row), rule.column, _shown(rule, cells, row), rule.reason) for row in cells.index[hit]]
        counts.append((rule.reason, int(hit.sum())))
        kept = cells.index[~hit]
    frame = pd.DataFrame(excluded, columns=["row", "column", "value", "reason"]).sort_values("row", kind="stable")
    return Exclusions(kept=kept, excluded=frame.reset_index(drop=True), counts=counts, problems=problems)


def _shown(rule: ExclusionRule, cells: pd.Series, row: int) -> str:
    """The excluded cell as the cleaning log shows it; a duplicate's value (often an
    e-mail address) is not repeated, only the row it repeats."""
    if rule.test != "duplicate":
        return cells[row]
    keys = cells.map(normalise_label)
    first = keys.index[keys.eq(keys[row])][0]
    return f"same value as row {int(first)}"


def _test(rule: ExclusionRule, cells: pd.Series, missing: tuple[str, ...]) -> tuple[pd.Series, list]:
    """Which cells the rule excludes, and the rows whose cell it cannot test."""
    keys = cells.map(normalise_label)
    if rule.test == "equals":
        return keys.isin(rule.values), []
    if rule.test == "not_equals":
        return ~keys.isin(rule.values), []
    if rule.test == "duplicate":
        present = ~keys.isin(missing) & keys.ne("")
        return present & keys.duplicated(keep="first") & keys.where(present).notna(), []
    numbers = cells.map(_number)
    bad = list(cells.index[numbers.isna()])
    threshold = rule.threshold
    hit = numbers.lt(threshold) if rule.test == "below" else numbers.gt(threshold)
    return hit.fillna(False).astype(bool), bad


def _number(cell: str) -> float | None:
    text = unicodedata.normalize("NFKC", cell).strip().rstrip("%").strip()
    return float(text) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) else None


def flow_table(received: int, counts: list[tuple[str, int]], analysed: int) -> pd.DataFrame:
    """The participant flow: received, excluded by each reason in order, analysed.

    Examples
    --------
    >>> flow_table(10, [("survey preview", 2), ("did not finish", 1)], 7)
               step          reason   n
    0      received                  10
    1      excluded  survey preview   2
    2      excluded  did not finish   1
    3      analysed                   7
    """
    return pd.DataFrame(
        {
            "step": pd.array(["received"] + ["excluded"] * len(counts) + ["analysed"], dtype="string"),
            "reason": pd.array([""] + [reason for reason, _ in counts] + [""], dtype="string"),
            "n": np.array([received] + [n for _, n in counts] + [analysed], dtype=np.int64),
        }
    )
