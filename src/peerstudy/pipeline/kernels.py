"""Execute notebooks with papermill, one kernel for all the notebooks of a study.

Starting a kernel and importing pandas, matplotlib and :mod:`peerstudy` into it costs
2 to 3 seconds, more than many stages' analysis (issue 14). A :class:`KernelSession`
starts one kernel, when its first notebook runs, and runs each later notebook in it after
a reset that gives the notebook what a fresh kernel would: an empty namespace and an
execution count starting at 1 (``InteractiveShell.reset(new_session=True)``); the modules
already imported stay imported, which is the point. The kernel's working folder is the
one at its start; the environment variables a session is given
(:attr:`KernelSession.environment`, the output root of the run) are set in the kernel
before each notebook. One client talks to the kernel for the whole session: a new client
per notebook waited 0.2 to 0.5 s for its channels each time, twice per notebook.

In a process that runs jobs for :mod:`~peerstudy.pipeline.parallel` (:func:`share_kernels`),
the studies that process runs one after another share its kernel (:func:`study_kernel`),
which is shut down when the process ends: four studies on two cores start two kernels, not
four. Run one at a time, in the calling process, each study has a kernel of its own.

The reports made this way are byte-identical to those made with a kernel per notebook
(the backtest checks the reports, and nbval checks the outputs stored in ``notebooks/``
against a fresh kernel per notebook).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from peerstudy.errors import ConfigError, PeerstudyError, Problem, StageFailed

KERNEL_NAME = "peerstudy"
# The kernel's own log (warnings about local unencrypted sockets, "KeyboardInterrupt caught"
# at shutdown) is about the machinery, not the analysis: silenced. A failing cell still
# fails the run, and its error is in the notebook.
_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
# What a fresh kernel has: no names of an earlier notebook, the execution count at 1.
_RESET = "get_ipython().reset(new_session=True)"


def check_kernel() -> str:
    """Make the venv's own kernels win, and check the project's kernel is installed.

    Returns
    -------
    str
        The kernel's name, :data:`KERNEL_NAME`.

    Raises
    ------
    ConfigError
        The kernel is not installed (``make report`` installs it).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    env_path = str(Path(sys.prefix) / "share" / "jupyter")
    paths = os.environ.get("JUPYTER_PATH", "")
    if env_path not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join([env_path, paths]) if paths else env_path
    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        raise ConfigError(
            Problem(
                field="kernel",
                expected=f"the Jupyter kernel {KERNEL_NAME!r}",
                found="not installed",
                fix=f"run `make report` (it installs it), or `python -m ipykernel install --sys-prefix --name {KERNEL_NAME}`",
            )
        )
    return KERNEL_NAME


class KernelSession:
    """One kernel that runs notebooks one after another, each as in a fresh kernel.

    Parameters
    ----------
    kernel_name
        The kernel to start (see :func:`check_kernel`).
    cwd
        The folder the kernel starts in, and the notebooks run from.

    Examples
    --------
    >>> with KernelSession("peerstudy", Path(".")) as kernel:  # nothing starts until a notebook runs
    ...     kernel.started
    False
    """

    def __init__(self, kernel_name: str, cwd: Path, environment: Mapping[str, str] | None = None) -> None:
        self.kernel_name = kernel_name
        self.cwd = Path(cwd)
        self.environment = dict(environment or {})
        self._manager: Any = None
        self._client: Any = None

    @property
    def started(self) -> bool:
        """Whether the kernel was started (by a first notebook)."""
        return self._manager is not None

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def execute(self, source: Path, target: Path, parameters: dict[str, Any] | None) -> None:
        """Run the notebook ``source`` with ``parameters`` (papermill's injection) into ``target``.

        Raises
        ------
        papermill.exceptions.PapermillExecutionError
            A cell failed; ``target`` holds the notebook up to that cell.
        """
        import papermill

        if self._manager is None:
            self._start()
        else:
            self._reset()
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name=self.kernel_name,
            cwd=str(self.cwd),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            km=self._manager,
        )

    def close(self) -> None:
        """Shut the kernel down (at once: its notebooks are done), if it was started."""
        if self._manager is None:
            return
        from jupyter_core.utils import run_sync

        manager, self._manager = self._manager, None
        self._stop_client()
        run_sync(manager.shutdown_kernel)(now=True)  # which also removes its connection file

    def _start(self) -> None:
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        session = self

        class Client(AsyncKernelClient):
            """One client for all the notebooks of the session: papermill and the reset each
            ask for channels and wait for the kernel, which costs a new client 0.2 to 0.5 s
            (the wait ends with 0.2 s of silence on IOPub). Its channels stay subscribed, and
            replies are matched to requests by message id, so once the kernel has answered
            it needs no waiting again."""

            started = ready = False

            def start_channels(self, *args: Any, **kwargs: Any) -> None:
                if not self.started:
                    super().start_channels(*args, **kwargs)
                    self.started = True

            async def wait_for_ready(self, timeout: float | None = None) -> None:
                if not self.ready:
                    await super()._async_wait_for_ready(timeout=timeout)
                    self.ready = True
                elif not await self._async_is_alive():
                    raise RuntimeError("the kernel died between two notebooks")

        class Manager(AsyncKernelManager):
            def client(self, **kwargs: Any) -> Any:
                if session._client is None:  # closed by KernelSession.close
                    session._client = super().client(**kwargs)
                return session._client

        manager = Manager(kernel_name=self.kernel_name, client_factory=Client)
        env = {**os.environ, **self.environment}
        run_sync(manager.start_kernel)(extra_arguments=_KERNEL_ARGS, cwd=str(self.cwd), env=env)
        self._manager = manager

    def _reset(self) -> None:
        from jupyter_core.utils import run_sync

        async def reset() -> dict[str, Any]:
            client = self._manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            return await client.execute_interactive(
                _reset_code(self.environment),
                silent=True,
                store_history=False,
                output_hook=lambda msg: None,
                timeout=60,
            )

        reply = run_sync(reset)()
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel could not be reset for the next notebook: {reply['content']}")

    def _stop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.stop_channels()


