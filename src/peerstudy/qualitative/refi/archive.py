"""Archive access: the members of a ``.qdpx`` (a zip) or of an unzipped export (a
``project.qde`` beside its ``sources/`` folder), read within fixed bounds.

Imports only :mod:`peerstudy.errors`; nothing here parses XML or knows REFI-QDA elements.

Bounds (each refusal names the limit and the module attribute to raise deliberately):

* at most :data:`MAX_ARCHIVE_MEMBERS` members (read from the zip's end record, before
  its central directory is parsed) and :data:`MAX_ARCHIVE_BYTES` declared uncompressed,
  checked together before anything is read;
* no member over 1 MiB inflating more than :data:`MAX_COMPRESSION_RATIO` times, and the
  archive as a whole, once over :data:`RATIO_FROM_BYTES` uncompressed, not either (so
  2,500 highly compressed 1 MiB members are a zip bomb, as one 300 MiB member is);
* no member over :data:`MAX_MEMBER_BYTES`, and at most :data:`MAX_READ_BYTES` read from
  one archive or folder in all (checked from the declared size before a member is
  inflated);
* member names that are absolute or climb out with ``..`` (zip slip) are refused; in a
  folder, a file whose real path (symlinks resolved) leaves the folder is refused.

Nothing is extracted to disk.

Examples
--------
>>> from pathlib import Path
>>> with open_archive(Path("tests/fixtures/qdpx/two_coders.qdpx"), "two_coders.qdpx") as archive:
...     archive.project_member(), archive.find("sources/nothing.txt")
('project.qde', None)
"""

from __future__ import annotations

import codecs
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from peerstudy.errors import InputError, Problem

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_BYTES",
    "MAX_READ_BYTES",
    "RATIO_FROM_BYTES",
    "Archive",
    "FolderArchive",
    "ZipArchive",
    "decode_text",
    "declared_members",
    "open_archive",
    "unsafe_member",
]

#: An archive with more members than this is refused (real projects hold a few hundred).
MAX_ARCHIVE_MEMBERS = 10_000
#: An archive whose members declare more uncompressed bytes than this (4 GiB) is refused.
MAX_ARCHIVE_BYTES = 4 * 2**30
#: No single member (``project.qde``, a plain-text source, a ``.qdc``) larger than this is read.
MAX_MEMBER_BYTES = 256 * 2**20
#: At most this much is read from one archive or folder in all (the XML and the texts).
MAX_READ_BYTES = 512 * 2**20
#: A member over 1 MiB, or a whole archive over :data:`RATIO_FROM_BYTES`, that inflates
#: more than this many times its stored size is a zip bomb.
MAX_COMPRESSION_RATIO = 100
#: The whole-archive ratio is checked from this many uncompressed bytes on (64 MiB).
RATIO_FROM_BYTES = 64 * 2**20
_MEMBER_RATIO_FROM = 2**20
_RAISE = "raise peerstudy.qualitative.refi.archive.{} deliberately if a real project is that large"
_DAMAGED = "the file is truncated or damaged: export the project again"


def unsafe_member(name: str) -> bool:
    """True for a member name that is absolute or climbs out of its folder.

    Examples
    --------
    >>> unsafe_member("../../evil.sh"), unsafe_member("sources/a.txt"), unsafe_member("C:/x")
    (True, False, True)
    """
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or ".." in parts or "\x00" in name


