"""De-identification: pseudonymise participants, redact other identifiers.

A study's *key file* (YAML), written and reviewed by a person before it is applied,
lists how each participant is named in the raw material and their pseudonym, the names
of other people and the places that must not leave ``data/raw/``:

.. code-block:: yaml

    participants: {Han Ji-woo: P3, Ji-woo: P3}
    names: [Yoon Da-eun, Da-eun]
    places: [Hwagok-dong]

:func:`deidentify` replaces, longest first and as whole words, every participant key by
its pseudonym, every name by ``[NAME]`` and every place by ``[PLACE]``; then e-mail
addresses (``[EMAIL]``) and phone numbers (``[PHONE]``) found by pattern. It counts what
it replaced by kind; reports show those counts, never the values. The key file itself
stays in ``data/raw/<study>/`` and is never copied to ``data/processed/`` or ``reports/``.

Examples
--------
>>> key = DeidKey(participants={"Han Ji-woo": "P3", "Ji-woo": "P3"}, names=("Da-eun",), places=("Hwagok-dong",))
>>> text, counts = deidentify("Ji-woo met Da-eun in Hwagok-dong; call 010-1234-5678 or a@b.org.", key)
>>> text
'P3 met [NAME] in [PLACE]; call [PHONE] or [EMAIL].'
>>> dict(counts)
{'participant': 1, 'name': 1, 'place': 1, 'email': 1, 'phone': 1}
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.readers import read_yaml

__all__ = ["DeidKey", "KINDS", "read_key", "deidentify", "identifiers", "redaction_table"]

#: Redaction kinds, in the order they are reported.
KINDS = ("participant", "name", "place", "email", "phone")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: Phone numbers: three digit groups, optionally after a country code (010-1234-5678,
#: +82 10-1234-5678, 852 9123 4567), or a local number of eight digits, split in two or
#: not (9123 4567, 6123-4567, 91234567), but not a span of years (2019-2020).
PHONE = re.compile(r"(?<![\w-])(?:(?:\+?\d{1,3}[ -])?0?\d{1,3}[ -]\d{3,4}[ -]\d{4}"
                   r"|(?!(?:19|20)\d\d[ -](?:19|20)\d\d(?![\w-]))\d{4}[ -]?\d{4})(?![\w-])")


@dataclass(frozen=True)
class DeidKey:
    """The reviewed de-identification key of a study."""

    participants: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    file: str = ""

    def replacements(self) -> dict[str, tuple[str, str]]:
        """{identifier: (replacement, kind)}"""
        out = {k: (v, "participant") for k, v in self.participants.items()}
        out |= {n: ("[NAME]", "name") for n in self.names}
        out |= {p: ("[PLACE]", "place") for p in self.places}
        return out


def read_key(path: str | Path) -> DeidKey:
    """Read and check a key file; every problem is reported at once."""
    p = resolve_input(path)
    shown = relative_to_root(p)
    doc = read_yaml(p, what="a de-identification key (YAML)", parameter="deid_key")
    problems = []
    if not isinstance(doc, dict):
        raise InputError(Problem(file=shown, expected="a mapping with participants, names, places", found=repr(doc),
                                 fix="write the key as in the module's example: participants: {name: pseudonym}, "
                                     "names: [...], places: [...]"))
    participants = doc.get("participants") or {}
    if not isinstance(participants, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in participants.items()):
        problems.append(Problem(file=shown, field="participants", expected="a mapping of name → pseudonym (text)",
                                found=repr(participants), fix="write one 'name: pseudonym' line per way a participant is named"))
    lists = {}
    for key in ("names", "places"):
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(Problem(file=shown, field=key, expected="a list of non-empty texts", found=repr(value),
                                    fix=f"write {key} as a YAML list, one entry per line starting with '- '"))
        lists[key] = tuple(v.strip() for v in value if isinstance(v, str))
    seen: dict[str, str] = {}
    for kind, values in (("participants", participants if isinstance(participants, dict) else {}),
                         ("names", lists.get("names", ())), ("places", lists.get("places", ()))):
        for value in values:
            if value in seen and seen[value] != kind:
                problems.append(Problem(file=shown, field=kind, expected="each identifier listed once",
                                        found=f"{value!r} also under {seen[value]}", fix="keep it under one heading"))
            seen[value] = kind
    if problems:
        raise InputError(problems)
    return DeidKey(participants=dict(participants), names=lists["names"], places=lists["places"], file=shown)


def deidentify(text: str, key: DeidKey) -> tuple[str, Counter]:
    """Text with every identifier replaced, and the number of replacements by kind."""
    counts: Counter = Counter()
    table = key.replacements()
    if table:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in sorted(table, key=lambda k: (-len(k), k)))
                             + r")(?!\w)")

        def swap(match: re.Match) -> str:
            replacement, kind = table[match.group(0)]
            counts[kind] += 1
            return replacement

        text = pattern.sub(swap, text)
    for kind, regex, tag in (("email", EMAIL, "[EMAIL]"), ("phone", PHONE, "[PHONE]")):
        text, n = regex.subn(tag, text)
        if n:
            counts[kind] += n
    return text, counts


def redaction_table(counts: Counter) -> pd.DataFrame:
    """How many identifiers of each kind were replaced (every kind listed, in the order
    of :data:`KINDS`); the values themselves are never shown.

    Examples
    --------
    >>> redaction_table(Counter({"phone": 2})).to_dict("list")
    {'kind': ['participant', 'name', 'place', 'email', 'phone'], 'replaced': [0, 0, 0, 0, 2]}
    """
    return pd.DataFrame({"kind": list(KINDS), "replaced": [int(counts.get(k, 0)) for k in KINDS]})


def identifiers(key: DeidKey, *texts: str) -> set[str]:
    """Every value that must not appear in outputs: the key's entries (not the
    pseudonyms), and the e-mail addresses and phone numbers found in ``texts``."""
    found = set(key.participants) | set(key.names) | set(key.places)
    for text in texts:
        found |= set(EMAIL.findall(text)) | {m.group(0) for m in PHONE.finditer(text)}
    return found
