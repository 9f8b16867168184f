"""Clean a tabular export (a survey, a participants sheet) into tidy tables, logging every change.

An export is described by a *fields file* (YAML, one per study, e.g.
``studies/supporter-survey/fields.yaml``): for each field, the column header the survey
tool wrote, its type, and the rules that turn raw spellings into clean values. The same
code therefore cleans any questionnaire export; a new survey needs a new fields file, not
new code.

Field types and what cleaning does to each:

``id``
    The questionnaire or participant identifier: a whole number (as ``integer``) or, if
    it is not one, the trimmed text (``P1``); unique among returned rows.
``integer``
    Unicode NFKC (full-width digits become ASCII), outer spaces removed, declared unit
    words removed (``units``), then a whole number within ``min``/``max``.
``number``
    Like ``integer``, with decimals written with a point (``0.5``); ``min``/``max`` may
    have decimals too.
``likert``
    An ordered answer: one of the declared ``levels`` (a list of labels, lowest first,
    scored 1, 2, ...; or a mapping of score to label), written as its label or its score;
    kept as the score. ``reverse: true`` reverse-scores the item (lowest + highest - score).
``datetime``
    Parsed with the declared ``format`` (one or a list of formats), field by field.
``category``
    Compared case- and space-insensitively (NFKC, case-folded, inner spaces collapsed,
    a trailing full stop dropped) with the spellings listed under each canonical label in
    ``categories``; the canonical label is kept.
``boolean``
    Like ``category`` with the spellings under ``true`` and ``false``.
``multi``
    Several choices in one cell joined by ``separator``; each trimmed, rejoined with
    ``"; "``. With declared ``options`` (a list of labels, or a mapping of code to
    label), the cell must hold declared options (by label or code), matched whole so that
    an option may contain the separator, kept as labels in the declared order. A question
    the tool writes one column per option (REDCap ``name___1``, LimeSurvey ``name[SQ001]``,
    SurveyMonkey ``question - option``) is read as one ``multi`` field: a column marked
    ``1``, ``Checked``, ``Y`` or with the option's text ticks the option.
``label``
    A short attribute kept as written (a group, a dyad id): Unicode NFC, spaces
    collapsed and trimmed.
``text``
    Free text: first de-identified (e-mail addresses and phone numbers always, names and
    places from a key file when one is given; see :mod:`peerstudy.cleaning.deid`), then Unicode
    NFC, line endings as ``\\n``, trailing spaces on each line and outer blank space
    removed; everything else (commas, quotes, non-ASCII) kept as is.

In every field, a value listed under ``missing`` (after trimming, case-insensitive)
means "no answer", as do the tool's own placeholders (REDCap's ``[not completed]``).
Rows excluded by the fields file's ``exclusions`` rules (see :mod:`peerstudy.cleaning.exclusions`)
are left out before cleaning, and :attr:`CleanExport.flow` counts them by reason.
The export is read by :mod:`peerstudy.cleaning.surveyexports`, which recognises the tool that wrote
it; the fields file is read by :mod:`peerstudy.cleaning.surveyfields`. Every change a rule makes is written to the cleaning log with file,
row, field, the value before and after, and the rule's name. All problems in the export
are collected and raised together as one :class:`~peerstudy.errors.InputError`.

Examples
--------
>>> normalise_label("  Mood  Disorder. ")
'mood disorder'
>>> parse_integer("３１", units=["years"])
31
>>> parse_integer("61 years", units=["years"])
61
>>> normalise_text('He said "thanks",\\r\\nthen left.  ')
'He said "thanks",\\nthen left.'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from peerstudy.cleaning.deid import DeidKey, deidentify, read_key, redaction_table
from peerstudy.cleaning.exclusions import Exclusions, apply_exclusions, flow_table
from peerstudy.cleaning.surveyexports import SurveyExport, read_export
from peerstudy.cleaning.surveyfields import FIELD_TYPES, Fields, FieldSpec, normalise_label, read_fields
from peerstudy.config import resolve_input
from peerstudy.errors import ConfigError, InputError, Problem

__all__ = [
    "FIELD_TYPES",
    "CleanExport",
    "CleaningLog",
    "clean_export",
    "normalise_label",
    "normalise_text",
    "parse_integer",
    "parse_number",
    "read_fields",
    "split_choices",
]

_LOG_COLUMNS = ["file", "row", "field", "before", "after", "rule"]


# --------------------------------------------------------------------------- rules
def normalise_text(value: str) -> str:
    """Free text with Unicode NFC, ``\\n`` line endings, no trailing spaces, no outer blanks.

    Idempotent: ``normalise_text(normalise_text(x)) == normalise_text(x)``.

    Examples
    --------
    >>> normalise_text("  café\\r\\n\\r\\nnext line \\r")
    'café\\n\\nnext line'
    """
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip()


def parse_integer(value: str, units: Iterable[str] = ()) -> int | None:
    """A whole number from a hand-typed cell, or ``None`` if it is not one.

    Examples
    --------
    >>> parse_integer("29歳", units=["歳"])
    29
    >>> parse_integer(" 54 yrs", units=["years", "yrs"])
    54
    >>> parse_integer("about forty") is None
    True
    """
    text = _strip_unit(value, units)
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _strip_unit(value: str, units: Iterable[str]) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    for unit in sorted(units, key=len, reverse=True):
        unit = unicodedata.normalize("NFKC", unit)
        if text.casefold().endswith(unit.casefold()):
            return text[: len(text) - len(unit)].strip()
    return text


def parse_number(value: str, units: Iterable[str] = ()) -> float | None:
    """A number with or without decimals (a point) from a hand-typed cell, or ``None``.

    Examples
    --------
    >>> parse_number("0.5 years", units=["years"])
    0.5
    >>> parse_number("１２") , parse_number("-.25"), parse_number("1,5")
    (12.0, -0.25, None)
    """
    text = _strip_unit(value, units)
    return float(text) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) else None


def _choice_key(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value).casefold()).strip()


def split_choices(value: str, options: Sequence[tuple[str, str]], separator: str = ";") -> list[str] | None:
    """The declared options (their labels, in the order written) in a cell of several
    choices, matching whole options first so that an option may contain the separator;
    ``None`` if some part of the cell is not a declared option.

    Examples
    --------
    >>> opts = [("1", "Apples, red"), ("2", "Pears")]
    >>> split_choices("apples, red, Pears", opts, separator=",")
    ['Apples, red', 'Pears']
    >>> split_choices("2;1", opts)
    ['Pears', 'Apples, red']
    >>> split_choices("Plums", opts) is None
    True
    """
    text, sep = _choice_key(value), _choice_key(separator) or separator
    candidates = sorted(
        ((_choice_key(k), label) for code, label in options for k in (label, code)),
        key=lambda c: len(c[0]),
        reverse=True,
    )
    found, pos = [], 0
    while pos < len(text):
        for key, label in candidates:
            end = pos + len(key)
            rest = text[end:].lstrip()
            if key and text.startswith(key, pos) and (not rest or rest.startswith(sep)):
                found.append(label)
                pos = len(text) - len(rest) + (len(sep) if rest else 0)
                pos += len(text[pos:]) - len(text[pos:].lstrip())
                break
        else:
            return None
    return found


# --------------------------------------------------------------------------- log
@dataclass
class CleaningLog:
    """Every change made to the raw data: file, row, field, before, after, rule."""

    file: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(self, row: int | None, field: str, before: Any, after: Any, rule: str) -> None:
        """Add one change."""
        self.entries.append(
            {
                "file": self.file,
                "row": row,
                "field": field,
                "before": _show(before),
                "after": _show(after),
                "rule": rule,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The log as a table, in the order changes were made."""
        frame = pd.DataFrame(self.entries, columns=_LOG_COLUMNS)
        return frame.astype({"row": "Int64"})


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "(missing)"
    return str(value)