class Archive:
    """Members by name (exact, then ignoring case and slashes), read within the bounds."""

    def __init__(self, shown: str, sizes: dict[str, int]):
        self.shown = shown
        self.sizes = sizes
        self.read_so_far = 0
        self.folded: dict[str, list[str]] = {}
        for name in sizes:
            self.folded.setdefault(name.replace("\\", "/").lower(), []).append(name)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (nothing to do for a folder)."""

    def find(self, *candidates: str) -> str | None:
        """The member named by the first candidate found (exact, then ignoring case)."""
        for cand in candidates:
            if cand in self.sizes:
                return cand
        for cand in candidates:
            hits = self.folded.get(cand.replace("\\", "/").lower(), [])
            if len(hits) == 1:
                return hits[0]
        return None

    def project_member(self) -> str:
        """The ``.qde`` at the top of the archive (``project.qde``, or the only one)."""
        names = [n for n in self.sizes if "/" not in n.replace("\\", "/") and n.lower().endswith(".qde")]
        if "project.qde" in names:
            return "project.qde"
        if len(names) == 1:
            return names[0]
        raise InputError(
            Problem(
                file=self.shown,
                field="project.qde",
                expected="a REFI-QDA project archive holding project.qde",
                found=f"{'no' if not names else len(names)} .qde file at the top "
                f"(members: {', '.join(sorted(self.sizes)[:5])}…)",
                fix="export the project again as REFI-QDA (.qdpx)",
            )
        )

    def where(self, name: str) -> str:
        """How messages name a member."""
        return f"{self.shown} [{name}]"

    def read(self, name: str) -> bytes:
        """The bytes of a member, refused beyond :data:`MAX_MEMBER_BYTES` or the read budget."""
        size, where = self.sizes[name], self.where(name)
        if size > MAX_MEMBER_BYTES:
            raise InputError(
                Problem(
                    file=where,
                    expected=f"a member of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                    found=f"{size / 2**20:.0f} MiB uncompressed",
                    fix=_RAISE.format("MAX_MEMBER_BYTES"),
                )
            )
        if self.read_so_far + size > MAX_READ_BYTES:
            raise InputError(
                Problem(
                    file=where,
                    expected=f"at most {MAX_READ_BYTES // 2**20} MiB of XML and text in one project (MAX_READ_BYTES)",
                    found=f"{(self.read_so_far + size) / 2**20:.0f} MiB by this member",
                    fix=_RAISE.format("MAX_READ_BYTES"),
                )
            )
        data = self._read(name)
        if len(data) > MAX_MEMBER_BYTES:
            raise InputError(
                Problem(
                    file=where,
                    expected=f"a member of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                    found="more data than the archive declared",
                    fix="do not open this file",
                )
            )
        self.read_so_far += len(data)
        return data

    def _read(self, name: str) -> bytes:
        raise NotImplementedError


def declared_members(path: Path) -> int | None:
    """The member count the end record of a zip declares, read before the central
    directory is parsed (None when there is no plain end record, as in zip64 archives).

    Examples
    --------
    >>> p = Path("tests/fixtures/qdpx/two_coders.qdpx")
    >>> declared_members(p) == len(zipfile.ZipFile(p).infolist())
    True
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - (2**16 + 22)))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return None if entries == 0xFFFF else entries


class ZipArchive(Archive):
    """A ``.qdpx`` opened for reading, checked before any member is read."""

    def __init__(self, path: Path, shown: str):
        declared = declared_members(path)
        if declared is not None and declared > MAX_ARCHIVE_MEMBERS:
            raise InputError(
                Problem(
                    file=shown,
                    expected=f"an archive of at most {MAX_ARCHIVE_MEMBERS} members",
                    found=f"{declared} members declared (a zip bomb?)",
                    fix="do not open this file; or " + _RAISE.format("MAX_ARCHIVE_MEMBERS"),
                )
            )
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(
                Problem(
                    file=shown,
                    expected="a REFI-QDA project (.qdpx: a zip archive)",
                    found=f"a file that is not a readable zip archive ({exc})",
                    fix=_DAMAGED,
                )
            ) from None
        try:
            check_members(self.zf.infolist(), shown)
        except InputError:
            self.zf.close()
            raise
        self.infos = {i.filename: i for i in self.zf.infolist() if not i.is_dir()}
        super().__init__(shown, {n: i.file_size for n, i in self.infos.items()})

    def close(self) -> None:
        self.zf.close()

    def _read(self, name: str) -> bytes:
        try:
            with self.zf.open(self.infos[name]) as fh:
                return fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise InputError(
                Problem(
                    file=self.where(name),
                    expected="a readable archive member",
                    found=f"an unreadable member ({exc})",
                    fix=_DAMAGED,
                )
            ) from None


