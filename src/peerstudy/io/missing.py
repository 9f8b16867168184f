"""The one test of a missing value: ``None``, NaN, pandas' NA or NaT (never a list or an
array, which are values). Texts that stand for no value (``NA``, ``N/A``, ...) are a
matter of each reader's format and are decided there, with this test underneath.

Examples
--------
>>> [is_na(v) for v in (None, float("nan"), "", 0, [1])]
[True, True, False, False, False]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["is_na"]


def is_na(value: Any) -> bool:
    """Whether ``value`` is no value: ``None``, NaN, ``pandas.NA`` or ``NaT``.

    Parameters
    ----------
    value
        Any single value; a list, tuple or array is a value, never missing.

    Examples
    --------
    >>> is_na(pd.NA), is_na(pd.NaT), is_na("NA")
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is a value
        return False