# --------------------------------------------------------------------------- cleaning
@dataclass
class CleanExport:
    """The result of cleaning one export.

    Attributes
    ----------
    questionnaires
        One row per questionnaire number in the export: ``questionnaire``, ``returned``.
    participants
        One row per returned questionnaire: ``participant`` (the id as text) and every
        non-text field, typed.
    documents
        One row per analysed free-text answer: ``document``, ``participant``, the id
        field (e.g. ``questionnaire``), ``kind``, ``question``, ``text``.
    log
        The cleaning log (file, row, field, before, after, rule); free text appears in
        it de-identified.
    redactions
        How many identifiers of each kind were replaced in free text (``kind``,
        ``replaced``; see :mod:`peerstudy.cleaning.deid`).
    flow
        The participant flow (``step``, ``reason``, ``n``): rows received, excluded by
        each declared rule in order, then unreturned (blank) and identical double
        entries, and the participants analysed.
    """

    questionnaires: pd.DataFrame
    participants: pd.DataFrame
    documents: pd.DataFrame
    log: pd.DataFrame
    redactions: pd.DataFrame
    flow: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> pd.DataFrame:
        """Counts of what cleaning produced and changed, for display."""
        rules = self.log["rule"].value_counts().sort_index()
        rows = [
            ("questionnaires in export", len(self.questionnaires)),
            ("returned", int(self.questionnaires["returned"].sum())),
            ("participants", len(self.participants)),
            ("free-text answers analysed", len(self.documents)),
        ]
        rows += [(f"changes: {rule}", int(n)) for rule, n in rules.items()]
        return pd.DataFrame(rows, columns=["item", "n"]).set_index("item")


