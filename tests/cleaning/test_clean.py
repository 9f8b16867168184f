"""Cleaning rules, one by one, and the survey cleaner on a small messy export."""

from __future__ import annotations

import csv
import hashlib
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import MINI, examples
from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.surveyfields import read_fields
from peerstudy.cleaning.values import normalise_label, normalise_text, parse_integer
from peerstudy.errors import ConfigError, InputError


# ----------------------------------------------------------------------------- rules
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Schizophrenia", "schizophrenia"),
        (" SCHIZOPHRENIA", "schizophrenia"),
        ("schizophrenia.", "schizophrenia"),
        ("Mood  Disorder", "mood disorder"),
        ("ＡＳＤ", "asd"),
        ("統合失調症", "統合失調症"),
    ],
)
def test_normalise_label(raw, expected):
    assert normalise_label(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("29歳", 29),
        (" 30", 30),
        ("61 years", 61),
        ("54 yrs", 54),
        ("３１", 31),
        ("58 ", 58),
        ("-3", -3),
        ("", None),
        ("forty", None),
        ("4 5", None),
        ("45.5", None),
    ],
)
def test_parse_integer(raw, expected):
    assert parse_integer(raw, units=["歳", "years", "yrs"]) == expected


def test_normalise_text_keeps_content_and_fixes_layout():
    raw = '  He said "thank you", and — café\u0301?\r\nNext line   \rlast  '
    assert normalise_text(raw) == 'He said "thank you", and — café́?\nNext line\nlast'


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_text_normalisation_is_idempotent_and_never_crashes(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "\r" not in once


@settings(max_examples=examples(200), deadline=None)
@given(st.text())
def test_label_normalisation_is_idempotent(text):
    once = normalise_label(text)
    assert normalise_label(once) == once


# ----------------------------------------------------------------------------- fields file
def test_fields_file_rejects_bare_yes_no_and_unknown_type(tmp_path):
    (tmp_path / "f.yaml").write_text(
        "fields:\n  n: {column: N, type: id}\n"
        "  e: {column: E, type: boolean, 'true': [yes], 'false': [no]}\n"
        "  t: {column: T, type: txt}\n"
    )
    with pytest.raises(ConfigError) as info:
        read_fields(tmp_path / "f.yaml")
    text = str(info.value)
    assert "field 'fields.e': expected spellings written as quoted text" in text
    assert "field 'fields.t.type': expected one of id, integer" in text


def test_fields_file_rejects_a_spelling_under_two_values(tmp_path):
    (tmp_path / "f.yaml").write_text(
        "fields:\n  n: {column: N, type: id}\n  s: {column: S, type: category, categories: {a: [x], b: [X]}}\n"
    )
    with pytest.raises(ConfigError, match="each spelling under one value only"):
        read_fields(tmp_path / "f.yaml")


# ----------------------------------------------------------------------------- the cleaner
@pytest.fixture
def mini(tmp_path):
    """A copy of the mini survey the test may alter."""
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    return folder


def clean(folder, **kw):
    return clean_export(
        folder / "export.csv", folder / "fields.yaml", text_fields=["why"], analyse_text_if="experienced", **kw
    )


def test_mini_survey_is_cleaned(mini):
    result = clean(mini)
    assert result.questionnaires.to_dict("list") == {"number": [1, 2, 3, 4], "returned": [True, False, True, True]}
    p = result.participants.set_index("number")
    assert p["age"].tolist() == [30, 45, 60]
    assert p["sex"].tolist() == ["female", "male", "female"]
    assert p["experienced"].tolist() == [True, False, True]
    # free text only for the experienced; line breaks normalised, quotes and accents kept
    assert result.documents["document"].tolist() == ["1/why", "4/why"]
    assert result.documents.loc[0, "text"] == 'I wanted to "give back", really.\nAnd to grow.'


def test_every_change_is_logged_with_file_row_field_before_after_rule(mini):
    log = clean(mini).log
    assert list(log.columns) == ["file", "row", "field", "before", "after", "rule"]
    rules = dict(zip(zip(log["row"], log["field"], strict=False), log["rule"], strict=False))
    assert rules[(2, "(whole row)")] == "extra header row dropped"
    assert rules[(4, "(whole row)")] == "blank (unreturned) questionnaire dropped"
    assert rules[(6, "(whole row)")] == "duplicate submission dropped"
    assert rules[(3, "Age")] == "number: spaces, unit or full-width digits removed"
    assert rules[(5, "Gender")] == "spelling variant → canonical label"
    age = log[(log["row"] == 3) & (log["field"] == "Age")].iloc[0]
    assert (age["before"], age["after"]) == (" 30 years", "30")
    assert log["file"].str.endswith("mini/export.csv").all()


def test_raw_file_is_not_modified(mini):
    before = hashlib.sha256((mini / "export.csv").read_bytes()).hexdigest()
    clean(mini)
    assert hashlib.sha256((mini / "export.csv").read_bytes()).hexdigest() == before


def test_problems_are_all_reported_with_row_and_column(mini):
    text = (mini / "export.csv").read_text(encoding="utf-8-sig")
    text = text.replace("４５", "forty-five", 1).replace('"F"', "F").replace(",F,", ",Femme,").replace(",60,", ",160,")
    (mini / "export.csv").write_text(text, encoding="utf-8-sig", newline="")
    with pytest.raises(InputError) as info:
        clean(mini)
    messages = [str(p) for p in info.value.problems]
    assert any("row 5, field 'Age': expected a whole number" in m and "'forty-five'" in m for m in messages)
    assert any(
        "row 7, field 'Gender': expected one of the declared spellings" in m and "'Femme'" in m for m in messages
    )
    assert any("row 7, field 'Age': expected a number from 18 to 99, found 160" in m for m in messages)


def test_conflicting_duplicate_is_an_error(mini):
    data = (mini / "export.csv").read_bytes()
    i = data.rfind(b",m,")  # the second submission of number 3 now differs from the first
    (mini / "export.csv").write_bytes(data[:i] + b",f," + data[i + 3 :])
    with pytest.raises(InputError, match=r"row 6, field 'No\.': expected one submission per No\., found 3 again"):
        clean(mini)


def test_missing_required_answer(mini):
    text = (mini / "export.csv").read_text(encoding="utf-8-sig").replace(",60,", ",,")
    (mini / "export.csv").write_text(text, encoding="utf-8-sig", newline="")
    with pytest.raises(
        InputError, match=r"row 7, field 'Age': expected an answer \(the field is required\), found no answer"
    ):
        clean(mini)


def test_missing_column_names_it(mini):
    text = (mini / "export.csv").read_text(encoding="utf-8-sig").replace("Gender", "Sex", 1)
    (mini / "export.csv").write_text(text, encoding="utf-8-sig", newline="")
    with pytest.raises(InputError, match=r"export\.csv, row 1, field 'Gender': expected column\(s\) 'Gender'"):
        clean(mini)


def test_free_text_is_deidentified_before_cleaning_and_logging(mini):
    """Identifiers in answers (analysed or set aside) never reach documents or the log."""
    from peerstudy.cleaning.deid import DeidKey

    export = mini / "export.csv"
    text = export.read_text(encoding="utf-8-sig")
    text = text.replace("Café talk with peers", "Café talk with Rita Sollis (ring 9123 4567)")
    text = text.replace(
        "3,2020/01/02 10:05,４５,m,no,N/A\n3,2020/01/02 11:00,４５,m,no,N/A",
        "3,2020/01/02 10:05,４５,m,no,Mail me: ken@example.org  \n"
        "3,2020/01/02 11:00,４５,m,no,Mail me: ken@example.org  ",
    )
    export.write_text(text, encoding="utf-8")
    result = clean(mini, deid_key=DeidKey(names=("Rita Sollis",)))
    assert (
        result.documents.set_index("document").at["4/why", "text"]
        == "Café talk with [NAME] (ring [PHONE]) — it helped me."
    )
    logged = " ".join(result.log["before"].astype(str)) + " ".join(result.log["after"].astype(str))
    assert "ken@example.org" not in logged and "[EMAIL]" in logged, "set-aside answers are logged de-identified"
    assert dict(zip(result.redactions["kind"], result.redactions["replaced"], strict=False)) == {
        "participant": 0,
        "name": 1,
        "place": 0,
        "email": 2,
        "phone": 1,
        "url": 0,
        "ip": 0,
    }
    # without a key, e-mail addresses and phone numbers are still redacted
    plain = clean(mini)
    assert "Rita Sollis" in plain.documents.set_index("document").at["4/why", "text"]
    assert plain.redactions.set_index("kind")["replaced"].to_dict()["phone"] == 1


def test_text_fields_must_be_declared(mini):
    with pytest.raises(ConfigError, match="field 'text_fields': expected names of text fields"):
        clean_export(mini / "export.csv", mini / "fields.yaml", text_fields=["whyy"])


@settings(max_examples=examples(40), deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200))
def test_arbitrary_free_text_never_crashes_the_cleaner(tmp_path_factory, answer):
    folder = tmp_path_factory.mktemp("prop")
    shutil.copytree(MINI, folder, dirs_exist_ok=True)
    rows = [
        ["No.", "Entered", "Age", "Gender", "Peer support before?", "Why did you start?"],
        ["", "", "", "", "", ""],
        ["1", "2020/01/02 10:00", "30", "f", "yes", answer],
    ]
    with open(folder / "export.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    result = clean(folder)
    texts = result.documents["text"].tolist()
    assert texts == ([normalise_text(answer)] if normalise_label(answer) not in ("", "n/a") else [])


# ----------------------------------------------------------------------------- any field name
def test_an_identifier_named_participant_is_the_participant_column(tmp_path):
    """Issue 15: an id field named 'participant' crashed with 'cannot insert participant, already exists'."""
    (tmp_path / "export.csv").write_text("participant_id,age\nP7,40\nP9,51\n", encoding="utf-8")
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  participant: {column: participant_id, type: id}\n  age: {column: age, type: integer}\n"
    )
    result = clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
    assert list(result.participants.columns) == ["participant", "age"]
    assert result.participants["participant"].tolist() == ["P7", "P9"]
    assert result.questionnaires["participant"].tolist() == ["P7", "P9"]


