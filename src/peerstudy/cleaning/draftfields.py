"""Draft a fields file from a survey export, or from a REDCap data dictionary, for a person to review.

``python -m peerstudy draft-fields EXPORT [--dictionary DICTIONARY.csv] > studies/<study>/fields.yaml``
writes a fields file (see :mod:`peerstudy.cleaning.surveyfields`) that reads the export as it is:

* from the export alone, one field per column (one per question written one column per
  option), its type guessed from the answers (whole numbers, numbers, dates, a few
  repeated values as categories, yes/no as booleans, the rest as free text), and the
  tool's respondent column as the identifier;
* from a REDCap data dictionary, every field's type, choices, validation and limits as
  the dictionary declares them, plus the form timestamps and completion status found in
  the export.

Columns that hold personal identifiers (fields flagged ``Identifier? = y`` in the
dictionary; the respondent's name, e-mail, IP address or location that tools write) are
left out, each with a comment saying why. The draft says at its top that it is a draft:
names, types and spellings were guessed and must be checked against the questionnaire.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "forms.csv"
>>> _ = path.write_text("Timestamp,Email Address,Your age,Do you volunteer?\\n"
...                     "2024/03/01 9:00:01 AM GMT,a@b.org,34,Yes\\n2024/03/02 10:00:01 AM GMT,c@d.org,51,No\\n")
>>> print(draft_fields(path).split("fields:\\n")[1])
  timestamp:
    column: "Timestamp"
    type: id
  # "Email Address": left out: a personal identifier that Google Forms writes (e-mail address)
  your_age:
    column: "Your age"
    type: integer
  do_you_volunteer:
    column: "Do you volunteer?"
    type: boolean
    "true": ["Yes"]
    "false": ["No"]
<BLANKLINE>
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from peerstudy.cleaning.surveyexports import SurveyExport, read_export
from peerstudy.cleaning.surveyfields import RESERVED_NAMES
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import read_csv_table

__all__ = ["DictionaryField", "draft_fields", "parse_choices", "read_redcap_dictionary"]

#: Columns survey tools write that identify the respondent (compared case- and space-insensitively).
IDENTIFIER_COLUMNS = {
    "ipaddress": "IP address",
    "ip address": "IP address",
    "ipaddr": "IP address",
    "recipientlastname": "name",
    "recipientfirstname": "name",
    "recipientemail": "e-mail address",
    "emailaddress": "e-mail address",
    "email address": "e-mail address",
    "email": "e-mail address",
    "first name": "name",
    "last name": "name",
    "name": "name",
    "locationlatitude": "location",
    "locationlongitude": "location",
    "locationaccuracy": "location",
    "redcap_survey_identifier": "survey identifier (often an e-mail address)",
    "survey identifier": "survey identifier (often an e-mail address)",
}
#: The respondent's number, by tool.
_IDENTIFIER_WORDS = re.compile(r"\b(names?|e-?mail|phone|telephone|mobile|address|postcode|zip ?code)\b", re.IGNORECASE)
_ID_COLUMNS = ("ResponseId", "ResponseID", "_recordId", "Respondent ID", "id", "Response ID", "record_id")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
)
_YES_NO = ({"yes", "y"}, {"no", "n"}), ({"true"}, {"false"})
_REDCAP_DATES = {
    "date": "%Y-%m-%d",
    "datetime": "%Y-%m-%d %H:%M",
    "datetime_seconds": "%Y-%m-%d %H:%M:%S",
    "time": "%H:%M",
}
_DICT_COLUMNS = {"name": "Variable / Field Name", "form": "Form Name", "type": "Field Type", "label": "Field Label"}
_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
_TICK_MARKS = {"0", "1", "checked", "unchecked", "y", "n", "yes", "no", "not selected", "true", "false", "x"}


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
    for row, rec in table.iterrows():
        ftype = rec[_DICT_COLUMNS["type"]].strip()
        raw_choices = rec[choices_col].strip() if choices_col else ""
        choices = parse_choices(raw_choices) if ftype in _CHOICE_TYPES else ()
        if choices is None or (ftype in _CHOICE_TYPES and not raw_choices):
            problems.append(
                Problem(
                    file=shown,
                    row=int(row),
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
                identifier=bool(ident_col) and rec[ident_col].strip().lower() == "y",
                required=bool(req_col) and rec[req_col].strip().lower() == "y",
                row=int(row),
            )
        )
    if problems:
        raise InputError(problems)
    return fields


def draft_fields(export: str | Path, dictionary: str | Path | None = None, *, sheet: str | None = None) -> str:
    """A fields file (YAML text) that reads ``export``, drafted for a person to review.

    Parameters
    ----------
    export
        The survey export (CSV or ``.xlsx``).
    dictionary
        A REDCap data dictionary: field types, choices, validation and identifier flags
        come from it instead of being guessed.
    sheet
        The sheet of an ``.xlsx`` export (default: the first).

    Returns
    -------
    str
        The fields file, with comments; identifiers are left out with the reason.
    """
    table = read_export(export, sheet=sheet)
    sources = table.file + (
        f" and the data dictionary {relative_to_root(resolve_input(dictionary))}" if dictionary else ""
    )
    lines = [
        f"# DRAFT fields file, written by `python -m peerstudy draft-fields` from {sources}.",
        "# A person must review it before use: check every field's name, type, spellings and limits",
        "# against the questionnaire, mark answers that must be given with `required: true`, and",
        "# decide about each field left out below (see peerstudy.cleaning.surveyfields for the format).",
        f"# The export was recognised as {table.tool}, with {table.header_rows} header row(s).",
    ]
    if sheet:
        lines.append(f"sheet: {_quote(sheet)}")
    lines += ['missing: [""]'] + _suggested_exclusions(table) + ["fields:"]
    blocks = _from_dictionary(table, read_redcap_dictionary(dictionary)) if dictionary else _from_export(table)
    names: set[str] = set()
    for block in blocks:
        lines += _emit(block, names)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- from the export
def _from_export(table: SurveyExport) -> list[dict]:
    """One block per column (a comment, or a field declaration as a dict)."""
    id_column = _id_column(table)
    grouped = _option_groups(table)
    done: set[str] = set()
    blocks: list[dict] = []
    for column in table.columns:
        if column in done:
            continue
        why = IDENTIFIER_COLUMNS.get(_squash(column)) or IDENTIFIER_COLUMNS.get(_squash(_label(table, column)))
        if why and column != id_column:
            blocks.append(
                {"comment": f"{_quote(column)}: left out: a personal identifier that {table.tool} writes ({why})"}
            )
            continue
        if _IDENTIFIER_WORDS.search(column.replace("_", " ")) and column != id_column:
            blocks.append(
                {
                    "comment": f"{_quote(column)}: left out: its header suggests a personal identifier "
                    "(a name, e-mail address, phone number or address); declare it only if it is not"
                }
            )
            continue
        group = next(((base, cols) for base, cols in grouped.items() if column in [c for _, c in cols]), None)
        if group:
            base, cols = group
            done.update(c for _, c in cols)
            blocks.append({"name": base, "column": base, "type": "multi", "options": {code: code for code, _ in cols}})
            continue
        values = [v for v in table.table[column] if not table.is_missing(v)]
        block = {"name": column, "column": column, "label": _label(table, column), **_guess_type(values)}
        if column == id_column:
            block = {"name": column, "column": column, "type": "id"}
        blocks.append(block)
    return blocks


def _suggested_exclusions(table: SurveyExport) -> list[str]:
    """Commented-out exclusion rules for the status columns the tool writes."""
    rules = []
    status = table.find_column("Status")
    if status and table.tool.startswith("Qualtrics"):
        rules.append(f'{{reason: survey preview, column: {_quote(status)}, equals: ["Survey Preview", "1"]}}')
    finished = table.find_column("Finished")
    if finished:
        rules.append(f'{{reason: did not finish, column: {_quote(finished)}, equals: ["False", "0"]}}')
    progress = table.find_column("Progress")
    if progress:
        rules.append(f"{{reason: progress below 100%, column: {_quote(progress)}, below: 100}}")
    if not rules:
        return []
    head = [
        "# Suggested exclusions (applied in order; see peerstudy.cleaning.exclusions): uncomment those that apply.",
        "# exclusions:",
    ]
    return head + [f"#   - {rule}" for rule in rules]


def _id_column(table: SurveyExport) -> str:
    for name in _ID_COLUMNS:
        hit = table.find_column(name)
        if hit:
            return hit
    for column in table.columns:
        values = [v.strip() for v in table.table[column]]
        if all(values) and len(set(values)) == len(values):
            return column
    return table.columns[0]


def _option_groups(table: SurveyExport) -> dict[str, list[tuple[str, str]]]:
    """Questions written one column per option (at least two columns)."""
    bases = []
    for column in table.columns:
        for pattern in (r"^(.+?)___[^_].*$", r"^([^\[]+)\[[^\]]+\]$", r"^(.+?) - .+$", r"^(.+) \(choice=.+\)$"):
            match = re.match(pattern, column)
            if match and match[1] not in bases:
                bases.append(match[1])
    groups = {base: table.option_columns(base) for base in bases}
    return {base: cols for base, cols in groups.items() if len(cols) >= 2 and _ticks_only(table, cols)}


def _ticks_only(table: SurveyExport, columns: list[tuple[str, str]]) -> bool:
    """Whether option columns hold tick marks (1/0, Checked, Y, the option's own text; any
    text under an "Other" option) rather than ratings of sub-questions (a matrix)."""
    for option, column in columns:
        if "other" in option.casefold():
            continue
        marks = {_squash(v) for v in table.table[column] if not table.is_missing(v)}
        if not marks <= _TICK_MARKS | {_squash(option)}:
            return False
    return True


def _guess_type(values: list[str]) -> dict:
    """A type (and its settings) that reads every one of ``values``."""
    stripped = [v.strip() for v in values]
    if not stripped:
        return {"type": "text", "note": "no answers in the export: the type is a guess"}
    if all(re.fullmatch(r"[+-]?\d+", v) for v in stripped):
        return {"type": "integer"}
    if all(re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", v) for v in stripped):
        return {"type": "number"}
    for fmt in _DATE_FORMATS:
        if all(_parses(v, fmt) for v in stripped):
            return {"type": "datetime", "format": fmt}
    lowered = {v.casefold() for v in stripped}
    for true, false in _YES_NO:
        if lowered <= true | false and lowered & true and lowered & false:
            return {
                "type": "boolean",
                "true": sorted({v for v in stripped if v.casefold() in true}),
                "false": sorted({v for v in stripped if v.casefold() in false}),
            }
    distinct = sorted(set(stripped))
    if len(stripped) >= 5 and len(distinct) == len(stripped):
        return {"type": "text", "note": "every answer differs: read as free text"}
    if len(distinct) <= 12 and all(len(v) <= 40 and len(v.split()) <= 5 for v in distinct):
        return {"type": "category", "categories": {v: [v] for v in distinct}}
    return {"type": "text"}


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- from a REDCap dictionary
def _from_dictionary(table: SurveyExport, fields: list[DictionaryField]) -> list[dict]:
    """One block per dictionary field, then the forms' timestamps and completion status."""
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
        why = IDENTIFIER_COLUMNS.get(_squash(column))
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
    codes = {_squash(c) for c, _ in choices}
    clash = any(_squash(label) in codes - {_squash(code)} for code, label in choices)
    labels = [label for _, label in choices]
    unique = len({_squash(x) for x in labels}) == len(labels)
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


