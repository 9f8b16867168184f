"""Which studies can be skipped: content fingerprints of every stage, kept in the manifest.

A stage (one notebook of a study) depends on the study's raw files (every file of its
raw folder, and any input its parameters name elsewhere), its parameters (the bytes of
``studies/<study>.yaml``), the code (every file of ``src/peerstudy/``, the notebook
itself, ``requirements.lock``) and the stages before it. Its fingerprint is a sha256
over all of these, the upstream stage's fingerprint included, so a change reaches every
later stage. The pipeline records them in ``reports/manifest.json`` (``fingerprints``
of each study's entry); a study whose last stage's fingerprint equals the recorded one,
and whose recorded outputs are in place with the recorded hashes, is skipped whole (its
stages share one staging folder and one all-or-nothing commit, so a study is redone
whole or not at all).

Why a ledger of our own rather than doit, Snakemake or DVC: it would be one more tool
to install and learn, while the all-or-nothing commit, the manifest and the raw-data
checksums it would have to respect are the pipeline's already; the ledger is these
hashes, a few dozen lines. This module imports neither papermill, nbconvert nor pandas,
so a run with nothing to do answers in well under a second.

Examples
--------
>>> fingerprints = study_fingerprints("supporter-survey")
>>> list(fingerprints)[0]
'clean-survey'
>>> len(fingerprints["clean-survey"])
64
>>> len(study_fingerprints("literature-review")) >= 1  # its parameters hold prose too long to be a path
True
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from peerstudy import config

__all__ = ["CODE_DIRS", "code_digest", "study_fingerprints", "refresh_fingerprint", "is_fresh", "read_manifest"]

#: The code that produces reports (see :func:`code_digest`).
CODE_DIRS = ("src", "notebooks", "studies")
_SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints")


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
    (each file's path and content, in sorted order).

    Examples
    --------
    >>> len(code_digest())
    64
    """
    h = hashlib.sha256()
    for top in CODE_DIRS:
        for p in _files(config.PROJECT_ROOT / top):
            h.update(p.relative_to(config.PROJECT_ROOT).as_posix().encode() + b"\0" + _digest(p).encode() + b"\n")
    return h.hexdigest()


def _hash_files(h: Any, files: Iterator[Path]) -> None:
    for p in files:
        h.update(config.relative_to_root(p).encode() + b"\0" + _digest(p).encode() + b"\n")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _named_inputs(doc: dict[str, Any]) -> Iterator[Path]:
    """Files named by parameter values (inputs outside the raw folder, see
    :func:`peerstudy.pipeline.check_inputs`; hashing a few more files than needed is harmless)."""
    for value in _strings({k: v for k, v in doc.items() if k != "raw"}):
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


def study_fingerprints(name: str) -> dict[str, str]:
    """The fingerprint of each stage of a study, in the order the stages run.

    Raises
    ------
    OSError, yaml.YAMLError, ValueError
        When the parameter file or an input cannot be read; the caller then runs the
        study, whose own checks say clearly what is wrong.
    """
    file = config.STUDIES_DIR / f"{name}.yaml"
    doc = yaml.safe_load(file.read_bytes())
    if not isinstance(doc, dict) or not isinstance(doc.get("notebooks"), list):
        raise ValueError(f"{file}: not a study parameter file")
    common = hashlib.sha256(b"peerstudy stage fingerprint 1\n")
    _hash_files(common, iter([file, config.PROJECT_ROOT / "requirements.lock"]))
    _hash_files(common, _files(config.PROJECT_ROOT / "src" / "peerstudy"))
    _hash_files(common, _files(config.resolve_input(str(doc.get("raw", f"data/raw/{name}")))))
    _hash_files(common, _named_inputs(doc))
    fingerprints, upstream = {}, ""
    for nb in doc["notebooks"]:
        h = common.copy()
        h.update(f"stage {nb}\0{upstream}\n".encode())
        _hash_files(h, iter([config.NOTEBOOKS_DIR / f"{nb}.ipynb"]))
        upstream = fingerprints[str(nb)] = h.hexdigest()
    return fingerprints


#: The file (under ``reports/``) recording the last refresh of ``notebooks/``.
REFRESHED = "notebooks-refreshed.json"


def refresh_fingerprint() -> str:
    """What the outputs stored in ``notebooks/`` depend on: all the code (the notebooks
    included) and every study's stage fingerprints.

    Examples
    --------
    >>> refresh_fingerprint() == refresh_fingerprint()
    True
    """
    parts = [code_digest()]
    for name in sorted(p.stem for p in config.STUDIES_DIR.glob("*.yaml")):
        try:
            parts += list(study_fingerprints(name).values())
        except (OSError, ValueError, yaml.YAMLError):
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
        return json.loads((Path(root) / "reports" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_fresh(name: str, root: Path, manifest: dict[str, Any]) -> bool:
    """Whether a study's committed outputs under ``root`` are those its inputs would give
    now: its stage fingerprints equal the recorded ones, and every recorded output is in
    place with its recorded hash (and its processed-data folder exists).

    Examples
    --------
    >>> is_fresh("supporter-survey", Path("/nonexistent"), {})
    False
    """
    entry = manifest.get("studies", {}).get(name)
    if not isinstance(entry, dict) or not entry.get("fingerprints") or not entry.get("outputs"):
        return False
    try:
        if study_fingerprints(name) != entry["fingerprints"]:
            return False
        if not (Path(root) / "data" / "processed" / name).is_dir():
            return False
        return all(
            os.path.isfile(Path(root) / rel) and _digest(Path(root) / rel) == digest
            for rel, digest in entry["outputs"].items()
        )
    except (OSError, ValueError, yaml.YAMLError):
        return False
