"""What a notebook calls first: display settings, readable errors, the study's writers.

Where the outputs go depends on who runs the notebook. The pipeline (and the tests) name
the output root in ``PEERSTUDY_OUTPUT_ROOT``; a notebook opened in JupyterLab or run by
hand, where it is not set, writes under the scratch root (``.scratch/``, see
:func:`peerstudy.config.scratch_root`), so Run All never replaces a report in
``reports/`` or a table in ``data/processed/``. To write elsewhere, ask for it: set
``PEERSTUDY_OUTPUT_ROOT`` (to the project root to write into ``reports/`` itself) before
the kernel starts. In the scratch root, a table an earlier stage wrote is read from
``.scratch/`` when that stage was run there too, else from the project's
``data/processed/`` (reading changes nothing).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from peerstudy import config
from peerstudy.errors import PeerstudyError
from peerstudy.report.outputs import StudyOutputs
from peerstudy.report.present import render_frame

__all__ = ["start", "choose_output_root", "ScratchOutputs"]


def choose_output_root() -> tuple[Path, bool]:
    """The output root of a notebook run, and whether it is the scratch root: the folder
    ``PEERSTUDY_OUTPUT_ROOT`` names (the pipeline's runs, or a user who asks), else the
    scratch root (a run in JupyterLab or by hand).

    Examples
    --------
    >>> import os
    >>> root, scratch = choose_output_root()
    >>> scratch == (config.OUTPUT_ROOT_ENV not in os.environ)
    True
    """
    if os.environ.get(config.OUTPUT_ROOT_ENV):
        return config.output_root(), False
    return config.scratch_root(), True


class ScratchOutputs(StudyOutputs):
    """The writers of a run outside the pipeline: everything is written under the scratch
    root; a table is read from there when an earlier stage wrote it there, else from the
    project's ``data/processed/``.

    Examples
    --------
    >>> import tempfile
    >>> out = ScratchOutputs("demo", root=tempfile.mkdtemp())
    >>> out.load("nothing", missing_ok=True) is None
    True
    """

    def load(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame | None:
        """Read a processed table: from the scratch root if there, else from the project."""
        if (self.processed_dir / f"{name}.parquet").is_file():
            return super().load(name, missing_ok=missing_ok)
        project = StudyOutputs(self.study, root=config.PROJECT_ROOT)
        table = project.load(name, missing_ok=missing_ok)
        self._labels = self._labels or project.labels  # the codebook read from the project names the codes
        return table


def start(study: str) -> StudyOutputs:
    """Set display options that show whole tables to reviewers, make the project's own
    errors (bad input) show as one readable message instead of a traceback, and return
    the study's :class:`~peerstudy.report.outputs.StudyOutputs`, writing under the output root
    :func:`choose_output_root` chooses (a run outside the pipeline says where).

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
        # every table a notebook shows follows the presentation rules (peerstudy.report.present)
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, render_frame)
    root, scratch = choose_output_root()
    if not scratch:
        return StudyOutputs(study, root=root)
    print(
        f"Run outside the pipeline: outputs go to {config.relative_to_root(root)}/, not to reports/ or "
        f"data/processed/ (set {config.OUTPUT_ROOT_ENV} before starting the kernel to write elsewhere)."
    )
    return ScratchOutputs(study, root=root)


def _show_input_error(shell, etype, value, tb, tb_offset=None):
    """Show a PeerstudyError as its message alone: it describes bad input, not a bug."""
    shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])
