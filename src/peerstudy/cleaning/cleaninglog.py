"""The cleaning log: every change made to the raw data, with file, row, field, before, after and rule.

Changes are added one at a time (:meth:`CleaningLog.record`) or, for a whole column's
changes at once, as arrays (:meth:`CleaningLog.add_changes`); the log keeps the order in
which they were added.

Examples
--------
>>> log = CleaningLog(file="export.csv")
>>> log.record(3, "Age", " 31 years", 31, "number: spaces, unit or full-width digits removed")
>>> log.to_frame()[["row", "before", "after"]].values.tolist()
[[3, ' 31 years', '31']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

__all__ = ["LOG_COLUMNS", "CleaningLog", "show_value"]

#: Texts given at once: a list, or an array (numpy's, or pandas' text array).
Texts = Sequence[str] | np.ndarray | ExtensionArray
#: The columns of the cleaning log, in order.
LOG_COLUMNS = ["file", "row", "field", "before", "after", "rule"]


@dataclass
class CleaningLog:
    """Every change made to the raw data: file, row, field, before, after, rule.

    ``blocks`` holds the changes in order: lists of single changes (one dict each) and
    tables of changes added at once.
    """

    file: str
    blocks: list[list[dict[str, Any]] | pd.DataFrame] = field(default_factory=list)

    def record(self, row: int | None, field: str, before: Any, after: Any, rule: str) -> None:
        """Add one change."""
        entries = self.blocks[-1] if self.blocks else None
        if not isinstance(entries, list):
            entries = []
            self.blocks.append(entries)
        entries.append(
            {
                "file": self.file,
                "row": row,
                "field": field,
                "before": show_value(before),
                "after": show_value(after),
                "rule": rule,
            }
        )

    def add_changes(self, rows: np.ndarray, fields: Texts, before: Texts, after: Texts, rules: Texts) -> None:
        """Add many changes at once, in order: their rows, fields, values before and after
        (as the log shows them, see :func:`show_value`) and rules, one array each.

        Examples
        --------
        >>> log = CleaningLog(file="export.csv")
        >>> log.add_changes(np.array([3, 5]), ["Age", "Sex"], ["31 years", "F"], ["31", "female"], ["unit", "spelling"])
        >>> log.to_frame()["after"].tolist()
        ['31', 'female']
        """
        if not len(rows):
            return
        files = pd.array([self.file], dtype="str").take(np.zeros(len(rows), dtype=np.intp))
        columns = (files, rows, fields, before, after, rules)
        self.blocks.append(pd.DataFrame(dict(zip(LOG_COLUMNS, columns, strict=True))))

    def __len__(self) -> int:
        return sum(len(block) for block in self.blocks)

    def to_frame(self) -> pd.DataFrame:
        """The log as a table, in the order changes were made."""
        frames = [_frame(b) if isinstance(b, list) else b for b in self.blocks if len(b)]
        if len(frames) == 1:
            frame = frames[0]
        elif frames:
            frame = pd.concat(frames, ignore_index=True)
        else:
            frame = pd.DataFrame([], columns=LOG_COLUMNS)
        return frame.astype({"row": "Int64"})


def _frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """Single changes as a table (column by column: quicker than row by row)."""
    return pd.DataFrame({name: [entry[name] for entry in entries] for name in LOG_COLUMNS})


def show_value(value: Any) -> str:
    """A value as the log shows it: its text, or ``(missing)``.

    Examples
    --------
    >>> show_value(None), show_value(float("nan")), show_value(4)
    ('(missing)', '(missing)', '4')
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "(missing)"
    return str(value)