# --------------------------------------------------------------------------- writing
def _emit(block: dict, names: set[str]) -> list[str]:
    """The YAML lines of one block; field names made unique, lower-case and free of the
    cleaned tables' own column names."""
    if "comment" in block:
        return [f"  # {block['comment']}"]
    name = _field_name(block["name"], block["type"], names)
    lines = []
    if block.get("label") and block["label"] != block["column"]:
        lines.append(f"  # {_one_line(block['label'])}")
    if block.get("note"):
        lines.append(f"  # {block['note']}")
    lines += [f"  {name}:", f"    column: {_quote(block['column'])}", f"    type: {block['type']}"]
    for key in ("format", "min", "max", "compare_duplicates"):
        if key in block:
            value = block[key]
            lines.append(f"    {key}: {_quote(value) if isinstance(value, str) else json.dumps(value)}")
    if "categories" in block:
        lines.append("    categories:")
        lines += [f"      {_quote(str(k))}: {_flow(v)}" for k, v in block["categories"].items()]
    if "options" in block:
        lines.append(
            "    options: {" + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in block["options"].items()) + "}"
        )
    for key in ("true", "false"):
        if key in block:
            lines.append(f'    "{key}": {_flow(block[key])}')
    return lines


def _field_name(column: str, ftype: str, taken: set[str]) -> str:
    base = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", base).strip("_") or "field"
    if base[0].isdigit():
        base = f"q{base}"
    if base in RESERVED_NAMES and not (base == "participant" and ftype == "id"):
        base = f"{base}_answer"
    name, n = base, 2
    while name in taken or name in ("yes", "no", "on", "off", "true", "false", "null", "y", "n"):
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _label(table: SurveyExport, column: str) -> str:
    return table.labels[table.columns.index(column)]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _quote(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"
