"""Coded segments: what coder sheets and REFI-QDA projects both produce, and the
participant each segment belongs to.

Imports :mod:`peerstudy.qualitative.excerpts` and :mod:`peerstudy.errors` only, so that
both :mod:`peerstudy.qualitative.coding` and :mod:`peerstudy.qualitative.refi` can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from peerstudy.errors import Problem
from peerstudy.qualitative.excerpts import TurnIndex

__all__ = ["Coded", "attribute_segments"]


@dataclass
class Coded:
    """Segments and codings read from coder sheets or a REFI-QDA project.

    ``imported`` summarises a REFI-QDA import (what was read and what was skipped, with
    the reason); for coder sheets it lists the sheets and their rows. ``tolerant`` lists
    the excerpts found only tolerantly (quotes, dashes, spaces or case differ from the
    document), with the text they were matched to, for a person to check.
    """

    segments: pd.DataFrame
    codings: pd.DataFrame
    imported: pd.DataFrame | None = None
    tolerant: pd.DataFrame | None = None


def attribute_segments(
    segments: pd.DataFrame, documents: pd.DataFrame, turns: pd.DataFrame | None, *, file: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Segments with ``participant`` set to the speaker of the turn that holds them (or
    the document's participant when there are no turns or no participant speakers);
    a problem for each segment that crosses turns or lies in an interviewer's turn."""
    owners = dict(zip(documents["document"], documents["participant"].astype(str), strict=False))
    index = TurnIndex(turns) if turns is not None else None
    speakers, problems = [], []
    columns = (segments[c] for c in ("segment", "document", "start", "end"))
    for segment, document, start, end in zip(*columns, strict=True):
        owner = owners[document]
        if index is None or not owner:
            speakers.append(owner)
            continue
        speaker = index.speaker_at(document, start, end)
        if speaker is None or speaker not in owner.split("; "):
            problems.append(
                Problem(
                    file=file,
                    field="segment",
                    expected="text within one participant's turn",
                    found=f"{segment}: " + ("text across turns" if speaker is None else f"text of {speaker!r}"),
                    fix="mark only what one participant said",
                )
            )
        speakers.append(speaker or "")
    return segments.assign(participant=pd.array(speakers, dtype="string")), problems
