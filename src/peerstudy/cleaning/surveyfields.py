"""The fields file: which columns of an export to read, as what type, with which spellings.

One fields file (YAML) per export, e.g. ``studies/supporter-survey/fields.yaml``::

    sheet: Answers            # optional: the sheet of an .xlsx export (default: the first)
    header_rows: 2            # optional: rows above the first answer (default: recognised)
    missing: ["", "n/a"]      # cell values that mean "no answer"
    decimal: ","              # optional: the decimal mark of number fields (default: ".")
    exclusions:               # optional: rows left out, in order (see peerstudy.cleaning.exclusions)
      - {reason: survey preview, column: Status, equals: ["Survey Preview"]}
    fields:
      respondent: {column: "ResponseId", type: id}
      age: {column: "Q1", type: integer, min: 18, max: 99, units: ["years"]}
      fruit: {column: "Q2", type: multi, options: {"1": "Apples, red", "2": Pears}}
      calm: {column: "Q3_1", type: likert, levels: [Disagree, Neutral, Agree], reverse: false}
      years: {column: "Q4", type: number, label: "Years of peer support"}

``label`` (optional, any field) is how tables and figures name the field (default: its
name). A ``likert`` field may declare which levels count as agreeing (``agree: [Agree,
"Strongly agree"]``, labels or scores; default: the levels above the midpoint).

``column`` is the column's name as the export writes it, or the question text of the
column where the tool writes one (Qualtrics, SurveyMonkey); the ``id`` field of an export
without a respondent number (Google Forms) may name ``"(row number)"``: each answer's row
in the file, as a spreadsheet shows it. A ``multi`` field may name a
question the tool writes one column per option (REDCap ``fruit___1``, LimeSurvey
``fruit[SQ001]``, SurveyMonkey ``question - option``). The types are described in
:mod:`peerstudy.cleaning.clean`. Field names (the keys under ``fields``) are free, except that
``participant`` may only name the identifier and ``returned``, ``document``, ``kind``,
``question``, ``text`` are the cleaned tables' own columns.

Examples
--------
>>> fields = read_fields("studies/supporter-survey/fields.yaml")
>>> fields.id, fields["age"].type, fields.header_rows
('questionnaire', 'integer', 2)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from peerstudy.cleaning.fielddecls import (
    FieldProblems,
    check_limits,
    read_agree,
    read_categories,
    read_label,
    read_levels,
    read_options,
    read_reverse,
    read_units,
)
from peerstudy.cleaning.surveyexports import ROW_NUMBER
from peerstudy.cleaning.values import normalise_label
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, Problem
from peerstudy.io.files import is_file_name
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["FIELD_TYPES", "RESERVED_NAMES", "ExclusionRule", "FieldSpec", "Fields", "read_fields", "with_date_formats"]

FIELD_TYPES = ("id", "integer", "number", "likert", "datetime", "category", "boolean", "multi", "label", "text")
# What a field's name cannot hold: it is part of file names.
_NOT_IN_FILE_NAMES = re.compile(r"[/\\\x00-\x1f]+")
#: What an exclusion rule may test (see :class:`ExclusionRule`).
RULE_TESTS = ("equals", "not_equals", "below", "above", "duplicate")
#: Names of the cleaned tables' own columns, which a declared field cannot take (the
#: identifier may be called ``participant``: it then is the participants' key).
RESERVED_NAMES = ("participant", "returned", "document", "kind", "question", "text")
_KEYS = {
    "column",
    "type",
    "required",
    "min",
    "max",
    "units",
    "format",
    "categories",
    "true",
    "false",
    "separator",
    "compare_duplicates",
    "options",
    "levels",
    "reverse",
    "label",
    "agree",
}


@dataclass(frozen=True)
class FieldSpec:
    """One declared field of an export (see :mod:`peerstudy.cleaning.clean` for the types)."""

    name: str
    column: str
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    units: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    categories: Mapping[Any, tuple[str, ...]] = field(default_factory=dict)
    spelling: Mapping[Any, str] = field(default_factory=dict)
    separator: str = ";"
    compare_duplicates: bool = True
    options: tuple[tuple[str, str], ...] = ()
    levels: tuple[tuple[int, str], ...] = ()
    reverse: bool = False
    label: str = ""
    agree: tuple[int, ...] = ()
    decimal: str = "."

    @property
    def title(self) -> str:
        """How tables and figures name the field: its declared ``label``, else its name."""
        return self.label or self.name


@dataclass(frozen=True)
class ExclusionRule:
    """One declared exclusion: rows whose ``column`` passes ``test`` are left out, in order.

    ``equals``/``not_equals``: the cell is (is not) one of ``values`` (compared like
    category spellings); ``below``/``above``: the cell is a number below (above)
    ``threshold``; ``duplicate``: the cell repeats the value of an earlier row still in
    (the first is kept; empty cells are never duplicates).
    """

    reason: str
    column: str
    test: str
    values: tuple[str, ...] = ()
    threshold: float | None = None


@dataclass(frozen=True)
class Fields:
    """The declared fields of one export, from its fields file."""

    file: str
    id: str
    header_rows: int | None
    missing: tuple[str, ...]
    specs: tuple[FieldSpec, ...]
    sheet: str | None = None
    exclusions: tuple[ExclusionRule, ...] = ()

    def __getitem__(self, name: str) -> FieldSpec:
        return next(s for s in self.specs if s.name == name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]


def with_date_formats(fields: Fields, formats: tuple[str, ...]) -> Fields:
    """``fields`` whose datetime fields also read ``formats``, after their own (how an
    export writes its date cells, see :class:`peerstudy.cleaning.surveyexports.SurveyExport`).

    Examples
    --------
    >>> spec = FieldSpec("when", "Entered", "datetime", formats=("%d/%m/%Y",))
    >>> with_date_formats(Fields("f.yaml", "id", 1, (), (spec,)), ("%Y-%m-%d",))["when"].formats
    ('%d/%m/%Y', '%Y-%m-%d')
    """
    if not formats:
        return fields
    specs = tuple(
        replace(s, formats=(*s.formats, *(f for f in formats if f not in s.formats))) if s.type == "datetime" else s
        for s in fields.specs
    )
    return replace(fields, specs=specs)


def read_fields(path: str | Path) -> Fields:
    """Read and check a fields file; every problem in it is reported at once.

    Parameters
    ----------
    path
        The fields file (YAML), relative to the project root or absolute.

    Returns
    -------
    Fields

    Raises
    ------
    ConfigError
        Listing every problem: unknown keys or types, missing columns, spellings that are
        not quoted or listed under two values, limits that are not numbers, no identifier.

    Examples
    --------
    >>> read_fields("studies/supporter-survey/fields.yaml")["sex"].categories["male"]
    ('m', 'male', '男性')
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    doc = read_yaml(p, what="a fields file (YAML)")
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict) or not doc["fields"]:
        raise ConfigError(
            Problem(
                file=shown,
                field="fields",
                expected="a mapping 'fields:' of field name to declaration",
                found=repr(type(doc).__name__),
                fix="see studies/supporter-survey/fields.yaml for the format",
            )
        )
    problems = FieldProblems(shown)
    specs = [s for name, decl in doc["fields"].items() if (s := _read_spec(str(name), decl, problems))]
    ids = [s.name for s in specs if s.type == "id"]
    if len(ids) != 1:
        problems.add(
            "fields",
            "exactly one field of type 'id' (the questionnaire or respondent number)",
            ids,
            "declare the identifier column with type: id, and only that one",
        )
    for s in specs:
        if s.name in RESERVED_NAMES and not (s.name == "participant" and s.type == "id"):
            problems.add(
                f"fields.{s.name}",
                "a field name other than the cleaned tables' own columns "
                f"({', '.join(RESERVED_NAMES)}; 'participant' only for the identifier)",
                s.name,
                f"rename the field (the key on the left, e.g. {s.name}_answer); its column stays as it is",
            )
        if not is_file_name(s.name):
            plain = _NOT_IN_FILE_NAMES.sub("_", s.name).strip(".") or "field"
            problems.add(
                f"fields.{s.name}",
                "a field name without '/' or '\\' (it names files: figures/<field>.png, tables/code-by-<field>.csv)",
                s.name,
                f"rename the field (the key on the left, e.g. {plain}); its column stays as it is",
            )
        if s.column == ROW_NUMBER and s.type != "id":
            problems.add(
                f"fields.{s.name}.column",
                f"{ROW_NUMBER!r} only for the field of type 'id' (answers numbered by their row)",
                s.column,
                "name the column of the export this field reads",
            )
        if s.type == "datetime" and not s.formats:
            problems.add(
                f"fields.{s.name}.format",
                "a strptime format such as '%Y/%m/%d %H:%M'",
                None,
                "add format: with the way the export writes the dates (a list if it uses several)",
            )
    header_rows, missing, sheet = _read_settings(doc, problems)
    exclusions = _read_exclusions(doc.get("exclusions", []), problems)
    decimal = doc.get("decimal", ".")
    if decimal not in (".", ","):
        problems.add("decimal", "the decimal mark of the number fields, '.' or ','", decimal, 'e.g. decimal: ","')
    if problems:
        raise ConfigError(problems)
    specs = [replace(s, decimal=decimal) if s.type == "number" else s for s in specs]
    return Fields(
        file=shown,
        id=ids[0],
        header_rows=header_rows,
        sheet=sheet,
        exclusions=exclusions,
        missing=tuple(normalise_label(str(m)) for m in missing),
        specs=tuple(specs),
    )


