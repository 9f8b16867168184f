"""Offsets: how a program counted ``startPosition``/``endPosition``, and the code points they mean.

Imports only the standard library and :mod:`peerstudy.errors`.

A reading has three parts, each mattering only when the texts hold what it is about:

* the unit: UTF-16 code units (NVivo: an emoji counts two) or code points (others);
  they differ only after a character beyond U+FFFF;
* line ends: a CRLF counted as two (as stored in the exported text) or as one (a program
  that read the text with universal newlines); they differ only after a CRLF;
* the BOM of the exported text counted as the first position or not.

:func:`choose_reading` picks one reading per file:

1. declared by the caller (``offsets="utf16"`` or ``"codepoints"``);
2. a reading under which some selection ends beyond its text or inside a surrogate pair
   is ruled out while another places every selection;
3. the ``origin`` names NVivo: UTF-16 units, CRLF as two, BOM not counted (as NVivo
   documents and its exports show); it names this project's writer (``peerstudy``):
   code points;
4. otherwise the data decide: coders select words and lines, so the reading under which
   the fewest selection ends fall inside a word, a CRLF or a character sequence (an emoji
   with its modifiers) is taken, with selections that start or end on a space as the
   tie-break; it must cut at most :data:`MAX_CUT_SHARE` of the selections and do better
   than every reading that gives other spans. Otherwise the file is refused, with the
   counts for each reading, and the caller can declare the reading.

When every reading gives the same spans there is nothing to decide and the default
(code points, CRLF as two, BOM not counted) is reported.

Examples
--------
>>> text = "Emoji 😀 first.\\r\\nThen the line."
>>> sel = [(9, 15), (17, 31)]  # in UTF-16 units, CRLF as two
>>> reading, reason = choose_reading([Located(TextOffsets(text, bom=False), sel, [1, 2])], origin="", where="x")
>>> reading.label
'UTF-16 units, CRLF as two, BOM not counted'
>>> [text[TextOffsets(text, False).codepoint(s, reading):TextOffsets(text, False).codepoint(e, reading)]
...  for s, e in sel]
['first.', 'Then the line.']
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field

from peerstudy.errors import InputError, Problem

__all__ = [
    "DEFAULT",
    "MAX_CUT_SHARE",
    "NVIVO",
    "Located",
    "Reading",
    "TextOffsets",
    "choose_reading",
    "declared_reading",
]

#: The data-based choice refuses when the best reading cuts more than this share of selections.
MAX_CUT_SHARE = 0.2

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CRLF = re.compile("\r(?=\n)")


@dataclass(frozen=True)
class Reading:
    """How offsets count: ``unit`` ("utf16" or "codepoints"), ``crlf`` (2 or 1), ``bom`` (counted)."""

    unit: str = "codepoints"
    crlf: int = 2
    bom: bool = False

    @property
    def label(self) -> str:
        unit = "UTF-16 units" if self.unit == "utf16" else "code points"
        return f"{unit}, CRLF as {'two' if self.crlf == 2 else 'one'}, BOM {'counted' if self.bom else 'not counted'}"


DEFAULT = Reading()
NVIVO = Reading("utf16", 2, False)


def declared_reading(offsets: str) -> Reading:
    """The reading a caller declares with ``offsets="utf16"`` or ``"codepoints"``."""
    return NVIVO if offsets == "utf16" else DEFAULT


class TextOffsets:
    """Maps the offsets of one text, under any reading, to code points.

    Only the characters where readings differ (those beyond U+FFFF, the CR of each
    CRLF) are listed, so a long text costs memory in proportion to them, not to its length.
    """

    def __init__(self, text: str, bom: bool):
        self.text = text
        self.length = len(text)
        self.astral_at = [m.start() for m in _ASTRAL.finditer(text)]
        self.crlf_at = [m.start() for m in _CRLF.finditer(text)]
        self.astral = bool(self.astral_at)
        self.crlf = bool(self.crlf_at)
        self.bom = bom
        self.length16 = self.length + len(self.astral_at)
        self._specials: dict[Reading, tuple[list[int], list[int]]] = {}

    def _plain(self, reading: Reading) -> bool:
        return (
            (reading.unit == "codepoints" or not self.astral)
            and (reading.crlf == 2 or not self.crlf)
            and not (reading.bom and self.bom)
        )

    def _table(self, reading: Reading) -> tuple[list[int], list[int]]:
        """Positions where a character counts other than one unit, and the units added before each."""
        if reading not in self._specials:
            deltas = []
            if reading.unit == "utf16":
                deltas += [(p, 1) for p in self.astral_at]
            if reading.crlf == 1:
                deltas += [(p, -1) for p in self.crlf_at]
            deltas.sort()
            positions = [p for p, _ in deltas]
            before = list(itertools.accumulate((d for _, d in deltas), initial=0))
            self._specials[reading] = (positions, before)
        return self._specials[reading]

    def _units_at(self, p: int, reading: Reading) -> int:
        positions, before = self._table(reading)
        return p + before[bisect_left(positions, p)] + (1 if reading.bom and self.bom else 0)

    def codepoint(self, pos: int, reading: Reading) -> int | None:
        """Code-point offset of ``pos`` read as ``reading``; None if it is no boundary of the text."""
        if self._plain(reading):
            return pos if 0 <= pos <= self.length else None
        if pos == 0:
            return 0
        lo, hi = 0, self.length + 1  # the first boundary whose unit offset reaches pos
        while lo < hi:
            mid = (lo + hi) // 2
            if self._units_at(mid, reading) < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo <= self.length and self._units_at(lo, reading) == pos else None

    def units(self, reading: Reading) -> int:
        """The length of the text under ``reading``."""
        return self.length if self._plain(reading) else self._units_at(self.length, reading)

    def cuts(self, p: int) -> bool:
        """True when code-point position ``p`` falls inside a word, a CRLF or a character sequence."""
        if p <= 0 or p >= self.length:
            return False
        a, b = self.text[p - 1], self.text[p]
        if a == "\r" and b == "\n":
            return True
        if _joins(b) or a == "\u200d" or (_regional(a) and _regional(b)):
            return True
        return _word(a) and _word(b)

    def spaced(self, s: int, e: int) -> int:
        """How many ends of ``[s, e)`` sit on a space or tab inside the selection."""
        return int(s < self.length and self.text[s] in " \t") + int(e > 0 and self.text[e - 1] in " \t")


def _word(ch: str) -> bool:
    """A letter or digit of a script written with spaces between words."""
    if not ch.isalnum():
        return False
    o = ord(ch)
    unspaced = (
        0x0E00 <= o <= 0x0EFF
        or 0x1000 <= o <= 0x109F
        or 0x1780 <= o <= 0x17FF
        or (0x2E80 <= o <= 0x9FFF and not 0x3130 <= o <= 0x318F)
        or 0xF900 <= o <= 0xFAFF
        or o >= 0x20000
    )
    return not unspaced


def _joins(ch: str) -> bool:
    """A character that belongs to the one before it (combining marks, ZWJ, selectors, skin tones)."""
    o = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch in "\u200d\ufe0e\ufe0f"
        or 0x1F3FB <= o <= 0x1F3FF
        or 0xE0020 <= o <= 0xE007F
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


@dataclass
class Located:
    """The selections of one text: ``spans`` as written, ``lines`` of their elements and,
    for messages, ``names`` (how each element is named: tag, guid, line and column)."""

    offsets: TextOffsets
    spans: list[tuple[int, int]]
    lines: list[int]
    names: list[str] = field(default_factory=list)


@dataclass
class _Score:
    reading: Reading
    mapped: list[tuple[int, int] | None]
    invalid: int
    cuts: int
    spaced: int
    first_invalid: str
    first_cut: str


def _score(reading: Reading, texts: list[Located]) -> _Score:
    mapped: list[tuple[int, int] | None] = []
    invalid = cuts = spaced = 0
    first, first_cut = "", ""
    for loc in texts:
        m = loc.offsets
        names = loc.names or [f"the selection at line {ln}" for ln in loc.lines]
        for (s, e), name in zip(loc.spans, names, strict=False):
            a, b = m.codepoint(s, reading), m.codepoint(e, reading)
            if a is None or b is None or a > b:
                invalid += 1
                mapped.append(None)
                if not first:
                    beyond = max(s, e) > m.units(reading)
                    first = f"{name} would " + ("end beyond its text" if beyond else "split a surrogate pair")
                continue
            mapped.append((a, b))
            cut = m.cuts(a) or m.cuts(b)
            cuts += cut
            spaced += m.spaced(a, b)
            if cut and not first_cut:
                first_cut = name
    return _Score(reading, mapped, invalid, cuts, spaced, first, first_cut)


def _candidates(texts: list[Located]) -> list[Reading]:
    units = ["codepoints", "utf16"] if any(t.offsets.astral for t in texts) else ["codepoints"]
    crlfs = [2, 1] if any(t.offsets.crlf for t in texts) else [2]
    boms = [False, True] if any(t.offsets.bom for t in texts) else [False]
    return [Reading(u, c, b) for u, c, b in itertools.product(units, crlfs, boms)]


def choose_reading(texts: list[Located], *, origin: str, where: str, declared: str = "auto") -> tuple[Reading, str]:
    """The reading of a file's offsets and why (see the module docstring).

    Parameters
    ----------
    texts
        Each text with selections, its offsets as written (whole-text codings and blank
        texts left out).
    origin
        The file's ``origin`` attribute ("" when absent).
    where
        The file, for the message when no reading fits.
    declared
        ``"auto"``, or the caller's ``"utf16"`` / ``"codepoints"``.

    Raises
    ------
    InputError
        No reading puts the selections on word and line boundaries, or two readings
        giving different spans fit equally well and the origin does not say.
    """
    if declared != "auto":
        return declared_reading(declared), "declared by the caller"
    candidates = _candidates(texts)
    if len(candidates) == 1:
        return DEFAULT, (
            "no selected text holds a character beyond U+FFFF, a CRLF or a BOM, so every reading gives the same spans"
        )
    scores = [_score(r, texts) for r in candidates]
    fewest = min(s.invalid for s in scores)
    ruled_out = [s for s in scores if s.invalid > fewest]
    scores = [s for s in scores if s.invalid == fewest]
    why_out = "; ".join(f"read as {s.reading.label}, {s.first_invalid}" for s in ruled_out[:2])
    nvivo = "nvivo" in origin.lower()
    if origin.strip().lower().startswith("peerstudy") and any(s.reading == DEFAULT for s in scores):
        return DEFAULT, f"the origin ({origin}) is this project's writer, which counts code points"
    if len({tuple(s.mapped) for s in scores}) == 1:
        pick = next((s for s in scores if s.reading == (NVIVO if nvivo else DEFAULT)), scores[0])
        return pick.reading, why_out or "every reading gives the same spans"
    if nvivo and any(s.reading == NVIVO for s in scores):
        pick = next(s for s in scores if s.reading == NVIVO)
        return NVIVO, (
            f"the origin ({origin}) counts UTF-16 units, CRLF as two, BOM not counted; "
            f"{pick.cuts} of {len(pick.mapped)} selections cut a word or line under it"
        )
    return _decide_from_data(scores, why_out, origin, where)


def _decide_from_data(scores: list[_Score], why_out: str, origin: str, where: str) -> tuple[Reading, str]:
    scores = sorted(scores, key=lambda s: (s.cuts, s.spaced))
    best = scores[0]
    n = len(best.mapped)
    tally = "; ".join(
        f"as {s.reading.label}: {s.cuts} of {n} selections cut a word or line, {s.spaced} ends on a space"
        for s in scores
    )
    fix = (
        "declare the reading: read_refi(..., offsets='utf16') for NVivo's UTF-16 units or offsets='codepoints', "
        "or export again from the QDA program (its origin attribute names it)"
    )
    if best.cuts > MAX_CUT_SHARE * n:
        raise InputError(
            Problem(
                file=where,
                field="startPosition, endPosition",
                expected=f"a reading of the offsets under which at most {MAX_CUT_SHARE:.0%} of the "
                "selections cut a word or line",
                found=f"none ({tally}); "
                + (
                    f"the origin {origin!r} does not say how the program counts"
                    if origin
                    else "the file names no origin"
                )
                + f"; the first selection cut as {best.reading.label}: {best.first_cut}",
                fix=fix,
            )
        )
    rival = next((s for s in scores[1:] if s.mapped != best.mapped), None)
    if rival is not None and (rival.cuts, rival.spaced) == (best.cuts, best.spaced):
        if origin and DEFAULT in (best.reading, rival.reading):
            return DEFAULT, f"two readings fit equally ({tally}); programs other than NVivo count code points"
        raise InputError(
            Problem(
                file=where,
                field="startPosition, endPosition",
                expected="one reading of the offsets that fits the selections better than the others",
                found=f"{best.reading.label} and {rival.reading.label} fit equally ({tally})",
                fix=fix,
            )
        )
    reason = f"decided from the data, origin {origin!r}" if origin else "decided from the data, no origin named"
    reason += f": selections fall on word and line boundaries as {best.reading.label} ({tally})"
    return best.reading, reason + (f"; ruled out: {why_out}" if why_out else "")
