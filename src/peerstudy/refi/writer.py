"""Writing: the project's tables as a REFI-QDA codebook (``.qdc``) or project (``.qdpx``).

Imports :mod:`peerstudy.refi.project`, ``.xmltree`` (for its depth bound), pandas,
:mod:`peerstudy.config` and :mod:`peerstudy.errors`.

Everything is checked first (every problem reported at once); then the XML is streamed
line by line into the zip member (``project.qde``) or the file, never built as a tree
or one string, and the file is written to a temporary name, synced and renamed. Output
is deterministic: guids are :func:`~peerstudy.refi.project.refi_guid` of the ids, zip
members sorted (``project.qde`` first) and stamped 1980-01-01, compressed at level 9.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pandas as pd

from peerstudy.config import resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.refi.project import refi_guid
from peerstudy.refi.xmltree import MAX_XML_DEPTH

__all__ = ["write_qdc", "write_qdpx", "NOT_XML"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: Characters XML 1.0 cannot hold.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK_LINES = 20_000
_ATTR_SPECIAL = re.compile('[&<>"\r\n\t]')
_TEXT_SPECIAL = re.compile("[&<>\r]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;", "\n": "&#10;",
                               "\t": "&#9;"})
#: Codes nested deeper than this cannot be read back (Project > CodeBook > Codes > Code …).
MAX_CODE_DEPTH = MAX_XML_DEPTH - 3


# ---------------------------------------------------------------------------
# Streaming XML
# ---------------------------------------------------------------------------


def _attr(value: str) -> str:
    """An attribute value escaped (most are guids and numbers, which need nothing)."""
    return value.translate(_ATTR_ESCAPES) if _ATTR_SPECIAL.search(value) else value


def _text(value: str) -> str:
    return value.translate(_TEXT_ESCAPES) if _TEXT_SPECIAL.search(value) else value


class _XmlOut:
    """Indented XML written line by line through ``sink`` (bytes, in chunks of 20,000 lines)."""

    def __init__(self, sink: Callable[[bytes], Any]):
        self.sink = sink
        self.buf: list[str] = ['<?xml version="1.0" encoding="utf-8"?>\n']

    def line(self, text: str) -> None:
        self.buf.append(text)
        if len(self.buf) > _CHUNK_LINES:
            self.flush()

    def flush(self) -> None:
        self.sink("".join(self.buf).encode("utf-8"))
        self.buf = []

    @staticmethod
    def head(tag: str, attrs: tuple[tuple[str, str], ...]) -> str:
        return tag + "".join(f' {k}="{_attr(v)}"' for k, v in attrs)

    def open(self, depth: int, tag: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}>\n")

    def close(self, depth: int, tag: str) -> None:
        self.line(f"{'  ' * depth}</{tag}>\n")

    def empty(self, depth: int, tag: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}/>\n")

    def text(self, depth: int, tag: str, text: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}>{_text(text)}</{tag}>\n")


def _check_xml_text(value: str, what: str, problems: list[Problem]) -> None:
    bad = NOT_XML.search(value)
    if bad:
        problems.append(Problem(field=what, expected="text XML can hold (no control characters or lone surrogates)",
                                found=f"{bad.group()!r} in {value[:40]!r}", fix="remove the character"))


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------


@dataclass
class _CodeTree:
    """Codes by parent (children in codebook order), with what each code's element needs."""

    kids: dict[str | None, list[str]]
    order: list[str] = field(default_factory=list)  # tree order, as the reader returns codes
    element: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # guid, label, isCodable
    definition: dict[str, str] = field(default_factory=dict)


