"""A REFI-QDA project's codings laid onto a study: :func:`apply_refi` (what
:func:`peerstudy.qualitative.coding.read_codings` calls for ``qdpx:``) and :func:`coded_from_refi`.

Imports :mod:`peerstudy.qualitative.refi.reader`, :mod:`peerstudy.qualitative.segments` and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from peerstudy.cleaning.offsetmap import OffsetMap, maps_from_turns
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


def _text_problems(
    project: RefiProject, documents: pd.DataFrame, shown: str, maps: dict[str, OffsetMap]
) -> tuple[list[Problem], dict[str, OffsetMap]]:
    """Problems with the project's texts, and the maps of the documents whose text in the
    project is their source text (the transcript as written) rather than the cleaned one."""
    problems: list[Problem] = []
    from_source: dict[str, OffsetMap] = {}
    texts = documents.set_index("document")["text"]
    for document, text in zip(project.documents["document"], project.documents["text"], strict=True):
        m = maps.get(str(document))
        if document in texts.index and text != texts[document] and m is not None:
            if m.agrees(text, texts[document]):
                from_source[str(document)] = m
                continue
        element = f'<TextSource name="{document}">'
        if document not in texts.index:
            problems.append(
                Problem(
                    file=shown,
                    field=element,
                    expected="a document of the study's cleaned data",
                    found=repr(document),
                    fix="export the project from the study's documents",
                )
            )
        elif text != texts[document]:
            at = next(
                (i for i, (a, b) in enumerate(zip(text, texts[document], strict=False)) if a != b),
                min(len(text), len(texts[document])),
            )
            problems.append(
                Problem(
                    file=shown,
                    field=element,
                    expected=f"the cleaned text of {document!r}",
                    found=f"a different text (first difference at character {at})",
                    fix="code the de-identified texts the pipeline wrote, or the transcripts as written when the "
                    "study reads them with source_offsets: true, not another version",
                )
            )
    return problems, from_source


def _from_source(
    project: RefiProject, documents: pd.DataFrame, maps: dict[str, OffsetMap], shown: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Segments and codings with the offsets of the documents coded in their source text
    moved into the cleaned text through their maps (segment ids follow the new offsets)."""
    texts = documents.set_index("document")["text"]
    renamed, rows, problems = {}, [], []
    for seg in project.segments.to_dict("records"):
        m = maps.get(str(seg["document"]))
        if m is not None:
            start, end = m.span(int(seg["start"]), int(seg["end"]))
            if start >= end:
                problems.append(
                    Problem(
                        file=shown,
                        field=f"<PlainTextSelection> of {seg['document']!r}",
                        expected="a selection of some of what was said",
                        found=f"[{seg['start']}, {seg['end']}): only the header, times or speaker labels",
                        fix="select the words of the turn in the QDA program",
                    )
                )
                continue
            new = f"{seg['document']}@{start}-{end}"
            renamed[seg["segment"]] = new
            seg |= {"segment": new, "start": start, "end": end, "text": texts[seg["document"]][start:end]}
        rows.append(seg)
    segments = pd.DataFrame(rows, columns=project.segments.columns).drop_duplicates("segment")
    codings = project.codings.assign(segment=project.codings["segment"].replace(renamed))
    return segments.astype(project.segments.dtypes.to_dict()).reset_index(drop=True), codings, problems


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
    (de-identified) text, so that offsets mean the same thing, or, where the study reads
    its transcripts with ``source_offsets: true`` (``turns`` then carry the map of each
    document, :func:`peerstudy.cleaning.offsetmap.maps_from_turns`), the transcript as written:
    its text must agree with the map (same length, same text outside the replaced
    identifiers and the layout), and the offsets of its selections are moved into the
    cleaned text through the map; every code must be in
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
    problems, from_source = _text_problems(project, documents, shown, maps_from_turns(turns))
    segments, codings = project.segments, project.codings
    if from_source:
        segments, codings, more = _from_source(project, documents, from_source, shown)
        problems += more
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
    segments, more = attribute_segments(segments, documents, turns, file=shown)
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
    codings = codings.copy()
    if redact is not None:
        for frame, columns in ((codings, ("note", "unit")), (imported, ("item", "detail"))):
            for col in columns:
                frame[col] = [redact(v) if isinstance(v, str) else v for v in frame[col]]
    return Coded(segments=segments, codings=codings, imported=imported)
