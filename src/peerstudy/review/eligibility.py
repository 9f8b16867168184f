"""A literature review from records to results: eligibility, screening, PRISMA 2020
flow, tables of included studies and two figures.

The model is small: **records** (one per record exported by a database, from
:func:`peerstudy.review.bibliography.read_exports`), **duplicate pairs** (every pair of
records matched, with the rule, the evidence and whether they were merged, for a person
to check: :mod:`peerstudy.review.dedup`, whose functions are imported here for the notebooks),
**decisions** (title/abstract and full-text screening, with a reason from a fixed list
for every full-text exclusion) and **extraction** (one row per included study:
category, design, sample size, informants, outcomes).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from peerstudy.errors import ConfigError, Problem
from peerstudy.review.dedup import (  # deduplication lives in peerstudy.review.dedup; importable from here too
    find_duplicates,
    select_pairs_to_check,
    summarise_pairs,
)
from peerstudy.review.dedup_keys import extract_surname, is_correction, normalise_title
from peerstudy.review.prisma import PrismaCounts

__all__ = [
    "normalise_title",
    "extract_surname",
    "is_correction",
    "find_duplicates",
    "summarise_pairs",
    "select_pairs_to_check",
    "apply_eligibility",
    "list_records",
    "tabulate_removed",
    "format_citation",
    "tabulate_sources",
    "declared_categories",
    "tabulate_included",
    "tabulate_subgroup",
    "write_subgroup_tables",
    "tabulate_by_year",
    "tabulate_by_design",
    "compute_key_figures",
]

_DATE = re.compile(r"^(\d{4})-(\d{2})$")


def _value(v: Any) -> Any:
    return None if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)) else v


# ------------------------------------------------------------------------ eligibility
def _month_date(value: str, field: str) -> tuple[int, int]:
    match = _DATE.match(str(value))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigError(Problem(field=field, expected="a month as 'YYYY-MM'", found=repr(value), fix="e.g. 1980-01"))
    return int(match.group(1)), int(match.group(2))


def _date_of(year: Any, month: Any) -> tuple[int, int | None] | None:
    year, month = _value(year), _value(month)
    return None if year is None else (int(year), None if month is None else int(month))


def _earliest_date(record: Mapping[Hashable, Any]) -> tuple[tuple[int, int | None] | None, str]:
    """The earliest of the e-publication and print dates, and which one it is.

    ``year``/``month`` hold the print date (the publication date where a format gives
    only one), ``epub_year``/``epub_month`` the e-publication date.
    """
    printed = _date_of(record.get("year"), record.get("month"))
    epub = _date_of(record.get("epub_year"), record.get("epub_month"))
    if epub is None:
        return printed, "published"
    if printed is None:
        return epub, "e-published"

    def key(date: tuple[int, int | None]) -> tuple[int, int]:
        return date[0], 13 if date[1] is None else date[1]

    if epub == printed:
        return printed, "published"
    return (epub, "e-published") if key(epub) < key(printed) else (printed, "printed")


def _outside(date: tuple[int, int | None] | None, start: tuple[int, int] | None, end: tuple[int, int] | None) -> str:
    if date is None:
        return ""
    year, month = date
    if start and (year < start[0] or (year == start[0] and month is not None and month < start[1])):
        return "before"
    if end and (year > end[0] or (year == end[0] and month is not None and month > end[1])):
        return "after"
    return ""


def apply_eligibility(
    records: pd.DataFrame, *, date_from: str, date_to: str, languages: Sequence[str] = ("English",)
) -> pd.DataFrame:
    """Mark the records that fall outside the search's limits, and give each record its status.

    A record's date is the earliest of its e-publication date (``epub_year``,
    ``epub_month``, where the export gives one) and its print date (``year``, ``month``):
    a study e-published in December and printed in February counts from December. It is
    outside the date range when that date lies before ``date_from`` or after ``date_to``
    (both ``YYYY-MM``, inclusive); a record of the boundary year without a month is
    kept. A record is in another language when none of its languages is in
    ``languages``; a record without a language is kept. A search without limits says so
    by leaving them out: an empty ``date_from`` or ``date_to`` sets no limit on that side,
    no ``languages`` no language limit. Duplicates (``duplicate_of`` set) are not assessed.

    Returns
    -------
    pandas.DataFrame
        A copy with ``ineligible`` (``outside the date range``, ``language not
        English`` or ``None``), ``ineligible_detail`` (which date was used: *published*
        when the export gives one date, else *e-published* or *printed*), ``date_used``
        and ``status`` (``duplicate``, ``ineligible`` or ``screened``).

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["a", "b", "c", "d"], "year": [1979, 2010, 2010, 2005],
    ...                      "month": [None, 9, None, 5], "language": ["English", "English", "English", "German"],
    ...                      "duplicate_of": [None, None, None, None]})
    >>> apply_eligibility(recs, date_from="1980-01", date_to="2010-08")["status"].tolist()
    ['ineligible', 'ineligible', 'screened', 'ineligible']
    >>> recs = pd.DataFrame({"record": ["e"], "year": [2026], "month": [2], "epub_year": [2025], "epub_month": [12],
    ...                      "language": ["English"], "duplicate_of": [None]})
    >>> apply_eligibility(recs, date_from="2016-01", date_to="2025-12")[["status", "date_used"]].values.tolist()
    [['screened', 'e-published 2025-12']]
    >>> apply_eligibility(recs, date_from="", date_to="", languages=[])["status"].tolist()  # no limits
    ['screened']
    """
    start = _month_date(date_from, "date_from") if str(date_from).strip() else None
    end = _month_date(date_to, "date_to") if str(date_to).strip() else None
    wanted = {lang.casefold() for lang in languages}
    label = " or ".join(languages)
    reasons, details, used, status = [], [], [], []
    for rec in records.to_dict("records"):
        lang, dup = _value(rec.get("language")), _value(rec.get("duplicate_of"))
        date, how = _earliest_date(rec)
        when = "" if date is None else f"{date[0]}" + (f"-{date[1]:02d}" if date[1] is not None else "")
        reason = detail = None
        if dup is None:
            side = _outside(date, start, end)
            if side:
                reason, detail = (
                    "outside the date range",
                    f"{how} {when}, {side} {date_from if side == 'before' else date_to}",
                )
            elif wanted and lang is not None and not {s.strip().casefold() for s in str(lang).split(";")} & wanted:
                reason, detail = f"language not {label}", f"in {lang}"
        reasons.append(reason)
        details.append(detail)
        used.append(f"{how} {when}" if date is not None else None)
        status.append("duplicate" if dup is not None else "ineligible" if reason else "screened")
    out = records.copy()
    out["ineligible"] = pd.array(reasons, dtype="string")
    out["ineligible_detail"] = pd.array(details, dtype="string")
    out["date_used"] = pd.array(used, dtype="string")
    out["status"] = pd.array(status, dtype="string")
    return out


def list_records(records: pd.DataFrame) -> pd.DataFrame:
    """Every record read, with its status, in the order read (no abstracts): the list
    screening decisions refer to by ``record``."""
    cols = [
        "record",
        "database",
        "status",
        "duplicate_of",
        "ineligible",
        "first_author",
        "year",
        "title",
        "journal",
        "doi",
        "pmid",
        "language",
    ]
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
        rows.append(
            {
                "database": db,
                "source": str(source[mask].iloc[0]),
                "records": int(mask.sum()),
                "duplicates": int((status[mask] == "duplicate").sum()),
                "removed before screening": int((status[mask] == "ineligible").sum()),
                "screened": int((status[mask] == "screened").sum()),
            }
        )
    table = pd.DataFrame(rows)
    total = {
        "database": "total",
        "source": "",
        **{k: int(table[k].sum()) for k in ("records", "duplicates", "removed before screening", "screened")},
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def declared_categories(columns: Mapping[str, Any], column: str) -> list[str]:
    """The categories declared for ``column`` in the extraction columns (in the order
    tables show them); none when ``column`` is empty.

    Examples
    --------
    >>> declared_categories({"kind": ["trial", "review"], "n": "integer"}, "kind")
    ['trial', 'review']
    >>> declared_categories({"n": "integer"}, "n")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'category_column': expected a column declared in extraction_columns with a list of categories, found 'n'. Fix: declare its categories, e.g. n: [a, b], or leave category_column empty.
    """
    if not column:
        return []
    kinds = columns.get(column) if isinstance(columns, Mapping) else None
    if not isinstance(kinds, list):
        raise ConfigError(
            Problem(
                field="category_column",
                expected="a column declared in extraction_columns with a list of categories",
                found=repr(column),
                fix=f"declare its categories, e.g. {column}: [a, b], or leave category_column empty",
            )
        )
    return [str(k) for k in kinds]


def _included_with_records(extraction: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    cols = ["record", "authors", "year", "title", "journal"]
    merged = extraction.merge(records[cols], on="record", how="left", validate="one_to_one", suffixes=("", "_record"))
    merged["study"] = [format_citation(a, y) for a, y in zip(merged["authors"], merged["year"], strict=False)]
    return merged


def _shown_name(column: str) -> str:
    return column.replace("_", " ")


def tabulate_included(
    extraction: pd.DataFrame,
    records: pd.DataFrame,
    *,
    categories: Sequence[str] = (),
    group_by: str = "category",
    columns: Sequence[str] = ("design", "sample_size", "outcomes"),
) -> pd.DataFrame:
    """Included studies by category (the declared column ``group_by``, in the order of
    ``categories``; none when ``group_by`` is empty), then year and citation, with the
    extraction ``columns`` (headers written with spaces for underscores).

    Examples
    --------
    >>> ext = pd.DataFrame({"record": ["a", "b"], "kind": ["trial", "review"], "n_people": [12, None]})
    >>> recs = pd.DataFrame({"record": ["a", "b"], "authors": ["Lee, K", "Ito, M"], "year": [2001, 2003],
    ...                      "title": ["t", "u"], "journal": ["J", "K"]})
    >>> tabulate_included(ext, recs, categories=["review", "trial"], group_by="kind", columns=["n_people"]).values.tolist()
    [['review', 'Ito 2003', 'b', 'K', nan], ['trial', 'Lee 2001', 'a', 'J', 12.0]]
    """
    merged = _included_with_records(extraction, records)
    keys = ["year", "study", "record"]
    if group_by:
        merged["_order"] = merged[group_by].map({c: i for i, c in enumerate(categories)})
        keys = ["_order", *keys]
    merged = merged.sort_values(keys, kind="stable")
    shown = ([group_by] if group_by else []) + ["study", "record", "journal", *columns]
    out = merged[shown].rename(columns={c: _shown_name(c) for c in columns})
    return out.reset_index(drop=True)


def tabulate_subgroup(
    extraction: pd.DataFrame, records: pd.DataFrame, *, where: Mapping[str, str], columns: Sequence[str]
) -> pd.DataFrame:
    """Included studies whose extraction columns hold the values in ``where`` (e.g.
    ``{"category": "qualitative"}`` or, for a flag, ``{"principles": "yes"}``), by year and
    citation, with ``columns`` (extraction columns, or the records' ``journal``, ``title``).

    Examples
    --------
    >>> ext = pd.DataFrame({"record": ["a", "b"], "kind": ["trial", "review"], "fidelity": ["yes", ""]})
    >>> recs = pd.DataFrame({"record": ["a", "b"], "authors": ["Lee, K", "Ito, M"], "year": [2001, 2003],
    ...                      "title": ["t", "u"], "journal": ["J", "K"]})
    >>> tabulate_subgroup(ext, recs, where={"fidelity": "yes"}, columns=["kind", "journal"]).values.tolist()
    [['Lee 2001', 'a', 'trial', 'J']]
    """
    mask = pd.Series(True, index=extraction.index)
    for column, value in where.items():
        mask &= extraction[column].fillna("").astype(str).str.strip().str.casefold() == str(value).strip().casefold()
    merged = _included_with_records(extraction[mask], records).sort_values(["year", "study", "record"], kind="stable")
    return merged[["study", "record", *columns]].reset_index(drop=True)


def write_subgroup_tables(
    report: Any, extraction: pd.DataFrame, records: pd.DataFrame, tables: Sequence[Mapping[str, Any]]
) -> Any:
    """Write each declared subgroup table (``{name, title, where, columns}``, see
    :func:`tabulate_subgroup`) with ``report.table`` and return them, titled, for display."""
    from IPython.display import HTML

    parts = []
    for spec in tables:
        table = report.table(
            spec["name"],
            tabulate_subgroup(extraction, records, where=spec.get("where", {}), columns=spec.get("columns", [])),
            title=str(spec.get("title", spec["name"])),
        )
        parts.append(table._repr_html_())  # the numbered, titled table of peerstudy.report.present
    return HTML("\n".join(parts) or "<p>No subgroup tables declared.</p>")


def tabulate_by_year(
    extraction: pd.DataFrame, records: pd.DataFrame, *, categories: Sequence[str] = (), group_by: str = "category"
) -> pd.DataFrame:
    """Included studies by publication year (rows, every year from the first to the last)
    and category (columns, in the order given; one column ``included`` when
    ``group_by`` is empty), with totals.

    Examples
    --------
    >>> ext = pd.DataFrame({"record": ["a", "b", "c"], "category": ["review", "qualitative", "review"]})
    >>> recs = pd.DataFrame({"record": ["a", "b", "c"], "authors": ["X"] * 3, "year": [2001, 2003, 2003],
    ...                      "title": ["t"] * 3, "journal": ["j"] * 3})
    >>> tabulate_by_year(ext, recs, categories=["review", "qualitative"]).loc[[2002, 2003, "total"]].values.tolist()
    [[0, 0, 0], [1, 1, 2], [2, 1, 3]]
    """
    merged = extraction.merge(records[["record", "year"]], on="record", how="left")
    if not group_by:
        merged, group_by, categories = merged.assign(_all="included"), "_all", ["included"]
    years = merged["year"].dropna().astype(int)
    index = list(range(int(years.min()), int(years.max()) + 1)) if len(years) else []
    table = pd.crosstab(merged["year"].astype("Int64"), merged[group_by]).reindex(
        index=index, columns=list(categories), fill_value=0
    )
    table = table.astype("int64")
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name = "year"
    table.columns.name = None
    return table


def tabulate_by_design(
    extraction: pd.DataFrame, *, categories: Sequence[str] = (), group_by: str = "category", column: str = "design"
) -> pd.DataFrame:
    """Included studies by category and design (or any declared ``column``); empty when
    ``column`` is.

    Examples
    --------
    >>> ext = pd.DataFrame({"kind": ["trial", "trial", "review"], "method": ["RCT", "RCT", "narrative"]})
    >>> tabulate_by_design(ext, categories=["review", "trial"], group_by="kind", column="method").values.tolist()
    [['review', 'narrative', 1], ['trial', 'RCT', 2]]
    """
    keys = [c for c in (group_by, column) if c]
    if not column:
        return pd.DataFrame(columns=[*keys, "n"])
    counts = extraction.groupby(keys).size().rename("n").reset_index()
    order = ["n", column]
    if group_by:
        counts["_order"] = counts[group_by].map({c: i for i, c in enumerate(categories)})
        order = ["_order", *order]
    counts = counts.sort_values(order, ascending=[True] * (len(order) - 2) + [False, True], kind="stable")
    return counts.drop(columns="_order", errors="ignore").reset_index(drop=True)


def compute_key_figures(
    counts: PrismaCounts,
    extraction: pd.DataFrame,
    *,
    categories: Sequence[str] = (),
    group_by: str = "category",
    category_counts: Mapping[str, str | Sequence[str]] | None = None,
    flag_counts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The review's key figures, from the flow counts and the extraction sheet.

    ``selected_on_abstract`` is the number of records that met the criteria on title and
    abstract (reports sought for retrieval); ``full_text_assessed`` the reports read in
    full. With a ``group_by`` column, ``included_by_category`` counts the studies per
    category; each entry of ``category_counts`` names a figure and the category it counts
    (a list of categories gives one count per category); each entry of ``flag_counts``
    names a figure and the flag column whose ``yes`` it counts.

    Examples
    --------
    >>> from peerstudy.review.prisma import PrismaCounts
    >>> flow = PrismaCounts({"X": 5}, {}, 5, 1, {}, 4, 1, 3, 1, 2, {"r": 0}, 2)
    >>> ext = pd.DataFrame({"category": ["review", "peer-run"], "principles": ["yes", ""]})
    >>> key = compute_key_figures(flow, ext, categories=["peer-run", "review"],
    ...                           category_counts={"quantitative_by_category": ["peer-run"]},
    ...                           flag_counts={"studies_stating_principles": "principles"})
    >>> key["selected_on_abstract"], key["full_text_assessed"], key["quantitative_by_category"], key["studies_stating_principles"]
    (3, 2, {'peer-run': 1}, 1)
    """
    c = counts
    figures: dict[str, Any] = {
        "databases": dict(c.identified),
        "other_sources": dict(c.identified_other),
        "identified": c.identified_total,
        "duplicates_removed": c.duplicates_removed,
        "removed_before_screening": dict(c.ineligible_removed),
        "screened": c.screened,
        "excluded_title_abstract": c.excluded_title_abstract,
        "selected_on_abstract": c.sought_for_retrieval,
        "not_retrieved": c.not_retrieved,
        "full_text_assessed": c.assessed,
        "excluded_full_text": sum(c.excluded_full_text.values()),
        "exclusion_reasons": dict(c.excluded_full_text),
        "included": c.included,
    }
    by_category = extraction[group_by].value_counts() if group_by else pd.Series(dtype="int64")
    if group_by:
        figures["included_by_category"] = {k: int(by_category.get(k, 0)) for k in categories}
    for name, which in (category_counts or {}).items():
        figures[name] = (
            int(by_category.get(which, 0)) if isinstance(which, str) else {k: int(by_category.get(k, 0)) for k in which}
        )
    for name, column in (flag_counts or {}).items():
        figures[name] = int((extraction[column].fillna("").astype(str).str.strip().str.casefold() == "yes").sum())
    return figures