def _code_tree(codebook: pd.DataFrame, problems: list[Problem]) -> _CodeTree:
    """Check the codebook and order its tree, iteratively (any depth up to :data:`MAX_CODE_DEPTH`)."""
    tree = _CodeTree(kids={})
    missing = [c for c in ("label", "parent") if c not in codebook]
    if missing:
        problems.append(Problem(field="codebook", expected="a codebook with label, definition and parent columns "
                                                          "(peerstudy.codebook.read_codebook)",
                                found=f"no column {', '.join(missing)}"))
        return tree
    ids = [str(c) for c in codebook.index]
    if len(set(ids)) != len(ids):
        problems.append(Problem(field="codebook", expected="unique code ids", found="repeated ids"))
        return tree
    order = codebook["order"].tolist() if "order" in codebook else list(range(len(ids)))
    parents = [None if pd.isna(p) else str(p) for p in codebook["parent"]]
    known, orphans = set(ids), set()
    for _, _, code, parent in sorted(zip(order, range(len(ids)), ids, parents)):
        if parent is not None and parent not in known:
            problems.append(Problem(field="codebook.parent", expected="the id of another code, or <NA>",
                                    found=f"{parent!r} (parent of {code!r})"))
            orphans.add(code)
            continue
        tree.kids.setdefault(parent, []).append(code)
    labels = [str(x) for x in codebook["label"]]
    definitions = [("" if _missing(x) else str(x)) for x in codebook["definition"]] if "definition" in codebook \
        else [""] * len(ids)
    codable = [bool(x) for x in codebook["codable"]] if "codable" in codebook else [True] * len(ids)
    stack = [(c, 0) for c in reversed(tree.kids.get(None, []))]
    row = {c: i for i, c in enumerate(ids)}
    too_deep = None
    while stack:
        code, depth = stack.pop()
        if depth >= MAX_CODE_DEPTH:
            too_deep = too_deep or code
            continue
        i = row[code]
        tree.order.append(code)
        for value, what in ((code, "codebook.code"), (labels[i], "codebook.label"),
                            (definitions[i], "codebook.definition")):
            _check_xml_text(value, what, problems)
        tree.element[code] = (refi_guid("code", code), labels[i], "true" if codable[i] else "false")
        tree.definition[code] = definitions[i]
        stack.extend((k, depth + 1) for k in reversed(tree.kids.get(code, [])))
    if too_deep is not None:
        problems.append(Problem(field="codebook.parent", expected=f"a code tree at most {MAX_CODE_DEPTH} levels deep "
                                                                  "(what REFI-QDA readers accept)",
                                found=f"{too_deep!r} deeper", fix="flatten the codebook"))
    seen = set(tree.order)
    lost = [c for c in ids if c not in seen and c not in orphans]
    if lost and too_deep is None:
        problems.append(Problem(field="codebook.parent", expected="a tree (no code is its own ancestor)",
                                found=f"a cycle through {', '.join(map(repr, lost[:5]))}"))
    return tree


def _write_codes(out: _XmlOut, tree: _CodeTree, depth: int) -> None:
    """The nested <Code> elements, children in codebook order, with a stack."""
    stack: list[tuple[str, int, bool]] = [(c, depth, False) for c in reversed(tree.kids.get(None, []))]
    while stack:
        code, d, closing = stack.pop()
        if closing:
            out.close(d, "Code")
            continue
        guid, label, codable = tree.element[code]
        attrs = (("guid", guid), ("name", label), ("isCodable", codable))
        children = tree.kids.get(code, [])
        definition = tree.definition[code]
        if not children and not definition:
            out.empty(d, "Code", *attrs)
            continue
        out.open(d, "Code", *attrs)
        if definition:
            out.text(d + 1, "Description", definition)
        stack.append((code, d, True))
        stack.extend((k, d + 1, False) for k in reversed(children))


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through ``write(fileobj)`` to a temporary file next to ``path``, sync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    >>> from peerstudy.refi import read_refi
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
    tree = _code_tree(codebook, problems)
    if not tree.order and not problems:
        problems.append(Problem(field="codebook", expected="at least one code", found="none"))
    if problems:
        raise InputError(problems)

    def write(fh: IO[bytes]) -> None:
        out = _XmlOut(fh.write)
        out.open(0, "CodeBook", ("xmlns", CODEBOOK_NS), ("origin", origin))
        out.open(1, "Codes")
        _write_codes(out, tree, 2)
        out.close(1, "Codes")
        out.close(0, "CodeBook")
        out.flush()

    _atomic_write(p, write)
    return p


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
    present = [v for v in series if not _missing(v)]
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
        _check_xml_text(str(col), f"{scope} column", problems)
        out.append((str(col), _variable_type(frame[col]), refi_guid(f"variable:{scope}", col)))
    return out


