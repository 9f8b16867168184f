"""Run studies through their notebooks with papermill, render them, record provenance.

A study is a parameter file ``studies/<study>.yaml``: the key ``notebooks`` lists the
notebooks that run, in order; every other key is a parameter of one or more of those
notebooks (each notebook receives the ones its ``parameters`` cell declares; a key that
no notebook declares, or a value of the wrong type, is an error, not a warning).

:func:`run_study` first checks the study's raw folder against its recorded checksums
(:mod:`peerstudy.io.rawdata`), then executes the notebooks into a staging folder (the
output root of the run, see :mod:`peerstudy.config`), so a failure anywhere leaves the
previous outputs untouched; only when every notebook succeeded are
``data/processed/<study>/`` and ``reports/<study>/`` replaced, each by one rename (an
atomic exchange where the system has one), recorded beforehand so that a run killed
midway is completed at the start of the next. Executed notebooks are normalised so that
the same inputs give the same bytes (timings go to the uncommitted
``reports/run-log.jsonl``), rendered to HTML with code and parameters hidden, and
recorded in ``reports/manifest.json`` with the hashes of the raw inputs and of the code.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import nbformat

from peerstudy import config
from peerstudy.errors import ConfigError, InputError, PeerstudyError, Problem
from peerstudy.pipeline import stagecache
from peerstudy.pipeline.commit import (
    catch_output_errors,
    check_output_root,
    commit_run,
    discard_run,
    lock_study,
    recover_run,
    staging_folder,
)
from peerstudy.pipeline.manifest import (
    append_run_log,
    code_digest,
    make_manifest_entry,
    raw_inputs,
    study_fingerprints,
    update_manifest,
)
from peerstudy.pipeline.study import Study, check_study_name, list_studies, load_study
from peerstudy.report.outputs import write_bytes_atomic
from peerstudy.report.pages import write_index, write_pages

KERNEL_NAME = "peerstudy"
_TIMING_KEYS = ("start_time", "end_time", "duration", "status", "exception")
# The kernel's own log (warnings about local unencrypted sockets, "KeyboardInterrupt caught"
# at shutdown) is about the machinery, not the analysis: silenced. A failing cell still
# fails the run, and its error is in the notebook.
_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


class StageFailed(Exception):
    """A notebook failed during a run; the message says which, and why."""


# ------------------------------------------------------------------------ notebooks
def normalise_notebook(nb: nbformat.NotebookNode, *, output_path: str) -> tuple[nbformat.NotebookNode, dict]:
    """Remove what differs from run to run (timings, absolute paths, the patch version of
    Python) from an executed notebook; return it and the removed timings."""
    timings: dict[str, Any] = {}
    pm = nb.metadata.get("papermill", {})
    for key in _TIMING_KEYS:
        if key in pm:
            timings[key] = pm.pop(key)
    pm["input_path"] = config.relative_to_root(pm.get("input_path", ""))
    pm["output_path"] = output_path
    pm.pop("environment_variables", None)
    lang = nb.metadata.get("language_info", {})
    if "version" in lang:
        lang["version"] = ".".join(str(lang["version"]).split(".")[:2])
    cells = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {})
        cell_pm = meta.get("papermill", {})
        cells.append({k: cell_pm.pop(k) for k in _TIMING_KEYS if k in cell_pm})
        if not cell_pm:
            meta.pop("papermill", None)
        meta.pop("execution", None)
        cell["id"] = f"cell-{i}"
    timings["cells"] = cells
    return nb, timings


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_kernel() -> str:
    """Make the venv's own kernels win, and check the project's kernel is installed."""
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


def _execute(source: Path, target: Path, parameters: dict[str, Any] | None, kernel: str) -> None:
    """Run one notebook with papermill, from the notebooks folder, as JupyterLab would."""
    import papermill

    papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters,
        kernel_name=kernel,
        cwd=str(config.NOTEBOOKS_DIR),
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        extra_arguments=_KERNEL_ARGS,
    )


def run_study(name: str | Path, *, output_root: Path | None = None, log=print) -> dict[str, Any]:
    """Run every notebook of a study and put its outputs in place, all or nothing.

    Parameters
    ----------
    name
        The study (``studies/<name>.yaml``), or the path of a parameter file.
    output_root
        Where ``data/processed/`` and ``reports/`` are written (default: the output root
        of :mod:`peerstudy.config`, normally the project root).
    log
        Called with one line of progress at a time.

    Returns
    -------
    dict
        The study's manifest entry.

    Raises
    ------
    OutputError
        The output root cannot take the outputs (read-only, full, a file); the previous
        outputs are left as they were.
    """
    study = load_study(name)
    name = study.name
    fingerprints = study_fingerprints(study)
    kernel = check_kernel()
    root = Path(output_root).resolve() if output_root else config.output_root()
    raw = raw_inputs(study)
    with catch_output_errors(root, name), lock_study(root, name):
        recover_run(root, name, log=log)
        run = Path(tempfile.mkdtemp(prefix="run-", dir=staging_folder(root, name)))
        try:
            run_log = _run_notebooks(study, run, root, kernel, log)
            from peerstudy.pipeline.leakcheck import check_outputs  # issue 13: no identifier of the raw data in outputs

            check_outputs(name, study.parameters, study.raw, run)  # a hit raises: nothing is put in place
            if raw_inputs(study) != raw:
                raise StageFailed(
                    f"{name}: raw data changed while the study ran. Nothing was written for {name}; run it again."
                )
            entry = make_manifest_entry(study, run, raw)
            if fingerprints is not None:
                entry["fingerprints"] = fingerprints
            # Checks of the finished run's outputs belong here: nothing is in place yet.
            commit_run(run, root, name)
            try:
                append_run_log(root, run_log)
            except OSError as exc:  # the outputs are in place; only the timings are lost
                log(f"{name}: timings not recorded in reports/run-log.jsonl ({exc.strerror})")
            return entry
        finally:
            discard_run(run, root, name)


def _run_notebooks(study: Study, run: Path, root: Path, kernel: str, log) -> list[dict]:
    """Execute the study's notebooks with ``run`` as output root; normalise and render
    each; return their timings."""
    from papermill.exceptions import PapermillExecutionError

    name, rel_reports = study.name, f"reports/{study.name}"
    run_log = []
    with _environment(**{config.OUTPUT_ROOT_ENV: str(run)}):
        for nb in study.notebooks:
            started = time.monotonic()
            out_path = run / rel_reports / f"{nb}.ipynb"
            out_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                _execute(config.NOTEBOOKS_DIR / f"{nb}.ipynb", out_path, study.parameters_for(nb), kernel)
            except PapermillExecutionError as exc:
                raise StageFailed(_failure_message(name, nb, exc, out_path, root, _redactor(study))) from None
            executed = nbformat.read(out_path, as_version=4)
            executed, timings = normalise_notebook(executed, output_path=f"{rel_reports}/{nb}.ipynb")
            run_log.append({"study": name, "notebook": nb, **timings})
            write_bytes_atomic(out_path, (nbformat.writes(executed) + "\n").encode("utf-8"))
            log(f"{name}: {nb}: ran in {time.monotonic() - started:.1f} s")
    write_pages(name, study.notebooks, study.parameters, run / rel_reports, code_sha256=code_digest())
    return run_log


def _redactor(study: Study) -> Callable[[str], str]:
    """De-identification with the study's key (its ``deid_key`` and ``phone_regions``),
    for what a failed run shows: its message and the notebook kept for inspection. A key
    that cannot be read (the failure itself may be about it) still removes phone
    numbers, e-mail, URL and IP addresses."""
    from peerstudy.cleaning.deid import deidentify
    from peerstudy.cleaning.deidkey import study_key
    from peerstudy.errors import PeerstudyError as _Error

    regions = study.parameters.get("phone_regions") or None
    try:
        key = study_key(study.parameters.get("deid_key") or "", regions)
    except _Error:
        key = study_key("", None)
    return lambda text: deidentify(text, key)[0]


def _failure_message(
    study: str, nb: str, exc: Exception, out_path: Path, root: Path, redact: Callable[[str], str] = str
) -> str:
    """The message of a failed stage, and the failed notebook kept for inspection; both
    de-identified (``redact``), so that neither names a person of the study's key."""
    kept = staging_folder(root, study) / "failed" / f"{nb}.ipynb"
    if out_path.is_file():
        text = out_path.read_text(encoding="utf-8", errors="replace")
        write_bytes_atomic(kept, _redact_notebook_text(text, redact).encode("utf-8"))
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    ours = ename in {cls.__name__ for cls in _error_classes()}
    head = f"{study}: notebooks/{nb}.ipynb stopped"
    detail = redact(evalue if ours else f"{ename}: {evalue}")
    return f"{head}: {detail}\nNothing was written for {study}. The failed notebook is kept at {config.relative_to_root(kept)}."


