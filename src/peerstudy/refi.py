"""REFI-QDA exchange files: read ``.qdpx`` / ``.qdc`` into the project's tables, write them back.

A ``.qdpx`` project (a zip holding ``project.qde`` and a ``sources/`` folder) or a ``.qdc``
codebook written by NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the qualitative-coding
tool lands in the same tables the coder sheets produce (:mod:`peerstudy.coding`):

============  ===================================================================
codebook      indexed by ``code``: label, definition, parent, depth, root, order
              (as :func:`peerstudy.codebook.read_codebook`), plus ``codable``
participants  ``participant`` (the case's name) and one column per case variable
documents     document, participant, kind, text (+ one column per source variable)
segments      segment, document, participant, start, end, text
codings       segment, unit, code, coder, round, note, sheet, row
============  ===================================================================

How REFI-QDA maps onto them
---------------------------
* **Codes** keep their REFI ``guid`` as the code id (names repeat in real codebooks:
  the qualitative-coding demo has three codes called ``citizenship``), ``name`` as
  ``label`` and ``Description`` as ``definition`` ("" when absent). Grouping codes
  (``isCodable="false"``) stay in the tree with ``codable`` False. Give ``codebook=``
  (the project's own codebook) to get the project's code ids back for codes whose guid
  is :func:`refi_guid` of one of its codes, as in a codebook written by
  :func:`write_qdc` and returned by a QDA program.
* **Documents** are the ``TextSource`` elements: ``document`` is the source's name
  (else its plain-text file name without extension; every source whose name is used
  twice is identified by its guid). ``participant`` joins, with ``"; "``, the names of
  the cases that refer to the source, in the order of ``<Cases>``. ``kind`` is the
  value of a source variable named ``kind``, else "". ``text`` is the exported plain
  text, decoded from UTF-8 (or UTF-16 with its BOM), **BOM removed, line ends kept as
  they are**: a CRLF stays two code points, exactly as NVivo counts it, so offsets
  never need rewriting around line ends.
* **Segments** are the ``PlainTextSelection`` elements: ``start``/``end`` are code
  points into the document text (``text[start:end]`` is the selection), and the id is
  ``"<document>@<start>-<end>"`` as in :func:`peerstudy.coding.apply_coding_sheets`, so
  two coders' selections of the same span are one segment (the unit of agreement).
  The segment's participant is the case that refers to the selection (``SelectionRef``)
  if any, else the document's.
* **Codings**: one row per ``Coding``; ``unit`` is the selection's guid, ``coder`` the
  name of the creating user (``Coding@creatingUser``, else the selection's; the guid
  when the user is not listed; "unknown" when no user is named), ``round`` 1, ``note``
  the text of the notes the coding and its selection refer to (and the selection's
  ``Description``), ``sheet`` the file and ``row`` the XML line of the ``Coding``.
  A ``Coding`` directly under a ``TextSource`` codes the whole text (unit = source
  guid).
* What is not imported is listed in ``skipped`` with the reason: non-text sources
  (PDF, picture, audio, video) and their codings, sources without plain text (or with
  it outside the archive, ``relative://`` to the project's ``basePath``), blank
  exported texts (NVivo for Mac writes one-byte texts: the source is imported, and
  selections that cannot be located in it are skipped rather than refused), empty
  selections, notes not attached to a coding (memos).

Offsets: UTF-16 units or code points
------------------------------------
NVivo counts ``startPosition``/``endPosition`` in UTF-16 code units (an emoji counts
two); other programs count code points. Both agree unless a text holds a character
outside the Basic Multilingual Plane (emoji, rare CJK, mathematical letters). With
``offsets="auto"`` the reading is chosen once per file:

1. no text with such a character: code points (both readings give the same spans);
2. otherwise, if every selection is valid under one reading only, that reading.
   A selection is invalid as UTF-16 units when a boundary falls between the two
   halves of a surrogate pair or beyond the text's UTF-16 length; invalid as code
   points when it ends beyond the text;
3. if both readings fit: UTF-16 units when the file's ``origin`` names NVivo, else
   code points (what every other program writes).

``offsets="utf16"`` or ``"codepoints"`` declares the reading instead. The reading used
and why are in :attr:`RefiProject.offsets` and :meth:`RefiProject.summary`.

Safety
------
XML is parsed with :mod:`defusedxml`: entity declarations (billion laughs) and external
entities or DTDs (XXE) are refused. A ``.qdpx`` is refused, before anything is read,
when it has more than :data:`MAX_ARCHIVE_MEMBERS` members, declares more than
:data:`MAX_ARCHIVE_BYTES` uncompressed, holds a member whose name is absolute or
climbs out with ``..`` (zip slip), or a member over 1 MiB that would inflate more than
:data:`MAX_COMPRESSION_RATIO` times (zip bomb); no member larger than
:data:`MAX_MEMBER_BYTES` is ever read. Nothing is extracted to disk.

Writing
-------
:func:`write_qdc` and :func:`write_qdpx` write files that validate against the
REFI-QDA Codebook and Project schemas (``tests/schemas/``), deterministically: guids are
:func:`refi_guid` of the ids (an id that already is a guid is kept), zip members are
sorted and stamped 1980-01-01, codings are written in the order the reader returns
them, and the file is written to a temporary name and renamed. Offsets are written as
code points; texts as UTF-8 in ``sources/``. Tables read from any REFI file come back
unchanged from ``read_refi(write_qdpx(...))`` (codings' ``sheet`` and ``row`` name the
new file); codebooks come back in tree order (parents before their children); users
who made no coding are not written. Tables from coder sheets keep everything but
``unit`` (it becomes the selection's guid), ``sheet`` and ``row``; read with
``codebook=`` to get the code ids back.

Examples
--------
Two coders' NVivo project, read against the codebook its codes came from:

>>> from peerstudy.codebook import read_codebook
>>> book = read_codebook("tests/fixtures/mini-interviews/codebook.yaml")
>>> project = read_refi("tests/fixtures/qdpx/two_coders.qdpx", codebook=book)
>>> project.codings[["segment", "code", "coder"]].head(4).values.tolist()
[['I01@0-45', 'S2', 'Ann'], ['I01@0-45', 'S2', 'Ben'], ['I01@46-90', 'S1', 'Ann'], ['I01@46-90', 'S1', 'Ben']]
>>> project.segments.loc[0, "text"]
'At first I had doubts about a peer colleague.'
"""

from __future__ import annotations

import codecs
import datetime as _dt
import os
import re
import uuid
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import defusedxml
import defusedxml.ElementTree as DET
import pandas as pd
import xml.etree.ElementTree as ET

from peerstudy.coding import Coded
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem

__all__ = [
    "RefiProject",
    "read_refi",
    "write_qdc",
    "write_qdpx",
    "coded_from_refi",
    "apply_refi",
    "refi_guid",
    "OFFSET_READINGS",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_ARCHIVE_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_COMPRESSION_RATIO",
    "GUID_NAMESPACE",
]

#: An archive with more members than this is refused (real projects hold a few hundred).
MAX_ARCHIVE_MEMBERS = 10_000
#: An archive whose members declare more uncompressed bytes than this (4 GiB) is refused.
MAX_ARCHIVE_BYTES = 4 * 2**30
#: No single member (``project.qde``, a plain-text source, a ``.qdc``) larger than this is read.
MAX_MEMBER_BYTES = 256 * 2**20
#: A member over 1 MiB that inflates more than this many times its stored size is a zip bomb.
MAX_COMPRESSION_RATIO = 100
_RATIO_FROM_BYTES = 2**20

#: Values of the ``offsets`` parameter of :func:`read_refi`.
OFFSET_READINGS = ("auto", "utf16", "codepoints")

#: Namespace of the name-based (version 5) guids the writer derives from ids.
GUID_NAMESPACE = uuid.UUID("5b0f1d1e-8c55-4f5e-9a57-70ee25747564")

_PROJECT_NS = "urn:QDA-XML:project:1.0"
_CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_LINE = "{peerstudy}line"
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SOURCE_KINDS = {"TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource"}
_SELECTION_KINDS = ("PlainTextSelection", "PDFSelection", "PictureSelection", "AudioSelection",
                    "VideoSelection", "TranscriptSelection")
_VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_SEGMENT_COLUMNS = ["segment", "document", "participant", "start", "end", "text"]
_CODING_COLUMNS = ["segment", "unit", "code", "coder", "round", "note", "sheet", "row"]
_SELECTION_COLUMNS = ["selection", "segment", "document", "start", "end", "name", "line"]
_SKIPPED_COLUMNS = ["kind", "guid", "name", "line", "reason"]
_USER_COLUMNS = ["user", "name", "id", "coder"]
_SET_COLUMNS = ["set", "guid", "kind", "member"]


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------


