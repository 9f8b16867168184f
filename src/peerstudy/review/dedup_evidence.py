"""The records prepared for deduplication (one list per field) and the comparison of two
records: whether their years, pages and titles agree, why they must stay apart, and the
evidence listed for every merge and near miss (:mod:`peerstudy.review.dedup`).

Page ranges agree when their first pages are the same, or when both span three pages or
more, end on the same page and their first pages differ by one (a typing error: two
articles cannot share two pages). A record whose volume is missing and whose issue and
single page hold another record's volume and issue has its fields shifted by one place.

Examples
--------
>>> _ranges_agree(("2141", "2147"), ("2142", "2147")), _ranges_agree(("944", "945"), ("945", None))
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from peerstudy.review.bibliography import normalise_doi
from peerstudy.review.dedup_keys import (
    _GENERIC_TITLES,
    _ROMAN,
    _authors_agree,
    _first_number,
    _matching_title,
    _name_words,
    _text,
    _venue_words,
    _venues_agree,
    _words_are_variants,
    _year,
    extract_surname,
    is_correction,
    normalise_pages,
    normalise_pmid,
)


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
        page_ranges=[(r[0], r[1]) if r[0] else None for r in ranges],
        generic=[t in _GENERIC_TITLES for t in titles],
    )


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
