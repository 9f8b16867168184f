"""Recognise a survey tool's export from its content and read it into one header and rows.

Survey tools write their exports in their own ways; this module turns each into a
:class:`SurveyExport`: one name per column, the question text of each column where the tool
writes one, and the answers as text cells indexed by spreadsheet row. Cleaning
(:mod:`peerstudy.cleaning.clean`) then works on that table, whatever the tool.

Recognised from the content (the file name is not trusted):

``Qualtrics``
    Three header rows: column names (``Q1``, ``ResponseId``), question texts, and
    ``{"ImportId": ...}`` cells.
``Qualtrics (legacy)``
    Two header rows: ``V1``, ``V2``, ... and question names, then the texts.
``SurveyMonkey``
    Two header rows: the question (blank over its further columns), then the
    sub-question, an option or ``Response``/``Open-Ended Response``. A question with one
    column is named by its text; a column of a question with several is named
    ``question - sub-question``.
``REDCap``
    Variable names (``record_id``, ``name___1`` for each checkbox option); placeholders
    such as ``[not completed]`` are no answer.
``LimeSurvey``
    Codes (``id``, ``submitdate``, ``Q1[SQ001]``) or full question texts (``Response ID``,
    ``Date submitted``).
``Google Forms``
    A ``Timestamp`` first column and the questions' texts as headers.
``Microsoft Forms``
    ``ID``, ``Start time``, ``Completion time`` (then ``Email``, ``Name``) and the
    questions' texts as headers.
``KoBoToolbox``
    The questions' names (or labels), then ``_id``, ``_uuid``, ``_submission_time`` and
    other metadata; a select-multiple question is one column of the choices joined by
    spaces and one column per choice (``question/choice``, 1 or 0).

Excel workbooks (``.xlsx``) are read with openpyxl (the first sheet or a named one) and
then recognised in the same way. A fields file that declares ``header_rows`` is read as
before, with that many header rows and the first one naming the columns.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "monkey.csv"
>>> _ = path.write_text("Respondent ID,Age,Which fruit?,,\\n,Response,Apples,Pears,Other\\n"
...                     "101,34,Apples,,Kiwi\\n", encoding="utf-8")
>>> export = read_export(path)
>>> export.tool, export.header_rows
('SurveyMonkey', 2)
>>> export.columns[2:]
('Which fruit? - Apples', 'Which fruit? - Pears', 'Which fruit? - Other')
>>> export.table.loc[3, "Which fruit? - Other"]
'Kiwi'
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from peerstudy.cleaning.workbooks import DATE_FORMATS, read_workbook
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import _csv_row_of, _read_text, read_csv_table

__all__ = [
    "PLACEHOLDERS",
    "REDCAP_ROW_COLUMNS",
    "ROW_NUMBER",
    "SurveyExport",
    "guess_delimiter",
    "read_export",
    "recognise_tool",
    "redcap_row_rules",
]

#: Cell values a tool writes where there is no answer, by tool (compared case-insensitively).
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "REDCap": ("[not completed]", "[not started]", "[no data]"),
}
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_MONKEY_PLAIN = ("response", "open-ended response")
_MONKEY_META = ("respondent id", "collector id")
_LIME_CODES = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"}
_LIME_TEXTS = {
    "response id",
    "date submitted",
    "last page",
    "start language",
    "seed",
    "date started",
    "date last action",
}
_FORMS_TIMESTAMP = ("timestamp", "zeitstempel", "horodateur", "marca temporal", "marca de temps", "tijdstempel")
_REDCAP_OPTION = re.compile(r"^(?P<base>.+?)___(?P<code>[^_].*)$")
_REDCAP_LABEL_OPTION = re.compile(r"^(?P<base>.+) \(choice=(?P<code>.+)\)$")
#: Headers a REDCap export with labels as headers writes once per form.
_REDCAP_REPEATED = ("Complete?", "Survey Timestamp", "Survey Identifier")
_LIME_OPTION = re.compile(r"^(?P<base>[^\[]+)\[(?P<code>[^\]]+)\]$")


#: The column an ``id`` field names to number the answers by their row in the export
#: (:meth:`SurveyExport.with_row_numbers`).
ROW_NUMBER = "(row number)"


@dataclass(frozen=True)
class SurveyExport:
    """One export read into a header and rows.

    Attributes
    ----------
    file
        The file as shown in messages (relative to the project root where possible).
    tool
        The tool recognised (``"Qualtrics"``, ``"REDCap"``, ...), or ``"CSV"``/``"Excel"``.
    header_rows
        Rows above the first answer.
    columns
        One unique name per column.
    labels
        The question text of each column ("" where the tool writes none).
    table
        The answers as text (an empty cell is ``""``), index = spreadsheet row number.
    placeholders
        Cell values the tool writes for "no answer" (besides the empty cell).
    date_formats
        How the file writes a cell that holds a date, whatever its display (a workbook's
        date cells: :data:`peerstudy.cleaning.workbooks.DATE_FORMATS`); none for text files.
    repeated
        Headers that head several columns, with their column numbers; each such column is
        named ``<header> (1)``, ``<header> (2)``, ... in ``columns``.
    """

    file: str
    tool: str
    header_rows: int
    columns: tuple[str, ...]
    labels: tuple[str, ...]
    table: pd.DataFrame
    placeholders: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    repeated: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def find_column(self, declared: str) -> str | None:
        """The column a fields file means by ``declared``: its name, else a question text
        that heads exactly one column."""
        if declared in self.table.columns:
            return declared
        hits = [
            c
            for c, label in zip(self.columns, self.labels, strict=False)
            if label and label.strip() == declared.strip()
        ]
        return hits[0] if len(hits) == 1 else None

    def option_columns(self, declared: str) -> list[tuple[str, str]]:
        """``(option, column)`` of a question written one column per option: REDCap
        ``name___code``, LimeSurvey ``name[code]``, SurveyMonkey ``question - option`` or
        KoBoToolbox ``question/choice``."""
        found = []
        for column in self.columns:
            for pattern in (_REDCAP_OPTION, _LIME_OPTION, _REDCAP_LABEL_OPTION):
                match = pattern.match(column)
                if match and match["base"].strip() == declared.strip():
                    found.append((match["code"], column))
            if column.startswith(declared + " - ") and self.tool.startswith("SurveyMonkey"):
                found.append((column[len(declared) + 3 :], column))
            if column.startswith(declared + "/") and self.tool.startswith("KoBoToolbox"):
                found.append((column[len(declared) + 1 :], column))
        return found

    def with_row_numbers(self) -> SurveyExport:
        """The export with one more column, :data:`ROW_NUMBER`: each answer's row number as
        a spreadsheet shows the file (2 for the first answer under one header row), for a
        tool that writes no respondent number (Google Forms).

        Examples
        --------
        >>> answers = pd.DataFrame({"Timestamp": ["a", "b"]}, index=[2, 3])
        >>> export = SurveyExport("f.csv", "Google Forms", 1, ("Timestamp",), ("",), answers)
        >>> export.with_row_numbers().table[ROW_NUMBER].tolist()
        ['2', '3']
        """
        table = self.table.assign(**{ROW_NUMBER: self.table.index.astype(str)})
        return replace(self, columns=(*self.columns, ROW_NUMBER), labels=(*self.labels, ""), table=table)

    def is_missing(self, cell: str) -> bool:
        """Whether ``cell`` is empty or one of the tool's placeholders."""
        text = cell.strip().casefold()
        return text == "" or text in self.placeholders

    def tidy(self) -> pd.DataFrame:
        """One row per answered cell: ``row``, ``column``, ``question``, ``field`` (the
        question a one-column-per-option column belongs to, else the column), ``option``
        and ``value``; empty cells and placeholders are left out."""
        groups = {
            column: (match["base"], match["code"])
            for column in self.columns
            for match in [
                _REDCAP_OPTION.match(column) or _LIME_OPTION.match(column) or _REDCAP_LABEL_OPTION.match(column)
            ]
            if match
        }
        rows = []
        for column, label in zip(self.columns, self.labels, strict=False):
            base, option = groups.get(column, (column, None))
            for row, cell in zip(self.table.index.tolist(), self.table[column].tolist(), strict=True):
                if not self.is_missing(cell):
                    rows.append((int(row), column, label, base, option, cell))
        frame = pd.DataFrame(rows, columns=["row", "column", "question", "field", "option", "value"])
        return frame.astype({"row": "int64"})


