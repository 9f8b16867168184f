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
local numbers by pattern (eight digits, split in two or not; three groups). Years,
spans of years, dates and small counts are not phone numbers.

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
import ipaddress
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from peerstudy.cleaning.offsetmap import Table, compose, identity, map_edits
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, PeerstudyError, Problem
from peerstudy.io.yamlfiles import read_yaml

__all__ = [
    "DeidKey",
    "KINDS",
    "DEFAULT_REGIONS",
    "read_key",
    "deidentify",
    "deidentify_mapped",
    "deidentify_all",
    "identifiers",
    "find_identifiers",
    "redaction_table",
    "redacted_errors",
    "deidentify_frame",
    "study_key",
]

#: Redaction kinds, in the order they are reported.
KINDS = ("participant", "name", "place", "email", "phone", "url", "ip")
#: Regions whose phone numbers are found when a study declares none: those of the shipped
#: studies (Korea, Hong Kong, Japan) and the commonest English-speaking ones.
DEFAULT_REGIONS = ("KR", "HK", "JP", "US", "GB", "AU")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'\]\[(){}]*[^\s<>\"'\]\[(){}.,;:!?]", re.IGNORECASE)
IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)")
# Candidates only: a candidate is an IPv6 address if :mod:`ipaddress` accepts it (so a
# time stamp such as 10:30:15 is not one).
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
#: Bare local phone numbers: three digit groups, optionally after a country code
#: (010-1234-5678, +82 10-1234-5678, 852 9123 4567), or a local number of eight digits,
#: split in two or not (9123 4567, 6123-4567, 91234567), but not a span of years
#: (2019-2020) or a date written without separators (20210305).
PHONE = re.compile(
    r"(?<![\w-])(?:(?:\+?\d{1,3}[ -])?0?\d{1,3}[ -]\d{3,4}[ -]\d{4}"
    r"|(?!(?:19|20)\d\d[ -](?:19|20)\d\d(?![\w-]))"
    r"(?!(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w-]))\d{4}[ -]?\d{4})(?![\w-])"
)
# A text holds no phone number unless it holds six digits close together: texts without
# are not handed to the (slower) phone number matcher.
_DIGITS = re.compile(r"\d(?:[\s().\-/]{0,3}\d){5}")

# Stretches that may hold a phone number: digits with the separators numbers are written
# with (spaces, no-break spaces, dots, hyphens, slashes, parentheses), and the extension
# words libphonenumber reads.
_NUMBERISH = re.compile(r"[+(]?\d[\d \t\u00a0().\-/+]*\d\)?")
_HYPHENS = "-\u2010\u2011\u2012\u2013\u00ad"
_SPACE_RUN = re.compile(r"[\s\u200b\u2060\ufeff]+")
_HYPHEN_RUN = re.compile(f"[{_HYPHENS}][\\s\u200b\u2060\ufeff]*")
_SPACE_ATOM = r"[\s\u200b\u2060\ufeff]+"
_HYPHEN_ATOM = f"[{_HYPHENS}][\\s\u200b\u2060\ufeff]*"
_END = ""  # trie key of "an entry ends here"
# Scripts written without spaces between words: Hangul (jamo, compatibility jamo,
# syllables), Hiragana, Katakana (and its phonetic extensions, half-width forms), Han.
_CJK = (
    (0x1100, 0x11FF),
    (0x3005, 0x3007),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x3134F),
)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK)


def _fold(text: str) -> str:
    """The form in which key entries and matched text are compared: NFC, white space and
    hyphen runs made one space or one hyphen, lower case (one character for one)."""
    text = _HYPHEN_RUN.sub("-", _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", text)).strip())
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _atom(char: str) -> str:
    return _SPACE_ATOM if char == " " else _HYPHEN_ATOM if char == "-" else re.escape(char)


def _emit(node: dict) -> str:
    """The regular expression of a trie node: its branches, longest first (the
    end-of-entry alternative, if any, comes last)."""
    branches = [_atom(ch) + _emit(child) for ch, child in sorted(node.items()) if ch != _END]
    if _END in node:
        branches.append(node[_END])
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" if branches else ""


class _KeyPattern:
    """Every entry of a key, compiled once into one pattern; a match is looked up by its
    folded form."""

    def __init__(self, table: Mapping[str, tuple[str, str]]):
        self.lookup: dict[str, tuple[str, str]] = {}
        for entry, value in table.items():
            self.lookup.setdefault(_fold(entry), value)
        tries: dict[bool, dict] = {True: {}, False: {}}
        for folded in self.lookup:
            if not folded:
                continue
            node = tries[_is_cjk(folded[0])]
            for char in folded:
                node = node.setdefault(char, {})
            node[_END] = "" if _is_cjk(folded[-1]) else r"(?!\w)"
        parts = ([r"(?<!\w)" + _emit(tries[False])] if tries[False] else []) + (
            [_emit(tries[True])] if tries[True] else []
        )
        self.regex = re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE) if parts else None

    def find(self, matched: str) -> tuple[str, str]:
        """(replacement, kind) of a matched text."""
        found = self.lookup.get(_fold(matched))
        if found is None:  # a case pair that lower() does not join (e.g. the Kelvin sign): compare one by one
            for folded, value in self.lookup.items():
                if re.fullmatch("".join(map(_atom, folded)), matched, re.IGNORECASE):
                    return value
            raise KeyError(matched)  # pragma: no cover - every match comes from some entry
        return found

    def edits(self, text: str, counts: Counter) -> list[tuple[int, int, str]]:
        """``(start, end, replacement)`` of every entry found in ``text``, counted by kind."""
        if self.regex is None:
            return []
        out = []
        for match in self.regex.finditer(text):
            replacement, kind = self.find(match.group(0))
            counts[kind] += 1
            out.append((match.start(), match.end(), replacement))
        return out


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
    def pattern(self) -> _KeyPattern:
        """The compiled pattern of every entry, built on first use and kept."""
        return _KeyPattern(self.replacements())