_TICKED = {"1", "checked", "y", "yes", "true", "x"}
_UNTICKED = {"", "0", "unchecked", "n", "no", "false", "not selected"}
_RULE_CATEGORY = "spelling variant → canonical label"


def _parse_cell(spec: FieldSpec, raw: str, missing: tuple[str, ...]) -> tuple[Any, str | None, str | None]:
    """(value, rule that changed it or None, problem text or None) for one cell."""
    if raw.strip() == "" or normalise_label(raw) in missing:
        return None, ("missing marker → no answer" if raw != "" else None), None
    if spec.type == "id" and parse_integer(raw) is None:
        value = unicodedata.normalize("NFKC", raw).strip()
        return value, (None if value == raw else "identifier: spaces removed"), None
    if spec.type in ("id", "integer"):
        value = parse_integer(raw, spec.units)
        if value is None:
            units = f" (optionally followed by {', '.join(map(repr, spec.units))})" if spec.units else ""
            return None, None, f"a whole number{units}"
        return value, (None if raw == str(value) else "number: spaces, unit or full-width digits removed"), None
    if spec.type == "number":
        number = parse_number(raw, spec.units)
        if number is None:
            units = f" (optionally followed by {', '.join(map(repr, spec.units))})" if spec.units else ""
            return None, None, f"a number such as 12 or 0.5{units}"
        unchanged = _strip_unit(raw, ()) == raw and parse_number(raw) is not None
        return number, (None if unchanged else "number: spaces, unit or full-width digits removed"), None
    if spec.type == "datetime":
        for fmt in spec.formats:
            try:
                return pd.Timestamp(datetime.strptime(raw.strip(), fmt)), None, None
            except ValueError:
                continue
        return None, None, f"a date and time as {' or '.join(spec.formats)}"
    if spec.type in ("category", "boolean"):
        return _parse_category(spec, raw)
    if spec.type == "likert":
        return _parse_likert(spec, raw)
    if spec.type == "multi":
        return _parse_multi(spec, raw)
    if spec.type == "label":
        value = " ".join(unicodedata.normalize("NFC", raw).split())
        return value, (None if value == raw else "label: spaces removed"), None
    value = normalise_text(raw)
    return value, (None if value == raw else "text: Unicode NFC, line endings, outer spaces"), None


def _parse_category(spec: FieldSpec, raw: str) -> tuple[Any, str | None, str | None]:
    key = normalise_label(raw)
    for canonical, spellings in spec.categories.items():
        if key in spellings:
            changed = raw != spec.spelling[canonical]
            rule = _RULE_CATEGORY if spec.type == "category" else "yes/no spelling → true/false"
            return canonical, (rule if changed else None), None
    allowed = "; ".join(f"{c}: {', '.join(s)}" for c, s in spec.categories.items())
    return None, None, f"one of the declared spellings ({allowed})"


def _parse_likert(spec: FieldSpec, raw: str) -> tuple[Any, str | None, str | None]:
    """A Likert answer (a level's score or label) as its score, reversed for a reverse-scored item."""
    key = normalise_label(raw)
    score = next((n for n, label in spec.levels if key in (str(n), normalise_label(label))), None)
    if score is None:
        levels = ", ".join(f"{n} = {label}" for n, label in spec.levels)
        return None, None, f"one of the levels ({levels})"
    if spec.reverse:
        low, high = spec.levels[0][0], spec.levels[-1][0]
        return low + high - score, f"likert: reverse-scored ({low}..{high})", None
    return score, (None if raw == str(score) else "likert: level label → score"), None


