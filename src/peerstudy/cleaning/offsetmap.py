"""Where an offset into a source text lies in the text made from it: the offset map.

Cleaning makes a document's text from its source (a transcript as the coder saw it) in
steps: the header, times and speaker labels are left out or rewritten (*layout*), the
lines of a turn are joined with one space, and de-identification replaces names and
other identifiers (*replaced* text). An :class:`OffsetMap` keeps what is needed to move an
offset of the source into the text made from it, and nothing else: a sorted list of
:class:`Piece` s, each a span of the source and the span of the text it became (offsets
and lengths only, never the text, so that a map holds no personal identifier).
Everything between pieces is the same text in both, shifted.

Moving a span ``[start, end)`` of the source:

* outside pieces, by the shift of the pieces before it;
* a start inside a replaced piece moves to the start of its replacement, an end inside it
  to its end (a selection that cuts a name takes the whole redacted form);
* a start inside layout (or on its edges) moves to the end of the layout, the next text;
  an end there to its start, the text before (a selection that starts at a speaker label
  starts at what the speaker said).

A map from steps is built with :func:`map_edits` (one step: edits on its input) and
:func:`compose` (one step after another), through *boundary tables* (for each offset of
the input, where a start and an end there move); :func:`pieces_of` turns a table back
into pieces. Maps are written as text (:meth:`OffsetMap.to_text`, one word per piece:
``R12:22>12:14`` for a replaced piece, ``L0:130>0:24`` for layout) to be kept with the
processed documents.

Examples
--------
>>> source = "Ann said hi."
>>> table = map_edits(len(source), [(0, 3, 2)])  # "Ann" became "P1": "P1 said hi."
>>> m = OffsetMap(pieces_of(table, source, "P1 said hi."), len(source))
>>> m.to_text()
'R0:3>0:2'
>>> m.span(4, 8), m.span(1, 8)  # "said"; a start inside the name takes the whole pseudonym
((3, 7), (0, 7))
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Piece",
    "OffsetMap",
    "Table",
    "compose",
    "identity",
    "map_edits",
    "pieces_of",
    "align_text",
    "maps_from_turns",
]

#: Where a start and an end at each offset ``0..n`` of an input move (two lists of n + 1).
Table = tuple[list[int], list[int]]


@dataclass(frozen=True)
class Piece:
    """A span of the source (``source_start``, ``source_end``) and the span of the made
    text it became (``start``, ``end``); ``kind`` ``"replaced"`` or ``"layout"``."""

    source_start: int
    source_end: int
    start: int
    end: int
    kind: str = "replaced"


class OffsetMap:
    """The map of one text (see the module's description).

    Parameters
    ----------
    pieces
        The pieces, in source order, not overlapping (they may touch).
    source_length
        The length of the source (code points): offsets beyond it are refused by
        :meth:`span`'s callers.
    """

    def __init__(self, pieces: list[Piece], source_length: int) -> None:
        self.pieces = sorted(pieces, key=lambda p: (p.source_start, p.source_end))
        self.source_length = source_length
        self._starts = [p.source_start for p in self.pieces]

    def _around(self, p: int) -> list[Piece]:
        """The pieces whose closed source span holds ``p`` (at most a few: they touch)."""
        i = bisect.bisect_right(self._starts, p)
        out = []
        while i > 0 and self.pieces[i - 1].source_end >= p:
            out.append(self.pieces[i - 1])
            i -= 1
        return out[::-1]

    def _shifted(self, p: int) -> int:
        i = bisect.bisect_right(self._starts, p)  # the pieces before p (none holds it)
        if i == 0:
            return p
        before = self.pieces[i - 1]
        return p - before.source_end + before.end

    def start(self, p: int) -> int:
        """Where a span starting at source offset ``p`` starts in the made text.

        Examples
        --------
        >>> m = OffsetMap([Piece(0, 10, 0, 4, "layout"), Piece(14, 18, 8, 10)], 30)
        >>> m.start(3), m.start(10), m.start(15), m.start(20)
        (4, 4, 8, 12)
        """
        around = self._around(p)
        for piece in around:
            if piece.kind == "layout":
                return piece.end
        for piece in around:
            if piece.source_start == p:
                return piece.start
            if p < piece.source_end:
                return piece.start
            return piece.end
        return self._shifted(p)

    def end(self, p: int) -> int:
        """Where a span ending at source offset ``p`` ends in the made text.

        Examples
        --------
        >>> m = OffsetMap([Piece(0, 10, 0, 4, "layout"), Piece(14, 18, 8, 10)], 30)
        >>> m.end(10), m.end(15), m.end(14), m.end(20)
        (0, 10, 8, 12)
        """
        around = self._around(p)
        for piece in around:
            if piece.kind == "layout":
                return piece.start
        for piece in reversed(around):
            if piece.source_end == p:
                return piece.end
            if piece.source_start < p:
                return piece.end
            return piece.start
        return self._shifted(p)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` of the made text for the source span ``[start, end)``."""
        return self.start(start), self.end(end)

    def agrees(self, source: str, made: str) -> bool:
        """Whether ``source`` can be the source of ``made`` under this map: its length is
        the map's source length and the text between pieces is the same in both.

        Examples
        --------
        >>> m = OffsetMap([Piece(0, 3, 0, 2)], 12)
        >>> m.agrees("Ann said hi.", "P1 said hi."), m.agrees("Ann said ho.", "P1 said hi.")
        (True, False)
        """
        if len(source) != self.source_length:
            return False
        at, made_at = 0, 0
        for piece in self.pieces:
            size = piece.source_start - at
            if source[at : piece.source_start] != made[made_at : made_at + size]:
                return False
            at, made_at = piece.source_end, piece.end
        return source[at:] == made[made_at:]

    def to_text(self) -> str:
        """The pieces as words (``R`` replaced, ``L`` layout), e.g. ``'R0:3>0:2 L5:9>4:4'``."""
        return " ".join(
            f"{'L' if p.kind == 'layout' else 'R'}{p.source_start}:{p.source_end}>{p.start}:{p.end}"
            for p in self.pieces
        )

    @classmethod
    def from_text(cls, text: str, source_length: int) -> OffsetMap:
        """The map written by :meth:`to_text`.

        Examples
        --------
        >>> OffsetMap.from_text("R0:3>0:2 L5:9>4:4", 9).pieces[1]
        Piece(source_start=5, source_end=9, start=4, end=4, kind='layout')
        """
        pieces = []
        for word in (text or "").split():
            kind = "layout" if word[0] == "L" else "replaced"
            src, _, out = word[1:].partition(">")
            (a, b), (c, d) = (tuple(int(x) for x in half.split(":")) for half in (src, out))
            pieces.append(Piece(a, b, c, d, kind))
        return cls(pieces, source_length)


def identity(n: int) -> Table:
    """The table of an input of length ``n`` kept as it is."""
    return list(range(n + 1)), list(range(n + 1))


def map_edits(n: int, edits: list[tuple[int, int, int]]) -> Table:
    """The table of one step that replaces, in an input of length ``n``, each span
    ``[start, end)`` of ``edits`` (sorted, not overlapping) by ``length`` code points
    (an empty span inserts them).

    Examples
    --------
    >>> map_edits(5, [(1, 3, 1)])  # "abcde" -> "aXde"
    ([0, 1, 1, 2, 3, 4], [0, 1, 2, 2, 3, 4])
    """
    starts, ends = list(range(n + 1)), list(range(n + 1))
    shift, done = 0, 0  # offsets before ``done`` are placed
    for s, e, length in edits:
        for p in range(done, s):
            starts[p] = ends[p] = p + shift
        out_s, out_e = s + shift, s + shift + length
        starts[s], ends[s] = out_s, out_e if e == s else out_s
        for p in range(s + 1, e):
            starts[p], ends[p] = out_s, out_e
        shift += length - (e - s)
        done = e if e > s else s + 1
    for p in range(done, n + 1):
        starts[p] = ends[p] = p + shift
    return starts, ends


def compose(first: Table, then: Table) -> Table:
    """The table of ``first`` followed by ``then`` (``then`` reads ``first``'s output).

    Examples
    --------
    >>> compose(map_edits(5, [(1, 3, 1)]), map_edits(4, [(1, 2, 3)]))  # "abcde" -> "aXde" -> "aYYYde"
    ([0, 1, 1, 4, 5, 6], [0, 1, 4, 4, 5, 6])
    """
    return [then[0][q] for q in first[0]], [then[1][q] for q in first[1]]


def pieces_of(table: Table, source: str, made: str, *, offset: tuple[int, int] = (0, 0)) -> list[Piece]:
    """The pieces of a table: the runs of the source that are not the same text at a
    shifted place in ``made``, each with the span it became, split where a start and an
    end move to one place; shifted by ``offset`` (source, made) when the table is of a
    part of a longer text.

    Examples
    --------
    >>> pieces_of(map_edits(5, [(1, 3, 1)]), "abcde", "aXde")
    [Piece(source_start=1, source_end=3, start=1, end=2, kind='replaced')]
    """
    starts, ends = table
    n = len(source)
    exact = [starts[p] == ends[p] for p in range(n + 1)]
    same = [
        exact[p] and exact[p + 1] and starts[p + 1] == starts[p] + 1 and source[p] == made[starts[p] : starts[p] + 1]
        for p in range(n)
    ]
    out, p = [], 0
    a, b = offset
    while p < n:
        if same[p]:
            p += 1
            continue
        q = p + 1
        while q < n and not same[q] and not exact[q]:
            q += 1
        out.append(Piece(p + a, q + a, starts[p] + b, ends[q] + b))
        p = q
    return out


def align_text(source: str, made: str) -> list[tuple[int, int, int]]:
    """Edits that make ``made`` from ``source`` when ``made`` keeps the source's
    characters in order and leaves some out or adds a few (lines joined with one space,
    markup removed): each character of ``made`` is matched to the next equal character
    of ``source`` within the slack the lengths allow; the rest are edits
    ``(start, end, length)`` on ``source``, for :func:`map_edits`.

    Examples
    --------
    >>> align_text("Slowly.\\n  Then faster.", "Slowly. Then faster.")
    [(7, 10, 1)]
    """
    edits: list[tuple[int, int, int]] = []

    def add(start: int, end: int, length: int) -> None:
        if edits and edits[-1][1] == start:
            start, length = edits[-1][0], edits.pop()[2] + length
        edits.append((start, end, length))

    i = j = 0
    while i < len(made):
        if made[i].isspace() and j < len(source) and source[j].isspace():  # a run of white space for a run
            i_end, j_end = _space_end(made, i), _space_end(source, j)
            if source[j:j_end] != made[i:i_end]:
                add(j, j_end, i_end - i)
            i, j = i_end, j_end
            continue
        slack = max(0, (len(source) - j) - (len(made) - i))
        k = source.find(made[i], j, j + slack + 1)
        if k < 0:
            add(j, j, 1)
        else:
            if k > j:
                add(j, k, 0)
            j = k + 1
        i += 1
    if j < len(source):
        add(j, len(source), 0)
    return edits


def _space_end(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def maps_from_turns(turns: Any) -> dict[str, OffsetMap]:
    """The map of each document from its turns (a table with ``document``, ``start``,
    ``end``, ``source_start``, ``source_end``, ``source_map`` and ``source_length``, as
    :func:`peerstudy.cleaning.transcripts.clean_transcripts` writes it with source offsets): the
    pieces of each turn, layout between turns (the header, times, speaker labels, line
    ends) and after the last; ``{}`` when the table has no source maps.

    Examples
    --------
    >>> import pandas as pd
    >>> turns = pd.DataFrame({"document": ["d", "d"], "start": [4, 12], "end": [10, 16],
    ...                       "source_start": [20, 40], "source_end": [26, 48],
    ...                       "source_map": ["", "R40:48>12:16"], "source_length": [49, 49]})
    >>> maps_from_turns(turns)["d"].to_text()
    'L0:20>0:4 L26:40>10:12 R40:48>12:16 L48:49>16:16'
    """
    if turns is None or "source_map" not in getattr(turns, "columns", ()):
        return {}
    out = {}
    ordered = turns.sort_values(["document", "start"], kind="stable")
    for document, group in ordered.groupby("document", sort=False):
        pieces, source_at, made_at = [], 0, 0
        for row in group.itertuples():
            pieces.append(Piece(source_at, int(row.source_start), made_at, int(row.start), "layout"))
            pieces += OffsetMap.from_text(row.source_map, 0).pieces
            source_at, made_at = int(row.source_end), int(row.end)
        length = int(group["source_length"].iloc[0])
        pieces.append(Piece(source_at, length, made_at, made_at, "layout"))
        out[str(document)] = OffsetMap(pieces, length)
    return out