def read_key(path: str | Path, *, regions: Iterable[str] | None = None) -> DeidKey:
    """Read and check a key file; every problem is reported at once.

    Parameters
    ----------
    path
        The key file (YAML), relative to the project root or absolute.
    regions
        Regions (ISO 3166 codes such as ``KR``) whose phone numbers are looked for;
        default :data:`DEFAULT_REGIONS`.

    Examples
    --------
    >>> read_key("data/raw/professional-interviews/deid-key.yaml").participants["Min-seo"]
    'P1'
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    doc = read_yaml(p, what="a de-identification key (YAML)", parameter="deid_key")
    if not isinstance(doc, dict):
        raise InputError(
            Problem(
                file=shown,
                expected="a mapping with participants, names, places",
                found=repr(doc),
                fix="write the key as in the module's example: participants: {name: pseudonym}, "
                "names: [...], places: [...]",
            )
        )
    problems = []
    participants = doc.get("participants") or {}
    if not isinstance(participants, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in participants.items()
    ):
        problems.append(
            Problem(
                file=shown,
                field="participants",
                expected="a mapping of name → pseudonym (text)",
                found=f"a {type(participants).__name__} of {len(participants)} entries (not shown: they name people)",
                fix="write one 'name: pseudonym' line per way a participant is named",
            )
        )
        participants = {}
    lists = {}
    for key in ("names", "places"):
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            bad = (
                [i + 1 for i, v in enumerate(value) if not (isinstance(v, str) and v.strip())]
                if isinstance(value, list)
                else []
            )
            problems.append(
                Problem(
                    file=shown,
                    field=key,
                    expected="a list of non-empty texts",
                    found=f"entries {bad} empty or not text" if bad else f"a {type(value).__name__}",
                    fix=f"write {key} as a YAML list, one entry per line starting with '- '",
                )
            )
        lists[key] = (
            tuple(v.strip() for v in value if isinstance(v, str) and v.strip()) if isinstance(value, list) else ()
        )
    problems += _duplicate_entries(
        shown, {"participants": participants, "names": lists["names"], "places": lists["places"]}
    )
    chosen = _check_regions(shown, regions, problems)
    if problems:
        raise InputError(problems)
    return DeidKey(
        participants={k.strip(): v for k, v in participants.items()},
        names=lists["names"],
        places=lists["places"],
        file=shown,
        regions=chosen,
    )


def _duplicate_entries(shown: str, groups: Mapping[str, Iterable[str]]) -> list[Problem]:
    """An entry listed under two headings (compared as they are matched: case, spaces and
    Unicode form aside); the message quotes the heading, never the entry."""
    problems, seen = [], {}
    for kind, values in groups.items():
        for number, value in enumerate(values, 1):
            folded = _fold(value)
            if folded in seen and seen[folded][0] != kind:
                problems.append(
                    Problem(
                        file=shown,
                        field=kind,
                        expected="each identifier listed once",
                        found=f"entry {number} also under {seen[folded][0]} (entry {seen[folded][1]})",
                        fix="keep it under one heading",
                    )
                )
            seen.setdefault(folded, (kind, number))
    return problems


def _check_regions(shown: str, regions: Iterable[str] | None, problems: list[Problem]) -> tuple[str, ...]:
    import phonenumbers

    if regions is None:
        return DEFAULT_REGIONS
    chosen = tuple(str(r).strip().upper() for r in regions)
    unknown = [r for r in chosen if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown or not chosen:
        problems.append(
            Problem(
                file=shown or None,
                field="phone_regions",
                expected="ISO 3166 region codes such as KR, HK, US",
                found=", ".join(map(repr, unknown)) or "none",
                fix="correct the study's phone_regions (or leave it empty for the default)",
            )
        )
    return chosen or DEFAULT_REGIONS


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A number is not part of a longer token: a DOI (10.32604/ijmhp.2024.048803), a
    version, a path or an identifier."""
    before = text[start - 1] if start else " "
    after = text[end : end + 2]
    return not (before.isalnum() or before in "./\\_-:") and not (
        after[:1].isalnum() or after[:1] == "_" or (after[:1] in ".-/:" and after[1:2].isdigit())
    )