def _parse_multi(spec: FieldSpec, raw: str) -> tuple[Any, str | None, str | None]:
    if spec.options:
        chosen = split_choices(raw, spec.options, spec.separator)
        if chosen is None:
            labels = "; ".join(label for _, label in spec.options)
            return None, None, f"declared options separated by {spec.separator!r} ({labels})"
        order = [label for _, label in spec.options]
        value = "; ".join(sorted(set(chosen), key=order.index))
        return value, (None if value == raw else "choices: declared options, separators normalised"), None
    parts = [p.strip() for p in unicodedata.normalize("NFC", raw).split(spec.separator)]
    value = "; ".join(p for p in parts if p)
    return value, (None if value == raw else "choices: separators and spaces normalised"), None


def _parse_option_columns(
    spec: FieldSpec, cells: list[tuple[str, str, str]], missing: tuple[str, ...], any_mark: bool = False
) -> tuple[Any, str | None, str | None]:
    """A multi field written one column per option: ``cells`` holds (option, column, cell);
    with ``any_mark`` (SurveyMonkey), any answer in an option's column ticks it (the
    option's text, or what was typed under "Other")."""
    labels = {_choice_key(k): label for code, label in spec.options for k in (code, label)}
    chosen, ticked = [], []
    for option, column, cell in cells:
        mark = normalise_label(cell)
        if (
            (any_mark and mark not in missing and mark != "")
            or mark in _TICKED
            or mark in (_choice_key(option), _choice_key(labels.get(_choice_key(option), option)))
        ):
            chosen.append(labels.get(_choice_key(option), option))
            ticked.append(column)
        elif mark not in _UNTICKED and mark not in missing:
            return (
                None,
                None,
                (
                    f"in column {column!r} a ticked (1, Checked, Y or the option's text) or unticked "
                    f"(0, Unchecked, empty) mark, found {cell!r}"
                ),
            )
    if not chosen:
        return None, None, None
    order = {label: i for i, (_, label) in enumerate(spec.options)}
    chosen.sort(key=lambda label: order.get(label, len(order)))
    return "; ".join(chosen), "option columns → one multi answer", None


def _resolve_columns(export: SurveyExport, spec: Fields) -> tuple[dict[str, Any], list[Problem]]:
    """For each field, its column, or (option, column) pairs for a multi field written one
    column per option; a Problem listing every declared column that is absent."""
    where: dict[str, Any] = {}
    missing = []
    for s in spec.specs:
        column = export.find_column(s.column)
        options = export.option_columns(s.column) if column is None and s.type == "multi" else []
        if column is not None:
            where[s.name] = column
        elif options:
            where[s.name] = options
        else:
            missing.append(s.column)
    if not missing:
        return where, []
    return where, [
        Problem(
            file=export.file,
            row=1,
            field=", ".join(missing),
            expected=f"column(s) {', '.join(map(repr, missing))}",
            found=f"columns {', '.join(map(repr, export.columns))}",
            fix="restore the column in the export, or correct the column name declared for it",
        )
    ]


