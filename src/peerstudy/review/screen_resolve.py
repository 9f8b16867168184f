"""From reviewers' votes to final decisions: conflicts and how each was resolved
(:func:`resolve_decisions`), the checks every set of final decisions must pass
(:func:`check_decisions`), and the table of final decisions by record id
(:func:`read_decisions`).

May import: :mod:`peerstudy.review.screen_match`, :mod:`peerstudy.review.bib_ids`, :mod:`peerstudy.io.readers`,
:mod:`peerstudy.config`, :mod:`peerstudy.errors`.

Examples
--------
>>> check_decisions(pd.DataFrame(columns=["record", "stage", "decision", "reason", "row"]),
...                 pd.DataFrame({"record": [], "status": []}), reasons=["gone"], not_retrieved_reason="gone",
...                 file="s.csv")
[]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.review.bib_ids import is_missing
from peerstudy.review.screen_match import DECISIONS, STAGES, match_records, normalise_vote, select_identifiers

__all__ = [
    "CONFLICT_COLUMNS",
    "DECISION_COLUMNS",
    "check_decisions",
    "check_not_retrieved_reason",
    "read_decisions",
    "resolve_decisions",
]

#: Columns of the final decisions.
DECISION_COLUMNS = ["record", "stage", "decision", "reason", "reviewer", "note", "resolved_by", "file", "row"]
#: Columns of the conflicts table.
CONFLICT_COLUMNS = ["record", "stage", "votes", "decision", "reason", "resolved_by", "note"]


def check_not_retrieved_reason(reasons: Sequence[str], not_retrieved_reason: str) -> None:
    """Refuse a not-retrieved reason that is not one of the exclusion reasons.

    Examples
    --------
    >>> check_not_retrieved_reason(["gone"], "lost")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'not_retrieved_reason': expected one of the exclusion reasons ['gone'], found 'lost'. Fix: add it to exclusion_reasons.
    """
    if not_retrieved_reason not in reasons:
        raise ConfigError(
            Problem(
                field="not_retrieved_reason",
                expected=f"one of the exclusion reasons {list(reasons)}",
                found=repr(not_retrieved_reason),
                fix="add it to exclusion_reasons",
            )
        )


# ------------------------------------------------------------------------ resolutions
def _resolution_problems(rec: pd.Series, row: int, shown: str) -> list[Problem]:
    problems = []
    if rec["stage"] not in STAGES:
        problems.append(
            Problem(
                file=shown,
                row=row,
                field="stage",
                expected=" or ".join(STAGES),
                found=repr(rec["stage"]),
                fix="correct the stage",
            )
        )
    if normalise_vote(rec["decision"]) not in DECISIONS:
        problems.append(
            Problem(
                file=shown,
                row=row,
                field="decision",
                expected="include or exclude",
                found=repr(rec["decision"]),
                fix="write the decision the conflict was resolved to",
            )
        )
    return problems


def _read_resolutions(path: str | os.PathLike[str] | None, records: pd.DataFrame) -> tuple[dict, list[Problem]]:
    """The resolution sheet (identifiers, ``stage``, ``decision``, ``reason``, ``note``) by
    (record, stage)."""
    if not path:
        return {}, []
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=["stage", "decision"], parameter="resolutions").apply(lambda c: c.str.strip())
    matched, _, problems = match_records(select_identifiers(table, "sheet"), records, file=shown)
    found: dict[tuple[str, str], dict] = {}
    for (row, rec), rid in zip(table.iterrows(), matched, strict=False):
        problems += _resolution_problems(rec, int(row), shown)
        if rid is None:
            continue
        if (rid, rec["stage"]) in found:
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field="doi, pmid, title",
                    expected="one resolution per record and stage",
                    found=f"a second one for {rid!r} (first in row {found[(rid, rec['stage'])]['row']})",
                    fix="remove one of the two rows",
                )
            )
        found[(rid, rec["stage"])] = {
            "decision": normalise_vote(rec["decision"]),
            "reason": rec.get("reason", ""),
            "note": rec.get("note", ""),
            "file": shown,
            "row": int(row),
        }
    return found, problems


# ------------------------------------------------------------------------ conflicts
def _describe_votes(part: pd.DataFrame) -> str:
    # str() rather than an f-string field: pandas' stubs type a cell as possibly bytes (the text is the same)
    return "; ".join(
        str(v.reviewer) + ": " + str(v.decision) + (" (" + str(v.reason) + ")" if v.reason else "")
        for v in part.itertuples()
    )


def _is_conflict(reviewers: pd.DataFrame, final: pd.DataFrame, stage: str) -> bool:
    """Reviewers who differ (at full text, in their reasons too), a *maybe*, or a tool's
    final decision other than the reviewers'."""
    decisions = set(reviewers["decision"])
    if len(decisions) > 1 or "maybe" in decisions:
        return True
    if stage == "full-text" and decisions == {"exclude"} and reviewers["reason"].nunique() > 1:
        return True
    return len(final) > 0 and len(reviewers) > 0 and decisions != set(final["decision"])


