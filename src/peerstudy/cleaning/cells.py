"""Read one cell of a declared field: its value, the rule that changed it, or what was expected.

Each reading is a :data:`Reading`, ``(value, rule, expected)``: the clean value (``None``
for no answer), the name of the rule that changed the cell as written (``None`` if none
did: the cleaning log records only changes), and, for a cell that cannot be read, what
the field expects (the value then is ``None``). The field types are described in
:mod:`peerstudy.cleaning.clean`.

Examples
--------
>>> from peerstudy.cleaning.surveyfields import FieldSpec
>>> parse_cell(FieldSpec(name="age", column="Q1", type="integer", units=("years",)), "31 years", ())
(31, 'number: spaces, unit or full-width digits removed', None)
>>> parse_cell(FieldSpec(name="age", column="Q1", type="integer"), "about forty", ())
(None, None, 'a whole number')
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import pandas as pd

from peerstudy.cleaning.surveyfields import FieldSpec
from peerstudy.cleaning.values import (
    choice_key,
    normalise_label,
    normalise_text,
    parse_integer,
    parse_number,
    split_choices,
    strip_unit,
)

__all__ = ["TICKED", "UNTICKED", "Reading", "parse_cell", "parse_fix", "parse_option_columns"]

#: ``(value, rule that changed the cell or None, what was expected or None)``.
Reading = tuple[Any, str | None, str | None]
#: Marks that tick (untick) an option written in its own column (compared as normalised labels).
TICKED = {"1", "checked", "y", "yes", "true", "x"}
UNTICKED = {"", "0", "unchecked", "n", "no", "false", "not selected"}
_RULE_CATEGORY = "spelling variant → canonical label"


def parse_cell(spec: FieldSpec, raw: str, missing: tuple[str, ...]) -> Reading:
    """The reading of one cell of a field: (value, rule that changed it or None, what was
    expected or None); ``missing`` holds the normalised labels that mean no answer.

    Examples
    --------
    >>> spec = FieldSpec(name="likes", column="Q2", type="multi", options=(("1", "Apples"), ("2", "Pears")))
    >>> parse_cell(spec, "pears;1", ("n/a",))
    ('Apples; Pears', 'choices: declared options, separators normalised', None)
    >>> parse_cell(spec, "N/A", ("n/a",))
    (None, 'missing marker → no answer', None)
    """
    if raw.strip() == "" or normalise_label(raw) in missing:
        return None, ("missing marker → no answer" if raw != "" else None), None
    if spec.type == "id" and parse_integer(raw) is None:
        value = unicodedata.normalize("NFKC", raw).strip()
        return value, (None if value == raw else "identifier: spaces removed"), None
    if spec.type in ("id", "integer"):
        whole = parse_integer(raw, spec.units)
        if whole is None:
            units = f" (optionally followed by {', '.join(map(repr, spec.units))})" if spec.units else ""
            return None, None, f"a whole number{units}"
        return whole, (None if raw == str(whole) else "number: spaces, unit or full-width digits removed"), None
    if spec.type == "number":
        number = parse_number(raw, spec.units, decimal=spec.decimal)
        if number is None:
            units = f" (optionally followed by {', '.join(map(repr, spec.units))})" if spec.units else ""
            return None, None, f"a number such as 12 or 0{spec.decimal}5{units}"
        unchanged = strip_unit(raw, ()) == raw and parse_number(raw, decimal=spec.decimal) is not None
        return number, (None if unchanged else "number: spaces, unit or full-width digits removed"), None
    if spec.type == "datetime":
        for fmt in spec.formats:
            try:
                when = datetime.strptime(raw.strip(), fmt)
            except ValueError:
                continue
            if when.tzinfo is None:
                return pd.Timestamp(when), None, None
            # a time with its UTC offset (KoBoToolbox, ISO 8601): the same instant in UTC,
            # so that answers given in different time zones compare
            return pd.Timestamp(when).tz_convert("UTC").tz_localize(None), "datetime: UTC offset → UTC", None
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


def _parse_category(spec: FieldSpec, raw: str) -> Reading:
    key = normalise_label(raw)
    for canonical, spellings in spec.categories.items():
        if key in spellings:
            changed = raw != spec.spelling[canonical]
            rule = _RULE_CATEGORY if spec.type == "category" else "yes/no spelling → true/false"
            return canonical, (rule if changed else None), None
    allowed = "; ".join(f"{c}: {', '.join(s)}" for c, s in spec.categories.items())
    return None, None, f"one of the declared spellings ({allowed})"


def _parse_likert(spec: FieldSpec, raw: str) -> Reading:
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


def _parse_multi(spec: FieldSpec, raw: str) -> Reading:
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


def parse_option_columns(
    spec: FieldSpec, cells: list[tuple[str, str, str]], missing: tuple[str, ...], any_mark: bool = False
) -> Reading:
    """The reading of a multi field written one column per option: ``cells`` holds
    (option, column, cell); with ``any_mark`` (SurveyMonkey), any answer in an option's
    column ticks it (the option's text, or what was typed under "Other").

    Examples
    --------
    >>> spec = FieldSpec(name="likes", column="fruit", type="multi", options=(("1", "Apples"), ("2", "Pears")))
    >>> parse_option_columns(spec, [("1", "fruit___1", "Checked"), ("2", "fruit___2", "1")], ())
    ('Apples; Pears', 'option columns → one multi answer', None)
    """
    labels = {choice_key(k): label for code, label in spec.options for k in (code, label)}
    chosen, ticked = [], []
    for option, column, cell in cells:
        mark = normalise_label(cell)
        if (
            (any_mark and mark not in missing and mark != "")
            or mark in TICKED
            or mark in (choice_key(option), choice_key(labels.get(choice_key(option), option)))
        ):
            chosen.append(labels.get(choice_key(option), option))
            ticked.append(column)
        elif mark not in UNTICKED and mark not in missing:
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


def parse_fix(spec: FieldSpec, fields_file: str) -> str:
    """How to fix a cell that cleaning cannot read, by the field's type.

    Examples
    --------
    >>> parse_fix(FieldSpec(name="age", column="Q1", type="integer"), "fields.yaml")
    "correct the cell (a whole number), or declare its unit word under the field's 'units' in fields.yaml"
    """
    if spec.type == "datetime":
        return f"correct the cell, or add its format to the field's 'format' list in {fields_file}"
    if spec.type == "likert":
        return f"correct the cell, or declare the level under the field's 'levels' in {fields_file}"
    if spec.type == "number" and spec.decimal == ",":
        return f"correct the cell (a number, with a comma for decimals, as the fields file's 'decimal' says), or declare its unit word under the field's 'units' in {fields_file}"
    if spec.type == "number":
        return f"correct the cell (a number, with a point for decimals; an export that writes a comma needs decimal: ',' in {fields_file}), or declare its unit word under the field's 'units' there"
    if spec.type in ("id", "integer"):
        return f"correct the cell (a whole number), or declare its unit word under the field's 'units' in {fields_file}"
    return f"correct the cell, or declare the spelling in {fields_file}"