def clean_export(
    export: str | Path,
    fields: str | Path | Fields,
    *,
    text_fields: Sequence[str] = (),
    analyse_text_if: str | None = None,
    deid_key: str | Path | DeidKey | None = None,
) -> CleanExport:
    """Read an export (survey answers, a participants sheet), clean and validate it
    against its declared fields.

    Parameters
    ----------
    export
        The export, relative to the project root or absolute: a CSV file (UTF-8, with or
        without BOM) or an ``.xlsx`` workbook, from any tool :mod:`peerstudy.cleaning.surveyexports`
        recognises.
    fields
        The fields file (or an already read :class:`Fields`).
    text_fields
        Free-text fields that become documents for coding.
    analyse_text_if
        A boolean field; free text is analysed only for participants where it is true
        (the others' answers are set aside and logged).
    deid_key
        A reviewed de-identification key (its file, or as read by
        :func:`peerstudy.cleaning.deid.read_key`) whose names and places are redacted from every
        free-text answer. E-mail addresses and phone numbers are redacted with or
        without a key. Redaction comes first, so the cleaning log never holds them.

    Returns
    -------
    CleanExport

    Raises
    ------
    InputError
        Listing every problem in the export: unparseable values, values out of range,
        unknown spellings, missing required answers, conflicting duplicate submissions.

    Examples
    --------
    >>> result = clean_export("tests/fixtures/mini-survey/export.csv", "tests/fixtures/mini-survey/fields.yaml")
    >>> result.participants["age"].tolist()
    [30, 45, 60]
    """
    spec = fields if isinstance(fields, Fields) else read_fields(fields)
    problems = _check_options(spec, text_fields, analyse_text_if)
    if problems:
        raise ConfigError(problems)
    table = read_export(
        resolve_input(export), header_rows=spec.header_rows, sheet=spec.sheet, parameter="survey_export"
    )
    where, problems = _resolve_columns(table, spec)
    if problems:
        raise InputError(problems)
    shown = table.file
    log = CleaningLog(file=shown)
    for extra in range(2, table.header_rows + 1):
        log.record(extra, "(whole row)", "sub-header row", "(dropped)", "extra header row dropped")
    missing = spec.missing + tuple(normalise_label(p) for p in table.placeholders)
    key = deid_key if isinstance(deid_key, DeidKey) else read_key(deid_key) if deid_key else DeidKey()
    excluded = _exclude(table, spec, missing, log)
    body = table.table.loc[excluded.kept]
    typed, redacted, problems = _parse_rows(table, body, spec, where, missing, key, log)
    typed, questionnaires, more, dropped = _drop_blank_and_duplicates(typed, spec, shown, log)
    problems = excluded.problems + problems + more + _validate(typed, spec, shown)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row is None, p.row or 0)))

    participants = typed[[s.name for s in spec.specs if s.type != "text"]].copy()
    if spec.id == "participant":
        participants["participant"] = participants["participant"].map(str)
    else:
        participants.insert(0, "participant", participants[spec.id].map(str))
    participants = _typed_columns(participants.reset_index(drop=True), spec)
    documents = _documents(typed, spec, text_fields, analyse_text_if, log)
    questionnaires = questionnaires.astype({spec.id: _id_dtype(questionnaires[spec.id]), "returned": "bool"})
    questionnaires = questionnaires.reset_index(drop=True)
    return CleanExport(
        questionnaires=questionnaires,
        participants=participants,
        documents=documents,
        log=log.to_frame(),
        redactions=redaction_table(redacted),
        flow=flow_table(len(table.table), excluded.counts + dropped, len(participants)),
    )


def _exclude(table: SurveyExport, spec: Fields, missing: tuple[str, ...], log: CleaningLog) -> Exclusions:
    """Apply the declared exclusion rules (their columns found by name or question text)."""
    rules, unknown = [], []
    for i, rule in enumerate(spec.exclusions, 1):
        column = table.find_column(rule.column)
        if column is None:
            unknown.append(
                Problem(
                    file=spec.file,
                    field=f"exclusions[{i}].column",
                    expected=f"a column of {table.file} (its name or question text)",
                    found=repr(rule.column),
                    fix="correct the rule's column; the export's columns are " + ", ".join(map(repr, table.columns)),
                )
            )
        rules.append(replace(rule, column=column))
    if unknown:
        raise ConfigError(unknown)
    result = apply_exclusions(table.table, tuple(rules), file=table.file, missing=missing)
    for row, column, value, reason in result.excluded.itertuples(index=False):
        log.record(row, column, value, "(excluded)", f"excluded: {reason}")
    return result


def _parse_rows(
    table: SurveyExport,
    body: pd.DataFrame,
    spec: Fields,
    where: dict[str, Any],
    missing: tuple[str, ...],
    key: DeidKey,
    log: CleaningLog,
) -> tuple[pd.DataFrame, Counter, list[Problem]]:
    """Every declared field of every row of ``body`` (the export's rows left in), typed;
    problems for cells that cannot be read.

    Cleaning goes column by column, reading each distinct cell (survey answers repeat a
    lot) once; the log and the problems keep the order of a row-by-row reading."""
    redacted: Counter = Counter()
    rows = [int(row) for row in body.index]
    width = len(spec.specs)
    values: dict[str, list[Any]] = {}
    found: dict[int, tuple[Any, Any, str | None, str | None]] = {}
    for i, s in enumerate(spec.specs):
        column = where[s.name]
        if isinstance(column, list):
            codes, parsed = _parse_option_column_cells(s, body, column, missing, table.tool.startswith("SurveyMonkey"))
        else:
            codes, parsed = _parse_column_cells(s, body[column], missing, key, redacted)
        column_values = [value for value, _, _, _ in parsed]
        values[s.name] = [column_values[c] for c in codes.tolist()]
        flagged = np.array([bool(rule or expected) for _, rule, expected, _ in parsed] + [False], dtype=bool)
        shown: dict[int, tuple[Any, Any, str | None, str | None]] = {}
        for pos in flagged[codes].nonzero()[0].tolist():
            code = int(codes[pos])
            if code not in shown:  # the log's text of a change, made once per distinct cell
                value, rule, expected, cell = parsed[code]
                before = cell[1] if isinstance(cell, tuple) else cell
                shown[code] = (value, rule, expected, cell) if expected else (_show(value), rule, None, _show(before))
            found[pos * width + i] = shown[code]
    problems = []
    for place in sorted(found):
        pos, i = divmod(place, width)
        value, rule, expected, cell = found[place]
        s = spec.specs[i]
        if expected:
            problems.append(
                Problem(
                    file=table.file,
                    row=rows[pos],
                    field=s.column,
                    expected=expected,
                    found=f"columns {cell[0]}" if isinstance(cell, tuple) else repr(cell),
                    fix=_parse_fix(s, spec.file),
                )
            )
        else:
            log.entries.append(
                {"file": log.file, "row": rows[pos], "field": s.column, "before": cell, "after": value, "rule": rule}
            )
    return pd.DataFrame(values, index=body.index), redacted, problems


