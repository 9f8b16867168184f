"""The tables one stage hands to the next, each with one schema, checked where it is written.

A stage writes its tables with :meth:`peerstudy.report.outputs.StudyOutputs.processed`
(parquet under ``data/processed/<study>/``) and a later stage reads them back. Each table
named in :data:`TABLE_NAMES` has a pandera schema here: the columns the code downstream
relies on, their kind of value (text, whole number, number, true/false), where a value
may be missing, the table's key (unique values) and the words a column may hold where
the code fixes them. Columns a study adds of its own (survey answers, document
attributes such as a dyad or a session) pass unchecked; nothing here names a field of
one particular study.

A table that breaks its schema is a bug of the stage that made it, not bad input (every
check of input comes before a table is made), so :func:`peerstudy.io.tablecheck.check_table` raises
:class:`~peerstudy.errors.ContractError` naming the table, each column and the rows, all
failures together.

pandera (and pandas) are imported only when a schema is first built: this package stays
light for ``accept-raw``.

Examples
--------
>>> sorted(table_schema("flow").columns)
['n', 'reason', 'step']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from peerstudy.io.missing import is_na

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

__all__ = [
    "CONSENSUS_SOURCES",
    "DUPLICATE_RULES",
    "FLOW_STEPS",
    "PAIR_DECISIONS",
    "RECORD_STATUSES",
    "SCREENING_DECISIONS",
    "SCREENING_STAGES",
    "TABLE_NAMES",
    "VOTE_DECISIONS",
    "ROW_CHECK_FIELDS",
    "table_schema",
]

#: How a consensus coding came about (:func:`peerstudy.qualitative.coding.reconcile`).
CONSENSUS_SOURCES = ("agreed", "reconciled", "single coder")
#: Steps of the participant flow (:func:`peerstudy.cleaning.exclusions.flow_table`).
FLOW_STEPS = ("received", "excluded", "analysed")
#: Status of a record after deduplication and the search limits
#: (:func:`peerstudy.review.eligibility.apply_eligibility`).
RECORD_STATUSES = ("screened", "duplicate", "ineligible")
#: The rules that match duplicate records (:data:`peerstudy.review.dedup.RULES`).
DUPLICATE_RULES = (
    "same DOI",
    "same PMID",
    "same title, year and first author",
    "similar title, same year and first author",
    "similar title, same journal, volume and pages",
)
#: What became of a matched pair of records.
PAIR_DECISIONS = ("merged", "kept apart")
#: Screening stages and final decisions (:data:`peerstudy.review.screen_match.STAGES`, ``DECISIONS``).
SCREENING_STAGES = ("title-abstract", "full-text")
SCREENING_DECISIONS = ("include", "exclude")
#: A reviewer's vote (:data:`peerstudy.review.screen_match.VOTES`).
VOTE_DECISIONS = ("include", "exclude", "maybe")


# --------------------------------------------------------------------------- kinds of value
def _is_text(values: pd.Series) -> pd.Series | bool:
    """Text: a string dtype, or objects that are all strings (an empty table's columns)."""
    import pandas as pd

    if isinstance(values.dtype, pd.StringDtype):
        return True
    if values.dtype != object:
        return False
    return values.map(lambda v: isinstance(v, str) or is_na(v))


def _is_integer(values: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_integer_dtype(values.dtype))


def _is_number(values: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(values.dtype)) and not pd.api.types.is_bool_dtype(values.dtype)


def _is_boolean(values: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_bool_dtype(values.dtype))


_KINDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "text": (_is_text, "text"),
    "integer": (_is_integer, "whole numbers (an integer dtype)"),
    "number": (_is_number, "numbers (a numeric dtype)"),
    "boolean": (_is_boolean, "true or false (a boolean dtype)"),
}


def _column(
    kind: str,
    *,
    nullable: bool = False,
    unique: bool = False,
    required: bool = True,
    isin: Sequence[str] | None = None,
    ge: int | None = None,
) -> pa.Column:
    """A column of one kind of value; by default every row holds one."""
    import pandera.pandas as pa

    test, words = _KINDS[kind]
    checks = [pa.Check(test, name=f"is_{kind}", error=words)]
    if isin is not None:
        checks.append(pa.Check.isin(list(isin), error="one of " + ", ".join(map(repr, isin))))
    if ge is not None:  # on numbers only: a column of another type is reported as such
        checks.append(
            pa.Check(lambda s: s >= ge if _is_number(s) else True, name="ge", error=f"a number of at least {ge}")
        )
    return pa.Column(None, checks=checks, nullable=nullable, unique=unique, required=required, coerce=False)


