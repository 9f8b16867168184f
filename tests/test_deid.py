"""De-identification: pseudonyms, tags, patterns, counts; the key file's checks."""

from __future__ import annotations

import pytest

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


def test_times_and_years_are_not_phones():
    assert deidentify("At 10:30 in 2021, 3 of 12 came.", KEY)[0] == "At 10:30 in 2021, 3 of 12 came."


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
