"""What a notebook calls first: display settings, readable errors, the study's writers."""

from __future__ import annotations

import pandas as pd

from peerstudy.errors import PeerstudyError
from peerstudy.outputs import StudyOutputs
from peerstudy.present import render_frame

__all__ = ["start"]


def start(study: str) -> StudyOutputs:
    """Show every DataFrame by the presentation rules (:mod:`peerstudy.present`), make the project's own
    errors (bad input) show as one readable message instead of a traceback, and return
    the study's :class:`~peerstudy.outputs.StudyOutputs`.

    Examples
    --------
    >>> start("supporter-survey").study
    'supporter-survey'
    """
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.max_colwidth", 400)
    pd.set_option("display.width", 200)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        shell.set_custom_exc((PeerstudyError,), _show_input_error)
        # every table a notebook shows follows the presentation rules (peerstudy.present)
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, render_frame)
    return StudyOutputs(study)


def _show_input_error(shell, etype, value, tb, tb_offset=None):
    """Show a PeerstudyError as its message alone: it describes bad input, not a bug."""
    shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])