def test_answers_without_a_respondent_number_are_numbered_by_their_row(tmp_path):
    # two header rows, then answers on rows 3, 4 and 6 of the file (row 5 is left blank, as a
    # spreadsheet shows it): the ids are those row numbers, counted by hand
    (tmp_path / "export.csv").write_text("Age,Why\nYour age,Your reason\n40,to help\n51,to learn\n,\n33,to give back\n")
    (tmp_path / "fields.yaml").write_text(
        'header_rows: 2\nfields:\n  respondent: {column: "(row number)", type: id}\n'
        "  age: {column: Age, type: integer}\n  why: {column: Why, type: text}\n"
    )
    result = clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml", text_fields=["why"])
    assert result.participants["respondent"].tolist() == [3, 4, 6]
    assert result.documents["participant"].tolist() == ["3", "4", "6"]
    (tmp_path / "fields.yaml").write_text(
        'fields:\n  respondent: {column: "(row number)", type: id}\n  age: {column: "(row number)", type: integer}\n'
    )
    with pytest.raises(ConfigError, match=r"field 'fields.age.column': expected '\(row number\)' only for the field"):
        read_fields(tmp_path / "fields.yaml")


def test_a_field_name_that_cannot_name_a_file_is_refused(tmp_path):
    # a field's name names its figure and its code-by table: "age/years" made a folder
    # tables/code-by-age/ holding years.csv
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  n: {column: N, type: id}\n  age/years: {column: Age, type: integer}\n  ..: {column: X, type: text}\n"
    )
    with pytest.raises(ConfigError) as info:
        read_fields(tmp_path / "fields.yaml")
    assert [p.field for p in info.value.problems] == ["fields.age/years", "fields..."]
    assert "rename the field (the key on the left, e.g. age_years)" in str(info.value)


