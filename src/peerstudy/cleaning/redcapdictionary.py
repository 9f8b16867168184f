"""Read a REDCap data dictionary, and draft the fields of a fields file from it.

Every field's type, choices, validation and limits are taken as the dictionary declares
them, plus the forms' timestamps and completion status found in the export; fields
flagged ``Identifier? = y`` are left out with a comment (see
:mod:`peerstudy.cleaning.draftfields`, which writes the draft).

Examples
--------
>>> parse_choices("0, Female | 1, Male")
(('0', 'Female'), ('1', 'Male'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from peerstudy.cleaning.draftblocks import IDENTIFIER_COLUMNS, squash
from peerstudy.cleaning.surveyexports import SurveyExport
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import read_csv_table

__all__ = ["DictionaryField", "dictionary_blocks", "parse_choices", "read_redcap_dictionary"]

_REDCAP_DATES = {
    "date": "%Y-%m-%d",
    "datetime": "%Y-%m-%d %H:%M",
    "datetime_seconds": "%Y-%m-%d %H:%M:%S",
    "time": "%H:%M",
}
_DICT_COLUMNS = {"name": "Variable / Field Name", "form": "Form Name", "type": "Field Type", "label": "Field Label"}
_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}


@dataclass(frozen=True)
class DictionaryField:
    """One field of a REDCap data dictionary."""

    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]
    validation: str
    min: str
    max: str
    identifier: bool
    required: bool
    row: int


def parse_choices(text: str) -> tuple[tuple[str, str], ...] | None:
    """REDCap choices ``"1, one | 2, two"`` as ``(code, label)`` pairs, or None if they do not parse.

    Examples
    --------
    >>> parse_choices("0, Female | 1, Male")
    (('0', 'Female'), ('1', 'Male'))
    >>> parse_choices("1, Apples, red|2, Pears")
    (('1', 'Apples, red'), ('2', 'Pears'))
    >>> parse_choices("Female | Male") is None
    True
    """
    pairs = []
    for piece in text.split("|"):
        code, comma, label = piece.strip().partition(",")
        if not comma or not re.fullmatch(r"-?[\w.]+", code.strip()) or not label.strip():
            return None
        pairs.append((code.strip(), label.strip()))
    codes = [c for c, _ in pairs]
    return tuple(pairs) if len(set(codes)) == len(codes) else None


def read_redcap_dictionary(path: str | Path) -> list[DictionaryField]:
    """A REDCap data dictionary (CSV, as REDCap downloads it), every problem reported at once.

    Raises
    ------
    InputError
        A required column is missing, or the choices of a radio, dropdown or checkbox
        field do not parse as ``code, label | code, label``.

    Examples
    --------
    >>> fields = read_redcap_dictionary("tests/fixtures/surveys/redcap_dictionary.csv")
    >>> fields[0].name, fields[0].row
    ('record_id', 2)
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    table = read_csv_table(p, required=list(_DICT_COLUMNS.values()), parameter="--dictionary")

    def column(prefix: str) -> str | None:
        return next((c for c in table.columns if c.startswith(prefix)), None)

    choices_col, valid_col = column("Choices"), column("Text Validation Type")
    min_col, max_col, ident_col, req_col = (
        column("Text Validation Min"),
        column("Text Validation Max"),
        column("Identifier"),
        column("Required"),
    )
    fields, problems = [], []
    for label, rec in table.iterrows():
        row = int(cast(int, label))  # the index is the file's row number (the stubs know only Hashable)
        ftype = rec[_DICT_COLUMNS["type"]].strip()
        raw_choices = rec[choices_col].strip() if choices_col else ""
        choices = parse_choices(raw_choices) if ftype in _CHOICE_TYPES else ()
        if choices is None or (ftype in _CHOICE_TYPES and not raw_choices):
            problems.append(
                Problem(
                    file=shown,
                    row=row,
                    field=f"{rec[_DICT_COLUMNS['name']]}: {choices_col}",
                    expected="choices written 'code, label | code, label' with distinct codes",
                    found=repr(raw_choices),
                    fix="correct the field's choices in REDCap's Online Designer and download the "
                    "data dictionary again",
                )
            )
            continue
        fields.append(
            DictionaryField(
                name=rec[_DICT_COLUMNS["name"]].strip(),
                form=rec[_DICT_COLUMNS["form"]].strip(),
                type=ftype,
                label=rec[_DICT_COLUMNS["label"]].strip(),
                choices=choices,
                validation=rec[valid_col].strip() if valid_col else "",
                min=rec[min_col].strip() if min_col else "",
                max=rec[max_col].strip() if max_col else "",
                identifier=ident_col is not None and rec[ident_col].strip().lower() == "y",
                required=req_col is not None and rec[req_col].strip().lower() == "y",
                row=row,
            )
        )
    if problems:
        raise InputError(problems)
    return fields


