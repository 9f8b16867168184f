"""Writing projects, first step: every table checked (all problems at once) and turned
into a :class:`Plan` of what ``project.qde`` says, in the order it is written, with the
guids derived and the variable values formatted.

Imports :mod:`peerstudy.qualitative.refi.codes`, ``.xmlout``, ``.project``, pandas and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.io.missing import is_na
from peerstudy.qualitative.refi.codes import CodeTree, code_tree
from peerstudy.qualitative.refi.project import refi_guid
from peerstudy.qualitative.refi.xmlout import check_xml_text

__all__ = ["Plan", "make_plan"]

_SURROGATE = re.compile("[\ud800-\udfff]")

# ---------------------------------------------------------------------------
# Variables
# ---------------------------------------------------------------------------


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
    present = [v for v in series if not is_na(v)]
    if present and all(isinstance(v, _dt.date) and not isinstance(v, _dt.datetime) for v in present):
        return "Date"
    return "Text"


def _format_value(value: Any, kind: str) -> str:
    if kind == "Boolean":
        return "true" if bool(value) else "false"
    if kind == "Integer":
        return str(int(value))
    if kind == "Float":
        number = float(value)
        if number in (float("inf"), float("-inf")):
            raise ValueError("infinite")
        return format(Decimal(repr(number)), "f")
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
        check_xml_text(str(col), f"{scope} column", problems)
        out.append((str(col), _variable_type(frame[col]), refi_guid(f"variable:{scope}", col)))
    return out


def _values(
    row: Mapping[Hashable, Any], variables: list[tuple[str, str, str]], what: str, problems: list[Problem]
) -> list[tuple[str, str, str]]:
    """(type, variable guid, text) of the values of one row."""
    values = []
    for col, kind, guid in variables:
        value = row[col]
        if is_na(value):
            continue
        try:
            text = _format_value(value, kind)
        except (TypeError, ValueError):
            problems.append(Problem(field=col, expected=f"a {kind} value", found=f"{value!r} ({what})"))
            continue
        check_xml_text(text, col, problems)
        values.append((kind, guid, text))
    return values


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything ``project.qde`` says, checked, in the order it is written."""

    tree: CodeTree
    coders: list[str]
    doc_ids: list[str]
    texts: dict[str, str]
    doc_parts: dict[str, list[str]]
    case_ids: list[str]
    case_vars: list[tuple[str, str, str]]
    source_vars: list[tuple[str, str, str]]
    source_values: list[list[tuple[str, str, str]]] = field(default_factory=list)
    case_values: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    # per document: (selection guid, unit, start, end, [(coding guid, code guid, user guid, note guid)])
    selections: list[list[tuple[str, str, int, int, list[tuple[str, str, str, str]]]]] = field(default_factory=list)
    selection_cases: dict[str, list[str]] = field(default_factory=dict)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # guid, code, text
    # memos: (guid, name, creationDateTime or "", title, text); the notes each code and document refers to
    memos: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    code_notes: dict[str, list[str]] = field(default_factory=dict)
    source_notes: dict[str, list[str]] = field(default_factory=dict)


def _check_columns(
    documents: pd.DataFrame, segments: pd.DataFrame, codings: pd.DataFrame, participants: pd.DataFrame | None
) -> None:
    problems = []
    for frame, what, needed in (
        (documents, "documents", ["document", "participant", "text"]),
        (segments, "segments", ["segment", "document", "start", "end"]),
        (codings, "codings", ["segment", "code", "coder"]),
    ):
        lacking = [c for c in needed if c not in frame]
        if lacking:
            problems.append(
                Problem(field=what, expected=f"columns {', '.join(needed)}", found=f"no column {', '.join(lacking)}")
            )
    if participants is not None and "participant" not in participants:
        problems.append(Problem(field="participants", expected="a column participant", found="none"))
    if problems:
        raise InputError(problems)


