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
``datetime``
    Parsed with the declared ``format`` (one or a list of formats).
``category``
    Compared case- and space-insensitively (NFKC, case-folded, inner spaces collapsed,
    a trailing full stop dropped) with the spellings listed under each canonical label in
    ``categories``; the canonical label is kept.
``boolean``
    Like ``category`` with the spellings under ``true`` and ``false``.
``multi``
    Several choices in one cell joined by ``separator``; each trimmed, rejoined with
    ``"; "``.
``label``
    A short attribute kept as written (a group, a dyad id): Unicode NFC, spaces
    collapsed and trimmed.
``text``
    Free text: first de-identified (e-mail addresses and phone numbers always, names and
    places from a key file when one is given; see :mod:`peerstudy.deid`), then Unicode
    NFC, line endings as ``\\n``, trailing spaces on each line and outer blank space
    removed; everything else (commas, quotes, non-ASCII) kept as is.

In every field, a value listed under ``missing`` (after trimming, case-insensitive)
means "no answer". Every change a rule makes is written to the cleaning log with file,
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.deid import DeidKey, deidentify, read_key, redaction_table
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.readers import read_csv_table, read_yaml

__all__ = [
    "FIELD_TYPES",
    "CleaningLog",
    "CleanExport",
    "normalise_label",
    "normalise_text",
    "parse_integer",
    "read_fields",
    "clean_export",
]

FIELD_TYPES = ("id", "integer", "datetime", "category", "boolean", "multi", "label", "text")
_LOG_COLUMNS = ["file", "row", "field", "before", "after", "rule"]


# --------------------------------------------------------------------------- rules
def normalise_label(value: str) -> str:
    """A spelling reduced for comparison: NFKC, case-folded, spaces collapsed, no final stop.

    Examples
    --------
    >>> normalise_label(" SCHIZOPHRENIA")
    'schizophrenia'
    >>> normalise_label("schizophrenia.") == normalise_label("Schizophrenia ")
    True
    >>> normalise_label(normalise_label("Ａ  b.")) == normalise_label("Ａ  b.")
    True
    """
    text = unicodedata.normalize("NFKC", value).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return text[:-1].rstrip() if text.endswith(".") else text


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
    text = unicodedata.normalize("NFKC", value).strip()
    for unit in sorted(units, key=len, reverse=True):
        unit = unicodedata.normalize("NFKC", unit)
        if text.casefold().endswith(unit.casefold()):
            text = text[: len(text) - len(unit)].strip()
            break
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


# --------------------------------------------------------------------------- log
@dataclass
class CleaningLog:
    """Every change made to the raw data: file, row, field, before, after, rule."""

    file: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(self, row: int | None, field: str, before: Any, after: Any, rule: str) -> None:
        """Add one change."""
        self.entries.append({"file": self.file, "row": row, "field": field,
                             "before": _show(before), "after": _show(after), "rule": rule})

    def to_frame(self) -> pd.DataFrame:
        """The log as a table, in the order changes were made."""
        frame = pd.DataFrame(self.entries, columns=_LOG_COLUMNS)
        return frame.astype({"row": "Int64"})


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "(missing)"
    return str(value)


# --------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class FieldSpec:
    """One declared field of an export (see the module docstring for the types)."""

    name: str
    column: str
    type: str
    required: bool = False
    min: int | None = None
    max: int | None = None
    units: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    categories: Mapping[Any, tuple[str, ...]] = field(default_factory=dict)
    spelling: Mapping[Any, str] = field(default_factory=dict)
    separator: str = ";"
    compare_duplicates: bool = True


@dataclass(frozen=True)
class Fields:
    """The declared fields of one export, from its fields file."""

    file: str
    id: str
    header_rows: int
    missing: tuple[str, ...]
    specs: tuple[FieldSpec, ...]

    def __getitem__(self, name: str) -> FieldSpec:
        return next(s for s in self.specs if s.name == name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]