def test_a_field_named_like_an_internal_column_is_one_clear_error(tmp_path):
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  n: {column: N, type: id}\n  participant: {column: P, type: text}\n  returned: {column: R, type: label}\n"
    )
    with pytest.raises(ConfigError) as info:
        read_fields(tmp_path / "fields.yaml")
    assert len(info.value.problems) == 2
    assert "field 'fields.participant': expected a field name other than the cleaned tables' own columns" in str(
        info.value
    )
    assert "rename the field" in str(info.value)


# ----------------------------------------------------------------------------- numbers and choices
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0.5", 0.5),
        (" 12 ", 12.0),
        ("１．５", 1.5),
        ("3 years", 3.0),
        (".25", 0.25),
        ("-2", -2.0),
        ("1,5", None),
        ("half", None),
        ("", None),
        ("1.2.3", None),
    ],
)
def test_parse_number(raw, expected):
    from peerstudy.cleaning.values import parse_number

    assert parse_number(raw, units=["years"]) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Peer group, Walks, outdoors", ["Peer group", "Walks, outdoors"]),  # the option holds the separator
        ("walks,  OUTDOORS", ["Walks, outdoors"]),  # spaces and case do not matter
        ("2, 1", ["Walks, outdoors", "Peer group"]),  # codes as well as labels
        ("Peer group, Choir", None),  # not a declared option
    ],
)
def test_split_choices(raw, expected):
    from peerstudy.cleaning.values import split_choices

    assert split_choices(raw, [("1", "Peer group"), ("2", "Walks, outdoors")], separator=",") == expected