def _read_settings(doc: dict, problems: FieldProblems) -> tuple[int | None, list, str | None]:
    """The fields file's ``header_rows``, ``missing`` and ``sheet``."""
    header_rows, missing, sheet = doc.get("header_rows"), doc.get("missing", [""]), doc.get("sheet")
    if header_rows is not None and (
        not isinstance(header_rows, int) or isinstance(header_rows, bool) or header_rows < 1
    ):
        problems.add(
            "header_rows",
            "a whole number of at least 1 (the rows above the first answer)",
            header_rows,
            "e.g. header_rows: 2 when the export has a sub-header row",
        )
    if not isinstance(missing, list):
        problems.add("missing", "a list of the cell values that mean no answer", missing, 'e.g. missing: ["", "n/a"]')
    if sheet is not None and not isinstance(sheet, str):
        problems.add("sheet", "the name of a sheet of the workbook, quoted", sheet, 'e.g. sheet: "Sheet1"')
    return header_rows, missing if isinstance(missing, list) else [], sheet


def _read_spec(name: str, decl: Any, problems: FieldProblems) -> FieldSpec | None:
    """One field's declaration, or None (with its problems added) if it cannot be used."""
    decl = _read_declaration(name, decl, problems)
    if decl is None:
        return None
    ftype = decl["type"]
    cats, spelling = read_categories(name, ftype, decl, problems)
    if cats is None:
        return None
    fmt = decl.get("format", ())
    check_limits(name, ftype, decl, problems)
    units = read_units(name, decl.get("units", []), problems)
    return FieldSpec(
        name=name,
        column=decl["column"],
        type=ftype,
        required=bool(decl.get("required", ftype == "id")),
        min=decl.get("min"),
        max=decl.get("max"),
        units=units,
        formats=tuple([fmt] if isinstance(fmt, str) else fmt),
        categories=cats,
        spelling=spelling,
        separator=decl.get("separator", ";"),
        compare_duplicates=bool(decl.get("compare_duplicates", True)),
        options=read_options(name, decl.get("options"), problems),
        levels=read_levels(name, ftype, decl.get("levels"), problems),
        reverse=read_reverse(name, decl.get("reverse", False), problems),
        label=read_label(name, decl.get("label", ""), problems),
        agree=read_agree(name, ftype, decl, problems),
    )


