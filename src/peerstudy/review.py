"""A literature review from records to results: eligibility, screening, PRISMA 2020
flow, tables of included studies and two figures.

The model is small: **records** (one per record exported by a database, from
:func:`peerstudy.bibliography.read_exports`), **duplicate pairs** (every pair of
records matched, with the rule, the evidence and whether they were merged, for a person
to check: :mod:`peerstudy.dedup`, whose functions are imported here for the notebooks),
**decisions** (title/abstract and full-text screening, with a reason from a fixed list
for every full-text exclusion) and **extraction** (one row per included study:
category, design, sample size, informants, outcomes).
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from peerstudy.config import relative_to_root, resolve_input  # noqa: E402
from peerstudy.dedup import (  # noqa: E402  (deduplication lives in peerstudy.dedup; importable from here too)
    extract_surname,
    find_duplicates,
    is_correction,
    normalise_title,
    select_pairs_to_check,
    summarise_pairs,
)
from peerstudy.errors import ConfigError, InputError, Problem  # noqa: E402
from peerstudy.outputs import FIGURE_RC  # noqa: E402
from peerstudy.readers import read_csv_table  # noqa: E402

__all__ = [
    "STAGES",
    "DECISIONS",
    "normalise_title",
    "extract_surname",
    "is_correction",
    "find_duplicates",
    "summarise_pairs",
    "select_pairs_to_check",
    "apply_eligibility",
    "list_records",
    "tabulate_removed",
    "read_decisions",
    "read_extraction",
    "count_prisma_flow",
    "check_prisma_flow",
    "format_citation",
    "tabulate_sources",
    "tabulate_screening",
    "tabulate_flow",
    "tabulate_included",
    "tabulate_qualitative",
    "tabulate_by_year",
    "tabulate_by_design",
    "tabulate_exclusion_reasons",
    "tabulate_principles",
    "compute_key_figures",
    "plot_prisma_flow",
    "plot_studies_by_year",
]

#: Screening stages, in order.
STAGES = ("title-abstract", "full-text")
#: Screening decisions.
DECISIONS = ("include", "exclude")

_DATE = re.compile(r"^(\d{4})-(\d{2})$")


def _value(v: Any) -> Any:
    return None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else v


# ------------------------------------------------------------------------ eligibility
def _month_date(value: str, field: str) -> tuple[int, int]:
    match = _DATE.match(str(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigError(Problem(field=field, expected="a month as 'YYYY-MM'", found=repr(value), fix="e.g. 1980-01"))
    return int(match.group(1)), int(match.group(2))


def apply_eligibility(records: pd.DataFrame, *, date_from: str, date_to: str,
                      languages: Sequence[str] = ("English",)) -> pd.DataFrame:
    """Mark the records that fall outside the search's limits, and give each record its status.

    A record is outside the date range when its year (and month, where the database
    gives one) lies before ``date_from`` or after ``date_to`` (both ``YYYY-MM``,
    inclusive); a record of the boundary year without a month is kept. A record is
    in another language when none of its languages is in ``languages``; a record
    without a language is kept. Duplicates (``duplicate_of`` set) are not assessed.

    Returns
    -------
    pandas.DataFrame
        A copy with ``ineligible`` (``outside the date range``, ``language not
        English`` or ``None``), ``ineligible_detail`` and ``status``
        (``duplicate``, ``ineligible`` or ``screened``).

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a", "b", "c", "d"], "year": [1979, 2010, 2010, 2005],
    ...                      "month": [None, 9, None, 5], "language": ["English", "English", "English", "German"],
    ...                      "duplicate_of": [None, None, None, None]})
    >>> apply_eligibility(recs, date_from="1980-01", date_to="2010-08")["status"].tolist()
    ['ineligible', 'ineligible', 'screened', 'ineligible']
    """
    y0, m0 = _month_date(date_from, "date_from")
    y1, m1 = _month_date(date_to, "date_to")
    wanted = {lang.casefold() for lang in languages}
    label = " or ".join(languages)
    reasons, details, status = [], [], []
    months = records["month"] if "month" in records else pd.Series([None] * len(records), index=records.index)
    for year, month, lang, dup in zip(records["year"], months, records["language"], records["duplicate_of"]):
        year, month, lang, dup = _value(year), _value(month), _value(lang), _value(dup)
        reason = detail = None
        if dup is None:
            when = f"{int(year)}" + (f"-{int(month):02d}" if month is not None else "") if year is not None else ""
            if year is not None and (year < y0 or (year == y0 and month is not None and month < m0)):
                reason, detail = "outside the date range", f"published {when}, before {date_from}"
            elif year is not None and (year > y1 or (year == y1 and month is not None and month > m1)):
                reason, detail = "outside the date range", f"published {when}, after {date_to}"
            elif lang is not None and not {s.strip().casefold() for s in str(lang).split(";")} & wanted:
                reason, detail = f"language not {label}", f"in {lang}"
        reasons.append(reason)
        details.append(detail)
        status.append("duplicate" if dup is not None else "ineligible" if reason else "screened")
    out = records.copy()
    out["ineligible"] = pd.array(reasons, dtype="string")
    out["ineligible_detail"] = pd.array(details, dtype="string")
    out["status"] = pd.array(status, dtype="string")
    return out


def list_records(records: pd.DataFrame) -> pd.DataFrame:
    """Every record read, with its status, in the order read (no abstracts): the list
    screening decisions refer to by ``record``."""
    cols = ["record", "database", "status", "duplicate_of", "ineligible", "first_author", "year", "title", "journal",
            "doi", "pmid", "language"]
    return records[[c for c in cols if c in records]].reset_index(drop=True)


def tabulate_removed(records: pd.DataFrame) -> pd.DataFrame:
    """Records removed before screening for falling outside the search's limits.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a", "b"], "database": ["X", "X"], "status": ["ineligible", "screened"],
    ...                      "ineligible": ["outside the date range", None], "ineligible_detail": ["published 1979", None],
    ...                      "year": [1979, 2001], "language": ["English"] * 2, "title": ["t", "u"]})
    >>> tabulate_removed(recs)["record"].tolist()
    ['a']
    """
    removed = records[records["status"].astype(str) == "ineligible"]
    cols = ["record", "database", "ineligible", "ineligible_detail", "year", "language", "title"]
    return removed[cols].rename(columns={"ineligible": "reason", "ineligible_detail": "detail"}).reset_index(drop=True)


# ------------------------------------------------------------------------ screening
def read_decisions(path: str | os.PathLike[str], records: pd.DataFrame, *, reasons: Sequence[str],
                   not_retrieved_reason: str) -> pd.DataFrame:
    """Read and check the screening decisions (CSV: ``record``, ``stage``, ``decision``,
    ``reason``; optional ``reviewer``, ``note``).

    Checks, all problems reported together: every decision names a record read from
    the exports that was screened (not a duplicate, not outside the limits); stage is
    ``title-abstract`` or ``full-text``; decision is ``include`` or ``exclude``; every
    full-text exclusion has a reason from ``reasons`` (``not_retrieved_reason``, for
    reports sought but not retrieved, is one of them) and inclusions have none; one
    decision per record and stage; every screened record has a title/abstract
    decision; full-text decisions exist exactly for the records included on title and
    abstract.

    Returns
    -------
    pandas.DataFrame
        ``record``, ``stage``, ``decision``, ``reason``, ``reviewer``, ``note``, ``row``
        (spreadsheet row in the file); ``attrs["file"]`` is the file as shown in
        messages.
    """
    if not_retrieved_reason not in reasons:
        raise ConfigError(Problem(field="not_retrieved_reason", expected=f"one of the exclusion reasons {list(reasons)}",
                                  found=repr(not_retrieved_reason), fix="add it to exclusion_reasons"))
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=["record", "stage", "decision", "reason"], parameter="screening")
    for optional in ("reviewer", "note"):
        if optional not in table:
            table[optional] = ""
    table = table.apply(lambda c: c.str.strip())
    status = records.set_index("record")["status"].astype(str).to_dict()
    kept = records.set_index("record")["duplicate_of"].to_dict()
    detail = records.set_index("record")["ineligible_detail"].to_dict() if "ineligible_detail" in records else {}
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    fix_id = "use the record ids of the records table (reports/<study>/tables/records.csv), e.g. 'pubmed:12'"
    for row, rec in table.iterrows():
        rid, stage, decision, reason = rec["record"], rec["stage"], rec["decision"], rec["reason"]
        if rid not in status:
            problems.append(Problem(file=shown, row=int(row), field="record", expected="the id of a record read from the exports",
                                    found=repr(rid), fix=fix_id))
        elif status[rid] == "duplicate":
            problems.append(Problem(file=shown, row=int(row), field="record", expected="a screened record",
                                    found=f"{rid!r}, removed as a duplicate of {kept[rid]!r}",
                                    fix=f"record the decision under {kept[rid]!r}"))
        elif status[rid] == "ineligible":
            problems.append(Problem(file=shown, row=int(row), field="record", expected="a screened record",
                                    found=f"{rid!r}, removed before screening ({_value(detail.get(rid))})",
                                    fix="remove the row, or correct the id"))
        if stage not in STAGES:
            problems.append(Problem(file=shown, row=int(row), field="stage", expected=" or ".join(STAGES),
                                    found=repr(stage), fix="correct the stage"))
        if decision not in DECISIONS:
            problems.append(Problem(file=shown, row=int(row), field="decision", expected=" or ".join(DECISIONS),
                                    found=repr(decision), fix="correct the decision"))
        if stage == "full-text" and decision == "exclude" and reason not in reasons:
            problems.append(Problem(file=shown, row=int(row), field="reason",
                                    expected=f"a full-text exclusion reason from the fixed list ({'; '.join(reasons)})",
                                    found=repr(reason), fix="use one of the listed reasons, or add it to exclusion_reasons"))
        if decision == "include" and reason:
            problems.append(Problem(file=shown, row=int(row), field="reason", expected="no reason for an inclusion",
                                    found=repr(reason), fix="clear the reason, or change the decision to exclude"))
        key = (rid, stage)
        if key in seen:
            problems.append(Problem(file=shown, row=int(row), field="record",
                                    expected=f"one {stage} decision per record",
                                    found=f"a second one for {rid!r} (first in row {seen[key]})", fix="remove one of the two rows"))
        seen.setdefault(key, int(row))
    ta = table[table["stage"] == "title-abstract"]
    ft = table[table["stage"] == "full-text"]
    ta_included = set(ta.loc[ta["decision"] == "include", "record"])
    ta_decided = set(ta["record"])
    for row, rec in ft.iterrows():
        if rec["record"] in status and rec["record"] not in ta_included:
            earlier = "excluded on title and abstract" if rec["record"] in ta_decided else "with no title/abstract decision"
            problems.append(Problem(file=shown, row=int(row), field="stage",
                                    expected="full-text decisions only for records included on title and abstract",
                                    found=f"one for {rec['record']!r}, {earlier}",
                                    fix="correct the title/abstract decision, or remove this row"))
    for rid in [r for r in records.loc[records["status"].astype(str) == "screened", "record"] if r not in ta_decided]:
        problems.append(Problem(file=shown, field="record", expected="a title-abstract decision for every screened record",
                                found=f"none for {rid!r}", fix=f"add a row '{rid},title-abstract,include|exclude,'"))
    ft_decided = set(ft["record"])
    for row, rec in ta[ta["decision"] == "include"].iterrows():
        if rec["record"] not in ft_decided:
            problems.append(Problem(file=shown, row=int(row), field="record",
                                    expected="a full-text decision for every record included on title and abstract",
                                    found=f"none for {rec['record']!r}",
                                    fix=f"add a full-text row (use the reason {not_retrieved_reason!r} if the report was not retrieved)"))
    if problems:
        raise InputError(problems)
    out = table[["record", "stage", "decision", "reason", "reviewer", "note"]].copy()
    out["row"] = out.index.astype("int64")
    out = out.reset_index(drop=True)
    out.attrs["file"] = shown
    return out


def read_extraction(path: str | os.PathLike[str], decisions: pd.DataFrame, *, categories: Sequence[str],
                    decisions_file: str | None = None) -> pd.DataFrame:
    """Read and check the extraction sheet (CSV: ``record``, ``category``, ``design``,
    ``sample_size``, ``informants``, ``outcomes``).

    Every row names a study included at full text, with a category from
    ``categories`` and a sample size that is empty or a whole number; every included
    study has exactly one row (a missing one is reported at the row of the screening
    decisions that includes it).

    Returns
    -------
    pandas.DataFrame
        The sheet, ``sample_size`` as nullable integers, ``row`` the spreadsheet row.
    """
    shown = relative_to_root(resolve_input(path))
    decisions_shown = decisions_file or decisions.attrs.get("file", "the screening decisions")
    table = read_csv_table(path, required=["record", "category", "design", "sample_size", "informants", "outcomes"],
                           parameter="extraction")
    table = table.apply(lambda c: c.str.strip())
    full = decisions[decisions["stage"] == "full-text"]
    included = full.loc[full["decision"] == "include"]
    included_rows = dict(zip(included["record"], included["row"]))
    decided = set(decisions["record"])
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    sizes = []
    for row, rec in table.iterrows():
        rid = rec["record"]
        if rid not in included_rows:
            found = (f"{rid!r}, which was not included at full text" if rid in decided
                     else f"{rid!r}, which has no screening decision")
            problems.append(Problem(file=shown, row=int(row), field="record", expected="the id of a study included at full text",
                                    found=found, fix="correct the id, or the screening decision"))
        if rid in seen:
            problems.append(Problem(file=shown, row=int(row), field="record", expected="one extraction row per study",
                                    found=f"a second row for {rid!r} (first in row {seen[rid]})", fix="merge the two rows"))
        seen.setdefault(rid, int(row))
        if rec["category"] not in categories:
            problems.append(Problem(file=shown, row=int(row), field="category", expected=f"one of {', '.join(categories)}",
                                    found=repr(rec["category"]), fix="correct the category, or add it to categories"))
        size = rec["sample_size"].replace(",", "")
        if size and not size.isdigit():
            problems.append(Problem(file=shown, row=int(row), field="sample_size", expected="a whole number or an empty cell",
                                    found=repr(rec["sample_size"]), fix="write the number of participants only"))
            size = ""
        sizes.append(int(size) if size else None)
    for rid, row in included_rows.items():
        if rid not in seen:
            problems.append(Problem(file=decisions_shown, row=int(row), field="record",
                                    expected=f"an extraction row in {shown} for every included study",
                                    found=f"none for {rid!r}", fix=f"add a row for {rid!r} to the extraction sheet"))
    if problems:
        raise InputError(problems)
    out = table.copy()
    out["sample_size"] = pd.array(sizes, dtype="Int64")
    out["row"] = out.index.astype("int64")
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------ PRISMA flow
def count_prisma_flow(records: pd.DataFrame, decisions: pd.DataFrame, *, reasons: Sequence[str],
                      not_retrieved_reason: str) -> dict[str, Any]:
    """The numbers in each box of a PRISMA 2020 flow diagram, each counted on its own
    from the records and decisions (so that :func:`check_prisma_flow` can test that
    they add up).

    Returns
    -------
    dict
        ``identified`` (database → records, databases searched), ``identified_other``
        (records from other sources), ``identified_total``, ``duplicates_removed``,
        ``ineligible_removed`` (reason → records), ``screened``,
        ``excluded_title_abstract``, ``sought_for_retrieval``, ``not_retrieved``,
        ``assessed``, ``excluded_full_text`` (reason → reports, every listed reason),
        ``included``.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a", "b", "c"], "database": ["X", "X", "Y"], "source": ["search"] * 3,
    ...                      "status": ["screened", "screened", "duplicate"], "ineligible": [None, None, None]})
    >>> dec = pd.DataFrame({"record": ["a", "b", "a"], "stage": ["title-abstract", "title-abstract", "full-text"],
    ...                     "decision": ["include", "exclude", "include"], "reason": ["", "", ""]})
    >>> flow = count_prisma_flow(recs, dec, reasons=["not retrieved"], not_retrieved_reason="not retrieved")
    >>> flow["identified"], flow["screened"], flow["included"]
    ({'X': 2, 'Y': 1}, 2, 1)
    """
    source = records["source"].astype(str) if "source" in records else pd.Series("search", index=records.index)
    by_db = records.groupby([source, records["database"].astype(str)], sort=False).size()
    status = records["status"].astype(str)
    ta = decisions[decisions["stage"] == "title-abstract"]
    ft = decisions[decisions["stage"] == "full-text"]
    ft_excluded = ft[ft["decision"] == "exclude"]
    ineligible = records.loc[status == "ineligible", "ineligible"].astype(str).value_counts()
    return {
        "identified": {db: int(n) for (src, db), n in by_db.items() if src == "search"},
        "identified_other": {db: int(n) for (src, db), n in by_db.items() if src != "search"},
        "identified_total": int(len(records)),
        "duplicates_removed": int((status == "duplicate").sum()),
        "ineligible_removed": {str(k): int(v) for k, v in sorted(ineligible.items())},
        "screened": int((status == "screened").sum()),
        "excluded_title_abstract": int((ta["decision"] == "exclude").sum()),
        "sought_for_retrieval": int((ta["decision"] == "include").sum()),
        "not_retrieved": int((ft_excluded["reason"] == not_retrieved_reason).sum()),
        "assessed": int((ft["reason"] != not_retrieved_reason).sum()),
        "excluded_full_text": {r: int((ft_excluded["reason"] == r).sum()) for r in reasons if r != not_retrieved_reason},
        "included": int((ft["decision"] == "include").sum()),
    }


def check_prisma_flow(counts: Mapping[str, Any], *, included: pd.DataFrame | None = None,
                      exclusion_reasons: pd.DataFrame | None = None,
                      by_year: pd.DataFrame | None = None) -> pd.DataFrame:
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
    >>> flow = {"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {"outside the date range": 1}, "screened": 3, "excluded_title_abstract": 1,
    ...         "sought_for_retrieval": 2, "not_retrieved": 0, "assessed": 2, "excluded_full_text": {"r": 1},
    ...         "included": 1}
    >>> check_prisma_flow(flow)["ok"].all()
    np.True_
    >>> check_prisma_flow({**flow, "included": 2})
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: field 'included': expected 1 (reports assessed - reports excluded), found 2. Fix: check the screening decisions: a box of the flow diagram does not add up.
    """
    c = counts
    checks = [
        ("identified_total", "databases + other sources", sum(c["identified"].values()) + sum(c["identified_other"].values()),
         c["identified_total"]),
        ("screened", "identified - duplicates - removed before screening",
         c["identified_total"] - c["duplicates_removed"] - sum(c["ineligible_removed"].values()), c["screened"]),
        ("sought_for_retrieval", "screened - excluded on title and abstract",
         c["screened"] - c["excluded_title_abstract"], c["sought_for_retrieval"]),
        ("assessed", "sought - not retrieved", c["sought_for_retrieval"] - c["not_retrieved"], c["assessed"]),
        ("included", "reports assessed - reports excluded", c["assessed"] - sum(c["excluded_full_text"].values()),
         c["included"]),
    ]
    if included is not None:
        checks.append(("included", "rows of the table of included studies", len(included), c["included"]))
    if exclusion_reasons is not None:
        excluded = exclusion_reasons[exclusion_reasons["box"] == "reports excluded"]["n"].sum()
        missing = exclusion_reasons[exclusion_reasons["box"] == "reports not retrieved"]["n"].sum()
        checks.append(("excluded_full_text", "sum of the exclusion-reasons table", int(excluded),
                       sum(c["excluded_full_text"].values())))
        checks.append(("not_retrieved", "not-retrieved row of the exclusion-reasons table", int(missing), c["not_retrieved"]))
    if by_year is not None:
        checks.append(("included", "total of the studies-by-year table", int(by_year.loc["total", "total"]), c["included"]))
    table = pd.DataFrame([{"box": box, "rule": rule, "expected": int(exp), "found": int(got), "ok": int(exp) == int(got)}
                          for box, rule, exp, got in checks])
    bad = table[~table["ok"]]
    if not bad.empty:
        raise InputError([Problem(field=r.box, expected=f"{r.expected} ({r.rule})", found=str(r.found),
                                  fix="check the screening decisions: a box of the flow diagram does not add up")
                          for r in bad.itertuples()])
    return table