def _phone_spans(text: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of the phone numbers libphonenumber finds for any of ``regions`` (valid
    numbers only, not part of a longer token), overlapping spans merged. The matcher
    reads only the stretches of text that look like numbers (six digits or more)."""
    if not _DIGITS.search(text):
        return []
    import phonenumbers

    spans = []
    for candidate in _NUMBERISH.finditer(text):
        if sum(c.isdigit() for c in candidate.group(0)) < 6:
            continue
        start = max(0, candidate.start() - 1)  # an opening parenthesis or plus sign before the digits
        window = text[start : candidate.end()]
        spans += [
            (start + m.start, start + m.end)
            for region in regions
            for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID)
            if _stands_alone(text, start + m.start, start + m.end)
        ]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _ipv6(match: re.Match) -> bool:
    with contextlib.suppress(ValueError):
        return any(c.isalnum() for c in match.group(0)) and bool(ipaddress.IPv6Address(match.group(0)))
    return False


def _pattern_hits(text: str, regions: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every URL, e-mail address, IP address and phone number, in
    the order they are removed (each finder sees the text with the earlier ones gone)."""
    for kind, regex in (("url", URL), ("email", EMAIL), ("ip", IPV4), ("ip", IPV6)):
        for m in regex.finditer(text):
            if regex is not IPV6 or _ipv6(m):
                yield kind, m.start(), m.end()
    for start, end in _phone_spans(text, regions):
        yield "phone", start, end
    for m in PHONE.finditer(text):
        yield "phone", m.start(), m.end()


# URLs, e-mail and IP addresses are taken out first (a name inside an address is part of
# the address), held by one private-use character each while the key is applied.
_HELD = {"url": "\ue000", "email": "\ue001", "ip": "\ue002"}
_TAGS = {"url": "[URL]", "email": "[EMAIL]", "ip": "[IP]", "phone": "[PHONE]"}
_UNHOLD = re.compile("[" + "".join(_HELD.values()) + "]")


def _may_hold(regex: re.Pattern, text: str) -> bool:
    """Whether ``text`` has what a match of ``regex`` needs (cheap tests first: most texts
    hold no address at all)."""
    if regex is URL:
        return "://" in text or "www." in text or "WWW." in text
    if regex is EMAIL:
        return "@" in text
    if regex is IPV4:
        return text.count(".") >= 3
    return text.count(":") >= 2


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


def _redact(given: str, key: DeidKey, track: bool) -> tuple[str, Counter, Table | None]:
    """What :func:`deidentify` returns, and with ``track`` the table of the offsets."""
    counts: Counter = Counter()
    steps = _Steps(given, track)
    steps.apply(_nfc_edits(given))
    # URLs, e-mail and IP addresses are held first, each finder reading the text with the
    # earlier ones held; a private-use character that would be taken for one is replaced.
    steps.apply([(m.start(), m.end(), "\ufffd") for m in _UNHOLD.finditer(steps.text)])
    for kind, regex in (("url", URL), ("email", EMAIL), ("ip", IPV4), ("ip", IPV6)):
        if _may_hold(regex, steps.text):
            hits = [m for m in regex.finditer(steps.text) if regex is not IPV6 or _ipv6(m)]
            counts[kind] += len(hits)
            steps.apply([(m.start(), m.end(), _HELD[kind]) for m in hits])
    steps.apply(key.pattern.edits(steps.text, counts))
    if _DIGITS.search(steps.text):  # a phone number has six digits or more
        spans = _phone_spans(steps.text, key.regions)
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


def study_key(deid_key: str | Path | None = None, phone_regions: Iterable[str] | None = None) -> DeidKey:
    """The de-identification key a study declares (its ``deid_key`` and
    ``phone_regions`` parameters): the key file read and checked, or, when the study
    names none, a key without entries that still removes phone numbers, e-mail, URL and
    IP addresses.

    Examples
    --------
    >>> study_key("", ["kr"]).regions, study_key().regions == DEFAULT_REGIONS
    (('KR',), True)
    """
    regions = list(phone_regions) if phone_regions else None
    if deid_key:
        return read_key(deid_key, regions=regions)
    problems: list[Problem] = []
    chosen = _check_regions("", regions, problems)
    if problems:
        raise ConfigError(problems)
    return DeidKey(regions=chosen)


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
        for kind, start, end in _pattern_hits(text, key.regions):
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
    >>> try:
    ...     with redacted_errors(DeidKey(participants={"Ann Lee": "P1"})):
    ...         raise InputError(Problem(file="x.txt", found="'Ann Lee'", expected="a speaker"))
    ... except InputError as exc:
    ...     print(exc.problems[0].found)
    'P1'
    """
    try:
        yield
    except PeerstudyError as exc:
        raise type(exc)([_redact_problem(p, key) for p in exc.problems]) from None
