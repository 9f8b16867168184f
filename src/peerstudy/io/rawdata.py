"""Raw data are immutable: a committed checksum list, checked before every run.

Each study's raw folder (``data/raw/<study>/``) holds a file ``SHA256SUMS`` in the
format of the ``sha256sum`` program: one line ``<sha256>  <path>`` per raw file, paths
relative to the folder, sorted. :func:`check_raw` compares the folder with it and
reports every file that changed, appeared or went missing; the pipeline calls it before
a study runs, so no report is made from raw data nobody accepted. When a change is
deliberate (a corrected export, a new coder sheet), :func:`accept_raw` records the
folder as it is now: ``python -m peerstudy accept-raw --study <study>``. Anyone can
check a folder without the project: ``cd data/raw/<study> && sha256sum -c SHA256SUMS``.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "export.csv").write_text("id,age\\n1,40\\n")
>>> accept_raw(folder)
{'added': ['export.csv'], 'changed': [], 'removed': []}
>>> check_raw(folder)["export.csv"][:12]
'd69c916b9fc8'
>>> _ = (folder / "export.csv").write_text("id,age\\n1,41\\n")
>>> check_raw(folder, study="demo")
Traceback (most recent call last):
...
peerstudy.errors.InputError: ...export.csv: expected the content recorded in SHA256SUMS, found a file that changed since. Fix: ...
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from peerstudy.config import relative_to_root
from peerstudy.errors import InputError, Problem
from peerstudy.io.files import write_bytes_atomic

__all__ = [
    "CHECKSUMS",
    "digest_file",
    "is_system_file",
    "list_files",
    "digest_folder",
    "read_checksums",
    "check_raw",
    "accept_raw",
]

#: Name of the checksum list in each raw folder.
CHECKSUMS = "SHA256SUMS"
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_CHUNK = 1 << 20


def digest_file(path: Path) -> str:
    """sha256 of a file, read in chunks (raw files may be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


# What an operating system or an office program writes beside the files it shows or opens:
# Finder's .DS_Store, macOS's ._<name> copies of file attributes, Office's ~$<name> lock
# files, Windows' thumbnails and folder settings.
_SYSTEM_FILE = re.compile(r"^(?:\.DS_Store|\._.+|~\$.+|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)


def is_system_file(name: str) -> bool:
    """Whether a file name is one an operating system or office program writes beside the
    data (never data: no study reads it).

    Examples
    --------
    >>> [is_system_file(n) for n in (".DS_Store", "._I01.docx", "~$coder-a.xlsx", "Thumbs.db", "I01.docx")]
    [True, True, True, True, False]
    """
    return bool(_SYSTEM_FILE.match(name))


def list_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every file below ``folder``, in sorted order; symbolic links and special files
    (FIFOs, devices, sockets) are refused, never followed nor skipped: a checksum list
    must cover every byte a study reads, and a link may point anywhere. Files of the
    operating system or an office program (:func:`is_system_file`: Finder's
    ``.DS_Store``, Excel's ``~$`` lock file while a sheet is open) are no data and left out.

    Raises
    ------
    InputError
        Naming every link and special file found.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x")
    >>> (folder / "elsewhere").symlink_to("/tmp", target_is_directory=True)
    >>> list_files(folder)
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../elsewhere: expected a file or folder of the raw data itself, found a symbolic link (to /tmp). Fix: ...
    """
    folder = Path(folder)
    files, problems = [], []
    for top, dirs, names in os.walk(folder, followlinks=False):
        for name in sorted(dirs + names):
            path = Path(top) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found = f"a symbolic link (to {os.readlink(path)})"
            elif stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                if stat.S_ISREG(mode) and not is_system_file(name):
                    files.append(path)
                continue
            else:
                found = "a special file (a FIFO, socket or device), not data"
            problems.append(
                Problem(
                    file=relative_to_root(path),
                    expected="a file or folder of the raw data itself",
                    found=found,
                    fix="replace it by a copy of what it points to (e.g. `cp -rL`), or remove it: "
                    "SHA256SUMS must cover every byte a study reads",
                )
            )
    if problems:
        raise InputError(problems)
    return sorted(files)


def digest_folder(folder: str | os.PathLike[str]) -> dict[str, str]:
    """sha256 of every file below ``folder`` except the checksum list, keyed by path
    relative to the folder (``/`` separators), in sorted order; symbolic links and
    special files are refused (see :func:`list_files`)."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): digest_file(p)
        for p in list_files(folder)
        if p.relative_to(folder).as_posix() != CHECKSUMS
    }


def read_checksums(folder: str | os.PathLike[str]) -> dict[str, str]:
    """The recorded checksums of a raw folder (empty if it has no ``SHA256SUMS``)."""
    path = Path(folder) / CHECKSUMS
    if not path.is_file():
        return {}
    recorded, problems = {}, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _LINE.match(line)
        if not match:
            problems.append(
                Problem(
                    file=relative_to_root(path),
                    row=number,
                    expected="a line '<sha256>  <file>' as sha256sum writes it",
                    found=repr(line),
                    fix="restore the file from version control, or record the folder again "
                    "with `python -m peerstudy accept-raw`",
                )
            )
            continue
        recorded[match.group(2)] = match.group(1)
    if problems:
        raise InputError(problems)
    return recorded


def _changes(recorded: dict[str, str], current: dict[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(current) - set(recorded)),
        "changed": sorted(k for k in set(current) & set(recorded) if current[k] != recorded[k]),
        "removed": sorted(set(recorded) - set(current)),
    }


def check_raw(folder: str | os.PathLike[str], *, study: str | None = None) -> dict[str, str]:
    """Check a raw folder against its ``SHA256SUMS``; return the checksums.

    Raises
    ------
    InputError
        Naming every file that changed, appeared or is missing, and the command that
        accepts the folder as it is.
    """
    folder = Path(folder)
    shown = relative_to_root(folder)
    accept = f"python -m peerstudy accept-raw --study {study or folder.name}"
    if not folder.is_dir():
        raise InputError(
            Problem(
                file=shown,
                expected="the study's raw data folder",
                found="no such folder",
                fix="correct the study's 'raw' entry, or put the raw files there",
            )
        )
    current = digest_folder(folder)
    if not (folder / CHECKSUMS).is_file():
        raise InputError(
            Problem(
                file=f"{shown}/{CHECKSUMS}",
                expected="the checksum list of the raw files",
                found="no such file",
                fix=f"check the raw files, then record them with `{accept}`",
            )
        )
    changes = _changes(read_checksums(folder), current)
    found = {
        "changed": "a file that changed since",
        "added": "a file not recorded there",
        "removed": "the file is missing",
    }
    undo = {
        "changed": "raw data are never edited in place: restore the file from version control or the original export",
        "added": "remove the file if it is not part of the study's raw data",
        "removed": "restore the file from version control or the original export",
    }
    problems = [
        Problem(
            file=f"{shown}/{name}",
            expected=f"the content recorded in {CHECKSUMS}",
            found=found[kind],
            fix=f"{undo[kind]}; or, if the change is deliberate, accept it with `{accept}`",
        )
        for kind in ("changed", "added", "removed")
        for name in changes[kind]
    ]
    if problems:
        raise InputError(problems)
    return current


def accept_raw(folder: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Record the raw folder as it is now in its ``SHA256SUMS``; return what changed
    (file names under ``added``, ``changed`` and ``removed``). A list that already reads
    as it would be written is left as it is (not even rewritten with the same bytes)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            Problem(
                file=relative_to_root(folder),
                expected="a raw data folder",
                found="no such folder",
                fix="create it and put the raw files there first",
            )
        )
    current = digest_folder(folder)
    changes = _changes(read_checksums(folder), current)
    data = "".join(f"{digest}  {name}\n" for name, digest in current.items()).encode("utf-8")
    if _holds(folder / CHECKSUMS, data):
        return changes
    try:
        write_bytes_atomic(folder / CHECKSUMS, data)
    except OSError as exc:
        raise InputError(
            Problem(
                file=relative_to_root(folder / CHECKSUMS),
                expected="a checksum list that can be written",
                found=exc.strerror or str(exc),
                fix="make the raw folder writable for this one command (or free space), then run accept-raw again",
            )
        ) from None
    return changes


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a file holding exactly ``data``."""
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
