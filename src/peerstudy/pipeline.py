"""Run studies through their notebooks with papermill, render them, record provenance.

A study is a parameter file ``studies/<study>.yaml``: the key ``notebooks`` lists the
notebooks that run, in order; every other key is a parameter of one or more of those
notebooks (each notebook receives the ones its ``parameters`` cell declares; a key that
no notebook declares, or a value of the wrong type, is an error, not a warning).

:func:`run_study` first checks the study's raw folder against its recorded checksums
(:mod:`peerstudy.rawdata`), then executes the notebooks into a staging folder (the
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
import errno
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat

from peerstudy import config, stagecache
from peerstudy.envfiles import direct_requirements
from peerstudy.errors import ConfigError, InputError, OutputError, PeerstudyError, Problem
from peerstudy.outputs import write_bytes_atomic, write_json
from peerstudy.pages import render_html, write_index, write_pages  # noqa: F401  (render_html, write_index: re-exported)
from peerstudy.rawdata import check_raw, digest_file, list_files
from peerstudy.readers import read_yaml
from peerstudy.studycheck import check_study

__all__ = [
    "KERNEL_NAME",
    "Study",
    "StageFailed",
    "list_studies",
    "check_study_name",
    "load_study",
    "check_inputs",
    "run_study",
    "code_digest",
    "raw_inputs",
    "refresh_notebooks",
    "run_studies",
    "normalise_notebook",
    "render_html",
    "update_manifest",
    "write_index",
]

KERNEL_NAME = "peerstudy"
CODE_DIRS = stagecache.CODE_DIRS
_TIMING_KEYS = ("start_time", "end_time", "duration", "status", "exception")
# The kernel's own log (warnings about local unencrypted sockets, "KeyboardInterrupt caught"
# at shutdown) is about the machinery, not the analysis: silenced. A failing cell still
# fails the run, and its error is in the notebook.
_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
# Keys of a study parameter file that are read by the pipeline, not passed to notebooks.
_STUDY_KEYS = ("notebooks", "raw")
_STUDY_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict}


class StageFailed(Exception):
    """A notebook failed during a run; the message says which, and why."""


@dataclass(frozen=True)
class Study:
    """A study's parameter file, checked against its notebooks: its name, the file, its
    raw data folder, the notebooks that run and the parameters they receive."""

    name: str
    file: Path
    raw: Path
    notebooks: tuple[str, ...]
    parameters: dict[str, Any]
    declared: dict[str, dict[str, Any]] = field(repr=False)
    #: Inputs named by parameters outside the raw folder and outside ``studies/``: checksummed
    #: and listed with the raw inputs (see :func:`raw_inputs`).
    other_inputs: tuple[Path, ...] = ()

    def parameters_for(self, notebook: str) -> dict[str, Any]:
        """The parameters that ``notebook`` declares, with this study's values."""
        return {k: v for k, v in self.parameters.items() if k in self.declared[notebook]}


def list_studies() -> list[str]:
    """Names of the studies with a parameter file in ``studies/``."""
    return sorted(p.stem for p in config.STUDIES_DIR.glob("*.yaml"))


def check_study_name(name: str, *, file: str | None = None) -> None:
    """Refuse a study name that is not a safe slug (it names folders under
    ``data/processed/`` and ``reports/``: ``.``, ``..`` or ``a/b`` would reach other
    studies' outputs).

    Examples
    --------
    >>> check_study_name("supporter-survey")
    >>> check_study_name("..")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'study': expected a study name of lowercase letters, digits and hyphens ...
    """
    if not isinstance(name, str) or not _STUDY_NAME.fullmatch(name):
        raise ConfigError(
            Problem(
                file=file,
                field="study",
                expected="a study name of lowercase letters, digits and hyphens (at most 64, "
                "starting with a letter or digit), as its parameter file is named",
                found=repr(name),
                fix="rename the parameter file to studies/<name>.yaml with such a name "
                "(e.g. studies/my-survey.yaml), and set study: <name> in it",
            )
        )


