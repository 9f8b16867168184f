"""Which stages can be skipped: a ledger of content hashes, kept in the manifest.

A stage is one notebook of a study. What it depends on:

- the raw files it reads: the files and folders its own parameters name (as the pipeline
  resolves them, :func:`peerstudy.config.resolve_input`), not the whole raw folder, so a
  changed coder sheet (named by ``coding_sheets``, a parameter of ``code`` only) does not
  rerun the cleaning stage;
- its parameters: the values the notebook receives (those of the study's file it
  declares, and the empty values :func:`~peerstudy.pipeline.parameters.fill_omitted`
  passes, which depend on the keys the default study's file sets);
- the code it runs: every file of ``src/peerstudy/``, ``requirements.lock`` and the
  notebook itself (its cells as written, not their stored outputs: :func:`notebook_digest`);
- the outputs of the stages before it (each file's path and sha256).

The first three make a stage's *own digest* (:func:`stage_digests`, computed before
anything runs, without papermill: :mod:`~peerstudy.pipeline.notebookcells` reads the
parameters cell); with the upstream outputs they make its *fingerprint* (:func:`stage_fingerprint`).
After a run, the manifest's entry of the study records for each stage its fingerprint
and its outputs (every file under the staging folder that the stage created or changed,
with its sha256). A run then decides stage by stage, in order: a stage whose fingerprint
equals the recorded one, and whose recorded outputs are in place under the output root
with their recorded hashes, is skipped and its committed outputs are copied into the
staging folder (:func:`carry_outputs`); any other stage runs. A file a stage wrote that a
later stage rewrote is no longer in place as the earlier stage left it: its earlier bytes
are kept, by sha256, in the study's staging folder (:func:`kept_folder`), for a run in
which the earlier stage is skipped and the later one runs. Since a later stage's
fingerprint holds the outputs of the earlier ones, a stage that reran with a different
result reruns everything after it, and one that gave the same bytes does not. The study's
stages still share one staging folder and one all-or-nothing commit, so what is put in
place is what a full run makes; a study whose stages are all current is not run at all
(:func:`is_fresh`), and ``--force`` reruns every stage.

Why a ledger of our own rather than doit, Snakemake or DVC: it would be one more tool
to install and learn, while the all-or-nothing commit, the manifest and the raw-data
checksums it would have to respect are the pipeline's already; the ledger is these
hashes, a few dozen lines. This module imports neither papermill, nbconvert nor pandas,
so a run with nothing to do answers quickly.

Examples
--------
>>> digests = stage_digests("supporter-survey")
>>> list(digests)
['clean-survey', 'code', 'results-survey']
>>> len(stage_fingerprint(digests["code"], {"data/processed/supporter-survey/x.parquet": "0" * 64}))
64
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from peerstudy import config
from peerstudy.pipeline.notebookcells import code_cells_digest, declared_parameters

__all__ = [
    "CODE_DIRS",
    "can_skip",
    "carry_outputs",
    "code_digest",
    "fresh_stages",
    "is_fresh",
    "keep_overwritten",
    "kept_folder",
    "prune_kept",
    "read_files",
    "new_outputs",
    "notebook_digest",
    "one_look",
    "read_manifest",
    "refresh_fingerprint",
    "snapshot",
    "stage_digests",
    "stage_fingerprint",
    "study_file",
]

#: The code that produces reports (see :func:`code_digest`).
CODE_DIRS = ("src", "notebooks", "studies")
_SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints")
#: What has been read and hashed inside :func:`one_look` (``None`` outside it).
_LOOKED: contextvars.ContextVar[dict[tuple[str, str], Any] | None] = contextvars.ContextVar("_LOOKED", default=None)


@contextlib.contextmanager
def one_look() -> Iterator[None]:
    """Within it, each file is read and hashed once, and each study's stage digests and the
    code's hash are computed once: for one decision (is anything to be done?) that asks about
    the same files several times (the code of every study, the notebooks each study shares),
    over a moment in which they are taken not to change. Nested, the outer look holds.

    Examples
    --------
    >>> with one_look():
    ...     code_digest() == code_digest()
    True
    """
    if _LOOKED.get() is not None:
        yield
        return
    token = _LOOKED.set({})
    try:
        yield
    finally:
        _LOOKED.reset(token)


def _looked(kind: str, key: str, compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)``, or inside :func:`one_look` what it gave the first time for ``(kind, key)``."""
    memo = _LOOKED.get()
    if memo is None:
        return compute(*args)
    if (kind, key) not in memo:
        memo[kind, key] = compute(*args)
    return memo[kind, key]


