"""The PRISMA 2020 flow of a literature review: the numbers in its boxes, counted from
the records and the screening decisions, a check that every box adds up, the flow as a
table and as a diagram.

:class:`PrismaCounts` holds one number (or one number per database or reason) per box.
:func:`count_prisma_flow` counts each box on its own, from distinct records, and refuses
decisions that do not fit the records (a record decided twice at one stage, a screened
record without a title/abstract decision, a full-text decision for a record not
included on title and abstract): such decisions would put the same record in two boxes.
:func:`check_prisma_flow` then checks the arithmetic between boxes and against the result
tables, and names every box that does not add up.
The diagram is drawn by :func:`peerstudy.report.review_figures.plot_prisma_flow`.

Examples
--------
>>> flow = PrismaCounts(identified={"X": 5}, identified_other={}, identified_total=5, duplicates_removed=1,
...                     ineligible_removed={"outside the date range": 1}, screened=3, excluded_title_abstract=1,
...                     sought_for_retrieval=2, not_retrieved=0, assessed=2, excluded_full_text={"r": 1}, included=1)
>>> bool(check_prisma_flow(flow)["ok"].all())
True
>>> check_prisma_flow(flow.replace(screened=4))
Traceback (most recent call last):
...
peerstudy.errors.InputError: 2 problems found:
  1. field 'screened': expected 3 (identified - duplicates - removed before screening), found 4. Fix: check the screening decisions: a box of the flow diagram does not add up.
  2. field 'sought_for_retrieval': expected 3 (screened - excluded on title and abstract), found 2. Fix: check the screening decisions: a box of the flow diagram does not add up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from peerstudy.errors import InputError, Problem

__all__ = [
    "PrismaCounts",
    "check_prisma_flow",
    "count_prisma_flow",
    "tabulate_exclusion_reasons",
    "tabulate_flow",
]

_FIX_BOX = "check the screening decisions: a box of the flow diagram does not add up"


@dataclass(frozen=True)
class PrismaCounts:
    """The numbers in the boxes of a PRISMA 2020 flow diagram (databases and other sources).

    Attributes
    ----------
    identified
        Records per database searched.
    identified_other
        Records per other source (citation searching, a registry, ...).
    identified_total
        All records identified.
    duplicates_removed
        Records removed as duplicates.
    ineligible_removed
        Records removed before screening, per reason (outside the date range, language).
    screened
        Records screened on title and abstract.
    excluded_title_abstract
        Records excluded on title and abstract.
    sought_for_retrieval
        Reports sought for retrieval (records included on title and abstract).
    not_retrieved
        Reports not retrieved.
    assessed
        Reports assessed for eligibility (full text).
    excluded_full_text
        Reports excluded at full text, per reason (every listed reason, zeros included).
    included
        Studies included in the review.
    """

    identified: dict[str, int]
    identified_other: dict[str, int]
    identified_total: int
    duplicates_removed: int
    ineligible_removed: dict[str, int]
    screened: int
    excluded_title_abstract: int
    sought_for_retrieval: int
    not_retrieved: int
    assessed: int
    excluded_full_text: dict[str, int] = field(default_factory=dict)
    included: int = 0

    def replace(self, **changes: Any) -> PrismaCounts:
        """A copy with some boxes changed (e.g. to test the check).

        Examples
        --------
        >>> PrismaCounts({}, {}, 0, 0, {}, 0, 0, 0, 0, 0).replace(included=2).included
        2
        """
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, boxes: Mapping[str, Any]) -> PrismaCounts:
        """Counts from a mapping of box names to numbers (as :meth:`as_dict` writes them).

        Examples
        --------
        >>> PrismaCounts.from_mapping({"identified": {"X": 1}, "identified_other": {}, "identified_total": 1,
        ...     "duplicates_removed": 0, "ineligible_removed": {}, "screened": 1, "excluded_title_abstract": 1,
        ...     "sought_for_retrieval": 0, "not_retrieved": 0, "assessed": 0}).screened
        1
        """
        return cls(**dict(boxes))

    def as_dict(self) -> dict[str, Any]:
        """The boxes as a plain dictionary (in the order of the diagram).

        Examples
        --------
        >>> list(PrismaCounts({"X": 1}, {}, 1, 0, {}, 1, 1, 0, 0, 0).as_dict())[:3]
        ['identified', 'identified_other', 'identified_total']
        """
        return dataclasses.asdict(self)


def _coherence_problems(records: pd.DataFrame, ta: pd.DataFrame, ft: pd.DataFrame) -> list[Problem]:
    """Decisions that would count one record in two boxes, or a record in none."""
    problems = []
    screened = set(records.loc[records["status"].astype(str) == "screened", "record"])
    for stage, part, box in (("title-abstract", ta, "screened"), ("full-text", ft, "sought_for_retrieval")):
        twice = sorted(set(part.loc[part["record"].duplicated(), "record"]))
        if twice:
            problems.append(
                Problem(
                    field=box,
                    expected=f"one {stage} decision per record",
                    found=f"two or more for {', '.join(map(repr, twice))}",
                    fix=_FIX_BOX,
                )
            )
    decided = set(ta["record"])
    for what, ids in (
        ("screened records without a title-abstract decision", screened - decided),
        ("title-abstract decisions for records not screened", decided - screened),
    ):
        if ids:
            problems.append(
                Problem(
                    field="screened",
                    expected="a title-abstract decision for each screened record, and only for them",
                    found=f"{what}: {', '.join(map(repr, sorted(ids)))}",
                    fix=_FIX_BOX,
                )
            )
    sought = set(ta.loc[ta["decision"] == "include", "record"])
    for what, ids in (
        ("included on title and abstract without a full-text decision", sought - set(ft["record"])),
        ("full-text decisions for records not included on title and abstract", set(ft["record"]) - sought),
    ):
        if ids:
            problems.append(
                Problem(
                    field="sought_for_retrieval",
                    expected="a full-text decision for each record included on title and abstract, and only for them",
                    found=f"{what}: {', '.join(map(repr, sorted(ids)))}",
                    fix=_FIX_BOX,
                )
            )
    return problems


def count_prisma_flow(
    records: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    reasons: Sequence[str],
    not_retrieved_reason: str,
    searched: pd.DataFrame | None = None,
) -> PrismaCounts:
    """The numbers in each box of a PRISMA 2020 flow diagram, each counted on its own
    from the records and the final decisions (so that :func:`check_prisma_flow` can
    test that they add up).

    Parameters
    ----------
    records
        ``record``, ``database``, ``status`` (``duplicate``, ``ineligible`` or
        ``screened``), ``ineligible`` (the reason), optionally ``source`` (``search`` or
        another source).
    decisions
        The final decisions: ``record``, ``stage``, ``decision``, ``reason``.
    reasons
        The full-text exclusion reasons, in the order the diagram lists them.
    not_retrieved_reason
        The reason that marks a report sought but not retrieved (its own box).
    searched
        The searches logged (``database``, ``source``): a database or other source
        searched that gave no record is listed with 0, after those that gave some
        (PRISMA-S item 1: every database searched is named).

    Raises
    ------
    InputError
        When the decisions would put one record in two boxes or leave a screened
        record out (each such box named).

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a", "b", "c"], "database": ["X", "X", "Y"], "source": ["search"] * 3,
    ...                      "status": ["screened", "screened", "duplicate"], "ineligible": [None, None, None]})
    >>> dec = pd.DataFrame({"record": ["a", "b", "a"], "stage": ["title-abstract", "title-abstract", "full-text"],
    ...                     "decision": ["include", "exclude", "include"], "reason": ["", "", ""]})
    >>> flow = count_prisma_flow(recs, dec, reasons=["not retrieved"], not_retrieved_reason="not retrieved")
    >>> flow.identified, flow.screened, flow.included
    ({'X': 2, 'Y': 1}, 2, 1)
    >>> log = pd.DataFrame({"database": ["X", "Y", "Z"], "source": ["search"] * 3})
    >>> count_prisma_flow(recs, dec, reasons=[], not_retrieved_reason="", searched=log).identified
    {'X': 2, 'Y': 1, 'Z': 0}
    """
    source = records["source"].astype(str) if "source" in records else pd.Series("search", index=records.index)
    by_db = records.groupby([source, records["database"].astype(str)], sort=False).size()
    status = records["status"].astype(str)
    ta = decisions[decisions["stage"] == "title-abstract"]
    ft = decisions[decisions["stage"] == "full-text"]
    problems = _coherence_problems(records, ta, ft)
    if problems:
        raise InputError(problems)
    ft_excluded = ft[ft["decision"] == "exclude"]
    ineligible = records.loc[status == "ineligible", "ineligible"].astype(str).value_counts()
    # pandas' stubs type a label of the two-level index as Hashable: it is a (source, database) pair
    pairs = {cast(tuple[str, str], key): int(n) for key, n in by_db.items()}
    if searched is not None:
        logged = zip(searched["source"].astype(str), searched["database"].astype(str), strict=True)
        pairs |= {pair: 0 for pair in logged if pair not in pairs}
    return PrismaCounts(
        identified={db: n for (src, db), n in pairs.items() if src == "search"},
        identified_other={db: n for (src, db), n in pairs.items() if src != "search"},
        identified_total=len(records),
        duplicates_removed=int((status == "duplicate").sum()),
        ineligible_removed={str(k): int(v) for k, v in sorted(ineligible.items())},
        screened=int((status == "screened").sum()),
        excluded_title_abstract=int((ta["decision"] == "exclude").sum()),
        sought_for_retrieval=int((ta["decision"] == "include").sum()),
        not_retrieved=int((ft_excluded["reason"] == not_retrieved_reason).sum()),
        assessed=int((ft["reason"] != not_retrieved_reason).sum()),
        excluded_full_text={r: int((ft_excluded["reason"] == r).sum()) for r in reasons if r != not_retrieved_reason},
        included=int((ft["decision"] == "include").sum()),
    )


def _arithmetic_checks(counts: PrismaCounts) -> list[tuple[str, str, int, int]]:
    """(box, rule, expected, found) for each box that follows from the boxes above it."""
    c = counts
    checks = [
        (
            "identified_total",
            "databases + other sources",
            sum(c.identified.values()) + sum(c.identified_other.values()),
            c.identified_total,
        ),
        (
            "screened",
            "identified - duplicates - removed before screening",
            c.identified_total - c.duplicates_removed - sum(c.ineligible_removed.values()),
            c.screened,
        ),
        (
            "sought_for_retrieval",
            "screened - excluded on title and abstract",
            c.screened - c.excluded_title_abstract,
            c.sought_for_retrieval,
        ),
        ("assessed", "sought - not retrieved", c.sought_for_retrieval - c.not_retrieved, c.assessed),
        (
            "included",
            "reports assessed - reports excluded",
            c.assessed - sum(c.excluded_full_text.values()),
            c.included,
        ),
    ]
    return checks


def _table_checks(
    counts: PrismaCounts,
    *,
    included: pd.DataFrame | None,
    exclusion_reasons: pd.DataFrame | None,
    by_year: pd.DataFrame | None,
) -> list[tuple[str, str, int, int]]:
    """(box, rule, expected, found) for each box against the result tables given."""
    c = counts
    checks: list[tuple[str, str, int, int]] = []
    if included is not None:
        checks.append(("included", "rows of the table of included studies", len(included), c.included))
    if exclusion_reasons is not None:
        excluded = exclusion_reasons[exclusion_reasons["box"] == "reports excluded"]["n"].sum()
        missing = exclusion_reasons[exclusion_reasons["box"] == "reports not retrieved"]["n"].sum()
        checks.append(
            (
                "excluded_full_text",
                "sum of the exclusion-reasons table",
                int(excluded),
                sum(c.excluded_full_text.values()),
            )
        )
        checks.append(
            ("not_retrieved", "not-retrieved row of the exclusion-reasons table", int(missing), c.not_retrieved)
        )
    if by_year is not None:
        checks.append(
            (
                "included",
                "total of the studies-by-year table",
                int(cast(int, by_year.loc["total", "total"])),
                c.included,
            )
        )
    return checks


def check_prisma_flow(
    counts: PrismaCounts,
    *,
    included: pd.DataFrame | None = None,
    exclusion_reasons: pd.DataFrame | None = None,
    by_year: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Check that every box of the flow adds up, and agrees with the result tables.

    Parameters
    ----------
    counts
        From :func:`count_prisma_flow`.
    included
        Table of included studies (:func:`tabulate_included`): one row per study.
    exclusion_reasons
        :func:`tabulate_exclusion_reasons`: its ``reports excluded`` rows must sum to the
        full-text exclusions and its ``reports not retrieved`` row to the reports not retrieved.
    by_year
        :func:`tabulate_by_year`: its ``total`` row must equal the studies included.

    Returns
    -------
    pandas.DataFrame
        ``box``, ``rule``, ``expected``, ``found``, ``ok``; one row per check.

    Raises
    ------
    InputError
        Naming every box that does not add up.

    Examples
    --------
    >>> flow = PrismaCounts.from_mapping({"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {"outside the date range": 1}, "screened": 3, "excluded_title_abstract": 1,
    ...         "sought_for_retrieval": 2, "not_retrieved": 0, "assessed": 2, "excluded_full_text": {"r": 1},
    ...         "included": 1})
    >>> bool(check_prisma_flow(flow)["ok"].all())
    True
    >>> check_prisma_flow(flow.replace(included=2))
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: field 'included': expected 1 (reports assessed - reports excluded), found 2. Fix: check the screening decisions: a box of the flow diagram does not add up.
    """
    checks = _arithmetic_checks(counts) + _table_checks(
        counts, included=included, exclusion_reasons=exclusion_reasons, by_year=by_year
    )
    table = pd.DataFrame(
        [
            {"box": box, "rule": rule, "expected": int(exp), "found": int(got), "ok": int(exp) == int(got)}
            for box, rule, exp, got in checks
        ]
    )
    bad = table[~table["ok"]]
    if not bad.empty:
        raise InputError(
            [
                Problem(
                    field=str(r.box),
                    expected=f"{r.expected} ({r.rule})",
                    found=str(r.found),
                    fix=_FIX_BOX,
                )
                for r in bad.itertuples()
            ]
        )
    return table


