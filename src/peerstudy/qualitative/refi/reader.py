"""Reading a REFI-QDA file: finding and opening it (``.qdpx``, ``.qdc``, ``.qde`` or the
folder of an unzipped export) and checking its root element; its elements are read by
:class:`peerstudy.qualitative.refi.elements.ElementReader`.

Imports :mod:`peerstudy.qualitative.refi.archive`, ``.elements``, ``.xmltree``, ``.project``,
:mod:`peerstudy.config` and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.qualitative.refi import archive as _archive
from peerstudy.qualitative.refi.archive import Archive, open_archive
from peerstudy.qualitative.refi.elements import ElementReader
from peerstudy.qualitative.refi.project import OFFSET_READINGS, RefiProject
from peerstudy.qualitative.refi.xmltree import element_field, line, parse_xml

__all__ = ["read_refi"]


def read_refi(
    path: str | os.PathLike[str],
    *,
    offsets: Literal["auto", "utf16", "codepoints"] = "auto",
    codebook: pd.DataFrame | None = None,
) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``; or an unzipped export: its ``project.qde``, or
    the folder holding it and ``sources/``) or codebook (``.qdc``).

    Parameters
    ----------
    path
        The file, relative to the project root or absolute.
    offsets
        How ``startPosition``/``endPosition`` count: ``"auto"`` (decided, see
        :mod:`peerstudy.qualitative.refi.offsets`), ``"utf16"`` (UTF-16 code units, as NVivo) or
        ``"codepoints"``.
    codebook
        The project's codebook (:func:`peerstudy.qualitative.codebook.read_codebook`): codes whose
        guid is :func:`refi_guid` of one of its codes get that code's id, as do codes whose
        path of names (top-level code first; case and spaces aside) is the path of labels of
        one of its codes alone; others keep their guid.

    Returns
    -------
    RefiProject

    Raises
    ------
    InputError
        The file is missing, not REFI-QDA, malformed (with the XML line and column),
        unsafe (see :mod:`peerstudy.qualitative.refi.archive`), refers to codes, users or variables
        it does not define, or its offsets fit no reading; every problem found is
        reported at once.
    ConfigError
        ``offsets`` is not one of :data:`OFFSET_READINGS`.

    Examples
    --------
    NVivo for Windows: a BOM, CRLF line ends, emoji before the selections, offsets in
    UTF-16 units:

    >>> project = read_refi("tests/fixtures/qdpx/nvivo_crlf_emoji.qdpx")
    >>> project.offsets, project.offsets_reading
    ('utf16', 'UTF-16 units, CRLF as two, BOM not counted')
    >>> project.segments["text"].tolist()[:2]
    ['At first I had doubts 🤔 about a peer colleague.', 'about a peer colleague.\\r\\nAnn: Over the months']
    """
    if offsets not in OFFSET_READINGS:
        raise ConfigError(
            Problem(
                field="offsets",
                expected=" or ".join(map(repr, OFFSET_READINGS)),
                found=repr(offsets),
                fix="use 'auto' unless you know how the program counts",
            )
        )
    p = resolve_input(path)
    if p.is_dir():
        p = _qde_in(p)
    shown = relative_to_root(p)
    suffix = p.suffix.lower()
    if suffix not in (".qdpx", ".qdc", ".qde"):
        raise InputError(
            Problem(
                file=shown,
                expected="a REFI-QDA file ending in .qdpx, .qdc or .qde",
                found=repr(p.suffix or p.name),
                fix="export the project as REFI-QDA",
            )
        )
    if not p.is_file():
        raise InputError(
            Problem(file=shown, expected="a REFI-QDA file", found="no such file", fix="check the path, or add the file")
        )
    if suffix == ".qdc":
        return _read_root(_read_qdc(p, shown), shown, shown, None, offsets, codebook, ".qdc")
    with open_archive(p, shown) as archive:
        member = archive.project_member()
        where = archive.where(member)
        return _read_root(archive.read(member), where, shown, archive, offsets, codebook, suffix)


def _qde_in(folder: Path) -> Path:
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".qde"))
    if "project.qde" in names or len(names) == 1:
        return folder / ("project.qde" if "project.qde" in names else names[0])
    raise InputError(
        Problem(
            file=relative_to_root(folder),
            expected="an unzipped REFI-QDA export: a folder holding project.qde and its sources folder",
            found=f"{len(names) or 'no'} .qde files",
            fix="name the .qdpx or the .qde file",
        )
    )


def _read_qdc(p: Path, shown: str) -> bytes:
    size = p.stat().st_size
    if size > _archive.MAX_MEMBER_BYTES:
        raise InputError(
            Problem(
                file=shown,
                expected=f"a file of at most {_archive.MAX_MEMBER_BYTES // 2**20} MiB",
                found=f"{size / 2**20:.0f} MiB",
            )
        )
    return p.read_bytes()


def _read_root(
    data: bytes,
    where: str,
    shown: str,
    archive: Archive | None,
    offsets: str,
    codebook: pd.DataFrame | None,
    suffix: str,
) -> RefiProject:
    root, namespaces = parse_xml(data, where)
    expected_root = "CodeBook" if suffix == ".qdc" else "Project"
    ns = namespaces[0] if namespaces else ""
    if root.tag != expected_root or (ns and not ns.startswith("urn:QDA-XML:")):
        raise InputError(
            Problem(
                file=where,
                row=line(root),
                field=element_field(root),
                expected=f"a REFI-QDA <{expected_root}> (namespace urn:QDA-XML:…)",
                found=f"<{root.tag}> in namespace {ns!r}",
                fix="check that this is a REFI-QDA export",
            )
        )
    return ElementReader(root, where=where, shown=shown, archive=archive, offsets=offsets, codebook=codebook).run()