def _digest(path: Path) -> str:
    def compute() -> str:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()

    return str(_looked("sha256", str(path), compute))


def _code_file_digest(path: Path) -> str:
    """sha256 of a file as code: its bytes, but a notebook's cells as written."""
    return notebook_digest(path) if path.suffix == ".ipynb" else _digest(path)


def notebook_digest(path: Path) -> str:
    """sha256 of what a notebook runs and shows as written: each cell's type, tags and
    source, and the kernel; not its outputs, execution counts or ids. So refreshing the
    outputs stored in ``notebooks/`` changes no digest, and the studies can run while it
    happens (:func:`peerstudy.pipeline.run.run_studies`).

    Examples
    --------
    >>> import tempfile
    >>> cell = {"cell_type": "code", "source": ["1 + 1"], "metadata": {"tags": []}}
    >>> path = Path(tempfile.mkdtemp()) / "n.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": [{**cell, "outputs": [], "execution_count": None}]}))
    >>> before = notebook_digest(path)
    >>> _ = path.write_text(json.dumps({"cells": [{**cell, "outputs": [{"text": "2"}], "execution_count": 1}]}))
    >>> notebook_digest(path) == before
    True
    >>> _ = path.write_text(json.dumps({"cells": [{**cell, "source": ["1 + 2"]}]}))
    >>> notebook_digest(path) == before
    False
    """
    return str(_looked("notebook", str(path), code_cells_digest, Path(path)))


def _files(folder: Path) -> Iterator[Path]:
    for p in sorted(folder.rglob("*")):
        if (
            p.is_file()
            and not any(s in p.parts for s in _SKIP_PARTS)
            and ".egg-info" not in str(p)
            and not p.name.endswith(".pyc")
        ):
            yield p


def code_digest() -> str:
    """sha256 over the code that produces reports: ``src/``, ``notebooks/``, ``studies/``
    (each file's path and content, in sorted order; of a notebook, what it runs and shows
    as written, see :func:`notebook_digest`).

    Examples
    --------
    >>> len(code_digest())
    64
    """
    return str(_looked("code_digest", "", _hash_code_dirs))


def _hash_code_dirs() -> str:
    h = hashlib.sha256()
    for top in CODE_DIRS:
        _hash_files(h, _files(config.PROJECT_ROOT / top), _code_file_digest)
    return h.hexdigest()


def _hash_files(h: Any, files: Iterator[Path], digest: Callable[[Path], str] = _digest) -> None:
    for p in files:
        shown = _looked("shown", str(p), config.relative_to_root, p)
        h.update(shown.encode() + b"\0" + digest(p).encode() + b"\n")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def study_file(study: str | Path) -> Path:
    """The parameter file of a study given by name (``studies/<name>.yaml``) or by path.

    Examples
    --------
    >>> study_file("supporter-survey") == config.STUDIES_DIR / "supporter-survey.yaml"
    True
    """
    if str(study).endswith((".yaml", ".yml")):
        return config.resolve_input(Path(study))
    return config.STUDIES_DIR / f"{study}.yaml"