def _reset_code(environment: Mapping[str, str]) -> str:
    """The code that readies a used kernel for the next notebook: the reset, then the
    session's environment variables set (leaving no name behind).

    Examples
    --------
    >>> print(_reset_code({"PEERSTUDY_OUTPUT_ROOT": "/tmp/run"}))
    get_ipython().reset(new_session=True)
    __import__('os').environ.update({'PEERSTUDY_OUTPUT_ROOT': '/tmp/run'})
    """
    if not environment:
        return _RESET
    return f"{_RESET}\n__import__('os').environ.update({dict(environment)!r})"


_SHARED: dict[tuple[str, Path], KernelSession] = {}
_SHARING = [False]  # whether this process shares its kernels (set by share_kernels)


def share_kernels() -> None:
    """From now on, the studies this process runs share one kernel (:func:`study_kernel`),
    shut down when the process ends (a job process of
    :func:`~peerstudy.pipeline.parallel.run_jobs` calls this when it starts)."""
    import multiprocessing.util

    _SHARED.clear()  # what a parent process had is not this process's
    _SHARING[0] = True
    multiprocessing.util.Finalize(None, close_shared_kernels, exitpriority=10)


def close_shared_kernels() -> None:
    """Shut down the kernels :func:`study_kernel` shares in this process.

    Examples
    --------
    >>> close_shared_kernels()  # none started here: nothing to do
    """
    while _SHARED:
        _, session = _SHARED.popitem()
        session.close()


@contextlib.contextmanager
def study_kernel(kernel_name: str, cwd: Path, environment: Mapping[str, str]) -> Iterator[KernelSession]:
    """A kernel session for the notebooks of one study, with ``environment`` set in the
    kernel: this process's shared one when :func:`share_kernels` was called (kept for the
    next study, also after a cell raised, unless the run was interrupted or the kernel
    failed), else one of its own, shut down at the end.

    Examples
    --------
    >>> with study_kernel("peerstudy", Path("."), {"PEERSTUDY_OUTPUT_ROOT": "/tmp/run"}) as kernel:
    ...     kernel.environment, kernel.started  # the kernel starts with the first notebook
    ({'PEERSTUDY_OUTPUT_ROOT': '/tmp/run'}, False)
    """
    if not _SHARING[0]:
        with KernelSession(kernel_name, cwd, environment) as session:
            yield session
        return
    key = (kernel_name, Path(cwd))
    session = _SHARED.setdefault(key, KernelSession(kernel_name, cwd))
    session.environment = dict(environment)
    try:
        yield session
    except (StageFailed, PeerstudyError):
        raise  # a cell raised, or a check refused the outputs: the kernel is sound, and the reset clears it
    except BaseException:
        _SHARED.pop(key, None)  # interrupted, timed out or dead: not handed on
        session.close()
        raise
