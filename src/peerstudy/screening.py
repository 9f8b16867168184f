"""Screening as reviewers do it: each reviewer's decisions per stage, from their own sheets
or from the exports of screening tools (Rayyan, Covidence, ASReview), matched to the
records by DOI, then PMID, then normalised title (never by the project's internal ids);
conflicts and how each was resolved; agreement between reviewers per stage; the final
decisions; and the extraction sheet with the columns a study declares.

The model: **votes** (one row per reviewer, record and stage: ``include``, ``exclude`` or
``maybe``, with the reason and the file and row it came from), **decisions** (one final
decision per record and stage) and **conflicts** (records on which reviewers differed,
with the resolution: a row of the study's resolution sheet, or the tool's final decision).

Formats of ``screening_exports`` entries (``{file, format, stage, ...}``):

- ``sheet``: the reviewers' own CSV: identifier columns (any of ``doi``, ``pmid``,
  ``title``), ``decision``, optional ``reason``, ``note`` and ``reviewer`` (or
  ``reviewer:`` in the entry for a sheet of one reviewer).
- ``rayyan``: Rayyan's ``articles.csv``: ``title``, ``doi``, ``pubmed_id`` and ``notes``, in
  which Rayyan writes ``RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"}`` and
  ``RAYYAN-EXCLUSION-REASONS: ...``.
- ``covidence``: a Covidence reference list export (``Title``, ``DOI``, ``Accession
  Number``, ``Covidence #``, ``Notes``, optional ``Exclusion reason``), one file per list:
  the entry says which decision the list holds (``decision: include|exclude``). These
  are Covidence's final (consensus) decisions.
- ``asreview``: an ASReview LAB export (``title``, ``doi``, ``included`` or
  ``label_included``: 1 relevant, 0 irrelevant, empty not screened); ``reviewer:`` in the entry.

Examples
--------
>>> normalise_pmid("https://pubmed.ncbi.nlm.nih.gov/12345678/"), normalise_pmid("NA")
('12345678', None)
>>> parse_rayyan_notes('RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population')
({'Ana': 'include', 'Ben': 'exclude'}, 'wrong population')
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pandas as pd

from peerstudy.agreement import cohen_kappa, percent_agreement
from peerstudy.bibliography import normalise_doi
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.readers import read_csv_table
from peerstudy.review import normalise_title

__all__ = [
    "COLUMN_TYPES",
    "DECISIONS",
    "SCREENING_FORMATS",
    "STAGES",
    "Screening",
    "check_decisions",
    "match_records",
    "normalise_pmid",
    "normalise_vote",
    "parse_rayyan_notes",
    "read_decisions",
    "read_extraction",
    "read_screening_export",
    "read_screening_exports",
    "resolve_decisions",
    "screen_records",
    "tabulate_agreement",
    "tabulate_screening",
]

#: Screening stages, in order.
STAGES = ("title-abstract", "full-text")
#: Final screening decisions.
DECISIONS = ("include", "exclude")
#: Formats of screening exports.
SCREENING_FORMATS = ("sheet", "rayyan", "covidence", "asreview")
#: Types an extraction column may be declared with (or a list of its categories).
COLUMN_TYPES = ("text", "integer", "flag")

_MISSING = {"", "na", "n/a", "null", "none", "nan", "-"}
_VOTES = {
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
_FLAGS = {"yes": "yes", "y": "yes", "no": "", "n": "", "": ""}
_RAYYAN_INCLUSION = re.compile(r"RAYYAN-INCLUSION:\s*\{(?P<body>[^}]*)\}")
_RAYYAN_PAIR = re.compile(r'"(?P<who>[^"]+)"\s*=>\s*"(?P<what>[^"]+)"')
_RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*(?P<reasons>[^|]*)")
_VOTE_COLUMNS = ["record", "stage", "reviewer", "decision", "reason", "note", "final", "matched_by", "file", "row"]
# column names of each tool's export: field -> the names it may carry, first found wins
_TOOL_COLUMNS = {
    "sheet": {"doi": ["doi", "DOI"], "pmid": ["pmid", "PMID"], "title": ["title", "Title"]},
    "rayyan": {"doi": ["doi"], "pmid": ["pubmed_id", "pmid"], "title": ["title"]},
    "covidence": {"doi": ["DOI"], "pmid": ["Accession Number"], "title": ["Title"]},
    "asreview": {"doi": ["doi", "DOI"], "pmid": ["pmid", "pubmed_id", "PMID"], "title": ["title", "primary_title"]},
}


# ------------------------------------------------------------------------ identifiers
def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip().casefold() in _MISSING


def normalise_pmid(value: Any) -> str | None:
    """A PubMed id as digits, from ``12345``, ``PMID: 12345`` or a PubMed URL; ``None``
    for a missing value (empty, ``NA``, ``N/A``, ``NULL``) or anything else.

    Examples
    --------
    >>> normalise_pmid("PMID: 99000001"), normalise_pmid(" 99000002 "), normalise_pmid("N/A")
    ('99000001', '99000002', None)
    """
    if _missing(value):
        return None
    text = str(value).strip()
    match = re.fullmatch(
        r"(?:pmid:?\s*|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)?"
        r"(\d{1,9})/?(?:\.0)?",
        text,
        flags=re.IGNORECASE,
    )
    return match.group(1) if match else None


def normalise_vote(value: Any) -> str | None:
    """A reviewer's decision as ``include``, ``exclude`` or ``maybe`` (Rayyan's *Included*,
    ASReview's 1 and 0 too); ``None`` if it is none of them.

    Examples
    --------
    >>> normalise_vote("Included"), normalise_vote("0"), normalise_vote(" Maybe "), normalise_vote("later")
    ('include', 'exclude', 'maybe', None)
    """
    return None if value is None else _VOTES.get(str(value).strip().casefold())


def parse_rayyan_notes(notes: str) -> tuple[dict[str, str], str]:
    """Each reviewer's decision and the exclusion reasons from the ``notes`` cell of a
    Rayyan export (reviewers in the order Rayyan lists them; reasons joined by ``; ``).

    Examples
    --------
    >>> parse_rayyan_notes('RAYYAN-INCLUSION: {"Ana"=>"Maybe"}')
    ({'Ana': 'maybe'}, '')
    >>> parse_rayyan_notes("no decision yet")
    ({}, '')
    """
    match = _RAYYAN_INCLUSION.search(notes or "")
    votes = {}
    if match:
        for pair in _RAYYAN_PAIR.finditer(match.group("body")):
            votes[pair.group("who").strip()] = normalise_vote(pair.group("what")) or pair.group("what").strip()
    reasons = _RAYYAN_REASONS.search(notes or "")
    found = [r.strip() for r in reasons.group("reasons").split(",") if r.strip()] if reasons else []
    return votes, "; ".join(found)


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
        dup = records["duplicate_of"] if "duplicate_of" in records else pd.Series([None] * len(records))
        details = records["ineligible_detail"] if "ineligible_detail" in records else pd.Series([None] * len(records))
        for rec, kept, doi, pmid, title, status, detail in zip(
            records["record"],
            dup,
            records.get("doi", [None] * len(records)),
            records.get("pmid", [None] * len(records)),
            records["title"],
            records["status"].astype(str),
            details,
        ):
            kept = str(rec) if _missing(kept) else str(kept)
            index.status[str(rec)] = status
            index.detail[str(rec)] = None if _missing(detail) else detail
            for table, key in (
                (index.doi, normalise_doi(doi)),
                (index.pmid, normalise_pmid(pmid)),
                (index.title, normalise_title(title)),
            ):
                if key:
                    table.setdefault(key, set()).add(kept)
        return index

    def find(self, doi: Any, pmid: Any, title: Any) -> tuple[str | None, str]:
        """The record matched and by which key, or ``None`` and why not."""
        keys = (
            ("DOI", self.doi, normalise_doi(doi)),
            ("PMID", self.pmid, normalise_pmid(pmid)),
            ("title", self.title, normalise_title(title)),
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
        shown = ", ".join(
            f"{k} {str(rec.get(k)).strip()!r}" for k in ("doi", "pmid", "title") if not _missing(rec.get(k))
        )
        if match is None:
            problems.append(
                Problem(
                    file=file,
                    row=int(row),
                    field="doi, pmid, title",
                    expected="a record read from the exports (matched by DOI, then PMID, then title)",
                    found=f"{shown or 'no identifier'} ({by})",
                    fix="correct the identifier, or add the export that holds the record",
                )
            )
        elif index.status.get(match) == "ineligible":
            problems.append(
                Problem(
                    file=file,
                    row=int(row),
                    field="doi, pmid, title",
                    expected="a screened record",
                    found=f"{match!r}, removed before screening ({index.detail.get(match)})",
                    fix="remove the row, or correct the identifier",
                )
            )
            match = None
        found.append(match)
        how.append(by if match else "")
    return found, how, problems


# ------------------------------------------------------------------------ one export
def _entry_problems(entry: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    fmt = entry.get("format", "sheet")
    if not entry.get("file"):
        problems.append(Problem(field=f"{where}.file", expected="the export's file", found=repr(entry.get("file"))))
    if fmt not in SCREENING_FORMATS:
        problems.append(
            Problem(
                field=f"{where}.format",
                expected=f"one of {', '.join(SCREENING_FORMATS)}",
                found=repr(fmt),
                fix="name the tool that wrote the export",
            )
        )
    if entry.get("stage") not in STAGES:
        problems.append(
            Problem(
                field=f"{where}.stage",
                expected=" or ".join(STAGES),
                found=repr(entry.get("stage")),
                fix="say which screening stage the export holds",
            )
        )
    if fmt == "asreview" and not entry.get("reviewer"):
        problems.append(
            Problem(
                field=f"{where}.reviewer",
                expected="the reviewer who screened in ASReview",
                found="none",
                fix="add reviewer: <name> to the entry",
            )
        )
    if fmt == "covidence" and entry.get("decision") not in DECISIONS:
        problems.append(
            Problem(
                field=f"{where}.decision",
                expected="include or exclude (the Covidence list exported)",
                found=repr(entry.get("decision")),
                fix="add decision: include|exclude to the entry",
            )
        )
    return problems


def _identifiers(table: pd.DataFrame, fmt: str) -> pd.DataFrame:
    out = pd.DataFrame(index=table.index)
    for field, names in _TOOL_COLUMNS[fmt].items():
        column = next((n for n in names if n in table), None)
        out[field] = table[column] if column else ""
    return out


def _rows_of_tool(table: pd.DataFrame, entry: Mapping[str, Any], shown: str) -> tuple[list[dict], list[Problem]]:
    """One dict per vote in the file: row, reviewer, decision, reason, note, final."""
    fmt = entry.get("format", "sheet")
    votes, problems = [], []
    for row, rec in table.iterrows():
        row = int(row)
        if fmt == "rayyan":
            decided, reason = parse_rayyan_notes(rec.get("notes", ""))
            for who, what in decided.items():
                votes.append(
                    {
                        "row": row,
                        "reviewer": who,
                        "decision": what,
                        "reason": reason if what == "exclude" else "",
                        "note": "",
                        "final": False,
                    }
                )
        elif fmt == "covidence":
            reason = str(rec.get("Exclusion reason", rec.get("Exclusion Reason", ""))).strip()
            votes.append(
                {
                    "row": row,
                    "reviewer": "Covidence (final decision)",
                    "decision": entry["decision"],
                    "reason": reason,
                    "note": str(rec.get("Notes", "")).strip(),
                    "final": True,
                }
            )
        elif fmt == "asreview":
            label = str(rec.get("included", rec.get("label_included", ""))).strip()
            if label in ("", "-1"):
                continue
            votes.append(
                {
                    "row": row,
                    "reviewer": str(entry["reviewer"]),
                    "decision": normalise_vote(label) or label,
                    "reason": "",
                    "note": str(rec.get("asreview_note", rec.get("notes", ""))).strip(),
                    "final": False,
                }
            )
        else:
            who = str(rec.get("reviewer", "")).strip() or str(entry.get("reviewer") or "")
            if not who:
                problems.append(
                    Problem(
                        file=shown,
                        row=row,
                        field="reviewer",
                        expected="the reviewer's name",
                        found="an empty cell",
                        fix="fill in the reviewer, or add reviewer: to the entry",
                    )
                )
            raw = str(rec.get("decision", "")).strip()
            votes.append(
                {
                    "row": row,
                    "reviewer": who,
                    "decision": normalise_vote(raw) or raw,
                    "reason": str(rec.get("reason", "")).strip(),
                    "note": str(rec.get("note", "")).strip(),
                    "final": False,
                }
            )
    for vote in votes:
        if vote["decision"] not in _VOTES.values():
            problems.append(
                Problem(
                    file=shown,
                    row=vote["row"],
                    field="decision",
                    expected="include, exclude or maybe",
                    found=repr(vote["decision"]),
                    fix="correct the decision",
                )
            )
    return votes, problems


def read_screening_export(entry: Mapping[str, Any], records: pd.DataFrame) -> pd.DataFrame:
    """Read one screening export (see the module's formats) into votes matched to the
    records; every problem of the file (rows that match no record among them) reported
    together.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``stage``, ``reviewer``, ``decision``, ``reason``, ``note``,
        ``final`` (the tool's final decision), ``matched_by``, ``file``, ``row``.
    """
    problems = _entry_problems(entry, "screening_exports")
    if problems:
        raise ConfigError(problems)
    fmt = entry.get("format", "sheet")
    shown = relative_to_root(resolve_input(entry["file"]))
    required = {"sheet": ["decision"], "rayyan": ["title", "notes"], "covidence": ["Title"], "asreview": []}[fmt]
    table = read_csv_table(entry["file"], required=required, parameter="screening_exports")
    problems = []
    ids = _identifiers(table, fmt)
    if fmt == "sheet" and not any(c in table for c in ("doi", "pmid", "title")):
        problems.append(
            Problem(
                file=shown,
                row=1,
                field="doi, pmid, title",
                expected="at least one identifier column",
                found=f"columns {', '.join(map(repr, table.columns))}",
                fix="add the records' doi, pmid or title (the project's record ids are not used)",
            )
        )
    if fmt == "asreview" and not {"included", "label_included"} & set(table.columns):
        problems.append(
            Problem(
                file=shown,
                row=1,
                field="included",
                expected="ASReview's column 'included' or 'label_included'",
                found=f"columns {', '.join(map(repr, table.columns))}",
                fix="export the project from ASReview LAB with its labels",
            )
        )
    if problems:
        raise InputError(problems)
    votes, problems = _rows_of_tool(table, entry, shown)
    rows = sorted({v["row"] for v in votes})
    matched, how, unmatched = match_records(ids.loc[rows], records, file=shown)
    by_row = dict(zip(rows, zip(matched, how)))
    problems += unmatched
    if problems:
        raise InputError(problems)
    out = pd.DataFrame(
        [
            {
                **v,
                "record": by_row[v["row"]][0],
                "matched_by": by_row[v["row"]][1],
                "stage": entry["stage"],
                "file": shown,
            }
            for v in votes
        ],
        columns=_VOTE_COLUMNS,
    )
    return out


def read_screening_exports(exports: Sequence[Mapping[str, Any]], records: pd.DataFrame) -> pd.DataFrame:
    """Read every screening export into one table of votes; the problems of all files
    are reported together (see :func:`read_screening_export`)."""
    frames, problems = [], []
    for entry in exports:
        try:
            frames.append(read_screening_export(entry, records))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if not frames:
        return pd.DataFrame(columns=_VOTE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------ final decisions
def _read_resolutions(path: str | os.PathLike[str] | None, records: pd.DataFrame) -> tuple[dict, list[Problem]]:
    """The resolution sheet (identifiers, ``stage``, ``decision``, ``reason``, ``note``) by
    (record, stage)."""
    if not path:
        return {}, []
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=["stage", "decision"], parameter="resolutions").apply(lambda c: c.str.strip())
    matched, _, problems = match_records(_identifiers(table, "sheet"), records, file=shown)
    found: dict[tuple[str, str], dict] = {}
    for (row, rec), rid in zip(table.iterrows(), matched):
        decision = normalise_vote(rec["decision"])
        if rec["stage"] not in STAGES:
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field="stage",
                    expected=" or ".join(STAGES),
                    found=repr(rec["stage"]),
                    fix="correct the stage",
                )
            )
        if decision not in DECISIONS:
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field="decision",
                    expected="include or exclude",
                    found=repr(rec["decision"]),
                    fix="write the decision the conflict was resolved to",
                )
            )
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
            "decision": decision,
            "reason": rec.get("reason", ""),
            "note": rec.get("note", ""),
            "file": shown,
            "row": int(row),
        }
    return found, problems


def _describe_votes(part: pd.DataFrame) -> str:
    return "; ".join(f"{v.reviewer}: {v.decision}" + (f" ({v.reason})" if v.reason else "") for v in part.itertuples())


def _is_conflict(reviewers: pd.DataFrame, stage: str) -> bool:
    decisions = set(reviewers["decision"])
    if len(decisions) > 1 or "maybe" in decisions:
        return True
    return stage == "full-text" and decisions == {"exclude"} and reviewers["reason"].nunique() > 1


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
    keys = list(dict.fromkeys(zip(votes["record"], votes["stage"])))
    keys += [k for k in resolved if k not in set(keys)]
    for rid, stage in keys:
        part = votes[(votes["record"] == rid) & (votes["stage"] == stage)]
        reviewers, final = part[~part["final"].astype(bool)], part[part["final"].astype(bool)]
        conflict = _is_conflict(reviewers, stage) or (
            len(final) > 0 and len(reviewers) > 0 and set(reviewers["decision"]) != set(final["decision"])
        )
        if (rid, stage) in resolved:
            res = resolved[(rid, stage)]
            chosen = {
                **res,
                "reviewer": "resolution",
                "resolved_by": f"resolution sheet ({res['file']}, row {res['row']})",
            }
        elif len(final):
            first = final.iloc[0]
            chosen = {
                "decision": first["decision"],
                "reason": first["reason"],
                "note": first["note"],
                "reviewer": first["reviewer"],
                "file": first["file"],
                "row": int(first["row"]),
                "resolved_by": "the tool's final decision",
            }
        elif conflict:
            first = part.iloc[0]
            problems.append(
                Problem(
                    file=first["file"],
                    row=int(first["row"]),
                    field="decision",
                    expected="reviewers who agree, or a resolution of their conflict",
                    found=f"{rid!r} ({stage}): {_describe_votes(reviewers)}",
                    fix="add a row for the record to the resolution sheet (parameter resolutions), "
                    "with the decision agreed",
                )
            )
            continue
        else:
            first = reviewers.iloc[0]
            chosen = {
                "decision": first["decision"],
                "reason": first["reason"],
                "note": "; ".join(n for n in reviewers["note"] if n),
                "reviewer": ", ".join(reviewers["reviewer"]),
                "file": first["file"],
                "row": int(first["row"]),
                "resolved_by": "agreement" if len(reviewers) > 1 else "one reviewer",
            }
        decisions.append({"record": rid, "stage": stage, **chosen})
        if conflict or (rid, stage) in resolved:  # a resolution that overrides agreeing reviewers is listed too
            conflicts.append(
                {
                    "record": rid,
                    "stage": stage,
                    "votes": _describe_votes(reviewers),
                    "decision": chosen["decision"],
                    "reason": chosen["reason"],
                    "resolved_by": chosen["resolved_by"],
                    "note": chosen["note"],
                }
            )
    if problems:
        raise InputError(problems)
    columns = ["record", "stage", "decision", "reason", "reviewer", "note", "resolved_by", "file", "row"]
    out = pd.DataFrame(decisions, columns=columns)
    out["_stage"] = out["stage"].map({s: i for i, s in enumerate(STAGES)})
    out = out.sort_values("_stage", kind="stable").drop(columns="_stage").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    return out, pd.DataFrame(
        conflicts, columns=["record", "stage", "votes", "decision", "reason", "resolved_by", "note"]
    )


def _row_problems(rec: Mapping[str, Any], row: int, file: str, *, reasons: Sequence[str]) -> list[Problem]:
    problems = []
    stage, decision, reason = rec["stage"], rec["decision"], rec["reason"]
    if stage not in STAGES:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="stage",
                expected=" or ".join(STAGES),
                found=repr(stage),
                fix="correct the stage",
            )
        )
    if decision not in DECISIONS:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="decision",
                expected=" or ".join(DECISIONS),
                found=repr(decision),
                fix="correct the decision",
            )
        )
    if stage == "full-text" and decision == "exclude" and reason not in reasons:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="reason",
                expected=f"a full-text exclusion reason from the fixed list ({'; '.join(reasons)})",
                found=repr(reason),
                fix="use one of the listed reasons, or add it to exclusion_reasons",
            )
        )
    if decision == "include" and reason:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="reason",
                expected="no reason for an inclusion",
                found=repr(reason),
                fix="clear the reason, or change the decision to exclude",
            )
        )
    return problems


def _id_problems(rid: str, row: int, file: str, records: pd.DataFrame) -> list[Problem]:
    """A decision that names a record by the project's id (the table of final decisions)."""
    status = dict(zip(records["record"], records["status"].astype(str)))
    kept = dict(zip(records["record"], records["duplicate_of"]))
    detail = dict(zip(records["record"], records["ineligible_detail"])) if "ineligible_detail" in records else {}
    if rid not in status:
        return [
            Problem(
                file=file,
                row=row,
                field="record",
                expected="the id of a record read from the exports",
                found=repr(rid),
                fix="use the record ids of the records table (reports/<study>/tables/records.csv), e.g. 'pubmed:12'",
            )
        ]
    if status[rid] == "duplicate":
        return [
            Problem(
                file=file,
                row=row,
                field="record",
                expected="a screened record",
                found=f"{rid!r}, removed as a duplicate of {kept[rid]!r}",
                fix=f"record the decision under {kept[rid]!r}",
            )
        ]
    if status[rid] == "ineligible":
        value = detail.get(rid)
        return [
            Problem(
                file=file,
                row=row,
                field="record",
                expected="a screened record",
                found=f"{rid!r}, removed before screening ({None if _missing(value) else value})",
                fix="remove the row, or correct the id",
            )
        ]
    return []


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
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    status = dict(zip(records["record"], records["status"].astype(str)))
    for (_, rec), where in zip(decisions.iterrows(), files):
        rid, row = rec["record"], int(rec["row"])
        if by_record_id:
            problems += _id_problems(rid, row, where, records)
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
    where_of = dict(zip(decisions.index, files))
    ta = decisions[decisions["stage"] == "title-abstract"]
    ft = decisions[decisions["stage"] == "full-text"]
    ta_included = set(ta.loc[ta["decision"] == "include", "record"])
    ta_decided = set(ta["record"])
    for i, rec in ft.iterrows():
        if rec["record"] in status and rec["record"] not in ta_included:
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
    for rid in [r for r in records.loc[records["status"].astype(str) == "screened", "record"] if r not in ta_decided]:
        problems.append(
            Problem(
                file=file,
                field="record",
                expected="a title-abstract decision for every screened record",
                found=f"none for {rid!r}",
                fix=f"add a row '{rid},title-abstract,include|exclude,'"
                if by_record_id
                else "add the record's title-abstract decision",
            )
        )
    ft_decided = set(ft["record"])
    for i, rec in ta[ta["decision"] == "include"].iterrows():
        if rec["record"] not in ft_decided:
            problems.append(
                Problem(
                    file=where_of[i],
                    row=int(rec["row"]),
                    field="record",
                    expected="a full-text decision for every record included on title and abstract",
                    found=f"none for {rec['record']!r}",
                    fix=f"add a full-text row (use the reason {not_retrieved_reason!r} if the report was not retrieved)",
                )
            )
    return problems


def read_decisions(
    path: str | os.PathLike[str], records: pd.DataFrame, *, reasons: Sequence[str], not_retrieved_reason: str
) -> pd.DataFrame:
    """Read and check a table of final decisions that names records by the project's ids
    (CSV: ``record``, ``stage``, ``decision``, ``reason``; optional ``reviewer``, ``note``),
    as :func:`check_decisions` does. Reviewers' sheets and tools' exports, which name
    records by DOI, PMID or title, are read by :func:`screen_records` instead.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``stage``, ``decision``, ``reason``, ``reviewer``, ``note``, ``row``
        (spreadsheet row in the file); ``attrs["file"]`` is the file as shown in messages.
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
    if not_retrieved_reason not in reasons:
        raise ConfigError(
            Problem(
                field="not_retrieved_reason",
                expected=f"one of the exclusion reasons {list(reasons)}",
                found=repr(not_retrieved_reason),
                fix="add it to exclusion_reasons",
            )
        )
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
        votes = decisions.assign(final=False, matched_by="record id", file=decisions.attrs["file"])[_VOTE_COLUMNS]
        return Screening(
            votes,
            decisions,
            pd.DataFrame(columns=["record", "stage", "votes", "decision", "reason", "resolved_by", "note"]),
        )
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
    decided: percent agreement and Cohen's kappa (from :mod:`peerstudy.agreement`) on
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
    people = votes[~votes["final"].astype(bool)]
    for stage in STAGES:
        part = people[people["stage"] == stage]
        table = part.pivot_table(index="record", columns="reviewer", values="decision", aggfunc="first")
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


# ------------------------------------------------------------------------ extraction
def _column_problems(columns: Mapping[str, Any]) -> list[Problem]:
    problems = []
    if not isinstance(columns, Mapping):
        return [
            Problem(
                field="extraction_columns",
                expected="the extraction sheet's columns, each with its type "
                f"({', '.join(COLUMN_TYPES)} or a list of categories)",
                found=repr(columns),
                fix="e.g. extraction_columns: {design: text, sample_size: integer}",
            )
        ]
    for name, kind in columns.items():
        ok = kind in COLUMN_TYPES or (isinstance(kind, list) and kind and all(isinstance(c, str) for c in kind))
        if not ok:
            problems.append(
                Problem(
                    field=f"extraction_columns.{name}",
                    expected=f"one of {', '.join(COLUMN_TYPES)}, or a list of categories",
                    found=repr(kind),
                    fix="correct the column's type",
                )
            )
    return problems


def _cell_problem(value: str, kind: Any, name: str, file: str, row: int) -> Problem | None:
    if isinstance(kind, list) and value not in kind:
        return Problem(
            file=file,
            row=row,
            field=name,
            expected=f"one of {', '.join(kind)}",
            found=repr(value),
            fix="correct the category, or add it to the column's categories in extraction_columns",
        )
    if kind == "integer" and value.replace(",", "") and not value.replace(",", "").isdigit():
        return Problem(
            file=file,
            row=row,
            field=name,
            expected="a whole number or an empty cell",
            found=repr(value),
            fix="write the number only",
        )
    if kind == "flag" and value.casefold() not in _FLAGS:
        return Problem(
            file=file,
            row=row,
            field=name,
            expected="yes, no or an empty cell",
            found=repr(value),
            fix="write yes or leave the cell empty",
        )
    return None


def _typed(table: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    out = table.copy()
    for name, kind in columns.items():
        if kind == "integer":
            out[name] = pd.array(
                [int(v.replace(",", "")) if v.replace(",", "").isdigit() else None for v in out[name]], dtype="Int64"
            )
        elif kind == "flag":
            out[name] = [_FLAGS.get(v.casefold(), v) for v in out[name]]
    return out


def read_extraction(
    path: str | os.PathLike[str],
    decisions: pd.DataFrame,
    *,
    columns: Mapping[str, Any],
    records: pd.DataFrame | None = None,
    decisions_file: str | None = None,
) -> pd.DataFrame:
    """Read and check the extraction sheet: one row per study included at full text,
    with the columns the study declares.

    The sheet names each study by DOI, PMID or title (matched as screening decisions
    are), or by the project's ``record`` id. ``columns`` maps each declared column to its
    type: ``text``, ``integer`` (a whole number or empty), ``flag`` (yes, no or empty;
    read as ``yes`` or empty) or a list of categories. Every declared column must be
    present; no column is required by name. Every included study has exactly one row (a
    missing one is reported at the row of the decision that includes it).

    Returns
    -------
    pandas.DataFrame
        ``record``, the sheet's columns (integers as nullable integers, flags as ``yes``
        or empty), ``row`` the spreadsheet row.

    Examples
    --------
    >>> read_extraction("x.csv", pd.DataFrame(), columns={"design": "free"})
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'extraction_columns.design': expected one of text, integer, flag, or a list of categories, found 'free'. Fix: correct the column's type.
    """
    problems = _column_problems(columns)
    if problems:
        raise ConfigError(problems)
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=list(columns), parameter="extraction_sheet").apply(lambda c: c.str.strip())
    problems = []
    if "record" not in table:
        if records is None or not {"doi", "pmid", "title"} & set(table.columns):
            raise InputError(
                Problem(
                    file=shown,
                    row=1,
                    field="doi, pmid, title",
                    expected="a column that names each study: doi, pmid or title",
                    found=f"columns {', '.join(map(repr, table.columns))}",
                    fix="add the studies' doi, pmid or title",
                )
            )
        matched, _, problems = match_records(_identifiers(table, "sheet"), records, file=shown)
        table.insert(0, "record", [m or "" for m in matched])
    full = decisions[decisions["stage"] == "full-text"]
    included = full.loc[full["decision"] == "include"]
    files = included["file"] if "file" in included else [None] * len(included)
    included_rows = {rid: (row, where) for rid, row, where in zip(included["record"], included["row"], files)}
    decided = set(decisions["record"])
    seen: dict[str, int] = {}
    for row, rec in table.iterrows():
        rid = rec["record"]
        if rid and rid not in included_rows:
            found = (
                f"{rid!r}, which was not included at full text"
                if rid in decided
                else f"{rid!r}, which has no screening decision"
            )
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field="record",
                    expected="the id of a study included at full text",
                    found=found,
                    fix="correct the id, or the screening decision",
                )
            )
        if rid and rid in seen:
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field="record",
                    expected="one extraction row per study",
                    found=f"a second row for {rid!r} (first in row {seen[rid]})",
                    fix="merge the two rows",
                )
            )
        seen.setdefault(rid, int(row))
        problems += [
            p for name, kind in columns.items() if (p := _cell_problem(rec[name], kind, name, shown, int(row)))
        ]
    decisions_shown = decisions_file or decisions.attrs.get("file", "the screening decisions")
    for rid, (row, where) in included_rows.items():
        if rid not in seen:
            problems.append(
                Problem(
                    file=where or decisions_shown,
                    row=int(row),
                    field="record",
                    expected=f"an extraction row in {shown} for every included study",
                    found=f"none for {rid!r}",
                    fix=f"add a row for {rid!r} to the extraction sheet",
                )
            )
    if problems:
        raise InputError(problems)
    out = _typed(table, columns)
    out["row"] = out.index.astype("int64")
    return out.reset_index(drop=True)