def load_study(name: str | Path) -> Study:
    """Read ``studies/<name>.yaml`` (or a parameter file given by path) and check it
    against the notebooks it names, and every input path it names (see :func:`check_inputs`)."""
    import papermill

    by_path = str(name).endswith((".yaml", ".yml"))
    if not by_path:
        check_study_name(str(name))
    path = config.resolve_input(Path(name) if by_path else config.STUDIES_DIR / f"{name}.yaml")
    name = path.stem
    shown = config.relative_to_root(path)
    check_study_name(name, file=shown)
    if not path.is_file():
        raise ConfigError(
            Problem(
                file=shown,
                expected="a study parameter file",
                found="no such file",
                fix=f"choose one of: {', '.join(list_studies()) or '(none)'}; or add studies/{name}.yaml",
            )
        )
    doc = read_yaml(path, what="a study parameter file (YAML)")
    problems = []
    if not isinstance(doc, dict):
        raise ConfigError(Problem(file=shown, expected="a mapping of parameter names to values", found=repr(doc)))
    notebooks = doc.get("notebooks")
    if not isinstance(notebooks, list) or not notebooks or not all(isinstance(n, str) for n in notebooks):
        raise ConfigError(
            Problem(
                file=shown,
                field="notebooks",
                expected="a list of notebook names from notebooks/",
                found=repr(notebooks),
                fix="e.g. notebooks: [clean-survey, code, results-survey]",
            )
        )
    declared = {}
    for nb in notebooks:
        nb_path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        if not nb_path.is_file():
            available = ", ".join(sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")))
            problems.append(
                Problem(
                    file=shown,
                    field="notebooks",
                    expected="names of notebooks in notebooks/",
                    found=repr(nb),
                    fix=f"choose from: {available}",
                )
            )
            continue
        declared[nb] = papermill.inspect_notebook(str(nb_path))
    if problems:
        raise ConfigError(problems)
    raw = doc.get("raw", f"data/raw/{name}")
    if not isinstance(raw, str) or not raw:
        raise ConfigError(
            Problem(
                file=shown,
                field="raw",
                expected="the folder of the study's raw data",
                found=repr(raw),
                fix=f"e.g. raw: data/raw/{name}",
            )
        )
    params = {k: v for k, v in doc.items() if k not in _STUDY_KEYS}
    if params.get("study") != name:
        problems.append(
            Problem(
                file=shown,
                field="study",
                expected=f"the file's name, {name!r}",
                found=repr(params.get("study")),
                fix=f"set study: {name}",
            )
        )
    for key, value in params.items():
        owners = [nb for nb, decl in declared.items() if key in decl]
        if not owners:
            problems.append(
                Problem(
                    file=shown,
                    field=key,
                    expected="a parameter declared by one of its notebooks",
                    found="a key no notebook declares",
                    fix="correct the name (see `papermill --help-notebook notebooks/<name>.ipynb`) or remove it",
                )
            )
            continue
        for nb in owners:
            wanted = _TYPES.get(str(declared[nb][key].get("inferred_type_name", "")).split("[")[0])
            if wanted and not (isinstance(value, wanted) and not (wanted is not bool and isinstance(value, bool))):
                problems.append(
                    Problem(
                        file=shown,
                        field=key,
                        expected=f"a value of type {declared[nb][key]['inferred_type_name']} (as notebooks/{nb}.ipynb declares)",
                        found=f"{value!r} ({type(value).__name__})",
                        fix="correct the value",
                    )
                )
                break
    if problems:
        raise ConfigError(problems)
    raw_folder = config.resolve_input(raw)
    others = check_inputs(path, raw_folder, params)
    check_study(params, declared, file=path, raw=raw_folder)  # what its notebooks need, before anything runs
    return Study(
        name=name,
        file=path,
        raw=raw_folder,
        notebooks=tuple(notebooks),
        parameters=params,
        declared=declared,
        other_inputs=others,
    )


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """Every string in a parameter value (lists and mappings walked), with where it is."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, f"{key}.{k}")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_inputs(file: Path, raw: Path, parameters: dict[str, Any]) -> tuple[Path, ...]:
    """Check every input path a study's parameters name; return those to checksum apart.

    A parameter value is an input path when it names an existing file or folder
    (absolute, or relative to the project root) and looks like a path (it has a ``/`` or
    a suffix). With symbolic links resolved, each must lie inside the project root (or,
    for a parameter file kept outside the project, beside that file), and so must the
    raw folder. Inputs under the raw folder are covered by its ``SHA256SUMS``, inputs
    under ``studies/`` by the code digest; any other is returned, to be checksummed and
    listed in the manifest with the raw inputs (:func:`raw_inputs`). So every byte a
    study reads is recorded, whichever path names it.

    Raises
    ------
    ConfigError
        Naming each parameter whose path leads outside.

    Examples
    --------
    >>> study = config.STUDIES_DIR / "supporter-survey.yaml"
    >>> check_inputs(study, config.RAW_DIR / "supporter-survey", {"codebook": "data/raw/supporter-survey/codebook.yaml"})
    ()
    >>> check_inputs(study, config.RAW_DIR / "supporter-survey", {"codebook": "/etc/passwd"})
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: studies/supporter-survey.yaml, field 'codebook': expected a path inside the project root (links resolved), found '/etc/passwd', which leads to /etc/passwd. Fix: ...
    """
    file = Path(os.path.realpath(file))
    project = Path(os.path.realpath(config.PROJECT_ROOT))
    bases = [project] if _inside(file, project) else [project, file.parent]
    shown = config.relative_to_root(file)
    allowed = " or ".join(config.relative_to_root(b) if b != project else "the project root" for b in bases)
    problems, others = [], []
    named = [("raw", str(raw))] + [pair for key, value in parameters.items() for pair in _strings(value, key)]
    covered = [Path(os.path.realpath(raw)), Path(os.path.realpath(config.STUDIES_DIR))]
    if any(_inside(Path(os.path.realpath(p)), covered[0]) for p in (config.STUDIES_DIR, config.output_root())):
        problems.append(
            Problem(
                file=shown,
                field="raw",
                expected="a folder holding only the study's raw data",
                found=f"{str(raw)!r}, which holds the project's code or outputs too",
                fix="give the study a raw folder of its own, e.g. raw: data/raw/<study>",
            )
        )
    for where, value in named:
        given = config.resolve_input(value) if value.strip() else None
        if given is None or not ("/" in value or os.sep in value or given.suffix) or not os.path.lexists(given):
            continue
        real = Path(os.path.realpath(given))
        if not any(_inside(real, b) for b in bases):
            problems.append(
                Problem(
                    file=shown,
                    field=where,
                    expected=f"a path inside {allowed} (links resolved)",
                    found=f"{value!r}, which leads to {real}",
                    fix="copy the file into the study's raw folder and record it with `python -m "
                    "peerstudy accept-raw`; then name it there",
                )
            )
        elif where != "raw" and not any(_inside(real, c) for c in covered) and real not in others:
            others.append(real)
    if problems:
        raise ConfigError(problems)
    return tuple(others)


# ------------------------------------------------------------------------ provenance
def code_digest() -> str:
    """sha256 over the code that produces reports: ``src/``, ``notebooks/``, ``studies/``
    (each file's path and content, in sorted order); see :func:`peerstudy.stagecache.code_digest`."""
    return stagecache.code_digest()


def raw_inputs(study: Study) -> dict[str, str]:
    """sha256 of every raw input file of a study, keyed by path from the project root,
    checked against the raw folder's recorded checksums (see :mod:`peerstudy.rawdata`),
    and of every input its parameters name outside the raw folder (:func:`check_inputs`)."""
    digests = check_raw(study.raw, study=study.name)
    inputs = {config.relative_to_root(study.raw / rel): digest for rel, digest in digests.items()}
    for path in study.other_inputs:
        files = list_files(path) if path.is_dir() else [path]
        inputs.update({config.relative_to_root(f): digest_file(f) for f in files})
    return inputs


def _package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in sorted(direct_requirements())}


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


# ------------------------------------------------------------------------ running
# Everything in flight for a study lives in <output root>/.staging/<study>/: the lock
# file, one run-* folder per run (deleted when it ends, or at the next run's start after
# a kill), commit.json while a finished run is being put in place, and failed/ (the
# notebook of the last failed run, kept for inspection).
def _staging(root: Path, study: str) -> Path:
    return root / ".staging" / study


@contextlib.contextmanager
def _study_lock(root: Path, study: str) -> Iterator[None]:
    folder = _staging(root, study)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                Problem(
                    field="study",
                    expected=f"no other run of {study!r} in progress",
                    found="another run holds the lock",
                    fix="wait for the other run to finish, then run again",
                )
            ) from None
        yield


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