def _final_choice(final: pd.DataFrame) -> dict:
    first = final.iloc[0]
    return {
        "decision": first["decision"],
        "reason": first["reason"],
        "note": first["note"],
        "reviewer": first["reviewer"],
        "file": first["file"],
        "row": int(first["row"]),
        "resolved_by": "the tool's final decision",
    }


def _agreed_choice(reviewers: pd.DataFrame) -> dict:
    first = reviewers.iloc[0]
    return {
        "decision": first["decision"],
        "reason": first["reason"],
        "note": "; ".join(n for n in reviewers["note"] if n),
        "reviewer": ", ".join(reviewers["reviewer"]),
        "file": first["file"],
        "row": int(first["row"]),
        "resolved_by": "agreement" if len(reviewers) > 1 else "one reviewer",
    }


def _unresolved_problem(part: pd.DataFrame, reviewers: pd.DataFrame, rid: str, stage: str) -> Problem:
    first = part.iloc[0]
    return Problem(
        file=first["file"],
        row=int(first["row"]),
        field="decision",
        expected="reviewers who agree, or a resolution of their conflict",
        found=f"{rid!r} ({stage}): {_describe_votes(reviewers)}",
        fix="add a row for the record to the resolution sheet (parameter resolutions), with the decision agreed",
    )


def _choose(part: pd.DataFrame, resolution: Mapping[str, Any] | None, stage: str) -> tuple[dict | None, bool]:
    """The final decision of one record at one stage, and whether it was a conflict;
    ``None`` for a conflict nothing resolved."""
    is_final = part["final"].astype(bool)
    reviewers, final = part[~is_final], part[is_final]
    conflict = _is_conflict(reviewers, final, stage)
    if resolution is not None:
        where = f"resolution sheet ({resolution['file']}, row {resolution['row']})"
        return {**resolution, "reviewer": "resolution", "resolved_by": where}, conflict
    if len(final):
        return _final_choice(final), conflict
    if conflict:
        return None, conflict
    return _agreed_choice(reviewers), conflict


