"""Writing codebooks: the code tree checked and ordered, written as nested ``<Code>``
elements with a stack (any depth up to what a reader accepts), and :func:`write_qdc`.

Imports :mod:`peerstudy.qualitative.refi.xmlout`, ``.project``, ``.xmltree`` (its depth bound),
pandas and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.io.missing import is_na
from peerstudy.qualitative.refi.project import refi_guid
from peerstudy.qualitative.refi.xmlout import XmlOut, atomic_write, check_xml_text, output_path
from peerstudy.qualitative.refi.xmltree import MAX_XML_DEPTH

__all__ = ["CODEBOOK_NS", "MAX_CODE_DEPTH", "CodeTree", "code_tree", "write_codes", "write_qdc"]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: Codes nested deeper than this cannot be read back (Project > CodeBook > Codes > Code …).
MAX_CODE_DEPTH = MAX_XML_DEPTH - 3

# ---------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------


@dataclass
class CodeTree:
    """Codes by parent (children in codebook order), with what each code's element needs."""

    kids: dict[str | None, list[str]]
    order: list[str] = field(default_factory=list)  # tree order, as the reader returns codes
    element: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # guid, label, isCodable
    definition: dict[str, str] = field(default_factory=dict)


def _walk(tree: CodeTree, codebook: pd.DataFrame, ids: list[str], problems: list[Problem]) -> str | None:
    """Fill ``tree.order`` and the elements in tree order, with a stack; the first code
    found deeper than :data:`MAX_CODE_DEPTH`, if any."""
    labels = [str(x) for x in codebook["label"]]
    definitions = (
        [("" if is_na(x) else str(x)) for x in codebook["definition"]] if "definition" in codebook else [""] * len(ids)
    )
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
        for value, what in (
            (code, "codebook.code"),
            (labels[i], "codebook.label"),
            (definitions[i], "codebook.definition"),
        ):
            check_xml_text(value, what, problems)
        tree.element[code] = (refi_guid("code", code), labels[i], "true" if codable[i] else "false")
        tree.definition[code] = definitions[i]
        stack.extend((k, depth + 1) for k in reversed(tree.kids.get(code, [])))
    return too_deep


def code_tree(codebook: pd.DataFrame, problems: list[Problem]) -> CodeTree:
    """Check the codebook and order its tree, iteratively (any depth up to :data:`MAX_CODE_DEPTH`)."""
    tree = CodeTree(kids={})
    lacking = [c for c in ("label", "parent") if c not in codebook]
    if lacking:
        problems.append(
            Problem(
                field="codebook",
                expected="a codebook with label, definition and parent columns (peerstudy.qualitative.codebook.read_codebook)",
                found=f"no column {', '.join(lacking)}",
            )
        )
        return tree
    ids = [str(c) for c in codebook.index]
    if len(set(ids)) != len(ids):
        problems.append(Problem(field="codebook", expected="unique code ids", found="repeated ids"))
        return tree
    order = codebook["order"].tolist() if "order" in codebook else list(range(len(ids)))
    parents = [None if pd.isna(p) else str(p) for p in codebook["parent"]]
    known, orphans = set(ids), set()
    for _, _, code, parent in sorted(zip(order, range(len(ids)), ids, parents, strict=False)):
        if parent is not None and parent not in known:
            problems.append(
                Problem(
                    field="codebook.parent",
                    expected="the id of another code, or <NA>",
                    found=f"{parent!r} (parent of {code!r})",
                )
            )
            orphans.add(code)
            continue
        tree.kids.setdefault(parent, []).append(code)
    too_deep = _walk(tree, codebook, ids, problems)
    if too_deep is not None:
        problems.append(
            Problem(
                field="codebook.parent",
                expected=f"a code tree at most {MAX_CODE_DEPTH} levels deep (what REFI-QDA readers accept)",
                found=f"{too_deep!r} deeper",
                fix="flatten the codebook",
            )
        )
    seen = set(tree.order)
    lost = [c for c in ids if c not in seen and c not in orphans]
    if lost and too_deep is None:
        problems.append(
            Problem(
                field="codebook.parent",
                expected="a tree (no code is its own ancestor)",
                found=f"a cycle through {', '.join(map(repr, lost[:5]))}",
            )
        )
    return tree


def write_codes(out: XmlOut, tree: CodeTree, depth: int, notes: dict[str, list[str]] | None = None) -> None:
    """The nested <Code> elements, children in codebook order, with a stack; ``notes``
    gives the guids of the notes (memos) each code refers to."""
    notes = notes or {}
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
        refs = notes.get(code, [])
        if not children and not definition and not refs:
            out.empty(d, "Code", *attrs)
            continue
        out.open(d, "Code", *attrs)
        if definition:
            out.text(d + 1, "Description", definition)
        for guid in refs:
            out.empty(d + 1, "NoteRef", ("targetGUID", guid))
        stack.append((code, d, True))
        stack.extend((k, d + 1, False) for k in reversed(children))


def write_qdc(path: str | os.PathLike[str], codebook: pd.DataFrame, *, origin: str = "peerstudy") -> Path:
    """Write a codebook as a REFI-QDA ``.qdc`` file (Codebook schema 1.0).

    Parameters
    ----------
    path
        Where to write (relative to the project root or absolute); must end in ``.qdc``.
    codebook
        As :func:`peerstudy.qualitative.codebook.read_codebook` returns, optionally with a
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
    >>> from peerstudy.qualitative.codebook import read_codebook
    >>> from peerstudy.qualitative.refi import read_refi
    >>> book = read_codebook("tests/fixtures/mini-interviews/codebook.yaml")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_refi(write_qdc(f"{tmp}/book.qdc", book), codebook=book).codebook
    >>> [str(v) for v in back.loc["S1", ["label", "parent", "depth"]]]
    ['Earning trust', 'C1', '2']
    >>> back.index.tolist() == ["T", "C1", "S1", "S2", "C2", "S3", "S4"]  # tree order
    True
    """
    p = output_path(path, ".qdc")
    problems: list[Problem] = []
    tree = code_tree(codebook, problems)
    if not tree.order and not problems:
        problems.append(Problem(field="codebook", expected="at least one code", found="none"))
    if problems:
        raise InputError(problems)

    def write(fh: IO[bytes]) -> None:
        out = XmlOut(fh.write)
        out.open(0, "CodeBook", ("xmlns", CODEBOOK_NS), ("origin", origin))
        out.open(1, "Codes")
        write_codes(out, tree, 2)
        out.close(1, "Codes")
        out.close(0, "CodeBook")
        out.flush()

    atomic_write(p, write)
    return p
