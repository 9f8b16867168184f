"""The cleaning log: every change made to the raw data, with file, row, field, before, after and rule.

Examples
--------
>>> log = CleaningLog(file="export.csv")
>>> log.record(3, "Age", " 31 years", 31, "number: spaces, unit or full-width digits removed")
>>> log.to_frame()[["row", "before", "after"]].values.tolist()
[[3, ' 31 years', '31']]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["LOG_COLUMNS", "CleaningLog", "show_value"]

#: The columns of the cleaning log, in order.
LOG_COLUMNS = ["file", "row", "field", "before", "after", "rule"]


@dataclass
class CleaningLog:
    """Every change made to the raw data: file, row, field, before, after, rule."""

    file: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(self, row: int | None, field: str, before: Any, after: Any, rule: str) -> None:
        """Add one change."""
        self.entries.append(
            {
                "file": self.file,
                "row": row,
                "field": field,
                "before": show_value(before),
                "after": show_value(after),
                "rule": rule,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The log as a table, in the order changes were made."""
        frame = pd.DataFrame(self.entries, columns=LOG_COLUMNS)
        return frame.astype({"row": "Int64"})


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
