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

The work is split by job: :mod:`peerstudy.review.dedup_keys` normalises the fields (titles,
names, pages, errata), :mod:`peerstudy.review.dedup_evidence` compares two records and lists the
evidence, :mod:`peerstudy.review.dedup_blocking` finds the candidate pairs and
:mod:`peerstudy.review.dedup_grouping` merges them; this module runs the passes.

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

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from peerstudy.errors import ConfigError, Problem
from peerstudy.review.dedup_blocking import _bounded_pairs, _candidate_pairs, _groups
from peerstudy.review.dedup_evidence import (
    _column,
    _fields_differ,
    _judge_similar,
    _prepare,
    _Prepared,
    _same_title_apart,
    _title_similarity,
    _titles_agree_for_id,
)
from peerstudy.review.dedup_grouping import _Matcher
from peerstudy.review.dedup_keys import _value

__all__ = ["RULES", "find_duplicates", "summarise_pairs", "select_pairs_to_check"]

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


# ------------------------------------------------------------------------ the passes
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
