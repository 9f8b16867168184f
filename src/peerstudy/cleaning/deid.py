"""De-identification: pseudonymise participants, redact other identifiers.

A study's *key file* (YAML), written and reviewed by a person before it is applied,
lists how each participant is named in the raw material and their pseudonym, the names
of other people and the places that must not leave ``data/raw/``:

.. code-block:: yaml

    participants: {Han Ji-woo: P3, Ji-woo: P3}
    names: [Yoon Da-eun, Da-eun]
    places: [Hwagok-dong]

:func:`deidentify` replaces URLs (``[URL]``), e-mail addresses (``[EMAIL]``) and IP
addresses (``[IP]``); then, longest first, every participant key by its pseudonym,
every name by ``[NAME]`` and every place by ``[PLACE]``; then phone numbers
(``[PHONE]``). It
counts what it replaced by kind; reports show those counts, never the values. The key
file itself stays in ``data/raw/<study>/`` and is never copied to ``data/processed/``
or ``reports/``.

How key entries are matched
---------------------------
* Text and key are compared in Unicode NFC form (a name typed with combining accents
  matches the same name typed precomposed), ignoring case.
* Any run of white space in an entry (a space, a no-break space, a line break, any
  other Unicode space, a zero-width space) matches any run of white space in the text;
  a hyphen (``-``, U+2010/2011/2012/2013, a soft hyphen) matches any of them followed by
  white space, so a name split at its hyphen across a line is still found.
* An entry that starts (ends) with a letter of a script written without spaces between
  words (Han, Hiragana, Katakana, Hangul) matches as a substring at that end, so
  ``민서가`` (name + particle) and ``山田さん`` (name + honorific) are caught; other
  entries match as whole words only (``Tom`` is not found in ``Tomas``).
* The key's pattern is compiled once per key (it is kept on the key object), as one
  trie-shaped alternation, so the cost grows with the length of the text, not with the
  size of the key times the number of texts.

Phone numbers are found with Google's libphonenumber (the ``phonenumbers`` port) for
the key's ``regions`` (ISO 3166 codes, :data:`DEFAULT_REGIONS` unless the study
declares its own) and removed whole, area code and country code included, then bare
local numbers by pattern (eight digits, split in two or not; three groups). A number
written as its region writes numbers is removed whether or not it is in service (the
ranges kept for fiction, such as ``555-0199`` or ``07700 900123``, included). Years,
spans of years, dates, ranges and small counts are not phone numbers.

The key file is read and checked by :mod:`peerstudy.cleaning.deidkey`, its entries matched
by :mod:`peerstudy.cleaning.keymatch`, and the identifiers that need no key found by
:mod:`peerstudy.cleaning.identifierfinders`; this module applies them to text.

Examples
--------
>>> key = DeidKey(participants={"Han Ji-woo": "P3", "Ji-woo": "P3"}, names=("Da-eun",), places=("Hwagok-dong",))
>>> text, counts = deidentify("Ji-woo met DA-EUN in Hwagok-\\ndong; call (02) 5550 4217 or a@b.org.", key)
>>> text
'P3 met [NAME] in [PLACE]; call [PHONE] or [EMAIL].'
>>> dict(counts)
{'participant': 1, 'name': 1, 'place': 1, 'email': 1, 'phone': 1}
"""

from __future__ import annotations

import contextlib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa

from peerstudy.cleaning.identifierfinders import (
    DIGITS,
    EMAIL,
    IPV4,
    IPV6,
    PHONE,
    URL,
    is_ipv6,
    may_hold,
    may_hold_any,
    pattern_hits,
    phone_spans,
)
from peerstudy.cleaning.keymatch import KeyPattern
from peerstudy.cleaning.offsetmap import Table, compose, identity, map_edits
from peerstudy.errors import PeerstudyError, Problem

__all__ = [
    "DeidKey",
    "KINDS",
    "DEFAULT_REGIONS",
    "deidentify",
    "deidentify_column",
    "deidentify_mapped",
    "deidentify_all",
    "identifiers",
    "find_identifiers",
    "redaction_table",
    "redacted_errors",
    "deidentify_frame",
]

#: Redaction kinds, in the order they are reported.
KINDS = ("participant", "name", "place", "email", "phone", "url", "ip")
#: Regions whose phone numbers are found when a study declares none: those of the shipped
#: studies (Korea, Hong Kong, Japan) and the commonest English-speaking ones.
DEFAULT_REGIONS = ("KR", "HK", "JP", "US", "GB", "AU")