def _values(row: Mapping[str, Any], variables: list[tuple[str, str, str]], what: str,
            problems: list[Problem]) -> list[tuple[str, str, str]]:
    """(type, variable guid, text) of the values of one row."""
    values = []
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
        values.append((kind, guid, text))
    return values


def _write_values(out: _XmlOut, depth: int, values: list[tuple[str, str, str]]) -> None:
    for kind, guid, text in values:
        out.open(depth, "VariableValue")
        out.empty(depth + 1, "VariableRef", ("targetGUID", guid))
        out.text(depth + 1, f"{kind}Value", text)
        out.close(depth, "VariableValue")


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything ``project.qde`` says, checked, in the order it is written."""

    tree: _CodeTree
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


def _check_columns(documents: pd.DataFrame, segments: pd.DataFrame, codings: pd.DataFrame,
                   participants: pd.DataFrame | None) -> None:
    problems = []
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


def _strings_or_none(column: pd.Series) -> list[str | None]:
    """``str`` of each value, None where it is missing."""
    return [None if m else str(v) for v, m in zip(column.tolist(), column.isna().tolist())]


def _split_names(value: Any) -> list[str]:
    return [x for x in str(value).split("; ") if x] if not _missing(value) else []


def _check_documents(documents: pd.DataFrame, problems: list[Problem]) -> tuple[list[str], dict[str, str]]:
    doc_ids = [str(d) for d in documents["document"]]
    if len(set(doc_ids)) != len(doc_ids):
        problems.append(Problem(field="documents.document", expected="unique document ids", found="repeated ids"))
    texts = dict(zip(doc_ids, documents["text"].astype(object)))
    for d, t in texts.items():
        if not isinstance(t, str):
            problems.append(Problem(field="documents.text", expected="text", found=f"{t!r} for {d!r}"))
        elif _SURROGATE.search(t):
            problems.append(Problem(field="documents.text", expected="text without lone surrogates",
                                    found=f"a lone surrogate in {d!r}"))
        _check_xml_text(d, "documents.document", problems)
    return doc_ids, texts


def _check_segment(row: dict, texts: dict[str, str], seg_info: dict[str, dict], problems: list[Problem]) -> None:
    sid, doc = str(row["segment"]), str(row["document"])
    if doc not in texts:
        problems.append(Problem(field="segments.document", expected="a document of the documents table",
                                found=f"{doc!r} (segment {sid!r})"))
        return
    text = texts[doc] if isinstance(texts[doc], str) else ""
    try:
        s, e = int(row["start"]), int(row["end"])
    except (TypeError, ValueError):
        problems.append(Problem(field="segments.start, end", expected="whole numbers",
                                found=f"{row['start']!r}, {row['end']!r} (segment {sid!r})"))
        return
    if not 0 <= s <= e <= len(text):
        problems.append(Problem(field="segments.start, end",
                                expected=f"0 <= start <= end <= {len(text)} (the length of {doc!r})",
                                found=f"{s}, {e} (segment {sid!r})"))
        return
    if "text" in row and not _missing(row["text"]) and row["text"] != text[s:e]:
        problems.append(Problem(field="segments.text", expected=f"the text at [{s}, {e}) of {doc!r}",
                                found=f"{str(row['text'])[:40]!r} (segment {sid!r})"))
        return
    if sid in seg_info:
        problems.append(Problem(field="segments.segment", expected="unique segment ids", found=repr(sid)))
        return
    seg_info[sid] = {"document": doc, "start": s, "end": e, "participants": _split_names(row.get("participant")),
                     "units": {}}


def _check_codings(codings: pd.DataFrame, known_codes: set[str], seg_info: dict[str, dict],
                   problems: list[Problem]) -> list[str]:
    """Group the codings into their segments' units; returns the coders in order of first coding."""
    coders: list[str] = []
    unit_segment: dict[str, str] = {}
    n = len(codings)
    units = _strings_or_none(codings["unit"]) if "unit" in codings else [None] * n
    notes = _strings_or_none(codings["note"]) if "note" in codings else [None] * n
    coder_list = _strings_or_none(codings["coder"])
    rows = zip(map(str, codings["segment"].tolist()), map(str, codings["code"].tolist()), coder_list, units, notes)
    for i, (sid, code, coder, unit, note) in enumerate(rows):
        unit = unit if unit is not None else sid
        bad = []
        if sid not in seg_info:
            bad.append(Problem(field="codings.segment", expected="a segment of the segments table",
                               found=f"{sid!r} (coding {i + 1})"))
        if code not in known_codes:
            bad.append(Problem(field="codings.code", expected="a code of the codebook", found=f"{code!r} (coding {i + 1})"))
        if coder is None or not coder.strip():
            bad.append(Problem(field="codings.coder", expected="the coder's name", found=f"nothing (coding {i + 1})"))
        if unit in unit_segment and unit_segment[unit] != sid:
            bad.append(Problem(field="codings.unit", expected="one segment per unit",
                               found=f"unit {unit!r} in {unit_segment[unit]!r} and {sid!r}"))
        if bad:
            problems += bad
            continue
        _check_xml_text(coder, "codings.coder", problems)
        note = note or ""
        _check_xml_text(note, "codings.note", problems)
        unit_segment[unit] = sid
        if coder not in coders:
            coders.append(coder)
        seg_info[sid]["units"].setdefault(unit, []).append((code, coder, note))
    return coders


