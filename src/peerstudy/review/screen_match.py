"""The words of screening and the matching of screening rows to records.

Stages, final decisions and reviewers' votes (:func:`normalise_vote`), the identifier
columns each screening tool writes (:func:`select_identifiers`), and
:func:`match_records`, which finds the record a row names by DOI, then PMID, then
normalised title (never by the project's internal ids). Identifiers are normalised by
:mod:`peerstudy.review.bib_ids` and titles by :func:`peerstudy.review.eligibility.normalise_title`, as the
records were.

May import: :mod:`peerstudy.review.bib_ids`, :mod:`peerstudy.errors`, :mod:`peerstudy.review.eligibility`.

Examples
--------
>>> normalise_vote("Excluded"), STAGES
('exclude', ('title-abstract', 'full-text'))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from peerstudy.errors import Problem
from peerstudy.review.bib_ids import is_missing, normalise_doi, normalise_pmid
from peerstudy.review.eligibility import normalise_title

__all__ = ["DECISIONS", "STAGES", "TOOL_COLUMNS", "VOTES", "match_records", "normalise_vote", "select_identifiers"]

#: Screening stages, in order.
STAGES = ("title-abstract", "full-text")
#: Final screening decisions.
DECISIONS = ("include", "exclude")
#: A reviewer's vote: a final decision or ``maybe``.
VOTES = ("include", "exclude", "maybe")
_VOTE_WORDS = {
    "include": "include",
    "included": "include",
    "yes": "include",
    "y": "include",
    "1": "include",
    "1.0": "include",
    "exclude": "exclude",
    "excluded": "exclude",
    "no": "exclude",
    "n": "exclude",
    "0": "exclude",
    "0.0": "exclude",
    "maybe": "maybe",
    "unsure": "maybe",
    "undecided": "maybe",
}
#: Column names of each tool's export: field -> the names it may carry, first found wins.
TOOL_COLUMNS = {
    "sheet": {"doi": ["doi", "DOI"], "pmid": ["pmid", "PMID"], "title": ["title", "Title"]},
    "rayyan": {"doi": ["doi"], "pmid": ["pubmed_id", "pmid"], "title": ["title"]},
    "covidence": {"doi": ["DOI"], "pmid": ["Accession Number"], "title": ["Title"]},
    "asreview": {"doi": ["doi", "DOI"], "pmid": ["pmid", "pubmed_id", "PMID"], "title": ["title", "primary_title"]},
}
_MATCH_FIELDS = "doi, pmid, title"


def _title_key(title: Any) -> str:
    """The normalised title, empty for a missing value (``NA``, ``NULL``, ...)."""
    return "" if is_missing(title) else normalise_title(title)


def normalise_vote(value: Any) -> str | None:
    """A reviewer's decision as ``include``, ``exclude`` or ``maybe`` (Rayyan's *Included*,
    ASReview's 1 and 0 too); ``None`` if it is none of them.

    Examples
    --------
    >>> normalise_vote("Included"), normalise_vote("0"), normalise_vote(" Maybe "), normalise_vote("later")
    ('include', 'exclude', 'maybe', None)
    """
    return None if value is None else _VOTE_WORDS.get(str(value).strip().casefold())


def select_identifiers(table: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The ``doi``, ``pmid`` and ``title`` columns of a tool's export (empty where absent).

    Examples
    --------
    >>> select_identifiers(pd.DataFrame({"Title": ["T"], "DOI": ["10.5555/x"]}), "covidence").values.tolist()
    [['10.5555/x', '', 'T']]
    """
    out = pd.DataFrame(index=table.index)
    for field, names in TOOL_COLUMNS[fmt].items():
        column = next((n for n in names if n in table), None)
        out[field] = table[column] if column else ""
    return out


