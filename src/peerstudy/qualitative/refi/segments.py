"""Selections to segments and codings, once the reading of the offsets is known.

Imports :mod:`peerstudy.qualitative.refi.offsets`, ``.project``, ``.xmltree`` and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from peerstudy.errors import Problem
from peerstudy.qualitative.refi.offsets import Reading, TextOffsets
from peerstudy.qualitative.refi.project import CODING_COLUMNS, SEGMENT_COLUMNS, SELECTION_COLUMNS
from peerstudy.qualitative.refi.xmltree import element_field, key

__all__ = ["Built", "Selection", "Source", "build_segments"]


@dataclass
class Selection:
    """A ``PlainTextSelection`` as written (offsets not yet read), or a whole-source coding."""

    guid: str
    name: str
    start: int
    end: int
    line: int
    codings: list[dict]
    notes: list[str]
    whole: bool = False
    el: ET.Element | None = None


@dataclass
class Source:
    """A ``TextSource`` with its text (BOM removed, ``bom`` says whether there was one)."""

    guid: str
    name: str
    path_name: str
    line: int
    text: str
    selections: list[Selection]
    values: dict[str, Any] = field(default_factory=dict)
    document: str = ""
    bom: bool = False
    el: ET.Element | None = None


@dataclass
class Built:
    """Segments, codings and selections, with the problems and skipped items met."""

    selections: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    problems: list[Problem]
    skipped: list[dict]


def _locate(
    s: Source, sel: Selection, m: TextOffsets | None, reading: Reading, where: str, out: Built
) -> tuple[int, int] | None:
    """Code-point span of a selection, or None (with a problem or a skipped entry)."""
    if sel.whole:
        return 0, len(s.text)
    blank = not s.text.strip()
    start = m.codepoint(sel.start, reading) if m else None
    end = m.codepoint(sel.end, reading) if m else None
    if (start is None or end is None) and blank:
        out.skipped.append(
            {
                "kind": "selection",
                "guid": sel.guid,
                "name": sel.name,
                "line": sel.line,
                "reason": f"the exported text of {s.document!r} is blank ({len(s.text)} character(s)), "
                "so the selection cannot be located: export again with the text",
            }
        )
        return None
    if start is None or end is None or start > end:
        unit = "UTF-16 units" if reading.unit == "utf16" else "code points"
        length = m.units(reading) if m else len(s.text)
        out.problems.append(
            Problem(
                file=where,
                row=sel.line,
                field=element_field(sel.el, "startPosition, endPosition"),
                expected=f"0 <= start <= end <= {length} ({unit}, the length of {s.document!r}) "
                "on character boundaries",
                found=f"start {sel.start}, end {sel.end}",
                fix="check offsets= ('utf16' for NVivo, 'codepoints' for others) or export again",
            )
        )
        return None
    if start == end:
        out.skipped.append(
            {
                "kind": "selection",
                "guid": sel.guid,
                "name": sel.name,
                "line": sel.line,
                "reason": "an empty selection (start = end)",
            }
        )
        return None
    return start, end


def build_segments(
    sources: list[Source],
    cases: list[dict],
    users: dict[str, dict],
    book: list[dict],
    reading: Reading,
    where: str,
    shown: str,
) -> Built:
    """Selections, segments and codings of the text sources under ``reading``."""
    out = Built(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), [], [])
    code_order = {r["code"]: i for i, r in enumerate(book)}
    case_of_selection: dict[str, list[str]] = {}
    for case in cases:
        for k in case["selections"]:
            case_of_selection.setdefault(k, []).append(case["name"])
    doc_participants = {
        key(s.guid): "; ".join(c["name"] for c in cases if key(s.guid) in c["sources"]) for s in sources
    }
    sel_rows: list[dict] = []
    seg_rows: dict[str, dict] = {}
    cod_rows: list[dict] = []
    for doc_index, s in enumerate(sources):
        if not s.text.strip():
            out.skipped.append(_blank_text(s))
        m = TextOffsets(s.text, s.bom) if s.selections else None
        for sel in s.selections:
            span = _locate(s, sel, m, reading, where, out)
            if span is None:
                continue
            start, end = span
            segment = f"{s.document}@{start}-{end}"
            sel_rows.append(
                {
                    "selection": sel.guid,
                    "segment": segment,
                    "document": s.document,
                    "start": start,
                    "end": end,
                    "name": sel.name,
                    "line": sel.line,
                }
            )
            if segment not in seg_rows:
                seg_rows[segment] = {
                    "segment": segment,
                    "document": s.document,
                    "participant": doc_participants[key(s.guid)],
                    "start": start,
                    "end": end,
                    "text": s.text[start:end],
                    "_doc": doc_index,
                    "_cases": [],
                }
            for name in case_of_selection.get(key(sel.guid), []):
                if name not in seg_rows[segment]["_cases"]:
                    seg_rows[segment]["_cases"].append(name)
            cod_rows += _coding_rows(sel, segment, (doc_index, start, end), users, code_order, shown)
    _frames(out, sel_rows, seg_rows, cod_rows, cases)
    return out


def _blank_text(source: Source) -> dict[str, Any]:
    """The ``skipped`` row of a source whose exported text is blank (its selections are still read)."""
    reason = (
        f"the exported plain text of {source.document!r} is blank ({len(source.text)} character(s)): "
        "the program may not have exported the text"
    )
    return {"kind": "text", "guid": source.guid, "name": source.name, "line": source.line, "reason": reason}


def _coding_rows(
    sel: Selection,
    segment: str,
    place: tuple[int, int, int],
    users: dict[str, dict],
    code_order: dict[str, int],
    shown: str,
) -> list[dict]:
    """The codings of one located selection; ``place`` (document index, start, end) leads their sort key."""
    rows = []
    for c in sel.codings:
        user = users.get(key(c["user"]))
        coder = user["coder"] if user else (c["user"] or "unknown")
        note = "\n\n".join(t for t in [*c["notes"], *sel.notes] if t)
        rows.append(
            {
                "segment": segment,
                "unit": sel.name or sel.guid,
                "code": c["code"],
                "coder": coder,
                "round": 1,
                "note": note,
                "sheet": shown,
                "row": c["line"],
                "_key": (*place, coder, code_order[c["code"]], sel.guid, c["line"]),
            }
        )
    return rows


def _frames(
    out: Built, sel_rows: list[dict], seg_rows: dict[str, dict], cod_rows: list[dict], cases: list[dict]
) -> None:
    seg_list = sorted(seg_rows.values(), key=lambda r: (r["_doc"], r["start"], r["end"]))
    case_order = {c["name"]: i for i, c in enumerate(cases)}
    for r in seg_list:
        if r["_cases"]:
            r["participant"] = "; ".join(sorted(r["_cases"], key=lambda n: case_order.get(n, 0)))
    out.segments = pd.DataFrame(seg_list, columns=SEGMENT_COLUMNS).astype({"start": "int64", "end": "int64"})
    cod_rows.sort(key=lambda r: r["_key"])
    out.codings = pd.DataFrame(cod_rows, columns=CODING_COLUMNS).astype({"round": "int64", "row": "int64"})
    out.selections = pd.DataFrame(sel_rows, columns=SELECTION_COLUMNS).astype(
        {"start": "int64", "end": "int64", "line": "int64"}
    )
