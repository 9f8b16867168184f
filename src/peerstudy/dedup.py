"""Deduplication of bibliographic records with the evidence for every decision.

A wrong merge silently loses a study from a systematic review; a missed one costs a
person a minute. So two records are merged only on positive evidence, and never when
a field that identifies a publication disagrees. Every merge and every *near miss*
(a pair that looked alike but was kept apart) is one row of the pairs table, with the
fields that agreed, the fields that differed and the title similarity.

Duplicates are found in four passes, strongest first:

1. the same DOI, 2. the same PMID: merged when the titles agree (a DOI shared by
   records whose titles differ, such as the abstracts of a journal supplement, is a
   near miss, kept apart);
3. the same normalised title with the same year and first author;
4. a similar title (:func:`rapidfuzz.fuzz.ratio` at least ``threshold``) with the same
   year and first author, whose differing words are only spelling variants; or a
   similar title (a subtitle more or less) at the same journal, volume and first page.

Records are never merged (in any pass, also not through a third record) when one is an
erratum, correction, retraction or reply and the other is not, when they carry
different DOIs or PMIDs, or different volume, issue or first page. A serial item with a
generic title ("Editor's comments", "Editorial") is merged on its title only when its
volume and first page agree. Years may differ by one (online and print dates) when the
journal and the first page agree. First authors are compared by their name words after
folding accents, initials and word order (``Wu, C. Y.`` and ``Ching-yi, Wu`` agree).

Candidate pairs for the title passes come from several blocking keys (year and first
author; journal volume and first page; year and first page; neighbours in title order),
each block bounded in size (a larger block is compared with its neighbours in title
order only), so the work grows about linearly with the number of records.

Examples
--------
>>> records = pd.DataFrame({
...     "record": ["pubmed:1", "cinahl:1", "cinahl:2", "psycinfo:1"],
...     "database": ["PubMed", "CINAHL", "CINAHL", "PsycINFO"],
...     "title": ["Peer support in psychiatry.", "PEER SUPPORT IN PSYCHIATRY",
...               "Erratum: Peer support in psychiatry", "Peer support in psychiatry"],
...     "first_author": ["Smith, Ann", "Smith, A.", "Smith, A.", "Smith A"],
...     "year": [2004, 2004, 2004, 2006],
...     "doi": [None, None, None, None], "pmid": ["99000001", None, None, None]})
>>> marked, pairs = find_duplicates(records)
>>> marked["duplicate_of"].fillna("-").tolist()
['-', 'pubmed:1', '-', '-']
>>> for pair in pairs[["record_a", "record_b", "decision", "reason"]].values.tolist():
...     print(pair)
['pubmed:1', 'cinahl:1', 'merged', '']
['pubmed:1', 'cinahl:2', 'kept apart', 'erratum, correction or reply']
['pubmed:1', 'psycinfo:1', 'kept apart', 'different year']
['cinahl:2', 'psycinfo:1', 'kept apart', 'different year']
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from peerstudy.bibliography import normalise_doi
from peerstudy.errors import ConfigError, Problem

__all__ = [
    "RULES",
    "normalise_title",
    "normalise_pmid",
    "normalise_pages",
    "extract_surname",
    "is_correction",
    "is_generic_title",
    "find_duplicates",
    "summarise_pairs",
    "select_pairs_to_check",
]

#: The rules that match pairs, in the order they are applied.
RULES = (
    "same DOI",
    "same PMID",
    "same title, year and first author",
    "similar title, same year and first author",
    "similar title, same journal, volume and pages",
)

#: Columns of the pairs table.
PAIR_COLUMNS = [
    "record_a",
    "record_b",
    "rule",
    "score",
    "decision",
    "reason",
    "database_a",
    "database_b",
    "year_a",
    "year_b",
    "first_author_a",
    "first_author_b",
    "title_a",
    "title_b",
    "title_similarity",
    "agreed",
    "differed",
]

_CORRECTION_TITLE = re.compile(
    r"^\s*[\[(]?\s*(errat(um|a)|corrigend(um|a)|correction|retraction|retracted|notice of retraction|"
    r"reply|response|author'?s'? reply|re|comment|commentary on)\b(\s+(to|on|of|for))?\s*[:.\-–—]?\s*",
    re.IGNORECASE,
)
# Web of Science titles a correction as the corrected article's title followed by "(vol 104, pg 150, 2017)"
_WOS_CORRECTION = re.compile(r"\s*\(vol\s+\w+,\s*pg\s+\w+,\s*\d{4}\)\s*$", re.IGNORECASE)
# Embase titles an erratum as the corrected article's title followed by the citation it corrects,
# "(New England Journal of Medicine (2009) 360 (542-544))": journal, (year), volume, (pages)
_EMBASE_CORRECTION = re.compile(r"\s*\([^()]+\(\d{4}\)\s*\d+[^()]*(\([^()]*\)\s*)+\)\s*\.?\s*$")
# A reply printed after the letter it answers: "<letter's title> - Reply", "...: authors' reply"
_REPLY_SUFFIX = re.compile(
    r"\s*[:.\-–—(\[]\s*((the|a|an)\s+)?(author'?s'?\s+)?(reply|response)\s*[)\]]?\s*\.?\s*$", re.IGNORECASE
)
_CORRECTION_TYPES = {
    "published erratum",
    "erratum",
    "correction",
    "retraction notice",
    "retraction of publication",
    "corrigendum",
    "reply",
    "comment",
}
# Letters that Unicode does not decompose into a base letter and an accent
_TRANSLITERATE = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
    }
)
# Titles that name a kind of item in a serial rather than one publication
_GENERIC_TITLES = {
    "editorial",
    "editorials",
    "editor s comments",
    "editors comments",
    "editor s comment",
    "editor s note",
    "editors note",
    "from the editor",
    "from the editors",
    "letter to the editor",
    "letters to the editor",
    "letters",
    "letter",
    "in this issue",
    "this issue",
    "introduction",
    "preface",
    "foreword",
    "news",
    "book review",
    "book reviews",
    "books",
    "commentary",
    "comment",
    "reply",
    "response",
    "erratum",
    "errata",
    "correction",
    "corrections",
    "corrigendum",
    "abstracts",
    "meeting abstracts",
    "conference abstracts",
    "poster abstracts",
    "index",
    "author index",
    "subject index",
    "contents",
    "table of contents",
    "announcements",
    "obituary",
    "acknowledgement",
    "acknowledgements",
    "acknowledgment",
    "acknowledgments",
    "reviewers",
    "thank you to reviewers",
    "call for papers",
    "calendar",
    "events",
    "highlights",
    "notes",
    "notices",
    "miscellaneous",
    "untitled",
    "conference report",
    "summary",
    "discussion",
    "guest editorial",
    "president s message",
    "presidential address",
    "in memoriam",
    "correspondence",
    "research letter",
    "case report",
    "abstract",
}
_NAME_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "le",
    "la",
    "du",
    "dos",
    "das",
    "ter",
    "ten",
    "el",
    "al",
    "bin",
    "jr",
    "sr",
    "null",
    "nan",
    "none",
    "et",
}
_STOPWORDS = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "with", "at", "by", "from", "or"}
_ROMAN = re.compile(r"^(i{1,3}|iv|vi{0,3}|ix|xi{0,3})$")
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "--"}


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return ""
    return str(value)


def _value(v: Any) -> Any:
    return None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else v


# ------------------------------------------------------------------------ normalisers
def _strip_markers(text: str) -> str:
    """Remove trailing bracketed notes (``[Chinese]``, ``[Review] [88 refs]``, ``[Erratum
    appears in ...]``) and unwrap a title wholly in brackets (MEDLINE's translated titles)."""
    text = text.strip()
    for _ in range(8):
        text = text.rstrip(" .;,")
        if not text.endswith("]"):
            break
        depth, start = 0, -1
        for pos in range(len(text) - 1, -1, -1):
            depth += {"]": 1, "[": -1}.get(text[pos], 0)
            if depth == 0:
                start = pos
                break
        if start < 0:
            break
        if start == 0:
            text = text[1:-1]
        else:
            text = text[:start]
    # a note cut off by a database's length limit: "... syndrome.[Erratum appears in Am J"
    cut = _CUT_NOTE.search(text) if "[" in text else None
    if cut and cut.start() > 20:
        text = text[: cut.start()]
    return text


_CUT_NOTE = re.compile(r"\.?\s*\[[^\]]*$")
_MARKUP = re.compile(r"<[^>]+>")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=262_144)
def _normalise_text(text: str) -> str:
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _MARKUP.sub(" ", text)
    text = _strip_markers(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def normalise_title(title: Any) -> str:
    """A title reduced to what identifies it: HTML entities and markup, trailing
    bracketed notes (translation markers such as ``[Chinese]`` or ``[Article in
    French]``, ``[Review]``, erratum notes) and a title's enclosing brackets removed;
    lower case, accents and punctuation removed, ``&`` read as *and*, spaces collapsed.

    Examples
    --------
    >>> normalise_title("Peer-Support &amp; <i>Recovery</i>: a Café study.")
    'peer support and recovery a cafe study'
    >>> normalise_title("[Peer support in Japan]. [Article in Japanese]")
    'peer support in japan'
    """
    text = _text(title)
    return _normalise_text(text) if text else ""


def _matching_title(title: Any) -> str:
    """The normalised title without an erratum/correction/reply prefix (to find the pair)."""
    text = _strip_markers(html.unescape(_text(title)))
    stripped = _WOS_CORRECTION.sub("", _CORRECTION_TITLE.sub("", text, count=1))
    stripped = _EMBASE_CORRECTION.sub("", stripped)
    return normalise_title(stripped.strip(" \"'“”‘’"))


def normalise_pmid(value: Any) -> str | None:
    """A PMID as digits, from a number or a PubMed link; ``NA``, ``NULL`` and the like are missing.

    Examples
    --------
    >>> normalise_pmid("https://pubmed.ncbi.nlm.nih.gov/12345678/"), normalise_pmid(" 99000001 "), normalise_pmid("NA")
    ('12345678', '99000001', None)
    """
    text = _text(value).strip()
    if text.casefold() in _MISSING:
        return None
    match = re.search(r"(?:pubmed[^\d]*|^)(\d{1,9})(?:\.0)?/?$", text, re.IGNORECASE)
    return match.group(1) if match else text


def normalise_pages(pages: Any) -> tuple[str | None, str | None]:
    """The first and last page of a page range, letters of e-locators and
    supplements dropped and an abbreviated last page written in full; a page count
    (``215 p``) is no page range.

    Examples
    --------
    >>> normalise_pages("1297-306"), normalise_pages("c37-c42"), normalise_pages("e494"), normalise_pages("215 p")
    (('1297', '1306'), ('37', '42'), ('494', None), (None, None))
    >>> normalise_pages("2297-2108")
    (None, None)
    """
    text = _text(pages).strip()
    if not text or text.casefold() in _MISSING or re.fullmatch(r"\d+\s*pp?\.?", text, re.IGNORECASE):
        return None, None
    numbers = _DIGITS.findall(text)
    if not numbers:
        return None, None
    first = numbers[0].lstrip("0") or "0"
    last = numbers[1].lstrip("0") if len(numbers) > 1 else None
    if last and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    if last and int(last) < int(first):
        return None, None  # an impossible range ("2297-2108"): a typing error, no evidence either way
    return first, last


def _year(value: Any) -> int | None:
    """A year from a number or text such as ``2010``, ``2010.0``, ``2010a`` or ``2010 Mar``; else None."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value != value else int(value)
    match = re.match(r"\s*(\d{4})", str(value))
    return int(match.group(1)) if match else None


def _first_number(value: Any) -> str | None:
    match = _DIGITS.search(_text(value))
    return (match.group(0).lstrip("0") or "0") if match else None


def extract_surname(author: Any) -> str:
    """The surname of an author as databases write it, normalised for matching.

    Examples
    --------
    >>> extract_surname("Núñez, María"), extract_surname("Dolz Marco R"), extract_surname("Østergaard, L.")
    ('nunez', 'dolz marco', 'ostergaard')
    """
    text = _text(author).strip()
    if not text:
        return ""
    if "," in text:
        surname = text.split(",", 1)[0]
    else:
        parts = text.split()
        surname = " ".join(parts[:-1]) if len(parts) > 1 and re.fullmatch(r"[A-Z]{1,3}\.?", parts[-1]) else text
    return normalise_title(surname)


def _name_words(author: Any) -> frozenset[str]:
    """The words of an author's name (surname and given names, not initials or particles)."""
    words = normalise_title(_text(author).replace("?", "")).split()
    return frozenset(w for w in words if len(w) > 1 and w not in _NAME_PARTICLES)


def _authors_agree(a: frozenset[str], b: frozenset[str]) -> bool | None:
    """Whether two first authors can be the same person (None: one is unknown)."""
    if not a or not b:
        return None
    if a & b:
        return True
    return any(len(x) >= 5 and len(y) >= 5 and fuzz.ratio(x, y) >= 85 for x in a for y in b)


def _venue_words(journal: Any) -> tuple[str, ...]:
    """The words of a journal's name, without stop words and numbers (an ISSN, a year)."""
    return tuple(w for w in normalise_title(journal).split() if w not in _STOPWORDS and not w.isdigit())


def _venues_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool | None:
    """Whether two journal names are the same journal, one possibly abbreviated
    (``N Engl J Med``, ``New England Journal of Medicine``); None when one is unknown."""
    if not a or not b:
        return None
    if "".join(a) == "".join(b) or _is_acronym(a, b) or _is_acronym(b, a):
        return True  # "Zhongguo zhen jiu" / "Zhongguo Zhenjiu"; "CMAJ" / "Canadian Medical Association Journal"
    if len(a) != len(b):
        return _abbreviates(a, b) if len(a) < len(b) else _abbreviates(b, a)
    return _abbreviates(a, b) or _abbreviates(b, a)


def _is_acronym(short: tuple[str, ...], long_: tuple[str, ...]) -> bool:
    return len(short) == 1 and len(long_) >= 3 and short[0] == "".join(w[0] for w in long_)


def _abbreviates(short: tuple[str, ...], long_: tuple[str, ...]) -> bool:
    """Whether each word of ``short`` begins a word of ``long_``, in order."""
    pos = 0
    for word in short:
        while pos < len(long_) and not long_[pos].startswith(word):
            pos += 1
        if pos == len(long_):
            return False
        pos += 1
    return True


def is_correction(title: Any, publication_type: Any = None) -> bool:
    """Whether a record is an erratum, correction, retraction, comment or reply (by its
    publication type or the start of its title).

    Examples
    --------
    >>> is_correction("Erratum: Peer specialists in case management")
    True
    >>> is_correction("Correction to: Peer support groups", None), is_correction("Peer support", "Journal Article")
    (True, False)
    >>> is_correction("Responses of peer workers to stress")
    False
    >>> is_correction("Peer support groups in psychosis (vol 118, pg 64, 2008)")
    True
    >>> is_correction("Peer support groups in psychosis - Reply"), is_correction("Peer support: a response")
    (True, True)
    >>> is_correction("Peer support groups (Psychiatric Services (2011) 62 (101-108))")  # Embase's erratum title
    True
    """
    types = _text(publication_type)
    if any(t.strip().casefold() in _CORRECTION_TYPES for t in re.split(r";", types)):
        return True
    text = _text(title)
    if not text:
        return False
    if _WOS_CORRECTION.search(text) or _EMBASE_CORRECTION.search(text) or _REPLY_SUFFIX.search(text):
        return True
    match = _CORRECTION_TITLE.match(text)
    if not match:
        return False
    word = match.group(1).casefold()
    # "Response"/"Reply"/"Re"/"Comment" only count as a prefix followed by a separator or "to"/"on"
    if word in {"reply", "response", "re", "comment"}:
        return bool(re.match(r"^\s*[\[(]?\s*\w+('?s'?)?(\s+(to|on|of|for)\b|\s*:)", text, re.IGNORECASE))
    return True


def is_generic_title(title: Any) -> bool:
    """Whether a title names a kind of serial item (``Editor's Comments``,
    ``Editorial``, ``Letters to the editor``) rather than one publication.

    Examples
    --------
    >>> is_generic_title("Editor's Comments"), is_generic_title("Peer support: an editorial view")
    (True, False)
    """
    return normalise_title(title) in _GENERIC_TITLES


def _words_are_variants(a: str, b: str) -> bool:
    """Whether the words in which two titles differ are spelling variants of each
    other (programme/program, study/stud) rather than different words (adult/adolescent,
    part 1/part 2)."""
    wa, wb = a.split(), b.split()
    only_a = [w for w in wa if w not in set(wb)]
    only_b = [w for w in wb if w not in set(wa)]
    if "".join(only_a) == "".join(only_b):
        return True  # "consumer staff" / "consumerstaff"

    def variant(w: str, others: list[str]) -> bool:
        if w in _STOPWORDS:
            return True
        if w.isdigit() or _ROMAN.match(w):
            return False
        return any(
            not (v.isdigit() or _ROMAN.match(v))
            and ((min(len(w), len(v)) >= 4 and (w.startswith(v) or v.startswith(w))) or fuzz.ratio(w, v) >= 80)
            for v in others
        )

    return all(variant(w, only_b) for w in only_a) and all(variant(w, only_a) for w in only_b)


# ------------------------------------------------------------------------ the records, prepared
@dataclass
class _Prepared:
    """One list per field, indexed by record position (no per-cell DataFrame lookups)."""

    ids: list[str]
    rank: list[tuple[int, int]]
    dois: list[str | None]
    pmids: list[str | None]
    years: list[int | None]
    corrections: list[bool]
    titles: list[str]
    surnames: list[str]
    names: list[frozenset[str]]
    venues: list[tuple[str, ...]]
    journals: list[str]
    volumes: list[str | None]
    issues: list[str | None]
    first_pages: list[str | None]
    page_ranges: list[tuple[str, str | None] | None]
    generic: list[bool]

    @property
    def n(self) -> int:
        return len(self.ids)


def _column(frame: pd.DataFrame, name: str) -> list:
    """A column as a list, missing values as None (no per-cell lookups later)."""
    if name not in frame:
        return [None] * len(frame)
    column = frame[name]
    return [None if missing else v for v, missing in zip(column.tolist(), column.isna().tolist(), strict=False)]


def _prepare(frame: pd.DataFrame, priority: Sequence[str]) -> _Prepared:
    n = len(frame)
    databases = [_text(d) for d in _column(frame, "database")] if "database" in frame else [""] * n
    order = {d: i for i, d in enumerate(list(priority) + [d for d in dict.fromkeys(databases) if d not in priority])}
    titles_raw = _column(frame, "title")
    authors = _column(frame, "first_author")
    ptypes = _column(frame, "publication_type")
    years = [_year(y) for y in _column(frame, "year")]
    titles = [_matching_title(t) for t in titles_raw]
    ranges = [normalise_pages(p) for p in _column(frame, "pages")]
    return _Prepared(
        ids=[str(r) for r in frame["record"].tolist()],
        rank=[(order[db], i) for i, db in enumerate(databases)],
        dois=[normalise_doi(v) for v in _column(frame, "doi")],
        pmids=[normalise_pmid(v) for v in _column(frame, "pmid")],
        years=years,
        corrections=[is_correction(t, p) for t, p in zip(titles_raw, ptypes, strict=False)],
        titles=titles,
        surnames=[extract_surname(a) for a in authors],
        names=[_name_words(a) for a in authors],
        venues=[_venue_words(j) for j in _column(frame, "journal")],
        journals=[_text(j).strip() for j in _column(frame, "journal")],
        volumes=[_first_number(v) for v in _column(frame, "volume")],
        issues=[_first_number(v) for v in _column(frame, "issue")],
        first_pages=[r[0] for r in ranges],
        page_ranges=[r if r[0] else None for r in ranges],
        generic=[t in _GENERIC_TITLES for t in titles],
    )


class _Clusters:
    """Union-find over record positions that refuses merges that would join records
    that must stay apart (different DOIs, PMIDs, volumes, issues or first pages; a
    correction and an original), also through a third record."""

    _KEYS = (
        ("dois", "different DOIs"),
        ("pmids", "different PMIDs"),
        ("volumes", "different volume"),
        ("issues", "different issue"),
        ("page_ranges", "different pages"),
    )

    def __init__(self, prep: _Prepared):
        self.parent = list(range(prep.n))
        self.rank = prep.rank
        self.sets: dict[str, list[set | None]] = {
            key: [{v} if v else None for v in getattr(prep, key)] for key, _ in self._KEYS
        }
        self.correction = list(prep.corrections)
        self.size = [1] * prep.n

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> str:
        ra, rb = self.find(a), self.find(b)
        if self.correction[ra] != self.correction[rb]:
            return "erratum, correction or reply"
        for key, reason in self._KEYS:
            sa, sb = self.sets[key][ra], self.sets[key][rb]
            if sa and sb and not sa & sb:
                if key != "page_ranges" or not any(_ranges_agree(x, y) for x in sa for y in sb):
                    return reason
        return ""

    def realign(self, i: int, other: int, p: _Prepared) -> str:
        """Read a lone record's issue as its volume and its page as its issue (fields shifted
        by one place), when that removes every conflict with ``other``; the reason otherwise."""
        if self.size[i] != 1:
            return self.conflict(i, other)
        saved = {key: self.sets[key][i] for key, _ in self._KEYS}
        self.sets["volumes"][i], self.sets["issues"][i] = {p.volumes[other]}, {p.issues[other]}
        self.sets["page_ranges"][i] = None
        reason = self.conflict(i, other)
        if reason:
            for key, value in saved.items():
                self.sets[key][i] = value
        return reason

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if self.rank[rb] < self.rank[ra]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        for key, _ in self._KEYS:
            sets = self.sets[key]
            if sets[rb]:
                sets[ra] = sets[rb] | sets[ra] if sets[ra] else set(sets[rb])


# ------------------------------------------------------------------------ evidence
def _first_page_typo(x: tuple[str, str | None], y: tuple[str, str | None]) -> bool:
    """Whether two page ranges are one range whose first page was mistyped by one: both
    span three pages or more and end on the same page (two articles cannot share two pages)."""
    if not x[1] or x[1] != y[1] or x[0] == y[0]:
        return False
    first_x, first_y, last = int(x[0]), int(y[0]), int(x[1])
    return abs(first_x - first_y) == 1 and last - max(first_x, first_y) >= 2


def _ranges_agree(x: tuple[str, str | None], y: tuple[str, str | None]) -> bool:
    """The same first page, or the same range with a first page mistyped by one."""
    return x[0] == y[0] or _first_page_typo(x, y)


def _shifted_fields(p: _Prepared, a: int, b: int) -> int | None:
    """The record of the two whose volume is missing and whose issue and single page hold the
    other's volume and issue (an export that shifted the fields by one place), else None."""
    for x, y in ((a, b), (b, a)):
        pages = p.page_ranges[x]
        if (
            p.volumes[x] is None
            and p.volumes[y]
            and p.issues[y]
            and p.issues[x] == p.volumes[y]
            and pages
            and pages[1] is None
            and pages[0] == p.issues[y]
        ):
            return x
    return None


def _same_pages(p: _Prepared, a: int, b: int) -> bool:
    """Whether both records give pages and these agree (see :func:`_ranges_agree`)."""
    x, y = p.page_ranges[a], p.page_ranges[b]
    return bool(x and y and _ranges_agree(x, y))


def _evidence(p: _Prepared, a: int, b: int, similarity: float) -> tuple[str, str]:
    """The fields on which two records agree and those on which they differ (with both values)."""
    agreed, differed = [], []

    def compare(name: str, x: Any, y: Any, same: bool | None = None, shown: tuple[Any, Any] | None = None) -> None:
        if x in (None, "", ()) or y in (None, "", ()):
            return
        if same is None:
            same = x == y
        if same:
            agreed.append(name)
        else:
            shown = shown or (x, y)
            differed.append(f"{name} ({shown[0]} / {shown[1]})")

    compare("DOI", p.dois[a], p.dois[b])
    compare("PMID", p.pmids[a], p.pmids[b])
    if p.titles[a] and p.titles[b]:
        (agreed if similarity >= 100 else differed).append(f"title ({similarity:.1f})")
    compare("year", p.years[a], p.years[b])
    compare("first author", p.surnames[a], p.surnames[b], _authors_agree(p.names[a], p.names[b]))
    compare(
        "journal", p.venues[a], p.venues[b], _venues_agree(p.venues[a], p.venues[b]), (p.journals[a], p.journals[b])
    )
    compare("volume", p.volumes[a], p.volumes[b])
    compare("issue", p.issues[a], p.issues[b])
    compare("first page", p.first_pages[a], p.first_pages[b], _same_pages(p, a, b))
    if p.corrections[a] != p.corrections[b]:
        differed.append("erratum, correction or reply (one of the two)")
    return "; ".join(agreed), "; ".join(differed)


def _years_compatible(p: _Prepared, a: int, b: int) -> tuple[bool, str]:
    """Same year; or years one apart (online and print dates) in the same journal at the same
    first page, or in the same volume and issue."""
    ya, yb = p.years[a], p.years[b]
    if ya == yb:
        return True, ""
    if ya is None or yb is None or abs(ya - yb) != 1 or not _venues_agree(p.venues[a], p.venues[b]):
        return False, "different year"
    if _same_pages(p, a, b):
        return True, "years differ by one; journal and first page agree: check"
    if (
        p.volumes[a] is not None
        and p.volumes[a] == p.volumes[b]
        and p.issues[a] is not None
        and p.issues[a] == p.issues[b]
    ):
        return True, "years differ by one; journal, volume and issue agree: check"
    return False, "different year"


def _title_similarity(x: str, y: str) -> float:
    return float(fuzz.ratio(x, y)) if x and y else 0.0


def _titles_agree_for_id(x: str, y: str) -> bool:
    """Titles of records sharing a DOI or PMID: the same paper unless they clearly differ
    (a missing title, a missing subtitle or a translation marker is no difference)."""
    if not x or not y:
        return True
    if _numbers_differ(x, y):
        return False  # "part 1" / "part 2" under one DOI: items of a supplement or a series
    return fuzz.ratio(x, y) >= 80 or fuzz.token_set_ratio(x, y) >= 95


def _numbers_differ(x: str, y: str) -> bool:
    """Whether two titles both carry numbers (or roman numerals) and not the same ones."""
    nx = {w for w in x.split() if w.isdigit() or _ROMAN.match(w)}
    ny = {w for w in y.split() if w.isdigit() or _ROMAN.match(w)}
    return bool(nx and ny and nx != ny)


# ------------------------------------------------------------------------ the passes
class _Matcher:
    """Records each pair matched once per pair of clusters, merging it unless it must stay apart."""

    def __init__(self, prep: _Prepared):
        self.p = prep
        self.clusters = _Clusters(prep)
        self.rows: list[dict[str, Any]] = []
        self.seen: set[tuple[int, int]] = set()

    def consider(
        self, a: int, b: int, rule: str, score: float, similarity: float, *, must_apart: str = "", note: str = ""
    ) -> None:
        rank = self.p.rank
        if rank[b] < rank[a]:
            a, b = b, a
        find = self.clusters.find
        key = (find(a), find(b))
        if key[0] == key[1] or key in self.seen or key[::-1] in self.seen:
            return
        reason = must_apart or self.clusters.conflict(a, b)
        shifted = _shifted_fields(self.p, a, b) if reason and not must_apart else None
        if shifted is not None:
            reason = self.clusters.realign(shifted, b if shifted == a else a, self.p)
            if not reason:
                note = "; ".join(
                    filter(
                        None, [note, "fields shifted (volume missing; issue and page read as volume and issue): check"]
                    )
                )
        self.seen.add(key)
        x, y = self.p.page_ranges[a], self.p.page_ranges[b]
        if not reason and x and y and _first_page_typo(x, y):
            note = "; ".join(filter(None, [note, "first pages differ by one, same last page: check"]))
        if not reason:
            self.clusters.union(a, b)
        agreed, differed = _evidence(self.p, a, b, similarity)
        self.rows.append(
            {
                "a": a,
                "b": b,
                "rule": rule,
                "score": round(float(score), 1),
                "decision": "kept apart" if reason else "merged",
                "reason": reason or note,
                "title_similarity": round(similarity, 1),
                "agreed": agreed,
                "differed": differed,
            }
        )


def _groups(keys: Sequence[Any], rank: list[tuple[int, int]]) -> list[list[int]]:
    found: dict[Any, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            found.setdefault(k, []).append(i)
    return [sorted(g, key=lambda i: rank[i]) for g in found.values() if len(g) > 1]


def _pass_identifier(m: _Matcher, keys: list[str | None], rule: str, max_block: int) -> None:
    """Records sharing a DOI (or PMID): merged within each set of agreeing titles; a
    different title under the same identifier (a supplement's abstracts) is a near miss.
    A record is compared with at most ``max_block`` sets and members (bounded work)."""
    p = m.p

    def years_note(a: int, b: int) -> str:
        if p.years[a] is not None and p.years[b] is not None and p.years[a] != p.years[b]:
            return "years differ (online and print dates?): check"
        return ""

    for group in _groups(keys, p.rank):
        subgroups: list[list[int]] = []
        by_title: dict[str, list[int]] = {}
        untitled: list[int] = []
        for i in group:
            title = p.titles[i]
            if not title:
                untitled.append(i)
                continue
            home = by_title.get(title) or next(
                (s for s in subgroups[-max_block:] if _titles_agree_for_id(p.titles[s[0]], title)), None
            )
            if home is None:
                if subgroups:
                    first = subgroups[0][0]
                    similarity = _title_similarity(p.titles[first], title)
                    m.consider(first, i, rule, 100, similarity, must_apart=f"{rule}, titles differ")
                home = []
                subgroups.append(home)
            by_title.setdefault(title, home)
            for j in home[:max_block]:
                m.consider(j, i, rule, 100, _title_similarity(p.titles[j], title), note=years_note(j, i))
            home.append(i)
        # a record without a title joins the first titled record of its identifier (or the first untitled one)
        anchor = subgroups[0][0] if subgroups else untitled[0]
        for i in untitled:
            if i != anchor:
                note = "one record has no title: check" if subgroups else years_note(anchor, i)
                m.consider(anchor, i, rule, 100, 0.0, note=note)


def _fields_differ(p: _Prepared, a: int, b: int) -> bool:
    """Whether volume, issue or first page are known for both records and differ."""
    return any(x[a] is not None and x[b] is not None and x[a] != x[b] for x in (p.volumes, p.issues, p.first_pages))


def _same_title_apart(p: _Prepared, a: int, b: int) -> tuple[str, str]:
    """Why two records with the same title must stay apart (or ''), and a note for a merge."""
    ok, note = _years_compatible(p, a, b)
    if not ok:
        return "different year", ""
    if _authors_agree(p.names[a], p.names[b]) is False:
        return "different first author", ""
    if p.generic[a] and not (
        p.volumes[a] and p.volumes[a] == p.volumes[b] and p.first_pages[a] and p.first_pages[a] == p.first_pages[b]
    ):
        return "generic title (serial item): volume and first page must agree", ""
    return "", note


def _bounded_pairs(
    block: list[int], order_key: Callable[[int], Any], max_block: int, window: int
) -> list[tuple[int, int]]:
    """All pairs of a small block; in a large one, each record with its ``window`` next ones by ``order_key``."""
    if len(block) <= max_block:
        return list(combinations(block, 2))
    ordered = sorted(block, key=order_key)
    return [
        (ordered[i], ordered[j]) for i in range(len(ordered)) for j in range(i + 1, min(i + 1 + window, len(ordered)))
    ]


def _pass_same_title(m: _Matcher, max_block: int, window: int) -> None:
    p = m.p
    rule = "same title, year and first author"
    for group in _groups(p.titles, p.rank):
        pairs = _bounded_pairs(
            group,
            lambda i: (p.volumes[i] or "", p.first_pages[i] or "", p.issues[i] or "", p.years[i] or 0, p.rank[i]),
            max_block,
            window,
        )
        for a, b in pairs:
            if p.generic[a] and _fields_differ(p, a, b):
                continue  # items of a serial under a generic title, known to differ: not even a near miss
            apart, note = _same_title_apart(p, a, b)
            m.consider(a, b, rule, 100, 100.0, must_apart=apart, note=note)


def _candidate_pairs(p: _Prepared, max_block: int, window: int) -> np.ndarray:
    """Pairs of records worth comparing by title, from several blocking keys, each block bounded."""
    n = p.n
    titled = [bool(t) and not g for t, g in zip(p.titles, p.generic, strict=False)]
    keys = [
        [(y, s) if ok and y is not None else None for ok, y, s in zip(titled, p.years, p.surnames, strict=False)],
        [(v, f) if ok and v and f else None for ok, v, f in zip(titled, p.volumes, p.first_pages, strict=False)],
        [
            (y, f) if ok and y is not None and f else None
            for ok, y, f in zip(titled, p.years, p.first_pages, strict=False)
        ],
    ]
    firsts: list[int] = []
    seconds: list[int] = []
    for key in keys:
        blocks: dict[Any, list[int]] = {}
        for i, k in enumerate(key):
            if k is not None:
                blocks.setdefault(k, []).append(i)
        for block in blocks.values():
            if len(block) > 1:
                for a, b in _bounded_pairs(block, p.titles.__getitem__, max_block, window):
                    firsts.append(a)
                    seconds.append(b)
    # neighbours in title order, and in the order of the reversed title (a difference at the start)
    idx = np.array([i for i in range(n) if titled[i]], dtype=np.int64)
    for sort_key in (lambda i: p.titles[i], lambda i: p.titles[i][::-1]):
        ordered = np.array(sorted(idx.tolist(), key=sort_key), dtype=np.int64)
        for d in range(1, window + 1):
            firsts.extend(ordered[:-d].tolist())
            seconds.extend(ordered[d:].tolist())
    if not firsts:
        return np.empty((0, 2), dtype=np.int64)
    a, b = np.array(firsts, dtype=np.int64), np.array(seconds, dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    codes = np.sort(lo[lo != hi] * n + hi[lo != hi])
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
    return np.stack([codes // n, codes % n], axis=1)


def _judge_similar(
    p: _Prepared, a: int, b: int, score: float, token_set: float, threshold: float, check_below: float
) -> tuple[str, str, str] | None:
    """(rule, reason kept apart, note) for a pair of similar titles, or None when not worth listing."""
    years_ok, year_note = _years_compatible(p, a, b)
    authors = _authors_agree(p.names[a], p.names[b])
    both_anonymous = not p.names[a] and not p.names[b]
    if not years_ok or authors is False or (authors is None and not both_anonymous):
        authors_ok = False
    else:
        authors_ok = True
    positional = bool(
        _venues_agree(p.venues[a], p.venues[b])
        and p.volumes[a]
        and p.volumes[a] == p.volumes[b]
        and _same_pages(p, a, b)
    )
    rule = "similar title, same year and first author"
    variants = _words_are_variants(p.titles[a], p.titles[b])
    if score >= threshold and variants and authors_ok:
        return rule, "", year_note
    if positional and years_ok and (authors or both_anonymous) and (score >= 80 or token_set >= 95):
        return "similar title, same journal, volume and pages", "", year_note
    if authors_ok and score >= threshold - check_below:
        reason = f"similarity below {threshold:g}" if score < threshold else "titles differ in words (not spelling)"
        return rule, reason, ""
    return None


def _pass_similar_title(m: _Matcher, threshold: float, check_below: float, max_block: int, window: int) -> None:
    p = m.p
    pairs = _candidate_pairs(p, max_block, window)
    if not len(pairs):
        return
    years = np.array([np.nan if y is None else y for y in p.years], dtype=float)
    a, b = pairs[:, 0], pairs[:, 1]
    close = np.abs(years[a] - years[b]) <= 1
    titles = np.array(p.titles, dtype=object)
    close &= titles[a] != titles[b]
    a, b = a[close], b[close]
    if not len(a):
        return
    score = process.cpdist(titles[a].tolist(), titles[b].tolist(), scorer=fuzz.ratio, workers=1)
    token_set = process.cpdist(titles[a].tolist(), titles[b].tolist(), scorer=fuzz.token_set_ratio, workers=1)
    keep = (score >= min(80.0, threshold - check_below)) | (token_set >= 95)
    found = []
    for x, y, s, t in zip(
        a[keep].tolist(), b[keep].tolist(), score[keep].tolist(), token_set[keep].tolist(), strict=False
    ):
        if p.rank[y] < p.rank[x]:
            x, y = y, x
        found.append((p.rank[x], p.rank[y], x, y, s, t))
    for _, _, x, y, s, t in sorted(found):
        if m.clusters.find(x) == m.clusters.find(y):
            continue
        judged = _judge_similar(p, x, y, s, t, threshold, check_below)
        if judged is not None:
            rule, apart, note = judged
            m.consider(x, y, rule, s, s, must_apart=apart, note=note)


# ------------------------------------------------------------------------ the public functions
def _complete_kept(frame: pd.DataFrame, out: pd.DataFrame, prep: _Prepared, roots: list[int]) -> list[str | None]:
    """Give each kept record the DOI, PMID or abstract it lacks from its best-ranked duplicate."""
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        members.setdefault(root, []).append(i)
    notes: dict[int, list[str]] = {}
    for field in ("doi", "pmid", "abstract"):
        if field not in frame:
            continue
        values = frame[field].tolist()
        filled = list(out[field])
        changed = False
        for root, group in members.items():
            if len(group) < 2 or _value(values[root]) is not None:
                continue
            donor = next((i for i in sorted(group, key=lambda i: prep.rank[i]) if _value(values[i]) is not None), None)
            if donor is not None:
                filled[root] = values[donor]
                changed = True
                notes.setdefault(root, []).append(f"{field} from {prep.ids[donor]}")
        if changed:
            out[field] = pd.Series(filled, index=out.index, dtype=out[field].dtype)
    return ["; ".join(notes[i]) if i in notes else None for i in range(len(roots))]


def _pairs_table(frame: pd.DataFrame, prep: _Prepared, rows: list[dict[str, Any]]) -> pd.DataFrame:
    db, fa, ti = _column(frame, "database"), _column(frame, "first_author"), _column(frame, "title")
    ids, years = prep.ids, prep.years
    pairs = pd.DataFrame(
        [
            {
                "record_a": ids[r["a"]],
                "record_b": ids[r["b"]],
                "rule": r["rule"],
                "score": r["score"],
                "decision": r["decision"],
                "reason": r["reason"],
                "database_a": _value(db[r["a"]]),
                "database_b": _value(db[r["b"]]),
                "year_a": years[r["a"]],
                "year_b": years[r["b"]],
                "first_author_a": _value(fa[r["a"]]),
                "first_author_b": _value(fa[r["b"]]),
                "title_a": _value(ti[r["a"]]),
                "title_b": _value(ti[r["b"]]),
                "title_similarity": r["title_similarity"],
                "agreed": r["agreed"],
                "differed": r["differed"],
            }
            for r in rows
        ],
        columns=PAIR_COLUMNS,
    )
    pairs["year_a"] = pd.array(pairs["year_a"].tolist(), dtype="Int64")
    pairs["year_b"] = pd.array(pairs["year_b"].tolist(), dtype="Int64")
    return pairs


def find_duplicates(
    records: pd.DataFrame,
    *,
    threshold: float = 95.0,
    check_below: float = 10.0,
    priority: Sequence[str] = (),
    max_block: int = 64,
    window: int = 8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find records that are the same publication, merge them, and list every pair
    matched with its evidence.

    Parameters
    ----------
    records
        Columns ``record``, ``title``, ``year``, ``first_author``, ``doi``, ``pmid``
        (and optionally ``database``, ``publication_type``, ``journal``, ``volume``,
        ``issue``, ``pages``, ``abstract``).
    threshold
        Smallest :func:`rapidfuzz.fuzz.ratio` (0-100) between normalised titles at which
        two records of the same year and first author are merged.
    check_below
        Pairs of the same year and first author scoring within this many points below
        ``threshold`` are listed as kept apart, for a person to check.
    priority
        Database names in order of preference for the record kept from each group of
        duplicates (others follow in their order of appearance); within a database, the
        first record read is kept.
    max_block, window
        A block of candidate records larger than ``max_block`` is compared only pairwise
        with the ``window`` records next to each in title order (bounded work).

    Returns
    -------
    records : pandas.DataFrame
        A copy with ``duplicate_of``: the id of the record kept in its place, or
        missing for a kept record; and ``completed_from``: for a kept record that
        lacked a DOI, PMID or abstract, which of its duplicates gave it one (the
        duplicate rows keep their own values).
    pairs : pandas.DataFrame
        One row per pair matched: ``record_a`` (the preferred), ``record_b``, ``rule``
        (one of :data:`RULES`), ``score``, ``decision`` (``merged`` or ``kept apart``),
        ``reason`` (why kept apart; for merges, a point to check such as differing
        years), the two records' database, year, first author and title; then the
        evidence: ``title_similarity`` (0-100), ``agreed`` (the fields that agree) and
        ``differed`` (those that differ, with both values).

    Examples
    --------
    The same DOI with years that differ (online and print dates) is merged, with a point
    to check; the record kept comes from PubMed, the preferred database:

    >>> recs = pd.DataFrame({"record": ["psycinfo:1", "pubmed:1"], "database": ["PsycINFO", "PubMed"],
    ...                      "title": ["A", "A."], "first_author": ["Lee, K.", "Lee, K"], "year": [2009, 2010],
    ...                      "doi": ["10.5555/x", "10.5555/x"], "pmid": [None, None]})
    >>> marked, pairs = find_duplicates(recs, priority=["PubMed"])
    >>> marked["duplicate_of"].fillna("-").tolist(), pairs.loc[0, "reason"]
    (['pubmed:1', '-'], 'years differ (online and print dates?): check')
    >>> pairs.loc[0, "agreed"], pairs.loc[0, "differed"]
    ('DOI; title (100.0); first author', 'year (2010 / 2009)')
    """
    problems = []
    if not 0 <= threshold <= 100:
        problems.append(
            Problem(
                field="match_threshold",
                expected="a similarity between 0 and 100",
                found=repr(threshold),
                fix="use e.g. 95",
            )
        )
    if not 0 <= check_below <= 100:
        problems.append(
            Problem(
                field="check_below",
                expected="a number of points between 0 and 100",
                found=repr(check_below),
                fix="use e.g. 10",
            )
        )
    if problems:
        raise ConfigError(problems)
    frame = records.reset_index(drop=True)
    prep = _prepare(frame, priority)
    matcher = _Matcher(prep)
    _pass_identifier(matcher, prep.dois, "same DOI", max_block)
    _pass_identifier(matcher, prep.pmids, "same PMID", max_block)
    _pass_same_title(matcher, max_block, window)
    _pass_similar_title(matcher, threshold, check_below, max_block, window)
    roots = [matcher.clusters.find(i) for i in range(prep.n)]
    out = records.copy()
    out["duplicate_of"] = pd.array(
        [None if root == i else prep.ids[root] for i, root in enumerate(roots)], dtype="string"
    )
    out["completed_from"] = pd.array(_complete_kept(frame, out, prep, roots), dtype="string")
    return out, _pairs_table(frame, prep, matcher.rows)


def summarise_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Matched pairs by rule and decision (rules in the order they are applied).

    Examples
    --------
    >>> pairs = pd.DataFrame({"rule": ["same DOI", "same DOI", "same PMID"], "decision": ["merged"] * 3})
    >>> summarise_pairs(pairs).values.tolist()
    [['same DOI', 'merged', 2], ['same PMID', 'merged', 1]]
    """
    counts = pairs.groupby(["rule", "decision"]).size().rename("pairs").reset_index()
    counts["_order"] = counts["rule"].map({r: i for i, r in enumerate(RULES)})
    return counts.sort_values(["_order", "decision"], kind="stable").drop(columns="_order").reset_index(drop=True)


def select_pairs_to_check(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs a person should look at: every pair kept apart (near misses), every
    merge on a similar (not identical) title, and every merge with a point to check.

    Examples
    --------
    >>> pairs = pd.DataFrame({"record_a": ["a", "c"], "record_b": ["b", "d"], "rule": ["same DOI", "same DOI"],
    ...                       "score": [100.0, 100.0], "decision": ["merged", "kept apart"], "reason": ["", "different DOIs"]})
    >>> select_pairs_to_check(pairs)["record_a"].tolist()
    ['c']
    """
    similar = pairs["rule"].isin([r for r in RULES if r.startswith("similar title")])
    mask = (pairs["decision"] != "merged") | similar | (pairs["reason"].fillna("") != "")
    return pairs[mask].reset_index(drop=True)