def _strings_or_none(column: pd.Series) -> list[str | None]:
    """``str`` of each value, None where it is missing."""
    return [None if m else str(v) for v, m in zip(column.tolist(), column.isna().tolist(), strict=False)]


def _split_names(value: Any) -> list[str]:
    return [x for x in str(value).split("; ") if x] if not is_na(value) else []


def _check_documents(documents: pd.DataFrame, problems: list[Problem]) -> tuple[list[str], dict[str, str]]:
    doc_ids = [str(d) for d in documents["document"]]
    if len(set(doc_ids)) != len(doc_ids):
        problems.append(Problem(field="documents.document", expected="unique document ids", found="repeated ids"))
    texts = dict(zip(doc_ids, documents["text"].astype(object), strict=False))
    for d, t in texts.items():
        if not isinstance(t, str):
            problems.append(Problem(field="documents.text", expected="text", found=f"{t!r} for {d!r}"))
        elif _SURROGATE.search(t):
            problems.append(
                Problem(
                    field="documents.text", expected="text without lone surrogates", found=f"a lone surrogate in {d!r}"
                )
            )
        check_xml_text(d, "documents.document", problems)
    return doc_ids, texts


def _check_segment(row: dict, texts: dict[str, str], seg_info: dict[str, dict], problems: list[Problem]) -> None:
    sid, doc = str(row["segment"]), str(row["document"])
    if doc not in texts:
        problems.append(
            Problem(
                field="segments.document",
                expected="a document of the documents table",
                found=f"{doc!r} (segment {sid!r})",
            )
        )
        return
    text = texts[doc] if isinstance(texts[doc], str) else ""
    try:
        s, e = int(row["start"]), int(row["end"])
    except (TypeError, ValueError):
        problems.append(
            Problem(
                field="segments.start, end",
                expected="whole numbers",
                found=f"{row['start']!r}, {row['end']!r} (segment {sid!r})",
            )
        )
        return
    if not 0 <= s <= e <= len(text):
        problems.append(
            Problem(
                field="segments.start, end",
                expected=f"0 <= start <= end <= {len(text)} (the length of {doc!r})",
                found=f"{s}, {e} (segment {sid!r})",
            )
        )
        return
    if "text" in row and not is_na(row["text"]) and row["text"] != text[s:e]:
        problems.append(
            Problem(
                field="segments.text",
                expected=f"the text at [{s}, {e}) of {doc!r}",
                found=f"{str(row['text'])[:40]!r} (segment {sid!r})",
            )
        )
        return
    if sid in seg_info:
        problems.append(Problem(field="segments.segment", expected="unique segment ids", found=repr(sid)))
        return
    seg_info[sid] = {
        "document": doc,
        "start": s,
        "end": e,
        "participants": _split_names(row.get("participant")),
        "units": {},
    }


def _check_codings(
    codings: pd.DataFrame, known_codes: set[str], seg_info: dict[str, dict], problems: list[Problem]
) -> list[str]:
    """Group the codings into their segments' units; returns the coders in order of first coding."""
    coders: list[str] = []
    unit_segment: dict[str, str] = {}
    n = len(codings)
    units = _strings_or_none(codings["unit"]) if "unit" in codings else [None] * n
    notes = _strings_or_none(codings["note"]) if "note" in codings else [None] * n
    coder_list = _strings_or_none(codings["coder"])
    rows = zip(
        map(str, codings["segment"].tolist()),
        map(str, codings["code"].tolist()),
        coder_list,
        units,
        notes,
        strict=False,
    )
    for i, (sid, code, coder, unit, note) in enumerate(rows):
        unit = unit if unit is not None else sid
        bad = []
        if sid not in seg_info:
            bad.append(
                Problem(
                    field="codings.segment",
                    expected="a segment of the segments table",
                    found=f"{sid!r} (coding {i + 1})",
                )
            )
        if code not in known_codes:
            bad.append(
                Problem(field="codings.code", expected="a code of the codebook", found=f"{code!r} (coding {i + 1})")
            )
        if coder is None or not coder.strip():
            bad.append(Problem(field="codings.coder", expected="the coder's name", found=f"nothing (coding {i + 1})"))
        if unit in unit_segment and unit_segment[unit] != sid:
            bad.append(
                Problem(
                    field="codings.unit",
                    expected="one segment per unit",
                    found=f"unit {unit!r} in {unit_segment[unit]!r} and {sid!r}",
                )
            )
        if bad or coder is None:  # a coder of None is in bad
            problems += bad
            continue
        check_xml_text(coder, "codings.coder", problems)
        note = note or ""
        check_xml_text(note, "codings.note", problems)
        unit_segment[unit] = sid
        if coder not in coders:
            coders.append(coder)
        seg_info[sid]["units"].setdefault(unit, []).append((code, coder, note))
    return coders


