"""Writing projects: a checked :class:`~peerstudy.qualitative.refi.plan.Plan` streamed as
``project.qde`` into the ``.qdpx``, with the texts in ``sources/``.

Imports :mod:`peerstudy.qualitative.refi.plan`, ``.codes``, ``.xmlout``, ``.project`` and pandas.

The XML is written line by line into the zip member, never built as a tree or one
string; the file is written to a temporary name, synced and renamed. Output is
deterministic: guids are :func:`~peerstudy.qualitative.refi.project.refi_guid` of the ids, zip
members sorted (``project.qde`` first) and stamped 1980-01-01, compressed at level 9.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from peerstudy.qualitative.refi.codes import write_codes
from peerstudy.qualitative.refi.plan import Plan, make_plan
from peerstudy.qualitative.refi.project import refi_guid
from peerstudy.qualitative.refi.xmlout import XmlOut, atomic_write, attr, output_path

__all__ = ["PROJECT_NS", "write_qdpx"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_values(out: XmlOut, depth: int, values: list[tuple[str, str, str]]) -> None:
    for kind, guid, text in values:
        out.open(depth, "VariableValue")
        out.empty(depth + 1, "VariableRef", ("targetGUID", guid))
        out.text(depth + 1, f"{kind}Value", text)
        out.close(depth, "VariableValue")


def _write_cases(out: XmlOut, plan: Plan) -> None:
    docs_of: dict[str, list[str]] = {}
    for d in plan.doc_ids:
        for n in dict.fromkeys(plan.doc_parts[d]):
            docs_of.setdefault(n, []).append(d)
    out.open(1, "Cases")
    for n in plan.case_ids:
        attrs = (("guid", refi_guid("case", n)), ("name", n))
        values, docs, sels = plan.case_values[n], docs_of.get(n, []), plan.selection_cases.get(n, [])
        if not (values or docs or sels):
            out.empty(2, "Case", *attrs)
            continue
        out.open(2, "Case", *attrs)
        write_values(out, 3, values)
        for d in docs:
            out.empty(3, "SourceRef", ("targetGUID", refi_guid("source", d)))
        for g in sels:
            out.empty(3, "SelectionRef", ("targetGUID", g))
        out.close(2, "Case")
    out.close(1, "Cases")


def _write_sources(out: XmlOut, plan: Plan) -> None:
    out.open(1, "Sources")
    for d, planned, values in zip(plan.doc_ids, plan.selections, plan.source_values, strict=False):
        guid = refi_guid("source", d)
        attrs = (("guid", guid), ("name", d), ("plainTextPath", f"internal://{guid}.txt"))
        refs = plan.source_notes.get(d, [])
        if not (planned or values or refs):
            out.empty(2, "TextSource", *attrs)
            continue
        out.open(2, "TextSource", *attrs)
        for sel_guid, unit, start, end, codings in planned:
            # the unit id travels as the selection's name, so reconciliation sheets that
            # name units still apply after a round trip through a QDA program (guids and
            # numbers need no escaping: written directly, this is the hot loop)
            head = (
                f'      <PlainTextSelection guid="{sel_guid}" name="{attr(unit)}" startPosition="{start}" '
                f'endPosition="{end}"'
            )
            if not codings:
                out.line(head + "/>\n")
                continue
            out.line(head + ">\n")
            for cguid, code_guid, user, nguid in codings:
                note = f'          <NoteRef targetGUID="{nguid}"/>\n' if nguid else ""
                out.line(
                    f'        <Coding guid="{cguid}" creatingUser="{user}">\n'
                    f'          <CodeRef targetGUID="{code_guid}"/>\n{note}        </Coding>\n'
                )
            out.line("      </PlainTextSelection>\n")
        for g in refs:
            out.empty(3, "NoteRef", ("targetGUID", g))
        write_values(out, 3, values)
        out.close(2, "TextSource")
    out.close(1, "Sources")


def _write_project(out: XmlOut, plan: Plan, name: str, origin: str) -> None:
    out.open(0, "Project", ("xmlns", PROJECT_NS), ("name", name), ("origin", origin))
    if plan.coders:
        out.open(1, "Users")
        for c in plan.coders:
            out.empty(2, "User", ("guid", refi_guid("user", c)), ("name", c))
        out.close(1, "Users")
    if plan.tree.order:
        out.open(1, "CodeBook")
        out.open(2, "Codes")
        write_codes(out, plan.tree, 3, plan.code_notes)
        out.close(2, "Codes")
        out.close(1, "CodeBook")
    variables = [*plan.case_vars, *plan.source_vars]
    if variables:
        out.open(1, "Variables")
        for c, t, g in variables:
            out.empty(2, "Variable", ("guid", g), ("name", c), ("typeOfVariable", t))
        out.close(1, "Variables")
    if plan.case_ids:
        _write_cases(out, plan)
    if plan.doc_ids:
        _write_sources(out, plan)
    if plan.notes or plan.memos:
        out.open(1, "Notes")
        for nguid, code, note in plan.notes:
            out.open(2, "Note", ("guid", nguid), ("name", f"note on {code}"))
            out.text(3, "PlainTextContent", note)
            out.close(2, "Note")
        for guid, memo, date, title, text in plan.memos:
            out.open(2, "Note", ("guid", guid), ("name", memo), *((("creationDateTime", date),) if date else ()))
            if title:
                out.text(3, "Description", title)
            out.text(3, "PlainTextContent", text)
            out.close(2, "Note")
        out.close(1, "Notes")
    out.close(0, "Project")
    out.flush()


def _zip_info(member: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(member, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info._compresslevel = 9  # type: ignore[attr-defined]  # what writestr(..., compresslevel=9) sets
    return info


def _source_members(plan: Plan) -> Iterator[tuple[str, bytes]]:
    for d in sorted(plan.doc_ids, key=lambda x: f"{refi_guid('source', x)}.txt"):
        text = plan.texts[d]
        # A BOM is written only when the text itself starts with U+FEFF: the reader removes one.
        bom = codecs.BOM_UTF8 if text.startswith("\ufeff") else b""
        yield f"sources/{refi_guid('source', d)}.txt", bom + text.encode("utf-8")


def write_qdpx(
    path: str | os.PathLike[str],
    codebook: pd.DataFrame,
    documents: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    *,
    memos: pd.DataFrame | None = None,
    name: str = "peerstudy project",
    origin: str = "peerstudy",
) -> Path:
    """Write a REFI-QDA project (``.qdpx``, Project schema 1.0).

    Parameters
    ----------
    path
        Where to write; must end in ``.qdpx``.
    codebook
        As :func:`peerstudy.qualitative.codebook.read_codebook` (optionally with ``codable``).
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
    memos
        Analytic memos (as :func:`peerstudy.qualitative.memos.read_memos`): ``memo`` (id, the note's
        name), optionally ``date`` (the note's ``creationDateTime``), ``title`` (its
        ``Description``), ``text`` (its plain text; the title when absent), ``codes``
        and ``documents`` (lists of ids, or ids joined by ";"): each is written as a
        ``<Note>`` that the ``<Code>`` and ``<TextSource>`` elements it is about refer
        to with ``<NoteRef>``; read back in :attr:`RefiProject.memos`.
    name, origin
        The project's ``name`` and ``origin`` attributes.

    Returns
    -------
    pathlib.Path
        The file written. Users are the coders (one ``<User>`` per value of ``coder``,
        e.g. each coder's label and "consensus"), in order of first coding; each coding
        is written with its coder as ``creatingUser``.

    Raises
    ------
    InputError
        Every inconsistency at once: unknown documents, segments or codes, offsets
        outside the text, text that differs from the document, a unit in two segments,
        text XML cannot hold.

    Examples
    --------
    >>> import tempfile
    >>> from peerstudy.qualitative.refi import read_refi
    >>> p = read_refi("tests/fixtures/qdpx/two_coders.qdpx")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     again = read_refi(write_qdpx(f"{tmp}/p.qdpx", p.codebook, p.documents, p.segments, p.codings,
    ...                                  p.participants))
    >>> again.codings.drop(columns=["sheet", "row"]).equals(p.codings.drop(columns=["sheet", "row"]))
    True
    """
    p = output_path(path, ".qdpx")
    plan = make_plan(codebook, documents, segments, codings, participants, memos)

    def write(fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w") as zf:
            with zf.open(_zip_info("project.qde"), "w") as member:
                _write_project(XmlOut(member.write), plan, name, origin)
            for member_name, data in _source_members(plan):
                zf.writestr(_zip_info(member_name), data, compresslevel=9)

    atomic_write(p, write)
    return p
