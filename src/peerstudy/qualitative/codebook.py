"""The codebook: one tree of codes (REFI-QDA ``CodeBook``), read from plain YAML.

A codebook file holds a flat list ``codes`` of entries ``{code, label, definition,
parent}``; ``parent`` is another entry's ``code`` or null for a top-level code. Levels
such as question → category, or theme → category → subcategory, are depths of the one
tree.

Examples
--------
>>> book = read_codebook("data/raw/supporter-survey/codebook.yaml")
>>> [str(v) for v in book.loc["self-growth", ["label", "parent", "depth", "root"]]]
['Self-growth', 'motivation', '1', 'motivation']
>>> children(book, "issues")[:2]
['creating-a-stable-environment-for-self-management', 'raising-awareness-in-society']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml

from peerstudy.cleaning.deid import DeidKey, deidentify_frame, redacted_errors
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.yamlfiles import read_yaml_node

__all__ = [
    "MAX_DEPTH",
    "CODEBOOK_COLUMNS",
    "read_codebook",
    "read_refi_codebook",
    "children",
    "ancestor",
    "ancestors",
    "depth_problem",
    "suggest_code",
]

#: Deepest tree accepted: deeper chains of parents are refused (they are mistakes, and the
#: REFI-QDA writer and readers walk the tree).
MAX_DEPTH = 50
CODEBOOK_COLUMNS = ["label", "definition", "parent", "depth", "root", "order"]


def read_codebook(path: str | Path, key: DeidKey | None = None) -> pd.DataFrame:
    """Read and check a codebook file.

    Parameters
    ----------
    path
        The YAML codebook, relative to the project root or absolute; or a QDA program's
        codebook (REFI-QDA ``.qdc``) or project (``.qdpx``), whose code tree it takes
        (see :func:`read_refi_codebook`).
    key
        The study's de-identification key: labels and definitions are de-identified
        (:mod:`peerstudy.cleaning.deid`), and no message names a person.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``, with ``label``, ``definition``, ``parent`` (``<NA>`` at the
        top), ``depth`` (0 at the top), ``root`` (the top-level ancestor) and ``order``
        (position in the file), in file order.

    Raises
    ------
    InputError
        Every problem at once: missing keys, duplicate codes, unknown parents, cycles;
        each names the file and the line of the entry.
    """
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            # deidentify_frame passes None through; a frame in gives a frame out
            return cast(pd.DataFrame, deidentify_frame(read_codebook(path), key, columns=["label", "definition"]))
    p = resolve_input(path)
    if p.suffix.lower() in (".qdc", ".qdpx"):
        return read_refi_codebook(p)
    shown = relative_to_root(p)
    # as written: codebooks number their codes, and YAML would read 1.10 as the number 1.1
    doc, node = read_yaml_node(p, what="a codebook (YAML)", parameter="codebook", texts=True)
    if not isinstance(doc, dict) or not isinstance(doc.get("codes"), list) or not doc["codes"]:
        raise InputError(
            Problem(
                file=shown,
                field="codes",
                expected="a list 'codes:' of {code, label, definition, parent}",
                found="no such list",
                fix="see data/raw/supporter-survey/codebook.yaml for the format",
            )
        )
    rows, problems = _read_entries(doc["codes"], _item_lines(node, "codes"), shown)
    by_code = {r["code"]: r for r in rows}
    for r in rows:
        if r["parent"] is not None and r["parent"] not in by_code:
            problems.append(
                Problem(
                    file=shown,
                    row=r["line"],
                    field="parent",
                    expected="the code of another entry, or null",
                    found=repr(r["parent"]),
                    fix=_did_you_mean(r["parent"], by_code),
                )
            )
    if problems:
        raise InputError(problems)
    for r in rows:
        r["depth"], r["root"] = _place_in_tree(r, by_code, shown)
    frame = pd.DataFrame(rows).drop(columns="line")
    frame["order"] = range(len(frame))
    frame = frame.set_index("code")
    return frame.astype(
        {
            "label": "string",
            "definition": "string",
            "parent": "string",
            "root": "string",
            "depth": "int64",
            "order": "int64",
        }
    )[CODEBOOK_COLUMNS]


def read_refi_codebook(path: str | Path) -> pd.DataFrame:
    """The code tree of a QDA program's codebook (``.qdc``) or project (``.qdpx``) as a
    codebook (see :func:`read_codebook`): each code's id is its name (spaces collapsed);
    a name taken already is preceded by its parent's id (``Trust/Early``), then numbered.
    Codings of a project read with this codebook find their codes by guid or by path of
    names (:func:`peerstudy.qualitative.refi.reader.read_refi`).

    Examples
    --------
    >>> book = read_refi_codebook("tests/fixtures/qdpx/two_coders.qdpx")
    >>> book[["parent", "depth"]].reset_index().values.tolist()[:3]
    [['Working together', <NA>, 0], ['Trust', 'Working together', 1], ['Earning trust', 'Trust', 2]]
    """
    from peerstudy.qualitative.refi.reader import read_refi  # only for a QDA program's file

    book = read_refi(path).codebook  # by guid, parents before their codes
    ids: dict[str, str] = {}
    for guid, label, parent in zip(book.index, book["label"], book["parent"], strict=True):
        name = " ".join(str(label).split()) or str(guid)
        code = f"{ids[parent]}/{name}" if name in ids.values() and isinstance(parent, str) else name
        number, base = 2, code
        while code in ids.values():
            code, number = f"{base} ({number})", number + 1
        ids[guid] = code
    out = book.rename(index=ids)
    out["parent"] = out["parent"].map(ids.get, na_action="ignore").astype("string")
    out["root"] = out["root"].map(ids).astype("string")
    out.index.name = "code"
    return out[CODEBOOK_COLUMNS]


def _read_entries(entries: list[Any], lines: list[int], shown: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """One row (``code``, ``label``, ``definition``, ``parent``, ``line``) per well-formed
    entry of the list ``codes``, and the problems of the others."""
    problems: list[Problem] = []
    rows = []
    seen: dict[str, int | None] = {}
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else None
        problem = _entry_problem(entry, line, shown, seen)
        if problem is not None:
            problems.append(problem)
            continue
        code = str(entry["code"]).strip()
        seen[code] = line
        parent = entry.get("parent")
        rows.append(
            {
                "code": code,
                "label": str(entry["label"]).strip(),
                "definition": " ".join(str(entry["definition"]).split()),
                "parent": None if parent is None else str(parent).strip(),
                "line": line,
            }
        )
    return rows, problems


def _entry_problem(entry: Any, line: int | None, shown: str, seen: dict[str, int | None]) -> Problem | None:
    """What is wrong with one entry of ``codes``: not a mapping, a missing key, or a code
    ``seen`` before (at the line given)."""
    if not isinstance(entry, dict):
        return Problem(
            file=shown,
            row=line,
            field="codes",
            expected="a mapping {code, label, definition, parent}",
            found=repr(entry),
            fix="write the entry as {code: …, label: …, definition: …, parent: …}",
        )
    missing = [k for k in ("code", "label", "definition") if not str(entry.get(k) or "").strip()]
    if missing:
        return Problem(
            file=shown,
            row=line,
            field=", ".join(missing),
            expected="a non-empty value",
            found="nothing",
            fix="fill in every code's code, label and definition",
        )
    code = str(entry["code"]).strip()
    if code in seen:
        return Problem(
            file=shown,
            row=line,
            field="code",
            expected="a code id used once",
            found=f"{code!r}, already defined at line {seen[code]}",
            fix="rename one of them",
        )
    return None


def _place_in_tree(row: dict[str, Any], by_code: dict[str, dict[str, Any]], shown: str) -> tuple[int, str]:
    """The depth (0 at the top) and top-level ancestor of a code, walking up its parents;
    a cycle or a chain deeper than :data:`MAX_DEPTH` is an error."""
    chain: list[str] = []
    node_code = row["code"]
    while node_code is not None:
        if node_code in chain:
            raise InputError(
                Problem(
                    file=shown,
                    row=row["line"],
                    field="parent",
                    expected="a tree (no code is its own ancestor)",
                    found=" → ".join(chain + [node_code]),
                    fix="correct one of these parents",
                )
            )
        chain.append(node_code)
        if len(chain) > MAX_DEPTH:
            raise InputError(
                Problem(
                    file=shown,
                    row=row["line"],
                    field="parent",
                    expected=f"a tree at most {MAX_DEPTH} levels deep (peerstudy.qualitative.codebook.MAX_DEPTH)",
                    found=f"a chain of more than {MAX_DEPTH} parents above {row['code']!r}",
                    fix="check the parents: codebooks have a few levels (theme, category, code)",
                )
            )
        node_code = by_code[node_code]["parent"]
    return len(chain) - 1, chain[-1]


def children(codebook: pd.DataFrame, code: str) -> list[str]:
    """Direct children of ``code``, in codebook order."""
    return codebook.index[codebook["parent"] == code].tolist()


def ancestor(codebook: pd.DataFrame, code: str, depth: int) -> str:
    """The ancestor of ``code`` at ``depth`` (the code itself if it is not deeper).

    Examples
    --------
    >>> book = read_codebook("data/raw/supporter-survey/codebook.yaml")
    >>> ancestor(book, "self-growth", 0), ancestor(book, "self-growth", 1)
    ('motivation', 'self-growth')
    """
    while int(cast(int, codebook.at[code, "depth"])) > depth:  # the depth column is int64
        code = str(codebook.at[code, "parent"])
    return code


def ancestors(codebook: pd.DataFrame, codes: Iterable[str], depth: int) -> list[str]:
    """:func:`ancestor` of each code, in order (codes lifted to one level of the tree).

    Examples
    --------
    >>> book = read_codebook("data/raw/supporter-survey/codebook.yaml")
    >>> ancestors(book, ["self-growth", "issues"], 0)
    ['motivation', 'issues']
    """
    depths = dict(zip(codebook.index, codebook["depth"].astype(int), strict=True))
    parents = dict(zip(codebook.index, codebook["parent"], strict=True))
    lifted: dict[str, str] = {}  # each distinct code climbed once (codings repeat their codes)

    def lift(code: str) -> str:
        start = code
        if start not in lifted:
            while depths[code] > depth:
                code = str(parents[code])
            lifted[start] = code
        return lifted[start]

    return [lift(c) for c in codes]


def suggest_code(code: str, codebook: pd.DataFrame) -> str:
    """A fix hint for an unknown code: the nearest known codes, if any."""
    return _did_you_mean(code, codebook.index)


def _did_you_mean(code: str, known: Iterable[str]) -> str:
    """A fix hint naming the known codes nearest to ``code``, if any."""
    close = difflib.get_close_matches(str(code), list(known), n=3)
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    return f"{hint}use a code defined in the codebook, or add it there"


def depth_problem(codebook: pd.DataFrame, depth: int, *, file: str | None = None) -> Problem | None:
    """The problem of a ``category_depth`` that is no level of ``codebook`` (0 is the top
    level; a flat codebook has that one only), or None.

    Examples
    --------
    >>> flat = pd.DataFrame({"depth": [0, 0]}, index=pd.Index(["a", "b"], name="code"))
    >>> print(depth_problem(flat, 1))
    field 'category_depth': expected a level of the codebook, 0 to 0, found 1. Fix: 0 is the top level; a codebook without codes under others has that one only.
    """
    top = int(codebook["depth"].max())
    if 0 <= depth <= top:
        return None
    return Problem(
        file=file,
        field="category_depth",
        expected=f"a level of the codebook, 0 to {top}",
        found=repr(depth),
        fix="0 is the top level; a codebook without codes under others has that one only",
    )


def _item_lines(node: yaml.Node | None, key: str) -> list[int]:
    """1-based line of each item of the top-level sequence ``key``."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if getattr(k, "value", None) == key and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []
