"""Human labels for the internal names a table carries: column names, key-figure paths,
codes and characteristic rows, from one place.

A label is looked up first in the study's own labels (the codebook's ``label`` of each
code, and any labels passed by the caller), then in :data:`COMMON_LABELS` (names the
project's own tables use), and otherwise made from the name by rule: underscores become
spaces, a trailing abbreviation such as a role or coder (``statements_PIR``) goes in
parentheses, ``_pct`` becomes ``%``, and the first letter is capitalised.

Examples
--------
>>> label_name("statements_PIR")
'Statements (PIR)'
>>> label_name("self-disclosure", {"self-disclosure": "Self-disclosure of illness"})
'Self-disclosure of illness'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

__all__ = ["COMMON_LABELS", "label_name", "label_path", "label_characteristic", "codebook_labels"]

#: Labels of column names the project's own tables use (not the fields of any one study).
COMMON_LABELS: dict[str, str] = {
    "n": "n",
    "pmid": "PMID",
    "doi": "DOI",
    "percent_agreement": "Agreement (%)",
    "percent": "Agreement (%)",
    "n_reviewers": "Reviewers",
    "kappa": "Cohen's κ",
    "cohen_kappa": "Cohen's κ",
    "krippendorff_alpha": "Krippendorff's α",
    "with code": "With code",
    "with label": "With label",
}

_ABBREVIATION = re.compile(r"^(?P<rest>.+)_(?P<abbr>[A-Z][A-Z0-9]{0,5})$")
_BY = re.compile(r"^n_by_(?P<who>.+)$")


def _sentence(text: str) -> str:
    """Underscores to spaces, first letter upper case (the rest kept: names, abbreviations)."""
    text = re.sub(r"\s+", " ", text.replace("_", " ")).strip()
    return text[:1].upper() + text[1:] if text else text


def label_name(name: object, labels: Mapping[str, str] | None = None) -> str:
    """The human label of one internal name.

    Parameters
    ----------
    name
        A column name, key or code (non-strings are shown as they are written).
    labels
        The study's labels (codes to codebook labels, fields to their labels), which win.

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> [label_name(n) for n in ["n_by_HJ", "percent_agreement", "response_rate_pct", "first_author", 3]]
    ['n (HJ)', 'Agreement (%)', 'Response rate (%)', 'First author', '3']
    """
    if not isinstance(name, str):
        return "" if name is None or (isinstance(name, float) and pd.isna(name)) else str(name)
    if labels and name in labels:
        return str(labels[name])
    if name in COMMON_LABELS:
        return COMMON_LABELS[name]
    by = _BY.match(name)
    if by:
        return f"n ({by['who']})"
    if name.endswith("_pct"):
        return _sentence(name[: -len("_pct")]) + " (%)"
    abbreviated = _ABBREVIATION.match(name)
    if abbreviated:
        return f"{_sentence(abbreviated['rest'])} ({abbreviated['abbr']})"
    return _sentence(name)


def label_path(path: str, labels: Mapping[str, str] | None = None, *, separator: str = ".") -> str:
    """The label of a dotted key-figure path: each part labelled (the study's labels, then
    by rule) in sentence case, joined by " › ".

    Examples
    --------
    >>> label_path("categories.motivation.self-disclosure", {"motivation": "Motivation for engaging"})
    'Categories › Motivation for engaging › Self-disclosure'
    >>> label_path("age_mean"), label_path("n_dyads"), label_path("sex.male")
    ('Age, mean', 'Dyads, n', 'Sex › Male')
    """
    return " › ".join(_label_part(part, labels) for part in str(path).split(separator))


_SUFFIXES = (("_mean", "mean"), ("_sd", "SD"), ("_min", "minimum"), ("_max", "maximum"), ("_n", "n"))


def _label_part(part: str, labels: Mapping[str, str] | None) -> str:
    """One part of a key-figure path, in sentence case: ``n_dyads`` → ``Dyads, n``."""
    if labels and part in labels:
        return _sentence(str(labels[part]))
    if part in COMMON_LABELS:
        return COMMON_LABELS[part]
    if part.startswith("n_") and len(part) > 2:
        return f"{label_name(part[2:], labels)}, n"
    for suffix, word in _SUFFIXES:
        if part.endswith(suffix) and len(part) > len(suffix):
            return f"{label_name(part[: -len(suffix)], labels)}, {word}"
    return label_name(part, labels)


_CHARACTERISTIC = re.compile(r"^(?P<field>.+?)(?P<range> range)?, (?P<stat>.+)$")


def label_characteristic(text: object, labels: Mapping[str, str] | None = None) -> object:
    """The label of a row of a characteristics table (``"<field>, <statistic>"``).

    Examples
    --------
    >>> label_characteristic("service_years range, mean [min,max]")
    'Service years, mean [min, max]'
    >>> label_characteristic("sex, n (%)", {"sex": "Sex"}), label_characteristic("n")
    ('Sex, n (%)', 'n')
    """
    if not isinstance(text, str):
        return text
    found = _CHARACTERISTIC.match(text)
    if not found:
        return label_name(text, labels) if text != "n" else text
    stat = found["stat"].replace("[min,max]", "[min, max]")
    return f"{label_name(found['field'], labels)}, {stat}"


def codebook_labels(codebook: pd.DataFrame | None) -> dict[str, str]:
    """Codes to their labels, from a codebook table (``code`` as a column or the index).

    Examples
    --------
    >>> codebook_labels(pd.DataFrame({"code": ["a"], "label": ["Alpha"]}))
    {'a': 'Alpha'}
    """
    if codebook is None or "label" not in codebook:
        return {}
    codes = codebook["code"] if "code" in codebook else codebook.index.to_series()
    return {str(c): str(lab) for c, lab in zip(codes, codebook["label"], strict=True) if isinstance(lab, str) and lab}