@dataclass
class RefiProject:
    """A REFI-QDA project or codebook as the project's tables.

    Attributes
    ----------
    codebook, participants, documents, segments, codings
        The tables described in the module docstring.
    users
        ``user`` (guid), ``name``, ``id`` and ``coder`` (the name used in ``codings``).
    selections
        One row per imported selection: ``selection`` (guid = the codings' ``unit``),
        ``segment``, ``document``, ``start``, ``end`` (code points), ``name``, ``line``.
    sets
        ``set`` (name), ``guid``, ``kind`` (code, source or note), ``member`` (code id,
        document id, or the guid of a member that was not imported).
    skipped
        What was not imported: ``kind``, ``guid``, ``name``, ``line``, ``reason``.
    file
        The file read, relative to the project root.
    origin
        The ``origin`` attribute (the program that wrote the file).
    offsets
        ``"utf16"`` or ``"codepoints"``: how selection offsets were read.
    offsets_reason
        Why (see the module docstring).
    """

    codebook: pd.DataFrame
    participants: pd.DataFrame
    documents: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    users: pd.DataFrame
    selections: pd.DataFrame
    sets: pd.DataFrame
    skipped: pd.DataFrame
    file: str = ""
    origin: str = ""
    offsets: str = "codepoints"
    offsets_reason: str = ""

    def summary(self) -> pd.DataFrame:
        """What was imported, for a report section: ``item``, ``count``, ``detail``.

        Examples
        --------
        >>> s = read_refi("tests/fixtures/qdpx/two_coders.qdpx").summary()
        >>> s.set_index("item")["count"].to_dict()
        {'text sources': 2, 'codes': 7, 'users': 2, 'cases': 2, 'selections': 8, 'segments': 4, 'codings': 8, 'skipped': 0}
        """
        book, cod = self.codebook, self.codings
        multi = int((cod.groupby("unit").size() >= 2).sum()) if len(cod) else 0
        depth = int(book["depth"].max()) + 1 if len(book) else 0
        grouping = int((~book["codable"]).sum()) if len(book) else 0
        kinds = self.skipped["kind"].value_counts() if len(self.skipped) else pd.Series(dtype="int64")
        rows = [
            ("text sources", len(self.documents), f"origin: {self.origin or 'not stated'}"),
            ("codes", len(book), f"{depth} levels; {grouping} grouping (not codable)"),
            ("users", len(self.users), ", ".join(self.users["coder"].astype(str))),
            ("cases", len(self.participants), f"{max(self.participants.shape[1] - 1, 0)} variables"),
            ("selections", len(self.selections), f"offsets read as {self.offsets}: {self.offsets_reason}"),
            ("segments", len(self.segments), "distinct spans (selections of the same text are one segment)"),
            ("codings", len(cod), f"{multi} selections carry two or more codings"),
            ("skipped", len(self.skipped), "; ".join(f"{n} {k}" for k, n in kinds.items()) or "nothing"),
        ]
        return pd.DataFrame(rows, columns=["item", "count", "detail"]).astype({"count": "int64"})


def coded_from_refi(project: RefiProject, coders: Iterable[str] | None = None) -> Coded:
    """The segments and codings of a REFI project as :class:`peerstudy.coding.Coded`, so
    agreement, reconciliation and code counts run on them as on coder sheets.

    Parameters
    ----------
    project
        From :func:`read_refi`.
    coders
        Keep only these coders' codings (default: all).

    Examples
    --------
    >>> coded = coded_from_refi(read_refi("tests/fixtures/qdpx/two_coders.qdpx"))
    >>> sorted(coded.codings["coder"].unique()), len(coded.segments)
    (['Ann', 'Ben'], 4)
    """
    codings = project.codings
    if coders is not None:
        wanted = list(coders)
        unknown = [c for c in wanted if c not in set(codings["coder"])]
        if unknown:
            raise ConfigError(Problem(field="coders", expected=f"coders of {project.file or 'the project'}",
                                      found=repr(unknown), fix=f"use some of {sorted(set(codings['coder']))}"))
        codings = codings[codings["coder"].isin(wanted)]
    return Coded(segments=project.segments.copy(), codings=codings.reset_index(drop=True).copy())


def apply_refi(path: str | os.PathLike[str], documents: pd.DataFrame, codebook: pd.DataFrame, *,
               turns: pd.DataFrame | None = None) -> Coded:
    """The codings of a REFI-QDA project, laid onto a study's cleaned documents.

    Every text source of the project must be one of ``documents`` with exactly the same
    (de-identified) text, so that offsets mean the same thing; every code must be in
    ``codebook`` (match by id through :func:`refi_guid`, as :func:`write_qdc` writes
    them). Segments are attributed to the speaker of their turn, as coder sheets are.
    The result's ``imported`` is the project's summary (sources, codes, users,
    selections, codings, and what was skipped with the reason).
    """
    from peerstudy.coding import attribute_segments

    project = read_refi(path, codebook=codebook)
    shown = project.file or relative_to_root(Path(path))
    problems: list[Problem] = []
    texts = documents.set_index("document")["text"]
    for doc in project.documents.itertuples():
        if doc.document not in texts.index:
            problems.append(Problem(file=shown, field="TextSource", expected="a document of the study's cleaned data",
                                    found=repr(doc.document), fix="export the project from the study's documents"))
        elif doc.text != texts[doc.document]:
            at = next((i for i, (a, b) in enumerate(zip(doc.text, texts[doc.document])) if a != b),
                      min(len(doc.text), len(texts[doc.document])))
            problems.append(Problem(file=shown, field="TextSource", expected=f"the cleaned text of {doc.document!r}",
                                    found=f"a different text (first difference at character {at})",
                                    fix="code the de-identified texts the pipeline wrote, not another version"))
    unknown = sorted(set(project.codings["code"]) - set(codebook.index))
    if unknown:
        problems.append(Problem(file=shown, field="CodeRef", expected="codes of the study's codebook",
                                found=", ".join(map(repr, unknown[:10])), fix="add them to the codebook, or recode"))
    if problems:
        raise InputError(problems)
    segments, more = attribute_segments(project.segments, documents, turns, file=shown)
    if more:
        raise InputError(more)
    skipped = pd.DataFrame({"item": [f"skipped {k}: {n or g}" for k, n, g in
                                     zip(project.skipped["kind"], project.skipped["name"], project.skipped["guid"])],
                            "count": 1, "detail": project.skipped["reason"]})
    imported = pd.concat([project.summary(), skipped], ignore_index=True).astype({"count": "int64"})
    return Coded(segments=segments, codings=project.codings.copy(), imported=imported)


def refi_guid(kind: str, ident: Any) -> str:
    """The guid the writer gives an id: the id itself if it is a guid, else a
    name-based uuid5 of ``kind`` and the id (stable across runs and machines).

    Examples
    --------
    >>> refi_guid("code", "S1") == refi_guid("code", "S1") != refi_guid("user", "S1")
    True
    >>> refi_guid("code", "0D62985D-B147-5D01-A9B5-CAE5DCD98342")
    '0D62985D-B147-5D01-A9B5-CAE5DCD98342'
    """
    text = str(ident)
    if _GUID.match(text):
        return text
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{text}"))


# ---------------------------------------------------------------------------
# XML parsing with line numbers
# ---------------------------------------------------------------------------


