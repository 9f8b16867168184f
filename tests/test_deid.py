"""De-identification: pseudonyms, tags, patterns, counts; the key file's checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerstudy.deid import DeidKey, deidentify, identifiers, read_key
from peerstudy.errors import InputError

KEY = DeidKey(participants={"Tom Baker": "P2", "Tom": "P2"}, names=("Rita Sollis", "Rita"), places=("Greyford",))


def test_longest_first_and_whole_words_only():
    text, counts = deidentify("Tom Baker and Tom met Rita Sollis; Tomas and Ritalin stay.", KEY)
    assert text == "P2 and P2 met [NAME]; Tomas and Ritalin stay."
    assert counts == {"participant": 2, "name": 1}


def test_phones_and_emails_by_pattern():
    text, counts = deidentify("Call 010-1234-5678 or +82 10-1234-5678, mail r.s@clinic.or.kr.", KEY)
    assert text == "Call [PHONE] or [PHONE], mail [EMAIL]."
    assert counts == {"phone": 2, "email": 1}


def test_local_eight_digit_numbers_are_phones():
    text, counts = deidentify("Text 9123 4567, 6123-4567 or 91234567 (not 912345678).", KEY)
    assert text == "Text [PHONE], [PHONE] or [PHONE] (not 912345678)."
    assert counts == {"phone": 3}


def test_times_years_and_spans_of_years_are_not_phones():
    text = "At 10:30 in 2021, 3 of 12 came; in 2019-2020 and 2019 2020 fewer; 1234567 is a count."
    assert deidentify(text, KEY)[0] == text


def test_identifiers_collects_key_values_and_pattern_matches():
    found = identifiers(KEY, "ring 010-9999-0000 or a@b.org")
    assert {"Tom", "Rita", "Greyford", "010-9999-0000", "a@b.org"} <= found
    assert "P2" not in found


def test_key_file_problems_reported_together(tmp_path):
    (tmp_path / "k.yaml").write_text("participants: {Ann: P1}\nnames: [Ann, '']\nplaces: Greyford\n")
    with pytest.raises(InputError) as info:
        read_key(tmp_path / "k.yaml")
    text = str(info.value)
    assert "field 'names': expected a list of non-empty texts" in text
    assert "field 'places': expected a list of non-empty texts" in text
    assert "field 'names': expected each identifier listed once, found 'Ann' also under participants" in text


def test_real_key_files_are_ignored_by_git_and_committed_ones_say_they_are_invented():
    """A new study's key (real identities) is never committed; the stand-in keys are."""
    import shutil
    import subprocess

    from peerstudy.config import PROJECT_ROOT, RAW_DIR

    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(rel):
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", rel], cwd=PROJECT_ROOT).returncode == 0

    assert ignored("data/raw/a-new-study/deid-key.yaml")
    assert ignored("data/raw/a-new-study/deid-key-2024.yaml")
    committed = sorted(RAW_DIR.glob("*/deid-key*.yaml"))
    assert committed, "the stand-in studies have key files"
    for key in committed:
        rel = key.relative_to(PROJECT_ROOT).as_posix()
        assert not ignored(rel), f"{rel} is a stand-in key and is committed"
        assert "INVENTED" in key.read_text(encoding="utf-8")[:400], f"{rel} must say its identities are invented"


@given(st.lists(st.one_of(st.text(max_size=30), st.sampled_from(sorted(KEY.replacements()))), max_size=12))
def test_no_key_entry_survives_as_a_whole_word_in_arbitrary_text(parts):
    """Property: whatever surrounds them, key entries standing as whole words (the rule
    of :func:`deidentify`) are all replaced, and the counts add up to the replacements."""
    import re

    text, counts = deidentify(" ".join(parts), KEY)
    for value in KEY.replacements():
        assert not re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text), (value, text)
    tags = text.count("P2") + text.count("[NAME]") + text.count("[PLACE]") + text.count("[PHONE]") + text.count("[EMAIL]")
    assert sum(counts.values()) <= tags