def test_number_limits_and_undeclared_option_are_reported(tmp_path):
    (tmp_path / "export.csv").write_text("id,years,groups\n1,0.5,Peer group\n2,61.5,Choir\n", encoding="utf-8")
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  id: {column: id, type: id}\n  years: {column: years, type: number, min: 0, max: 60}\n"
        "  groups: {column: groups, type: multi, options: [Peer group, 'Walks, outdoors']}\n"
    )
    with pytest.raises(InputError) as info:
        clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
    text = str(info.value)
    assert len(info.value.problems) == 2
    assert "row 3, field 'groups': expected declared options separated by ';'" in text and "'Choir'" in text
    assert "row 3, field 'years': expected a number from 0 to 60, found 61.5" in text


# ----------------------------------------------------------------------------- Likert items
def test_likert_scores_labels_and_reverse_scored_items(tmp_path):
    (tmp_path / "export.csv").write_text(
        "id,calm,worried\n1,Agree,Agree\n2,1,strongly AGREE\n3,Neutral,2\n4,,Disagree\n", encoding="utf-8"
    )
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  id: {column: id, type: id}\n"
        "  calm: {column: calm, type: likert, levels: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]}\n"
        "  worried:\n    column: worried\n    type: likert\n    reverse: true\n"
        "    levels: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}\n"
    )
    result = clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
    p = result.participants
    # by hand: Agree = 4; reversed on a 1..5 scale, a score s becomes 6 - s
    assert p["calm"].tolist() == [4, 1, 3, pd.NA]
    assert p["worried"].tolist() == [6 - 4, 6 - 5, 6 - 2, 6 - 2]
    assert str(p["calm"].dtype) == "Int64"
    rules = result.log.set_index(["row", "field"])["rule"]
    assert rules[(2, "calm")] == "likert: level label → score"
    assert rules[(3, "worried")] == "likert: reverse-scored (1..5)"


def test_likert_levels_must_be_declared(tmp_path):
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  id: {column: id, type: id}\n  calm: {column: calm, type: likert, levels: [Only one]}\n"
        "  worried: {column: w, type: likert, levels: [a, b], reverse: maybe}\n"
    )
    with pytest.raises(ConfigError) as info:
        read_fields(tmp_path / "fields.yaml")
    assert [p.field for p in info.value.problems] == ["fields.calm.levels", "fields.worried.reverse"]