def _redact_notebook_text(text: str, redact: Callable[[str], str]) -> str:
    """A notebook's JSON with every string de-identified, numbers and keys left alone (a
    run's ``duration`` once read as a phone number broke the JSON)."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:
        return redact(text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return json.dumps(walk(nb), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _error_classes() -> list[type]:
    out, todo = [], [PeerstudyError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return out


def refresh_notebooks(*, log=print, output_root: Path | None = None, store: bool = True) -> list[Path]:
    """Re-execute the notebooks in ``notebooks/`` with their default parameters and store
    their outputs in place (so they open in JupyterLab with results shown, and nbval
    can check them).

    Each notebook's default ``study`` names the study it shows. For every such study,
    its notebooks run in order in a temporary output root: those whose default is this
    study with no parameters (their outputs are kept), the others with the study's
    parameters (only to produce what later notebooks read). Data outputs are discarded,
    unless ``output_root`` names where to run (the tests run the default runs there, with
    ``store=False``, to check the stored outputs against them).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    kernel = check_kernel()
    sources = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    defaults = {
        p.stem: str(papermill.inspect_notebook(str(p)).get("study", {}).get("default", "")).strip("\"'")
        for p in sources
    }
    written = []
    for name in sorted(set(defaults.values())):
        study = load_study(name)
        orphans = [nb for nb, d in defaults.items() if d == name and nb not in study.notebooks]
        if orphans:
            raise ConfigError(
                Problem(
                    file=config.relative_to_root(study.file),
                    field="notebooks",
                    expected="every notebook whose default study is this one",
                    found=f"{', '.join(orphans)} missing",
                    fix="add them, or change their default 'study'",
                )
            )
        where = (
            contextlib.nullcontext(str(output_root))
            if output_root
            else tempfile.TemporaryDirectory(prefix="peerstudy-defaults-")
        )
        with where as tmp, _environment(**{config.OUTPUT_ROOT_ENV: tmp}):
            for nb in study.notebooks:
                keep = defaults.get(nb) == name
                path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
                out = Path(tmp) / f"{nb}.ipynb"
                log(
                    f"notebooks/{nb}.ipynb: {'refreshing outputs with the default parameters' if keep else f'running for {name}'}"
                )
                try:
                    _execute(path, out, None if keep else study.parameters_for(nb), kernel)
                except PapermillExecutionError as exc:
                    raise StageFailed(f"notebooks/{nb}.ipynb failed for {name}: {exc.ename}: {exc.evalue}") from None
                if not keep or not store:
                    continue
                executed, _ = normalise_notebook(nbformat.read(out, as_version=4), output_path="")
                executed.metadata.pop("papermill", None)
                for cell in executed.cells:
                    cell.metadata.pop("papermill", None)
                write_bytes_atomic(path, (nbformat.writes(executed) + "\n").encode("utf-8"))
                written.append(path)
    return written