def _read_declaration(name: str, decl: Any, problems: FieldProblems) -> dict[Any, Any] | None:
    """A field's declaration as a mapping with a known ``type`` and a ``column``, its bare
    YAML true/false keys read as words; None (with its problems added) if it has none."""
    if not isinstance(decl, dict):
        problems.add(
            f"fields.{name}",
            "a mapping with 'column' and 'type'",
            decl,
            f"declare the field as {name}: {{column: <header in the export>, type: <type>}}",
        )
        return None
    # YAML reads a bare true/false/yes/no key as a boolean; accept it as the word
    decl = {str(k).lower() if isinstance(k, bool) else k: v for k, v in decl.items()}
    unknown = set(decl) - _KEYS
    if unknown:
        problems.add(f"fields.{name}", "only known keys", sorted(unknown), "remove or correct the key")
    ftype = decl.get("type")
    if ftype not in FIELD_TYPES:
        problems.add(
            f"fields.{name}.type",
            f"one of {', '.join(FIELD_TYPES)}",
            ftype,
            "use one of these types (see the peerstudy.cleaning.clean module docstring for what each does)",
        )
        return None
    if not isinstance(decl.get("column"), str):
        problems.add(
            f"fields.{name}.column",
            "the column header as the export writes it",
            decl.get("column"),
            "copy the header from the export's first row, quoted",
        )
        return None
    return decl


def _read_exclusions(rules: Any, problems: FieldProblems) -> tuple[ExclusionRule, ...]:
    """The declared exclusion rules, in the order they are applied."""
    fix = 'e.g. - {reason: survey preview, column: Status, equals: ["Survey Preview"]}'
    if not isinstance(rules, list):
        problems.add("exclusions", "a list of rules, applied in order", rules, fix)
        return ()
    found = []
    for i, rule in enumerate(rules, 1):
        where = f"exclusions[{i}]"
        tests = [t for t in RULE_TESTS if isinstance(rule, dict) and t in rule]
        if not isinstance(rule, dict) or len(tests) != 1 or set(rule) - {"reason", "column", *RULE_TESTS}:
            problems.add(where, f"reason, column and one of {', '.join(RULE_TESTS)}", rule, fix)
            continue
        test, value = tests[0], rule[tests[0]]
        if not isinstance(rule.get("reason"), str) or not isinstance(rule.get("column"), str):
            problems.add(where, "a reason and a column, as text", rule, fix)
            continue
        if test in ("below", "above") and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            problems.add(f"{where}.{test}", "a number", value, f"e.g. {test}: 80")
            continue
        values = [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value
        if test in ("equals", "not_equals") and (
            not isinstance(values, list) or not values or any(isinstance(v, bool) for v in values)
        ):
            problems.add(f"{where}.{test}", "a list of cell values, quoted", value, 'e.g. equals: ["0", "false"]')
            continue
        found.append(
            ExclusionRule(
                reason=rule["reason"],
                column=rule["column"],
                test=test,
                values=tuple(normalise_label(str(v)) for v in values) if test in ("equals", "not_equals") else (),
                threshold=float(value) if test in ("below", "above") else None,
            )
        )
    return tuple(found)
