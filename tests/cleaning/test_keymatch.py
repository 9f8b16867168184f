"""Key entries matched in text (peerstudy.cleaning.keymatch): the lookahead put in front of
the entries' alternation only makes the search faster; it finds exactly what the
alternation alone finds, case pairs that ``lower()`` does not join included."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from peerstudy.cleaning.keymatch import KeyPattern

# Letters with case pairs that lower() does not join (Kelvin sign, long s, dotless and
# dotted i, sharp s, micro sign and mu, final sigma, Greek theta symbol), plain letters,
# digits, white space and hyphens of the kinds an entry may hold, and Hangul and Han (CJK
# entries match as substrings).
ALPHABET = "kK\u212asS\u017fiI\u0131\u0130\u00df\u00b5\u03bc\u03c3\u03c2\u03a3\u03b8\u03d1\u0398an 0-\u2010\u00a0\u200b\ubbfc\uc11c\u738b,."


def _without_lookahead(pattern: KeyPattern) -> re.Pattern[str]:
    """The alternation alone. Inside the lookahead's class every ']' and ')' is escaped, so
    the first '])' ends it."""
    source = pattern.regex.pattern
    assert source.startswith("(?=[")
    return re.compile(source[source.index("])") + 2 :], re.IGNORECASE)


def _spans(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)]


@settings(max_examples=examples(300), deadline=None)
@given(
    entries=st.lists(st.text(ALPHABET, min_size=1, max_size=6), min_size=1, max_size=6),
    text=st.text(ALPHABET, max_size=60),
)
def test_the_lookahead_finds_what_the_alternation_alone_finds(entries, text):
    pattern = KeyPattern({entry: ("X", "name") for entry in entries})
    if pattern.regex is None:  # entries of white space alone fold to nothing
        return
    assert _spans(pattern.regex, text) == _spans(_without_lookahead(pattern), text)


def test_an_entry_written_with_a_kelvin_sign_or_a_long_s_is_still_found():
    # Hand-made: "Kang Sora" written with U+212A KELVIN SIGN and U+017F LONG S; Python's
    # IGNORECASE joins them with k and s, which lower() does not (see deid's docstring)
    pattern = KeyPattern({"Kang Sora": ("P1", "participant")})
    text = "as \u212aang \u017fora said"
    assert _spans(pattern.regex, text) == [(3, 12)] == _spans(_without_lookahead(pattern), text)


def test_a_class_of_one_character_matches_what_the_character_alone_matches():
    """What the lookahead relies on, over every code point: for the characters whose case
    pairs are special, ``[c]`` and ``c`` match the same characters under IGNORECASE."""
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for char in "ks\u212a\u017fi\u0131\u0130\u00df\u00b5\u03bc\u03c3\u03c2\u03a3\u03b8\u03d1":
        alone = re.compile(re.escape(char), re.IGNORECASE).findall(everything)
        in_class = re.compile(f"[{re.escape(char)}]", re.IGNORECASE).findall(everything)
        assert alone == in_class, char
