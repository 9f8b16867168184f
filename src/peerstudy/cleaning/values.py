"""Single hand-typed values read and normalised: labels, free text, numbers, several choices in one cell.

These rules know nothing of fields files or exports; :mod:`peerstudy.cleaning.cells` applies
them to the cells of a declared field.

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
from collections.abc import Iterable, Sequence

__all__ = [
    "choice_key",
    "normalise_label",
    "normalise_text",
    "parse_integer",
    "parse_number",
    "split_choices",
    "strip_unit",
]


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
    if value.isascii():  # NFKC leaves ASCII as it is, and ASCII case-folds as it lowers
        text = value.lower()
    else:
        text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    text = " ".join(text.split())  # runs of white space (as str.isspace and re's \s know it) made one space
    while text.endswith("."):  # every final stop: "…" is "..." once NFKC-normalised
        text = text[:-1].rstrip()
    return text


def normalise_text(value: str) -> str:
    """Free text with Unicode NFC, ``\\n`` line endings, no trailing spaces, no outer blanks.

    Idempotent: ``normalise_text(normalise_text(x)) == normalise_text(x)``.

    Examples
    --------
    >>> normalise_text("  café\\r\\n\\r\\nnext line \\r")
    'café\\n\\nnext line'
    """
    text = unicodedata.normalize("NFC", value)
    if "\n" not in text and "\r" not in text:  # one line: only its outer spaces go
        return text.strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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
    text = strip_unit(value, units)
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def strip_unit(value: str, units: Iterable[str]) -> str:
    """A cell in NFKC form, trimmed, without the longest declared unit word it ends with.

    Examples
    --------
    >>> strip_unit(" 54 YRS", ["yrs", "years"])
    '54'
    """
    text = unicodedata.normalize("NFKC", value).strip()
    for unit in sorted(units, key=len, reverse=True):
        unit = unicodedata.normalize("NFKC", unit)
        if text.casefold().endswith(unit.casefold()):
            return text[: len(text) - len(unit)].strip()
    return text


def parse_number(value: str, units: Iterable[str] = (), *, decimal: str = ".") -> float | None:
    """A number with or without decimals from a hand-typed cell, or ``None``. The decimal
    mark is ``decimal``: a point, or a comma as spreadsheet programs in many locales write
    it (then a point is no number: ``1.5`` is refused rather than read as 15 or 1.5).

    Examples
    --------
    >>> parse_number("0.5 years", units=["years"])
    0.5
    >>> parse_number("１２") , parse_number("-.25"), parse_number("1,5")
    (12.0, -0.25, None)
    >>> parse_number("1,5", decimal=","), parse_number("1.5", decimal=",")
    (1.5, None)
    """
    text = strip_unit(value, units)
    mark = re.escape(decimal)
    if not re.fullmatch(rf"[+-]?(\d+({mark}\d*)?|{mark}\d+)", text):
        return None
    return float(text.replace(decimal, "."))


def choice_key(value: str) -> str:
    """A choice reduced for comparison: NFKC, case-folded, spaces collapsed and trimmed.

    Examples
    --------
    >>> choice_key(" Walks,  OUTDOORS")
    'walks, outdoors'
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value).casefold()).strip()


def split_choices(value: str, options: Sequence[tuple[str, str]], separator: str = ";") -> list[str] | None:
    """The declared options (their labels, in the order written) in a cell of several
    choices, matching whole options first so that an option may contain the separator;
    ``None`` if some part of the cell is not a declared option.

    Examples
    --------
    >>> opts = [("1", "Apples, red"), ("2", "Pears")]
    >>> split_choices("apples, red, Pears", opts, separator=",")
    ['Apples, red', 'Pears']
    >>> split_choices("2;1", opts)
    ['Pears', 'Apples, red']
    >>> split_choices("Plums", opts) is None
    True
    >>> split_choices("walking dropin", [("walking", "walking"), ("dropin", "dropin")], separator=" ")
    ['walking', 'dropin']
    """
    text, sep = choice_key(value), choice_key(separator) or separator
    spaces = not sep.strip()  # choices joined by spaces (KoBoToolbox): any run of them separates
    candidates = sorted(
        ((choice_key(k), label) for code, label in options for k in (label, code)),
        key=lambda c: len(c[0]),
        reverse=True,
    )
    found, pos = [], 0
    while pos < len(text):
        for key, label in candidates:
            end = pos + len(key)
            rest = text[end:].lstrip()
            separated = rest.startswith(sep) or (spaces and len(rest) < len(text) - end)
            if key and text.startswith(key, pos) and (not rest or separated):
                found.append(label)
                pos = len(text) - len(rest) + (len(sep) if rest and not spaces else 0)
                pos += len(text[pos:]) - len(text[pos:].lstrip())
                break
        else:
            return None
    return found