def _check_kernel() -> str:
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
    fingerprints = _fingerprints(study)
    kernel = _check_kernel()
    root = Path(output_root).resolve() if output_root else config.output_root()
    raw = raw_inputs(study)
    with _output_errors(root, name), _study_lock(root, name):
        _recover(root, name, log=log)
        run = Path(tempfile.mkdtemp(prefix="run-", dir=_staging(root, name)))
        try:
            run_log = _run_notebooks(study, run, root, kernel, log)
            from peerstudy.leakcheck import check_outputs  # issue 13: no identifier of the raw data in outputs

            check_outputs(name, study.parameters, study.raw, run)  # a hit raises: nothing is put in place
            if raw_inputs(study) != raw:
                raise StageFailed(
                    f"{name}: raw data changed while the study ran. Nothing was written for {name}; run it again."
                )
            entry = _manifest_entry(study, run, raw)
            if fingerprints is not None:
                entry["fingerprints"] = fingerprints
            # Checks of the finished run's outputs belong here: nothing is in place yet.
            _commit(run, root, name)
            try:
                _append_run_log(root, run_log)
            except OSError as exc:  # the outputs are in place; only the timings are lost
                log(f"{name}: timings not recorded in reports/run-log.jsonl ({exc.strerror})")
            return entry
        finally:
            _discard_run(run, root, name)


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


