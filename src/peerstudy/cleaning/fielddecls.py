"""Read the settings of one field declared in a fields file: limits, units, spellings,
options, levels, reverse scoring, label and agreeing levels.

Each reader takes the field's name, its declared value(s) and the :class:`FieldProblems`
of the file; it returns the setting, or an empty one with a problem added, so that every
problem in a fields file is reported at once (see :mod:`peerstudy.cleaning.surveyfields`).

Examples
--------
>>> problems = FieldProblems("fields.yaml")
>>> read_levels("calm", "likert", ["Disagree", "Neutral", "Agree"], problems)
((1, 'Disagree'), (2, 'Neutral'), (3, 'Agree'))
>>> read_options("fruit", {"1": "Apples", "2": True}, problems), problems[0].field
((), 'fields.fruit.options')
"""

from __future__ import annotations

from typing import Any

from peerstudy.cleaning.values import normalise_label
from peerstudy.errors import Problem

__all__ = [
    "FieldProblems",
    "check_limits",
    "read_agree",
    "read_categories",
    "read_label",
    "read_levels",
    "read_options",
    "read_reverse",
    "read_units",
]


class FieldProblems(list[Problem]):
    """The problems found in one fields file (``shown``: the file as messages name it)."""

    def __init__(self, shown: str) -> None:
        super().__init__()
        self.shown = shown

    def add(self, field_name: str | None, expected: str, found: Any, fix: str = "") -> None:
        """Add one problem; ``found`` is shown as its ``repr``."""
        self.append(Problem(file=self.shown, field=field_name, expected=expected, found=repr(found), fix=fix))


def check_limits(name: str, ftype: str, decl: dict, problems: FieldProblems) -> None:
    """Add a problem for a ``min`` or ``max`` that is not a number (a whole number unless
    the field is a ``number``).

    Examples
    --------
    >>> problems = FieldProblems("fields.yaml")
    >>> check_limits("age", "integer", {"min": 18, "max": 99.5}, problems)
    >>> [p.field for p in problems]
    ['fields.age.max']
    """
    for limit in ("min", "max"):
        value = decl.get(limit)
        allowed = (int, float) if ftype == "number" else int
        if value is not None and (not isinstance(value, allowed) or isinstance(value, bool)):
            what = "a number" if ftype == "number" else "a whole number"
            problems.add(f"fields.{name}.{limit}", what, value, f"write the limit as a number, e.g. {limit}: 18")


def read_categories(
    name: str, ftype: str, decl: dict, problems: FieldProblems
) -> tuple[dict[Any, tuple[str, ...]] | None, dict[Any, str]]:
    """The accepted spellings of a category or boolean field, by canonical value (as
    normalised labels), and the spelling of each that counts as unchanged; ``None`` for
    the spellings when the field cannot be used.

    Examples
    --------
    >>> read_categories("sex", "category", {"categories": {"male": ["m", "Male"]}}, FieldProblems("f.yaml"))
    ({'male': ('m', 'male')}, {'male': 'male'})
    """
    cats: dict[Any, tuple[str, ...]] = {}
    spelling: dict[Any, str] = {}
    if ftype not in ("category", "boolean"):
        return cats, spelling
    decl_cats: dict[Any, Any] = (
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


def read_options(name: str, options: Any, problems: FieldProblems) -> tuple[tuple[str, str], ...]:
    """A multi field's declared options as (code, label): a mapping code -> label, or a
    list of labels (each its own code).

    Examples
    --------
    >>> read_options("fruit", ["Apples", 2], FieldProblems("f.yaml"))
    (('Apples', 'Apples'), ('2', '2'))
    """
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


def read_levels(name: str, ftype: str, levels: Any, problems: FieldProblems) -> tuple[tuple[int, str], ...]:
    """A Likert item's levels as (score, label), lowest first: a list of labels (scored
    1, 2, ...) or a mapping of whole-number score to label.

    Examples
    --------
    >>> read_levels("calm", "likert", {5: "Agree", 1: "Disagree"}, FieldProblems("f.yaml"))
    ((1, 'Disagree'), (5, 'Agree'))
    """
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


def read_reverse(name: str, reverse: Any, problems: FieldProblems) -> bool:
    """Whether a Likert item is reverse-scored (``true`` or ``false``).

    Examples
    --------
    >>> read_reverse("calm", True, FieldProblems("f.yaml")), read_reverse("calm", "yes", FieldProblems("f.yaml"))
    (True, False)
    """
    if not isinstance(reverse, bool):
        problems.add(f"fields.{name}.reverse", "true or false (a reverse-scored item)", reverse, "e.g. reverse: true")
        return False
    return reverse


def read_label(name: str, label: Any, problems: FieldProblems) -> str:
    """How tables and figures name the field ("" when not declared).

    Examples
    --------
    >>> read_label("age", "Age in years", FieldProblems("f.yaml"))
    'Age in years'
    """
    if not isinstance(label, str):
        problems.add(
            f"fields.{name}.label", "the field's name in tables and figures, as text", label, 'e.g. label: "Age"'
        )
        return ""
    return label


def read_agree(name: str, ftype: str, decl: dict, problems: FieldProblems) -> tuple[int, ...]:
    """The scores of the levels that count as agreeing: the declared ``agree`` levels (labels
    or scores), else the levels above the midpoint of the scale.

    Examples
    --------
    >>> decl = {"levels": ["No", "Maybe", "Yes", "Surely"]}
    >>> read_agree("calm", "likert", decl, FieldProblems("f.yaml")), read_agree(
    ...     "calm", "likert", {**decl, "agree": ["surely"]}, FieldProblems("f.yaml"))
    ((3, 4), (4,))
    """
    if ftype != "likert":
        if "agree" in decl:
            problems.add(f"fields.{name}.agree", "agree only for a likert field", decl["agree"], "remove 'agree'")
        return ()
    levels = read_levels(name, ftype, decl.get("levels"), FieldProblems(""))
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
    return tuple(sorted({n for n in chosen if n is not None}))


def read_units(name: str, units: Any, problems: FieldProblems) -> tuple[str, ...]:
    """The unit words written after numbers (``units``), none if they are not a list of texts.

    Examples
    --------
    >>> read_units("age", ["years", "yrs"], FieldProblems("f.yaml"))
    ('years', 'yrs')
    """
    if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
        problems.add(
            f"fields.{name}.units",
            "a list of the unit words written after numbers",
            units,
            'e.g. units: ["years", "yrs"]',
        )
        return ()
    return tuple(units)
