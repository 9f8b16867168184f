"""A REFI-QDA project's codings laid onto a study: :func:`apply_refi` (what
:func:`peerstudy.qualitative.coding.read_codings` calls for ``qdpx:``) and :func:`coded_from_refi`.

Imports :mod:`peerstudy.qualitative.refi.reader`, :mod:`peerstudy.qualitative.segments` and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from peerstudy.config import relative_to_root
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.qualitative.refi.project import RefiProject
from peerstudy.qualitative.refi.reader import read_refi
from peerstudy.qualitative.segments import Coded, attribute_segments

__all__ = ["apply_refi", "coded_from_refi"]


def coded_from_refi(project: RefiProject, coders: Iterable[str] | None = None) -> Coded:
    """The segments and codings of a REFI project as :class:`peerstudy.qualitative.coding.Coded`, so
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
            raise ConfigError(
                Problem(
                    field="coders",
                    expected=f"coders of {project.file or 'the project'}",
                    found=repr(unknown),
                    fix=f"use some of {sorted(set(codings['coder']))}",
                )
            )
        codings = codings[codings["coder"].isin(wanted)]
    return Coded(segments=project.segments.copy(), codings=codings.reset_index(drop=True).copy())


def _text_problems(project: RefiProject, documents: pd.DataFrame, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    texts = documents.set_index("document")["text"]
    for doc in project.documents.itertuples():
        element = f'<TextSource name="{doc.document}">'
        if doc.document not in texts.index:
            problems.append(
                Problem(
                    file=shown,
                    field=element,
                    expected="a document of the study's cleaned data",
                    found=repr(doc.document),
                    fix="export the project from the study's documents",
                )
            )
        elif doc.text != texts[doc.document]:
            at = next(
                (i for i, (a, b) in enumerate(zip(doc.text, texts[doc.document], strict=False)) if a != b),
                min(len(doc.text), len(texts[doc.document])),
            )
            problems.append(
                Problem(
                    file=shown,
                    field=element,
                    expected=f"the cleaned text of {doc.document!r}",
                    found=f"a different text (first difference at character {at})",
                    fix="code the de-identified texts the pipeline wrote, not another version",
                )
            )
    return problems


def apply_refi(
    path: str | os.PathLike[str],
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    turns: pd.DataFrame | None = None,
    redact: Callable[[str], str] | None = None,
) -> Coded:
    """The codings of a REFI-QDA project, laid onto a study's cleaned documents.

    Every text source of the project must be one of ``documents`` with exactly the same
    (de-identified) text, so that offsets mean the same thing; every code must be in
    ``codebook`` (match by id through :func:`refi_guid`, as :func:`write_qdc` writes
    them). Segments are attributed to the speaker of their turn, as coder sheets are.
    The result's ``imported`` is the project's summary (sources, codes, users,
    selections with the reading of their offsets, codings, and what was skipped with
    the reason).

    ``redact`` (for example a study's de-identification, ``lambda t: deidentify(t, key)[0]``)
    is applied to the researcher-written text the project carries on: the coding and
    selection notes and selection descriptions (``codings.note``), selection names
    (``codings.unit``) and the names and reasons listed in ``imported``. The texts
    themselves must already equal the study's de-identified documents.

    Examples
    --------
    >>> path = "tests/fixtures/qdpx/nvivo_crlf_emoji.qdpx"
    >>> project = read_refi(path)
    >>> coded = apply_refi(path, project.documents, project.codebook, redact=lambda t: t.replace("doubts", "[X]"))
    >>> [note for note in coded.codings["note"] if note]
    ['First [X] 😟 noted']
    """
    project = read_refi(path, codebook=codebook)
    shown = project.file or relative_to_root(Path(path))
    problems = _text_problems(project, documents, shown)
    unknown = sorted(set(project.codings["code"]) - set(codebook.index))
    if unknown:
        problems.append(
            Problem(
                file=shown,
                field="<CodeRef targetGUID=…>",
                expected="codes of the study's codebook",
                found=", ".join(map(repr, unknown[:10])),
                fix="add them to the codebook, or recode",
            )
        )
    if problems:
        raise InputError(problems)
    segments, more = attribute_segments(project.segments, documents, turns, file=shown)
    if more:
        raise InputError(more)
    skipped = pd.DataFrame(
        {
            "item": [
                f"skipped {k}: {n or g}"
                for k, n, g in zip(
                    project.skipped["kind"], project.skipped["name"], project.skipped["guid"], strict=False
                )
            ],
            "count": 1,
            "detail": project.skipped["reason"],
        }
    )
    imported = pd.concat([project.summary(), skipped], ignore_index=True).astype({"count": "int64"})
    codings = project.codings.copy()
    if redact is not None:
        for frame, columns in ((codings, ("note", "unit")), (imported, ("item", "detail"))):
            for col in columns:
                frame[col] = [redact(v) if isinstance(v, str) else v for v in frame[col]]
    return Coded(segments=segments, codings=codings, imported=imported)