def _fingerprints(study: Study) -> dict[str, str] | None:
    """The stage fingerprints of a study from its own parameter file (see
    :mod:`peerstudy.stagecache`); None for a parameter file given by path elsewhere."""
    if study.file.resolve() != (config.STUDIES_DIR / f"{study.name}.yaml").resolve():
        return None
    return stagecache.study_fingerprints(study.name)


def _manifest_entry(study: Study, run: Path, raw: dict[str, str]) -> dict[str, Any]:
    rel_reports = f"reports/{study.name}"
    return {
        "notebooks": [f"{rel_reports}/{nb}.ipynb" for nb in study.notebooks],
        "parameters": study.parameters,
        "raw_inputs": raw,
        "code_sha256": code_digest(),
        "outputs": {
            p.relative_to(run).as_posix(): digest_file(p) for p in sorted((run / rel_reports).rglob("*")) if p.is_file()
        },
    }


def _discard_run(run: Path, root: Path, study: str) -> None:
    """Delete a run's folder, unless a commit record still needs it (a commit that could
    neither finish nor roll back: the next run completes it from that folder)."""
    if not (_staging(root, study) / "commit.json").is_file():
        shutil.rmtree(run, ignore_errors=True)


_OUTPUT_FAULTS = {
    errno.ENOSPC: ("no space left on the device", "free some space, or choose another --output-root, and run again"),
    errno.EDQUOT: ("the disk quota used up", "free some space, or choose another --output-root, and run again"),
    errno.EACCES: (
        "a folder that may not be written (permission denied)",
        "make the output root writable (chmod u+w), or choose another with --output-root",
    ),
    errno.EPERM: (
        "a folder that may not be changed (operation not permitted)",
        "make the output root writable (chmod u+w; chattr -i), or choose another with --output-root",
    ),
    errno.EROFS: ("a read-only file system", "choose an output root on a writable disk with --output-root"),
    errno.ENOTDIR: ("a file where a folder must be", "move the file away, or choose another --output-root"),
    errno.EEXIST: ("a file where a folder must be", "move the file away, or choose another --output-root"),
}


def output_problem(exc: OSError, root: Path, study: str | None = None) -> Problem:
    """One clear problem for a failure to write outputs (a full disk, a read-only folder,
    a file in the way), naming the path and the fix.

    Examples
    --------
    >>> print(output_problem(OSError(28, "No space left on device", "/srv/out/reports/s"), Path("/srv/out"), "s"))
    /srv/out/reports/s, field '--output-root': expected an output root that can take the outputs (/srv/out), found no space left on the device; nothing was changed for s: its previous outputs are in place. Fix: free some space, or choose another --output-root, and run again.
    """
    found, fix = _OUTPUT_FAULTS.get(exc.errno, (exc.strerror or str(exc), "correct the cause, and run again"))
    where = exc.filename if exc.filename else root
    kept = f"; nothing was changed for {study}: its previous outputs are in place" if study else ""
    return Problem(
        file=config.relative_to_root(where),
        field="--output-root",
        expected=f"an output root that can take the outputs ({config.relative_to_root(root)})",
        found=found + kept,
        fix=fix,
    )


def _check_output_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise OutputError(output_problem(OSError(errno.ENOTDIR, "Not a directory", str(root)), root))


