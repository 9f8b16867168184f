"""Jupyter server settings for this project, used by `make lab` (``--config``).

Saving a notebook normalises its metadata as the pipeline stores it (the project's
kernel, Python as major.minor, no timings), so saving an unchanged notebook leaves no
git diff: see peerstudy.pipeline.labhooks.
"""

from peerstudy.pipeline.labhooks import normalise_saved_notebook

c = get_config()  # noqa: F821  (provided by the Jupyter config loader)
c.FileContentsManager.pre_save_hook = normalise_saved_notebook
