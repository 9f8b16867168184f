"""De-identification: pseudonyms, tags, patterns, counts; the key file's checks."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, examples
from peerstudy.cleaning.deid import (
    DeidKey,
    deidentify,
    deidentify_column,
    deidentify_frame,
    find_identifiers,
    identifiers,
    redacted_errors,
    redaction_table,
)
from peerstudy.cleaning.deidkey import read_key, study_key
from peerstudy.errors import ConfigError, InputError, Problem

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
    # the entry is not quoted: a message never names a person (issue 13)
    assert "field 'names': expected each identifier listed once, found entry 1 also under participants" in text


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
    tags = (
        text.count("P2") + text.count("[NAME]") + text.count("[PLACE]") + text.count("[PHONE]") + text.count("[EMAIL]")
    )
    assert sum(counts.values()) <= tags


# ----------------------------------------------------------------------------- issue 13: matching rules
# Every expected output below is written by hand from the rule it illustrates.
REGIONAL = DeidKey(regions=("KR", "US", "AU"))


@pytest.mark.parametrize(
    "number",
    [
        "(02) 123-4567",
        "010.1234.5678",
        "01012345678",
        "+821098765432",
        "(503) 555-0147",
        "0491 570 156",
        "(02) 5550 4217",
    ],
)
def test_every_listed_phone_form_is_removed_whole(number):
    """The forms of issue 13 (Seoul landline, Korean mobile with dots, without separators and
    international, a US number, an Australian mobile and landline): the area code goes too."""
    assert deidentify(f"Call {number} today.", REGIONAL) == ("Call [PHONE] today.", {"phone": 1})


@pytest.mark.parametrize(
    "number, region",
    [
        ("(02) 123-4567", "KR"),
        ("010.1234.5678", "KR"),
        ("01012345678", "KR"),
        ("(503) 555-0147", "US"),
        ("0491 570 156", "AU"),
        ("(02) 5550 4217", "AU"),
    ],
)
def test_a_number_is_found_with_only_the_region_it_belongs_to(number, region):
    assert deidentify(f"ring {number}", DeidKey(regions=(region,)))[0] == "ring [PHONE]"


# Numbers set aside for fiction and examples, the ones people write into made-up transcripts:
# NANP 555-0100 to 555-0199 (the North American Numbering Plan Administrator's fictional
# range), Ofcom's drama ranges 07700 900000-900999, 020 7946 0000-0999 and 0113 496
# 0000-0999, and the area code 555 written in each of the forms a US number takes.
# libphonenumber calls them invalid (not allocated), yet in an output they read as a number.
@pytest.mark.parametrize(
    "number",
    [
        "(555) 123-4567",
        "555.867.5309",
        "555-0199",
        "867-5309",
        "+1 (555) 010-9999",
        "1 555 010 9999",
        "+44 7700 900123",
        "07700 900123",
        "07700900123",
    ],
)
def test_numbers_written_as_phone_numbers_are_removed_though_not_in_service(number):
    assert deidentify(f"Call {number} today.", DeidKey(regions=("US", "GB"))) == ("Call [PHONE] today.", {"phone": 1})


@pytest.mark.parametrize(
    "text",
    [
        "between 250-1000 people",  # a range: the second number larger and round
        "it cost 100.000.000 won",  # thousands separated by full stops
        "in 2019 2020 and 2021 2022",  # years
        "version 1.2.3456789",  # part of a longer token
    ],
)
def test_ranges_amounts_years_and_versions_are_not_phones(text):
    assert deidentify(text, DeidKey()) == (text, {})


def test_years_dates_counts_times_and_references_are_not_phones():
    text = (
        "In 2019-2020 and 2019 2020, on 2021-03-05 (20210305) and 12/03/2021 at 10:30:15, 3 of 12 came; "
        "1234567 is a count; see doi:10.32604/ijmhp.2024.048803, pages 251-260."
    )
    assert deidentify(text, DeidKey()) == (text, {})


def test_emails_urls_and_ip_addresses_by_pattern():
    text = (
        "Mail ann.lee+peer@clinic.or.kr, see https://clinic.example/staff?id=7. or www.example.org, "
        "from 192.168.10.4 and 2001:db8::8a2e:370:7334 at [00:00:05]."
    )
    expected = "Mail [EMAIL], see [URL]. or [URL], from [IP] and [IP] at [00:00:05]."
    assert deidentify(text, DeidKey()) == (expected, {"email": 1, "url": 2, "ip": 2})


def test_a_name_inside_an_address_is_part_of_the_address():
    # "tom" is a participant key, but here it is the mailbox of an e-mail address
    assert deidentify("write to tom@example.org", KEY) == ("write to [EMAIL]", {"email": 1})


CASES_OF_NAMES = [
    ("case does not matter", "TOM BAKER and rita sollis", "P2 and [NAME]"),
    ("decomposed accents (NFD) match precomposed keys", "Jose\u0301 came", "[NAME] came"),
    ("a no-break space inside a place name", "the Haneul\u00a0Gil centre", "the [PLACE] centre"),
    ("a line break inside a name", "Rita\nSollis said", "[NAME] said"),
    ("a name split at its hyphen across a line", "Kang Tae-\nhoon and Tae-\n  hoon", "P3 and P3"),
    ("a hyphen joined again with a space (continuation lines)", "Tae- hoon", "P3"),
    ("other hyphens (U+2011, U+2010, soft hyphen)", "Tae\u2011hoon, Tae\u2010hoon, Tae\u00adhoon", "P3, P3, P3"),
    ("Korean name followed by a particle (kept)", "민서가 왔어요", "P1가 왔어요"),
    ("Japanese name followed by an honorific", "山田さんと話した", "[NAME]さんと話した"),
    ("katakana name inside a sentence", "昨日ヤマダが来た", "昨日[PLACE]が来た"),
    ("Latin names stay whole words", "Tomas took Ritalin in Greyfordshire", "Tomas took Ritalin in Greyfordshire"),
    ("longest entry first", "Kang Tae-hoon, then Kang", "P3, then P3"),
]
NAMES_KEY = DeidKey(
    participants={"Tom Baker": "P2", "Kang Tae-hoon": "P3", "Tae-hoon": "P3", "Kang": "P3", "민서": "P1"},
    names=("Rita Sollis", "José", "山田"),
    places=("Haneul Gil", "Greyford", "ヤマダ"),
)


@pytest.mark.parametrize("about, text, expected", CASES_OF_NAMES, ids=[c[0] for c in CASES_OF_NAMES])
def test_key_entries_are_matched_as_written_and_as_typed(about, text, expected):
    assert deidentify(text, NAMES_KEY)[0] == expected


def test_counts_by_kind_in_the_order_reported():
    text, counts = deidentify("Tom met Rita in Greyford; 010-1234-5678; a@b.org; Tom again.", KEY)
    assert text == "P2 met [NAME] in [PLACE]; [PHONE]; [EMAIL]; P2 again."
    assert list(counts.items()) == [("participant", 2), ("name", 1), ("place", 1), ("email", 1), ("phone", 1)]


def test_the_key_pattern_is_compiled_once_per_key(monkeypatch):
    """The alternation of a key is built and compiled on first use and kept on the key:
    600 texts de-identified with one key compile it once (issue 14: per text it was
    quadratic)."""
    import re as re_module

    compiled = []
    real = re_module.compile

    def counting(pattern, flags=0):
        if isinstance(pattern, str) and "greyford" in pattern:
            compiled.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(re_module, "compile", counting)
    key = DeidKey(participants={"Tom": "P2"}, places=("Greyford",))
    for i in range(600):
        deidentify(f"Turn {i}: Tom walked to Greyford.", key)
    assert len(compiled) == 1
    other = DeidKey(places=("Greyford",))
    deidentify("Greyford", other)
    assert len(compiled) == 2  # a second key has its own pattern


def test_redaction_table_counts_each_kind_per_source():
    table = redaction_table({"text": Counter(name=2, phone=1), "speaker labels": Counter(participant=5)})
    # by hand: total = sum of the two sources, every kind listed
    assert table.to_dict("list") == {
        "kind": ["participant", "name", "place", "email", "phone", "url", "ip"],
        "replaced": [5, 2, 0, 0, 1, 0, 0],
        "text": [0, 2, 0, 0, 1, 0, 0],
        "speaker labels": [5, 0, 0, 0, 0, 0, 0],
    }


def test_find_identifiers_names_the_kind_of_each_value():
    found = find_identifiers(KEY, "ring 010-9999-0000, a@b.org or http://x.example/p on 10.0.0.1")
    assert found["Tom Baker"] == "participant" and found["Rita"] == "name" and found["Greyford"] == "place"
    assert {v: k for v, k in found.items() if k in ("phone", "email", "url", "ip")} == {
        "010-9999-0000": "phone",
        "a@b.org": "email",
        "http://x.example/p": "url",
        "10.0.0.1": "ip",
    }


def test_regions_are_checked(tmp_path):
    (tmp_path / "k.yaml").write_text("names: [Ann]\n")
    assert read_key(tmp_path / "k.yaml", regions=["kr", "us"]).regions == ("KR", "US")
    with pytest.raises(
        InputError,
        match=r"field 'phone_regions': expected ISO 3166 region codes such as KR, HK, US, "
        r"found 'XX'",
    ):
        read_key(tmp_path / "k.yaml", regions=["KR", "XX"])
    with pytest.raises(ConfigError, match="found 'KOREA'"):
        study_key("", ["Korea"])
    assert study_key("", None) == DeidKey()


def test_an_entry_under_two_headings_is_found_whatever_its_case_and_not_quoted(tmp_path):
    (tmp_path / "k.yaml").write_text("participants: {Ann Lee: P1}\nnames: [ANN LEE]\n")
    with pytest.raises(InputError) as info:
        read_key(tmp_path / "k.yaml")
    assert "field 'names': expected each identifier listed once, found entry 1 also under participants" in str(
        info.value
    )
    assert "ann" not in str(info.value).lower().replace("annotated", "")


def test_errors_raised_within_redacted_errors_name_no_person():
    with pytest.raises(InputError) as info, redacted_errors(KEY):
        raise InputError(
            Problem(
                file="data/raw/s/I06 Tom Baker.txt",
                field="speaker",
                expected="a speaker",
                found="'Rita Sollis' in Greyford",
                fix="map Tom to a pseudonym",
            )
        )
    assert str(info.value) == (
        "data/raw/s/I06 P2.txt, field 'speaker': expected a speaker, found '[NAME]' in [PLACE]. "
        "Fix: map P2 to a pseudonym."
    )


def test_deidentify_frame_keeps_dtypes_and_missing_values():
    frame = pd.DataFrame({"note": pd.array(["Tom said", None], dtype="string"), "n": [1, 2]})
    out = deidentify_frame(frame, KEY)
    assert out["note"].tolist() == ["P2 said", pd.NA] and out.dtypes.equals(frame.dtypes)
    assert frame["note"].iloc[0] == "Tom said"  # the caller's frame is not modified


# ----------------------------------------------------------------------------- issue 13: every text a study carries
def _mini_study(tmp_path):
    """The mini interview study with names where researchers put them: a transcript file
    named after its participant, coder notes, a codebook definition, a reconciliation
    reason and memo titles (invented people)."""
    import shutil

    folder = tmp_path / "study"
    shutil.copytree(FIXTURES / "mini-interviews", folder)
    old = folder / "transcripts/I01.txt"
    text = old.read_text(encoding="utf-8").replace("Transcript: I01 (", "Transcript: I01 Ana Moreno (")
    (folder / "transcripts/I01 Ana Moreno.txt").write_text(text, encoding="utf-8")
    old.unlink()
    for sheet in ("coder-a.csv", "coder-b.csv"):
        path = folder / sheet
        path.write_text(path.read_text(encoding="utf-8").replace(",I01,", ",I01 Ana Moreno,"), encoding="utf-8")
    path = folder / "coder-a.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("S2,AA,\n", "S2,AA,Rita's doubts; call 010-2222-3333\n", 1),
        encoding="utf-8",
    )
    path = folder / "codebook.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Trust grows over time.", "Trust grows as Tom put it."),
        encoding="utf-8",
    )
    path = folder / "reconciliation.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "U5,S1,keep,about trust rather than tasks", "U5,S1,keep,Tom Baker stressed trust in Greyford"
        ),
        encoding="utf-8",
    )
    (folder / "memos.csv").write_text(
        "memo,date,codes,title,text\nM1,2021-03-09,S1,What Ana Moreno said,long text\n", encoding="utf-8"
    )
    return folder


def test_ids_file_names_notes_definitions_reasons_and_memo_titles_are_deidentified(tmp_path):
    from peerstudy.cleaning.clean import clean_export
    from peerstudy.cleaning.transcripts import clean_transcripts, read_transcripts
    from peerstudy.qualitative.codebook import read_codebook
    from peerstudy.qualitative.coding import read_codings
    from peerstudy.qualitative.memos import read_memos
    from peerstudy.qualitative.reconciliation import reconcile

    folder = _mini_study(tmp_path)
    key = read_key(folder / "deid-key.yaml")
    people = clean_export(folder / "participants.csv", folder / "fields.yaml")
    clean = clean_transcripts(read_transcripts(folder / "transcripts"), key, people.participants)
    assert clean.documents["document"].tolist() == ["I01 P1", "I02", "FG1"]
    assert set(clean.turns["document"]) == {"I01 P1", "I02", "FG1"}
    assert clean.redactions.set_index("kind").loc["participant", "ids and file names"] == 1
    book = read_codebook(folder / "codebook.yaml", key)
    assert book.at["S1", "definition"] == "Trust grows as P2 put it."
    coded = read_codings(
        [folder / "coder-a.csv", folder / "coder-b.csv"],
        clean.documents,
        book,
        document_key=["transcript"],
        turns=clean.turns,
        unit_column="unit",
        key=key,
    )
    assert "[NAME]'s doubts; call [PHONE]" in coded.codings["note"].tolist()
    assert set(coded.segments["document"]) >= {"I01 P1"}  # sheets naming the raw file were matched
    reasons = reconcile(coded, folder / "reconciliation.csv", key=key).disagreements["reason"].tolist()
    assert "P2 stressed trust in [PLACE]" in reasons
    assert read_memos(folder / "memos.csv", book, key)["title"].tolist() == ["What P1 said"]


def test_a_transcript_problem_never_quotes_a_keyed_name(tmp_path):
    from peerstudy.cleaning.transcripts import clean_transcripts, read_transcripts

    folder = _mini_study(tmp_path)
    key = read_key(folder / "deid-key.yaml")
    with pytest.raises(InputError) as info, redacted_errors(key):
        clean_transcripts(read_transcripts(folder / "transcripts"), key, pd.Series(["P2"]))
    message = str(info.value)
    assert "I01 P1.txt" in message and "a speaker the key maps to 'P1'" in message
    for name in ("Ana", "Moreno", "Tom", "Baker"):
        assert name not in message


def test_a_text_without_identifiers_is_returned_as_given_and_one_with_them_in_nfc():
    decomposed = "cafe\u0301 talk"  # NFD: cleaning, not de-identification, logs its normalisation
    assert deidentify(decomposed, KEY) == (decomposed, {})
    assert deidentify(decomposed + " with Rita", KEY) == ("caf\u00e9 talk with [NAME]", {"name": 1})


def test_descriptions_of_imported_qdpx_selections_are_deidentified(tmp_path):
    """A QDA program's selection description (a coder's note) goes through the key too."""
    import zipfile

    from peerstudy.qualitative.coding import read_codings
    from peerstudy.qualitative.refi import read_refi

    source = FIXTURES / "qdpx/two_coders.qdpx"
    target = tmp_path / "described.qdpx"
    opening = 'endPosition="45" creatingUser="4a08a3d8-a8d7-5b27-8adc-c977734acff8">'
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "project.qde":
                text = data.decode("utf-8")
                assert opening in text
                data = text.replace(
                    opening, opening + "<Description>Rita said so, ring 010-1234-5678</Description>", 1
                ).encode("utf-8")
            new.writestr(name, data)
    project = read_refi(target)
    coded = read_codings([], project.documents, project.codebook, qdpx=target, key=KEY)
    notes = [n for n in coded.codings["note"] if n]
    assert notes == ["[NAME] said so, ring [PHONE]"]


_TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="Ann Lee a@b.org www. :// 9123 4567 10.0.0.1 fe80::1 \ue000 e\u0301 민서가 .:-", max_size=60),
)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(_TEXTS, max_size=12))
def test_a_column_is_deidentified_as_its_texts_one_by_one(texts):
    # issue 14: a column's texts are screened at once, and only those that may hold an
    # identifier are de-identified one by one (a text found to hold nothing is passed over
    # early); the reference is deidentify() of each text with every text taken the long way
    from unittest import mock

    from peerstudy.cleaning import deid

    key = DeidKey(participants={"Ann Lee": "P1", "민서": "P2"}, names=("Lee",), regions=("KR", "US"))
    out, counts = deidentify_column(texts, key)
    with mock.patch.object(deid, "_holds_nothing", lambda text, key: False):
        expected = [deidentify(t, key) for t in texts]
    assert out == [t for t, _ in expected]
    assert counts == [c for _, c in expected]


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_an_ascii_text_said_to_hold_no_address_or_number_holds_none(text):
    # the column screen (one Arrow pattern) against the per-text tests it stands for
    import pyarrow as pa

    from peerstudy.cleaning.identifierfinders import DIGITS, EMAIL, IPV4, IPV6, URL, may_hold, may_hold_any

    per_text = any(may_hold(r, text) for r in (URL, EMAIL, IPV4, IPV6)) or any(c.isdigit() for c in text)
    assert bool(may_hold_any(pa.array([text]))[0]) == per_text
    if not per_text:
        assert DIGITS.search(text) is None


def test_a_key_of_numbered_pseudonyms_is_read_as_written(tmp_path):
    # participant ids such as 001 (YAML alone would read them as the number 1, and the key
    # was refused as "not a mapping of name -> pseudonym (text)"), and a place called No
    from peerstudy.cleaning.deidkey import read_key

    (tmp_path / "key.yaml").write_text("participants: {Mara Quill: 001, Mara: 001, Joel Brandt: 002}\nplaces: [No]\n")
    key = read_key(tmp_path / "key.yaml")
    assert key.participants == {"Mara Quill": "001", "Mara": "001", "Joel Brandt": "002"}
    assert key.places == ("No",)
