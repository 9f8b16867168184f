"""Where a coder's excerpt lies: its place in a document, and whose turn holds it.

A coder copies an excerpt from a document into a sheet. :func:`find_excerpt` finds every
place it occurs, exactly, or, when it occurs nowhere exactly, *tolerantly*: ignoring the
typographic differences copying introduces (curly and straight quotes and apostrophes,
the kinds of dash and hyphen, runs of white space, letter case). A tolerant match is
returned with ``exact=False`` so that it can be listed for a person to check. An excerpt
that occurs in more than one place is ambiguous: the caller asks the sheet to say which
(offsets, the speaker, or the occurrence number), never picks the first silently.

:class:`TurnIndex` answers "which speaker's turn holds ``[start, end)``" by a binary
search over each document's sorted turns, so locating n codings in t turns costs
O(n log t), not O(n t).

Examples
--------
>>> find_excerpt("He said \u201cno\u201d twice.", 'said "no"')
Match(spans=[(3, 12)], exact=False)
>>> find_excerpt("yes and yes", "yes").spans
[(0, 3), (8, 11)]
>>> turns = pd.DataFrame({"document": ["d", "d"], "speaker": ["I", "P1"], "start": [0, 10], "end": [10, 30]})
>>> TurnIndex(turns).speaker_at("d", 12, 20)
'P1'
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["Match", "find_excerpt", "fold_text", "TurnIndex"]

# Characters that copying between programs swaps for one another, folded to one form.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Match:
    """Where an excerpt occurs: ``spans`` (``start``, ``end``) in code points into the
    document text, and whether they are exact or tolerant matches."""

    spans: list[tuple[int, int]]
    exact: bool


def fold_text(text: str) -> tuple[str, list[int]]:
    """``text`` with quotes, dashes, white-space runs and case folded, and for each
    character of the result the offset in ``text`` it came from (one more entry, the
    end, so that a span of the folded text maps back to a span of the original).

    Examples
    --------
    >>> fold_text("A \u2014  B")
    ('a - b', [0, 1, 2, 3, 5, 6])
    """
    folded: list[str] = []
    origin: list[int] = []
    previous_space = False
    for i, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            previous_space = True
            folded.append(" ")
            origin.append(i)
            continue
        previous_space = False
        lowered = char.translate(_FOLD).lower()
        if len(lowered) != 1:  # a character whose lower case is longer (e.g. U+0130) keeps its place
            lowered = char.translate(_FOLD)
        folded.append(lowered)
        origin.append(i)
    origin.append(len(text))
    return "".join(folded), origin


def _occurrences(text: str, excerpt: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(excerpt)
    while start >= 0:
        spans.append((start, start + len(excerpt)))
        start = text.find(excerpt, start + 1)
    return spans


def find_excerpt(text: str, excerpt: str) -> Match:
    """Every place ``excerpt`` occurs in ``text``: exactly if it occurs so anywhere,
    else tolerantly (see the module's description); the whole text for an empty excerpt;
    no spans if it occurs nowhere even tolerantly.

    Examples
    --------
    >>> find_excerpt("abc", "")
    Match(spans=[(0, 3)], exact=True)
    >>> find_excerpt("It  was  HARD - really", "it was hard \u2013 really")
    Match(spans=[(0, 22)], exact=False)
    >>> find_excerpt("abc", "x").spans
    []
    """
    if not excerpt:
        return Match(spans=[(0, len(text))], exact=True)
    spans = _occurrences(text, excerpt)
    if spans:
        return Match(spans=spans, exact=True)
    folded, origin = fold_text(text)
    wanted = _SPACE.sub(" ", excerpt.strip()).translate(_FOLD).lower()
    found = [(origin[s], origin[e - 1] + 1) for s, e in _occurrences(folded, wanted)]
    return Match(spans=found, exact=False)


class TurnIndex:
    """The speaker turns of documents, indexed for lookups by position.

    Parameters
    ----------
    turns
        ``document``, ``speaker``, ``start``, ``end`` (code points into the document).
    """

    def __init__(self, turns: pd.DataFrame) -> None:
        self._starts: dict[str, list[int]] = {}
        self._rows: dict[str, list[tuple[int, int, str]]] = {}
        self._overlapping: set[str] = set()
        reach: dict[str, int] = {}  # the furthest end of a document's turns so far
        ordered = turns.sort_values(["document", "start", "end"], kind="stable")
        for document, start, end, speaker in zip(
            ordered["document"], ordered["start"], ordered["end"], ordered["speaker"], strict=False
        ):
            key = str(document)
            self._starts.setdefault(key, []).append(int(start))
            if key in reach and int(start) < reach[key]:
                self._overlapping.add(key)
            reach[key] = max(reach.get(key, 0), int(end))
            self._rows.setdefault(key, []).append((int(start), int(end), str(speaker)))

    def speaker_at(self, document: str, start: int, end: int) -> str | None:
        """The speaker of the turn that holds ``[start, end)``, or ``None`` if no single
        turn does (the first such turn in document order where turns overlap)."""
        starts = self._starts.get(str(document))
        if not starts:
            return None
        rows = self._rows[str(document)]
        if str(document) in self._overlapping:  # rare: scan, keeping the earliest holder
            return self._first_holder(rows, start, end)
        i = bisect.bisect_right(starts, start) - 1  # the one turn that can hold a non-empty span
        while i > 0 and start == end and rows[i - 1][1] >= end:  # an empty span where two turns touch
            i -= 1
        if i >= 0 and rows[i][1] >= end:
            return rows[i][2]
        return None

    @staticmethod
    def _first_holder(rows: list[tuple[int, int, str]], start: int, end: int) -> str | None:
        """Where turns overlap, the earliest turn (in document order) that holds the span."""
        for turn_start, turn_end, speaker in rows:
            if turn_start <= start and turn_end >= end:
                return speaker
        return None
