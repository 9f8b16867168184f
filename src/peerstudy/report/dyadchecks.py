"""What is wrong with a dyad study's declarations, found before any table is made: kinds
of source that are not known, sources named but not declared or not in the documents, a
broken-down category that is not a code, a category depth that is not a level of the
codebook. :func:`peerstudy.report.comparisons.check_dyad_parameters` raises them together.

Examples
--------
>>> docs = pd.DataFrame({"source": ["notes", "call"]})
>>> book = pd.DataFrame({"depth": [0]}, index=pd.Index(["a"], name="code"))
>>> problems = dyad_declaration_problems(docs, book, known_kinds={"interview": "n"}, source_kinds={"notes": "interview"},
...                                      sources=[], shared_sources=[], dimensions_of=[], depth=0)
>>> [(p.field, p.found) for p in problems]
[('source_kinds', "'call'")]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from peerstudy.errors import Problem
from peerstudy.qualitative.codebook import depth_problem

__all__ = ["dyad_declaration_problems"]


def dyad_declaration_problems(
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    known_kinds: Mapping[str, str],
    source_kinds: dict,
    sources: Sequence[str],
    shared_sources: Sequence[str],
    dimensions_of: Sequence[str],
    depth: int,
    source: str = "source",
    file: str | None = None,
) -> list[Problem]:
    """Every problem of the declarations (parameters as
    :func:`~peerstudy.report.comparisons.check_dyad_parameters`; ``known_kinds``: the kinds
    of source a study may declare), in the order: kinds, sources, codebook.

    Examples
    --------
    >>> book = pd.DataFrame({"depth": [0, 1]}, index=pd.Index(["a", "b"], name="code"))
    >>> problems = dyad_declaration_problems(pd.DataFrame({"source": ["x"]}), book, known_kinds={"k": "n"},
    ...                                      source_kinds={"x": "k"}, sources=["x"], shared_sources=[],
    ...                                      dimensions_of=["c"], depth=2)
    >>> [p.field for p in problems]
    ['dimensions_of', 'category_depth']
    """
    return [
        *_kind_problems(known_kinds, source_kinds, file),
        *_source_problems(documents, source_kinds, sources, shared_sources, source, file),
        *_codebook_problems(codebook, dimensions_of, depth, file),
    ]


def _kind_problems(known_kinds: Mapping[str, str], source_kinds: dict, file: str | None) -> list[Problem]:
    """Every declared kind of source that is not one of ``known_kinds``."""
    kinds = ", ".join(map(repr, known_kinds))
    return [
        Problem(
            file=file,
            field="source_kinds",
            expected=f"one of {kinds}",
            found=f"{k!r} (for source {s!r})",
            fix="declare each source as one of these kinds",
        )
        for s, k in source_kinds.items()
        if k not in known_kinds
    ]


def _source_problems(
    documents: pd.DataFrame,
    source_kinds: dict,
    sources: Sequence[str],
    shared_sources: Sequence[str],
    source: str,
    file: str | None,
) -> list[Problem]:
    """The source attribute missing from the documents, sources named but not declared,
    and the declared sources that do not match the documents'."""
    problems = []
    if source not in documents:
        problems.append(
            Problem(
                file=file,
                field="document_attributes",
                expected=f"a document attribute {source!r}",
                found="none",
                fix=f"declare {source!r} in the study's document_attributes",
            )
        )
    found = set(documents[source].astype(str)) if source in documents else set()
    for name, values in (("sources", sources), ("shared_views_from", shared_sources)):
        problems += [
            Problem(
                file=file,
                field=name,
                expected="sources declared in source_kinds",
                found=repr(v),
                fix=f"add {v!r} to source_kinds, or correct the name",
            )
            for v in values
            if v not in source_kinds
        ]
    return problems + _declared_source_problems(found, source_kinds, file)


def _declared_source_problems(found: set[str], source_kinds: dict, file: str | None) -> list[Problem]:
    """Sources of the documents not declared. A declared source without documents (the
    interviews not yet transcribed) is no problem: its counts are zero; a misspelt one
    leaves the documents' own source undeclared, which this finds."""
    return [
        Problem(
            file=file,
            field="source_kinds",
            expected="every source of the documents declared",
            found=repr(s),
            fix=f"add {s!r} with its kind",
        )
        for s in sorted(found)
        if s not in source_kinds
    ]


def _codebook_problems(
    codebook: pd.DataFrame, dimensions_of: Sequence[str], depth: int, file: str | None
) -> list[Problem]:
    """Broken-down categories that are not codes, and a depth that is not a level of the codebook."""
    problems = [
        Problem(
            file=file,
            field="dimensions_of",
            expected="codes of the codebook",
            found=repr(c),
            fix="name a category of the codebook, or leave the list empty",
        )
        for c in dimensions_of
        if c not in codebook.index
    ]
    level = depth_problem(codebook, depth, file=file)
    return problems + ([level] if level else [])
