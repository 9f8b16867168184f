"""Reading screening decisions as reviewers and tools write them: the reviewers' own
sheets and the exports of Rayyan, Covidence and ASReview, each row turned into votes
and matched to the records (:func:`peerstudy.review.screen_match.match_records`).

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

May import: :mod:`peerstudy.review.screen_match`, :mod:`peerstudy.io.readers`, :mod:`peerstudy.config`,
:mod:`peerstudy.errors`.

Examples
--------
>>> parse_rayyan_notes('RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population')
({'Ana': 'include', 'Ben': 'exclude'}, 'wrong population')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.review.screen_match import DECISIONS, STAGES, VOTES, match_records, normalise_vote, select_identifiers

__all__ = ["SCREENING_FORMATS", "VOTE_COLUMNS", "parse_rayyan_notes", "read_screening_export", "read_screening_exports"]

#: Formats of screening exports.
SCREENING_FORMATS = ("sheet", "rayyan", "covidence", "asreview")
#: Columns of the votes table.
VOTE_COLUMNS = ["record", "stage", "reviewer", "decision", "reason", "note", "final", "matched_by", "file", "row"]
_RAYYAN_INCLUSION = re.compile(r"RAYYAN-INCLUSION:\s*\{(?P<body>[^}]*)\}")
_RAYYAN_PAIR = re.compile(r'"(?P<who>[^"]+)"\s*=>\s*"(?P<what>[^"]+)"')
_RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*(?P<reasons>[^|]*)")
_REQUIRED = {"sheet": ["decision"], "rayyan": ["title", "notes"], "covidence": ["Title"], "asreview": []}


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


# ------------------------------------------------------------------------ the entry
def _entry_problems(entry: Mapping[str, Any], where: str) -> list[Problem]:
    """Problems of one ``screening_exports`` entry: file, format, stage, and what its format needs."""
    fmt = entry.get("format", "sheet")
    checks = [
        (not entry.get("file"), "file", "the export's file", repr(entry.get("file")), ""),
        (
            fmt not in SCREENING_FORMATS,
            "format",
            f"one of {', '.join(SCREENING_FORMATS)}",
            repr(fmt),
            "name the tool that wrote the export",
        ),
        (
            entry.get("stage") not in STAGES,
            "stage",
            " or ".join(STAGES),
            repr(entry.get("stage")),
            "say which screening stage the export holds",
        ),
        (
            fmt == "asreview" and not entry.get("reviewer"),
            "reviewer",
            "the reviewer who screened in ASReview",
            "none",
            "add reviewer: <name> to the entry",
        ),
        (
            fmt == "covidence" and entry.get("decision") not in DECISIONS,
            "decision",
            "include or exclude (the Covidence list exported)",
            repr(entry.get("decision")),
            "add decision: include|exclude to the entry",
        ),
    ]
    return [
        Problem(field=f"{where}.{field}", expected=expected, found=found, fix=fix)
        for bad, field, expected, found, fix in checks
        if bad
    ]


def _header_problems(table: pd.DataFrame, fmt: str, shown: str) -> list[Problem]:
    """Columns a format needs beyond its required ones: an identifier (sheet), the labels (ASReview)."""
    columns = f"columns {', '.join(map(repr, table.columns))}"
    if fmt == "sheet" and not any(c in table for c in ("doi", "pmid", "title")):
        return [
            Problem(
                file=shown,
                row=1,
                field="doi, pmid, title",
                expected="at least one identifier column",
                found=columns,
                fix="add the records' doi, pmid or title (the project's record ids are not used)",
            )
        ]
    if fmt == "asreview" and not {"included", "label_included"} & set(table.columns):
        return [
            Problem(
                file=shown,
                row=1,
                field="included",
                expected="ASReview's column 'included' or 'label_included'",
                found=columns,
                fix="export the project from ASReview LAB with its labels",
            )
        ]
    return []


# ------------------------------------------------------------------------ votes of one row, per tool
def _vote(row: int, reviewer: str, decision: str, reason: str = "", note: str = "", final: bool = False) -> dict:
    return {"row": row, "reviewer": reviewer, "decision": decision, "reason": reason, "note": note, "final": final}


def _rayyan_votes(rec: pd.Series, row: int, entry: Mapping[str, Any]) -> list[dict]:
    decided, reason = parse_rayyan_notes(rec.get("notes", ""))
    return [_vote(row, who, what, reason if what == "exclude" else "") for who, what in decided.items()]


def _covidence_votes(rec: pd.Series, row: int, entry: Mapping[str, Any]) -> list[dict]:
    reason = str(rec.get("Exclusion reason", rec.get("Exclusion Reason", ""))).strip()
    note = str(rec.get("Notes", "")).strip()
    return [_vote(row, "Covidence (final decision)", entry["decision"], reason, note, final=True)]


def _asreview_votes(rec: pd.Series, row: int, entry: Mapping[str, Any]) -> list[dict]:
    label = str(rec.get("included", rec.get("label_included", ""))).strip()
    if label in ("", "-1"):
        return []
    note = str(rec.get("asreview_note", rec.get("notes", ""))).strip()
    return [_vote(row, str(entry["reviewer"]), normalise_vote(label) or label, "", note)]


def _sheet_votes(rec: pd.Series, row: int, entry: Mapping[str, Any]) -> list[dict]:
    who = str(rec.get("reviewer", "")).strip() or str(entry.get("reviewer") or "")
    raw = str(rec.get("decision", "")).strip()
    reason, note = str(rec.get("reason", "")).strip(), str(rec.get("note", "")).strip()
    return [_vote(row, who, normalise_vote(raw) or raw, reason, note)]


_VOTES_OF = {"rayyan": _rayyan_votes, "covidence": _covidence_votes, "asreview": _asreview_votes, "sheet": _sheet_votes}


def _vote_problems(votes: list[dict], shown: str) -> list[Problem]:
    """A vote without a reviewer, or with a decision that is no vote."""
    problems = [
        Problem(
            file=shown,
            row=vote["row"],
            field="reviewer",
            expected="the reviewer's name",
            found="an empty cell",
            fix="fill in the reviewer, or add reviewer: to the entry",
        )
        for vote in votes
        if not vote["reviewer"]
    ]
    return problems + [
        Problem(
            file=shown,
            row=vote["row"],
            field="decision",
            expected="include, exclude or maybe",
            found=repr(vote["decision"]),
            fix="correct the decision",
        )
        for vote in votes
        if vote["decision"] not in VOTES
    ]


def _rows_of_tool(table: pd.DataFrame, entry: Mapping[str, Any], shown: str) -> tuple[list[dict], list[Problem]]:
    """One dict per vote in the file: row, reviewer, decision, reason, note, final."""
    votes_of = _VOTES_OF[entry.get("format", "sheet")]
    # pandas' stubs type an index label as Hashable; here it is the spreadsheet row number
    votes = [vote for row, rec in table.iterrows() for vote in votes_of(rec, int(cast(int, row)), entry)]
    return votes, _vote_problems(votes, shown)


# ------------------------------------------------------------------------ files
def read_screening_export(entry: Mapping[str, Any], records: pd.DataFrame) -> pd.DataFrame:
    """Read one screening export (see the module's formats) into votes matched to the
    records; every problem of the file (rows that match no record among them) reported
    together.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``stage``, ``reviewer``, ``decision``, ``reason``, ``note``,
        ``final`` (the tool's final decision), ``matched_by``, ``file``, ``row``.

    Examples
    --------
    >>> read_screening_export({"file": "s.csv", "format": "endnote", "stage": "title-abstract"}, pd.DataFrame())
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'screening_exports.format': expected one of sheet, rayyan, covidence, asreview, found 'endnote'. Fix: name the tool that wrote the export.
    """
    problems = _entry_problems(entry, "screening_exports")
    if problems:
        raise ConfigError(problems)
    fmt = entry.get("format", "sheet")
    shown = relative_to_root(resolve_input(entry["file"]))
    table = read_csv_table(entry["file"], required=_REQUIRED[fmt], parameter="screening_exports")
    problems = _header_problems(table, fmt, shown)
    if problems:
        raise InputError(problems)
    votes, problems = _rows_of_tool(table, entry, shown)
    rows = sorted({v["row"] for v in votes})
    matched, how, unmatched = match_records(select_identifiers(table, fmt).loc[rows], records, file=shown)
    by_row = dict(zip(rows, zip(matched, how, strict=False), strict=False))
    problems += unmatched
    if problems:
        raise InputError(problems)
    filled = [
        {**v, "record": by_row[v["row"]][0], "matched_by": by_row[v["row"]][1], "stage": entry["stage"], "file": shown}
        for v in votes
    ]
    return pd.DataFrame(filled, columns=VOTE_COLUMNS)


def read_screening_exports(exports: Sequence[Mapping[str, Any]], records: pd.DataFrame) -> pd.DataFrame:
    """Read every screening export into one table of votes; the problems of all files
    are reported together (see :func:`read_screening_export`).

    Examples
    --------
    >>> read_screening_exports([], pd.DataFrame()).columns.tolist()[:4]
    ['record', 'stage', 'reviewer', 'decision']
    """
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    for entry in exports:
        try:
            frames.append(read_screening_export(entry, records))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if not frames:
        return pd.DataFrame(columns=VOTE_COLUMNS)
    return pd.concat(frames, ignore_index=True)
