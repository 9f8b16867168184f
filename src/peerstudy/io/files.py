"""Files written whole or not at all, and stable JSON: the low-level writers.

The one atomic writer of the project (outputs, checksum lists, REFI-QDA files, the
manifest). Standard library only, so that what needs no table or figure (raw checksums,
``accept-raw``, the command line's quick answers) loads no pandas or matplotlib: this
module may import nothing of the project but :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["is_file_name", "write_atomic", "write_bytes_atomic", "to_json_text", "write_json"]


def is_file_name(name: str) -> bool:
    """Whether ``name`` can name a file in a folder, and only that: not empty, not ``.`` or
    ``..``, without a path separator or a control character (names made from what a user
    declares, such as a field's, become file names).

    Examples
    --------
    >>> [is_file_name(n) for n in ("code-by-age group", "age/years", "a\\b", "..", "")]
    [True, False, False, False, False]
    """
    return name not in ("", ".", "..") and not any(c in "/\\" or ord(c) < 32 for c in name)


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> Path:
    """Write a file whole or not at all: ``write(fileobj)`` fills a temporary file beside
    ``path``, which is flushed to disk (fsync) and renamed over ``path``; on any failure
    the temporary file is removed and ``path`` is as it was. The file gets the
    permissions the umask gives (0644 under the usual umask 022), like any new file.

    The one atomic writer of the project (outputs, checksum lists, REFI-QDA files).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = write_atomic(target, lambda fh: fh.write(b"whole"))
    >>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'whole', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :func:`write_atomic`)."""
    return write_atomic(path, lambda fh: fh.write(data))


def to_json_text(obj: Any) -> str:
    """Stable JSON: sorted keys, two-space indent, UTF-8 characters kept, final newline.

    Examples
    --------
    >>> print(to_json_text({"b": 1, "a": [1.5, "é"]}), end="")
    {
      "a": [
        1.5,
        "é"
      ],
      "b": 1
    }
    """
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as stable JSON (see :func:`to_json_text`)."""
    return write_bytes_atomic(path, to_json_text(obj).encode("utf-8"))