def _parse_column_cells(
    s: FieldSpec, cells: pd.Series, missing: tuple[str, ...], key: DeidKey, redacted: Counter
) -> tuple[np.ndarray, list[tuple[Any, str | None, str | None, str]]]:
    """For one column, the code of each cell and (value, rule, problem, cell as shown)
    for each distinct cell, read (and, for free text, de-identified) once."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    counts = np.bincount(codes, minlength=len(uniques)) if s.type == "text" else None
    parsed = []
    for j, raw in enumerate(uniques.tolist()):
        cell = raw
        if s.type == "text":
            cell, found = deidentify(raw, key)
            for kind, n in found.items():
                redacted[kind] += n * int(counts[j])
        quick = None if s.type == "text" else _parse_plain(s, raw, missing)
        value, rule, expected = quick or _parse_cell(s, cell, missing)
        parsed.append((value, rule, expected, cell))
    return codes, parsed


_PLAIN_DIGITS = re.compile(r"[0-9]+")
_DATE_PARTS = {"%Y": r"([0-9]{4})", "%m": r"([0-9]{1,2})", "%d": r"([0-9]{1,2})", "%H": r"([0-9]{1,2})",
               "%M": r"([0-9]{1,2})", "%S": r"([0-9]{1,2})"}  # fmt: skip
_DATE_ORDER = ("%Y", "%m", "%d", "%H", "%M", "%S")


@lru_cache(maxsize=64)
def _plain_date_pattern(fmt: str) -> tuple[re.Pattern, list[int]] | None:
    """A strict pattern (ASCII digits, single spaces, no outer space) for a format made only
    of %Y %m %d %H %M %S and the separators - / : . and space, with the place of each
    directive in (year, month, day, hour, minute, second); None for any other format."""
    parts = re.split(r"(%[A-Za-z%])", fmt)
    directives = parts[1::2]
    literals = "".join(parts[0::2])
    if (
        not set(directives) <= set(_DATE_PARTS)
        or len(set(directives)) != len(directives)
        or not {"%Y", "%m", "%d"} <= set(directives)
        or set(literals) - set("-/:. ")
        or "  " in fmt
        or fmt != fmt.strip()
        or fmt.endswith(".")
        or not all(parts[2:-1:2])  # two directives side by side: left to strptime
    ):
        return None
    pattern = "".join(_DATE_PARTS.get(part, re.escape(part)) for part in parts)
    return re.compile(pattern), [_DATE_ORDER.index(d) for d in directives]


def _parse_plain(s: FieldSpec, raw: str, missing: tuple[str, ...]) -> tuple[Any, str | None, str | None] | None:
    """The reading of a plainly written cell (ASCII digits, no spaces or units: what a survey
    tool writes itself) without the general rules, giving what :func:`_parse_cell` gives;
    None when the cell is not plain, and the general rules read it."""
    if raw in missing:  # a plain cell is its own normalised label
        return None
    if (
        s.type in ("id", "integer")
        and _PLAIN_DIGITS.fullmatch(raw)
        and not any(u.strip()[-1:].isdigit() or not u.strip() for u in s.units)
    ):
        value = int(raw)
        return value, (None if raw == str(value) else "number: spaces, unit or full-width digits removed"), None
    if s.type == "datetime" and s.formats:
        plain = _plain_date_pattern(s.formats[0])
        match = plain[0].fullmatch(raw) if plain else None
        if match:
            parts = [1, 1, 1, 0, 0, 0]
            for place, text in zip(plain[1], match.groups(), strict=True):
                parts[place] = int(text)
            try:
                return pd.Timestamp(datetime(*parts)), None, None
            except ValueError:
                return None
    return None


def _parse_option_column_cells(
    s: FieldSpec, body: pd.DataFrame, column: list[tuple[str, str]], missing: tuple[str, ...], any_mark: bool
) -> tuple[np.ndarray, list[tuple[Any, str | None, str | None, tuple[str, str]]]]:
    """The code of each row and (value, rule, problem, (columns, cells as shown)) for each
    distinct combination of marks of a multi field written one column per option."""
    names = "; ".join(c for _, c in column)
    seen: dict[tuple[str, ...], int] = {}
    codes, parsed = [], []
    for marks in zip(*(body[c].tolist() for _, c in column), strict=True):
        code = seen.get(marks)
        if code is None:
            cells = [(o, c, m) for (o, c), m in zip(column, marks, strict=True)]
            value, rule, expected = _parse_option_columns(s, cells, missing, any_mark=any_mark)
            before = ", ".join(f"{c}={m}" for _, c, m in cells if normalise_label(m) not in _UNTICKED)
            code = seen[marks] = len(parsed)
            parsed.append((value, rule, expected, (names, before)))
        codes.append(code)
    return np.array(codes, dtype=np.intp), parsed


def _drop_blank_and_duplicates(
    typed: pd.DataFrame, spec: Fields, shown: str, log: CleaningLog
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem], list[tuple[str, int]]]:
    """Drop unreturned (blank) questionnaires and identical double entries; the
    questionnaires table; a Problem for each conflicting double entry; how many rows
    each of the two drops."""
    id_spec = spec[spec.id]
    answered = [s.name for s in spec.specs if s.name != spec.id and s.type != "datetime"]
    blank = typed[answered].isna().all(axis=1)
    ids = typed.loc[typed[spec.id].notna(), spec.id].drop_duplicates()
    questionnaires = pd.DataFrame({spec.id: ids, "returned": ids.isin(typed.loc[~blank, spec.id])}, index=ids.index)
    for row in typed.index[blank]:
        log.record(
            int(row),
            "(whole row)",
            f"{id_spec.column} {typed.at[row, spec.id]}, no answers",
            "(dropped)",
            "blank (unreturned) questionnaire dropped",
        )
    typed = typed.loc[~blank]
    compared = [s.name for s in spec.specs if s.compare_duplicates]
    first_row: dict[Any, int] = {}
    keep, problems = [], []
    # only rows whose identifier repeats can be double entries: the others are passed over
    repeated = typed[spec.id].notna() & typed[spec.id].duplicated(keep=False)
    for row, record in typed.loc[repeated].iterrows():
        key = record[spec.id]
        if key in first_row and pd.notna(key):
            if _same(typed.loc[first_row[key], compared], record[compared]):
                log.record(
                    int(row),
                    "(whole row)",
                    f"{id_spec.column} {key}, same answers as row {first_row[key]}",
                    "(dropped)",
                    "duplicate submission dropped",
                )
                keep.append(False)
                continue
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
                    field=id_spec.column,
                    expected=f"one submission per {id_spec.column}",
                    found=f"{key} again, with answers that differ from row {first_row[key]}",
                    fix="decide which submission is right and renumber or remove the other in a "
                    "corrected copy of the export",
                )
            )
        first_row.setdefault(key, int(row))
        keep.append(True)
    kept = [True] * len(typed)
    for pos, flag in zip(repeated.to_numpy().nonzero()[0], keep, strict=True):
        kept[pos] = flag
    dropped = [("not returned (no answers)", int(blank.sum())), ("identical double entry", keep.count(False))]
    return typed.loc[kept], questionnaires, problems, dropped


def _parse_fix(spec: FieldSpec, fields_file: str) -> str:
    """How to fix a cell that cleaning cannot read, by the field's type."""
    if spec.type == "datetime":
        return f"correct the cell, or add its format to the field's 'format' list in {fields_file}"
    if spec.type == "likert":
        return f"correct the cell, or declare the level under the field's 'levels' in {fields_file}"
    if spec.type == "number":
        return f"correct the cell (a number, with a point for decimals), or declare its unit word under the field's 'units' in {fields_file}"
    if spec.type in ("id", "integer"):
        return f"correct the cell (a whole number), or declare its unit word under the field's 'units' in {fields_file}"
    return f"correct the cell, or declare the spelling in {fields_file}"