# ------------------------------------------------------------------------ tables
def format_citation(authors: Any, year: Any) -> str:
    """A short citation: ``Surname year``, ``A & B year`` or ``A et al. year``.

    Examples
    --------
    >>> format_citation("Solomon, Phyllis; Draine, Jeffrey", 1995)
    'Solomon & Draine 1995'
    >>> format_citation("Felton CJ; Stastny P; Shern DL", 1995)
    'Felton et al. 1995'
    """
    names = [a for a in str(_value(authors) or "").split(";") if a.strip()]
    surnames = []
    for a in names:
        a = a.strip()
        if "," in a:
            surnames.append(a.split(",", 1)[0].strip())
        else:
            parts = a.split()
            surnames.append(" ".join(parts[:-1]) if len(parts) > 1 and re.fullmatch(r"[A-Z]{1,3}\.?", parts[-1]) else a)
    when = "" if _value(year) is None else f" {int(year)}"
    if not surnames:
        return f"Anonymous{when}"
    if len(surnames) == 1:
        return f"{surnames[0]}{when}"
    if len(surnames) == 2:
        return f"{surnames[0]} & {surnames[1]}{when}"
    return f"{surnames[0]} et al.{when}"


def tabulate_sources(records: pd.DataFrame) -> pd.DataFrame:
    """Per database: records read, removed as duplicates, removed before screening, screened.

    Examples
    --------
    >>> recs = pd.DataFrame({"database": ["X", "X", "Y"], "source": ["search"] * 3,
    ...                      "status": ["screened", "duplicate", "ineligible"]})
    >>> tabulate_sources(recs).to_dict("records")[-1]
    {'database': 'total', 'source': '', 'records': 3, 'duplicates': 1, 'removed before screening': 1, 'screened': 1}
    """
    status = records["status"].astype(str)
    source = records["source"].astype(str) if "source" in records else pd.Series("search", index=records.index)
    rows = []
    for db in dict.fromkeys(records["database"].astype(str)):
        mask = records["database"].astype(str) == db
        rows.append({"database": db, "source": str(source[mask].iloc[0]), "records": int(mask.sum()),
                     "duplicates": int((status[mask] == "duplicate").sum()),
                     "removed before screening": int((status[mask] == "ineligible").sum()),
                     "screened": int((status[mask] == "screened").sum())})
    table = pd.DataFrame(rows)
    total = {"database": "total", "source": "", **{k: int(table[k].sum()) for k in
                                                   ("records", "duplicates", "removed before screening", "screened")}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def tabulate_screening(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions by stage: included, excluded, total.

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
        rows.append({"stage": stage, "include": int((part["decision"] == "include").sum()),
                     "exclude": int((part["decision"] == "exclude").sum()), "total": int(len(part))})
    return pd.DataFrame(rows)


def tabulate_flow(counts: Mapping[str, Any]) -> pd.DataFrame:
    """The flow diagram as a table: phase, box, n (one row per box and per sub-count).

    Examples
    --------
    >>> flow = {"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {}, "screened": 4, "excluded_title_abstract": 1, "sought_for_retrieval": 3,
    ...         "not_retrieved": 1, "assessed": 2, "excluded_full_text": {"r": 0}, "included": 2}
    >>> tabulate_flow(flow).set_index("box").loc["reports not retrieved", "n"]
    np.int64(1)
    """
    c = counts
    rows = [("identification", f"records identified from {db}", n) for db, n in c["identified"].items()]
    rows += [("identification", f"records identified from {db} (other source)", n) for db, n in c["identified_other"].items()]
    rows += [("identification", "records identified (total)", c["identified_total"]),
             ("identification", "duplicate records removed", c["duplicates_removed"])]
    rows += [("identification", f"records removed before screening: {r}", n) for r, n in c["ineligible_removed"].items()]
    rows += [("screening", "records screened (title and abstract)", c["screened"]),
             ("screening", "records excluded on title and abstract", c["excluded_title_abstract"]),
             ("screening", "reports sought for retrieval (met the criteria on abstract)", c["sought_for_retrieval"]),
             ("screening", "reports not retrieved", c["not_retrieved"]),
             ("screening", "reports assessed for eligibility (full text)", c["assessed"])]
    rows += [("screening", f"reports excluded: {r}", n) for r, n in c["excluded_full_text"].items()]
    rows += [("included", "studies included in the review", c["included"])]
    return pd.DataFrame(rows, columns=["phase", "box", "n"])


def _included_with_records(extraction: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    cols = ["record", "authors", "year", "title", "journal"]
    merged = extraction.merge(records[cols], on="record", how="left", validate="one_to_one")
    merged["study"] = [format_citation(a, y) for a, y in zip(merged["authors"], merged["year"])]
    return merged


def tabulate_included(extraction: pd.DataFrame, records: pd.DataFrame, *, categories: Sequence[str]) -> pd.DataFrame:
    """Included studies by category (in the order of ``categories``), then year and
    citation, with design, sample size and outcomes."""
    merged = _included_with_records(extraction, records)
    merged["_order"] = merged["category"].map({c: i for i, c in enumerate(categories)})
    merged = merged.sort_values(["_order", "year", "study", "record"], kind="stable")
    out = merged[["category", "study", "record", "journal", "design", "sample_size", "outcomes"]].rename(
        columns={"sample_size": "sample size"})
    return out.reset_index(drop=True)


def tabulate_qualitative(extraction: pd.DataFrame, records: pd.DataFrame, *, category: str = "qualitative") -> pd.DataFrame:
    """Qualitative studies with their informants, by year and citation."""
    merged = _included_with_records(extraction[extraction["category"] == category], records)
    merged = merged.sort_values(["year", "study", "record"], kind="stable")
    return merged[["study", "record", "journal", "design", "informants", "outcomes"]].reset_index(drop=True)


def tabulate_by_year(extraction: pd.DataFrame, records: pd.DataFrame, *, categories: Sequence[str]) -> pd.DataFrame:
    """Included studies by publication year (rows, every year from the first to the last)
    and category (columns, in the order given), with totals.

    Examples
    --------
    >>> ext = pd.DataFrame({"record": ["a", "b", "c"], "category": ["review", "qualitative", "review"]})
    >>> recs = pd.DataFrame({"record": ["a", "b", "c"], "authors": ["X"] * 3, "year": [2001, 2003, 2003],
    ...                      "title": ["t"] * 3, "journal": ["j"] * 3})
    >>> tabulate_by_year(ext, recs, categories=["review", "qualitative"]).loc[[2002, 2003, "total"]].values.tolist()
    [[0, 0, 0], [1, 1, 2], [2, 1, 3]]
    """
    merged = extraction.merge(records[["record", "year"]], on="record", how="left")
    years = merged["year"].dropna().astype(int)
    index = list(range(int(years.min()), int(years.max()) + 1)) if len(years) else []
    table = pd.crosstab(merged["year"].astype("Int64"), merged["category"]).reindex(index=index, columns=list(categories),
                                                                                   fill_value=0)
    table = table.astype("int64")
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name = "year"
    table.columns.name = None
    return table


def tabulate_by_design(extraction: pd.DataFrame, *, categories: Sequence[str]) -> pd.DataFrame:
    """Included studies by category and design."""
    counts = extraction.groupby(["category", "design"]).size().rename("n").reset_index()
    counts["_order"] = counts["category"].map({c: i for i, c in enumerate(categories)})
    counts = counts.sort_values(["_order", "n", "design"], ascending=[True, False, True], kind="stable")
    return counts.drop(columns="_order").reset_index(drop=True)


def tabulate_exclusion_reasons(decisions: pd.DataFrame, *, reasons: Sequence[str], not_retrieved_reason: str) -> pd.DataFrame:
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
    rows = [{"box": "reports excluded", "reason": r, "n": int(counts.get(r, 0))} for r in reasons if r != not_retrieved_reason]
    rows.append({"box": "reports not retrieved", "reason": not_retrieved_reason, "n": int(counts.get(not_retrieved_reason, 0))})
    return pd.DataFrame(rows, columns=["box", "reason", "n"])


def tabulate_principles(extraction: pd.DataFrame, records: pd.DataFrame, *, column: str = "principles") -> pd.DataFrame:
    """Included studies marked ``yes`` in ``column`` (e.g. those stating principles of
    peer support), by year and citation."""
    flagged = extraction[extraction[column].fillna("").str.strip().str.lower() == "yes"]
    merged = _included_with_records(flagged, records).sort_values(["year", "study"], kind="stable")
    return merged[["study", "record", "category", "journal"]].reset_index(drop=True)


def compute_key_figures(counts: Mapping[str, Any], extraction: pd.DataFrame, *, categories: Sequence[str],
                        quantitative_categories: Sequence[str], review_category: str = "review",
                        qualitative_category: str = "qualitative") -> dict[str, Any]:
    """The review's key figures, from the flow counts and the extraction sheet.

    ``selected_on_abstract`` is the number of records that met the criteria on title and
    abstract (reports sought for retrieval); ``full_text_assessed`` the reports read in
    full; ``studies_stating_principles`` (when the sheet has a ``principles`` column)
    the studies marked ``yes`` there.

    Examples
    --------
    >>> flow = {"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {}, "screened": 4, "excluded_title_abstract": 1, "sought_for_retrieval": 3,
    ...         "not_retrieved": 1, "assessed": 2, "excluded_full_text": {"r": 0}, "included": 2}
    >>> ext = pd.DataFrame({"category": ["review", "peer-run"], "principles": ["yes", ""]})
    >>> key = compute_key_figures(flow, ext, categories=["peer-run", "review"], quantitative_categories=["peer-run"])
    >>> key["selected_on_abstract"], key["full_text_assessed"], key["quantitative_by_category"], key["studies_stating_principles"]
    (3, 2, {'peer-run': 1}, 1)
    """
    by_category = extraction["category"].value_counts()
    principles = {"studies_stating_principles": int((extraction["principles"].fillna("").str.strip().str.lower() == "yes").sum())} \
        if "principles" in extraction else {}
    return {
        "databases": dict(counts["identified"]),
        "other_sources": dict(counts["identified_other"]),
        "identified": counts["identified_total"],
        "duplicates_removed": counts["duplicates_removed"],
        "removed_before_screening": dict(counts["ineligible_removed"]),
        "screened": counts["screened"],
        "excluded_title_abstract": counts["excluded_title_abstract"],
        "selected_on_abstract": counts["sought_for_retrieval"],
        "not_retrieved": counts["not_retrieved"],
        "full_text_assessed": counts["assessed"],
        "excluded_full_text": sum(counts["excluded_full_text"].values()),
        "exclusion_reasons": dict(counts["excluded_full_text"]),
        "included": counts["included"],
        "included_by_category": {c: int(by_category.get(c, 0)) for c in categories},
        "included_reviews": int(by_category.get(review_category, 0)),
        "included_qualitative": int(by_category.get(qualitative_category, 0)),
        "quantitative_by_category": {c: int(by_category.get(c, 0)) for c in quantitative_categories},
        **principles,
    }


# ------------------------------------------------------------------------ figures
_PHASE = "#dce6f2"
_EDGE = "#3a6ea5"
_LINE = 0.19      # inches per line of 9-point text
_PAD = 0.14       # inches of padding inside a box


def _box(ax, x: float, top: float, width: float, lines: list[str], *, bold_first: bool = False) -> tuple[float, float]:
    height = _LINE * len(lines) + 2 * _PAD
    ax.add_patch(FancyBboxPatch((x, top - height), width, height, boxstyle="square,pad=0", linewidth=1.0,
                                edgecolor=_EDGE, facecolor="white"))
    for i, text in enumerate(lines):
        ax.text(x + _PAD, top - _PAD - (i + 0.5) * _LINE, text, va="center", ha="left", fontsize=9,
                fontweight="bold" if bold_first and i == 0 else "normal")
    return top - height, height


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.0,
                                                     "shrinkA": 0, "shrinkB": 0})


def plot_prisma_flow(counts: Mapping[str, Any], *, title: str = "PRISMA 2020 flow diagram") -> plt.Figure:
    """A PRISMA 2020-style flow diagram (databases and other sources) drawn with
    matplotlib: boxes and arrows, phases labelled on the left.

    Examples
    --------
    >>> flow = {"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {"outside the date range": 1}, "screened": 3, "excluded_title_abstract": 1,
    ...         "sought_for_retrieval": 2, "not_retrieved": 0, "assessed": 2, "excluded_full_text": {"r": 1},
    ...         "included": 1}
    >>> fig = plot_prisma_flow(flow)
    >>> texts = [t.get_text() for t in fig.axes[0].texts]
    >>> texts[texts.index("Studies included in review") + 1]
    '(n = 1)'
    """
    c = counts
    left_x, left_w, right_x, right_w, gap = 0.55, 3.9, 5.05, 3.95, 0.45
    wrap = 46

    def wrapped(prefix: str, items: Mapping[str, int], indent: str = "   ") -> list[str]:
        out = [prefix]
        for name, n in items.items():
            # "(n = 12)" is never broken across lines (no-break spaces while wrapping)
            pieces = textwrap.wrap(f"{name} (n\u00a0=\u00a0{n})", wrap - len(indent))
            out += [(indent + pieces[0])] + [indent + "  " + p for p in pieces[1:]]
        return [line.replace("\u00a0", " ") for line in out]

    ident = wrapped(f"Records identified from databases (n = {sum(c['identified'].values())}):", c["identified"])
    if c["identified_other"]:
        ident += wrapped(f"Records from other sources (n = {sum(c['identified_other'].values())}):", c["identified_other"])
    removed = wrapped("Records removed before screening:", {"duplicate records": c["duplicates_removed"],
                                                             **c["ineligible_removed"]})
    rows = [
        ("Identification", ident, removed),
        ("Screening", ["Records screened (title and abstract)", f"(n = {c['screened']})"],
         ["Records excluded", f"(n = {c['excluded_title_abstract']})"]),
        (None, ["Reports sought for retrieval", f"(met the criteria on abstract, n = {c['sought_for_retrieval']})"],
         ["Reports not retrieved", f"(n = {c['not_retrieved']})"]),
        (None, ["Reports assessed for eligibility", f"(full text, n = {c['assessed']})"],
         wrapped("Reports excluded:", c["excluded_full_text"])),
        ("Included", ["Studies included in review", f"(n = {c['included']})"], None),
    ]
    heights = [max(len(l), len(r) if r else 0) * _LINE + 2 * _PAD for _, l, r in rows]
    # a phase that spans one row needs room for its label, written upwards
    spans_one = [phase is not None and (i + 1 == len(rows) or rows[i + 1][0] is not None) for i, (phase, _, _) in enumerate(rows)]
    heights = [max(h, 0.25 + 0.085 * len(rows[i][0])) if spans_one[i] else h for i, h in enumerate(heights)]
    total = sum(heights) + gap * (len(rows) - 1) + 0.9
    width = right_x + right_w + 0.1
    with matplotlib.rc_context(FIGURE_RC):
        fig = plt.figure(figsize=(width, total))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, total)
        ax.axis("off")
        ax.text(width / 2, total - 0.3, title, ha="center", va="center", fontsize=11, fontweight="bold")
        top = total - 0.65
        phase_spans: list[tuple[str, float, float]] = []
        previous_bottom = None
        for (phase, left, right), h in zip(rows, heights):
            row_top = top
            lb, lh = _box(ax, left_x, row_top - (h - (len(left) * _LINE + 2 * _PAD)) / 2, left_w, left)
            centre_y = lb + lh / 2
            if right:
                rh = len(right) * _LINE + 2 * _PAD
                _box(ax, right_x, centre_y + rh / 2, right_w, right)
                _arrow(ax, (left_x + left_w, centre_y), (right_x, centre_y))
            if previous_bottom is not None:
                _arrow(ax, (left_x + left_w / 2, previous_bottom), (left_x + left_w / 2, lb + lh))
            previous_bottom = lb
            if phase:
                phase_spans.append((phase, row_top, row_top - h))
            else:
                name, start, _ = phase_spans[-1]
                phase_spans[-1] = (name, start, row_top - h)
            top = row_top - h - gap
        for name, start, end in phase_spans:
            ax.add_patch(FancyBboxPatch((0.08, end), 0.3, start - end, boxstyle="round,pad=0,rounding_size=0.08",
                                        linewidth=0, facecolor=_PHASE))
            ax.text(0.23, (start + end) / 2, name, rotation=90, ha="center", va="center", fontsize=9, fontweight="bold")
    return fig