def tabulate_flow(counts: PrismaCounts) -> pd.DataFrame:
    """The flow diagram as a table: phase, box, n (one row per box and per sub-count).

    Examples
    --------
    >>> flow = PrismaCounts.from_mapping({"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {}, "screened": 4, "excluded_title_abstract": 1, "sought_for_retrieval": 3,
    ...         "not_retrieved": 1, "assessed": 2, "excluded_full_text": {"r": 0}, "included": 2})
    >>> tabulate_flow(flow).set_index("box").loc["reports not retrieved", "n"]
    np.int64(1)
    """
    c = counts
    rows = [("identification", f"records identified from {db}", n) for db, n in c.identified.items()]
    rows += [
        ("identification", f"records identified from {db} (other source)", n) for db, n in c.identified_other.items()
    ]
    rows += [
        ("identification", "records identified (total)", c.identified_total),
        ("identification", "duplicate records removed", c.duplicates_removed),
    ]
    rows += [("identification", f"records removed before screening: {r}", n) for r, n in c.ineligible_removed.items()]
    rows += [
        ("screening", "records screened (title and abstract)", c.screened),
        ("screening", "records excluded on title and abstract", c.excluded_title_abstract),
        ("screening", "reports sought for retrieval (met the criteria on abstract)", c.sought_for_retrieval),
        ("screening", "reports not retrieved", c.not_retrieved),
        ("screening", "reports assessed for eligibility (full text)", c.assessed),
    ]
    rows += [("screening", f"reports excluded: {r}", n) for r, n in c.excluded_full_text.items()]
    rows += [("included", "studies included in the review", c.included)]
    return pd.DataFrame(rows, columns=["phase", "box", "n"])