def _case_ids(
    participants: pd.DataFrame | None,
    doc_parts: dict[str, list[str]],
    seg_info: dict[str, dict],
    problems: list[Problem],
) -> list[str]:
    case_ids = [str(x) for x in participants["participant"]] if participants is not None else []
    if len(set(case_ids)) != len(case_ids):
        problems.append(Problem(field="participants.participant", expected="unique participants", found="repeated ids"))
    seen = set(case_ids)
    for names in [*doc_parts.values(), *(info["participants"] for info in seg_info.values())]:
        for n in names:
            if n not in seen:
                seen.add(n)
                case_ids.append(n)
    return case_ids


def _plan_selections(plan: Plan, seg_info: dict[str, dict]) -> None:
    """Selections per document (one per unit) with their codings' guids, the cases of
    selections whose participants differ from the document's, and the coding notes."""
    user_guid = {c: refi_guid("user", c) for c in plan.coders}
    code_rank = {c: i for i, c in enumerate(plan.tree.order)}
    segs_by_doc: dict[str, list[str]] = {}
    for sid, info in seg_info.items():
        segs_by_doc.setdefault(info["document"], []).append(sid)
    for d in plan.doc_ids:
        planned = []
        for sid in sorted(segs_by_doc.get(d, []), key=lambda k: (seg_info[k]["start"], seg_info[k]["end"], k)):
            info = seg_info[sid]
            units = info["units"] or {sid: []}
            differs = info["participants"] and info["participants"] != plan.doc_parts[d]
            for unit in sorted(units):
                sel_guid = refi_guid("selection", unit)
                if differs:
                    for n in info["participants"]:
                        plan.selection_cases.setdefault(n, []).append(sel_guid)
                planned.append(
                    (
                        sel_guid,
                        unit,
                        info["start"],
                        info["end"],
                        _plan_codings(plan, unit, units[unit], code_rank, user_guid),
                    )
                )
        plan.selections.append(planned)


def _plan_codings(
    plan: Plan, unit: str, codings: list[tuple[str, str, str]], code_rank: dict[str, int], user_guid: dict[str, str]
) -> list[tuple[str, str, str, str]]:
    out = []
    counts: dict[tuple[str, str], int] = {}
    # in the order the reader sorts codings: by coder, then code in tree order
    for code, coder, note in sorted(codings, key=lambda c: (c[1], code_rank.get(c[0], 0))):
        k = (code, coder)
        counts[k] = counts.get(k, 0) + 1
        cguid = refi_guid("coding", f"{unit}\x1f{code}\x1f{coder}\x1f{counts[k]}")
        nguid = ""
        if note:
            nguid = refi_guid("note", cguid)
            plan.notes.append((nguid, code, note))
        out.append((cguid, plan.tree.element[code][0], user_guid[coder], nguid))
    return out


def _memo_list(value: Any) -> list[str]:
    """A memo's codes or documents: a list (or array) of ids, or ids joined by ";"."""
    if isinstance(value, str):
        return [x.strip() for x in value.split(";") if x.strip()]
    if value is None or (not hasattr(value, "__iter__") and is_na(value)):
        return []
    return [str(x) for x in value]