def _case_ids(participants: pd.DataFrame | None, doc_parts: dict[str, list[str]], seg_info: dict[str, dict],
              problems: list[Problem]) -> list[str]:
    case_ids = [str(x) for x in participants["participant"]] if participants is not None else []
    if len(set(case_ids)) != len(case_ids):
        problems.append(Problem(field="participants.participant", expected="unique participants",
                                found="repeated ids"))
    seen = set(case_ids)
    for names in [*doc_parts.values(), *(info["participants"] for info in seg_info.values())]:
        for n in names:
            if n not in seen:
                seen.add(n)
                case_ids.append(n)
    return case_ids


def _plan_selections(plan: _Plan, seg_info: dict[str, dict]) -> None:
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
                planned.append((sel_guid, unit, info["start"], info["end"],
                                _plan_codings(plan, unit, units[unit], code_rank, user_guid)))
        plan.selections.append(planned)


def _plan_codings(plan: _Plan, unit: str, codings: list[tuple[str, str, str]], code_rank: dict[str, int],
                  user_guid: dict[str, str]) -> list[tuple[str, str, str, str]]:
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


def _make_plan(codebook: pd.DataFrame, documents: pd.DataFrame, segments: pd.DataFrame, codings: pd.DataFrame,
               participants: pd.DataFrame | None) -> _Plan:
    """Check every table (all problems at once) and plan the project."""
    _check_columns(documents, segments, codings, participants)
    problems: list[Problem] = []
    tree = _code_tree(codebook, problems)
    doc_ids, texts = _check_documents(documents, problems)
    doc_parts = {d: _split_names(v) for d, v in zip(doc_ids, documents["participant"])}
    seg_info: dict[str, dict] = {}
    for row in segments.to_dict("records"):
        _check_segment(row, texts, seg_info, problems)
    coders = _check_codings(codings, {str(c) for c in codebook.index}, seg_info, problems)
    case_ids = _case_ids(participants, doc_parts, seg_info, problems)
    case_vars = _variables(participants, {"participant"}, "case", problems) if participants is not None else []
    source_vars = _variables(documents, {"document", "participant", "text"}, "source", problems)
    if problems:
        raise InputError(problems)
    plan = _Plan(tree, coders, doc_ids, texts, doc_parts, case_ids, case_vars, source_vars)
    _plan_selections(plan, seg_info)
    plan.source_values = [_values(r, source_vars, f"document {d!r}", problems)
                          for d, r in zip(doc_ids, documents.to_dict("records"))]
    rows = participants.set_index(participants["participant"].astype(str)).to_dict("index") \
        if participants is not None else {}
    for n in case_ids:
        plan.case_values[n] = _values(rows[n], case_vars, f"participant {n!r}", problems) if n in rows else []
        _check_xml_text(n, "participant", problems)
    if problems:
        raise InputError(problems)
    return plan