@dataclass
class _Index:
    """Records by DOI, PMID and normalised title, each key pointing at the records kept
    in place of their duplicates."""

    doi: dict[str, set[str]]
    pmid: dict[str, set[str]]
    title: dict[str, set[str]]
    status: dict[str, str]
    detail: dict[str, Any]

    @classmethod
    def build(cls, records: pd.DataFrame) -> _Index:
        index = cls({}, {}, {}, {}, {})
        empty = pd.Series([None] * len(records))
        for rec, kept, doi, pmid, title, status, detail in zip(
            records["record"],
            records.get("duplicate_of", empty),
            records.get("doi", empty),
            records.get("pmid", empty),
            records["title"],
            records["status"].astype(str),
            records.get("ineligible_detail", empty),
            strict=False,
        ):
            kept = str(rec) if is_missing(kept) else str(kept)
            index.status[str(rec)] = status
            index.detail[str(rec)] = None if is_missing(detail) else detail
            for table, key in (
                (index.doi, normalise_doi(doi)),
                (index.pmid, normalise_pmid(pmid)),
                (index.title, _title_key(title)),
            ):
                if key:
                    table.setdefault(key, set()).add(kept)
        return index

    def find(self, doi: Any, pmid: Any, title: Any) -> tuple[str | None, str]:
        """The record matched and by which key, or ``None`` and why not."""
        keys = (
            ("DOI", self.doi, normalise_doi(doi)),
            ("PMID", self.pmid, normalise_pmid(pmid)),
            ("title", self.title, _title_key(title)),
        )
        ambiguous = []
        for name, table, key in keys:
            found = table.get(key, set()) if key else set()
            if len(found) == 1:
                return next(iter(found)), name
            if len(found) > 1:
                ambiguous.append(f"{name} matches {', '.join(sorted(found))}")
        given = [f"{name} {key!r}" for name, _, key in keys if key]
        if not given:
            return None, "no DOI, PMID or title"
        return None, "; ".join(ambiguous) if ambiguous else "no record with " + ", ".join(given)


def _match_problem(rec: pd.Series, row: int, file: str, match: str | None, by: str, index: _Index) -> Problem | None:
    """The problem of a row that matched no record, or a record removed before screening."""
    if match is None:
        shown = ", ".join(
            f"{k} {str(rec.get(k)).strip()!r}" for k in ("doi", "pmid", "title") if not is_missing(rec.get(k))
        )
        return Problem(
            file=file,
            row=row,
            field=_MATCH_FIELDS,
            expected="a record read from the exports (matched by DOI, then PMID, then title)",
            found=f"{shown or 'no identifier'} ({by})",
            fix="correct the identifier, or add the export that holds the record",
        )
    if index.status.get(match) == "ineligible":
        return Problem(
            file=file,
            row=row,
            field=_MATCH_FIELDS,
            expected="a screened record",
            found=f"{match!r}, removed before screening ({index.detail.get(match)})",
            fix="remove the row, or correct the identifier",
        )
    return None


def match_records(
    table: pd.DataFrame, records: pd.DataFrame, *, file: str
) -> tuple[list[str | None], list[str], list[Problem]]:
    """Match each row of a screening table (columns ``doi``, ``pmid``, ``title``) to a
    record read from the exports: by DOI, then PMID, then normalised title; a key that
    matches two different records is skipped for the next. A record removed as a
    duplicate stands for the record kept in its place.

    Returns
    -------
    records, matched_by, problems
        The record id per row (``None`` when unmatched), the key that matched, and one
        problem per row that matched nothing or matched a record removed before screening.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["pubmed:1", "ris:1"], "doi": ["10.5555/a", None], "pmid": ["1", None],
    ...                      "title": ["Peer work", "Peer work"], "status": ["screened", "duplicate"],
    ...                      "duplicate_of": [None, "pubmed:1"]})
    >>> rows = pd.DataFrame({"doi": ["https://doi.org/10.5555/A", ""], "pmid": ["", ""], "title": ["", "PEER WORK."]},
    ...                     index=[2, 3])
    >>> match_records(rows, recs, file="s.csv")[:2]
    (['pubmed:1', 'pubmed:1'], ['DOI', 'title'])
    """
    index = _Index.build(records)
    found: list[str | None] = []
    how: list[str] = []
    problems: list[Problem] = []
    for row, rec in table.iterrows():
        match, by = index.find(rec.get("doi"), rec.get("pmid"), rec.get("title"))
        problem = _match_problem(rec, int(cast(int, row)), file, match, by, index)  # stubs: a label is Hashable
        if problem is not None:
            problems.append(problem)
            match = None
        found.append(match)
        how.append(by if match else "")
    return found, how, problems