def _memo_date(value: Any) -> str:
    if is_na(value) or value == "":
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        return stamp.tz_convert("UTC").tz_localize(None).isoformat() + "Z"
    return stamp.isoformat()


def _plan_memos(plan: Plan, memos: pd.DataFrame, known_codes: set[str], problems: list[Problem]) -> None:
    """Check the memos (all problems at once) and plan their notes and who refers to them."""
    if "memo" not in memos:
        problems.append(Problem(field="memos", expected="a column memo (the memo's id)", found="none"))
        return
    seen: set[str] = set()
    docs = set(plan.doc_ids)
    for i, row in enumerate(memos.to_dict("records"), 1):
        memo = "" if is_na(row["memo"]) else str(row["memo"]).strip()
        where = f"memo {memo or i!r}"
        if not memo or memo in seen:
            problems.append(Problem(field="memos.memo", expected="a unique memo id", found=f"{memo!r} (memo {i})"))
            continue
        seen.add(memo)
        codes, documents = _memo_list(row.get("codes")), _memo_list(row.get("documents"))
        for what, ids, known in (("codes", codes, known_codes), ("documents", documents, docs)):
            for x in ids:
                if x not in known:
                    problems.append(
                        Problem(field=f"memos.{what}", expected=f"{what} of the project", found=f"{x!r} ({where})")
                    )
        try:
            date = _memo_date(row.get("date"))
        except (TypeError, ValueError):
            problems.append(Problem(field="memos.date", expected="a date", found=f"{row.get('date')!r} ({where})"))
            continue
        title = "" if is_na(row.get("title")) else str(row.get("title"))
        text = "" if is_na(row.get("text")) else str(row.get("text"))
        for value, what in ((memo, "memos.memo"), (title, "memos.title"), (text, "memos.text")):
            check_xml_text(value, what, problems)
        guid = refi_guid("memo", memo)
        # the text stays with the raw data unless given: the note then holds the title
        plan.memos.append((guid, memo, date, title, text or title))
        for c in codes:
            plan.code_notes.setdefault(c, []).append(guid)
        for d in documents:
            plan.source_notes.setdefault(d, []).append(guid)


def make_plan(
    codebook: pd.DataFrame,
    documents: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    participants: pd.DataFrame | None,
    memos: pd.DataFrame | None = None,
) -> Plan:
    """Check every table (all problems at once) and plan the project."""
    _check_columns(documents, segments, codings, participants)
    problems: list[Problem] = []
    tree = code_tree(codebook, problems)
    doc_ids, texts = _check_documents(documents, problems)
    doc_parts = {d: _split_names(v) for d, v in zip(doc_ids, documents["participant"], strict=False)}
    seg_info: dict[str, dict] = {}
    for row in segments.to_dict("records"):
        _check_segment(row, texts, seg_info, problems)
    coders = _check_codings(codings, {str(c) for c in codebook.index}, seg_info, problems)
    case_ids = _case_ids(participants, doc_parts, seg_info, problems)
    case_vars = _variables(participants, {"participant"}, "case", problems) if participants is not None else []
    source_vars = _variables(documents, {"document", "participant", "text"}, "source", problems)
    if problems:
        raise InputError(problems)
    plan = Plan(tree, coders, doc_ids, texts, doc_parts, case_ids, case_vars, source_vars)
    if memos is not None:
        _plan_memos(plan, memos, {str(c) for c in codebook.index}, problems)
    _plan_selections(plan, seg_info)
    plan.source_values = [
        _values(r, source_vars, f"document {d!r}", problems)
        for d, r in zip(doc_ids, documents.to_dict("records"), strict=False)
    ]
    rows = (
        participants.set_index(participants["participant"].astype(str)).to_dict("index")
        if participants is not None
        else {}
    )
    for n in case_ids:
        plan.case_values[n] = _values(rows[n], case_vars, f"participant {n!r}", problems) if n in rows else []
        check_xml_text(n, "participant", problems)
    if problems:
        raise InputError(problems)
    return plan