@dataclass(frozen=True)
class DeidKey:
    """The reviewed de-identification key of a study, and the regions whose phone
    numbers are looked for (ISO 3166 codes)."""

    participants: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    file: str = ""
    regions: tuple[str, ...] = DEFAULT_REGIONS

    def replacements(self) -> dict[str, tuple[str, str]]:
        """{identifier: (replacement, kind)}; a participant's entry wins over a name or
        place written the same way."""
        out = {p: ("[PLACE]", "place") for p in self.places}
        out |= {n: ("[NAME]", "name") for n in self.names}
        out |= {k: (v, "participant") for k, v in self.participants.items()}
        return out

    @cached_property
    def pattern(self) -> KeyPattern:
        """The compiled pattern of every entry, built on first use and kept."""
        return KeyPattern(self.replacements())


# URLs, e-mail and IP addresses are taken out first (a name inside an address is part of
# the address), held by one private-use character each while the key is applied.
_HELD = {"url": "\ue000", "email": "\ue001", "ip": "\ue002"}
_TAGS = {"url": "[URL]", "email": "[EMAIL]", "ip": "[IP]", "phone": "[PHONE]"}
_UNHOLD = re.compile("[" + "".join(_HELD.values()) + "]")


def _nfc_edits(text: str) -> list[tuple[int, int, str]]:
    """Edits that make ``text`` NFC: one per stretch from a character of combining class 0
    to the next that changes, or one for the whole text where composition crosses them."""
    if unicodedata.is_normalized("NFC", text):
        return []
    cuts = [i for i, c in enumerate(text) if i == 0 or unicodedata.combining(c) == 0] + [len(text)]
    edits = []
    for a, b in itertools.pairwise(cuts):
        chunk = text[a:b]
        composed = unicodedata.normalize("NFC", chunk)
        if composed != chunk:
            edits.append((a, b, composed))
    if _apply(text, edits) != unicodedata.normalize("NFC", text):  # e.g. Hangul jamo composed across stretches
        return [(0, len(text), unicodedata.normalize("NFC", text))]
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` (sorted, not overlapping) made."""
    parts, done = [], 0
    for start, end, replacement in edits:
        parts += [text[done:start], replacement]
        done = end
    return "".join(parts) + text[done:]


class _Steps:
    """Text changed in steps of edits; with ``track``, the table of where each offset of
    the first text moves (:mod:`peerstudy.cleaning.offsetmap`)."""

    def __init__(self, text: str, track: bool):
        self.text = text
        self.table = identity(len(text)) if track else None

    def apply(self, edits: list[tuple[int, int, str]]) -> None:
        if not edits:
            return
        if self.table is not None:
            self.table = compose(self.table, map_edits(len(self.text), [(s, e, len(r)) for s, e, r in edits]))
        self.text = _apply(self.text, edits)


def _holds_nothing(text: str, key: DeidKey) -> bool:
    """Whether ``text`` certainly holds nothing :func:`_redact` would replace, by cheap tests
    (most answers hold no identifier): in NFC form already, no private-use character that
    holds an address, nothing an address needs, no run of six digits, no key entry."""
    return (
        unicodedata.is_normalized("NFC", text)
        and _UNHOLD.search(text) is None
        and not any(may_hold(regex, text) for regex in (URL, EMAIL, IPV4, IPV6))
        and DIGITS.search(text) is None
        and (key.pattern.regex is None or key.pattern.regex.search(text) is None)
    )


@overload
def _redact(given: str, key: DeidKey, track: Literal[True]) -> tuple[str, Counter, Table]: ...
@overload
def _redact(given: str, key: DeidKey, track: Literal[False]) -> tuple[str, Counter, None]: ...
def _redact(given: str, key: DeidKey, track: bool) -> tuple[str, Counter, Table | None]:
    """What :func:`deidentify` returns, and with ``track`` the table of the offsets."""
    if _holds_nothing(given, key):
        return given, Counter(), identity(len(given)) if track else None
    counts: Counter = Counter()
    steps = _Steps(given, track)
    steps.apply(_nfc_edits(given))
    # URLs, e-mail and IP addresses are held first, each finder reading the text with the
    # earlier ones held; a private-use character that would be taken for one is replaced.
    steps.apply([(m.start(), m.end(), "\ufffd") for m in _UNHOLD.finditer(steps.text)])
    for kind, regex in (("url", URL), ("email", EMAIL), ("ip", IPV4), ("ip", IPV6)):
        if may_hold(regex, steps.text):
            hits = [m for m in regex.finditer(steps.text) if regex is not IPV6 or is_ipv6(m)]
            counts[kind] += len(hits)
            steps.apply([(m.start(), m.end(), _HELD[kind]) for m in hits])
    steps.apply(key.pattern.edits(steps.text, counts))
    if DIGITS.search(steps.text):  # a phone number has six digits or more
        spans = phone_spans(steps.text, key.regions)
        steps.apply([(start, end, _TAGS["phone"]) for start, end in spans])
        local = [(m.start(), m.end(), _TAGS["phone"]) for m in PHONE.finditer(steps.text)]
        steps.apply(local)
        counts["phone"] += len(spans) + len(local)
    if counts["url"] or counts["email"] or counts["ip"]:
        tags = {held: _TAGS[kind] for kind, held in _HELD.items()}
        steps.apply([(m.start(), m.end(), tags[m.group(0)]) for m in _UNHOLD.finditer(steps.text)])
    if not any(counts.values()):
        return given, Counter(), identity(len(given)) if track else None
    return steps.text, Counter({k: counts[k] for k in KINDS if counts[k]}), steps.table


def deidentify(text: str, key: DeidKey) -> tuple[str, Counter]:
    """Text with every identifier replaced, and the number of replacements by kind.

    Matching is done on the text's NFC form; a text in which nothing was replaced is
    returned exactly as given (so that cleaning still logs its own normalisation), one in
    which something was replaced in NFC form.

    Examples
    --------
    >>> deidentify("민서가 山田さん と (503) 555-0147", DeidKey(participants={"민서": "P1"}, names=("山田",),
    ...                                                  regions=("US",)))[0]
    'P1가 [NAME]さん と [PHONE]'
    """
    text, counts, _ = _redact(text, key, track=False)
    return text, counts


def deidentify_column(texts: Sequence[str], key: DeidKey) -> tuple[list[str], list[Counter]]:
    """:func:`deidentify` of each of ``texts`` (the distinct texts of a column): the texts
    and the replacements in each. The texts that certainly hold nothing to replace (most
    answers) are found for the whole column at once and returned as they are.

    Examples
    --------
    >>> texts, counts = deidentify_column(["I met Ann.", "Nothing here.", "a@b.org"], DeidKey(names=("Ann",)))
    >>> texts, [dict(c) for c in counts]
    (['I met [NAME].', 'Nothing here.', '[EMAIL]'], [{'name': 1}, {}, {'email': 1}])
    """
    out = list(texts)
    counts: list[Counter] = [Counter() for _ in out]
    clear = ~may_hold_any(pa.array(out, type=pa.large_string()))
    regex = key.pattern.regex
    if regex is not None:  # the key's entries: looked for in the texts found clear so far
        for j in np.flatnonzero(clear).tolist():
            clear[j] = regex.search(out[j]) is None
    for j in np.flatnonzero(~clear).tolist():
        out[j], counts[j] = deidentify(out[j], key)
    return out, counts


def deidentify_mapped(text: str, key: DeidKey) -> tuple[str, Counter, Table]:
    """:func:`deidentify`, and the table of where each offset of ``text`` moves in the
    de-identified text (:mod:`peerstudy.cleaning.offsetmap`: a start inside a replaced identifier
    moves to the start of its replacement, an end inside it to its end).

    Examples
    --------
    >>> from peerstudy.cleaning.offsetmap import OffsetMap, pieces_of
    >>> source = "Ask Ann Lee or a@b.org."
    >>> clean, _, table = deidentify_mapped(source, DeidKey(participants={"Ann Lee": "P1"}))
    >>> clean, pieces_of(table, source, clean)
    ('Ask P1 or [EMAIL].', [Piece(source_start=4, source_end=11, start=4, end=6, kind='replaced'), \
Piece(source_start=15, source_end=22, start=10, end=17, kind='replaced')])
    """
    return _redact(text, key, track=True)


def deidentify_all(values: Iterable, key: DeidKey, counts: Counter | None = None) -> list:
    """:func:`deidentify` of each value that is text (other values, missing ones
    included, pass unchanged); the replacements are added to ``counts``.

    Examples
    --------
    >>> deidentify_all(["Ann said", None, 3], DeidKey(names=("Ann",)))
    ['[NAME] said', None, 3]
    """
    out = []
    for value in values:
        if isinstance(value, str) and value:
            value, found = deidentify(value, key)
            if counts is not None:
                counts.update(found)
        out.append(value)
    return out


def deidentify_frame(
    frame: pd.DataFrame | None, key: DeidKey, *, columns: Iterable[str] | None = None, counts: Counter | None = None
) -> pd.DataFrame | None:
    """A copy of ``frame`` with the text of ``columns`` (default: every text column)
    de-identified; the dtypes are kept. ``None`` passes unchanged.

    Examples
    --------
    >>> frame = pd.DataFrame({"code": ["a"], "note": ["as Ann said"]})
    >>> deidentify_frame(frame, DeidKey(names=("Ann",)), columns=["note"]).to_dict("list")
    {'code': ['a'], 'note': ['as [NAME] said']}
    """
    if frame is None:
        return None
    out = frame.copy()
    if columns is None:
        columns = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
    for column in columns:
        if column in out:
            values = deidentify_all(out[column].tolist(), key, counts)
            out[column] = pd.Series(values, index=out.index, dtype=out[column].dtype)
    return out


def redaction_table(counts: Counter | Mapping[str, Counter]) -> pd.DataFrame:
    """How many identifiers of each kind were replaced (every kind listed, in the order
    of :data:`KINDS`); the values themselves are never shown. Given counts per source
    ({source: counts}), the table has the total (``replaced``) and one column per source.

    Examples
    --------
    >>> redaction_table(Counter({"phone": 2})).to_dict("list")
    {'kind': ['participant', 'name', 'place', 'email', 'phone', 'url', 'ip'], 'replaced': [0, 0, 0, 0, 2, 0, 0]}
    >>> redaction_table({"text": Counter(name=2), "labels": Counter(name=1)}).iloc[1].to_dict()
    {'kind': 'name', 'replaced': 3, 'text': 2, 'labels': 1}
    """
    by_source = {} if isinstance(counts, Counter) else dict(counts)
    total = counts if isinstance(counts, Counter) else sum(by_source.values(), Counter())
    table = {"kind": list(KINDS), "replaced": [int(total.get(k, 0)) for k in KINDS]}
    table |= {source: [int(c.get(k, 0)) for k in KINDS] for source, c in by_source.items()}
    return pd.DataFrame(table)


def find_identifiers(key: DeidKey, *texts: str) -> dict[str, str]:
    """{value: kind} of every value that must not appear in outputs: the key's entries
    (not the pseudonyms), and the e-mail addresses, URLs, IP addresses and phone numbers
    found in ``texts`` (NFC form).

    Examples
    --------
    >>> find_identifiers(DeidKey(names=("Ann",), regions=("KR",)), "ring (02) 123-4567")
    {'Ann': 'name', '(02) 123-4567': 'phone'}
    """
    found = {entry: kind for entry, (_, kind) in key.replacements().items()}
    for text in texts:
        text = unicodedata.normalize("NFC", text)
        for kind, start, end in pattern_hits(text, key.regions):
            found.setdefault(text[start:end], kind)
    return found


def identifiers(key: DeidKey, *texts: str) -> set[str]:
    """Every value that must not appear in outputs (see :func:`find_identifiers`)."""
    return set(find_identifiers(key, *texts))


def _redact_problem(problem: Problem, key: DeidKey) -> Problem:
    values = {name: getattr(problem, name) for name in ("file", "row", "field", "expected", "found", "fix")}
    for name, value in values.items():
        if isinstance(value, str) and value:
            values[name] = deidentify(value, key)[0]
    return Problem(**values)


@contextlib.contextmanager
def redacted_errors(key: DeidKey) -> Iterator[None]:
    """Within this block, a project error (bad input) is raised again with every
    identifier of ``key`` replaced in its messages, so no message names a person.

    Examples
    --------
    >>> from peerstudy.errors import InputError
    >>> try:
    ...     with redacted_errors(DeidKey(participants={"Ann Lee": "P1"})):
    ...         raise InputError(Problem(file="x.txt", found="'Ann Lee'", expected="a speaker"))
    ... except PeerstudyError as exc:
    ...     print(exc.problems[0].found)
    'P1'
    """
    try:
        yield
    except PeerstudyError as exc:
        raise type(exc)([_redact_problem(p, key) for p in exc.problems]) from None
