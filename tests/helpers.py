"""Small helpers shared by the tests (imported, not fixtures)."""

from __future__ import annotations

import hashlib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini-survey"


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_study(tmp_path: Path, study: str, change, name: str = "bad-study") -> Path:
    """A parameter file for a copy of ``study`` named ``name`` whose raw files live in
    ``tmp_path/raw`` (``change(raw_folder)`` edits them first, and the change is accepted
    in the copy's SHA256SUMS); returns its path."""
    import shutil

    from peerstudy.config import PROJECT_ROOT
    from peerstudy.io.rawdata import accept_raw

    raw = tmp_path / "raw"
    shutil.copytree(PROJECT_ROOT / "data/raw" / study, raw)
    change(raw)
    accept_raw(raw)
    text = (PROJECT_ROOT / "studies" / f"{study}.yaml").read_text().replace(f"data/raw/{study}", str(raw))
    text = text.replace(f"study: {study}", f"study: {name}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def replace_in(file: str, old: str, new: str):
    """A change for :func:`copy_study`: replace the first ``old`` by ``new`` in ``file``."""

    def change(raw: Path) -> None:
        p = raw / file
        data = p.read_bytes()
        if old.encode() not in data:
            raise ValueError(f"{old!r} not in {file}")
        p.write_bytes(data.replace(old.encode(), new.encode(), 1))

    return change


def samples_dir(kind: str) -> Path:
    """``shared/samples/<kind>/`` beside the project (as CI lays it out), or skip.

    The real exports in ``shared/samples/`` are not the project's and are not copied
    into it; a test that reads them is skipped, with the reason, where they are absent.
    """
    import pytest

    from peerstudy.config import PROJECT_ROOT

    folder = PROJECT_ROOT.parent / "shared" / "samples" / kind
    if not folder.is_dir():
        pytest.skip(f"the real sample files (shared/samples/{kind}/) are not beside the project")
    return folder