@contextlib.contextmanager
def _output_errors(root: Path, study: str | None = None) -> Iterator[None]:
    """Turn a failure to write under ``root`` into one clear :class:`OutputError`."""
    _check_output_root(root)
    try:
        yield
    except OSError as exc:
        raise OutputError(output_problem(exc, root, study)) from None


def _redactor(study: Study) -> Callable[[str], str]:
    """De-identification with the study's key (its ``deid_key`` and ``phone_regions``),
    for what a failed run shows: its message and the notebook kept for inspection. A key
    that cannot be read (the failure itself may be about it) still removes phone
    numbers, e-mail, URL and IP addresses."""
    from peerstudy.deid import deidentify, study_key
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
    kept = _staging(root, study) / "failed" / f"{nb}.ipynb"
    if out_path.is_file():
        text = out_path.read_text(encoding="utf-8", errors="replace")
        write_bytes_atomic(kept, redact(text).encode("utf-8"))
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    ours = ename in {cls.__name__ for cls in _error_classes()}
    head = f"{study}: notebooks/{nb}.ipynb stopped"
    detail = redact(evalue if ours else f"{ename}: {evalue}")
    return f"{head}: {detail}\nNothing was written for {study}. The failed notebook is kept at {config.relative_to_root(kept)}."


def _error_classes() -> list[type]:
    out, todo = [], [PeerstudyError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or file system cannot."""
    import ctypes
    import errno

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _identity(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_dev, st.st_ino]


def _put_in_place(run: Path, root: Path, rel: str, identity: list[int]) -> None:
    """Move the staged folder ``run/rel`` (known by its inode) to ``root/rel``; done
    already if the folder there is that one. Where the system can, the old and the
    new folder are exchanged in one step, so ``root/rel`` is whole at every moment
    (the old folder then sits at ``run/rel``; else it is moved to ``run/previous/rel``)."""
    new, target = run / rel, root / rel
    if target.exists() and _identity(target) == identity:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if _exchange(new, target):
            return
        old = run / "previous" / rel
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(target, old)
    os.replace(new, target)


def _take_back(run: Path, root: Path, rel: str, identity: list[int]) -> None:
    """Undo :func:`_put_in_place` from any point it reached: the new folder back to
    ``run/rel``, the old one (if any) back to ``root/rel``."""
    new, target, old = run / rel, root / rel, run / "previous" / rel
    if target.exists() and _identity(target) == identity:
        if new.exists():  # exchanged: run/rel holds the old folder
            if _exchange(new, target):
                return
            raise OSError(errno.EIO, "cannot exchange the folders back", str(target))
        os.replace(target, new)
    if old.exists() and not target.exists():
        os.replace(old, target)


def _commit(run: Path, root: Path, study: str) -> None:
    """Put a finished run's folders in place, such that a kill at any moment can be
    completed by :func:`_recover`: the folders to move are first recorded in
    ``commit.json``; each move is one rename (or exchange), checked by inode. If a move
    fails (a read-only folder, a full disk), the moves done are undone, the record is
    removed and the error raised: the previous outputs stay, whole. If undoing fails too,
    the record stays, and the next run completes the commit (or undoes it)."""
    folders = {
        rel: _identity(run / rel) for rel in (f"data/processed/{study}", f"reports/{study}") if (run / rel).exists()
    }
    journal = _staging(root, study) / "commit.json"
    write_json(journal, {"run": run.name, "folders": folders})
    try:
        for rel, identity in folders.items():
            _put_in_place(run, root, rel, identity)
    except OSError:
        for rel, identity in reversed(folders.items()):
            _take_back(run, root, rel, identity)
        journal.unlink()
        raise
    journal.unlink()


def _recover(root: Path, study: str, log=print) -> None:
    """Finish what a killed or failed run left: complete a commit that had begun (its
    outputs were whole), or, if that fails, undo it; and delete the folders of runs that
    had not begun one."""
    folder = _staging(root, study)
    journal = folder / "commit.json"
    if journal.is_file():
        record = json.loads(journal.read_text(encoding="utf-8"))
        run, folders = folder / record["run"], record["folders"]
        if not run.is_dir():
            log(f"{study}: discarding the record of an earlier replacement of its outputs, whose run folder is gone")
        else:
            log(f"{study}: completing the interrupted replacement of its outputs by run {record['run']}")
            try:
                for rel, identity in folders.items():
                    _put_in_place(run, root, rel, identity)
            except OSError:
                log(f"{study}: it cannot be completed; restoring the previous outputs")
                try:
                    for rel, identity in reversed(folders.items()):
                        _take_back(run, root, rel, identity)
                except OSError as exc:
                    problem = output_problem(exc, root)
                    raise OutputError(
                        Problem(
                            file=problem.file,
                            field=problem.field,
                            expected=problem.expected,
                            found=f"{problem.found}, while the outputs of {study}'s interrupted run "
                            "were being put in place (they are recorded, not lost)",
                            fix=f"{problem.fix}; the next run then completes them",
                        )
                    ) from None
        journal.unlink()
    for left in sorted(folder.glob("run-*")):
        shutil.rmtree(left)
    for half_written in folder.glob(".*.tmp"):
        half_written.unlink()


def _append_run_log(root: Path, entries: list[dict]) -> None:
    path = root / "reports" / "run-log.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(entry, sort_keys=True, default=str) + "\n" for entry in entries)
    with open(path, "ab") as fh:  # studies run in parallel: each appends its lines whole, under a lock
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(text.encode("utf-8"))
        fh.flush()


# ------------------------------------------------------------------------ manifest
def update_manifest(
    entries: dict[str, dict[str, Any]], *, root: Path | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge study entries (and the top-level keys ``extra``) into ``reports/manifest.json``
    (other studies' entries kept)."""
    path = (Path(root) if root else config.output_root()) / "reports" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    manifest.setdefault("studies", {}).update(entries)
    manifest["studies"] = {k: v for k, v in manifest["studies"].items() if k in list_studies()}
    manifest["python"] = ".".join(map(str, sys.version_info[:2]))
    manifest["packages"] = _package_versions()
    manifest.update(extra or {})
    manifest["format"] = (
        "per study: raw_inputs (sha256 of each raw file, as recorded in the raw folder's "
        "SHA256SUMS), parameters (from "
        "studies/<study>.yaml), code_sha256 (see peerstudy.pipeline.code_digest), outputs (sha256 "
        "of each file in reports/<study>/), fingerprints (sha256 of what each stage depends on, see "
        "peerstudy.stagecache; a study is skipped while they hold)"
    )
    write_json(path, manifest)
    return manifest


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

    kernel = _check_kernel()
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
    were made is skipped (see :mod:`peerstudy.stagecache`), unless ``force``. Up to
    ``jobs`` studies run at once, in processes (default: the number of cores, at most the
    number of studies); each puts its own outputs in place under its own lock, and the
    manifest and index are written once, at the end.

    With ``refresh_sources``, first re-execute ``notebooks/`` in place (see
    :func:`refresh_notebooks`), unless nothing changed since the last refresh; the code
    digest is computed after that.
    """
    started = time.monotonic()
    names = list(names) if names else list_studies()
    for n in names:  # a name that could reach outside reports/<study>/ is refused before anything else
        check_study_name(n, file=f"studies/{n}.yaml" if n in list_studies() else None)
    unknown = [n for n in names if n not in list_studies()]
    if unknown:
        raise ConfigError(
            Problem(
                field="--study",
                expected=f"one of {', '.join(list_studies())}",
                found=", ".join(map(repr, unknown)),
                fix="add studies/<name>.yaml or correct the name",
            )
        )
    root = Path(output_root).resolve() if output_root else config.output_root()
    _check_output_root(root)  # an output root that is a file: said before anything runs
    old = stagecache.read_manifest(root)
    refreshed = stagecache.refresh_fingerprint()
    if refresh_sources and not force and stagecache.read_refreshed(root) == refreshed:
        log("notebooks/: outputs stored in place are current: skipped")
        refresh_sources = False
    todo = [n for n in names if force or not stagecache.is_fresh(n, root, old)]
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
        todo = [n for n in names if force or not stagecache.is_fresh(n, root, old)]
    entries = {n: {**old["studies"][n], "code_sha256": code_digest()} for n in names if n not in todo}
    for n in entries:
        log(f"{n}: unchanged since its outputs were made: skipped")
    done, failure = _run_all(todo, root, jobs, log)
    if failure is not None and not done:
        raise failure
    entries.update(done)
    with _output_errors(root):  # the studies that finished are recorded, even when another failed
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