def _sort_by_stage(decisions: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(decisions, columns=DECISION_COLUMNS)
    out["_stage"] = out["stage"].map({s: i for i, s in enumerate(STAGES)})
    out = out.sort_values("_stage", kind="stable").drop(columns="_stage").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    return out


def resolve_decisions(
    votes: pd.DataFrame, records: pd.DataFrame, *, resolutions: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The final decision per record and stage, and the conflicts with how each was resolved.

    Reviewers agree when they made the same decision (at full text, for the same
    reason). Otherwise, or when a reviewer said *maybe*, the record is a conflict,
    resolved by the resolution sheet's row for it or, failing that, by the tool's final
    decision (Covidence); a conflict resolved by neither is an error. A record seen by
    one reviewer takes that reviewer's decision. A resolution row always wins, and is
    listed with the conflicts even where the reviewers agreed.

    Returns
    -------
    decisions : pandas.DataFrame
        ``record``, ``stage``, ``decision``, ``reason``, ``reviewer`` (who decided),
        ``note``, ``resolved_by``, ``file``, ``row`` (where the decision is written).
    conflicts : pandas.DataFrame
        ``record``, ``stage``, ``votes``, ``decision``, ``reason``, ``resolved_by``, ``note``.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a"], "title": ["T"], "status": ["screened"]})
    >>> votes = pd.DataFrame({"record": ["a", "a"], "stage": ["title-abstract"] * 2, "reviewer": ["Ana", "Ben"],
    ...                       "decision": ["include", "exclude"], "reason": ["", ""], "note": ["", ""],
    ...                       "final": [False, False], "file": ["s.csv"] * 2, "row": [2, 3]})
    >>> resolve_decisions(votes, recs)
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: s.csv, row 2, field 'decision': expected reviewers who agree, or a resolution of their conflict, found 'a' (title-abstract): Ana: include; Ben: exclude. Fix: add a row for the record to the resolution sheet (parameter resolutions), with the decision agreed.
    """
    resolved, problems = _read_resolutions(resolutions, records)
    decisions, conflicts = [], []
    keys = list(dict.fromkeys(zip(votes["record"], votes["stage"], strict=False)))
    keys += [k for k in resolved if k not in set(keys)]
    for rid, stage in keys:
        part = votes[(votes["record"] == rid) & (votes["stage"] == stage)]
        reviewers = part[~part["final"].astype(bool)]
        chosen, conflict = _choose(part, resolved.get((rid, stage)), stage)
        if chosen is None:
            problems.append(_unresolved_problem(part, reviewers, rid, stage))
            continue
        decisions.append({"record": rid, "stage": stage, **chosen})
        if conflict or (rid, stage) in resolved:  # a resolution that overrides agreeing reviewers is listed too
            conflicts.append(
                {"record": rid, "stage": stage, "votes": _describe_votes(reviewers)}
                | {k: chosen[k] for k in ("decision", "reason", "resolved_by", "note")}
            )
    if problems:
        raise InputError(problems)
    return _sort_by_stage(decisions), pd.DataFrame(conflicts, columns=CONFLICT_COLUMNS)


# ------------------------------------------------------------------------ checks of final decisions
def _row_problems(rec: pd.Series, row: int, file: str, *, reasons: Sequence[str]) -> list[Problem]:
    stage, decision, reason = rec["stage"], rec["decision"], rec["reason"]
    checks = [
        (stage not in STAGES, "stage", " or ".join(STAGES), repr(stage), "correct the stage"),
        (decision not in DECISIONS, "decision", " or ".join(DECISIONS), repr(decision), "correct the decision"),
        (
            stage == "full-text" and decision == "exclude" and reason not in reasons,
            "reason",
            f"a full-text exclusion reason from the fixed list ({'; '.join(reasons)})",
            repr(reason),
            "use one of the listed reasons, or add it to exclusion_reasons",
        ),
        (
            decision == "include" and bool(reason),
            "reason",
            "no reason for an inclusion",
            repr(reason),
            "clear the reason, or change the decision to exclude",
        ),
    ]
    return [
        Problem(file=file, row=row, field=field, expected=expected, found=found, fix=fix)
        for bad, field, expected, found, fix in checks
        if bad
    ]


def _record_lookup(records: pd.DataFrame) -> tuple[dict, dict, dict]:
    """Each record's status, the record it duplicates and why it is ineligible, by id
    (made once for all the decisions, see :func:`_id_problems`)."""
    status = dict(zip(records["record"], records["status"].astype(str), strict=False))
    kept = dict(zip(records["record"], records["duplicate_of"], strict=False))
    detail = (
        dict(zip(records["record"], records["ineligible_detail"], strict=False))
        if "ineligible_detail" in records
        else {}
    )
    return status, kept, detail


def _id_problems(rid: str, row: int, file: str, lookup: tuple[dict, dict, dict]) -> list[Problem]:
    """A decision that names a record by the project's id (the table of final decisions);
    ``lookup`` is :func:`_record_lookup` of the records."""
    status, kept, detail = lookup
    if rid not in status:
        expected = "the id of a record read from the exports"
        found, fix = (
            repr(rid),
            "use the record ids of the records table (reports/<study>/tables/records.csv), e.g. 'pubmed:12'",
        )
    elif status[rid] == "duplicate":
        expected = "a screened record"
        found, fix = f"{rid!r}, removed as a duplicate of {kept[rid]!r}", f"record the decision under {kept[rid]!r}"
    elif status[rid] == "ineligible":
        value = detail.get(rid)
        expected = "a screened record"
        found = f"{rid!r}, removed before screening ({None if is_missing(value) else value})"
        fix = "remove the row, or correct the id"
    else:
        return []
    return [Problem(file=file, row=row, field="record", expected=expected, found=found, fix=fix)]


def _each_row_problems(
    decisions: pd.DataFrame, records: pd.DataFrame, files: list, *, reasons: Sequence[str], by_record_id: bool
) -> list[Problem]:
    """Problems of each row on its own, and a second decision for a record at one stage."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    lookup = _record_lookup(records) if by_record_id else ({}, {}, {})
    for (_, rec), where in zip(decisions.iterrows(), files, strict=False):
        rid, row = rec["record"], int(rec["row"])
        if by_record_id:
            problems += _id_problems(rid, row, where, lookup)
        problems += _row_problems(rec, row, where, reasons=reasons)
        key = (rid, rec["stage"])
        if key in seen:
            problems.append(
                Problem(
                    file=where,
                    row=row,
                    field="record",
                    expected=f"one {rec['stage']} decision per record",
                    found=f"a second one for {rid!r} (first in row {seen[key]})",
                    fix="remove one of the two rows",
                )
            )
        seen.setdefault(key, row)
    return problems


def _full_text_without_inclusion(decisions: pd.DataFrame, records: pd.DataFrame, where_of: dict) -> list[Problem]:
    ta = decisions[decisions["stage"] == "title-abstract"]
    ta_included, ta_decided = set(ta.loc[ta["decision"] == "include", "record"]), set(ta["record"])
    known = set(records["record"])
    problems = []
    for i, rec in decisions[decisions["stage"] == "full-text"].iterrows():
        if rec["record"] in known and rec["record"] not in ta_included:
            earlier = (
                "excluded on title and abstract" if rec["record"] in ta_decided else "with no title/abstract decision"
            )
            problems.append(
                Problem(
                    file=where_of[i],
                    row=int(rec["row"]),
                    field="stage",
                    expected="full-text decisions only for records included on title and abstract",
                    found=f"one for {rec['record']!r}, {earlier}",
                    fix="correct the title/abstract decision, or remove this row",
                )
            )
    return problems


def _missing_decisions(
    decisions: pd.DataFrame, records: pd.DataFrame, where_of: dict, *, file: str, not_retrieved: str, by_id: bool
) -> list[Problem]:
    """Screened records without a title/abstract decision; inclusions without a full-text one."""
    ta = decisions[decisions["stage"] == "title-abstract"]
    ta_decided, ft_decided = set(ta["record"]), set(decisions.loc[decisions["stage"] == "full-text", "record"])
    screened = records.loc[records["status"].astype(str) == "screened", "record"]
    problems = [
        Problem(
            file=file,
            field="record",
            expected="a title-abstract decision for every screened record",
            found=f"none for {rid!r}",
            fix=f"add a row '{rid},title-abstract,include|exclude,'"
            if by_id
            else "add the record's title-abstract decision",
        )
        for rid in screened
        if rid not in ta_decided
    ]
    for i, rec in ta[ta["decision"] == "include"].iterrows():
        if rec["record"] not in ft_decided:
            problems.append(
                Problem(
                    file=where_of[i],
                    row=int(rec["row"]),
                    field="record",
                    expected="a full-text decision for every record included on title and abstract",
                    found=f"none for {rec['record']!r}",
                    fix=f"add a full-text row (use the reason {not_retrieved!r} if the report was not retrieved)",
                )
            )
    return problems


def check_decisions(
    decisions: pd.DataFrame,
    records: pd.DataFrame,
    *,
    reasons: Sequence[str],
    not_retrieved_reason: str,
    file: str,
    by_record_id: bool = False,
) -> list[Problem]:
    """Problems with final decisions (``record``, ``stage``, ``decision``, ``reason``,
    ``row``, optionally ``file`` per row), all of them: stage and decision from the
    fixed lists; a reason from ``reasons`` for every full-text exclusion, none for an
    inclusion; one decision per record and stage; a title/abstract decision for every
    screened record; full-text decisions exactly for the records included on title and
    abstract. With ``by_record_id`` the records are named by the project's ids, which
    are checked too.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a"], "status": ["screened"], "duplicate_of": [None]})
    >>> dec = pd.DataFrame({"record": ["a"], "stage": ["title-abstract"], "decision": ["include"], "reason": [""],
    ...                     "row": [2]})
    >>> [str(p) for p in check_decisions(dec, recs, reasons=["gone"], not_retrieved_reason="gone", file="s.csv")]
    ["s.csv, row 2, field 'record': expected a full-text decision for every record included on title and abstract, found none for 'a'. Fix: add a full-text row (use the reason 'gone' if the report was not retrieved)."]
    """
    files = decisions["file"].tolist() if "file" in decisions else [file] * len(decisions)
    where_of = dict(zip(decisions.index, files, strict=False))
    problems = _each_row_problems(decisions, records, files, reasons=reasons, by_record_id=by_record_id)
    problems += _full_text_without_inclusion(decisions, records, where_of)
    problems += _missing_decisions(
        decisions, records, where_of, file=file, not_retrieved=not_retrieved_reason, by_id=by_record_id
    )
    return problems


def read_decisions(
    path: str | os.PathLike[str], records: pd.DataFrame, *, reasons: Sequence[str], not_retrieved_reason: str
) -> pd.DataFrame:
    """Read and check a table of final decisions that names records by the project's ids
    (CSV: ``record``, ``stage``, ``decision``, ``reason``; optional ``reviewer``, ``note``),
    as :func:`check_decisions` does. Reviewers' sheets and tools' exports, which name
    records by DOI, PMID or title, are read by :func:`peerstudy.review.screening.screen_records` instead.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``stage``, ``decision``, ``reason``, ``reviewer``, ``note``, ``row``
        (spreadsheet row in the file); ``attrs["file"]`` is the file as shown in messages.

    Examples
    --------
    >>> read_decisions("s.csv", pd.DataFrame(), reasons=["gone"], not_retrieved_reason="lost")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'not_retrieved_reason': expected one of the exclusion reasons ['gone'], found 'lost'. Fix: add it to exclusion_reasons.
    """
    check_not_retrieved_reason(reasons, not_retrieved_reason)
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=["record", "stage", "decision", "reason"], parameter="screening")
    for optional in ("reviewer", "note"):
        if optional not in table:
            table[optional] = ""
    table = table.apply(lambda c: c.str.strip())
    out = table[["record", "stage", "decision", "reason", "reviewer", "note"]].copy()
    out["row"] = out.index.astype("int64")
    problems = check_decisions(
        out, records, reasons=reasons, not_retrieved_reason=not_retrieved_reason, file=shown, by_record_id=True
    )
    if problems:
        raise InputError(problems)
    out = out.reset_index(drop=True)
    out.attrs["file"] = shown
    return out
