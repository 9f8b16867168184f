"""The blocks of a drafted fields file written as YAML lines, and the identifier columns a draft leaves out.

A *block* is a dict: ``{"comment": text}`` for a line of comment, or a field's declaration
(``name``, ``column``, ``type`` and its settings, an optional ``label`` and ``note``).
Both drafts (:mod:`peerstudy.cleaning.draftfields` from an export,
:mod:`peerstudy.cleaning.redcapdictionary` from a REDCap data dictionary) are written here.

Examples
--------
>>> taken = set()
>>> emit_block({"name": "Your age", "column": "Your age", "type": "integer", "min": 18}, taken)
['  your_age:', '    column: "Your age"', '    type: integer', '    min: 18']
>>> emit_block({"name": "text", "column": "Text", "type": "text"}, taken)[0]
'  text_answer:'
"""

from __future__ import annotations

import json
import re
import unicodedata

from peerstudy.cleaning.surveyfields import RESERVED_NAMES

__all__ = ["IDENTIFIER_COLUMNS", "emit_block", "quote", "squash"]

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
    "_submitted_by": "the account that sent the answers",
    "username": "user name",
    "deviceid": "device identifier",
    "subscriberid": "SIM subscriber identifier",
    "simserial": "SIM serial number",
    "phonenumber": "phone number",
    "survey identifier": "survey identifier (often an e-mail address)",
}


def emit_block(block: dict, names: set[str]) -> list[str]:
    """The YAML lines of one block; field names made unique, lower-case and free of the
    cleaned tables' own column names (``names``: the names taken so far, added to)."""
    if "comment" in block:
        return [f"  # {block['comment']}"]
    name = _field_name(block["name"], block["type"], names)
    lines = []
    if block.get("label") and block["label"] != block["column"]:
        lines.append(f"  # {_one_line(block['label'])}")
    if block.get("note"):
        lines.append(f"  # {block['note']}")
    lines += [f"  {name}:", f"    column: {quote(block['column'])}", f"    type: {block['type']}"]
    for key in ("format", "min", "max", "compare_duplicates", "separator"):
        if key in block:
            value = block[key]
            lines.append(f"    {key}: {quote(value) if isinstance(value, str) else json.dumps(value)}")
    if "categories" in block:
        lines.append("    categories:")
        lines += [f"      {quote(str(k))}: {_flow(v)}" for k, v in block["categories"].items()]
    if isinstance(block.get("options"), list):
        lines.append(f"    options: {_flow(block['options'])}")
    elif "options" in block:
        lines.append("    options: {" + ", ".join(f"{quote(k)}: {quote(v)}" for k, v in block["options"].items()) + "}")
    if "levels" in block:
        lines.append(f"    levels: {_flow(block['levels'])}")
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


def squash(text: str) -> str:
    """A header or mark compared case- and space-insensitively.

    Examples
    --------
    >>> squash("  Email   Address ")
    'email address'
    """
    return re.sub(r"\s+", " ", text.strip().casefold())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def quote(value: object) -> str:
    """A value as a double-quoted YAML (JSON) string.

    Examples
    --------
    >>> quote("Zürich"), quote(3)
    ('"Zürich"', '"3"')
    """
    return json.dumps(str(value), ensure_ascii=False)


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"