#: Columns of a REDCap export that say what a row is (an event of a longitudinal project,
#: an instance of a repeating instrument, a data access group), not who answered.
REDCAP_ROW_COLUMNS = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
)


def redcap_row_rules(table: SurveyExport) -> dict[str, str]:
    """Exclusion rules (YAML flow text, by the column each tests) that keep one row per
    record of a REDCap export with several rows per record: the rows of the first event
    of a longitudinal project, and no row of a repeating instrument. Empty for other
    exports.

    Examples
    --------
    >>> rows = pd.DataFrame({"record_id": ["1", "1"], "redcap_event_name": ["baseline_arm_1", "followup_arm_1"]},
    ...                     index=[2, 3])
    >>> redcap_row_rules(SurveyExport("e.csv", "REDCap", 1, ("record_id", "redcap_event_name"), ("", ""), rows))
    {'redcap_event_name': '{reason: another event than baseline_arm_1, column: "redcap_event_name", not_equals: ["baseline_arm_1"]}'}
    """
    rules = {}
    if "redcap_event_name" in table.table:
        events = [e for e in dict.fromkeys(table.table["redcap_event_name"]) if not table.is_missing(e)]
        if len(events) > 1:
            rules["redcap_event_name"] = (
                f'{{reason: another event than {events[0]}, column: "redcap_event_name", not_equals: ["{events[0]}"]}}'
            )
    instrument = "redcap_repeat_instrument"
    if instrument in table.table and not table.table[instrument].map(table.is_missing).all():
        rules[instrument] = f'{{reason: a row of a repeating instrument, column: "{instrument}", not_equals: [""]}}'
    return rules