def _write_cases(out: _XmlOut, plan: _Plan) -> None:
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
        _write_values(out, 3, values)
        for d in docs:
            out.empty(3, "SourceRef", ("targetGUID", refi_guid("source", d)))
        for g in sels:
            out.empty(3, "SelectionRef", ("targetGUID", g))
        out.close(2, "Case")
    out.close(1, "Cases")


def _write_sources(out: _XmlOut, plan: _Plan) -> None:
    out.open(1, "Sources")
    for d, planned, values in zip(plan.doc_ids, plan.selections, plan.source_values):
        guid = refi_guid("source", d)
        attrs = (("guid", guid), ("name", d), ("plainTextPath", f"internal://{guid}.txt"))
        if not (planned or values):
            out.empty(2, "TextSource", *attrs)
            continue
        out.open(2, "TextSource", *attrs)
        for sel_guid, unit, start, end, codings in planned:
            # the unit id travels as the selection's name, so reconciliation sheets that
            # name units still apply after a round trip through a QDA program (guids and
            # numbers need no escaping: written directly, this is the hot loop)
            head = (f'      <PlainTextSelection guid="{sel_guid}" name="{_attr(unit)}" startPosition="{start}" '
                    f'endPosition="{end}"')
            if not codings:
                out.line(head + "/>\n")
                continue
            out.line(head + ">\n")
            for cguid, code_guid, user, nguid in codings:
                note = f'          <NoteRef targetGUID="{nguid}"/>\n' if nguid else ""
                out.line(f'        <Coding guid="{cguid}" creatingUser="{user}">\n'
                         f'          <CodeRef targetGUID="{code_guid}"/>\n{note}        </Coding>\n')
            out.line("      </PlainTextSelection>\n")
        _write_values(out, 3, values)
        out.close(2, "TextSource")
    out.close(1, "Sources")


def _write_project(out: _XmlOut, plan: _Plan, name: str, origin: str) -> None:
    out.open(0, "Project", ("xmlns", PROJECT_NS), ("name", name), ("origin", origin))
    if plan.coders:
        out.open(1, "Users")
        for c in plan.coders:
            out.empty(2, "User", ("guid", refi_guid("user", c)), ("name", c))
        out.close(1, "Users")
    if plan.tree.order:
        out.open(1, "CodeBook")
        out.open(2, "Codes")
        _write_codes(out, plan.tree, 3)
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
    if plan.notes:
        out.open(1, "Notes")
        for nguid, code, note in plan.notes:
            out.open(2, "Note", ("guid", nguid), ("name", f"note on {code}"))
            out.text(3, "PlainTextContent", note)
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


def _source_members(plan: _Plan) -> Iterator[tuple[str, bytes]]:
    for d in sorted(plan.doc_ids, key=lambda x: f"{refi_guid('source', x)}.txt"):
        text = plan.texts[d]
        # A BOM is written only when the text itself starts with U+FEFF: the reader removes one.
        bom = codecs.BOM_UTF8 if text.startswith("\ufeff") else b""
        yield f"sources/{refi_guid('source', d)}.txt", bom + text.encode("utf-8")


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
    >>> from peerstudy.refi import read_refi
    >>> p = read_refi("tests/fixtures/qdpx/two_coders.qdpx")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     again = read_refi(write_qdpx(f"{tmp}/p.qdpx", p.codebook, p.documents, p.segments, p.codings,
    ...                                  p.participants))
    >>> again.codings.drop(columns=["sheet", "row"]).equals(p.codings.drop(columns=["sheet", "row"]))
    True
    """
    p = _output_path(path, ".qdpx")
    plan = _make_plan(codebook, documents, segments, codings, participants)

    def write(fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w") as zf:
            with zf.open(_zip_info("project.qde"), "w") as member:
                _write_project(_XmlOut(member.write), plan, name, origin)
            for member_name, data in _source_members(plan):
                zf.writestr(_zip_info(member_name), data, compresslevel=9)

    _atomic_write(p, write)
    return p
