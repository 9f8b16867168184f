"""Run studies: load a study's parameter file, run its notebooks, put the outputs in place.

The data's last stop: :mod:`~peerstudy.pipeline.study` loads and checks a study,
:mod:`~peerstudy.pipeline.run` runs its notebooks with papermill into a staging folder
(in one kernel per study, :mod:`~peerstudy.pipeline.kernels`; studies side by side,
:mod:`~peerstudy.pipeline.parallel`),
:mod:`~peerstudy.pipeline.leakcheck` checks the outputs for identifiers,
:mod:`~peerstudy.pipeline.commit` puts them in place all at once, and
:mod:`~peerstudy.pipeline.manifest` and :mod:`~peerstudy.pipeline.stagecache` record what
they were made from. May import every other package of :mod:`peerstudy`; nothing imports it
but ``__main__``.

The names below are loaded when first used, so that importing one light module of the
package (:mod:`~peerstudy.pipeline.stagecache`, asked whether anything is to be done)
does not load papermill and nbconvert.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peerstudy.errors import StageFailed
    from peerstudy.pipeline.kernels import KERNEL_NAME
    from peerstudy.pipeline.manifest import code_digest, raw_inputs, update_manifest
    from peerstudy.pipeline.run import (
        normalise_notebook,
        refresh_notebooks,
        run_studies,
        run_study,
    )
    from peerstudy.pipeline.study import Study, check_inputs, check_study_name, list_studies, load_study

_WHERE = {  # each name to the module that defines it
    "KERNEL_NAME": "peerstudy.pipeline.kernels",
    "StageFailed": "peerstudy.errors",
    "Study": "peerstudy.pipeline.study",
    "check_inputs": "peerstudy.pipeline.study",
    "check_study_name": "peerstudy.pipeline.study",
    "code_digest": "peerstudy.pipeline.manifest",
    "list_studies": "peerstudy.pipeline.study",
    "load_study": "peerstudy.pipeline.study",
    "normalise_notebook": "peerstudy.pipeline.notebookcells",
    "raw_inputs": "peerstudy.pipeline.manifest",
    "refresh_notebooks": "peerstudy.pipeline.run",
    "run_studies": "peerstudy.pipeline.run",
    "run_study": "peerstudy.pipeline.run",
    "update_manifest": "peerstudy.pipeline.manifest",
}
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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'peerstudy.pipeline' has no attribute {name!r}")