def test_plain_dates_and_numbers_read_quickly_agree_with_the_standard_library():
    # issue 14: plainly written cells are read a column at once, skipping the general rules;
    # the expected values come from datetime.strptime and int() themselves (not plain where
    # strptime refuses the cell)
    from datetime import datetime

    from peerstudy.cleaning.plaincells import read_plain
    from peerstudy.cleaning.surveyfields import FieldSpec

    when = FieldSpec(name="e", column="E", type="datetime", formats=("%Y/%m/%d %H:%M", "%d.%m.%Y"))
    cells = ["2020/01/02 10:00", "2020/1/2 3:04", "2020/02/30 10:00", "2020/13/02 10:00", "2020/01/02 24:00",
             "2020/02/29 23:59", "1900/02/29 10:00", "0001/01/01 00:00", "0000/01/01 00:00", "9999/12/31 23:59"]  # fmt: skip
    got = read_plain(when, pd.Series(cells), ("", "n/a"))
    for cell, plain, value in zip(cells, got.plain, got.values, strict=True):
        try:
            expected = datetime.strptime(cell, "%Y/%m/%d %H:%M")
        except ValueError:
            expected = None
        assert (pd.Timestamp(value).to_pydatetime() if plain else None) == expected, cell
    # not plain, left to the general rules: the second format, outer or doubled spaces,
    # full-width digits, a line end, a missing marker
    odd = ["02.01.2020", " 2020/01/02 10:00", "2020/01/02  10:00", "２０２０/01/02 10:00", "2020/01/02 10:00\n", "n/a"]
    assert not read_plain(when, pd.Series(odd), ("", "n/a")).plain.any()
    count = FieldSpec(name="a", column="A", type="integer", units=("years",))
    got = read_plain(count, pd.Series(["007", "12", "0", "1" * 19, " 12", "１２", "-3"]), ())
    assert got.plain.tolist() == [True, True, True, False, False, False, False]
    assert got.values[:3].tolist() == [int("007"), int("12"), int("0")]
    assert got.changed[:3].tolist() == [True, False, False]  # written other than str(int(cell))
    assert not read_plain(count, pd.Series(["12"]), ("12",)).plain.any()  # a declared missing marker
    assert not read_plain(
        FieldSpec(name="a", column="A", type="integer", units=("2",)), pd.Series(["12"]), ()
    ).plain.any()


@pytest.mark.parametrize("text", ["\u2025", "\u2026", "a . .", "x\u2026 ."])
def test_label_normalisation_is_idempotent_on_runs_of_final_stops(text):
    # found by Hypothesis: '‥' (U+2025) is '..' once NFKC-normalised, so one stop removed left one
    once = normalise_label(text)
    assert normalise_label(once) == once and not once.endswith(".")


def _label_as_defined(value: str) -> str:
    """normalise_label as its docstring defines it (NFKC, case-folded, every run of white
    space one space, trimmed, final stops dropped), written without its quick paths."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    text = re.sub(r"\s+", " ", text).strip()
    while text.endswith("."):
        text = text[:-1].rstrip()
    return text


def _text_as_defined(value: str) -> str:
    """normalise_text as its docstring defines it, without its one-line quick path."""
    import unicodedata

    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0.aAzZ09Éé\u3000\u2025")))
def test_quick_paths_of_label_and_text_normalisation_agree_with_the_definitions(text):
    # issue 14: ASCII labels and one-line texts take quick paths; the reference is the
    # definition in the docstrings, applied step by step
    assert normalise_label(text) == _label_as_defined(text)
    assert normalise_text(text) == _text_as_defined(text)


def test_numbers_with_a_decimal_comma_when_the_fields_file_says_so(tmp_path):
    # Excel in a German or French locale writes ',' as the decimal mark, also in a
    # comma-separated CSV (the cell then quoted); by hand: 3,5 years is 3.5, 12 is 12.0
    (tmp_path / "export.csv").write_text('Nr,Jahre\n1,"3,5"\n2,12\n', encoding="utf-8")
    (tmp_path / "fields.yaml").write_text(
        'header_rows: 1\ndecimal: ","\nfields:\n  nr: {column: Nr, type: id}\n  years: {column: Jahre, type: number}\n',
        encoding="utf-8",
    )
    result = clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
    assert result.participants["years"].tolist() == [3.5, 12.0]
    (tmp_path / "export.csv").write_text("Nr,Jahre\n1,3.5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected a number such as 12 or 0,5, found '3\.5'"):
        clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
