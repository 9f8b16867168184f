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
import hashlib
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
from peerstudy.errors import ConfigError, InputError, PeerstudyError, Problem, StageFailed
from peerstudy.io.files import write_bytes_atomic
from peerstudy.pipeline import notebookcells, stagecache
from peerstudy.pipeline.commit import (
    catch_output_errors,
    check_output_root,
    commit_run,
    discard_run,
    lock_study,
    recover_run,
    staging_folder,
)
from peerstudy.pipeline.kernels import KernelSession, check_kernel, share_kernels, study_kernel
from peerstudy.pipeline.manifest import (
    append_run_log,
    code_digest,
    make_manifest_entry,
    raw_inputs,
    update_manifest,
)
from peerstudy.pipeline.notebookcells import normalise_notebook
from peerstudy.pipeline.parallel import count_jobs, run_jobs
from peerstudy.pipeline.study import Study, check_study_names, list_studies, load_study
from peerstudy.report.pages import write_index, write_pages


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


def _execute(source: Path, target: Path, parameters: dict[str, Any] | None, kernel: KernelSession) -> None:
    """Run one notebook with papermill in the study's kernel, from the notebooks folder, as
    JupyterLab would."""
    kernel.execute(source, target, parameters)


def run_study(
    name: str | Path, *, output_root: Path | None = None, force: bool = False, log: Callable[[str], Any] = print
) -> dict[str, Any]:
    """Run the notebooks of a study that are not current and put its outputs in place, all
    or nothing.

    Parameters
    ----------
    name
        The study (``studies/<name>.yaml``), or the path of a parameter file.
    output_root
        Where ``data/processed/`` and ``reports/`` are written (default: the output root
        of :mod:`peerstudy.config`, normally the project root).
    force
        Run every stage, even those whose inputs did not change (see
        :mod:`peerstudy.pipeline.stagecache`: the others are carried over).
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
    kernel = check_kernel()
    root = Path(output_root).resolve() if output_root else config.output_root()
    raw = raw_inputs(study)
    with catch_output_errors(root, name), lock_study(root, name):
        recover_run(root, name, log=log)
        previous = {} if force else stagecache.read_manifest(root).get("studies", {}).get(name, {})
        run = Path(tempfile.mkdtemp(prefix="run-", dir=staging_folder(root, name)))
        try:
            run_log, stages = _run_notebooks(study, run, root, kernel, log, previous=previous)
            from peerstudy.pipeline.leakcheck import check_outputs  # issue 13: no identifier of the raw data in outputs

            check_outputs(name, study.parameters, study.raw, run)  # a hit raises: nothing is put in place
            if raw_inputs(study) != raw:
                raise StageFailed(
                    f"{name}: raw data changed while the study ran. Nothing was written for {name}; run it again."
                )
            entry = make_manifest_entry(study, run, raw, stages)
            # Checks of the finished run's outputs belong here: nothing is in place yet.
            commit_run(run, root, name)
            stagecache.prune_kept(root, name, stages)
            try:
                append_run_log(root, run_log)
            except OSError as exc:  # the outputs are in place; only the timings are lost
                log(f"{name}: timings not recorded in reports/run-log.jsonl ({exc.strerror})")
            return entry
        finally:
            discard_run(run, root, name)


def _run_notebooks(
    study: Study, run: Path, root: Path, kernel: str, log: Callable[[str], Any], *, previous: dict[str, Any]
) -> tuple[list[dict], dict[str, dict[str, Any]]]:
    """Execute the study's notebooks that are not current with ``run`` as output root,
    normalise each; carry the committed outputs of the others into ``run``; render the
    pages. Return the timings of those that ran and what each stage was made from."""
    name, rel_reports = study.name, f"reports/{study.name}"
    run_log: list[dict] = []
    stages: dict[str, dict[str, Any]] = {}
    upstream: dict[str, str] = {}
    digests = stagecache.stage_digests(study.file)
    recorded: dict[str, Any] = previous["stages"] if isinstance(previous.get("stages"), dict) else {}
    environment = {config.OUTPUT_ROOT_ENV: str(run), config.STUDY_FILE_ENV: config.relative_to_root(study.file)}
    with _environment(**environment), study_kernel(kernel, config.NOTEBOOKS_DIR, environment) as session:
        for nb in study.notebooks:
            started = time.monotonic()
            fingerprint = stagecache.stage_fingerprint(digests[nb], upstream)
            record = recorded.get(nb)
            if record is not None and stagecache.can_skip(record, fingerprint, root, name):
                outputs = dict(record["outputs"])
                stagecache.carry_outputs(outputs, root, run, name)
                how = "skipped (unchanged)"
            else:
                before = stagecache.read_files(run)
                run_log.append(_run_stage(study, nb, run, root, session))
                digests_before = {rel: hashlib.sha256(data).hexdigest() for rel, data in before.items()}
                outputs = stagecache.new_outputs(digests_before, stagecache.snapshot(run))
                stagecache.keep_overwritten(before, outputs, root, name)
                how = "ran"
            stages[nb] = {"fingerprint": fingerprint, "outputs": outputs}
            upstream.update(outputs)
            log(f"{name}: {nb}: {how} in {time.monotonic() - started:.1f} s")
    write_pages(name, study.notebooks, study.parameters, run / rel_reports, code_sha256=code_digest())
    return run_log, stages


def _run_stage(study: Study, nb: str, run: Path, root: Path, kernel: KernelSession) -> dict[str, Any]:
    """Execute one notebook of a study into ``run``, normalise it; return its timings."""
    from papermill.exceptions import PapermillExecutionError

    rel_reports = f"reports/{study.name}"
    out_path = run / rel_reports / f"{nb}.ipynb"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _execute(config.NOTEBOOKS_DIR / f"{nb}.ipynb", out_path, study.parameters_for(nb), kernel)
    except PapermillExecutionError as exc:
        raise StageFailed(_failure_message(study.name, nb, exc, out_path, root, _redactor(study))) from None
    executed = nbformat.read(out_path, as_version=4)
    executed, timings = normalise_notebook(executed, output_path=f"{rel_reports}/{nb}.ipynb")
    write_bytes_atomic(out_path, (nbformat.writes(executed) + "\n").encode("utf-8"))
    return {"study": study.name, "notebook": nb, **timings}


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


def _error_classes() -> list[type[PeerstudyError]]:
    out: list[type[PeerstudyError]] = []
    todo: list[type[PeerstudyError]] = [PeerstudyError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return out


def refresh_notebooks(
    *, log: Callable[[str], Any] = print, output_root: Path | None = None, store: bool = True, jobs: int | None = None
) -> list[Path]:
    """Re-execute the notebooks in ``notebooks/`` with their default parameters and store
    their outputs in place (so they open in JupyterLab with results shown, and nbval
    can check them).

    Each notebook's default ``study`` names the study it shows. For every such study,
    its notebooks run in order in a temporary output root: those whose default is this
    study with no parameters (their outputs are kept), the others with the study's
    parameters (only to produce what later notebooks read). Data outputs are discarded,
    unless ``output_root`` names where to run (the tests run the default runs there, with
    ``store=False``, to check the stored outputs against them; each study writes only its
    own folders there). The studies run up to ``jobs`` at once (default: the number of
    cores), each in one kernel.
    """
    names = _default_studies()
    jobs = count_jobs(jobs, len(names))
    calls = _refresh_calls(names, output_root, store, log if jobs == 1 else _say_on_stderr)
    written, failure = run_jobs(calls, jobs, expected=(PeerstudyError, StageFailed), initializer=share_kernels)
    if failure is not None:
        raise failure
    return [path for key in calls for path in written[key]]


def _default_studies() -> list[str]:
    """The studies the notebooks of ``notebooks/`` show by default, each checked to run
    every notebook that names it."""
    defaults = _notebook_defaults()
    names = sorted(set(defaults.values()))
    for name in names:
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
    return names


def _notebook_defaults() -> dict[str, str]:
    """Each notebook of ``notebooks/`` to the study its ``parameters`` cell names by default."""
    declared = {p.stem: notebookcells.declared_parameters(p) for p in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))}
    return {nb: str(d.get("study", {}).get("default", "")).strip("\"'") for nb, d in declared.items()}


def _refresh_calls(
    names: list[str], output_root: Path | None, store: bool, log: Callable[[str], Any]
) -> dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]:
    """The default runs of each study in ``names`` (see :func:`refresh_notebooks`), as jobs."""
    kernel, defaults = check_kernel(), _notebook_defaults()
    return {
        f"notebooks/ ({name})": (_refresh_study, (name, defaults, kernel, output_root, store, log)) for name in names
    }


def _refresh_study(
    name: str,
    defaults: dict[str, str],
    kernel: str,
    output_root: Path | None,
    store: bool,
    log: Callable[[str], Any],
) -> list[Path]:
    """The default runs of one study (see :func:`refresh_notebooks`); the notebooks stored."""
    from papermill.exceptions import PapermillExecutionError

    study, written = load_study(name), []
    where = (
        contextlib.nullcontext(str(output_root))
        if output_root
        else tempfile.TemporaryDirectory(prefix="peerstudy-defaults-")
    )
    with (
        where as root,
        tempfile.TemporaryDirectory(prefix="peerstudy-executed-") as executed_dir,
        _environment(**{config.OUTPUT_ROOT_ENV: root}),
        study_kernel(kernel, config.NOTEBOOKS_DIR, {config.OUTPUT_ROOT_ENV: root}) as session,
    ):
        for nb in study.notebooks:
            keep = defaults.get(nb) == name
            path, out = config.NOTEBOOKS_DIR / f"{nb}.ipynb", Path(executed_dir) / f"{nb}.ipynb"
            doing = "refreshing outputs with the default parameters" if keep else f"running for {name}"
            log(f"notebooks/{nb}.ipynb: {doing}")
            try:
                _execute(path, out, None if keep else study.parameters_for(nb), session)
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


def _say_on_stderr(line: str) -> None:
    """Progress of a job in another process (see :mod:`~peerstudy.pipeline.parallel`)."""
    print(line, file=sys.stderr, flush=True)


def run_studies(
    names: Sequence[str] | None = None,
    *,
    output_root: Path | None = None,
    refresh_sources: bool = False,
    force: bool = False,
    jobs: int | None = None,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Run several studies (default: all), then update the manifest and the index page.

    Each stage of a study whose inputs, parameters, code and upstream outputs are
    unchanged since its outputs in place were made is skipped (see
    :mod:`peerstudy.pipeline.stagecache`), unless ``force``; a study whose stages are all
    current is not run at all. Up to ``jobs`` studies run at once, in processes (default:
    the number of cores, at most the number of studies); each puts its own outputs in
    place under its own lock, and the manifest and index are written once, at the end.
    A study given by the path of its parameter file is recorded under its file's name,
    with that path (``parameter_file``).

    With ``refresh_sources``, also re-execute ``notebooks/`` in place (see
    :func:`refresh_notebooks`), unless nothing changed since the last refresh, as jobs
    beside the studies' (first, one job at a time).
    """
    started = time.monotonic()
    studies = check_study_names(list(names) if names else list_studies())
    root = Path(output_root).resolve() if output_root else config.output_root()
    check_output_root(root)  # an output root that is a file: said before anything runs
    old = stagecache.read_manifest(root)
    if refresh_sources and not force and stagecache.read_refreshed(root) == stagecache.refresh_fingerprint():
        log("notebooks/: outputs stored in place are current: skipped")
        refresh_sources = False
    fresh = {} if force else _fresh_studies(studies, root, old)
    _check_raw([given for key, given in studies.items() if key not in fresh])
    entries = {key: {**old["studies"][key], "code_sha256": code_digest()} for key in fresh}
    for key, seconds in fresh.items():
        for nb, took in seconds.items():
            log(f"{key}: {nb}: skipped (unchanged) in {took:.1f} s")
    todo = {key: given for key, given in studies.items() if key not in fresh}
    refresh = _default_studies() if refresh_sources else []
    # the refresh changes no digest (notebooks are hashed without their outputs), so the
    # studies run beside it; one by one, it runs first
    jobs = count_jobs(jobs, len(refresh) + len(todo))
    say = log if jobs == 1 else _say_on_stderr
    calls = _refresh_calls(refresh, None, True, say) if refresh else {}
    calls.update({key: (_run_one, (given, root, force, say)) for key, given in todo.items()})
    results, failure = run_jobs(calls, jobs, expected=(PeerstudyError, StageFailed), initializer=share_kernels)
    done = {key: results[key] for key in todo if key in results}
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
    log(f"done in {time.monotonic() - started:.1f} s; {_where_reports(root, list(studies))}")
    return manifest


