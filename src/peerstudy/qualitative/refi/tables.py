"""The read elements as the project's typed tables (codebook, users, participants,
documents) and REFI-QDA variable values as Python values.

Imports pandas, pyarrow and :mod:`peerstudy.errors`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.qualitative.refi.project import USER_COLUMNS
from peerstudy.qualitative.refi.xmltree import key

if TYPE_CHECKING:
    from peerstudy.qualitative.refi.segments import Source

__all__ = ["codebook_frame", "documents_frame", "parse_value", "participants_frame", "typed_column", "users_frame"]


def codebook_frame(book: list[dict]) -> pd.DataFrame:
    """The codebook table, indexed by ``code``, in tree order."""
    frame = pd.DataFrame(book, columns=["code", "label", "definition", "parent", "depth", "root", "codable"])
    frame["order"] = range(len(frame))
    frame = frame.set_index("code")
    return frame.astype(
        {
            "label": "string",
            "definition": "string",
            "parent": "string",
            "root": "string",
            "depth": "int64",
            "order": "int64",
            "codable": "bool",
        }
    )[["label", "definition", "parent", "depth", "root", "order", "codable"]]


def users_frame(users: dict[str, dict]) -> pd.DataFrame:
    """``user``, ``name``, ``id``, ``coder``."""
    return pd.DataFrame(list(users.values()), columns=USER_COLUMNS)


def participants_frame(
    cases: list[dict], variables: dict[str, dict], source_variables: set[str], where: str = ""
) -> pd.DataFrame:
    """One row per case, one column per case variable."""
    keys = [k for k in variables if any(k in c["values"] for c in cases) or k not in source_variables]
    data: dict[str, Any] = {"participant": pd.array([c["name"] for c in cases], dtype="string")}
    for k in keys:
        data[_column_name(variables[k]["name"], data)] = typed_column(
            [c["values"].get(k) for c in cases], variables[k]["type"], where, variables[k]["name"]
        )
    return pd.DataFrame(data)


def documents_frame(
    sources: list[Source], cases: list[dict], variables: dict[str, dict], source_variables: set[str], where: str = ""
) -> pd.DataFrame:
    """One row per text source: document, participant, kind, text, then source variables."""
    kind_key = next((k for k, v in variables.items() if v["name"] == "kind"), None)
    data: dict[str, Any] = {
        "document": pd.array([s.document for s in sources], dtype="string"),
        "participant": pd.array(
            ["; ".join(c["name"] for c in cases if key(s.guid) in c["sources"]) for s in sources], dtype="string"
        ),
        "kind": pd.array([str(s.values.get(kind_key, "")) if kind_key else "" for s in sources], dtype="string"),
        "text": pd.array([s.text for s in sources], dtype="string"),
    }
    for k in variables:
        if k != kind_key and k in source_variables:
            data[_column_name(variables[k]["name"], data)] = typed_column(
                [s.values.get(k) for s in sources], variables[k]["type"], where, variables[k]["name"]
            )
    return pd.DataFrame(data)


def _column_name(name: str, existing: Mapping[str, Any]) -> str:
    out, i = name, 2
    while out in existing:
        out, i = f"{name} ({i})", i + 1
    return out


def parse_value(raw: str, kind: str) -> Any:
    """A variable value from its XML text; None for an empty non-text value.

    Examples
    --------
    >>> parse_value("0", "Boolean"), parse_value(" 12 ", "Integer"), parse_value("2019-04-01", "Date")
    (False, 12, datetime.date(2019, 4, 1))
    """
    text = raw.strip()
    if kind == "Text":
        return raw
    if not text:
        return None
    if kind == "Boolean":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ValueError(text)
    if kind == "Integer":
        return int(text)
    if kind == "Float":
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text)
        return value
    if kind == "Date":
        m = re.match(r"^(-?\d{4,}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$", text)
        if not m:
            raise ValueError(text)
        return _dt.date.fromisoformat(m.group(1))
    stamp = pd.Timestamp(text)
    if stamp is pd.NaT:
        raise ValueError(text)
    return stamp


def typed_column(values: list[Any], kind: str, where: str = "", name: str = "") -> Any:
    """A column of one variable type (nullable); ``where`` and ``name`` (file and variable) name it in messages."""
    if kind == "Text":
        return pd.array(values, dtype="string")
    if kind == "Boolean":
        return pd.array(values, dtype="boolean")
    if kind == "Integer":
        return pd.array(values, dtype="Int64")
    if kind == "Float":
        return pd.array(values, dtype="Float64")
    if kind == "Date":
        import pyarrow as pa

        # pandas-stubs list no overload of pd.array for an ArrowDtype instance
        return pd.array(values, dtype=pd.ArrowDtype(pa.date32()))  # type: ignore[call-overload]
    stamps = [v for v in values if v is not None]
    aware = {v.tzinfo is not None for v in stamps}
    if aware == {True}:
        return pd.array([v.tz_convert("UTC") if v is not None else pd.NaT for v in values], dtype="datetime64[us, UTC]")
    if aware == {True, False}:
        raise InputError(
            Problem(
                file=where or None,
                field=f'DateTimeValue of <Variable name="{name}">',
                expected="date-times all with or all without a time zone",
                found="a mixture",
                fix="export the variable again",
            )
        )
    return pd.array([v if v is not None else pd.NaT for v in values], dtype="datetime64[us]")
