"""Clean a tabular export (a survey, a participants sheet) into tidy tables, logging every change.

An export is described by a *fields file* (YAML, one per study, e.g.
``studies/supporter-survey/fields.yaml``): for each field, the column header the survey
tool wrote, its type, and the rules that turn raw spellings into clean values. The same
code therefore cleans any questionnaire export; a new survey needs a new fields file, not
new code.

Field types and what cleaning does to each:

``id``
    The questionnaire or participant identifier: a whole number (as ``integer``) or, if
    it is not one, the trimmed text (``P1``); unique among returned rows. For an export
    without one (Google Forms), ``column: "(row number)"`` numbers the answers by their
    row in the export as a spreadsheet shows it (2 for the first answer under one header).
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
    Parsed with the declared ``format`` (one or a list of formats), field by field; a
    time written with its UTC offset (``%z``) is kept as the same instant in UTC.
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

The work is shared by job: the rules for single values in :mod:`peerstudy.cleaning.values`,
the reading of one cell of a declared field in :mod:`peerstudy.cleaning.cells` (of the plainly
written cells of a column at once in :mod:`peerstudy.cleaning.plaincells`), the
column-wise reading of the export in :mod:`peerstudy.cleaning.cleancolumns`, the schema
checked on the typed table in :mod:`peerstudy.cleaning.cleanschema` and the log in
:mod:`peerstudy.cleaning.cleaninglog`; this module puts them together.

Examples
--------
>>> result = clean_export("tests/fixtures/mini-survey/export.csv", "tests/fixtures/mini-survey/fields.yaml")
>>> result.flow.to_dict("list")["n"]
[5, 1, 1, 3]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from peerstudy.cleaning.cleancolumns import parse_rows, resolve_columns
from peerstudy.cleaning.cleaninglog import CleaningLog
from peerstudy.cleaning.cleanschema import id_dtype, typed_columns, validate_typed
from peerstudy.cleaning.deid import DeidKey, redaction_table
from peerstudy.cleaning.deidkey import read_key
from peerstudy.cleaning.exclusions import Exclusions, apply_exclusions, flow_table
from peerstudy.cleaning.surveyexports import ROW_NUMBER, SurveyExport, read_export, redcap_row_rules
from peerstudy.cleaning.surveyfields import Fields, read_fields, with_date_formats
from peerstudy.cleaning.values import normalise_label
from peerstudy.config import resolve_input
from peerstudy.errors import ConfigError, InputError, Problem

__all__ = ["CleanExport", "clean_export"]


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
        :func:`peerstudy.cleaning.deidkey.read_key`) whose names and places are redacted from every
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
    if spec[spec.id].column == ROW_NUMBER:
        table = table.with_row_numbers()
    where, problems = resolve_columns(table, spec)
    if problems:
        raise InputError(problems)
    spec = with_date_formats(spec, table.date_formats)  # a workbook's date cells, whatever their display
    shown = table.file
    log = CleaningLog(file=shown)
    for extra in range(2, table.header_rows + 1):
        log.record(extra, "(whole row)", "sub-header row", "(dropped)", "extra header row dropped")
    missing = spec.missing + tuple(normalise_label(p) for p in table.placeholders)
    key = deid_key if isinstance(deid_key, DeidKey) else read_key(deid_key) if deid_key else DeidKey()
    excluded = _exclude(table, spec, missing, log)
    body = table.table if excluded.kept.equals(table.table.index) else table.table.loc[excluded.kept]
    typed, redacted, problems = parse_rows(table, body, spec, where, missing, key, log)
    declared = {rule.column for rule in spec.exclusions}
    rows_per_record = [rule for column, rule in redcap_row_rules(table).items() if column not in declared]
    fix = (
        f"a REDCap export has a row per event or repeating instrument: keep one per record with "
        f"exclusions in {spec.file}, e.g. {'; '.join(rows_per_record)}"
        if rows_per_record
        else _FIX_REPEAT
    )
    typed, questionnaires, more, dropped = _drop_blank_and_duplicates(typed, spec, shown, log, fix)
    problems = excluded.problems + problems + more + validate_typed(typed, spec, shown)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row is None, p.row or 0)))

    participants = typed[[s.name for s in spec.specs if s.type != "text"]].copy()
    if spec.id == "participant":
        participants["participant"] = participants["participant"].map(str)
    else:
        participants.insert(0, "participant", participants[spec.id].map(str))
    participants = typed_columns(participants.reset_index(drop=True), spec)
    documents = _documents(typed, spec, text_fields, analyse_text_if, log)
    questionnaires = questionnaires.astype({spec.id: id_dtype(questionnaires[spec.id]), "returned": "bool"})
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
            continue
        rules.append(replace(rule, column=column))
    if unknown:
        raise ConfigError(unknown)
    result = apply_exclusions(table.table, tuple(rules), file=table.file, missing=missing)
    for row, column, value, reason in result.excluded.itertuples(index=False):
        log.record(row, column, value, "(excluded)", f"excluded: {reason}")
    return result


_FIX_REPEAT = "decide which submission is right and renumber or remove the other in a corrected copy of the export"


def _drop_blank_and_duplicates(
    typed: pd.DataFrame, spec: Fields, shown: str, log: CleaningLog, fix: str = _FIX_REPEAT
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem], list[tuple[str, int]]]:
    """Drop unreturned (blank) questionnaires and identical double entries; the
    questionnaires table; a Problem for each conflicting double entry; how many rows
    each of the two drops."""
    id_spec = spec[spec.id]
    answered = [s.name for s in spec.specs if s.name != spec.id and s.type != "datetime"]
    blank = typed[answered].isna().all(axis=1).to_numpy(dtype=bool)
    ids = typed.loc[typed[spec.id].notna(), spec.id].drop_duplicates()
    questionnaires = pd.DataFrame({spec.id: ids, "returned": ids.isin(typed.loc[~blank, spec.id])}, index=ids.index)
    for row in typed.index[blank]:
        log.record(
            int(row),
            "(whole row)",
            f"{id_spec.column} {typed.at[row, spec.id]!s}, no answers",
            "(dropped)",
            "blank (unreturned) questionnaire dropped",
        )
    if blank.any():
        typed = typed.loc[~blank]
    # only rows whose identifier repeats can be double entries: the others are passed over
    repeated = (typed[spec.id].notna() & typed[spec.id].duplicated(keep=False)).to_numpy(dtype=bool)
    keep, problems = _compare_repeats(
        typed.loc[repeated] if repeated.any() else typed.iloc[:0], typed, spec, shown, log, fix
    )
    kept = np.ones(len(typed), dtype=bool)
    kept[repeated] = keep
    dropped = [("not returned (no answers)", int(blank.sum())), ("identical double entry", keep.count(False))]
    return (typed if kept.all() else typed.loc[kept]), questionnaires, problems, dropped


def _compare_repeats(
    repeats: pd.DataFrame, typed: pd.DataFrame, spec: Fields, shown: str, log: CleaningLog, fix: str
) -> tuple[list[bool], list[Problem]]:
    """For each of the rows whose identifier repeats, whether it is kept (an identical
    double entry of an earlier row is dropped and logged); a Problem for each that differs."""
    id_spec = spec[spec.id]
    compared = [s.name for s in spec.specs if s.compare_duplicates]
    first_row: dict[Any, int] = {}
    keep, problems = [], []
    for label, record in repeats.iterrows():
        row = int(cast(int, label))  # the index is the export's row number (the stubs know only Hashable)
        key = record[spec.id]
        if key in first_row and pd.notna(key):
            if _same(cast(pd.Series, typed.loc[first_row[key], compared]), record[compared]):
                log.record(
                    row,
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
                    row=row,
                    field=id_spec.column,
                    expected=f"one submission per {id_spec.column}",
                    found=f"{key} again, with answers that differ from row {first_row[key]}",
                    fix=fix,
                )
            )
        first_row.setdefault(key, row)
        keep.append(True)
    return keep, problems


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


def _documents(
    typed: pd.DataFrame, spec: Fields, text_fields: Sequence[str], analyse_text_if: str | None, log: CleaningLog
) -> pd.DataFrame:
    """One document per free-text answer of a participant whose text is analysed, row by row
    and field by field; the answers set aside are logged."""
    flags = typed[analyse_text_if].tolist() if analyse_text_if else None
    analysed = np.array([bool(f) for f in flags] if flags is not None else [True] * len(typed), dtype=bool)
    answered = np.zeros((len(typed), len(text_fields)), dtype=bool)
    for k, name in enumerate(text_fields):
        answered[:, k] = typed[name].notna().to_numpy()
    pos, which = np.nonzero(answered)  # row by row, then field by field
    texts = [typed[name].tolist() for name in text_fields]
    answers = [texts[k][p] for p, k in zip(pos.tolist(), which.tolist(), strict=True)]
    aside = ~analysed[pos]
    if aside.any():
        log.add_changes(
            typed.index.to_numpy(dtype=np.int64)[pos[aside]],
            [spec[text_fields[k]].column for k in which[aside].tolist()],
            [text for text, a in zip(answers, aside.tolist(), strict=True) if a],
            ["(not analysed)"] * int(aside.sum()),
            [f"free text set aside: {analyse_text_if} is false"] * int(aside.sum()),
        )
    ids = typed[spec.id].tolist()
    participants = [str(ids[p]) for p in pos[~aside].tolist()]
    questions = [text_fields[k] for k in which[~aside].tolist()]
    table = {
        "document": [f"{p}/{q}" for p, q in zip(participants, questions, strict=True)],
        "participant": participants,
        spec.id: participants,
        "kind": ["questionnaire answer"] * len(participants),
        "question": questions,
        "text": [text for text, a in zip(answers, aside.tolist(), strict=True) if not a],
    }
    # an identifier named 'participant' is the participant column itself
    columns = list(dict.fromkeys(["document", "participant", spec.id, "kind", "question", "text"]))
    return pd.DataFrame({c: pd.array(table[c], dtype="string") for c in columns})
