"""The fields file: which columns of an export to read, as what type, with which spellings.

One fields file (YAML) per export, e.g. ``studies/supporter-survey/fields.yaml``::

    sheet: Answers            # optional: the sheet of an .xlsx export (default: the first)
    header_rows: 2            # optional: rows above the first answer (default: recognised)
    missing: ["", "n/a"]      # cell values that mean "no answer"
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
column where the tool writes one (Qualtrics, SurveyMonkey). A ``multi`` field may name a
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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, Problem
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["FIELD_TYPES", "RESERVED_NAMES", "ExclusionRule", "FieldSpec", "Fields", "normalise_label", "read_fields"]

FIELD_TYPES = ("id", "integer", "number", "likert", "datetime", "category", "boolean", "multi", "label", "text")
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
    >>> normalise_label("unknown\u2025"), normalise_label("unknown . .")
    ('unknown', 'unknown')
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    text = re.sub(r"\s+", " ", text).strip()
    while text.endswith("."):  # every final stop: "…" is "..." once NFKC-normalised
        text = text[:-1].rstrip()
    return text


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


class _Problems(list):
    """The problems found in one fields file."""

    def __init__(self, shown: str):
        super().__init__()
        self.shown = shown

    def add(self, field_name: str | None, expected: str, found: Any, fix: str = "") -> None:
        self.append(Problem(file=self.shown, field=field_name, expected=expected, found=repr(found), fix=fix))


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
    problems = _Problems(shown)
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
        if s.type == "datetime" and not s.formats:
            problems.add(
                f"fields.{s.name}.format",
                "a strptime format such as '%Y/%m/%d %H:%M'",
                None,
                "add format: with the way the export writes the dates (a list if it uses several)",
            )
    header_rows, missing, sheet = _read_settings(doc, problems)
    exclusions = _read_exclusions(doc.get("exclusions", []), problems)
    if problems:
        raise ConfigError(problems)
    return Fields(
        file=shown,
        id=ids[0],
        header_rows=header_rows,
        sheet=sheet,
        exclusions=exclusions,
        missing=tuple(normalise_label(str(m)) for m in missing),
        specs=tuple(specs),
    )


def _read_settings(doc: dict, problems: _Problems) -> tuple[int | None, list, str | None]:
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


def _read_spec(name: str, decl: Any, problems: _Problems) -> FieldSpec | None:
    """One field's declaration, or None (with its problems added) if it cannot be used."""
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
    cats, spelling = _read_categories(name, ftype, decl, problems)
    if cats is None:
        return None
    fmt = decl.get("format", ())
    _check_limits(name, ftype, decl, problems)
    units = decl.get("units", [])
    if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
        problems.add(
            f"fields.{name}.units",
            "a list of the unit words written after numbers",
            units,
            'e.g. units: ["years", "yrs"]',
        )
        units = []
    return FieldSpec(
        name=name,
        column=decl["column"],
        type=ftype,
        required=bool(decl.get("required", ftype == "id")),
        min=decl.get("min"),
        max=decl.get("max"),
        units=tuple(units),
        formats=tuple([fmt] if isinstance(fmt, str) else fmt),
        categories=cats,
        spelling=spelling,
        separator=decl.get("separator", ";"),
        compare_duplicates=bool(decl.get("compare_duplicates", True)),
        options=_read_options(name, decl.get("options"), problems),
        levels=_read_levels(name, ftype, decl.get("levels"), problems),
        reverse=_read_reverse(name, decl.get("reverse", False), problems),
        label=_read_label(name, decl.get("label", ""), problems),
        agree=_read_agree(name, ftype, decl, problems),
    )


def _check_limits(name: str, ftype: str, decl: dict, problems: _Problems) -> None:
    for limit in ("min", "max"):
        value = decl.get(limit)
        allowed = (int, float) if ftype == "number" else int
        if value is not None and (not isinstance(value, allowed) or isinstance(value, bool)):
            what = "a number" if ftype == "number" else "a whole number"
            problems.add(f"fields.{name}.{limit}", what, value, f"write the limit as a number, e.g. {limit}: 18")


