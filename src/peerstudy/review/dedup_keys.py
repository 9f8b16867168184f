"""Normalisation of the fields that identify a publication, for deduplication
(:mod:`peerstudy.review.dedup`): titles (translation markers, HTML entities and markup,
punctuation, accents), PMIDs, page ranges, years, author names and journal names; and
the recognition of errata, corrections and replies (by type or title, as PubMed, Web of
Science and Embase write them) and of the generic titles of serial items.

Examples
--------
>>> normalise_title("[Peer support in Japan]. [Article in Japanese]"), normalise_pages("1297-306")
('peer support in japan', ('1297', '1306'))
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

__all__ = [
    "normalise_title",
    "normalise_pmid",
    "normalise_pages",
    "extract_surname",
    "is_correction",
    "is_generic_title",
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