def dictionary_blocks(table: SurveyExport, fields: list[DictionaryField]) -> list[dict]:
    """One block per dictionary field (see :mod:`peerstudy.cleaning.draftblocks`), then the
    forms' timestamps and completion status; the first field is the identifier.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyexports import read_export
    >>> export = read_export("tests/fixtures/surveys/redcap_data.csv")
    >>> blocks = dictionary_blocks(export, read_redcap_dictionary("tests/fixtures/surveys/redcap_dictionary.csv"))
    >>> blocks[0]["type"], blocks[0]["column"]
    ('id', 'record_id')
    """
    blocks: list[dict] = []
    for i, f in enumerate(fields):
        # raw variable names as headers, or (REDCap's labels-as-headers export) the field labels
        column = next((c for c in (f.name, f.label) if table.find_column(c) or table.option_columns(c)), None)
        present = column is not None
        if f.identifier and i:
            blocks.append(
                {
                    "comment": f"{f.name}: left out: flagged as an identifier in the REDCap data dictionary "
                    "(Identifier? = y)"
                }
            )
        elif f.type == "descriptive":
            continue
        elif not present:
            blocks.append({"comment": f"{f.name}: in the data dictionary but not in the export; left out"})
        elif f.type == "file":
            blocks.append({"comment": f"{f.name}: left out: a file upload field (the export holds no answer)"})
        else:
            blocks.append({**_dictionary_block(f, first=i == 0), "column": column})
    blocks += _status_blocks(table, fields)
    return blocks


def _status_blocks(table: SurveyExport, fields: list[DictionaryField]) -> list[dict]:
    """The forms' survey timestamps and completion status, and the identifiers REDCap adds."""
    blocks: list[dict] = []
    for column in table.columns:
        if re.fullmatch(r"Survey Timestamp( \(\d+\))?", column):
            blocks.append(
                {
                    "name": column,
                    "column": column,
                    "type": "datetime",
                    "format": "%Y-%m-%d %H:%M:%S",
                    "compare_duplicates": False,
                }
            )
        elif re.fullmatch(r"Complete\?( \(\d+\))?", column):
            blocks.append(
                {
                    "name": column,
                    "column": column,
                    "type": "category",
                    "categories": {label: [code, label] for code, label in _STATUS.items()},
                }
            )
    forms = list(dict.fromkeys(f.form for f in fields))
    for form in forms:
        if table.find_column(f"{form}_timestamp"):
            blocks.append(
                {
                    "name": f"{form}_timestamp",
                    "column": f"{form}_timestamp",
                    "type": "datetime",
                    "format": "%Y-%m-%d %H:%M:%S",
                    "compare_duplicates": False,
                }
            )
        if table.find_column(f"{form}_complete"):
            blocks.append(
                {
                    "name": f"{form}_complete",
                    "column": f"{form}_complete",
                    "type": "category",
                    "categories": {label: [code, label] for code, label in _STATUS.items()},
                }
            )
    declared = {f.name for f in fields}
    for column in table.columns:
        why = IDENTIFIER_COLUMNS.get(squash(column))
        if why and column not in declared:
            blocks.append({"comment": f"{column}: left out: a personal identifier that REDCap writes ({why})"})
    return blocks


def _dictionary_block(f: DictionaryField, *, first: bool) -> dict:
    """The declaration of one REDCap field."""
    block: dict = {"name": f.name, "column": f.name, "label": f.label}
    if f.required:
        block["note"] = "required in REDCap (for those who filled in the form)"
    if first:
        return {**block, "type": "id"}
    if f.type in ("radio", "dropdown"):
        return {**block, "type": "category", **_choice_categories(f.choices)}
    if f.type == "checkbox":
        return {**block, "type": "multi", "options": dict(f.choices)}
    if f.type in ("yesno", "truefalse"):
        words = ("Yes", "No") if f.type == "yesno" else ("True", "False")
        return {**block, "type": "boolean", "true": ["1", words[0]], "false": ["0", words[1]]}
    if f.type in ("calc", "slider") or f.validation in ("integer", "number") or f.validation.startswith("number"):
        kind = "integer" if f.validation == "integer" or f.type == "slider" else "number"
        limits = {k: _number(v, kind) for k, v in (("min", f.min), ("max", f.max)) if _number(v, kind) is not None}
        if f.type == "slider":
            limits = {"min": 0, "max": 100}
        return {**block, "type": kind, **limits}
    stem = re.sub(r"_(ymd|mdy|dmy)$", "", f.validation)
    if stem in _REDCAP_DATES:
        return {**block, "type": "datetime", "format": _REDCAP_DATES[stem]}
    return {**block, "type": "text"}


def _choice_categories(choices: tuple[tuple[str, str], ...]) -> dict:
    """Categories named by the choice labels, spelled by code (raw exports) and label
    (label exports); codes alone where a label is another choice's code."""
    codes = {squash(c) for c, _ in choices}
    clash = any(squash(label) in codes - {squash(code)} for code, label in choices)
    labels = [label for _, label in choices]
    unique = len({squash(x) for x in labels}) == len(labels)
    cats = {(label if unique else f"{label} ({code})"): [code] if clash else [code, label] for code, label in choices}
    result: dict = {"categories": cats}
    if clash:
        result["note"] = "a label is another choice's code: only the codes (raw export) are accepted"
    return result


def _number(text: str, kind: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if kind == "integer" or value.is_integer() else value