def read_fields(path: str | Path) -> Fields:
    """Read and check a fields file; every problem in it is reported at once.

    Examples
    --------
    >>> fields = read_fields("studies/supporter-survey/fields.yaml")
    >>> fields.id, fields["age"].type, fields.header_rows
    ('questionnaire', 'integer', 2)
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    doc = read_yaml(p, what="a fields file (YAML)")
    problems: list[Problem] = []

    def bad(field_name: str | None, expected: str, found: Any, fix: str = "") -> None:
        problems.append(Problem(file=shown, field=field_name, expected=expected, found=repr(found), fix=fix))

    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict) or not doc["fields"]:
        raise ConfigError(Problem(file=shown, field="fields", expected="a mapping 'fields:' of field name to declaration",
                                  found=repr(type(doc).__name__), fix="see studies/supporter-survey/fields.yaml for the format"))
    specs = []
    for name, decl in doc["fields"].items():
        if not isinstance(decl, dict):
            bad(f"fields.{name}", "a mapping with 'column' and 'type'", decl,
                f"declare the field as {name}: {{column: <header in the export>, type: <type>}}")
            continue
        # YAML reads a bare true/false/yes/no key as a boolean; accept it as the word
        decl = {str(k).lower() if isinstance(k, bool) else k: v for k, v in decl.items()}
        unknown = set(decl) - {"column", "type", "required", "min", "max", "units", "format",
                               "categories", "true", "false", "separator", "compare_duplicates"}
        if unknown:
            bad(f"fields.{name}", "only known keys", sorted(unknown), "remove or correct the key")
        ftype = decl.get("type")
        if ftype not in FIELD_TYPES:
            bad(f"fields.{name}.type", f"one of {', '.join(FIELD_TYPES)}", ftype,
                "use one of these types (see the peerstudy.clean module docstring for what each does)")
            continue
        if not isinstance(decl.get("column"), str):
            bad(f"fields.{name}.column", "the column header as the export writes it", decl.get("column"),
                "copy the header from the export's first row, quoted")
            continue
        cats: dict[Any, tuple[str, ...]] = {}
        spelling: dict[Any, str] = {}
        if ftype == "boolean":
            decl_cats = {True: decl.get("true"), False: decl.get("false")}
        else:
            decl_cats = decl.get("categories") or {}
        if ftype in ("category", "boolean"):
            if not decl_cats or any(not isinstance(v, list) or not v for v in decl_cats.values()):
                bad(f"fields.{name}", "a non-empty list of spellings for each value", decl_cats,
                    "list the spellings under 'categories' (or 'true'/'false')")
                continue
            owner: dict[str, Any] = {}
            for canonical, spellings in decl_cats.items():
                if any(isinstance(s, bool) for s in spellings) or isinstance(canonical, bool) and ftype == "category":
                    bad(f"fields.{name}", "spellings written as quoted text",
                        spellings, "quote yes/no/true/false in YAML, e.g. \"yes\"; bare, YAML reads them as booleans")
                    continue
                keys = {normalise_label(str(s)) for s in spellings}
                if ftype == "category":
                    keys.add(normalise_label(str(canonical)))
                for key in keys:
                    if key in owner and owner[key] != canonical:
                        bad(f"fields.{name}", "each spelling under one value only", key,
                            f"it is listed under both {owner[key]!r} and {canonical!r}")
                    owner[key] = canonical
                cats[canonical] = tuple(sorted(keys))
                # the form that counts as "unchanged": the label itself, or the first yes/no spelling
                spelling[canonical] = str(canonical) if ftype == "category" else str(spellings[0])
        fmt = decl.get("format", ())
        for limit in ("min", "max"):
            value = decl.get(limit)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                bad(f"fields.{name}.{limit}", "a whole number", value, f"write the limit as a number, e.g. {limit}: 18")
        units = decl.get("units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            bad(f"fields.{name}.units", "a list of the unit words written after numbers", units,
                'e.g. units: ["years", "yrs"]')
            units = []
        specs.append(FieldSpec(
            name=name, column=decl["column"], type=ftype,
            required=bool(decl.get("required", ftype == "id")),
            min=decl.get("min"), max=decl.get("max"),
            units=tuple(units),
            formats=tuple([fmt] if isinstance(fmt, str) else fmt),
            categories=cats, spelling=spelling, separator=decl.get("separator", ";"),
            compare_duplicates=bool(decl.get("compare_duplicates", True)),
        ))
    ids = [s.name for s in specs if s.type == "id"]
    if len(ids) != 1:
        bad("fields", "exactly one field of type 'id' (the questionnaire or respondent number)", ids,
            "declare the identifier column with type: id, and only that one")
    for s in specs:
        if s.type == "datetime" and not s.formats:
            bad(f"fields.{s.name}.format", "a strptime format such as '%Y/%m/%d %H:%M'", None,
                "add format: with the way the export writes the dates (a list if it uses several)")
    header_rows, missing = doc.get("header_rows", 1), doc.get("missing", [""])
    if not isinstance(header_rows, int) or isinstance(header_rows, bool) or header_rows < 1:
        bad("header_rows", "a whole number of at least 1 (the rows above the first answer)", header_rows,
            "e.g. header_rows: 2 when the export has a sub-header row")
    if not isinstance(missing, list):
        bad("missing", "a list of the cell values that mean no answer", missing, 'e.g. missing: ["", "n/a"]')
    if problems:
        raise ConfigError(problems)
    return Fields(file=shown, id=ids[0], header_rows=header_rows,
                  missing=tuple(normalise_label(str(m)) for m in missing),
                  specs=tuple(specs))


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
        ``replaced``; see :mod:`peerstudy.deid`).
    """

    questionnaires: pd.DataFrame
    participants: pd.DataFrame
    documents: pd.DataFrame
    log: pd.DataFrame
    redactions: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Counts of what cleaning produced and changed, for display."""
        rules = self.log["rule"].value_counts().sort_index()
        rows = [("questionnaires in export", len(self.questionnaires)),
                ("returned", int(self.questionnaires["returned"].sum())),
                ("participants", len(self.participants)),
                ("free-text answers analysed", len(self.documents))]
        rows += [(f"changes: {rule}", int(n)) for rule, n in rules.items()]
        return pd.DataFrame(rows, columns=["item", "n"]).set_index("item")


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
    if spec.type == "datetime":
        for fmt in spec.formats:
            try:
                return pd.Timestamp(datetime.strptime(raw.strip(), fmt)), None, None
            except ValueError:
                continue
        return None, None, f"a date and time as {' or '.join(spec.formats)}"
    if spec.type in ("category", "boolean"):
        key = normalise_label(raw)
        for canonical, spellings in spec.categories.items():
            if key in spellings:
                changed = raw != spec.spelling[canonical]
                rule = "spelling variant → canonical label" if spec.type == "category" else "yes/no spelling → true/false"
                return canonical, (rule if changed else None), None
        allowed = "; ".join(f"{c}: {', '.join(s)}" for c, s in spec.categories.items())
        return None, None, f"one of the declared spellings ({allowed})"
    if spec.type == "multi":
        parts = [p.strip() for p in unicodedata.normalize("NFC", raw).split(spec.separator)]
        value = "; ".join(p for p in parts if p)
        return value, (None if value == raw else "choices: separators and spaces normalised"), None
    if spec.type == "label":
        value = " ".join(unicodedata.normalize("NFC", raw).split())
        return value, (None if value == raw else "label: spaces removed"), None
    value = normalise_text(raw)
    return value, (None if value == raw else "text: Unicode NFC, line endings, outer spaces"), None


def clean_export(export: str | Path, fields: str | Path | Fields, *,
                 text_fields: Sequence[str] = (), analyse_text_if: str | None = None,
                 deid_key: str | Path | DeidKey | None = None) -> CleanExport:
    """Read an export (survey answers, a participants sheet), clean and validate it
    against its declared fields.

    Parameters
    ----------
    export
        The CSV export (UTF-8, with or without BOM), relative to the project root or absolute.
    fields
        The fields file (or an already read :class:`Fields`).
    text_fields
        Free-text fields that become documents for coding.
    analyse_text_if
        A boolean field; free text is analysed only for participants where it is true
        (the others' answers are set aside and logged).
    deid_key
        A reviewed de-identification key (its file, or as read by
        :func:`peerstudy.deid.read_key`) whose names and places are redacted from every
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
    """
    spec = fields if isinstance(fields, Fields) else read_fields(fields)
    problems = _check_options(spec, text_fields, analyse_text_if)
    if problems:
        raise ConfigError(problems)
    path = resolve_input(export)
    shown = relative_to_root(path)
    raw = read_csv_table(path, header_rows=spec.header_rows, parameter="survey_export",
                         required=[s.column for s in spec.specs])
    log = CleaningLog(file=shown)
    for extra in range(2, spec.header_rows + 1):
        log.record(extra, "(whole row)", "sub-header row", "(dropped)", "extra header row dropped")

    key = deid_key if isinstance(deid_key, DeidKey) else read_key(deid_key) if deid_key else DeidKey()
    redacted: Counter = Counter()
    id_spec = spec[spec.id]
    values: dict[str, list[Any]] = {s.name: [] for s in spec.specs}
    for row, cells in raw.iterrows():
        for s in spec.specs:
            cell = cells[s.column]
            if s.type == "text":
                cell, counts = deidentify(cell, key)
                redacted.update(counts)
            value, rule, expected = _parse_cell(s, cell, spec.missing)
            if expected:
                problems.append(Problem(file=shown, row=int(row), field=s.column, expected=expected,
                                        found=repr(cell), fix=_parse_fix(s, spec.file)))
            elif rule:
                log.record(int(row), s.column, cell, value, rule)
            values[s.name].append(value)
    typed = pd.DataFrame(values, index=raw.index)

    answered = [s.name for s in spec.specs if s.name != spec.id and s.type != "datetime"]
    blank = typed[answered].isna().all(axis=1)
    questionnaires = (typed.loc[typed[spec.id].notna(), [spec.id]].drop_duplicates()
                      .assign(returned=lambda t: t[spec.id].isin(typed.loc[~blank, spec.id])))
    for row in typed.index[blank]:
        log.record(int(row), "(whole row)", f"{id_spec.column} {typed.at[row, spec.id]}, no answers",
                   "(dropped)", "blank (unreturned) questionnaire dropped")
    typed = typed.loc[~blank]

    compared = [s.name for s in spec.specs if s.compare_duplicates]
    first_row: dict[Any, int] = {}
    keep = []
    for row, record in typed.iterrows():
        key = record[spec.id]
        if key in first_row and pd.notna(key):
            earlier = typed.loc[first_row[key], compared]
            if _same(earlier, record[compared]):
                log.record(int(row), "(whole row)", f"{id_spec.column} {key}, same answers as row {first_row[key]}",
                           "(dropped)", "duplicate submission dropped")
                keep.append(False)
                continue
            problems.append(Problem(file=shown, row=int(row), field=id_spec.column,
                                    expected=f"one submission per {id_spec.column}",
                                    found=f"{key} again, with answers that differ from row {first_row[key]}",
                                    fix="decide which submission is right and renumber or remove the other in a corrected copy of the export"))
        first_row.setdefault(key, int(row))
        keep.append(True)
    typed = typed.loc[keep]
    problems += _validate(typed, spec, shown)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row is None, p.row or 0)))

    participants = typed[[s.name for s in spec.specs if s.type != "text"]].copy()
    participants.insert(0, "participant", participants[spec.id].map(str))
    participants = _typed_columns(participants.reset_index(drop=True), spec)
    documents = _documents(typed, spec, text_fields, analyse_text_if, log)
    questionnaires = questionnaires.astype({spec.id: _id_dtype(questionnaires[spec.id]), "returned": "bool"})
    questionnaires = questionnaires.reset_index(drop=True)
    return CleanExport(questionnaires=questionnaires, participants=participants,
                       documents=documents, log=log.to_frame(), redactions=redaction_table(redacted))


def _parse_fix(spec: FieldSpec, fields_file: str) -> str:
    """How to fix a cell that cleaning cannot read, by the field's type."""
    if spec.type == "datetime":
        return f"correct the cell, or add its format to the field's 'format' list in {fields_file}"
    if spec.type in ("id", "integer"):
        return f"correct the cell (a whole number), or declare its unit word under the field's 'units' in {fields_file}"
    return f"correct the cell, or declare the spelling in {fields_file}"


def _check_options(spec: Fields, text_fields: Sequence[str], analyse_text_if: str | None) -> list[Problem]:
    problems = []
    for name in text_fields:
        if name not in spec.names or spec[name].type != "text":
            problems.append(Problem(field="text_fields", expected=f"names of text fields declared in {spec.file}",
                                    found=repr(name), fix="correct the study's 'text_fields' parameter"))
    if analyse_text_if and (analyse_text_if not in spec.names or spec[analyse_text_if].type != "boolean"):
        problems.append(Problem(field="analyse_text_if", expected=f"a boolean field declared in {spec.file}",
                                found=repr(analyse_text_if), fix="correct the study's 'analyse_text_if' parameter"))
    return problems


def _same(a: pd.Series, b: pd.Series) -> bool:
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(a, b))


