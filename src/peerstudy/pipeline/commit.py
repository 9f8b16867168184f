"""Put a run's outputs in place all at once: staging, the study lock, the crash-safe commit.

Outputs are made in a staging folder; only when every notebook succeeded are
``data/processed/<study>/`` and ``reports/<study>/`` replaced, each by one rename (an
atomic exchange where the system has one), recorded beforehand in a journal so that a run
killed midway is completed or undone at the start of the next.

May import: :mod:`peerstudy.errors`, :mod:`peerstudy.config`, :mod:`peerstudy.io`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from peerstudy import config
from peerstudy.errors import ConfigError, OutputError, Problem
from peerstudy.io.files import write_json


# ------------------------------------------------------------------------ running
# Everything in flight for a study lives in <output root>/.staging/<study>/: the lock
# file, one run-* folder per run (deleted when it ends, or at the next run's start after
# a kill), commit.json while a finished run is being put in place, and failed/ (the
# notebook of the last failed run, kept for inspection).
def staging_folder(root: Path, study: str) -> Path:
    return root / ".staging" / study


@contextlib.contextmanager
def lock_study(root: Path, study: str) -> Iterator[None]:
    folder = staging_folder(root, study)
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


def discard_run(run: Path, root: Path, study: str) -> None:
    """Delete a run's folder, unless a commit record still needs it (a commit that could
    neither finish nor roll back: the next run completes it from that folder)."""
    if not (staging_folder(root, study) / "commit.json").is_file():
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
    found, fix = _OUTPUT_FAULTS.get(exc.errno or 0, (exc.strerror or str(exc), "correct the cause, and run again"))
    where = exc.filename if exc.filename else root
    kept = f"; nothing was changed for {study}: its previous outputs are in place" if study else ""
    return Problem(
        file=config.relative_to_root(where),
        field="--output-root",
        expected=f"an output root that can take the outputs ({config.relative_to_root(root)})",
        found=found + kept,
        fix=fix,
    )


def check_output_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise OutputError(output_problem(OSError(errno.ENOTDIR, "Not a directory", str(root)), root))


@contextlib.contextmanager
def catch_output_errors(root: Path, study: str | None = None) -> Iterator[None]:
    """Turn a failure to write under ``root`` into one clear :class:`OutputError`."""
    check_output_root(root)
    try:
        yield
    except OSError as exc:
        raise OutputError(output_problem(exc, root, study)) from None


def exchange_paths(a: Path, b: Path) -> bool:
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


def put_in_place(run: Path, root: Path, rel: str, identity: list[int]) -> None:
    """Move the staged folder ``run/rel`` (known by its inode) to ``root/rel``; done
    already if the folder there is that one. Where the system can, the old and the
    new folder are exchanged in one step, so ``root/rel`` is whole at every moment
    (the old folder then sits at ``run/rel``; else it is moved to ``run/previous/rel``)."""
    new, target = run / rel, root / rel
    if target.exists() and _identity(target) == identity:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if exchange_paths(new, target):
            return
        old = run / "previous" / rel
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(target, old)
    os.replace(new, target)


def take_back(run: Path, root: Path, rel: str, identity: list[int]) -> None:
    """Undo :func:`put_in_place` from any point it reached: the new folder back to
    ``run/rel``, the old one (if any) back to ``root/rel``."""
    new, target, old = run / rel, root / rel, run / "previous" / rel
    if target.exists() and _identity(target) == identity:
        if new.exists():  # exchanged: run/rel holds the old folder
            if exchange_paths(new, target):
                return
            raise OSError(errno.EIO, "cannot exchange the folders back", str(target))
        os.replace(target, new)
    if old.exists() and not target.exists():
        os.replace(old, target)


def commit_run(run: Path, root: Path, study: str) -> None:
    """Put a finished run's folders in place, such that a kill at any moment can be
    completed by :func:`recover_run`: the folders to move are first recorded in
    ``commit.json``; each move is one rename (or exchange), checked by inode. If a move
    fails (a read-only folder, a full disk), the moves done are undone, the record is
    removed and the error raised: the previous outputs stay, whole. If undoing fails too,
    the record stays, and the next run completes the commit (or undoes it)."""
    folders = {
        rel: _identity(run / rel) for rel in (f"data/processed/{study}", f"reports/{study}") if (run / rel).exists()
    }
    journal = staging_folder(root, study) / "commit.json"
    write_json(journal, {"run": run.name, "folders": folders})
    try:
        for rel, identity in folders.items():
            put_in_place(run, root, rel, identity)
    except OSError:
        for rel, identity in reversed(folders.items()):
            take_back(run, root, rel, identity)
        journal.unlink()
        raise
    journal.unlink()


def recover_run(root: Path, study: str, log=print) -> None:
    """Finish what a killed or failed run left: complete a commit that had begun (its
    outputs were whole), or, if that fails, undo it; and delete the folders of runs that
    had not begun one."""
    folder = staging_folder(root, study)
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
                    put_in_place(run, root, rel, identity)
            except OSError:
                log(f"{study}: it cannot be completed; restoring the previous outputs")
                try:
                    for rel, identity in reversed(folders.items()):
                        take_back(run, root, rel, identity)
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
