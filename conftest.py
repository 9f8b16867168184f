"""Test session set-up shared by the unit tests, the backtest and nbval.

Before anything runs, outputs are redirected to a temporary output root
(``PEERSTUDY_OUTPUT_ROOT``), so no test and no notebook executed by nbval writes into
the committed ``data/processed/`` or ``reports/``. Kernels that nbval starts inherit the
variable. The first test that needs the pipeline's outputs (the backtest, or any nbval
cell, since later stages read what earlier stages wrote) regenerates every study there
once.

Test lanes: `make test` runs everything (CI); `make test-fast` leaves out the tests
marked ``slow`` (whole pipeline runs, nbval and the backtest). Notebooks collected by
nbval and tests that use the ``regenerated`` fixture are marked slow here, so nobody has
to remember to; a test that runs a study itself carries ``@pytest.mark.slow``. Under
pytest-xdist every worker has an output root of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_STATE: dict[str, Path] = {}


def pytest_configure(config: pytest.Config) -> None:
    root = Path(tempfile.mkdtemp(prefix="peerstudy-test-output-"))
    _STATE["root"] = root
    os.environ["PEERSTUDY_OUTPUT_ROOT"] = str(root)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config: pytest.Config) -> None:
    for name in ("defaults", "root"):
        root = _STATE.pop(name, None)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def regenerate() -> Path:
    """Run every study into the session's output root (once) and return that root."""
    if "regenerated" not in _STATE:
        from peerstudy import pipeline

        pipeline.run_studies(output_root=_STATE["root"], log=lambda line: None)
        _STATE["regenerated"] = _STATE["root"]
    return _STATE["regenerated"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow lane: notebooks (nbval) and every test that needs a regeneration."""
    for item in items:
        if item.path.suffix == ".ipynb" or "regenerated" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's kernel starts, point it at the right output root: the reports'
    notebooks at the regenerated root, the notebooks of ``notebooks/`` (run with their
    default parameters, which need not be their study's) at a root of their own where
    those default runs were first made in order, as ``make report`` made the outputs they
    store, so that what they write never changes what the reports' notebooks read."""
    if item.path.suffix != ".ipynb":
        return
    root = regenerate()
    if item.path.parent.name == "notebooks" and item.path.parent.parent == Path(__file__).parent:
        if "defaults" not in _STATE:  # the default runs, in order, as `make report` made the stored outputs
            from peerstudy import pipeline

            defaults = root.parent / f"{root.name}-defaults"
            defaults.mkdir()
            pipeline.refresh_notebooks(output_root=defaults, store=False, log=lambda line: None)
            _STATE["defaults"] = defaults
        root = _STATE["defaults"]
    os.environ["PEERSTUDY_OUTPUT_ROOT"] = str(root)


@pytest.fixture(scope="session")
def regenerated() -> Path:
    """Output root holding freshly regenerated data/processed/ and reports/."""
    return regenerate()
