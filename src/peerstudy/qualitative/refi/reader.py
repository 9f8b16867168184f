"""Reading: a REFI-QDA file's elements into the project's tables.

Imports :mod:`peerstudy.qualitative.refi.archive`, ``.xmltree``, ``.offsets``, ``.project``,
``.sources``, ``.segments``, ``.tables``, :mod:`peerstudy.config` and :mod:`peerstudy.errors`.
Every problem names the file, the line, and the element with its guid and column
(:func:`~peerstudy.qualitative.refi.xmltree.element_field`).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.qualitative.refi import archive as _archive
from peerstudy.qualitative.refi.archive import Archive, open_archive
from peerstudy.qualitative.refi.offsets import Located, TextOffsets, choose_reading
from peerstudy.qualitative.refi.project import MEMO_COLUMNS, OFFSET_READINGS, SKIPPED_COLUMNS, RefiProject, refi_guid
from peerstudy.qualitative.refi.segments import Source, build_segments
from peerstudy.qualitative.refi.sources import SourceReading
from peerstudy.qualitative.refi.tables import (
    codebook_frame,
    documents_frame,
    parse_value,
    participants_frame,
    users_frame,
)
from peerstudy.qualitative.refi.xmltree import column, describe, element_field, key, kid, kids, line, parse_xml

__all__ = ["read_refi"]

_VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")


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
        guid is :func:`refi_guid` of one of its codes get that code's id; others keep
        their guid.

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
    return _Reader(root, where=where, shown=shown, archive=archive, offsets=offsets, codebook=codebook).run()


@dataclass
class _Parts:
    users: dict[str, dict]
    book: list[dict]
    variables: dict[str, dict]
    sources: list[Source]
    cases: list[dict]
    notes: dict[str, Any] = field(default_factory=dict)


def _timestamp(value: str | None) -> pd.Timestamp | None:
    """An ``xsd:dateTime`` as a naive UTC timestamp; None when absent or not a date."""
    try:
        stamp = pd.Timestamp(value) if value else None
    except ValueError:
        return None
    if stamp is not None and stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


class _Reader(SourceReading):
    """Reads the elements of a project or codebook (text sources: :class:`SourceReading`)."""

    def __init__(
        self,
        root: ET.Element,
        *,
        where: str,
        shown: str,
        archive: Archive | None,
        offsets: str,
        codebook: pd.DataFrame | None,
    ):
        self.root, self.where, self.shown, self.archive = root, where, shown, archive
        self.offsets = offsets
        self.known_codes = {key(refi_guid("code", c)): str(c) for c in codebook.index} if codebook is not None else {}
        self.problems: list[Problem] = []
        self.skipped: list[dict] = []
        self.origin = root.get("origin", "")
        self.source_variables: set[str] = set()
        self.code_ids: dict[str, str] = {}
        self.notes: dict[str, tuple[str, ET.Element, bool]] = {}
        self.code_notes: dict[str, list[str]] = {}  # note key -> codes whose <Code> refers to it
        self.no_sources_folder = False

    def problem(
        self,
        el: ET.Element | None,
        attr: str,
        expected: str,
        found: str,
        fix: str = "",
        owner: ET.Element | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                file=self.where,
                row=line(el) if el is not None else None,
                field=element_field(el, attr, owner),
                expected=expected,
                found=found,
                fix=fix,
            )
        )

    def skip(
        self, kind: str, el: ET.Element | None, reason: str, guid: str = "", name: str = "", at: int | None = None
    ) -> None:
        self.skipped.append(
            {
                "kind": kind,
                "guid": guid or (el.get("guid", "") if el is not None else ""),
                "name": name or (el.get("name", "") if el is not None else ""),
                "line": at if at is not None else line(el) if el is not None else 0,
                "reason": reason,
            }
        )

    def raise_problems(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    # -- parts -------------------------------------------------------------------------------------

    def run(self) -> RefiProject:
        root = self.root
        codes_parent = root if root.tag == "CodeBook" else kid(root, "CodeBook")
        variables = self.read_variables(kid(root, "Variables"))
        parts = _Parts(
            users=self.read_users(kid(root, "Users")),
            book=self.read_codes(kid(codes_parent, "Codes")),
            variables=variables,
            notes=self.read_notes(kid(root, "Notes")),
            sources=[],
            cases=[],
        )
        parts.sources = self.read_sources(kid(root, "Sources"), variables)
        parts.cases = self.read_cases(kid(root, "Cases"), variables)
        self.raise_problems()
        texts = [
            Located(
                TextOffsets(s.text, s.bom),
                [(x.start, x.end) for x in s.selections if not x.whole],
                [x.line for x in s.selections if not x.whole],
                [f"{describe(x.el)} at line {x.line}, column {column(x.el)}" for x in s.selections if not x.whole],
            )
            for s in parts.sources
            if s.text.strip() and any(not x.whole for x in s.selections)
        ]
        reading, reason = choose_reading(texts, origin=self.origin, where=self.where, declared=self.offsets)
        self.name_documents(parts.sources)
        built = build_segments(parts.sources, parts.cases, parts.users, parts.book, reading, self.where, self.shown)
        self.problems += built.problems
        self.skipped += built.skipped
        sets = self.read_sets(root, parts.sources, codes_parent)
        for _text, el, used in self.notes.values():
            if not used:
                self.skip("note", el, "a memo not attached to a coding (only coding notes are imported)")
        memos = self.read_memos(parts.sources)
        self.raise_problems()
        return RefiProject(
            codebook=codebook_frame(parts.book),
            participants=participants_frame(parts.cases, variables, self.source_variables, self.where),
            documents=documents_frame(parts.sources, parts.cases, variables, self.source_variables, self.where),
            segments=built.segments,
            codings=built.codings,
            users=users_frame(parts.users),
            selections=built.selections,
            sets=sets,
            skipped=pd.DataFrame(self.skipped, columns=SKIPPED_COLUMNS).astype({"line": "int64"}),
            file=self.shown,
            origin=self.origin,
            offsets=reading.unit,
            offsets_reason=reason,
            offsets_reading=reading.label,
            memos=memos,
        )

    def read_users(self, el: ET.Element | None) -> dict[str, dict]:
        users: dict[str, dict] = {}
        for u in kids(el, "User"):
            guid = u.get("guid", "")
            if not guid:
                self.problem(u, "guid", "a guid on every <User>", "none")
                continue
            name = u.get("name", "") or ""
            users[key(guid)] = {
                "user": guid,
                "name": name,
                "id": u.get("id", "") or "",
                "coder": name if name.strip() else guid,
            }
        return users

    def read_codes(self, codes: ET.Element | None) -> list[dict]:
        """The code tree in document order, walked with a stack (never recursively)."""
        rows: list[dict] = []
        stack: list[tuple[ET.Element, str | None, int, str | None]] = [
            (c, None, 0, None) for c in reversed(kids(codes, "Code"))
        ]
        while stack:
            el, parent, depth, root_id = stack.pop()
            code = self.read_code(el, parent, depth, root_id, rows)
            if code is not None:
                stack.extend((c, code, depth + 1, root_id or code) for c in reversed(kids(el, "Code")))
        return rows

    def read_code(
        self, el: ET.Element, parent: str | None, depth: int, root_id: str | None, rows: list[dict]
    ) -> str | None:
        guid, name = el.get("guid", ""), el.get("name")
        if not guid:
            self.problem(el, "guid", "a guid on every <Code>", "none", "export the codebook again")
            return None
        if key(guid) in self.code_ids:
            self.problem(el, "guid", "a guid used by one code only", f"{guid!r} again")
            return None
        if name is None:
            self.problem(el, "name", "a name on every <Code> (required by REFI-QDA)", "none")
        code = self.known_codes.get(key(guid), guid)
        self.code_ids[key(guid)] = code
        for ref in kids(el, "NoteRef"):
            self.code_notes.setdefault(key(ref.get("targetGUID")), []).append(code)
        codable = el.get("isCodable", "true").strip().lower() not in ("false", "0")
        desc = kid(el, "Description")
        rows.append(
            {
                "code": code,
                "label": name or "",
                "definition": (desc.text or "") if desc is not None else "",
                "parent": parent,
                "depth": depth,
                "root": root_id or code,
                "codable": codable,
                "guid": guid,
            }
        )
        return code

    def read_variables(self, el: ET.Element | None) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for v in kids(el, "Variable"):
            kind = v.get("typeOfVariable", "")
            if kind not in _VARIABLE_TYPES:
                self.problem(v, "typeOfVariable", f"one of {', '.join(_VARIABLE_TYPES)}", repr(kind))
                continue
            out[key(v.get("guid"))] = {"name": v.get("name", "") or v.get("guid", ""), "type": kind, "order": len(out)}
        return out

    def read_values(self, owner: ET.Element, variables: dict[str, dict]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for vv in kids(owner, "VariableValue"):
            ref = kid(vv, "VariableRef")
            target = ref.get("targetGUID") if ref is not None else None
            var = variables.get(key(target))
            if var is None:
                self.problem(
                    ref if ref is not None else vv,
                    "targetGUID",
                    "a reference to a variable defined in <Variables>",
                    repr(target),
                    owner=owner,
                )
                continue
            holder = next((c for c in vv if c.tag.endswith("Value")), None)
            if holder is None:
                continue
            raw = holder.text or ""
            try:
                value = parse_value(raw, var["type"])
            except ValueError:
                self.problem(
                    holder,
                    var["name"],
                    f"a {var['type']} value",
                    repr(raw),
                    "correct the value in the QDA program and export again",
                    owner=owner,
                )
                continue
            if value is not None:
                values[key(target)] = value
        return values

    def read_notes(self, el: ET.Element | None) -> dict[str, tuple[str, ET.Element, bool]]:
        for n in kids(el, "Note"):
            got = self.plain_text(n, "note")
            self.notes[key(n.get("guid"))] = (got[0] if got else "", n, False)
        return self.notes

    def note_texts(self, el: ET.Element) -> list[str]:
        out = []
        for ref in kids(el, "NoteRef"):
            k = key(ref.get("targetGUID"))
            if k in self.notes:
                text, n, _ = self.notes[k]
                self.notes[k] = (text, n, True)
                out.append(text)
        return out

    def read_memos(self, sources: list[Source]) -> pd.DataFrame:
        """The notes not read as coding or selection notes, with the codes and documents that refer to them."""
        source_notes: dict[str, list[str]] = {}
        for s in sources:
            for ref in kids(s.el, "NoteRef") if s.el is not None else []:
                source_notes.setdefault(key(ref.get("targetGUID")), []).append(s.document)
        rows = []
        for k, (text, el, used) in self.notes.items():
            if used:
                continue
            desc = kid(el, "Description")
            rows.append(
                {
                    "memo": el.get("name") or el.get("guid", ""),
                    "guid": el.get("guid", ""),
                    "date": _timestamp(el.get("creationDateTime")),
                    "title": (desc.text or "") if desc is not None else "",
                    "text": text,
                    "codes": self.code_notes.get(k, []),
                    "documents": source_notes.get(k, []),
                }
            )
        frame = pd.DataFrame(rows, columns=MEMO_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        return frame

    def read_cases(self, el: ET.Element | None, variables: dict[str, dict]) -> list[dict]:
        return [
            {
                "guid": case.get("guid", ""),
                "name": case.get("name") or case.get("guid", ""),
                "values": self.read_values(case, variables),
                "sources": {key(r.get("targetGUID")) for r in kids(case, "SourceRef")},
                "selections": {key(r.get("targetGUID")) for r in kids(case, "SelectionRef")},
            }
            for case in kids(el, "Case")
        ]

    def read_sets(self, root: ET.Element, sources: list[Source], codes_parent: ET.Element | None) -> pd.DataFrame:
        from peerstudy.qualitative.refi.project import SET_COLUMNS

        holder = kid(root, "Sets")
        if holder is None and codes_parent is not None and codes_parent is not root:
            holder = kid(codes_parent, "Sets")
        docs = {key(s.guid): s.document for s in sources}
        rows = []
        for st in kids(holder, "Set"):
            for m in st:
                kind = {"MemberCode": "code", "MemberSource": "source", "MemberNote": "note"}.get(m.tag)
                if kind is None:
                    continue
                target = m.get("targetGUID") or m.get("guid") or ""
                member = (
                    self.code_ids.get(key(target), target)
                    if kind == "code"
                    else docs.get(key(target), target)
                    if kind == "source"
                    else target
                )
                rows.append({"set": st.get("name", ""), "guid": st.get("guid", ""), "kind": kind, "member": member})
        return pd.DataFrame(rows, columns=SET_COLUMNS)

    def name_documents(self, sources: list[Source]) -> None:
        wanted = [s.name if s.name.strip() else s.path_name or s.guid for s in sources]
        counts: dict[str, int] = {}
        for w in wanted:
            counts[w] = counts.get(w, 0) + 1
        for s, w in zip(sources, wanted, strict=False):
            s.document = w if counts[w] == 1 else s.guid