def run_studies(
    names: Sequence[str] | None = None,
    *,
    output_root: Path | None = None,
    refresh_sources: bool = False,
    force: bool = False,
    jobs: int | None = None,
    log=print,
) -> dict[str, Any]:
    """Run several studies (default: all), then update the manifest and the index page.

    A study whose inputs, parameters and code are unchanged since its outputs in place
    were made is skipped (see :mod:`peerstudy.pipeline.stagecache`), unless ``force``. Up to
    ``jobs`` studies run at once, in processes (default: the number of cores, at most the
    number of studies); each puts its own outputs in place under its own lock, and the
    manifest and index are written once, at the end.

    With ``refresh_sources``, first re-execute ``notebooks/`` in place (see
    :func:`refresh_notebooks`), unless nothing changed since the last refresh; the code
    digest is computed after that.
    """
    started = time.monotonic()
    names = list(names) if names else list_studies()
    # a parameter file given by its path (a study kept outside studies/) runs under its file's name, always
    by_path = {str(n) for n in names if str(n).endswith((".yaml", ".yml")) and Path(n).is_file()}
    for n in names:  # a name that could reach outside reports/<study>/ is refused before anything else
        name = Path(n).stem if n in by_path else n
        check_study_name(name, file=n if n in by_path else f"studies/{n}.yaml" if n in list_studies() else None)
    unknown = [n for n in names if n not in list_studies() and n not in by_path]
    if unknown:
        raise ConfigError(
            Problem(
                field="--study",
                expected=f"one of {', '.join(list_studies())}, or the path of a parameter file (.yaml)",
                found=", ".join(map(repr, unknown)),
                fix="add studies/<name>.yaml or correct the name",
            )
        )
    root = Path(output_root).resolve() if output_root else config.output_root()
    check_output_root(root)  # an output root that is a file: said before anything runs
    old = stagecache.read_manifest(root)
    refreshed = stagecache.refresh_fingerprint()
    if refresh_sources and not force and stagecache.read_refreshed(root) == refreshed:
        log("notebooks/: outputs stored in place are current: skipped")
        refresh_sources = False
    todo = [n for n in names if force or n in by_path or not stagecache.is_fresh(n, root, old)]
    problems = []
    for n in todo:  # every study's raw data checked before anything runs; all problems told at once
        try:
            raw_inputs(load_study(n))
        except PeerstudyError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if refresh_sources:
        refresh_notebooks(log=log)
        todo = [n for n in names if force or n in by_path or not stagecache.is_fresh(n, root, old)]
    entries = {n: {**old["studies"][n], "code_sha256": code_digest()} for n in names if n not in todo}
    for n in entries:
        log(f"{n}: unchanged since its outputs were made: skipped")
    done, failure = _run_all(todo, root, jobs, log)
    if failure is not None and not done:
        raise failure
    entries.update(done)
    with catch_output_errors(root):  # the studies that finished are recorded, even when another failed
        manifest = update_manifest(entries, root=root)
        write_index(manifest, root=root)
        if refresh_sources and not failure:
            stagecache.write_refreshed(root, stagecache.refresh_fingerprint())
    if failure is not None:
        raise failure
    log(
        f"done in {time.monotonic() - started:.1f} s; the reports: {config.relative_to_root(root / 'reports' / 'index.html')}"
    )
    return manifest


def _run_one(name: str, root: Path) -> dict[str, Any]:
    """One study in a worker process; its progress goes to standard error."""
    return run_study(name, output_root=root, log=lambda line: print(line, file=sys.stderr, flush=True))


def _run_all(names: list[str], root: Path, jobs: int | None, log) -> tuple[dict[str, dict[str, Any]], Exception | None]:
    """Run studies, up to ``jobs`` at once; return the entries of those that finished
    and the first failure (one by one, the first failure stops the run; in parallel,
    the studies under way finish, their outputs in place, each whole)."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(names) or 1))
    entries, failure = {}, None
    if jobs == 1:
        for n in names:
            try:
                entries[n] = run_study(n, output_root=root, log=log)
            except (PeerstudyError, StageFailed) as exc:
                return entries, exc
        return entries, None
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_run_one, n, root): n for n in names}
        for future in concurrent.futures.as_completed(futures):
            try:
                entries[futures[future]] = future.result()
            except (PeerstudyError, StageFailed) as exc:
                failure = failure or exc
    return {n: entries[n] for n in names if n in entries}, failure
