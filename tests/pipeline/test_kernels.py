"""One kernel for the notebooks of a study (issue 14): each notebook sees what a fresh
kernel would show it, so its outputs are those of a kernel of its own."""

from __future__ import annotations

import os
import signal
import time

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from peerstudy.errors import StageFailed
from peerstudy.pipeline.kernels import KernelSession, check_kernel
from peerstudy.pipeline.notebookcells import normalise_notebook

FIRST = ["secret = 41", "import math\nsecret + 1", "print(sorted(k for k in dir() if not k.startswith('_')))"]
# In a fresh kernel the second notebook finds no `secret`, and its cells are counted 1, 2, 3.
SECOND = ["'secret' in dir()", "print(sorted(k for k in dir() if not k.startswith('_')))", "1 + 1"]


def write(path, sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "peerstudy", "display_name": "Python (peerstudy)", "language": "python"}
    nbformat.write(nb, path)
    return path


def outputs(path):
    nb, _ = normalise_notebook(nbformat.read(path, as_version=4), output_path="")
    return [(c.execution_count, c.outputs) for c in nb.cells]


@pytest.mark.slow  # starts three kernels
def test_a_notebook_run_after_another_in_one_kernel_shows_what_a_fresh_kernel_shows(tmp_path):
    kernel = check_kernel()
    first, second = write(tmp_path / "first.ipynb", FIRST), write(tmp_path / "second.ipynb", SECOND)
    failing = write(tmp_path / "failing.ipynb", ["secret = 43", "raise ValueError('stop here')"])
    with KernelSession(kernel, tmp_path) as shared:
        shared.execute(first, tmp_path / "first-out.ipynb", None)
        with pytest.raises(PapermillExecutionError):  # a cell raises; the kernel is kept
            shared.execute(failing, tmp_path / "failing-out.ipynb", None)
        shared.execute(second, tmp_path / "shared-out.ipynb", None)
    with KernelSession(kernel, tmp_path) as fresh:
        fresh.execute(second, tmp_path / "fresh-out.ipynb", None)
    shown = outputs(tmp_path / "shared-out.ipynb")
    assert [count for count, _ in shown] == [1, 2, 3]
    assert shown[0][1][0]["data"]["text/plain"] == "False"  # no name of the first notebook
    assert shown == outputs(tmp_path / "fresh-out.ipynb")
    assert not shared.started and not fresh.started  # shut down on leaving


def test_a_session_starts_no_kernel_until_a_notebook_runs(tmp_path):
    with KernelSession("no-such-kernel", tmp_path) as session:
        assert not session.started


ENVIRONMENT = ["import os", "print(os.environ.get('PEERSTUDY_TEST_SLOT'), os.getpid())"]


def printed(path):
    """What the notebook's last cell printed."""
    return nbformat.read(path, as_version=4).cells[-1].outputs[0]["text"].split()


@pytest.mark.slow  # starts a kernel
def test_studies_run_one_after_another_share_a_kernel_with_their_own_environment(tmp_path, monkeypatch):
    """As in a job process (share_kernels): the second study's notebook runs in the first
    study's kernel (same process id) and sees its own environment, not the first's; a
    study whose notebook's cell raised hands its kernel on (the reset clears it), an
    interrupted one does not."""
    from peerstudy.pipeline import kernels

    monkeypatch.setattr(kernels, "_SHARING", [True])
    monkeypatch.setattr(kernels, "_SHARED", {})
    kernel, nb = check_kernel(), write(tmp_path / "env.ipynb", ENVIRONMENT)
    try:
        with kernels.study_kernel(kernel, tmp_path, {"PEERSTUDY_TEST_SLOT": "first"}) as session:
            session.execute(nb, tmp_path / "first.ipynb", None)
        with kernels.study_kernel(kernel, tmp_path, {"PEERSTUDY_TEST_SLOT": "second"}) as again:
            again.execute(nb, tmp_path / "second.ipynb", None)
        (slot1, pid1), (slot2, pid2) = printed(tmp_path / "first.ipynb"), printed(tmp_path / "second.ipynb")
        assert (slot1, slot2) == ("first", "second") and pid1 == pid2 and again is session
        with pytest.raises(StageFailed), kernels.study_kernel(kernel, tmp_path, {}) as failed_cell:
            raise StageFailed("a cell of a notebook raised")
        assert failed_cell is session and session.started  # the kernel answered: handed on
        with pytest.raises(KeyboardInterrupt), kernels.study_kernel(kernel, tmp_path, {}) as interrupted:
            raise KeyboardInterrupt
        assert interrupted is session and not session.started and kernels._SHARED == {}
    finally:
        kernels.close_shared_kernels()


@pytest.mark.slow  # starts a kernel
def test_a_kernel_that_died_between_two_notebooks_is_one_clear_error(tmp_path):
    """The session's client waits for the kernel only once; a kernel gone since its last
    notebook is still noticed before the next one runs, not waited on."""
    kernel, nb = check_kernel(), write(tmp_path / "env.ipynb", ENVIRONMENT)
    with KernelSession(kernel, tmp_path) as session:
        session.execute(nb, tmp_path / "first.ipynb", None)
        os.kill(int(printed(tmp_path / "first.ipynb")[1]), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while session._manager.provisioner.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="the kernel died between two notebooks"):
            session.execute(nb, tmp_path / "second.ipynb", None)
