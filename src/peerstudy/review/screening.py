"""Screening as reviewers do it: each reviewer's decisions per stage, from their own sheets
or from the exports of screening tools (Rayyan, Covidence, ASReview), matched to the
records by DOI, then PMID, then normalised title (never by the project's internal ids);
conflicts and how each was resolved; agreement between reviewers per stage; the final
decisions; and the extraction sheet with the columns a study declares.

The model: **votes** (one row per reviewer, record and stage: ``include``, ``exclude`` or
``maybe``, with the reason and the file and row it came from), **decisions** (one final
decision per record and stage) and **conflicts** (records on which reviewers differed,
with the resolution: a row of the study's resolution sheet, or the tool's final decision).

This module is what the notebook calls; the work is done, one job each, by
:mod:`peerstudy.review.screen_match` (the words of screening; matching rows to records),
:mod:`peerstudy.review.screen_exports` (reviewers' sheets and tools' exports, formats listed
there), :mod:`peerstudy.review.screen_resolve` (conflicts, resolutions, checks of the final
decisions) and :mod:`peerstudy.review.screen_extract` (the extraction sheet), whose public
names are available here too.

May import: the ``screen_*`` modules, :mod:`peerstudy.stats`, :mod:`peerstudy.errors`.

Examples
--------
>>> normalise_vote("Included")
'include'
>>> parse_rayyan_notes('RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population')
({'Ana': 'include', 'Ben': 'exclude'}, 'wrong population')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pandas as pd

from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.review.screen_exports import (
    SCREENING_FORMATS,
    VOTE_COLUMNS,
    parse_rayyan_notes,
    read_screening_export,
    read_screening_exports,
)
from peerstudy.review.screen_extract import COLUMN_TYPES, read_extraction
from peerstudy.review.screen_match import DECISIONS, STAGES, match_records, normalise_vote
from peerstudy.review.screen_resolve import (
    CONFLICT_COLUMNS,
    check_decisions,
    check_not_retrieved_reason,
    read_decisions,
    resolve_decisions,
)
from peerstudy.stats.kappa import cohen_kappa, fleiss_kappa
from peerstudy.stats.percent import percent_agreement

__all__ = [
    "COLUMN_TYPES",
    "DECISIONS",
    "SCREENING_FORMATS",
    "STAGES",
    "Screening",
    "check_decisions",
    "match_records",
    "normalise_vote",
    "parse_rayyan_notes",
    "read_decisions",
    "read_extraction",
    "read_screening_export",
    "read_screening_exports",
    "resolve_decisions",
    "screen_records",
    "tabulate_agreement",
    "tabulate_fleiss_kappa",
    "tabulate_screening",
]


@dataclass
class Screening:
    """Everything screening produced: each reviewer's ``votes``, the final ``decisions``
    and the ``conflicts`` with their resolution."""

    votes: pd.DataFrame
    decisions: pd.DataFrame
    conflicts: pd.DataFrame


def screen_records(
    records: pd.DataFrame,
    *,
    reasons: Sequence[str],
    not_retrieved_reason: str,
    screening_exports: Sequence[Mapping[str, Any]] = (),
    resolutions: str = "",
    screening_sheet: str = "",
) -> Screening:
    """Screening from the reviewers' sheets and tools' exports (``screening_exports``,
    with the ``resolutions`` sheet for their conflicts), or from a table of final
    decisions by record id (``screening_sheet``, read only when there are no exports).

    Examples
    --------
    >>> screen_records(pd.DataFrame(), reasons=["gone"], not_retrieved_reason="gone")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'screening_exports': expected the screening exports (or a screening_sheet of final decisions), found neither. Fix: list the reviewers' sheets or the tools' exports, each with its stage.
    """
    check_not_retrieved_reason(reasons, not_retrieved_reason)
    if not screening_exports and not screening_sheet:
        raise ConfigError(
            Problem(
                field="screening_exports",
                expected="the screening exports (or a screening_sheet of final decisions)",
                found="neither",
                fix="list the reviewers' sheets or the tools' exports, each with its stage",
            )
        )
    if not screening_exports:
        decisions = read_decisions(screening_sheet, records, reasons=reasons, not_retrieved_reason=not_retrieved_reason)
        votes = decisions.assign(final=False, matched_by="record id", file=decisions.attrs["file"])[VOTE_COLUMNS]
        return Screening(votes, decisions, pd.DataFrame(columns=CONFLICT_COLUMNS))
    votes = read_screening_exports(screening_exports, records)
    decisions, conflicts = resolve_decisions(votes, records, resolutions=resolutions or None)
    shown = ", ".join(dict.fromkeys(votes["file"])) or "the screening exports"
    problems = check_decisions(
        decisions, records, reasons=reasons, not_retrieved_reason=not_retrieved_reason, file=shown
    )
    if problems:
        raise InputError(problems)
    decisions.attrs["file"] = shown
    return Screening(votes, decisions, conflicts)


# ------------------------------------------------------------------------ tables
def tabulate_screening(decisions: pd.DataFrame) -> pd.DataFrame:
    """Final decisions by stage: included, excluded, total.

    Examples
    --------
    >>> dec = pd.DataFrame({"stage": ["title-abstract", "title-abstract", "full-text"],
    ...                     "decision": ["include", "exclude", "include"]})
    >>> tabulate_screening(dec).values.tolist()
    [['title-abstract', 1, 1, 2], ['full-text', 1, 0, 1]]
    """
    rows = []
    for stage in STAGES:
        part = decisions[decisions["stage"] == stage]
        rows.append(
            {
                "stage": stage,
                "include": int((part["decision"] == "include").sum()),
                "exclude": int((part["decision"] == "exclude").sum()),
                "total": len(part),
            }
        )
    return pd.DataFrame(rows)


def tabulate_agreement(votes: pd.DataFrame) -> pd.DataFrame:
    """Agreement between reviewers per stage and pair of reviewers, on the records both
    decided: percent agreement and Cohen's kappa (from :mod:`peerstudy.stats`) on
    their decisions (include, exclude, maybe); kappa is left empty, with a note, where it
    is undefined (every decision in one category). Tools' final decisions are not votes.

    Examples
    --------
    >>> votes = pd.DataFrame({"record": list("abcdabcd"), "stage": ["title-abstract"] * 8,
    ...                       "reviewer": ["Ana"] * 4 + ["Ben"] * 4, "final": [False] * 8,
    ...                       "decision": ["include", "include", "exclude", "exclude",
    ...                                    "include", "exclude", "exclude", "exclude"]})
    >>> row = tabulate_agreement(votes).iloc[0]
    >>> int(row["records"]), int(row["agreements"]), float(row["percent"]), float(row["kappa"])
    (4, 3, 75.0, 0.5)
    """
    rows = []
    for stage in STAGES:
        table = _votes_by_record(votes, stage)
        for a, b in combinations(sorted(table.columns), 2):
            both = table[[a, b]].dropna()
            if both.empty:
                continue
            percent = percent_agreement(both.to_numpy().tolist())
            note = ""
            try:
                kappa: float | None = round(float(cohen_kappa(both[a].tolist(), both[b].tolist())), 3)
            except InputError:
                kappa, note = None, "kappa undefined: every decision in one category"
            rows.append(
                {
                    "stage": stage,
                    "reviewer_a": a,
                    "reviewer_b": b,
                    "records": len(both),
                    "agreements": int((both[a] == both[b]).sum()),
                    "percent": round(100 * float(percent), 1),
                    "kappa": kappa,
                    "note": note,
                }
            )
    out = pd.DataFrame(
        rows, columns=["stage", "reviewer_a", "reviewer_b", "records", "agreements", "percent", "kappa", "note"]
    )
    out["kappa"] = out["kappa"].astype("Float64")
    return out


def _votes_by_record(votes: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Records x reviewers table of the reviewers' decisions at one stage (tools' final decisions left out)."""
    people = votes[~votes["final"].astype(bool) & (votes["stage"] == stage)]
    return people.pivot_table(index="record", columns="reviewer", values="decision", aggfunc="first")