def tabulate_exclusion_reasons(
    decisions: pd.DataFrame, *, reasons: Sequence[str], not_retrieved_reason: str
) -> pd.DataFrame:
    """Full-text exclusions by reason, every listed reason (zeros included), in the
    order of the list; the not-retrieved reason is its own PRISMA box.

    Examples
    --------
    >>> dec = pd.DataFrame({"stage": ["full-text"] * 3, "decision": ["exclude", "exclude", "include"],
    ...                     "reason": ["not peer support", "not retrieved", ""]})
    >>> tabulate_exclusion_reasons(dec, reasons=["not peer support", "commentary", "not retrieved"],
    ...                            not_retrieved_reason="not retrieved").values.tolist()
    [['reports excluded', 'not peer support', 1], ['reports excluded', 'commentary', 0], ['reports not retrieved', 'not retrieved', 1]]
    """
    ft = decisions[(decisions["stage"] == "full-text") & (decisions["decision"] == "exclude")]
    counts = ft["reason"].value_counts()
    rows = [
        {"box": "reports excluded", "reason": r, "n": int(counts.get(r, 0))}
        for r in reasons
        if r != not_retrieved_reason
    ]
    rows.append(
        {"box": "reports not retrieved", "reason": not_retrieved_reason, "n": int(counts.get(not_retrieved_reason, 0))}
    )
    return pd.DataFrame(rows, columns=["box", "reason", "n"])