def _check_options(spec: Fields, text_fields: Sequence[str], analyse_text_if: str | None) -> list[Problem]:
    problems = []
    for name in text_fields:
        if name not in spec.names or spec[name].type != "text":
            problems.append(
                Problem(
                    field="text_fields",
                    expected=f"names of text fields declared in {spec.file}",
                    found=repr(name),
                    fix="correct the study's 'text_fields' parameter",
                )
            )
    if analyse_text_if and (analyse_text_if not in spec.names or spec[analyse_text_if].type != "boolean"):
        problems.append(
            Problem(
                field="analyse_text_if",
                expected=f"a boolean field declared in {spec.file}",
                found=repr(analyse_text_if),
                fix="correct the study's 'analyse_text_if' parameter",
            )
        )
    return problems


def _same(a: pd.Series, b: pd.Series) -> bool:
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(a, b, strict=False))


def _schema(spec: Fields) -> pa.DataFrameSchema:
    columns = {}
    for s in spec.specs:
        checks = []
        if s.type in ("id", "integer", "number"):
            if s.min is not None:
                checks.append(pa.Check.ge(s.min))
            if s.max is not None:
                checks.append(pa.Check.le(s.max))
        if s.type == "category":
            checks.append(pa.Check.isin(list(s.categories)))
        # the id's uniqueness is checked by clean_export row by row (naming the earlier
        # row, and dropping identical double entries), so it is not repeated here
        columns[s.name] = pa.Column(checks=checks, nullable=not s.required, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


_CHECK_WORDS = {"not_nullable": "an answer (the field is required)"}


def _validate(typed: pd.DataFrame, spec: Fields, shown: str) -> list[Problem]:
    """Check the typed table against the declared schema; one Problem per failure."""
    try:
        _schema(spec).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for case in exc.failure_cases.itertuples():
            s = spec[case.column]
            check = str(case.check)
            expected = _CHECK_WORDS.get(check)
            fix = "correct the value in a corrected copy of the export"
            if check == "not_nullable":
                fix = f"fill in the answer in a corrected copy of the export, or declare the field not required in {spec.file}"
            elif s.type in ("id", "integer", "number"):
                expected = (
                    f"a number from {s.min} to {s.max}"
                    if s.min is not None and s.max is not None
                    else f"a number of at least {s.min}"
                    if s.min is not None
                    else f"a number of at most {s.max}"
                )
                fix += f", or the declared limits in {spec.file}"
            value = case.failure_case
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a column with missing answers holds whole numbers as floats
            problems.append(
                Problem(
                    file=shown,
                    row=None if pd.isna(case.index) else int(case.index),
                    field=s.column,
                    expected=expected or check,
                    found="no answer" if pd.isna(value) else repr(value),
                    fix=fix,
                )
            )
        return problems
    return []


def _typed_columns(frame: pd.DataFrame, spec: Fields) -> pd.DataFrame:
    dtypes = {}
    for s in spec.specs:
        if s.name not in frame:
            continue
        dtypes[s.name] = {
            "id": _id_dtype(frame[s.name]),
            "integer": "Int64",
            "likert": "Int64",
            "number": "Float64",
            "boolean": "boolean",
            "label": "string",
            "datetime": "datetime64[us]",
        }.get(s.type, "string")
    return frame.astype(dtypes).astype({"participant": "string"})


def _id_dtype(values: pd.Series) -> str:
    return "int64" if all(isinstance(v, int) for v in values) else "string"


def _documents(
    typed: pd.DataFrame, spec: Fields, text_fields: Sequence[str], analyse_text_if: str | None, log: CleaningLog
) -> pd.DataFrame:
    rows = []
    ids = typed[spec.id].tolist()
    flags = typed[analyse_text_if].tolist() if analyse_text_if else [True] * len(typed)
    texts = {name: typed[name].tolist() for name in text_fields}
    for pos, row in enumerate(typed.index):
        participant = str(ids[pos])
        analysed = bool(flags[pos])
        for name in text_fields:
            text = texts[name][pos]
            if text is None or pd.isna(text):
                continue
            if not analysed:
                log.record(
                    int(row),
                    spec[name].column,
                    text,
                    "(not analysed)",
                    f"free text set aside: {analyse_text_if} is false",
                )
                continue
            rows.append(
                {
                    "document": f"{participant}/{name}",
                    "participant": participant,
                    spec.id: participant,
                    "kind": "questionnaire answer",
                    "question": name,
                    "text": text,
                }
            )
    # an identifier named 'participant' is the participant column itself
    columns = list(dict.fromkeys(["document", "participant", spec.id, "kind", "question", "text"]))
    return pd.DataFrame(rows, columns=columns).astype("string")
