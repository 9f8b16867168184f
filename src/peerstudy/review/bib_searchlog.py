"""The search log of a literature review, checked against the exports read.

The log (YAML) says, per database, the interface, date, query, limits and the number of
records the search returned; :func:`check_search_log` compares that number with the
records read from the database's exports (:func:`peerstudy.review.bibliography.read_exports`).
"""

from __future__ import annotations

import os
from typing import Any, cast

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["check_search_log", "read_search_log"]


# ------------------------------------------------------------------------ search log
def read_search_log(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The search log (YAML): per database the interface, date, query, limits and the
    number of records the search returned.

    The file holds ``searches:``, a list of mappings with at least ``database``,
    ``searched`` (date), ``query`` and ``results`` (an integer).
    """
    shown = relative_to_root(resolve_input(path))
    doc = read_yaml(path, what="a search log (YAML)", parameter="search_log")
    searches = doc.get("searches") if isinstance(doc, dict) else None
    if not isinstance(searches, list) or not searches:
        found = (
            "no key 'searches'"
            if not isinstance(doc, dict) or "searches" not in doc
            else f"{type(searches).__name__} {searches!r}"[:80]
        )
        raise InputError(
            Problem(
                file=shown,
                field="searches",
                expected="a list of searches",
                found=found,
                fix="see data/raw/literature-review/search-log.yaml",
            )
        )
    problems, rows = [], []
    for i, entry in enumerate(searches, 1):
        if not isinstance(entry, dict):
            problems.append(Problem(file=shown, field=f"searches[{i}]", expected="a mapping", found=repr(entry)))
            continue
        for key in ("database", "searched", "query", "results"):
            if key not in entry:
                problems.append(
                    Problem(
                        file=shown,
                        field=f"searches[{i}].{key}",
                        expected=f"a value for {key!r}",
                        found="nothing",
                        fix="complete the search log",
                    )
                )
        if "results" in entry and (not isinstance(entry["results"], int) or isinstance(entry["results"], bool)):
            problems.append(
                Problem(
                    file=shown,
                    field=f"searches[{i}].results",
                    expected="a whole number of records",
                    found=repr(entry["results"]),
                    fix="write the number of records the search returned",
                )
            )
        rows.append({k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in entry.items()})
    if problems:
        raise InputError(problems)
    log = pd.DataFrame(rows)
    log["searched"] = log["searched"].astype(str)
    return log


def check_search_log(records: pd.DataFrame, log: pd.DataFrame, *, file: str = "search log") -> pd.DataFrame:
    """Records read per database beside the number the search log says the search returned.

    Returns
    -------
    pandas.DataFrame
        ``database``, the log's ``interface``, ``query`` and ``limits`` where it has
        them, ``searched``, ``results`` (log), ``records`` (read), ``source``.

    Raises
    ------
    InputError
        A database whose records read differ from the log, that is read but not
        logged, or that is logged with results but no export (an export is incomplete or
        missing, or the log is wrong). A logged search that returned nothing is a row of
        its own, with no records.

    Examples
    --------
    >>> recs = pd.DataFrame({"database": ["PubMed", "PubMed"], "source": ["search", "search"]})
    >>> log = pd.DataFrame({"database": ["PubMed"], "searched": ["2010-09-03"], "results": [2]})
    >>> check_search_log(recs, log)[["database", "results", "records"]].to_dict("records")
    [{'database': 'PubMed', 'results': 2, 'records': 2}]
    """
    read = records.groupby("database", sort=False).size()
    sources = records.groupby("database", sort=False)["source"].first().to_dict()
    problems, rows = [], []
    logged = log.set_index("database")
    # the databases read, then those logged without records (a search that found nothing is
    # reported with the others; PRISMA-S: every database searched)
    for database in [*read.index, *logged.index.difference(read.index, sort=False)]:
        if database not in logged.index:
            problems.append(
                Problem(
                    file=file,
                    field=str(database),
                    expected="an entry in the search log for every database read",
                    found="none",
                    fix="add the search to the log",
                )
            )
            continue
        expected = int(cast(int, logged.at[database, "results"]))  # pandas' stubs: a cell is any scalar
        n = int(read.get(database, 0))
        if expected != n:
            wanted, found, fix = (
                (f"{expected} records (as logged)", f"{n} records in the export", "re-export all the search's records")
                if database in read.index  # else the log says it found records no export holds
                else (
                    f"an export of the {expected} records the search returned (as logged)",
                    f"no records of {database} in the exports",
                    f"add the search's export to 'exports' (database: {database})",
                )
            )
            problems.append(
                Problem(
                    file=file,
                    field=f"{database}.results",
                    expected=wanted,
                    found=found,
                    fix=f"{fix}, or correct the log",
                )
            )
            continue
        rows.append(_search_row(logged, database, expected, n, str(sources.get(database, "search"))))
    if problems:
        raise InputError(problems)
    columns = [
        "database",
        *[k for k in ("interface", "query", "limits") if k in logged.columns],
        "searched",
        "results",
        "records",
        "source",
    ]
    return pd.DataFrame(rows, columns=columns)


def _search_row(logged: pd.DataFrame, database: Any, results: int, records: int, source: str) -> dict[str, Any]:
    """One row of the searches table: the log's entry for ``database`` and the records read."""
    extra = {k: str(logged.at[database, k]) for k in ("interface", "query", "limits") if k in logged.columns}
    return {
        "database": str(database),
        **extra,
        "searched": str(logged.at[database, "searched"]),
        "results": results,
        "records": records,
        "source": source,
    }