def _named_files(values: Any) -> Iterator[Path]:
    """Files named by parameter values: a string that looks like a path (a ``/`` or a
    suffix) and names an existing file, or every file of an existing folder."""
    for value in _strings(values):
        if not value.strip() or not ("/" in value or Path(value).suffix):
            continue
        path = config.resolve_input(value)
        try:  # prose (a note, a title) is no path: a name too long to be one is passed over
            is_file, is_dir = path.is_file(), path.is_dir()
        except OSError:
            continue
        if is_file:
            yield path
        elif is_dir:
            yield from _files(path)


def _stage_code_hash() -> Any:
    """The hash of the code every stage runs (to be copied, never updated: it may be shared, see :func:`one_look`)."""
    return _looked("code", "", _hash_stage_code)


def _hash_stage_code() -> Any:
    h = hashlib.sha256(b"peerstudy stage fingerprint 3\n")
    _hash_files(h, iter([config.PROJECT_ROOT / "requirements.lock"]))
    _hash_files(h, _files(config.PROJECT_ROOT / "src" / "peerstudy"), _code_file_digest)
    return h


def stage_digests(study: str | Path) -> dict[str, str]:
    """The own digest of each stage of a study (its code, parameters and the files they
    name; see the module's docstring), in the order the stages run.

    Raises
    ------
    OSError, yaml.YAMLError, ValueError, SyntaxError
        When the parameter file, a notebook or an input cannot be read; the caller then
        runs the study, whose own checks say clearly what is wrong.
    """
    file = study_file(study)
    return dict(_looked("stages", str(file), _stage_digests, file))


def _stage_digests(file: Path) -> dict[str, str]:
    from peerstudy.errors import PeerstudyError
    from peerstudy.io.yamlfiles import read_yaml
    from peerstudy.pipeline.parameters import fill_omitted

    try:  # the project's bounded reader: an alias bomb in a study file must not hang the question
        doc = read_yaml(file, what="a study parameter file (YAML)")
    except PeerstudyError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("notebooks"), list):
        raise ValueError(f"{file}: not a study parameter file")
    code, digests = _stage_code_hash(), {}
    for nb in map(str, doc["notebooks"]):
        notebook = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        declared = _looked("declared", str(notebook), declared_parameters, notebook)  # only read here
        given = {k: v for k, v in doc.items() if k in declared}
        values = {**given, **fill_omitted(declared, given)}
        h = code.copy()
        h.update(f"stage {nb}\n".encode())
        _hash_files(h, iter([notebook]), notebook_digest)
        h.update(json.dumps(values, sort_keys=True, default=str).encode() + b"\n")
        _hash_files(h, _named_files(values))
        digests[nb] = h.hexdigest()
    return digests


