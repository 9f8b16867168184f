"""What a notebook calls first: display settings, then the study's output writers."""

from __future__ import annotations

import pandas as pd

from peerstudy.outputs import StudyOutputs

__all__ = ["start"]


def start(study: str) -> StudyOutputs:
    """Set display options that show whole tables to reviewers and return the study's
    :class:`~peerstudy.outputs.StudyOutputs`.

    Examples
    --------
    >>> start("supporter-survey").study
    'supporter-survey'
    """
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_colwidth", 400)
    pd.set_option("display.width", 200)
    return StudyOutputs(study)