def _rows_check(
    name: str, fields: Sequence[str], words: str, test: Callable[[pd.DataFrame], Any], *, shown: str | None = None
) -> pa.Check:
    """A check across ``fields`` of each row, shown in messages as the field ``shown``
    (default: the fields); it passes when one of them is missing (the missing column is
    reported on its own)."""
    import pandera.pandas as pa

    def run(frame: pd.DataFrame) -> Any:
        if not set(fields) <= set(frame.columns):
            return True
        try:
            return test(frame)
        except TypeError:  # a column of the wrong type, reported by its own check
            return True

    ROW_CHECK_FIELDS[words] = shown or ", ".join(fields)  # pandera reports such a check by its error
    return pa.Check(run, name=name, error=words)


#: The fields each row-wise check reads, by its words (for messages).
ROW_CHECK_FIELDS: dict[str, str] = {}


def _spans() -> list[pa.Check]:
    return [_rows_check("end_after_start", ("start", "end"), "end at or after start", lambda f: f["end"] >= f["start"])]


def _schema(
    columns: dict[str, pa.Column], *, unique: list[str] | None = None, checks: Iterable = ()
) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema(columns, unique=unique, checks=list(checks), strict=False, coerce=False)


# --------------------------------------------------------------------------- the tables
def _participants() -> pa.DataFrameSchema:
    # the study's own fields (age, sex, role, dyad, ...) follow the participant id
    return _schema({"participant": _column("text", unique=True)})


def _questionnaires() -> pa.DataFrameSchema:
    # the first column is the study's identifier, named by its fields file
    first = _rows_check(
        "first_column_identifies",
        (),
        "each questionnaire once in the first column (the study's identifier)",
        lambda f: f.empty or f.iloc[:, 0].notna() & ~f.iloc[:, 0].duplicated(keep=False),
        shown="(first column)",
    )
    return _schema({"returned": _column("boolean")}, checks=[first])


def _documents() -> pa.DataFrameSchema:
    # attributes of the study's own (question, questionnaire, transcript, date, dyad, session) pass
    return _schema(
        {
            "document": _column("text", unique=True),
            "participant": _column("text"),
            "kind": _column("text"),
            "text": _column("text"),
        }
    )


def _turns() -> pa.DataFrameSchema:
    return _schema(
        {
            "turn": _column("text", unique=True),
            "document": _column("text"),
            "time": _column("text", nullable=True),
            "speaker": _column("text"),
            "start": _column("integer", ge=0),
            "end": _column("integer", ge=0),
            "text": _column("text"),
            # where the study reads its transcripts with source offsets
            "source_start": _column("integer", ge=0, required=False),
            "source_end": _column("integer", ge=0, required=False),
            "source_map": _column("text", required=False),
            "source_length": _column("integer", ge=0, required=False),
        },
        checks=_spans(),
    )


def _cleaning_log() -> pa.DataFrameSchema:
    return _schema(
        {
            "file": _column("text"),
            "row": _column("integer", nullable=True),
            "field": _column("text"),
            "before": _column("text"),
            "after": _column("text"),
            "rule": _column("text"),
        }
    )


def _flow() -> pa.DataFrameSchema:
    return _schema({"step": _column("text", isin=FLOW_STEPS), "reason": _column("text"), "n": _column("integer", ge=0)})


def _codebook() -> pa.DataFrameSchema:
    top = _rows_check(
        "parent_unless_top",
        ("parent", "depth"),
        "a parent for every code below the top level, and none at it",
        lambda f: f["parent"].isna() == (f["depth"] == 0),
    )
    return _schema(
        {
            "code": _column("text", unique=True),
            "label": _column("text"),
            "definition": _column("text"),
            "parent": _column("text", nullable=True),
            "depth": _column("integer", ge=0),
            "root": _column("text"),
            "order": _column("integer", unique=True, ge=0),
        },
        checks=[top],
    )


def _segments() -> pa.DataFrameSchema:
    return _schema(
        {
            "segment": _column("text", unique=True),
            "document": _column("text"),
            "participant": _column("text"),
            "start": _column("integer", ge=0),
            "end": _column("integer", ge=0),
            "text": _column("text"),
        },
        checks=_spans(),
    )


def _codings() -> pa.DataFrameSchema:
    # no key: a REFI-QDA project may hold one coding twice (two selections of one span)
    return _schema(
        {
            "segment": _column("text"),
            "unit": _column("text"),
            "code": _column("text"),
            "coder": _column("text"),
            "round": _column("integer", ge=1),
            "note": _column("text"),
            "sheet": _column("text"),
            "row": _column("integer", ge=0),
        }
    )


