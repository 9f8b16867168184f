"""Test session set-up shared by the unit tests, the backtest and nbval.

Before anything runs, outputs are redirected to a temporary output root
(``PEERSTUDY_OUTPUT_ROOT``), so no test and no notebook executed by nbval writes into
the committed ``data/processed/`` or ``reports/``. Kernels that nbval starts inherit the
variable. The first test that needs the pipeline's outputs (the backtest, or any nbval
cell, since later stages read what earlier stages wrote) regenerates every study there.
That regeneration is made once in the session, by the first worker that needs it (the
others wait for it), and copied into the output root of each worker that needs it.

Test lanes: `make test` runs everything (CI); `make test-fast` leaves out the tests
marked ``slow`` (whole pipeline runs, nbval and the backtest), and its property tests
draw fewer examples (``PEERSTUDY_FAST_LANE``). Notebooks collected by
nbval and tests that use the ``regenerated`` fixture are marked slow here, so nobody has
to remember to; a test that runs a study itself carries ``@pytest.mark.slow``. Under
pytest-xdist every worker has an output root of its own.
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_STATE: dict[str, Path] = {}
# Set by the process that starts the session (pytest-xdist's controller, or pytest alone)
# and inherited by the workers: a folder where the regeneration and the default runs are
# made once for the whole session, then copied into each worker's output root.
_SHARED_ENV = "PEERSTUDY_TEST_SHARED"


def pytest_configure(config: pytest.Config) -> None:
    root = Path(tempfile.mkdtemp(prefix="peerstudy-test-output-"))
    _STATE["root"] = root
    os.environ["PEERSTUDY_OUTPUT_ROOT"] = str(root)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # The studies a test process runs share its kernel, as in a job process of the pipeline
    # (reset before each notebook, the run's output root set in it): a kernel's start and
    # imports once per worker, not once per study run.
    from peerstudy.pipeline import kernels

    kernels.share_kernels()
    if os.environ.get("PEERSTUDY_FAST_LANE") == "1":
        # `make test-fast`: property tests draw a fifth of their examples (helpers.examples),
        # and those without a number of their own 20 rather than Hypothesis's 100
        from hypothesis import settings

        settings.register_profile("fast-lane", max_examples=20)
        settings.load_profile("fast-lane")
    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller, or pytest without workers
        shared = Path(tempfile.mkdtemp(prefix="peerstudy-test-shared-"))
        _STATE["shared"] = shared
        os.environ[_SHARED_ENV] = str(shared)


def pytest_unconfigure(config: pytest.Config) -> None:
    from peerstudy.pipeline import kernels

    kernels.close_shared_kernels()
    for name in ("defaults", "root", "shared"):
        root = _STATE.pop(name, None)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _session_lock(shared: Path) -> Iterator[None]:
    """One worker at a time in the shared folder (an advisory lock on a file there)."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): xdist workers would race, so run without -n there
        yield
        return
    with (shared / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _made_once(name: str, make: Callable[[Path], None], into: Path) -> None:
    """``make(folder)`` run once in the session (whichever worker comes first, the others
    wait), its result copied into ``into``. A run that failed leaves no result, so the
    next worker that needs it tries again and reports the failure itself."""
    shared = Path(os.environ[_SHARED_ENV])
    made = shared / name
    with _session_lock(shared):
        if not (made / ".complete").is_file():
            shutil.rmtree(made, ignore_errors=True)
            made.mkdir()
            make(made)
            (made / ".complete").touch()
    shutil.copytree(made, into, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete"))


def regenerate() -> Path:
    """Every study run (once in the session) and put into this worker's output root, which is returned."""
    if "regenerated" not in _STATE:
        from peerstudy import pipeline

        def run(folder: Path) -> None:  # two at once at least, so that it is a parallel run (see test_stagecache)
            pipeline.run_studies(output_root=folder, jobs=max(2, os.cpu_count() or 1), log=lambda line: None)

        _made_once("regenerated", run, _STATE["root"])
        _STATE["regenerated"] = _STATE["root"]
    return _STATE["regenerated"]


def _defaults_are_the_studies() -> bool:
    """Whether every notebook of ``notebooks/`` declares, as its default parameters, the
    values its default study gives it (so its default run writes what that study's run
    wrote, and the regeneration can stand for the default runs)."""
    from peerstudy import config
    from peerstudy.pipeline import notebookcells
    from peerstudy.pipeline.study import load_study

    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        declared = notebookcells.declared_parameters(path)
        try:
            defaults = {name: ast.literal_eval(d["default"]) for name, d in declared.items()}
            given = load_study(defaults["study"]).parameters_for(path.stem)
        except (KeyError, ValueError, SyntaxError):
            return False
        if any(name not in defaults or defaults[name] != value for name, value in given.items()):
            return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow lane: notebooks (nbval) and every test that needs a regeneration."""
    for item in items:
        if item.path.suffix == ".ipynb" or "regenerated" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's kernel starts, point it at the right output root: the reports'
    notebooks at the regenerated root. The notebooks of ``notebooks/`` run with their
    default parameters: when those are the values their default study gives them, what
    they write is what the regeneration wrote, so they run there too; otherwise at a root
    of their own where those default runs were first made in order, as ``make report``
    made the outputs they store, so that what they write never changes what the reports'
    notebooks read."""
    if item.path.suffix != ".ipynb":
        return
    root = regenerate()
    if item.path.parent.name == "notebooks" and item.path.parent.parent == Path(__file__).parent:
        if "defaults" not in _STATE:
            if _defaults_are_the_studies():
                _STATE["defaults"] = root
            else:  # the default runs, in order, as `make report` made the stored outputs
                from peerstudy import pipeline

                def run(folder: Path) -> None:
                    pipeline.refresh_notebooks(output_root=folder, store=False, log=lambda line: None)

                defaults = root.parent / f"{root.name}-defaults"
                _made_once("defaults", run, defaults)
                _STATE["defaults"] = defaults
        root = _STATE["defaults"]
    os.environ["PEERSTUDY_OUTPUT_ROOT"] = str(root)


@pytest.fixture(scope="session")
def regenerated() -> Path:
    """Output root holding freshly regenerated data/processed/ and reports/."""
    return regenerate()