def recognise_tool(records: list[list[str]]) -> tuple[str, int]:
    """The tool that wrote an export and its number of header rows, from its first rows.

    Examples
    --------
    >>> recognise_tool([["Timestamp", "How are you?"], ["2024/03/01 9:00:01", "Fine"]])
    ('Google Forms', 1)
    >>> recognise_tool([["ID", "Start time", "Completion time", "Email"], ["1", "5/2/24 10:00:00", "", ""]])
    ('Microsoft Forms', 1)
    >>> recognise_tool([["age", "_id", "_uuid", "_submission_time"], ["34", "101", "a1b2", "2024-05-01T09:06:31"]])
    ('KoBoToolbox', 1)
    >>> recognise_tool([["record_id", "fruit___1"], ["1", "0"]])
    ('REDCap', 1)
    >>> recognise_tool([["a", "b"], ["1", "2"]])
    ('CSV', 1)
    """
    first = [c.strip() for c in records[0]] if records else []
    second = [c.strip() for c in records[1]] if len(records) > 1 else []
    third = [c.strip() for c in records[2]] if len(records) > 2 else []
    lowered = {c.casefold() for c in first}
    if third and sum(c.startswith('{"ImportId"') for c in third) >= max(1, len([c for c in third if c]) // 2):
        return "Qualtrics", 3
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        return "Qualtrics (legacy)", 2
    plain = sum(c.casefold() in _MONKEY_PLAIN for c in second)
    if any(m in lowered for m in _MONKEY_META) or plain >= 2 or (plain and "" in first[1:]):
        return "SurveyMonkey", 2
    if {"_uuid", "_submission_time"} <= lowered:
        return "KoBoToolbox", 1
    if first and first[0].casefold() in _FORMS_TIMESTAMP:
        return "Google Forms", 1
    if [c.casefold() for c in first[:3]] == ["id", "start time", "completion time"]:
        return "Microsoft Forms", 1
    if len(lowered & _LIME_CODES) >= 3 or len(lowered & _LIME_TEXTS) >= 3:
        return "LimeSurvey", 1
    if (
        (first and first[0] == "record_id")
        or any(_REDCAP_OPTION.match(c) or _REDCAP_LABEL_OPTION.match(c) for c in first)
        or (first and first[0] == "Record ID" and "Complete?" in first)
        or any(c.startswith("redcap_") or c.endswith("_complete") for c in first)
    ):
        return "REDCap", 1
    return "CSV", 1


def guess_delimiter(text: str) -> str:
    """The delimiter of a CSV export: a comma, or the semicolon or tab that spreadsheet
    programs in many locales write, whichever the header line holds most of (outside quotes).

    Examples
    --------
    >>> guess_delimiter('id;"Age, years";Sex\\n1;34;f\\n'), guess_delimiter("id,age\\n1,2\\n")
    (';', ',')
    """
    unquoted, quoted = [], False
    for char in text[:65536]:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            break
        elif not quoted:
            unquoted.append(char)
    line = "".join(unquoted)
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_export(
    path: str | Path, *, header_rows: int | None = None, sheet: str | None = None, parameter: str | None = None
) -> SurveyExport:
    """Read a survey export (CSV or ``.xlsx``), recognising the tool that wrote it.

    Parameters
    ----------
    path
        The export, relative to the project root or absolute.
    header_rows
        Declared header rows: the first names the columns, the others are skipped, and the
        tool is not guessed. ``None``: recognise the tool from the content.
    sheet
        For a workbook, the sheet to read (default: the first).
    parameter
        The study parameter that points at the file, for the fix hint.

    Returns
    -------
    SurveyExport

    Raises
    ------
    InputError
        The file cannot be read (see :func:`peerstudy.io.readers.read_csv_table`), an
        ``.xlsx`` is not a workbook, the sheet does not exist, two columns have one name
        (for SurveyMonkey: one sub-question declared twice), or a row has more cells than
        the header.
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    excel = p.suffix.lower() in _EXCEL_SUFFIXES
    if header_rows is not None and not excel:
        table = read_csv_table(p, header_rows=header_rows, parameter=parameter)
        return SurveyExport(
            file=shown,
            tool="CSV",
            header_rows=header_rows,
            columns=tuple(table.columns),
            labels=("",) * len(table.columns),
            table=table,
        )
    if excel:
        records = read_workbook(p, shown, sheet, parameter)
    else:
        text = _read_text(p, encoding="utf-8-sig", what="a CSV file", parameter=parameter, row_of=_csv_row_of)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text)))
    tool, rows = ("Excel", header_rows) if header_rows is not None else recognise_tool(records)
    if excel and header_rows is None:
        tool = f"{tool} (Excel workbook)" if tool != "CSV" else "Excel"
    export = _build(records, shown, tool, rows)
    return replace(export, date_formats=DATE_FORMATS) if excel else export


def _build(records: list[list[str]], shown: str, tool: str, header_rows: int) -> SurveyExport:
    if len(records) < header_rows + 1:
        raise InputError(
            Problem(
                file=shown,
                expected="at least one data row",
                found="only the header" if records else "no rows",
                fix="re-export the file with its data",
            )
        )
    names, labels = _name_columns(records, tool, header_rows)
    keep = [
        i for i, name in enumerate(names) if name or any(i < len(r) and r[i].strip() for r in records[header_rows:])
    ]
    names, repeated = (names, {}) if tool.startswith("SurveyMonkey") else _number_names(names, keep)
    problems = _check_names(names, keep, shown, tool)
    body = records[header_rows:]
    for offset, rec in enumerate(body):
        if len(rec) > len(names) and any(c.strip() for c in rec[len(names) :]):
            problems.append(
                Problem(
                    file=shown,
                    row=header_rows + offset + 1,
                    expected=f"at most {len(names)} cells",
                    found=f"{len(rec)} cells",
                    fix="quote the cell that contains a comma, or remove the extra cells",
                )
            )
    if problems:
        raise InputError(problems)
    rows = [[(rec + [""] * len(names))[i] for i in keep] for rec in body]
    index = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(rows), name="row")
    columns = [names[i] or f"column {i + 1}" for i in keep]
    table = pd.DataFrame(rows, columns=columns, index=index, dtype=str)
    tool_name = tool.removesuffix(" (Excel workbook)")
    return SurveyExport(
        file=shown,
        tool=tool,
        header_rows=header_rows,
        columns=tuple(columns),
        labels=tuple(labels[i] for i in keep),
        table=table,
        placeholders=PLACEHOLDERS.get(tool_name, ()),
        repeated=repeated,
    )


def _number_names(names: list[str], keep: list[int]) -> tuple[list[str], dict[str, tuple[int, ...]]]:
    """Columns that share a header (Google Forms and Microsoft Forms allow two questions of
    one title) named ``<header> (1)``, ``<header> (2)``, ..., and for each such header the
    column numbers (1-based) it heads.

    Examples
    --------
    >>> _number_names(["id", "Any comments?", "Age", "Any comments?"], [0, 1, 2, 3])
    (['id', 'Any comments? (1)', 'Age', 'Any comments? (2)'], {'Any comments?': (2, 4)})
    """
    columns: dict[str, list[int]] = {}
    for i in keep:
        if names[i]:
            columns.setdefault(names[i], []).append(i)
    named = list(names)
    repeated = {}
    for name, where in columns.items():
        if len(where) > 1:
            repeated[name] = tuple(i + 1 for i in where)
            for k, i in enumerate(where, 1):
                named[i] = f"{name} ({k})"
    return named, repeated


def _name_columns(records: list[list[str]], tool: str, header_rows: int) -> tuple[list[str], list[str]]:
    """One name and one question text per column, as the tool lays its header out."""
    width = max(len(r) for r in records[: header_rows + 1])
    head = [[(r + [""] * width)[i].strip() for i in range(width)] for r in records[:header_rows]]
    first = head[0]
    if tool.startswith("SurveyMonkey"):
        return _name_monkey(first, head[1])
    if header_rows >= 2 and tool.startswith("Qualtrics"):
        return first, head[1]
    if tool.startswith("REDCap"):
        return _number_repeats(first), [""] * width
    return first, [""] * width


def _number_repeats(names: list[str]) -> list[str]:
    """REDCap's labels-as-headers export repeats "Complete?" (and the survey timestamp)
    once per form: the second is named "Complete? (2)", and so on.

    Examples
    --------
    >>> _number_repeats(["Record ID", "Complete?", "Mood", "Complete?"])
    ['Record ID', 'Complete?', 'Mood', 'Complete? (2)']
    """
    seen: dict[str, int] = {}
    named = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        named.append(f"{name} ({seen[name]})" if name in _REDCAP_REPEATED and seen[name] > 1 else name)
    return named


def _name_monkey(first: list[str], second: list[str]) -> tuple[list[str], list[str]]:
    """SurveyMonkey: a question heads its first column; blank cells continue it."""
    owner, question = [], ""
    for cell in first:
        question = cell or question
        owner.append(question)
    names = []
    for i, (q, sub) in enumerate(zip(owner, second, strict=False)):
        spans = sum(1 for o in owner if o == q) > 1 and q != ""
        if not spans or (sub.casefold() in _MONKEY_PLAIN and first[i]):
            names.append(q if first[i] or not sub else sub)
        else:
            names.append(f"{q} - {sub}" if sub else q)
    return names, owner


def _check_names(names: list[str], keep: list[int], shown: str, tool: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i in keep:
        name = names[i]
        if name in seen:
            if tool.startswith("SurveyMonkey") and " - " in name:
                question, sub = name.split(" - ", 1)
                problems.append(
                    Problem(
                        file=shown,
                        row=2,
                        field=name,
                        expected="each sub-question once under its question",
                        found=f"sub-question {sub!r} of {question!r} in columns {seen[name]} and {i + 1}",
                        fix="re-export the survey from SurveyMonkey, or remove the repeated column in a "
                        "corrected copy of the export",
                    )
                )
            else:
                problems.append(
                    Problem(
                        file=shown,
                        row=1,
                        field=name,
                        expected="unique column names",
                        found=f"{name!r} in columns {seen[name]} and {i + 1}",
                        fix="rename or remove one of the two columns",
                    )
                )
        seen.setdefault(name, i + 1)
    return problems