def tabulate_fleiss_kappa(votes: pd.DataFrame) -> pd.DataFrame:
    """Agreement among all the reviewers of a stage, where three or more screened it:
    Fleiss' kappa (:func:`peerstudy.stats.kappa.fleiss_kappa`, Fleiss 1971) on their
    decisions (include, exclude, maybe), over the records every one of them decided
    (records seen by fewer are in the pairwise table, :func:`tabulate_agreement`).
    Kappa is left empty, with a note, where it is undefined (every decision in one
    category). A stage with fewer than three reviewers, or no record all of them
    decided, has no row.

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``reviewers`` (their names), ``n_reviewers``, ``records`` (decided by
        all), ``agreements`` (records on which all made the same decision), ``kappa``, ``note``.

    Examples
    --------
    >>> votes = pd.DataFrame({"record": list("abcabcabc"), "stage": ["full-text"] * 9, "final": [False] * 9,
    ...                       "reviewer": ["Ana"] * 3 + ["Ben"] * 3 + ["Cy"] * 3,
    ...                       "decision": ["include", "exclude", "exclude", "include", "exclude", "include",
    ...                                    "include", "exclude", "exclude"]})
    >>> tabulate_fleiss_kappa(votes)[["stage", "n_reviewers", "records", "agreements", "kappa"]].values.tolist()
    [['full-text', 3, 3, 2, 0.55]]
    """
    columns = ["stage", "reviewers", "n_reviewers", "records", "agreements", "kappa", "note"]
    rows = []
    for stage in STAGES:
        table = _votes_by_record(votes, stage)
        complete = table.dropna()
        if len(table.columns) < 3 or complete.empty:
            continue
        note = ""
        try:
            kappa: float | None = round(float(fleiss_kappa(complete.to_numpy().tolist())), 3)
        except InputError:
            kappa, note = None, "kappa undefined: every decision in one category"
        rows.append(
            {
                "stage": stage,
                "reviewers": ", ".join(sorted(table.columns)),
                "n_reviewers": len(table.columns),
                "records": len(complete),
                "agreements": int((complete.nunique(axis=1) == 1).sum()),
                "kappa": kappa,
                "note": note,
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out["kappa"] = out["kappa"].astype("Float64")
    return out
