"""Run studies: load a study's parameter file, run its notebooks, put the outputs in place.

The data's last stop: :mod:`~peerstudy.pipeline.study` loads and checks a study,
:mod:`~peerstudy.pipeline.run` runs its notebooks with papermill into a staging folder,
:mod:`~peerstudy.pipeline.leakcheck` checks the outputs for identifiers,
:mod:`~peerstudy.pipeline.commit` puts them in place all at once, and
:mod:`~peerstudy.pipeline.manifest` and :mod:`~peerstudy.pipeline.stagecache` record what
they were made from. May import every other package of :mod:`peerstudy`; nothing imports it
but ``__main__``.
"""

from peerstudy.pipeline.manifest import code_digest, raw_inputs, update_manifest
from peerstudy.pipeline.run import (
    KERNEL_NAME,
    StageFailed,
    normalise_notebook,
    refresh_notebooks,
    run_studies,
    run_study,
)
from peerstudy.pipeline.study import Study, check_inputs, check_study_name, list_studies, load_study

__all__ = [
    "KERNEL_NAME",
    "Study",
    "StageFailed",
    "check_inputs",
    "check_study_name",
    "code_digest",
    "list_studies",
    "load_study",
    "normalise_notebook",
    "raw_inputs",
    "refresh_notebooks",
    "run_studies",
    "run_study",
    "update_manifest",
]
