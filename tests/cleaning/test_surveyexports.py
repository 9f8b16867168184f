"""Survey-tool exports recognised from their content and read into one header and rows.

Real exports (shared/samples/surveys/, skipped where absent) are counted again here with
the csv module, independently of the reader; the small exports of each other tool are in
tests/fixtures/surveys/ (invented respondents).
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from helpers import FIXTURES, samples_dir
from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.surveyexports import read_export
from peerstudy.errors import InputError

SURVEYS = FIXTURES / "surveys"

# From shared/samples/README.md: the tool that wrote each file and its header rows.
SAMPLES = {
    "qualtrics.csv": ("Qualtrics", 3),
    "qualtrics_legacy.csv": ("Qualtrics (legacy)", 2),
    "redcap_survey_data.csv": ("REDCap", 1),
    "redcap_checkboxes_data.csv": ("REDCap", 1),
    "redcap_survey_dictionary.csv": ("CSV", 1),
    "redcap_checkboxes_dictionary.csv": ("CSV", 1),
}
PLACEHOLDERS = {"[not completed]"}  # REDCap's, as the samples' README says


def raw_records(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.reader(fh) if any(c.strip() for c in r)]


def test_every_sample_is_recognised_and_read_with_its_counts():
    folder = samples_dir("surveys")
    files = sorted(p.name for p in folder.glob("*.csv"))
    assert set(files) == set(SAMPLES), "a sample without an expected tool: add it to SAMPLES"
    for name in files:
        tool, header_rows = SAMPLES[name]
        export = read_export(folder / name)
        assert (export.tool, export.header_rows) == (tool, header_rows), name
        records = raw_records(folder / name)
        body = records[header_rows:]
        assert len(export.table) == len(body), name
        answered = sum(1 for r in body for c in r if c.strip() and c.strip() not in PLACEHOLDERS)
        tidy = export.tidy()
        assert len(tidy) == answered, name
        assert list(export.table.index) == list(range(header_rows + 1, header_rows + 1 + len(body))), name


def test_qualtrics_columns_are_found_by_name_or_question_text():
    folder = samples_dir("surveys")
    export = read_export(folder / "qualtrics.csv")
    # row 2 of the file holds the question texts (German labels for the metadata)
    assert export.find_column("This is a free text question.") == "Q2"
    assert export.find_column("Q1") == "Q1"
    assert export.table.loc[4, "ResponseId"] == "R_2YPOQ602ER1jkf1"
    legacy = read_export(folder / "qualtrics_legacy.csv")
    assert legacy.find_column("ResponseID") == "V1"
    assert legacy.table.loc[3, "V1"] == "R_2YPOQ602ER1jkf1"
    assert "" not in legacy.columns, "the trailing empty column is dropped"


def test_redcap_placeholders_and_checkbox_columns():
    folder = samples_dir("surveys")
    survey = read_export(folder / "redcap_survey_data.csv")
    assert survey.table.loc[2, "participant_morale_questionnaire_timestamp"] == "[not completed]"
    tidy = survey.tidy()
    assert not tidy["value"].eq("[not completed]").any()
    boxes = read_export(folder / "redcap_checkboxes_data.csv")
    assert [c for _, c in boxes.option_columns("check_one")] == [f"check_one___{i}" for i in range(1, 5)]
    fields = set(boxes.tidy()["field"])
    assert {"check_one", "check_two"} <= fields and "check_one___1" not in fields


def test_surveymonkey_columns_are_named_by_both_header_rows():
    export = read_export(SURVEYS / "surveymonkey.csv")
    assert (export.tool, export.header_rows) == ("SurveyMonkey", 2)
    # row 1: question (blank over its further columns); row 2: option, sub-question or "Response"
    assert "How old are you?" in export.columns
    assert "Which activities did you join? (tick all that apply) - Walks, outdoors" in export.columns
    assert "How satisfied are you with the support you get from... - Peers" in export.columns
    records = raw_records(SURVEYS / "surveymonkey.csv")
    assert len(export.columns) == len(records[0]) == len(set(export.columns))


def test_surveymonkey_export_is_cleaned():
    result = clean_export(SURVEYS / "surveymonkey.csv", SURVEYS / "surveymonkey.yaml", text_fields=["comments"])
    # hand count: four responses, 11800000003 answered nothing
    assert result.questionnaires["returned"].tolist() == [True, True, False, True]
    p = result.participants.set_index("respondent")
    assert p.loc[11800000001, "activities"] == "Peer group; Walks, outdoors"
    # "Choir" typed under Other ticks the Other option
    assert p.loc[11800000002, "activities"] == "Drop-in café; Other (please specify)"
    assert p["peers"].tolist() == ["very satisfied", "satisfied", "satisfied"]
    assert result.documents["text"].tolist() == ["The walks help me sleep.", "More evening groups, please."]


def test_limesurvey_codes_and_full_texts_give_the_same_answers():
    codes = clean_export(SURVEYS / "limesurvey_codes.csv", SURVEYS / "limesurvey_codes.yaml", text_fields=["comment"])
    texts = clean_export(SURVEYS / "limesurvey_texts.csv", SURVEYS / "limesurvey_texts.yaml", text_fields=["comment"])
    assert read_export(SURVEYS / "limesurvey_codes.csv").tool == read_export(SURVEYS / "limesurvey_texts.csv").tool
    pd.testing.assert_frame_equal(codes.participants, texts.participants)
    pd.testing.assert_frame_equal(codes.documents, texts.documents)
    # the file by hand: response 3 stopped on page 1 with no answers; 1 ticked SQ001 and SQ003
    assert codes.questionnaires["returned"].tolist() == [True, True, False, True]
    assert codes.participants["likes"].tolist() == [
        "Meeting peers; Tea and biscuits",
        "Sharing stories",
        "Meeting peers; Sharing stories; Tea and biscuits",
    ]


def test_google_forms_options_with_commas_and_decimals():
    export = read_export(SURVEYS / "googleforms.csv")
    assert export.tool == "Google Forms"
    result = clean_export(SURVEYS / "googleforms.csv", SURVEYS / "googleforms.yaml", text_fields=["change"])
    p = result.participants
    # "Walks, outdoors" is one option although Google Forms joins options with ", "
    assert p["activities"].tolist() == [
        "Peer group; Walks, outdoors",
        "Drop-in café",
        "Peer group; Drop-in café; Walks, outdoors",
    ]
    assert p["years"].tolist() == [0.5, 2.0, 12.25]
    assert result.documents["text"].tolist() == ["Nothing, it is fine.", "Longer opening hours"]


def write_workbook(path, sheets: dict[str, list[list]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def forms_rows() -> list[list]:
    """The Google Forms fixture as a spreadsheet holds it: numbers as numbers."""
    rows = raw_records(SURVEYS / "googleforms.csv")
    typed = [rows[0]]
    for r in rows[1:]:
        typed.append([r[0], r[1] or None, int(r[2]), r[3], float(r[4]), r[5] or None])
    return typed


def test_xlsx_export_reads_like_its_csv(tmp_path):
    book = tmp_path / "responses.xlsx"
    write_workbook(book, {"Notes": [["read me"], ["exported 2024-03-03"]], "Form Responses 1": forms_rows()})
    fields = (SURVEYS / "googleforms.yaml").read_text(encoding="utf-8")
    (tmp_path / "fields.yaml").write_text('sheet: "Form Responses 1"\n' + fields, encoding="utf-8")
    from_book = clean_export(book, tmp_path / "fields.yaml", text_fields=["change"])
    from_csv = clean_export(SURVEYS / "googleforms.csv", SURVEYS / "googleforms.yaml", text_fields=["change"])
    pd.testing.assert_frame_equal(from_book.participants, from_csv.participants)
    pd.testing.assert_frame_equal(from_book.documents, from_csv.documents)
    assert read_export(book).table.columns.tolist() == ["read me"], "without a sheet, the first is read"
    assert read_export(book, sheet="Form Responses 1").tool == "Google Forms (Excel workbook)"


def test_date_cells_of_a_workbook_are_read_whatever_their_display(tmp_path):
    # Excel keeps a date as a date; the fields file declares the format the export shows as
    # text (2020/01/02 10:05). A date cell and a text cell in that format are both read.
    import datetime as dt

    book = tmp_path / "export.xlsx"
    rows = [
        ["No.", "Entered", "Age"],
        [1, dt.datetime(2020, 1, 2, 10, 5), 30],
        [2, "2020/01/03 11:30", 41],
        [3, dt.datetime(2020, 1, 4), 52],
    ]
    write_workbook(book, {"Sheet1": rows})
    (tmp_path / "fields.yaml").write_text(
        'header_rows: 1\nfields:\n  number: {column: "No.", type: id}\n'
        '  entered: {column: "Entered", type: datetime, format: "%Y/%m/%d %H:%M"}\n'
        '  age: {column: "Age", type: integer}\n',
        encoding="utf-8",
    )
    entered = clean_export(book, tmp_path / "fields.yaml").participants["entered"].tolist()
    assert entered == [pd.Timestamp("2020-01-02 10:05"), pd.Timestamp("2020-01-03 11:30"), pd.Timestamp("2020-01-04")]
    # a CSV holds text only: its dates are read in the declared format alone, as before
    (tmp_path / "export.csv").write_text("No.,Entered,Age\n1,2020-01-02 10:05:00,30\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected a date and time as %Y/%m/%d %H:%M"):
        clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")


def test_xlsx_unknown_sheet_and_csv_named_xlsx(tmp_path):
    book = tmp_path / "r.xlsx"
    write_workbook(book, {"Answers": forms_rows()})
    with pytest.raises(InputError, match=r"field 'sheet': expected one of the sheets \['Answers'\], found 'Sheet9'"):
        read_export(book, sheet="Sheet9")
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes((SURVEYS / "googleforms.csv").read_bytes())
    with pytest.raises(InputError, match="expected an Excel workbook .* found text \\(it is a CSV file named .xlsx\\)"):
        read_export(fake)


def test_declared_header_rows_keep_the_old_reading():
    """A fields file with header_rows reads the first row as names, whatever the tool."""
    declared = read_export(FIXTURES / "mini-survey/export.csv", header_rows=2)
    recognised = read_export(FIXTURES / "mini-survey/export.csv")
    assert declared.tool == "CSV" and recognised.tool == "CSV"
    assert list(declared.columns) == raw_records(FIXTURES / "mini-survey/export.csv")[0]


# From tests/fixtures/surveys/README.md: the tool each fixture imitates and its header rows.
FIXTURE_TOOLS = {
    "surveymonkey.csv": ("SurveyMonkey", 2),
    "limesurvey_codes.csv": ("LimeSurvey", 1),
    "limesurvey_texts.csv": ("LimeSurvey", 1),
    "googleforms.csv": ("Google Forms", 1),
    "redcap_data.csv": ("REDCap", 1),
    "redcap_labels.csv": ("REDCap", 1),
    "redcap_labels_headers.csv": ("REDCap", 1),
    "qualtrics_flow.csv": ("Qualtrics", 3),
    "redcap_dictionary.csv": ("CSV", 1),
}


def test_every_fixture_export_is_recognised_and_counted():
    files = sorted(p.name for p in SURVEYS.glob("*.csv"))
    assert set(files) == set(FIXTURE_TOOLS)
    for name in files:
        tool, header_rows = FIXTURE_TOOLS[name]
        export = read_export(SURVEYS / name)
        assert (export.tool, export.header_rows) == (tool, header_rows), name
        body = raw_records(SURVEYS / name)[header_rows:]
        assert len(export.table) == len(body), name
        answered = sum(1 for r in body for c in r if c.strip() and c.strip() not in PLACEHOLDERS)
        assert len(export.tidy()) == answered, name


def test_semicolon_export_from_a_spreadsheet_in_another_locale(tmp_path):
    """Excel in many locales saves CSV with semicolons; the reader notices it from the header line."""
    text = (SURVEYS / "limesurvey_codes.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    assert ";" in path.read_text(encoding="utf-8").splitlines()[0]
    a = clean_export(path, SURVEYS / "limesurvey_codes.yaml", text_fields=["comment"])
    b = clean_export(SURVEYS / "limesurvey_codes.csv", SURVEYS / "limesurvey_codes.yaml", text_fields=["comment"])
    pd.testing.assert_frame_equal(a.participants, b.participants)
    pd.testing.assert_frame_equal(a.documents, b.documents)


def test_qualtrics_with_declared_header_rows_reads_as_when_recognised(tmp_path):
    """`header_rows: 3`, which studies used before the tool was recognised, still works."""
    folder = samples_dir("surveys")
    fields = (
        "fields:\n  response: {column: ResponseId, type: id}\n  choice: {column: Q1, type: integer}\n"
        "  answer: {column: Q2, type: text}\n"
    )
    (tmp_path / "recognised.yaml").write_text(fields)
    (tmp_path / "declared.yaml").write_text("header_rows: 3\n" + fields)
    recognised = clean_export(folder / "qualtrics.csv", tmp_path / "recognised.yaml", text_fields=["answer"])
    declared = clean_export(folder / "qualtrics.csv", tmp_path / "declared.yaml", text_fields=["answer"])
    pd.testing.assert_frame_equal(recognised.participants, declared.participants)
    pd.testing.assert_frame_equal(recognised.documents, declared.documents)
    # the file by hand: one response, R_2YPOQ602ER1jkf1, choice 2, "Hello World!"
    assert recognised.participants[["response", "choice"]].values.tolist() == [["R_2YPOQ602ER1jkf1", 2]]
    assert recognised.documents["text"].tolist() == ["Hello World!"]