def _consensus() -> pa.DataFrameSchema:
    # one row per segment and code: every count downstream counts these rows
    return _schema(
        {
            "segment": _column("text"),
            "unit": _column("text"),
            "code": _column("text"),
            "source": _column("text", isin=CONSENSUS_SOURCES),
        },
        unique=["segment", "code"],
    )


def _records() -> pa.DataFrameSchema:
    status = _rows_check(
        "status_agrees",
        ("status", "duplicate_of", "ineligible"),
        "status 'duplicate' exactly where duplicate_of is given, else 'ineligible' exactly where ineligible is",
        lambda f: (
            (f["duplicate_of"].notna() == (f["status"] == "duplicate"))
            & ((f["status"] == "duplicate") | (f["ineligible"].notna() == (f["status"] == "ineligible")))
        ),
    )
    text = {name: _column("text", nullable=True) for name in ("title", "first_author", "journal", "doi", "pmid")}
    return _schema(
        {
            "record": _column("text", unique=True),
            "database": _column("text"),
            "source": _column("text"),
            "source_file": _column("text"),
            "line": _column("integer", nullable=True),
            "year": _column("integer", nullable=True),
            "month": _column("integer", nullable=True),
            **text,
            "language": _column("text", nullable=True),
            "duplicate_of": _column("text", nullable=True),
            "ineligible": _column("text", nullable=True),
            "ineligible_detail": _column("text", nullable=True),
            "date_used": _column("text", nullable=True),
            "status": _column("text", isin=RECORD_STATUSES),
        },
        checks=[status],
    )


def _duplicate_pairs() -> pa.DataFrameSchema:
    return _schema(
        {
            "record_a": _column("text"),
            "record_b": _column("text"),
            "rule": _column("text", isin=DUPLICATE_RULES),
            "score": _column("number"),
            "decision": _column("text", isin=PAIR_DECISIONS),
            "reason": _column("text"),
        },
        unique=["record_a", "record_b"],
    )


def _searches() -> pa.DataFrameSchema:
    return _schema(
        {
            "database": _column("text", unique=True),
            "searched": _column("text"),
            "results": _column("integer", ge=0),
            "records": _column("integer", ge=0),
            "source": _column("text"),
        }
    )


def _decisions() -> pa.DataFrameSchema:
    # one final decision per record and stage; reviewer and note where the sheet gives them
    return _schema(
        {
            "record": _column("text"),
            "stage": _column("text", isin=SCREENING_STAGES),
            "decision": _column("text", isin=SCREENING_DECISIONS),
            "reason": _column("text"),
            "row": _column("integer", ge=0),
        },
        unique=["record", "stage"],
    )


def _votes() -> pa.DataFrameSchema:
    # no key: a tool's export may carry two rows matched to one record
    return _schema(
        {
            "record": _column("text"),
            "stage": _column("text", isin=SCREENING_STAGES),
            "reviewer": _column("text"),
            "decision": _column("text", isin=VOTE_DECISIONS),
            "reason": _column("text"),
            "final": _column("boolean"),
            "file": _column("text"),
            "row": _column("integer", ge=0),
        }
    )


def _extraction() -> pa.DataFrameSchema:
    # the columns the study declares follow the record
    return _schema({"record": _column("text", unique=True), "row": _column("integer", ge=0)})


_BUILDERS: dict[str, Callable[[], pa.DataFrameSchema]] = {
    "participants": _participants,
    "questionnaires": _questionnaires,
    "documents": _documents,
    "turns": _turns,
    "cleaning_log": _cleaning_log,
    "flow": _flow,
    "codebook": _codebook,
    "segments": _segments,
    "codings": _codings,
    "recodings": _codings,
    "consensus": _consensus,
    "records": _records,
    "duplicate_pairs": _duplicate_pairs,
    "searches": _searches,
    "decisions": _decisions,
    "votes": _votes,
    "extraction": _extraction,
}

#: The hand-off tables that have a schema, by the name a stage writes them under.
TABLE_NAMES: tuple[str, ...] = tuple(_BUILDERS)


@functools.cache
def table_schema(name: str) -> pa.DataFrameSchema | None:
    """The schema of the hand-off table ``name`` (``None`` for a table without one).

    Examples
    --------
    >>> sorted(table_schema("segments").columns)
    ['document', 'end', 'participant', 'segment', 'start', 'text']
    >>> table_schema("no-such-table") is None
    True
    """
    builder = _BUILDERS.get(name)
    return builder() if builder is not None else None