def _schema(spec: Fields) -> pa.DataFrameSchema:
    columns = {}
    for s in spec.specs:
        checks = []
        if s.type in ("id", "integer"):
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
            elif s.type in ("id", "integer"):
                expected = (f"a number from {s.min} to {s.max}" if s.min is not None and s.max is not None
                            else f"a number of at least {s.min}" if s.min is not None else f"a number of at most {s.max}")
                fix += f", or the declared limits in {spec.file}"
            value = case.failure_case
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a column with missing answers holds whole numbers as floats
            problems.append(Problem(file=shown, row=None if pd.isna(case.index) else int(case.index),
                                    field=s.column, expected=expected or check,
                                    found="no answer" if pd.isna(value) else repr(value), fix=fix))
        return problems
    return []


def _typed_columns(frame: pd.DataFrame, spec: Fields) -> pd.DataFrame:
    dtypes = {}
    for s in spec.specs:
        if s.name not in frame:
            continue
        dtypes[s.name] = {"id": _id_dtype(frame[s.name]), "integer": "Int64", "boolean": "boolean",
                          "label": "string",
                          "datetime": "datetime64[us]"}.get(s.type, "string")
    return frame.astype(dtypes).astype({"participant": "string"})


def _id_dtype(values: pd.Series) -> str:
    return "int64" if all(isinstance(v, int) for v in values) else "string"


def _documents(typed: pd.DataFrame, spec: Fields, text_fields: Sequence[str],
               analyse_text_if: str | None, log: CleaningLog) -> pd.DataFrame:
    rows = []
    for row, record in typed.iterrows():
        participant = str(record[spec.id])
        analysed = True if not analyse_text_if else bool(record[analyse_text_if])
        for name in text_fields:
            text = record[name]
            if text is None or pd.isna(text):
                continue
            if not analysed:
                log.record(int(row), spec[name].column, text, "(not analysed)",
                           f"free text set aside: {analyse_text_if} is false")
                continue
            rows.append({"document": f"{participant}/{name}", "participant": participant, spec.id: participant,
                         "kind": "questionnaire answer", "question": name, "text": text})
    columns = ["document", "participant", spec.id, "kind", "question", "text"]
    return pd.DataFrame(rows, columns=columns).astype("string")