def stage_fingerprint(own: str, upstream: Mapping[str, str]) -> str:
    """A stage's fingerprint: its own digest and the outputs of the stages before it
    (path from the output root to sha256).

    Examples
    --------
    >>> stage_fingerprint("a", {"x": "1"}) == stage_fingerprint("a", {"x": "1"}) != stage_fingerprint("a", {"x": "2"})
    True
    """
    h = hashlib.sha256(f"{own}\n".encode())
    for rel in sorted(upstream):
        h.update(f"{rel}\0{upstream[rel]}\n".encode())
    return h.hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by path relative to it."""
    return {p.relative_to(folder).as_posix(): _digest(p) for p in _files(folder)} if folder.is_dir() else {}


def new_outputs(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """The files a stage made: in ``after`` and new or changed since ``before``.

    Examples
    --------
    >>> new_outputs({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"})
    {'b': '3', 'c': '4'}
    """
    return {rel: digest for rel, digest in sorted(after.items()) if before.get(rel) != digest}


def kept_folder(root: Path, study: str) -> Path:
    """Where a study's intermediate outputs are kept: files a stage wrote that a later stage
    then rewrote (so the committed file is the later one), by sha256, in the staging folder."""
    return Path(root) / ".staging" / study / "kept"


def _source(root: Path, rel: str, digest: str, study: str) -> Path | None:
    """Where a recorded output is found with its hash: in place, or kept (:func:`kept_folder`)."""
    for path in (Path(root) / rel, kept_folder(root, study) / digest):
        if os.path.isfile(path) and _digest(path) == digest:
            return path
    return None


def keep_overwritten(before: Mapping[str, bytes], outputs: Mapping[str, str], root: Path, study: str) -> None:
    """Keep the earlier bytes (``before``: path to bytes, ahead of a stage) of each file
    the stage rewrote (``outputs``), for a later run that skips the earlier stage."""
    from peerstudy.io.files import write_atomic

    for rel in outputs:
        if rel in before:
            data = before[rel]
            target = kept_folder(root, study) / hashlib.sha256(data).hexdigest()
            if not target.is_file():
                write_atomic(target, _writer(data))


def prune_kept(root: Path, study: str, stages: Mapping[str, Any]) -> None:
    """Remove the kept intermediate outputs no stage's record names any more."""
    wanted = {digest for record in stages.values() for digest in record.get("outputs", {}).values()}
    folder = kept_folder(root, study)
    for path in folder.glob("*") if folder.is_dir() else []:
        if path.name not in wanted:
            path.unlink(missing_ok=True)


def read_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, path relative to it to its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in _files(folder)} if folder.is_dir() else {}


def _writer(data: bytes) -> Callable[[BinaryIO], int]:
    return lambda fh: fh.write(data)


def can_skip(record: Any, fingerprint: str, root: Path, study: str = "") -> bool:
    """Whether a stage with this ``fingerprint`` is current: its manifest ``record``
    (``{"fingerprint", "outputs"}``) has the same fingerprint, and every output it lists is
    under ``root`` with its recorded hash, in place or kept (:func:`kept_folder`).

    Examples
    --------
    >>> can_skip({"fingerprint": "f", "outputs": {}}, "f", Path("/nonexistent")), can_skip(None, "f", Path("."))
    (True, False)
    """
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    outputs = record.get("outputs")
    if not isinstance(outputs, dict):
        return False
    try:
        return all(_source(root, rel, digest, study) is not None for rel, digest in outputs.items())
    except OSError:
        return False


def carry_outputs(outputs: Mapping[str, str], root: Path, run: Path, study: str) -> None:
    """Copy a skipped stage's outputs from ``root`` (in place, or kept) into the staging folder ``run``.

    A file an earlier stage of this run wrote that the skipped stage's output replaces is
    kept first (:func:`keep_overwritten`), as when the stage runs: else the earlier stage,
    its output found nowhere, would rerun at every run that follows.

    Raises
    ------
    OSError
        When one is gone or changed since :func:`can_skip` looked (the run then fails
        and nothing is put in place).
    """
    from peerstudy.io.files import write_atomic

    for rel, digest in outputs.items():
        source = _source(root, rel, digest, study)
        data = source.read_bytes() if source else b""
        if source is None or hashlib.sha256(data).hexdigest() != digest:
            raise OSError(f"{root / rel}: changed while the run carried it over")
        earlier = (run / rel).read_bytes() if (run / rel).is_file() else data
        if earlier != data:
            keep_overwritten({rel: earlier}, {rel: digest}, root, study)
        write_atomic(run / rel, _writer(data))


#: The file (under ``reports/``) recording the last refresh of ``notebooks/``.
REFRESHED = "notebooks-refreshed.json"


def refresh_fingerprint() -> str:
    """What the outputs stored in ``notebooks/`` depend on: all the code (the notebooks
    included) and every study's stage digests.

    Examples
    --------
    >>> refresh_fingerprint() == refresh_fingerprint()
    True
    """
    with one_look():
        parts = [code_digest()]
        for name in sorted(p.stem for p in config.STUDIES_DIR.glob("*.yaml")):
            try:
                parts += list(stage_digests(name).values())
            except (OSError, ValueError, SyntaxError, yaml.YAMLError):
                parts.append(f"{name}: unreadable")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read_refreshed(root: Path) -> str | None:
    """The :func:`refresh_fingerprint` recorded when ``notebooks/`` was last refreshed
    (``reports/notebooks-refreshed.json`` under ``root``), or ``None``. Kept out of the
    manifest: the manifest records how the reports were made, and regenerating the
    reports alone (as the backtest does) does not refresh ``notebooks/``."""
    try:
        return json.loads((root / "reports" / REFRESHED).read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def write_refreshed(root: Path, fingerprint: str) -> None:
    """Record that ``notebooks/`` was refreshed from code and studies of ``fingerprint``."""
    from peerstudy.io.files import write_json

    write_json(root / "reports" / REFRESHED, {"fingerprint": fingerprint})


def read_manifest(root: Path) -> dict[str, Any]:
    """``reports/manifest.json`` under ``root``, or an empty one when absent or unreadable."""
    try:
        manifest = json.loads((Path(root) / "reports" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def fresh_stages(study: str | Path, root: Path, manifest: Mapping[str, Any]) -> dict[str, float] | None:
    """When every stage of a study is current under ``root`` (see :func:`can_skip`, the
    upstream outputs taken from the manifest; a file a later stage rewrote is checked as
    that stage left it, so a clone, which lacks the kept files, has nothing to do), the
    seconds each took to check; else ``None``.

    Examples
    --------
    >>> fresh_stages("supporter-survey", Path("/nonexistent"), {}) is None
    True
    """
    started = time.monotonic()
    entry = manifest.get("studies", {}).get(study_file(study).stem)
    if not isinstance(entry, dict) or not isinstance(entry.get("stages"), dict):
        return None
    try:
        digests = stage_digests(study)
    except (OSError, ValueError, SyntaxError, yaml.YAMLError):
        return None
    if set(digests) != set(entry["stages"]):  # the manifest is written with its keys sorted
        return None
    upstream: dict[str, str] = {}
    seconds = {}
    rewritten = _rewritten_later(list(digests), entry["stages"])
    for nb, own in digests.items():
        record = entry["stages"][nb]
        # a file a later stage rewrote need only be in place as that stage left it: nothing
        # runs, so the earlier bytes (kept in .staging/, which a clone lacks) are not read
        final = _without(record, rewritten[nb])
        if not can_skip(final, stage_fingerprint(own, upstream), Path(root), study_file(study).stem):
            return None
        upstream.update(record["outputs"])
        seconds[nb], started = time.monotonic() - started, time.monotonic()
    return seconds


def _rewritten_later(stages: list[str], records: Mapping[str, Any]) -> dict[str, set[str]]:
    """For each stage, the outputs it recorded that a later stage's record lists too.

    Examples
    --------
    >>> records = {"a": {"outputs": {"x": "1", "y": "2"}}, "b": {"outputs": {"x": "3"}}}
    >>> _rewritten_later(["a", "b"], records)
    {'b': set(), 'a': {'x'}}
    """
    later: set[str] = set()
    rewritten: dict[str, set[str]] = {}
    for nb in reversed(stages):
        rewritten[nb] = {rel for rel in _outputs_of(records.get(nb)) if rel in later}
        later |= set(_outputs_of(records.get(nb)))
    return rewritten


def _outputs_of(record: Any) -> dict[str, str]:
    outputs = record.get("outputs") if isinstance(record, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def _without(record: Any, rels: set[str]) -> Any:
    """``record`` with the outputs ``rels`` left out (as it is, when it is not a record)."""
    if not rels or not isinstance(record, dict):
        return record
    return {**record, "outputs": {rel: d for rel, d in _outputs_of(record).items() if rel not in rels}}


def is_fresh(study: str | Path, root: Path, manifest: Mapping[str, Any]) -> bool:
    """Whether a study's committed outputs under ``root`` are those its inputs would give
    now: every stage is current (:func:`fresh_stages`).

    Examples
    --------
    >>> is_fresh("supporter-survey", Path("/nonexistent"), {})
    False
    """
    return fresh_stages(study, root, manifest) is not None
