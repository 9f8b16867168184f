"""Reading the elements of a REFI-QDA project or codebook into the project's tables.

Imports :mod:`peerstudy.qualitative.refi.archive`, ``.xmltree``, ``.offsets``, ``.project``,
``.sources``, ``.segments``, ``.tables`` and :mod:`peerstudy.errors`.
:class:`ElementReader` reads users, codes, variables and their values, notes and memos,
cases and sets (text sources: :class:`~peerstudy.qualitative.refi.sources.SourceReading`);
:func:`peerstudy.qualitative.refi.reader.read_refi` opens the file and runs it. Every
problem names the file, the line, and the element with its guid and column
(:func:`~peerstudy.qualitative.refi.xmltree.element_field`).

Examples
--------
>>> from peerstudy.qualitative.refi.xmltree import parse_xml
>>> root, _ = parse_xml(b'<CodeBook><Codes><Code guid="c1" name="Trust" isCodable="true"/></Codes></CodeBook>', "b.qdc")
>>> project = ElementReader(root, where="b.qdc", shown="b.qdc", archive=None, offsets="auto", codebook=None).run()
>>> project.codebook["label"].tolist()
['Trust']
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.qualitative.refi.archive import Archive
from peerstudy.qualitative.refi.offsets import Located, TextOffsets, choose_reading
from peerstudy.qualitative.refi.project import MEMO_COLUMNS, SKIPPED_COLUMNS, RefiProject, refi_guid
from peerstudy.qualitative.refi.segments import Selection, Source, build_segments
from peerstudy.qualitative.refi.sources import SourceReading
from peerstudy.qualitative.refi.tables import (
    codebook_frame,
    documents_frame,
    parse_value,
    participants_frame,
    users_frame,
)
from peerstudy.qualitative.refi.xmltree import column, describe, element_field, key, kid, kids, line

__all__ = ["ElementReader"]

_VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")


def fold_label(label: str) -> str:
    """A code's name as codes are matched by name: case-folded, spaces collapsed.

    Examples
    --------
    >>> fold_label("  Peer   Trust ")
    'peer trust'
    """
    return " ".join(label.casefold().split())


def label_paths(codebook: pd.DataFrame) -> dict[tuple[str, ...], str]:
    """The code of each path of names (top-level code's label first, see
    :func:`fold_label`) that one code of ``codebook`` has alone, so that a code a QDA
    program created itself (its own guid) is matched by its place and name, as QDA
    programs match codes when they merge codebooks.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["Trust", "Early", "Early"], "parent": [None, "t", None]},
    ...                     index=["t", "t-early", "early"])
    >>> label_paths(book)
    {('trust',): 't', ('trust', 'early'): 't-early', ('early',): 'early'}
    """
    labels = {str(c): fold_label(str(lab)) for c, lab in codebook["label"].items()}
    parents = {str(c): (str(p) if isinstance(p, str) else None) for c, p in codebook["parent"].items()}
    paths: dict[tuple[str, ...], list[str]] = {}
    for code in labels:
        path: list[str] = []
        at: str | None = code
        seen: set[str] = set()
        while at is not None and at in labels and at not in seen:
            seen.add(at)
            path.append(labels[at])
            at = parents[at]
        paths.setdefault(tuple(reversed(path)), []).append(code)
    return {path: codes[0] for path, codes in paths.items() if len(codes) == 1}


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


def _selection_place(selection: Selection) -> str:
    """How a message names a selection: ``<PlainTextSelection guid="…"> at line l, column c``."""
    el = selection.el
    if el is None:  # only whole-source codings have no element, and they have no offsets to place
        return f"a whole-source coding at line {selection.line}"
    return f"{describe(el)} at line {selection.line}, column {column(el)}"


class ElementReader(SourceReading):
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
        self.known_paths = label_paths(codebook) if codebook is not None else {}
        self.code_paths: dict[str, tuple[str, ...]] = {}
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
                [_selection_place(x) for x in s.selections if not x.whole],
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
        path = (*(self.code_paths[parent] if parent is not None else ()), fold_label(name or ""))
        code = self.known_codes.get(key(guid)) or self.known_paths.get(path) or guid
        self.code_ids[key(guid)] = code
        self.code_paths[code] = path
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