class _LineTarget:
    """Tree builder that drops namespaces from tags and records each element's line."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.parser: Any = None
        self.namespaces: list[str] = []

    @staticmethod
    def _split(tag: str) -> tuple[str, str]:
        if tag.startswith("{"):
            ns, _, local = tag[1:].partition("}")
            return ns, local
        return "", tag

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        ns, local = self._split(tag)
        if ns not in self.namespaces:
            self.namespaces.append(ns)
        attrib = dict(attrib)
        attrib[_LINE] = str(self.parser.parser.CurrentLineNumber)
        return self.builder.start(local, attrib)

    def end(self, tag: str) -> ET.Element:
        return self.builder.end(self._split(tag)[1])

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def _parse_xml(data: bytes, where: str) -> tuple[ET.Element, list[str]]:
    """Parse XML safely; every failure is one InputError naming the file and the line."""
    target = _LineTarget()
    parser = DET.DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    target.parser = parser
    fix_damaged = "the file is truncated or damaged: export it again from the QDA program"
    try:
        parser.feed(data)
        root = parser.close()
    except defusedxml.EntitiesForbidden as exc:
        line = parser.parser.CurrentLineNumber
        what = (f"an external entity {exc.name!r} (SYSTEM {exc.sysid!r})" if exc.sysid
                else f"an entity declaration {exc.name!r}")
        raise InputError(Problem(file=where, row=line, expected="REFI-QDA XML without entity declarations",
                                 found=f"{what}; entities are refused because they can read local files "
                                       "or expand to gigabytes (XXE, billion laughs)",
                                 fix="do not open this file; ask for a fresh export")) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden) as exc:
        raise InputError(Problem(file=where, row=parser.parser.CurrentLineNumber,
                                 expected="REFI-QDA XML without external references",
                                 found=f"{type(exc).__name__} ({exc}); external references are refused (XXE)",
                                 fix="do not open this file; ask for a fresh export")) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        message = str(exc).rsplit(": line", 1)[0]
        raise InputError(Problem(file=where, row=line, expected="well-formed XML",
                                 found=f"{message!r} at column {column}", fix=fix_damaged)) from None
    return root, target.namespaces


def _line(el: ET.Element) -> int:
    return int(el.get(_LINE, "0"))


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if c.tag == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if c.tag == name:
            return c
    return None


def _key(guid: str | None) -> str:
    """Guids compare case-insensitively and with or without braces."""
    return (guid or "").strip().strip("{}").lower()


# ---------------------------------------------------------------------------
# Archive access
# ---------------------------------------------------------------------------


def _unsafe_member(name: str) -> bool:
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or ".." in parts or "\x00" in name


class _Archive:
    """A .qdpx opened for reading, checked before any member is read."""

    def __init__(self, path: Path, shown: str):
        self.shown = shown
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(Problem(file=shown, expected="a REFI-QDA project (.qdpx: a zip archive)",
                                     found=f"a file that is not a readable zip archive ({exc})",
                                     fix="the file is truncated or damaged: export the project again")) from None
        try:
            self._check()
        except InputError:
            self.zf.close()
            raise
        self.members = {i.filename: i for i in self.zf.infolist() if not i.is_dir()}
        self.folded: dict[str, list[str]] = {}
        for name in self.members:
            self.folded.setdefault(name.replace("\\", "/").lower(), []).append(name)

    def _check(self) -> None:
        infos = self.zf.infolist()
        shown = self.shown
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise InputError(Problem(file=shown, expected=f"an archive of at most {MAX_ARCHIVE_MEMBERS} members",
                                     found=f"{len(infos)} members",
                                     fix="check the file; raise peerstudy.refi.MAX_ARCHIVE_MEMBERS deliberately "
                                         "if a project really is that large"))
        total = sum(i.file_size for i in infos)
        if total > MAX_ARCHIVE_BYTES:
            raise InputError(Problem(file=shown, expected=f"an archive of at most {MAX_ARCHIVE_BYTES // 2**30} GiB "
                                                          "uncompressed",
                                     found=f"{total / 2**30:.1f} GiB declared uncompressed (a zip bomb?)",
                                     fix="do not open this file; or raise peerstudy.refi.MAX_ARCHIVE_BYTES "
                                         "deliberately"))
        unsafe = [i.filename for i in infos if _unsafe_member(i.filename)]
        if unsafe:
            raise InputError(Problem(file=shown, field="member names",
                                     expected="paths inside the archive (no leading '/', drive letter or '..')",
                                     found=f"{', '.join(map(repr, unsafe[:5]))} (zip slip: a path that escapes "
                                           "the folder it is extracted to)",
                                     fix="do not open or extract this file; ask for a fresh export"))
        for i in infos:
            if i.file_size > _RATIO_FROM_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
                raise InputError(Problem(file=shown, field=i.filename,
                                         expected=f"a member that inflates at most {MAX_COMPRESSION_RATIO} times",
                                         found=f"{i.compress_size} bytes that inflate to {i.file_size} bytes "
                                               f"({i.file_size // max(i.compress_size, 1)} times: a zip bomb)",
                                         fix="do not open this file; ask for a fresh export"))

    def find(self, *candidates: str) -> str | None:
        """The member named by the first candidate found (exact, then ignoring case)."""
        for cand in candidates:
            if cand in self.members:
                return cand
        for cand in candidates:
            hits = self.folded.get(cand.replace("\\", "/").lower(), [])
            if len(hits) == 1:
                return hits[0]
        return None

    def project_member(self) -> str:
        names = [n for n in self.members if "/" not in n.replace("\\", "/") and n.lower().endswith(".qde")]
        if "project.qde" in names:
            return "project.qde"
        if len(names) == 1:
            return names[0]
        raise InputError(Problem(file=self.shown, field="project.qde",
                                 expected="a REFI-QDA project archive holding project.qde",
                                 found=f"{'no' if not names else len(names)} .qde file at the top "
                                       f"(members: {', '.join(sorted(self.members)[:5])}…)",
                                 fix="export the project again as REFI-QDA (.qdpx)"))

    def read(self, name: str) -> bytes:
        info = self.members[name]
        where = f"{self.shown} [{name}]"
        if info.file_size > MAX_MEMBER_BYTES:
            raise InputError(Problem(file=where, expected=f"a member of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                                     found=f"{info.file_size / 2**20:.0f} MiB uncompressed",
                                     fix="raise peerstudy.refi.MAX_MEMBER_BYTES deliberately if the text is real"))
        try:
            with self.zf.open(info) as fh:
                data = fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise InputError(Problem(file=where, expected="a readable archive member",
                                     found=f"an unreadable member ({exc})",
                                     fix="the file is truncated or damaged: export the project again")) from None
        if len(data) > MAX_MEMBER_BYTES:
            raise InputError(Problem(file=where, expected=f"a member of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                                     found="more data than the archive declared", fix="do not open this file"))
        return data

    def close(self) -> None:
        self.zf.close()


def _decode_text(data: bytes, where: str) -> str:
    """Plain text of a source: UTF-8 (BOM optional) or UTF-16 with a BOM; one BOM removed,
    line ends kept."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(Problem(file=where, row=line, expected=f"plain text encoded as {encoding.upper()}",
                                 found=f"byte {body[exc.start:exc.start + 1]!r} that is not valid {encoding.upper()}",
                                 fix="export the project again; REFI-QDA plain text is UTF-8")) from None
    return text


# ---------------------------------------------------------------------------
# Offsets
# ---------------------------------------------------------------------------