def plot_studies_by_year(by_year: pd.DataFrame, *, title: str = "Included studies by year of publication") -> plt.Figure:
    """Stacked bars of included studies per year, one colour per category.

    ``by_year`` is the table of :func:`tabulate_by_year` (its ``total`` row and
    column are ignored).

    Examples
    --------
    >>> table = pd.DataFrame({"review": [1, 0], "qualitative": [0, 2]}, index=[2001, 2002])
    >>> fig = plot_studies_by_year(table)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['review', 'qualitative']
    """
    data = by_year.drop(index="total", errors="ignore").drop(columns="total", errors="ignore")
    colours = ["#3a6ea5", "#9ab8d8", "#e08f3c", "#6aa66a", "#b05d8c", "#8c8c8c", "#c9b458", "#5fa8a8"]
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(max(6.0, 0.32 * len(data) + 2.5), 4.0))
        x = list(range(len(data)))
        bottom = [0] * len(data)
        for i, category in enumerate(data.columns):
            values = data[category].astype(int).tolist()
            ax.bar(x, values, bottom=bottom, color=colours[i % len(colours)], label=str(category), width=0.8)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xticks(x, [str(y) for y in data.index], rotation=90, fontsize=8)
        top = max(bottom) if bottom else 1
        ax.set_yticks(range(0, top + 2))
        ax.set(title=title, xlabel="Year of publication", ylabel="Studies (n)", ylim=(0, top + 1))
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
    return fig
