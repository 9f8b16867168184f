"""Find the identifiers that need no key: URLs, e-mail addresses, IP addresses and phone numbers.

Phone numbers are found with Google's libphonenumber (the ``phonenumbers`` port) for the
key's regions and taken whole, area code and country code included; then bare local
numbers by pattern (:data:`PHONE`). A number need not be in service: one written the way
its region writes numbers (``(555) 123-4567``, ``07700 900123``, the ranges set aside for
fiction and for examples) is as personal in a transcript as a real one. Years, spans of
years, dates, ranges and small counts are not phone numbers.

Examples
--------
>>> [(kind, start, end) for kind, start, end in pattern_hits("mail a@b.org or ring 9123 4567", ["HK"])]
[('email', 5, 12), ('phone', 21, 30), ('phone', 21, 30)]
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

__all__ = [
    "DIGITS",
    "EMAIL",
    "IPV4",
    "IPV6",
    "PHONE",
    "URL",
    "is_ipv6",
    "may_hold",
    "may_hold_any",
    "pattern_hits",
    "phone_spans",
]

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
DIGITS = re.compile(r"\d(?:[\s().\-/]{0,3}\d){5}")

# Stretches that may hold a phone number: digits with the separators numbers are written
# with (spaces, no-break spaces, dots, hyphens, slashes, parentheses), and the extension
# words libphonenumber reads.
_NUMBERISH = re.compile(r"[+(]?\d[\d \t\u00a0().\-/+]*\d\)?")


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A number is not part of a longer token: a DOI (10.32604/ijmhp.2024.048803), a
    version, a path or an identifier."""
    before = text[start - 1] if start else " "
    after = text[end : end + 2]
    return not (before.isalnum() or before in "./\\_-:") and not (
        after[:1].isalnum() or after[:1] == "_" or (after[:1] in ".-/:" and after[1:2].isdigit())
    )


_YEAR = re.compile(r"(?:19|20)\d\d")


def _is_unallocated_number(raw: str, number: PhoneNumber) -> bool:
    """Whether a number libphonenumber matched with leniency ``POSSIBLE`` that is not valid
    (valid numbers are the ``VALID`` matcher's to find) is a phone number all the same: one
    written as its region writes numbers (the digit groups of ``raw`` end with those of its
    national or international form: ``555.867.5309`` as ``(555) 867-5309``,
    ``+44 7700 900123``), but not two years (``2019 2020``) nor a local number that reads
    as a range (``250-1000``: the second number larger and a multiple of ten); or one of a
    possible length written without separators after a ``+`` or the trunk prefix ``0``
    (``07700900123``).

    Examples
    --------
    >>> import phonenumbers
    >>> [_is_unallocated_number(raw, phonenumbers.parse(raw, "US")) for raw in ("(555) 123-4567", "250-1000", "1234567")]
    [True, False, False]
    """
    import phonenumbers

    if phonenumbers.is_valid_number(number):
        return False
    reason = phonenumbers.is_possible_number_with_reason(number)
    written = re.findall(r"\d+", raw)
    if len(written) == 1:
        return reason == phonenumbers.ValidationResult.IS_POSSIBLE and raw.lstrip("(")[:1] in ("+", "0")
    local = reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE and not local:
        return False
    if len(written) == 2 and all(_YEAR.fullmatch(group) for group in written):
        return False
    if local and len(written) == 2 and int(written[0]) < int(written[1]) and int(written[1]) % 10 == 0:
        return False
    forms = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    for form in forms:
        groups = re.findall(r"\d+", phonenumbers.format_number(number, form))
        if len(groups) >= 2 and written[-len(groups) :] == groups:
            return True
    return False