class _Offsets:
    """Maps UTF-16 offsets of one text to code points."""

    def __init__(self, text: str):
        self.length = len(text)
        self.astral = bool(_ASTRAL.search(text))
        if self.astral:
            cum, u = [0], 0
            for ch in text:
                u += 2 if ord(ch) > 0xFFFF else 1
                cum.append(u)
            self.cum = cum
            self.length16 = u
        else:
            self.cum = None
            self.length16 = self.length

    def codepoint(self, pos: int, reading: str) -> int | None:
        """Code-point offset of ``pos`` read as ``reading``; None if it is not a boundary of the text."""
        if reading == "codepoints" or self.cum is None:
            return pos if 0 <= pos <= self.length else None
        i = bisect_left(self.cum, pos)
        return i if 0 <= pos and i < len(self.cum) and self.cum[i] == pos else None


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def read_refi(path: str | os.PathLike[str], *, offsets: Literal["auto", "utf16", "codepoints"] = "auto",
              codebook: pd.DataFrame | None = None) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``, or a bare ``.qde``) or codebook (``.qdc``).

    Parameters
    ----------
    path
        The file, relative to the project root or absolute.
    offsets
        How ``startPosition``/``endPosition`` count: ``"auto"`` (detected, see the module
        docstring), ``"utf16"`` (UTF-16 code units, as NVivo) or ``"codepoints"``.
    codebook
        The project's codebook (:func:`peerstudy.codebook.read_codebook`): codes whose
        guid is :func:`refi_guid` of one of its codes get that code's id; others keep
        their guid.

    Returns
    -------
    RefiProject

    Raises
    ------
    InputError
        The file is missing, not REFI-QDA, malformed (with the XML line), unsafe (see
        the module docstring), or refers to codes, users or variables it does not
        define; every problem found is reported at once.
    ConfigError
        ``offsets`` is not one of :data:`OFFSET_READINGS`.

    Examples
    --------
    NVivo for Windows: a BOM, CRLF line ends, emoji before the selections, offsets in
    UTF-16 units:

    >>> project = read_refi("tests/fixtures/qdpx/nvivo_crlf_emoji.qdpx")
    >>> project.offsets
    'utf16'
    >>> project.segments["text"].tolist()[:2]
    ['At first I had doubts 🤔 about a peer colleague.', 'about a peer colleague.\\r\\nAnn: Over the months']
    >>> text = project.documents.set_index("document").at["I01", "text"]
    >>> all(text[s.start:s.end] == s.text for s in project.segments.itertuples() if s.document == "I01")
    True
    """
    if offsets not in OFFSET_READINGS:
        raise ConfigError(Problem(field="offsets", expected=" or ".join(map(repr, OFFSET_READINGS)),
                                  found=repr(offsets), fix="use 'auto' unless you know how the program counts"))
    p = resolve_input(path)
    shown = relative_to_root(p)
    suffix = p.suffix.lower()
    if suffix not in (".qdpx", ".qdc", ".qde"):
        raise InputError(Problem(file=shown, expected="a REFI-QDA file ending in .qdpx, .qdc or .qde",
                                 found=repr(p.suffix or p.name), fix="export the project as REFI-QDA"))
    if not p.is_file():
        raise InputError(Problem(file=shown, expected="a REFI-QDA file", found="no such file",
                                 fix="check the path, or add the file"))
    archive: _Archive | None = None
    try:
        if suffix == ".qdpx":
            archive = _Archive(p, shown)
            member = archive.project_member()
            where = f"{shown} [{member}]"
            data = archive.read(member)
        else:
            where = shown
            if p.stat().st_size > MAX_MEMBER_BYTES:
                raise InputError(Problem(file=shown, expected=f"a file of at most {MAX_MEMBER_BYTES // 2**20} MiB",
                                         found=f"{p.stat().st_size / 2**20:.0f} MiB"))
            data = p.read_bytes()
        root, namespaces = _parse_xml(data, where)
        expected_root = "CodeBook" if suffix == ".qdc" else "Project"
        ns = namespaces[0] if namespaces else ""
        if root.tag != expected_root or (ns and not ns.startswith("urn:QDA-XML:")):
            raise InputError(Problem(file=where, row=_line(root), expected=f"a REFI-QDA <{expected_root}> "
                                                                          "(namespace urn:QDA-XML:…)",
                                     found=f"<{root.tag}> in namespace {ns!r}",
                                     fix="check that this is a REFI-QDA export"))
        return _Reader(root, where=where, shown=shown, archive=archive, offsets=offsets,
                       codebook=codebook).run()
    finally:
        if archive is not None:
            archive.close()


@dataclass
class _Selection:
    guid: str
    name: str
    start: int
    end: int
    line: int
    codings: list[dict]
    notes: list[str]
    whole: bool = False


@dataclass
class _Source:
    guid: str
    name: str
    path_name: str
    line: int
    text: str
    selections: list[_Selection]
    values: dict[str, Any] = field(default_factory=dict)
    document: str = ""


class _Reader:
    def __init__(self, root: ET.Element, *, where: str, shown: str, archive: _Archive | None, offsets: str,
                 codebook: pd.DataFrame | None):
        self.root, self.where, self.shown, self.archive = root, where, shown, archive
        self.offsets = offsets
        self.known_codes = {_key(refi_guid("code", c)): str(c) for c in codebook.index} if codebook is not None else {}
        self.problems: list[Problem] = []
        self.skipped: list[dict] = []
        self.origin = root.get("origin", "")
        self.source_variables: set[str] = set()

    def problem(self, el: ET.Element | None, field: str, expected: str, found: str, fix: str = "") -> None:
        self.problems.append(Problem(file=self.where, row=_line(el) if el is not None else None, field=field,
                                     expected=expected, found=found, fix=fix))

    def skip(self, kind: str, el: ET.Element | None, reason: str, guid: str = "", name: str = "") -> None:
        self.skipped.append({"kind": kind, "guid": guid or (el.get("guid", "") if el is not None else ""),
                             "name": name or (el.get("name", "") if el is not None else ""),
                             "line": _line(el) if el is not None else 0, "reason": reason})

    def raise_problems(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    # -- parts -------------------------------------------------------------------------------------

    def run(self) -> RefiProject:
        root = self.root
        users = self.read_users(_kid(root, "Users"))
        codes_parent = root if root.tag == "CodeBook" else _kid(root, "CodeBook")
        book = self.read_codes(_kid(codes_parent, "Codes") if codes_parent is not None else None)
        variables = self.read_variables(_kid(root, "Variables"))
        notes = self.read_notes(_kid(root, "Notes"))
        sources = self.read_sources(_kid(root, "Sources"), variables)
        cases = self.read_cases(_kid(root, "Cases"), variables)
        self.raise_problems()
        reading, reason = self.choose_offsets(sources)
        self.name_documents(sources)
        selections, segments, codings = self.build_segments(sources, cases, users, book, notes, reading)
        sets = self.read_sets(root, book, sources, codes_parent)
        for guid, (text, el, used) in notes.items():
            if not used:
                self.skip("note", el, "a memo not attached to a coding (only coding notes are imported)")
        self.raise_problems()
        return RefiProject(
            codebook=self.codebook_frame(book),
            participants=self.participants_frame(cases, variables),
            documents=self.documents_frame(sources, cases, variables),
            segments=segments, codings=codings, users=self.users_frame(users),
            selections=selections, sets=sets,
            skipped=pd.DataFrame(self.skipped, columns=_SKIPPED_COLUMNS).astype({"line": "int64"}),
            file=self.shown, origin=self.origin, offsets=reading, offsets_reason=reason)

    def read_users(self, el: ET.Element | None) -> dict[str, dict]:
        users: dict[str, dict] = {}
        for u in _kids(el, "User") if el is not None else []:
            guid = u.get("guid", "")
            if not guid:
                self.problem(u, "guid", "a guid on every <User>", "none")
                continue
            name = u.get("name", "") or ""
            users[_key(guid)] = {"user": guid, "name": name, "id": u.get("id", "") or "",
                                 "coder": name if name.strip() else guid}
        return users

    def read_codes(self, codes: ET.Element | None) -> list[dict]:
        rows: list[dict] = []
        self.code_ids: dict[str, str] = {}

        def walk(el: ET.Element, parent: str | None, depth: int, root_id: str | None) -> None:
            guid, name = el.get("guid", ""), el.get("name")
            if not guid:
                self.problem(el, "guid", "a guid on every <Code>", "none", "export the codebook again")
                return
            if _key(guid) in self.code_ids:
                self.problem(el, "guid", "a guid used by one code only", f"{guid!r} again")
                return
            if name is None:
                self.problem(el, "name", "a name on every <Code> (required by REFI-QDA)", "none")
            code = self.known_codes.get(_key(guid), guid)
            self.code_ids[_key(guid)] = code
            codable = el.get("isCodable", "true").strip().lower() not in ("false", "0")
            desc = _kid(el, "Description")
            rows.append({"code": code, "label": name or "", "definition": (desc.text or "") if desc is not None else "",
                         "parent": parent, "depth": depth, "root": root_id or code, "codable": codable,
                         "guid": guid})
            for child in _kids(el, "Code"):
                walk(child, code, depth + 1, root_id or code)

        for top in _kids(codes, "Code") if codes is not None else []:
            walk(top, None, 0, None)
        return rows

    def read_variables(self, el: ET.Element | None) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for v in _kids(el, "Variable") if el is not None else []:
            kind = v.get("typeOfVariable", "")
            if kind not in _VARIABLE_TYPES:
                self.problem(v, "typeOfVariable", f"one of {', '.join(_VARIABLE_TYPES)}", repr(kind))
                continue
            out[_key(v.get("guid"))] = {"name": v.get("name", "") or v.get("guid", ""), "type": kind,
                                        "order": len(out)}
        return out

    def read_values(self, owner: ET.Element, variables: dict[str, dict]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for vv in _kids(owner, "VariableValue"):
            ref = _kid(vv, "VariableRef")
            var = variables.get(_key(ref.get("targetGUID") if ref is not None else None))
            if var is None:
                self.problem(vv, "VariableRef", "a reference to a variable defined in <Variables>",
                             repr(ref.get("targetGUID") if ref is not None else None))
                continue
            holder = next((c for c in vv if c.tag.endswith("Value")), None)
            if holder is None:
                continue
            raw = holder.text or ""
            try:
                value = _parse_value(raw, var["type"])
            except ValueError:
                self.problem(holder, var["name"], f"a {var['type']} value", repr(raw),
                             "correct the value in the QDA program and export again")
                continue
            if value is not None:
                values[_key(ref.get("targetGUID"))] = value
        return values

    def read_notes(self, el: ET.Element | None) -> dict[str, tuple[str, ET.Element, bool]]:
        notes: dict[str, tuple[str, ET.Element, bool]] = {}
        for n in _kids(el, "Note") if el is not None else []:
            text = self.plain_text(n, "note")
            notes[_key(n.get("guid"))] = (text or "", n, False)
        self.notes = notes
        return notes

    def note_texts(self, el: ET.Element) -> list[str]:
        out = []
        for ref in _kids(el, "NoteRef"):
            k = _key(ref.get("targetGUID"))
            if k in self.notes:
                text, n, _ = self.notes[k]
                self.notes[k] = (text, n, True)
                out.append(text)
        return out

    def plain_text(self, el: ET.Element, kind: str) -> str | None:
        """Inline PlainTextContent, or the archive member plainTextPath names; None (and a
        skipped entry) when there is no text to read."""
        content = _kid(el, "PlainTextContent")
        if content is not None:
            return content.text or ""
        raw = (el.get("plainTextPath") or "").strip()
        if not raw:
            self.skip(kind, el, "no plain text (PlainTextContent or plainTextPath): only rich text was exported")
            return None
        scheme, sep, rest = raw.partition("://")
        if not sep:
            scheme, rest = "", raw
        rest = rest.replace("\\", "/")
        if scheme not in ("", "internal", "relative"):
            self.skip(kind, el, f"plain text outside the archive ({raw!r}): not read")
            return None
        if _unsafe_member(rest):
            if scheme == "relative":
                self.skip(kind, el, f"plain text outside the archive ({raw!r}, relative to the project's basePath): "
                                    "not read")
            else:
                self.problem(el, "plainTextPath", "a path inside the archive", f"{raw!r} (leaves the archive folder)",
                             "do not open this file; ask for a fresh export")
            return None
        if self.archive is None:
            self.skip(kind, el, f"plain text in a separate file ({raw!r}): read the .qdpx instead of the .qde")
            return None
        member = self.archive.find(f"sources/{rest}") if scheme == "internal" else \
            self.archive.find(f"sources/{rest}", rest)
        if member is None:
            if scheme == "relative":
                self.skip(kind, el, f"plain text outside the archive ({raw!r}, relative to the project's basePath): "
                                    "not read")
            else:
                self.problem(el, "plainTextPath", "a file in the archive's sources folder",
                             f"{raw!r}, which the archive does not hold", "export the project again with its sources")
            return None
        return _decode_text(self.archive.read(member), f"{self.shown} [{member}]")

    def read_sources(self, el: ET.Element | None, variables: dict[str, dict]) -> list[_Source]:
        sources: list[_Source] = []
        for src in list(el) if el is not None else []:
            if src.tag not in _SOURCE_KINDS:
                continue
            if src.tag != "TextSource":
                n_sel = sum(len(_kids(src, k)) for k in _SELECTION_KINDS)
                n_cod = sum(1 for c in src.iter("Coding"))
                self.skip("source", src, f"{src.tag} with {n_sel} selections and {n_cod} codings: "
                                         "only text sources are imported")
                continue
            text = self.plain_text(src, "source")
            if text is None:
                n_cod = sum(1 for c in src.iter("Coding"))
                if n_cod:
                    self.skip("codings", src, f"{n_cod} codings of a source without plain text")
                continue
            path_name = PurePosixPath((src.get("plainTextPath") or "").partition("://")[2]
                                      or src.get("plainTextPath") or "").stem
            source = _Source(guid=src.get("guid", ""), name=src.get("name") or "", path_name=path_name,
                             line=_line(src), text=text, selections=[],
                             values=self.read_values(src, variables))
            self.source_variables.update(source.values)
            for sel in _kids(src, "PlainTextSelection"):
                start, end = sel.get("startPosition"), sel.get("endPosition")
                try:
                    s, e = int(start), int(end)
                except (TypeError, ValueError):
                    self.problem(sel, "startPosition, endPosition", "whole-number positions", f"{start!r}, {end!r}")
                    continue
                notes = self.note_texts(sel)
                desc = _kid(sel, "Description")
                if desc is not None and (desc.text or "").strip():
                    notes.append(desc.text or "")
                source.selections.append(_Selection(guid=sel.get("guid", ""), name=sel.get("name", "") or "",
                                                    start=s, end=e, line=_line(sel), notes=notes,
                                                    codings=self.read_codings(sel, sel.get("creatingUser"))))
            whole = [c for c in _kids(src, "Coding")]
            if whole:
                source.selections.append(_Selection(guid=source.guid, name="(whole source)", start=0, end=-1,
                                                    line=_line(src), notes=[], whole=True,
                                                    codings=self.read_codings(src, src.get("creatingUser"))))
            sources.append(source)
        return sources

    def read_codings(self, owner: ET.Element, default_user: str | None) -> list[dict]:
        out = []
        for c in _kids(owner, "Coding"):
            ref = _kid(c, "CodeRef")
            target = ref.get("targetGUID") if ref is not None else None
            if _key(target) not in self.code_ids:
                self.problem(c, "CodeRef", "a reference to a code of the codebook", repr(target),
                             "export the project again; the code may have been deleted")
                continue
            out.append({"code": self.code_ids[_key(target)], "user": c.get("creatingUser") or default_user,
                        "line": _line(c), "notes": self.note_texts(c)})
        return out

    def read_cases(self, el: ET.Element | None, variables: dict[str, dict]) -> list[dict]:
        cases = []
        for case in _kids(el, "Case") if el is not None else []:
            cases.append({"guid": case.get("guid", ""), "name": case.get("name") or case.get("guid", ""),
                          "values": self.read_values(case, variables),
                          "sources": {_key(r.get("targetGUID")) for r in _kids(case, "SourceRef")},
                          "selections": {_key(r.get("targetGUID")) for r in _kids(case, "SelectionRef")}})
        return cases

    def read_sets(self, root: ET.Element, book: list[dict], sources: list[_Source],
                  codes_parent: ET.Element | None) -> pd.DataFrame:
        holder = _kid(root, "Sets")
        if holder is None and codes_parent is not None and codes_parent is not root:
            holder = _kid(codes_parent, "Sets")
        docs = {_key(s.guid): s.document for s in sources}
        rows = []
        for st in _kids(holder, "Set") if holder is not None else []:
            for m in st:
                kind = {"MemberCode": "code", "MemberSource": "source", "MemberNote": "note"}.get(m.tag)
                if kind is None:
                    continue
                target = m.get("targetGUID") or m.get("guid") or ""
                member = (self.code_ids.get(_key(target), target) if kind == "code"
                          else docs.get(_key(target), target) if kind == "source" else target)
                rows.append({"set": st.get("name", ""), "guid": st.get("guid", ""), "kind": kind, "member": member})
        return pd.DataFrame(rows, columns=_SET_COLUMNS)

    # -- offsets and segments ----------------------------------------------------------------------

    def choose_offsets(self, sources: list[_Source]) -> tuple[str, str]:
        maps = {}
        for s in sources:
            if s.selections:
                maps[s.guid] = _Offsets(s.text)
        self.maps = maps
        if self.offsets != "auto":
            return self.offsets, "declared by the caller"
        astral = [s for s in sources if s.guid in maps and maps[s.guid].astral]
        if not astral:
            return "codepoints", "no text holds a character beyond U+FFFF, so UTF-16 units and code points agree"

        def first_bad(reading: str) -> _Selection | None:
            for s in astral:
                m = maps[s.guid]
                for sel in s.selections:
                    if sel.whole:
                        continue
                    if m.codepoint(sel.start, reading) is None or m.codepoint(sel.end, reading) is None:
                        return sel
            return None

        bad16, bad_cp = first_bad("utf16"), first_bad("codepoints")
        nvivo = "nvivo" in self.origin.lower()
        if bad_cp is not None and bad16 is None:
            return "utf16", (f"read as code points, the selection at line {bad_cp.line} would end beyond its text")
        if bad16 is not None and bad_cp is None:
            return "codepoints", (f"read as UTF-16 units, the selection at line {bad16.line} would split a "
                                  "surrogate pair or end beyond its text")
        if nvivo:
            return "utf16", f"both readings fit; the origin ({self.origin}) counts UTF-16 units"
        return "codepoints", "both readings fit; programs other than NVivo count code points"

    def name_documents(self, sources: list[_Source]) -> None:
        wanted = [s.name if s.name.strip() else s.path_name or s.guid for s in sources]
        counts: dict[str, int] = {}
        for w in wanted:
            counts[w] = counts.get(w, 0) + 1
        for s, w in zip(sources, wanted):
            s.document = w if counts[w] == 1 else s.guid

    def build_segments(self, sources: list[_Source], cases: list[dict], users: dict[str, dict],
                       book: list[dict], notes: dict, reading: str):
        code_order = {r["code"]: i for i, r in enumerate(book)}
        case_of_selection: dict[str, list[str]] = {}
        for case in cases:
            for k in case["selections"]:
                case_of_selection.setdefault(k, []).append(case["name"])
        doc_participants = {_key(s.guid): "; ".join(c["name"] for c in cases if _key(s.guid) in c["sources"])
                            for s in sources}
        sel_rows, seg_rows, cod_rows = [], {}, []
        for doc_index, s in enumerate(sources):
            blank = not s.text.strip()
            m = self.maps.get(s.guid)
            if blank:
                self.skip("text", None, f"the exported plain text of {s.document!r} is blank ({len(s.text)} "
                                        "character(s)): the program may not have exported the text",
                          guid=s.guid, name=s.name)
                self.skipped[-1]["line"] = s.line
            for sel in s.selections:
                if sel.whole:
                    start, end = 0, len(s.text)
                else:
                    start = m.codepoint(sel.start, reading) if m else None
                    end = m.codepoint(sel.end, reading) if m else None
                    if (start is None or end is None) and blank:
                        self.skip("selection", None, f"the exported text of {s.document!r} is blank "
                                                     f"({len(s.text)} character(s)), so the selection cannot be "
                                                     "located: export again with the text",
                                  guid=sel.guid, name=sel.name)
                        self.skipped[-1]["line"] = sel.line
                        continue
                    if start is None or end is None or start > end:
                        length = m.length16 if (m and reading == "utf16") else len(s.text)
                        self.problems.append(Problem(
                            file=self.where, row=sel.line, field="startPosition, endPosition",
                            expected=f"0 <= start <= end <= {length} ({'UTF-16 units' if reading == 'utf16' else 'code points'}"
                                     f", the length of {s.document!r}) on character boundaries",
                            found=f"start {sel.start}, end {sel.end}",
                            fix="check offsets= ('utf16' for NVivo, 'codepoints' for others) or export again"))
                        continue
                    if start == end:
                        self.skip("selection", None, "an empty selection (start = end)", guid=sel.guid, name=sel.name)
                        self.skipped[-1]["line"] = sel.line
                        continue
                segment = f"{s.document}@{start}-{end}"
                sel_rows.append({"selection": sel.guid, "segment": segment, "document": s.document, "start": start,
                                 "end": end, "name": sel.name, "line": sel.line})
                if segment not in seg_rows:
                    seg_rows[segment] = {"segment": segment, "document": s.document,
                                         "participant": doc_participants[_key(s.guid)], "start": start, "end": end,
                                         "text": s.text[start:end], "_doc": doc_index, "_cases": []}
                for name in case_of_selection.get(_key(sel.guid), []):
                    if name not in seg_rows[segment]["_cases"]:
                        seg_rows[segment]["_cases"].append(name)
                for c in sel.codings:
                    user = users.get(_key(c["user"]))
                    coder = user["coder"] if user else (c["user"] or "unknown")
                    cod_rows.append({"segment": segment, "unit": sel.name or sel.guid, "code": c["code"], "coder": coder,
                                     "round": 1, "note": "\n\n".join(t for t in [*c["notes"], *sel.notes] if t),
                                     "sheet": self.shown, "row": c["line"],
                                     "_key": (doc_index, start, end, coder, code_order[c["code"]], sel.guid, c["line"])})
        seg_list = sorted(seg_rows.values(), key=lambda r: (r["_doc"], r["start"], r["end"]))
        case_order = {c["name"]: i for i, c in enumerate(cases)}
        for r in seg_list:
            if r["_cases"]:
                r["participant"] = "; ".join(sorted(r["_cases"], key=lambda n: case_order.get(n, 0)))
        segments = pd.DataFrame(seg_list, columns=_SEGMENT_COLUMNS).astype({"start": "int64", "end": "int64"})
        cod_rows.sort(key=lambda r: r["_key"])
        codings = pd.DataFrame(cod_rows, columns=_CODING_COLUMNS).astype({"round": "int64", "row": "int64"})
        selections = pd.DataFrame(sel_rows, columns=_SELECTION_COLUMNS).astype(
            {"start": "int64", "end": "int64", "line": "int64"})
        return selections, segments, codings

    # -- frames ------------------------------------------------------------------------------------

    def codebook_frame(self, book: list[dict]) -> pd.DataFrame:
        frame = pd.DataFrame(book, columns=["code", "label", "definition", "parent", "depth", "root", "codable"])
        frame["order"] = range(len(frame))
        frame = frame.set_index("code")
        return frame.astype({"label": "string", "definition": "string", "parent": "string", "root": "string",
                             "depth": "int64", "order": "int64", "codable": "bool"})[
            ["label", "definition", "parent", "depth", "root", "order", "codable"]]

    def users_frame(self, users: dict[str, dict]) -> pd.DataFrame:
        return pd.DataFrame(list(users.values()), columns=_USER_COLUMNS)

    def participants_frame(self, cases: list[dict], variables: dict[str, dict]) -> pd.DataFrame:
        keys = [k for k in variables if any(k in c["values"] for c in cases) or k not in self.source_variables]
        data: dict[str, Any] = {"participant": pd.array([c["name"] for c in cases], dtype="string")}
        for k in keys:
            data[_column_name(variables[k]["name"], data)] = _typed([c["values"].get(k) for c in cases],
                                                                   variables[k]["type"])
        return pd.DataFrame(data)

    def documents_frame(self, sources: list[_Source], cases: list[dict], variables: dict[str, dict]) -> pd.DataFrame:
        kind_key = next((k for k, v in variables.items() if v["name"] == "kind"), None)
        data: dict[str, Any] = {
            "document": pd.array([s.document for s in sources], dtype="string"),
            "participant": pd.array(["; ".join(c["name"] for c in cases if _key(s.guid) in c["sources"])
                                     for s in sources], dtype="string"),
            "kind": pd.array([str(s.values.get(kind_key, "")) if kind_key else "" for s in sources], dtype="string"),
            "text": pd.array([s.text for s in sources], dtype="string"),
        }
        for k in variables:
            if k != kind_key and k in self.source_variables:
                data[_column_name(variables[k]["name"], data)] = _typed([s.values.get(k) for s in sources],
                                                                       variables[k]["type"])
        return pd.DataFrame(data)



def _column_name(name: str, existing: Mapping[str, Any]) -> str:
    out, i = name, 2
    while out in existing:
        out, i = f"{name} ({i})", i + 1
    return out


def _parse_value(raw: str, kind: str) -> Any:
    """A variable value from its XML text; None for an empty non-text value."""
    text = raw.strip()
    if kind == "Text":
        return raw
    if not text:
        return None
    if kind == "Boolean":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ValueError(text)
    if kind == "Integer":
        return int(text)
    if kind == "Float":
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text)
        return value
    if kind == "Date":
        m = re.match(r"^(-?\d{4,}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$", text)
        if not m:
            raise ValueError(text)
        return _dt.date.fromisoformat(m.group(1))
    stamp = pd.Timestamp(text)
    if stamp is pd.NaT:
        raise ValueError(text)
    return stamp


def _typed(values: list[Any], kind: str) -> Any:
    """A column of one variable type (nullable)."""
    if kind == "Text":
        return pd.array(values, dtype="string")
    if kind == "Boolean":
        return pd.array(values, dtype="boolean")
    if kind == "Integer":
        return pd.array(values, dtype="Int64")
    if kind == "Float":
        return pd.array(values, dtype="Float64")
    if kind == "Date":
        import pyarrow as pa

        return pd.array(values, dtype=pd.ArrowDtype(pa.date32()))
    stamps = [v for v in values if v is not None]
    aware = {v.tzinfo is not None for v in stamps}
    if aware == {True}:
        return pd.array([v.tz_convert("UTC") if v is not None else pd.NaT for v in values],
                        dtype="datetime64[us, UTC]")
    if aware == {True, False}:
        raise InputError(Problem(field="DateTimeValue", expected="date-times all with or all without a time zone",
                                 found="a mixture", fix="export the variable again"))
    return pd.array([v if v is not None else pd.NaT for v in values], dtype="datetime64[us]")


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _esc_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _esc_attr(s: str) -> str:
    return (_esc_text(s).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


_Node = tuple  # (tag, attrs: list[tuple[str, str]], children: list[_Node], text: str | None)


def _serialise(node: _Node, depth: int, out: list[str]) -> None:
    tag, attrs, children, text = node
    pad = "  " * depth
    head = tag + "".join(f' {k}="{_esc_attr(v)}"' for k, v in attrs)
    if text is not None:
        out.append(f"{pad}<{head}>{_esc_text(text)}</{tag}>")
    elif not children:
        out.append(f"{pad}<{head}/>")
    else:
        out.append(f"{pad}<{head}>")
        for child in children:
            _serialise(child, depth + 1, out)
        out.append(f"{pad}</{tag}>")


def _xml_bytes(root: _Node) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _serialise(root, 0, out)
    return ("\n".join(out) + "\n").encode("utf-8")


def _check_xml_text(value: str, what: str, problems: list[Problem]) -> None:
    bad = _NOT_XML.search(value)
    if bad:
        problems.append(Problem(field=what, expected="text XML can hold (no control characters or lone surrogates)",
                                found=f"{bad.group()!r} in {value[:40]!r}", fix="remove the character"))


def _code_nodes(codebook: pd.DataFrame, problems: list[Problem], visited: list[str] | None = None) -> list[_Node]:
    """Nested <Code> elements in tree order (children in codebook order); ``visited``
    receives the code ids in that order (the order the reader gives them)."""
    visited = [] if visited is None else visited
    missing = [c for c in ("label", "parent") if c not in codebook]
    if missing:
        problems.append(Problem(field="codebook", expected="a codebook with label, definition and parent columns "
                                                          "(peerstudy.codebook.read_codebook)",
                                found=f"no column {', '.join(missing)}"))
        return []
    order = codebook["order"] if "order" in codebook else pd.Series(range(len(codebook)), index=codebook.index)
    ids = [str(c) for c in codebook.index]
    if len(set(ids)) != len(ids):
        problems.append(Problem(field="codebook", expected="unique code ids", found="repeated ids"))
        return []
    kids: dict[str | None, list[str]] = {}
    for code in sorted(ids, key=lambda c: (order[c], ids.index(c))):
        parent = codebook.at[code, "parent"]
        parent = None if pd.isna(parent) else str(parent)
        if parent is not None and parent not in codebook.index:
            problems.append(Problem(field="codebook.parent", expected="the id of another code, or <NA>",
                                    found=f"{parent!r} (parent of {code!r})"))
            continue
        kids.setdefault(parent, []).append(code)
    seen: set[str] = set()

    def node(code: str) -> _Node:
        seen.add(code)
        visited.append(code)
        label = str(codebook.at[code, "label"])
        definition = codebook.at[code, "definition"] if "definition" in codebook else ""
        definition = "" if pd.isna(definition) else str(definition)
        codable = bool(codebook.at[code, "codable"]) if "codable" in codebook else True
        for value, what in ((code, "codebook.code"), (label, "codebook.label"), (definition, "codebook.definition")):
            _check_xml_text(value, what, problems)
        children: list[_Node] = [("Description", [], [], definition)] if definition else []
        children += [node(k) for k in kids.get(code, [])]
        return ("Code", [("guid", refi_guid("code", code)), ("name", label),
                         ("isCodable", "true" if codable else "false")], children, None)

    tops = [node(c) for c in kids.get(None, [])]
    lost = [c for c in ids if c not in seen and not any(p.found.endswith(f"(parent of {c!r})") for p in problems)]
    if lost:
        problems.append(Problem(field="codebook.parent", expected="a tree (no code is its own ancestor)",
                                found=f"a cycle through {', '.join(map(repr, lost[:5]))}"))
    return tops


def _atomic_write(path: Path, write) -> None:
    """Write through ``write(fileobj)``, whole or not at all (:func:`peerstudy.outputs.write_atomic`)."""
    from peerstudy.outputs import write_atomic

    write_atomic(path, write)


def _output_path(path: str | os.PathLike[str], suffix: str) -> Path:
    p = resolve_input(path)
    if p.suffix.lower() != suffix:
        raise ConfigError(Problem(field="path", expected=f"a file name ending in {suffix}", found=repr(p.name),
                                  fix=f"name the file …{suffix}"))
    return p


def write_qdc(path: str | os.PathLike[str], codebook: pd.DataFrame, *, origin: str = "peerstudy") -> Path:
    """Write a codebook as a REFI-QDA ``.qdc`` file (Codebook schema 1.0).

    Parameters
    ----------
    path
        Where to write (relative to the project root or absolute); must end in ``.qdc``.
    codebook
        As :func:`peerstudy.codebook.read_codebook` returns, optionally with a
        ``codable`` column (default: every code codable).
    origin
        The ``origin`` attribute.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from peerstudy.codebook import read_codebook
    >>> book = read_codebook("tests/fixtures/mini-interviews/codebook.yaml")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_refi(write_qdc(f"{tmp}/book.qdc", book), codebook=book).codebook
    >>> [str(v) for v in back.loc["S1", ["label", "parent", "depth"]]]
    ['Earning trust', 'C1', '2']
    >>> back.index.tolist() == ["T", "C1", "S1", "S2", "C2", "S3", "S4"]  # tree order
    True
    """
    p = _output_path(path, ".qdc")
    problems: list[Problem] = []
    codes = _code_nodes(codebook, problems)
    if not codes and not problems:
        problems.append(Problem(field="codebook", expected="at least one code", found="none"))
    if problems:
        raise InputError(problems)
    root: _Node = ("CodeBook", [("xmlns", _CODEBOOK_NS), ("origin", origin)], [("Codes", [], codes, None)], None)
    data = _xml_bytes(root)
    _atomic_write(p, lambda fh: fh.write(data))
    return p


def _variable_type(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_date(dtype.pyarrow_dtype):
            return "Date"
    if pd.api.types.is_bool_dtype(dtype):
        return "Boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "Integer"
    if pd.api.types.is_float_dtype(dtype):
        return "Float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "DateTime"
    present = [v for v in series if not _missing(v)]
    if present and all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in present):
        return "Date"
    return "Text"


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format_value(value: Any, kind: str) -> str:
    if kind == "Boolean":
        return "true" if bool(value) else "false"
    if kind == "Integer":
        return str(int(value))
    if kind == "Float":
        number = float(value)
        if number in (float("inf"), float("-inf")):
            raise ValueError("infinite")
        text = format(Decimal(repr(number)), "f")
        return text
    if kind == "Date":
        return (value.date() if isinstance(value, _dt.datetime) else value).isoformat()
    if kind == "DateTime":
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            return stamp.tz_convert("UTC").tz_localize(None).isoformat() + "Z"
        return stamp.isoformat()
    return str(value)


def _variables(frame: pd.DataFrame, skip: set[str], scope: str, problems: list[Problem]) -> list[tuple[str, str, str]]:
    """(column, type, guid) of the columns of ``frame`` written as variables."""
    out = []
    for col in frame.columns:
        if col in skip:
            continue
        _check_xml_text(str(col), f"{scope} column", problems)
        out.append((str(col), _variable_type(frame[col]), refi_guid(f"variable:{scope}", col)))
    return out


def _value_nodes(row: Mapping[str, Any], variables: list[tuple[str, str, str]], what: str,
                 problems: list[Problem]) -> list[_Node]:
    nodes = []
    for col, kind, guid in variables:
        value = row[col]
        if _missing(value):
            continue
        try:
            text = _format_value(value, kind)
        except (TypeError, ValueError):
            problems.append(Problem(field=col, expected=f"a {kind} value", found=f"{value!r} ({what})"))
            continue
        _check_xml_text(text, col, problems)
        nodes.append(("VariableValue", [], [("VariableRef", [("targetGUID", guid)], [], None),
                                            (f"{kind}Value", [], [], text)], None))
    return nodes


def write_qdpx(path: str | os.PathLike[str], codebook: pd.DataFrame, documents: pd.DataFrame,
               segments: pd.DataFrame, codings: pd.DataFrame, participants: pd.DataFrame | None = None, *,
               name: str = "peerstudy project", origin: str = "peerstudy") -> Path:
    """Write a REFI-QDA project (``.qdpx``, Project schema 1.0).

    Parameters
    ----------
    path
        Where to write; must end in ``.qdpx``.
    codebook
        As :func:`peerstudy.codebook.read_codebook` (optionally with ``codable``).
    documents
        ``document``, ``participant`` ("; "-joined case names, may be ""), ``text``,
        optionally ``kind`` and further columns (written as source variables).
    segments
        ``segment``, ``document``, ``start``, ``end`` (code points), optionally
        ``participant`` (written as the case of the selection when it differs from the
        document's) and ``text`` (checked against the document).
    codings
        ``segment``, ``code``, ``coder``, optionally ``unit`` (one selection per unit;
        default the segment) and ``note``.
    participants
        ``participant`` and one column per case variable; the variable type follows the
        column's dtype (bool → Boolean, integer → Integer, float → Float, datetime →
        DateTime, Arrow ``date32`` or :class:`datetime.date` values → Date, else Text).
        Cases are also made for participants named in ``documents`` or ``segments``.
    name, origin
        The project's ``name`` and ``origin`` attributes.

    Returns
    -------
    pathlib.Path
        The file written. Users are the coders, in order of first coding.

    Raises
    ------
    InputError
        Every inconsistency at once: unknown documents, segments or codes, offsets
        outside the text, text that differs from the document, a unit in two segments,
        text XML cannot hold.

    Examples
    --------
    >>> import tempfile
    >>> p = read_refi("tests/fixtures/qdpx/two_coders.qdpx")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     again = read_refi(write_qdpx(f"{tmp}/p.qdpx", p.codebook, p.documents, p.segments, p.codings,
    ...                                  p.participants))
    >>> again.codings.drop(columns=["sheet", "row"]).equals(p.codings.drop(columns=["sheet", "row"]))
    True
    """
    p = _output_path(path, ".qdpx")
    problems: list[Problem] = []
    for frame, what, needed in ((documents, "documents", ["document", "participant", "text"]),
                                (segments, "segments", ["segment", "document", "start", "end"]),
                                (codings, "codings", ["segment", "code", "coder"])):
        lacking = [c for c in needed if c not in frame]
        if lacking:
            problems.append(Problem(field=what, expected=f"columns {', '.join(needed)}",
                                    found=f"no column {', '.join(lacking)}"))
    if participants is not None and "participant" not in participants:
        problems.append(Problem(field="participants", expected="a column participant", found="none"))
    if problems:
        raise InputError(problems)
    tree_order: list[str] = []
    codes = _code_nodes(codebook, problems, tree_order)
    code_rank = {c: i for i, c in enumerate(tree_order)}

    # documents
    doc_ids = [str(d) for d in documents["document"]]
    if len(set(doc_ids)) != len(doc_ids):
        problems.append(Problem(field="documents.document", expected="unique document ids", found="repeated ids"))
    texts = dict(zip(doc_ids, documents["text"].astype(object)))
    for d, t in texts.items():
        if not isinstance(t, str):
            problems.append(Problem(field="documents.text", expected="text", found=f"{t!r} for {d!r}"))
        elif re.search("[\ud800-\udfff]", t):
            problems.append(Problem(field="documents.text", expected="text without lone surrogates",
                                    found=f"a lone surrogate in {d!r}"))
        _check_xml_text(d, "documents.document", problems)
    doc_parts = {d: [x for x in str(v).split("; ") if x] if not _missing(v) else []
                 for d, v in zip(doc_ids, documents["participant"])}

    # segments
    seg_info: dict[str, dict] = {}
    for i, row in enumerate(segments.to_dict("records")):
        sid, doc = str(row["segment"]), str(row["document"])
        if doc not in texts:
            problems.append(Problem(field="segments.document", expected="a document of the documents table",
                                    found=f"{doc!r} (segment {sid!r})"))
            continue
        text = texts[doc] if isinstance(texts[doc], str) else ""
        try:
            s, e = int(row["start"]), int(row["end"])
        except (TypeError, ValueError):
            problems.append(Problem(field="segments.start, end", expected="whole numbers",
                                    found=f"{row['start']!r}, {row['end']!r} (segment {sid!r})"))
            continue
        if not 0 <= s <= e <= len(text):
            problems.append(Problem(field="segments.start, end",
                                    expected=f"0 <= start <= end <= {len(text)} (the length of {doc!r})",
                                    found=f"{s}, {e} (segment {sid!r})"))
            continue
        if "text" in row and not _missing(row["text"]) and row["text"] != text[s:e]:
            problems.append(Problem(field="segments.text", expected=f"the text at [{s}, {e}) of {doc!r}",
                                    found=f"{str(row['text'])[:40]!r} (segment {sid!r})"))
            continue
        if sid in seg_info:
            problems.append(Problem(field="segments.segment", expected="unique segment ids", found=repr(sid)))
            continue
        part = row.get("participant")
        seg_parts = [x for x in str(part).split("; ") if x] if not _missing(part) else []
        seg_info[sid] = {"document": doc, "start": s, "end": e, "participants": seg_parts, "units": {}}

    # codings, grouped into selections (one per unit)
    known_codes = {str(c) for c in codebook.index}
    coders: list[str] = []
    unit_segment: dict[str, str] = {}
    for i, row in enumerate(codings.to_dict("records")):
        sid, code, coder = str(row["segment"]), str(row["code"]), row["coder"]
        unit = str(row["unit"]) if "unit" in row and not _missing(row["unit"]) else sid
        bad = False
        if sid not in seg_info:
            problems.append(Problem(field="codings.segment", expected="a segment of the segments table",
                                    found=f"{sid!r} (coding {i + 1})"))
            bad = True
        if code not in known_codes:
            problems.append(Problem(field="codings.code", expected="a code of the codebook",
                                    found=f"{code!r} (coding {i + 1})"))
            bad = True
        if _missing(coder) or not str(coder).strip():
            problems.append(Problem(field="codings.coder", expected="the coder's name", found=f"nothing (coding {i + 1})"))
            bad = True
        if unit in unit_segment and unit_segment[unit] != sid:
            problems.append(Problem(field="codings.unit", expected="one segment per unit",
                                    found=f"unit {unit!r} in {unit_segment[unit]!r} and {sid!r}"))
            bad = True
        if bad:
            continue
        coder = str(coder)
        _check_xml_text(coder, "codings.coder", problems)
        note = row.get("note")
        note = "" if _missing(note) else str(note)
        _check_xml_text(note, "codings.note", problems)
        unit_segment[unit] = sid
        if coder not in coders:
            coders.append(coder)
        seg_info[sid]["units"].setdefault(unit, []).append((code, coder, note))

    # cases
    if participants is not None:
        for col in ("participant",):
            ids = [str(x) for x in participants[col]]
            if len(set(ids)) != len(ids):
                problems.append(Problem(field="participants.participant", expected="unique participants",
                                        found="repeated ids"))
    case_ids = [str(x) for x in participants["participant"]] if participants is not None else []
    for names in [*doc_parts.values(), *(info["participants"] for info in seg_info.values())]:
        for n in names:
            if n not in case_ids:
                case_ids.append(n)
    case_vars = _variables(participants, {"participant"}, "case", problems) if participants is not None else []
    source_vars = _variables(documents, {"document", "participant", "text"}, "source", problems)
    if problems:
        raise InputError(problems)

    # build the tree
    user_guid = {c: refi_guid("user", c) for c in coders}
    notes: list[_Node] = []
    selection_cases: dict[str, list[str]] = {}
    sources: list[_Node] = []
    members: dict[str, bytes] = {}
    segs_by_doc: dict[str, list[str]] = {}
    for sid, info in seg_info.items():
        segs_by_doc.setdefault(info["document"], []).append(sid)
    doc_records = documents.to_dict("records")
    for d, record in zip(doc_ids, doc_records):
        guid = refi_guid("source", d)
        selections: list[_Node] = []
        for sid in sorted(segs_by_doc.get(d, []), key=lambda k: (seg_info[k]["start"], seg_info[k]["end"], k)):
            info = seg_info[sid]
            units = info["units"] or {sid: []}
            differs = info["participants"] and info["participants"] != doc_parts[d]
            for unit in sorted(units):
                sel_guid = refi_guid("selection", unit)
                if differs:
                    for n in info["participants"]:
                        selection_cases.setdefault(n, []).append(sel_guid)
                coding_nodes = []
                counts: dict[tuple, int] = {}
                # in the order the reader sorts codings: by coder, then code in tree order
                for code, coder, note in sorted(units[unit], key=lambda c: (c[1], code_rank.get(c[0], 0))):
                    k = (code, coder)
                    counts[k] = counts.get(k, 0) + 1
                    cguid = refi_guid("coding", f"{unit}\x1f{code}\x1f{coder}\x1f{counts[k]}")
                    kids: list[_Node] = [("CodeRef", [("targetGUID", refi_guid("code", code))], [], None)]
                    if note:
                        nguid = refi_guid("note", cguid)
                        notes.append(("Note", [("guid", nguid), ("name", f"note on {code}")],
                                      [("PlainTextContent", [], [], note)], None))
                        kids.append(("NoteRef", [("targetGUID", nguid)], [], None))
                    coding_nodes.append(("Coding", [("guid", cguid), ("creatingUser", user_guid[coder])], kids, None))
                # the unit id travels as the selection's name, so reconciliation sheets that
                # name units still apply after a round trip through a QDA program
                selections.append(("PlainTextSelection", [("guid", sel_guid), ("name", str(unit)),
                                                          ("startPosition", str(info["start"])),
                                                          ("endPosition", str(info["end"]))], coding_nodes, None))
        member = f"{guid}.txt"
        # A BOM is written only when the text itself starts with U+FEFF: the reader removes one.
        bom = codecs.BOM_UTF8 if texts[d].startswith("\ufeff") else b""
        members[f"sources/{member}"] = bom + texts[d].encode("utf-8")
        values = _value_nodes(record, source_vars, f"document {d!r}", problems)
        sources.append(("TextSource", [("guid", guid), ("name", d), ("plainTextPath", f"internal://{member}")],
                        selections + values, None))
    cases: list[_Node] = []
    rows = participants.set_index(participants["participant"].astype(str)).to_dict("index") \
        if participants is not None else {}
    for n in case_ids:
        kids = _value_nodes(rows[n], case_vars, f"participant {n!r}", problems) if n in rows else []
        _check_xml_text(n, "participant", problems)
        kids += [("SourceRef", [("targetGUID", refi_guid("source", d))], [], None)
                 for d in doc_ids if n in doc_parts[d]]
        kids += [("SelectionRef", [("targetGUID", g)], [], None) for g in selection_cases.get(n, [])]
        cases.append(("Case", [("guid", refi_guid("case", n)), ("name", n)], kids, None))
    if problems:
        raise InputError(problems)
    parts: list[_Node] = []
    if coders:
        parts.append(("Users", [], [("User", [("guid", user_guid[c]), ("name", c)], [], None) for c in coders], None))
    if codes:
        parts.append(("CodeBook", [], [("Codes", [], codes, None)], None))
    variables = [("Variable", [("guid", g), ("name", c), ("typeOfVariable", t)], [], None)
                 for c, t, g in [*case_vars, *source_vars]]
    if variables:
        parts.append(("Variables", [], variables, None))
    if cases:
        parts.append(("Cases", [], cases, None))
    if sources:
        parts.append(("Sources", [], sources, None))
    if notes:
        parts.append(("Notes", [], notes, None))
    root: _Node = ("Project", [("xmlns", _PROJECT_NS), ("name", name), ("origin", origin)], parts, None)
    members["project.qde"] = _xml_bytes(root)

    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w") as zf:
            for member in sorted(members, key=lambda m: (m != "project.qde", m)):
                info = zipfile.ZipInfo(member, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o644 << 16
                zf.writestr(info, members[member], compresslevel=9)

    _atomic_write(p, write)
    return p
