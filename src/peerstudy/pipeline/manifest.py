"""Provenance: the code hash, the raw inputs' hashes, and ``reports/manifest.json``.

May import: :mod:`peerstudy.errors`, :mod:`peerstudy.config`, :mod:`peerstudy.io`, the
other modules of :mod:`peerstudy.pipeline`.
"""

from __future__ import annotations

import fcntl
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.io.files import write_json
from peerstudy.io.rawdata import check_raw, digest_file, list_files
from peerstudy.pipeline import stagecache
from peerstudy.pipeline.envfiles import direct_requirements
from peerstudy.pipeline.study import Study, list_studies

CODE_DIRS = stagecache.CODE_DIRS


# ------------------------------------------------------------------------ provenance
def code_digest() -> str:
    """sha256 over the code that produces reports: ``src/``, ``notebooks/``, ``studies/``
    (each file's path and content, in sorted order); see :func:`peerstudy.pipeline.stagecache.code_digest`."""
    return stagecache.code_digest()


def raw_inputs(study: Study) -> dict[str, str]:
    """sha256 of every raw input file of a study, keyed by path from the project root,
    checked against the raw folder's recorded checksums (see :mod:`peerstudy.io.rawdata`),
    and of every input its parameters name outside the raw folder (:func:`check_inputs`)."""
    digests = check_raw(study.raw, study=study.name)
    inputs = {config.relative_to_root(study.raw / rel): digest for rel, digest in digests.items()}
    for path in study.other_inputs:
        files = list_files(path) if path.is_dir() else [path]
        inputs.update({config.relative_to_root(f): digest_file(f) for f in files})
    return inputs


def package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in sorted(direct_requirements())}


def make_manifest_entry(
    study: Study, run: Path, raw: dict[str, str], stages: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A study's manifest entry: its parameter file, notebooks, parameters, raw inputs,
    code digest, the sha256 of every file of ``reports/<study>/`` in the staging folder
    ``run``, and what each stage was made from (``stages``, see :mod:`~peerstudy.pipeline.stagecache`)."""
    rel_reports = f"reports/{study.name}"
    return {
        "parameter_file": config.relative_to_root(study.file),
        "notebooks": [f"{rel_reports}/{nb}.ipynb" for nb in study.notebooks],
        "parameters": study.parameters,
        "raw_inputs": raw,
        "code_sha256": code_digest(),
        "outputs": {
            p.relative_to(run).as_posix(): digest_file(p) for p in sorted((run / rel_reports).rglob("*")) if p.is_file()
        },
        "stages": stages or {},
    }


def _still_a_study(name: str, entry: Any) -> bool:
    """A manifest entry kept: a study of ``studies/``, or one given by the path of its
    parameter file (kept outside ``studies/``) while that file is there."""
    if name in list_studies():
        return True
    file = entry.get("parameter_file") if isinstance(entry, dict) else None
    return isinstance(file, str) and file.endswith((".yaml", ".yml")) and config.resolve_input(file).is_file()


def append_run_log(root: Path, entries: list[dict]) -> None:
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
    manifest["studies"] = {k: v for k, v in manifest["studies"].items() if _still_a_study(k, v)}
    manifest["python"] = ".".join(map(str, sys.version_info[:2]))
    manifest["packages"] = package_versions()
    manifest.update(extra or {})
    manifest["format"] = (
        "per study: parameter_file (studies/<study>.yaml, or the path it was given by), "
        "raw_inputs (sha256 of each raw file, as recorded in the raw folder's SHA256SUMS), "
        "parameters (from the parameter file), code_sha256 (see peerstudy.pipeline.code_digest), "
        "outputs (sha256 of each file in reports/<study>/), stages (per stage: fingerprint, the sha256 "
        "of what it depends on, and outputs, the sha256 of each file it wrote; see "
        "peerstudy.pipeline.stagecache: a stage is skipped while they hold)"
    )
    write_json(path, manifest)
    return manifest