def phone_spans(text: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of the phone numbers libphonenumber finds for any of ``regions`` (valid
    numbers, and numbers written the way their region writes them, see
    :func:`_is_unallocated_number`; not part of a longer token), overlapping spans merged. The
    matcher reads only the stretches of text that look like numbers (six digits or more).

    Examples
    --------
    >>> phone_spans("call (02) 5550 4217, not 2019-2020", ["KR"])
    [(5, 19)]
    >>> phone_spans("call (555) 123-4567 or 07700 900123", ["US", "GB"])
    [(5, 19), (23, 35)]
    """
    if not DIGITS.search(text):
        return []
    import phonenumbers

    spans = []
    for candidate in _NUMBERISH.finditer(text):
        if sum(c.isdigit() for c in candidate.group(0)) < 6:
            continue
        start = max(0, candidate.start() - 1)  # an opening parenthesis or plus sign before the digits
        window = text[start : candidate.end()]
        for region in regions:
            found = [*phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID)]
            found += [
                m
                for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.POSSIBLE)
                if _is_unallocated_number(m.raw_string, m.number)
            ]
            spans += [
                (start + m.start, start + m.end) for m in found if _stands_alone(text, start + m.start, start + m.end)
            ]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def is_ipv6(match: re.Match) -> bool:
    """Whether a candidate matched by :data:`IPV6` is an IPv6 address (a time is not).

    Examples
    --------
    >>> [is_ipv6(m) for m in IPV6.finditer("fe80::1 at 10:30:15")]
    [True, False]
    """
    with contextlib.suppress(ValueError):
        return any(c.isalnum() for c in match.group(0)) and bool(ipaddress.IPv6Address(match.group(0)))
    return False


def pattern_hits(text: str, regions: Iterable[str]) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every URL, e-mail address, IP address and phone number, in
    the order they are removed (each finder sees the text with the earlier ones gone).

    Examples
    --------
    >>> list(pattern_hits("see https://x.org/a", ["US"]))
    [('url', 4, 19)]
    """
    for kind, regex in (("url", URL), ("email", EMAIL), ("ip", IPV4), ("ip", IPV6)):
        for m in regex.finditer(text):
            if regex is not IPV6 or is_ipv6(m):
                yield kind, m.start(), m.end()
    for start, end in phone_spans(text, regions):
        yield "phone", start, end
    for m in PHONE.finditer(text):
        yield "phone", m.start(), m.end()


def may_hold(regex: re.Pattern, text: str) -> bool:
    """Whether ``text`` has what a match of ``regex`` (:data:`URL`, :data:`EMAIL`,
    :data:`IPV4` or :data:`IPV6`) needs (cheap tests first: most texts hold no address at all).

    Examples
    --------
    >>> may_hold(EMAIL, "no address here"), may_hold(URL, "see www.example.org")
    (False, True)
    """
    if regex is URL:
        return "://" in text or "www." in text or "WWW." in text
    if regex is EMAIL:
        return "@" in text
    if regex is IPV4:
        return text.count(".") >= 3
    return text.count(":") >= 2


# What may_hold tests, for ASCII text in one pattern (RE2 reads it as Python would): the
# substrings an address needs, three full stops or two colons, and a digit (DIGITS needs six).
_MAY_HOLD = r"(?s)://|www\.|WWW\.|@|\..*\..*\.|:.*:|[0-9]"


def may_hold_any(texts: pa.Array) -> np.ndarray:
    """For each of ``texts``, whether it may hold a URL, an e-mail or IP address or a phone
    number (False: it certainly holds none), tested for a whole column at once: a text
    that is not ASCII may; an ASCII text may if :func:`may_hold` finds what one of
    :data:`URL`, :data:`EMAIL`, :data:`IPV4`, :data:`IPV6` needs, or if it holds a digit
    (:data:`DIGITS` needs six).

    Examples
    --------
    >>> may_hold_any(pa.array(["no address here", "mail a@b.org", "ring 9123 4567", "café"])).tolist()
    [False, True, True, True]
    """
    hold = pc.or_(pc.invert(pc.string_is_ascii(texts)), pc.match_substring_regex(texts, _MAY_HOLD))
    return np.asarray(pc.fill_null(hold, True).to_numpy(zero_copy_only=False), dtype=bool)