def _fresh_studies(studies: dict[str, str], root: Path, manifest: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The studies whose every stage is current, with the seconds each stage took to check."""
    fresh = {key: stagecache.fresh_stages(given, root, manifest) for key, given in studies.items()}
    return {key: seconds for key, seconds in fresh.items() if seconds is not None}


def _check_raw(names: list[str]) -> None:
    """Every study's raw data checked before anything runs; all problems told at once."""
    problems: list[Problem] = []
    for n in names:
        try:
            raw_inputs(load_study(n))
        except PeerstudyError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)


def _where_reports(root: Path, names: list[str]) -> str:
    """Where to open the reports: the index page, else each study's pages, as they exist."""
    index = root / "reports" / "index.html"
    if index.is_file():
        return f"open the reports at {config.relative_to_root(index)}"
    pages = [p for n in names for p in sorted((root / "reports" / n).glob("*.html"))]
    if pages:
        return "open the reports at " + ", ".join(config.relative_to_root(p) for p in pages)
    return f"no report pages under {config.relative_to_root(root / 'reports')}"


def _run_one(name: str, root: Path, force: bool, log: Callable[[str], Any]) -> dict[str, Any]:
    """One study (in a worker process, ``log`` is :func:`_say_on_stderr`)."""
    return run_study(name, output_root=root, force=force, log=log)