def _read_categories(
    name: str, ftype: str, decl: dict, problems: _Problems
) -> tuple[dict[Any, tuple[str, ...]] | None, dict[Any, str]]:
    """The accepted spellings of a category or boolean field, by canonical value."""
    cats: dict[Any, tuple[str, ...]] = {}
    spelling: dict[Any, str] = {}
    if ftype not in ("category", "boolean"):
        return cats, spelling
    decl_cats = (
        {True: decl.get("true"), False: decl.get("false")} if ftype == "boolean" else decl.get("categories") or {}
    )
    if not decl_cats or any(not isinstance(v, list) or not v for v in decl_cats.values()):
        problems.add(
            f"fields.{name}",
            "a non-empty list of spellings for each value",
            decl_cats,
            "list the spellings under 'categories' (or 'true'/'false')",
        )
        return None, spelling
    owner: dict[str, Any] = {}
    for canonical, spellings in decl_cats.items():
        if any(isinstance(s, bool) for s in spellings) or isinstance(canonical, bool) and ftype == "category":
            problems.add(
                f"fields.{name}",
                "spellings written as quoted text",
                spellings,
                'quote yes/no/true/false in YAML, e.g. "yes"; bare, YAML reads them as booleans',
            )
            continue
        keys = {normalise_label(str(s)) for s in spellings}
        if ftype == "category":
            keys.add(normalise_label(str(canonical)))
        for key in keys:
            if key in owner and owner[key] != canonical:
                problems.add(
                    f"fields.{name}",
                    "each spelling under one value only",
                    key,
                    f"it is listed under both {owner[key]!r} and {canonical!r}",
                )
            owner[key] = canonical
        cats[canonical] = tuple(sorted(keys))
        # the form that counts as "unchanged": the label itself, or the first yes/no spelling
        spelling[canonical] = str(canonical) if ftype == "category" else str(spellings[0])
    return cats, spelling


def _read_options(name: str, options: Any, problems: _Problems) -> tuple[tuple[str, str], ...]:
    """A multi field's declared options as (code, label): a mapping code -> label, or a
    list of labels (each its own code)."""
    if options is None:
        return ()
    if isinstance(options, list) and all(isinstance(o, (str, int)) and not isinstance(o, bool) for o in options):
        return tuple((str(o), str(o)) for o in options)
    if isinstance(options, dict) and all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in options.values()
    ):
        return tuple((str(k), str(v)) for k, v in options.items())
    problems.add(
        f"fields.{name}.options",
        "a list of option labels, or a mapping of code to label",
        options,
        'e.g. options: {"1": "Apples, red", "2": Pears}; quote yes/no',
    )
    return ()


def _read_levels(name: str, ftype: str, levels: Any, problems: _Problems) -> tuple[tuple[int, str], ...]:
    """A Likert item's levels as (score, label), lowest first: a list of labels (scored
    1, 2, ...) or a mapping of whole-number score to label."""
    if ftype != "likert":
        if levels is not None:
            problems.add(f"fields.{name}.levels", "levels only for a likert field", levels, "remove 'levels'")
        return ()
    if isinstance(levels, list) and len(levels) >= 2 and all(isinstance(x, str) for x in levels):
        return tuple((i, label) for i, label in enumerate(levels, 1))
    if (
        isinstance(levels, dict)
        and len(levels) >= 2
        and all(isinstance(k, int) and not isinstance(k, bool) for k in levels)
        and all(isinstance(v, str) for v in levels.values())
    ):
        return tuple(sorted(levels.items()))
    problems.add(
        f"fields.{name}.levels",
        "at least two levels: a list of labels, lowest first, or a mapping of whole-number score to label",
        levels,
        'e.g. levels: {1: "Strongly disagree", 2: Disagree, 3: Neutral, 4: Agree, 5: "Strongly agree"}',
    )
    return ()


def _read_reverse(name: str, reverse: Any, problems: _Problems) -> bool:
    if not isinstance(reverse, bool):
        problems.add(f"fields.{name}.reverse", "true or false (a reverse-scored item)", reverse, "e.g. reverse: true")
        return False
    return reverse


def _read_label(name: str, label: Any, problems: _Problems) -> str:
    if not isinstance(label, str):
        problems.add(
            f"fields.{name}.label", "the field's name in tables and figures, as text", label, 'e.g. label: "Age"'
        )
        return ""
    return label


def _read_agree(name: str, ftype: str, decl: dict, problems: _Problems) -> tuple[int, ...]:
    """The scores of the levels that count as agreeing: the declared ``agree`` levels (labels
    or scores), else the levels above the midpoint of the scale."""
    if ftype != "likert":
        if "agree" in decl:
            problems.add(f"fields.{name}.agree", "agree only for a likert field", decl["agree"], "remove 'agree'")
        return ()
    levels = _read_levels(name, ftype, decl.get("levels"), _Problems(""))
    if not levels:
        return ()
    if "agree" not in decl:
        middle = (levels[0][0] + levels[-1][0]) / 2
        return tuple(n for n, _ in levels if n > middle)
    agree = decl["agree"]
    by_key = {k: n for n, label in levels for k in (str(n), normalise_label(label))}
    chosen = [by_key.get(normalise_label(str(a))) for a in agree] if isinstance(agree, list) and agree else [None]
    if any(n is None for n in chosen) or any(isinstance(a, bool) for a in agree):
        problems.add(
            f"fields.{name}.agree",
            "a list of the field's levels (labels or scores) that count as agreeing",
            agree,
            "e.g. agree: [Agree, Strongly agree]; each must be one of the field's levels",
        )
        return ()
    return tuple(sorted(set(chosen)))


def _read_exclusions(rules: Any, problems: _Problems) -> tuple[ExclusionRule, ...]:
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
