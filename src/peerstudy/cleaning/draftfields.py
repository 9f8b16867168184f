"""Draft a fields file from a survey export, or from a REDCap data dictionary, for a person to review.

``python -m peerstudy draft-fields EXPORT [--dictionary DICTIONARY.csv] > studies/<study>/fields.yaml``
writes a fields file (see :mod:`peerstudy.cleaning.surveyfields`) that reads the export as it is:

* from the export alone, one field per column (one per question written one column per
  option, and one per checkbox question of Google Forms, Microsoft Forms or KoBoToolbox,
  which join the options chosen in one cell), its type guessed from the answers (whole
  numbers, numbers, dates, the levels of a common answer scale such as "Strongly
  disagree" to "Strongly agree" as a Likert item with the whole scale, a few repeated
  values as categories, yes/no as booleans, the rest as free text), and the tool's
  respondent column as the identifier (for Google Forms, which writes none, the row);
* from a REDCap data dictionary, every field's type, choices, validation and limits as
  the dictionary declares them, plus the form timestamps and completion status found in
  the export.

Columns that hold personal identifiers (fields flagged ``Identifier? = y`` in the
dictionary; the respondent's name, e-mail, IP address or location that tools write) are
left out, each with a comment saying why. The dictionary is read by
:mod:`peerstudy.cleaning.redcapdictionary`; the draft's blocks are written as YAML by
:mod:`peerstudy.cleaning.draftblocks`. The draft says at its top that it is a draft:
names, types and spellings were guessed and must be checked against the questionnaire.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "forms.csv"
>>> _ = path.write_text("Timestamp,Email Address,Your age,Do you volunteer?\\n"
...                     "2024/03/01 9:00:01 AM GMT,a@b.org,34,Yes\\n2024/03/02 10:00:01 AM GMT,c@d.org,51,No\\n")
>>> print(draft_fields(path).split("fields:\\n")[1])
  # Google Forms writes no respondent number: each answer is numbered by its row in the export
  respondent:
    column: "(row number)"
    type: id
  # dates and times none of the usual formats reads (add one to read them as dates)
  timestamp:
    column: "Timestamp"
    type: label
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

import re
from datetime import datetime
from pathlib import Path

from peerstudy.cleaning.draftblocks import IDENTIFIER_COLUMNS, emit_block, quote, squash
from peerstudy.cleaning.redcapdictionary import dictionary_blocks, read_redcap_dictionary
from peerstudy.cleaning.surveyexports import REDCAP_ROW_COLUMNS, ROW_NUMBER, SurveyExport, read_export, redcap_row_rules
from peerstudy.config import relative_to_root, resolve_input

__all__ = ["draft_fields"]

_IDENTIFIER_WORDS = re.compile(r"\b(names?|e-?mail|phone|telephone|mobile|address|postcode|zip ?code)\b", re.IGNORECASE)
_ID_COLUMNS = ("ResponseId", "ResponseID", "_recordId", "Respondent ID", "id", "Response ID", "record_id", "_id")
_DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S",
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
# a date and a time written some other way (Google Forms: 2024/03/01 9:00:01 AM GMT+1)
_DATE_TIME_LIKE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ T]\d{1,2}:\d{2}")
_YES_NO = ({"yes", "y"}, {"no", "n"}), ({"true"}, {"false"})
_CONSENT = re.compile(r"\bconsent|\bagree to (?:take part|participate)", re.IGNORECASE)
_REFUSALS = {"no", "n", "false", "0", "i do not agree", "i do not consent", "disagree"}
#: How tools that write a checkbox question in one cell join the options chosen (Microsoft
#: Forms ends the cell with the separator too: ``Walks;Online;``).
_JOINED_BY = {"Google Forms": ", ", "Microsoft Forms": ";"}
#: Answer scales that survey tools offer ready-made, lowest level first, with what each
#: measures. A column whose answers are all levels of one scale (at least two of them) is
#: drafted as a Likert item with the whole scale; the first scale that holds them is taken.
_SCALES = (
    ("agreement", ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")),
    ("agreement", ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")),
    ("agreement", ("Strongly disagree", "Disagree", "Undecided", "Agree", "Strongly agree")),
    # Qualtrics' ready-made five-point scales
    (
        "agreement",
        ("Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Strongly agree"),
    ),
    ("frequency", ("Never", "Sometimes", "About half the time", "Most of the time", "Always")),
    (
        "satisfaction",
        (
            "Extremely dissatisfied",
            "Somewhat dissatisfied",
            "Neither satisfied nor dissatisfied",
            "Somewhat satisfied",
            "Extremely satisfied",
        ),
    ),
    (
        "likelihood",
        (
            "Extremely unlikely",
            "Somewhat unlikely",
            "Neither likely nor unlikely",
            "Somewhat likely",
            "Extremely likely",
        ),
    ),
    ("likelihood", ("Definitely not", "Probably not", "Might or might not", "Probably yes", "Definitely yes")),
    (
        "agreement",
        (
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neither agree nor disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ),
    ),
    ("frequency", ("Never", "Rarely", "Sometimes", "Often", "Always")),
    ("frequency", ("Never", "Rarely", "Sometimes", "Very often", "Always")),
    ("frequency", ("Not at all", "Several days", "More than half the days", "Nearly every day")),
    (
        "satisfaction",
        ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied"),
    ),
    ("satisfaction", ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")),
    ("likelihood", ("Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely")),
    (
        "importance",
        ("Not at all important", "Slightly important", "Moderately important", "Very important", "Extremely important"),
    ),
    (
        "helpfulness",
        ("Not at all helpful", "Slightly helpful", "Moderately helpful", "Very helpful", "Extremely helpful"),
    ),
    ("quality", ("Poor", "Fair", "Good", "Very good", "Excellent")),
    ("quality", ("Very poor", "Poor", "Fair", "Good", "Excellent")),
)
_TICK_MARKS = {"0", "1", "checked", "unchecked", "y", "n", "yes", "no", "not selected", "true", "false", "x"}


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
        lines.append(f"sheet: {quote(sheet)}")
    lines += ['missing: [""]'] + _suggested_exclusions(table) + ["fields:"]
    blocks = dictionary_blocks(table, read_redcap_dictionary(dictionary)) if dictionary else _from_export(table)
    names: set[str] = set()
    for block in blocks:
        lines += emit_block(block, names)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- from the export
def _from_export(table: SurveyExport) -> list[dict]:
    """One block per column (a comment, or a field declaration as a dict)."""
    id_column = _id_column(table)
    grouped = _option_groups(table)
    done: set[str] = set()
    blocks: list[dict] = []
    if id_column == ROW_NUMBER:
        note = f"{table.tool} writes no respondent number: each answer is numbered by its row in the export"
        blocks.append({"name": "respondent", "column": ROW_NUMBER, "type": "id", "note": note})
    for column in table.columns:
        if column in done:
            continue
        why = IDENTIFIER_COLUMNS.get(squash(column)) or IDENTIFIER_COLUMNS.get(squash(_label(table, column)))
        if why and column != id_column:
            blocks.append(
                {"comment": f"{quote(column)}: left out: a personal identifier that {table.tool} writes ({why})"}
            )
            continue
        if (
            _IDENTIFIER_WORDS.search(column.replace("_", " "))
            and column != id_column
            and column not in REDCAP_ROW_COLUMNS
        ):
            blocks.append(
                {
                    "comment": f"{quote(column)}: left out: its header suggests a personal identifier "
                    "(a name, e-mail address, phone number or address); declare it only if it is not"
                }
            )
            continue
        # KoBoToolbox: the choices joined by spaces in the question's column, and a column per choice
        if column in grouped and table.tool.startswith("KoBoToolbox"):
            cols = grouped[column]
            done.update(c for _, c in cols)
            blocks.append(
                {
                    "name": column,
                    "column": column,
                    "type": "multi",
                    "separator": " ",
                    "options": [code for code, _ in cols],
                    "note": f"the choices joined by spaces; the columns {column}/<choice> say the same",
                }
            )
            continue
        if table.tool.startswith("KoBoToolbox") and column.startswith("_") and column != id_column:
            blocks.append({"comment": f"{quote(column)}: left out: KoBoToolbox's record of the submission"})
            continue
        group = next(((base, cols) for base, cols in grouped.items() if column in [c for _, c in cols]), None)
        if group:
            base, cols = group
            done.update(c for _, c in cols)
            blocks.append({"name": base, "column": base, "type": "multi", "options": {code: code for code, _ in cols}})
            continue
        values = [v for v in table.table[column] if not table.is_missing(v)]
        joined_by = next((sep for tool, sep in _JOINED_BY.items() if table.tool.startswith(tool)), None)
        guess = _guess_choices(values, joined_by) if joined_by else None
        block = {"name": column, "column": column, "label": _label(table, column), **(guess or _guess_type(values))}
        if column == id_column:
            block = {"name": column, "column": column, "type": "id"}
        blocks.append(block)
    return blocks


def _suggested_exclusions(table: SurveyExport) -> list[str]:
    """Exclusion rules that keep one row per record of a REDCap export with several
    (without them no draft could read it), then commented-out rules for the status
    columns the tool writes."""
    kept = list(redcap_row_rules(table).values())
    head = [
        "# A REDCap export with several rows per record (events, repeating instruments): these rules",
        "# keep one row per record; change the event to analyse another (see peerstudy.cleaning.exclusions).",
        "exclusions:",
    ]
    return (head + [f"  - {rule}" for rule in kept] if kept else []) + _status_exclusions(table, active=bool(kept))


def _status_exclusions(table: SurveyExport, *, active: bool) -> list[str]:
    """Commented-out exclusion rules for the status columns the tool writes (under an
    ``exclusions:`` already written when ``active``)."""
    rules = []
    status = table.find_column("Status")
    if status and table.tool.startswith("Qualtrics"):
        rules.append(f'{{reason: survey preview, column: {quote(status)}, equals: ["Survey Preview", "1"]}}')
    finished = table.find_column("Finished")
    if finished:
        rules.append(f'{{reason: did not finish, column: {quote(finished)}, equals: ["False", "0"]}}')
    progress = table.find_column("Progress")
    if progress:
        rules.append(f"{{reason: progress below 100%, column: {quote(progress)}, below: 100}}")
    for column in table.columns:  # a consent question answered "no"
        if _CONSENT.search(f"{column} {_label(table, column)}"):
            refused = sorted({v.strip() for v in table.table[column] if v.strip().casefold() in _REFUSALS})
            if refused:
                rules.append(
                    f"{{reason: no consent, column: {quote(column)}, equals: [{', '.join(map(quote, refused))}]}}"
                )
    if not rules:
        return []
    head = ["# Suggested exclusions (applied in order; see peerstudy.cleaning.exclusions): uncomment those that apply."]
    return head + ([] if active else ["# exclusions:"]) + [f"#   - {rule}" for rule in rules]


def _id_column(table: SurveyExport) -> str:
    for name in _ID_COLUMNS:
        hit = table.find_column(name)
        if hit:
            return hit
    if table.tool.startswith("Google Forms"):
        return ROW_NUMBER
    for column in table.columns:
        values = [v.strip() for v in table.table[column]]
        if all(values) and len(set(values)) == len(values):
            return column
    return table.columns[0]


def _option_groups(table: SurveyExport) -> dict[str, list[tuple[str, str]]]:
    """Questions written one column per option (at least two columns)."""
    bases = []
    for column in table.columns:
        for pattern in (
            r"^(.+?)___[^_].*$",
            r"^([^\[]+)\[[^\]]+\]$",
            r"^(.+?) - .+$",
            r"^(.+) \(choice=.+\)$",
            r"^(.+)/[^/]+$",
        ):
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
        marks = {squash(v) for v in table.table[column] if not table.is_missing(v)}
        if not marks <= _TICK_MARKS | {squash(option)}:
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
    if all(_DATE_TIME_LIKE.match(v) for v in stripped):
        return {
            "type": "label",
            "note": "dates and times none of the usual formats reads (add one to read them as dates)",
        }
    lowered = {v.casefold() for v in stripped}
    for true, false in _YES_NO:
        if lowered <= true | false and lowered & true and lowered & false:
            return {
                "type": "boolean",
                "true": sorted({v for v in stripped if v.casefold() in true}),
                "false": sorted({v for v in stripped if v.casefold() in false}),
            }
    distinct = sorted(set(stripped))
    folded = {squash(v) for v in distinct}
    for measure, levels in _SCALES if len(folded) >= 2 else ():
        if folded <= {squash(level) for level in levels}:
            return {
                "type": "likert",
                "levels": list(levels),
                "note": f"a common {measure} scale ({len(folded)} of its {len(levels)} levels in the answers): "
                "check the levels against the questionnaire",
            }
    if len(stripped) >= 5 and len(distinct) == len(stripped):
        return {"type": "text", "note": "every answer differs: read as free text"}
    if len(distinct) <= 12 and all(len(v) <= 40 and len(v.split()) <= 5 for v in distinct):
        return {"type": "category", "categories": {v: [v] for v in distinct}}
    return {"type": "text"}


def _guess_choices(values: list[str], separator: str) -> dict | None:
    """A checkbox question of a tool that writes the options chosen in one cell, joined by
    ``separator`` (Google Forms ``", "``, Microsoft Forms ``";"``), as a ``multi`` field
    with the options found, or None. A Google Forms option may itself hold ``", "``: a part
    that starts with a small letter, or that is only ever found right after the same part,
    continues the part before it. Taken for a checkbox question: some cell holds two
    options or more, some option is chosen more than once, and every option is short.

    Examples
    --------
    >>> _guess_choices(["Peer group, Walks, outdoors", "Drop-in café", "Walks, outdoors, Peer group"], ", ")["options"]
    ['Peer group', 'Walks, outdoors', 'Drop-in café']
    >>> _guess_choices(["Nothing, it is fine.", "More groups, More staff"], ", ") is None
    True
    >>> _guess_choices(["Walks;Online;", "Online;"], ";")["options"]
    ['Walks', 'Online']
    """
    strip = separator.strip()
    cells = [[part.strip() for part in v.strip().removesuffix(strip).split(strip)] for v in values]
    following: dict[str, set[str | None]] = {}  # the parts each part is found right after
    preceding: dict[str, set[str | None]] = {}  # the parts found right after each part
    for parts in cells:
        for before, part, after in zip([None, *parts], parts, [*parts[1:], None], strict=False):
            following.setdefault(part, set()).add(before)
            preceding.setdefault(part, set()).add(after)
    chosen = []
    for parts in cells:
        options: list[str] = []
        for before, part in zip([None, *parts], parts, strict=False):
            joined = separator == ", " and (
                part[:1].islower()
                or (before is not None and following[part] == {before} and preceding[before] == {part})
            )
            if options and joined:
                options[-1] += ", " + part
            else:
                options.append(part)
        chosen.append(options)
    found = list(dict.fromkeys(option for options in chosen for option in options))
    if not (
        any(len(options) >= 2 for options in chosen)
        and sum(map(len, chosen)) > len(found)
        and all(len(option) <= 60 and len(option.split()) <= 8 for option in found)
    ):
        return None
    return {
        "type": "multi",
        "separator": strip,
        "options": found,
        "note": f"the options chosen, joined by {separator!r} in the export: add any nobody chose",
    }


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _label(table: SurveyExport, column: str) -> str:
    return table.labels[table.columns.index(column)]