def check_members(infos: list[zipfile.ZipInfo], shown: str) -> None:
    """Refuse, from the central directory alone, an archive beyond the bounds (see the module)."""
    total = sum(i.file_size for i in infos)
    stored = sum(i.compress_size for i in infos)
    if len(infos) > MAX_ARCHIVE_MEMBERS or total > MAX_ARCHIVE_BYTES:
        raise InputError(
            Problem(
                file=shown,
                expected=f"an archive of at most {MAX_ARCHIVE_MEMBERS} members and "
                f"{MAX_ARCHIVE_BYTES // 2**30} GiB uncompressed",
                found=f"{len(infos)} members, {total / 2**30:.1f} GiB declared uncompressed (a zip bomb?)",
                fix="do not open this file; or "
                + _RAISE.format("MAX_ARCHIVE_MEMBERS" if len(infos) > MAX_ARCHIVE_MEMBERS else "MAX_ARCHIVE_BYTES"),
            )
        )
    unsafe = [i.filename for i in infos if unsafe_member(i.filename)]
    if unsafe:
        raise InputError(
            Problem(
                file=shown,
                field="member names",
                expected="paths inside the archive (no leading '/', drive letter or '..')",
                found=f"{', '.join(map(repr, unsafe[:5]))} (zip slip: a path that escapes "
                "the folder it is extracted to)",
                fix="do not open or extract this file; ask for a fresh export",
            )
        )
    for i in infos:
        if i.file_size > _MEMBER_RATIO_FROM and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise InputError(
                Problem(
                    file=shown,
                    field=i.filename,
                    expected=f"a member that inflates at most {MAX_COMPRESSION_RATIO} times",
                    found=f"{i.compress_size} bytes that inflate to {i.file_size} bytes "
                    f"({i.file_size // max(i.compress_size, 1)} times: a zip bomb)",
                    fix="do not open this file; ask for a fresh export",
                )
            )
    if total > RATIO_FROM_BYTES and total > MAX_COMPRESSION_RATIO * max(stored, 1):
        raise InputError(
            Problem(
                file=shown,
                field="all members",
                expected=f"an archive that inflates at most {MAX_COMPRESSION_RATIO} times "
                f"(MAX_COMPRESSION_RATIO, checked from {RATIO_FROM_BYTES // 2**20} MiB)",
                found=f"{len(infos)} members of {stored} bytes that inflate to {total} bytes "
                f"({total // max(stored, 1)} times: a zip bomb)",
                fix="do not open this file; ask for a fresh export",
            )
        )


class FolderArchive(Archive):
    """An unzipped export: the folder holding ``project.qde`` and its ``sources/`` folder.

    Only the ``sources`` folder (any case) is listed; a listed file whose real path leaves
    the folder (a symlink) is refused when read.
    """

    def __init__(self, folder: Path, shown: str, qde: str):
        self.folder = folder.resolve()
        self.qde = qde
        sizes = {qde: (folder / qde).stat().st_size}
        self.sources = [d for d in sorted(os.listdir(folder)) if d.lower() == "sources" and (folder / d).is_dir()]
        count = 0
        for sub in self.sources:
            for dirpath, dirnames, filenames in os.walk(folder / sub):
                dirnames.sort()
                for f in sorted(filenames):
                    count += 1
                    if count > MAX_ARCHIVE_MEMBERS:
                        raise InputError(
                            Problem(
                                file=shown,
                                expected=f"a sources folder of at most {MAX_ARCHIVE_MEMBERS} files",
                                found="more",
                                fix=_RAISE.format("MAX_ARCHIVE_MEMBERS"),
                            )
                        )
                    full = Path(dirpath) / f
                    sizes[full.relative_to(folder).as_posix()] = full.lstat().st_size
        super().__init__(shown, sizes)

    def where(self, name: str) -> str:
        return f"{self.shown.rsplit('/', 1)[0]}/{name}" if "/" in self.shown else name

    def _read(self, name: str) -> bytes:
        real = (self.folder / name).resolve()
        if not real.is_relative_to(self.folder) or not real.is_file():
            raise InputError(
                Problem(
                    file=self.where(name),
                    expected="a plain-text file inside the export's folder",
                    found=f"a link to {'a place outside the folder' if real.exists() else 'nothing'}",
                    fix="unzip the .qdpx again, or read the .qdpx itself",
                )
            )
        size = real.stat().st_size
        if size > MAX_MEMBER_BYTES:
            raise InputError(
                Problem(
                    file=self.where(name),
                    expected=f"a file of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                    found=f"{size / 2**20:.0f} MiB",
                    fix=_RAISE.format("MAX_MEMBER_BYTES"),
                )
            )
        with open(real, "rb") as fh:
            return fh.read(MAX_MEMBER_BYTES + 1)


def open_archive(path: Path, shown: str) -> Archive:
    """A ``.qdpx`` (zip) or, for a ``.qde`` file, the unzipped export it belongs to."""
    if path.suffix.lower() == ".qde":
        return FolderArchive(path.parent, shown, path.name)
    return ZipArchive(path, shown)


def decode_text(data: bytes, where: str) -> tuple[str, bool]:
    """Plain text of a source and whether it began with a BOM: UTF-8 (BOM optional) or
    UTF-16 with a BOM; one BOM removed, line ends kept.

    Examples
    --------
    >>> decode_text(b"\\xef\\xbb\\xbfA\\r\\nB", "x.txt")
    ('A\\r\\nB', True)
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                file=where,
                row=line,
                expected=f"plain text encoded as {encoding.upper()}",
                found=f"byte {body[exc.start : exc.start + 1]!r} that is not valid {encoding.upper()}",
                fix="export the project again; REFI-QDA plain text is UTF-8",
            )
        ) from None
    if encoding == "utf-16":
        text = text.removeprefix("\ufeff")  # the utf-16 codec keeps nothing, but be explicit
    return text, body is not data or encoding == "utf-16"
