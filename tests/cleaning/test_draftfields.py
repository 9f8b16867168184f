"""Drafting a fields file from an export or a REDCap data dictionary; the draft cleans its export unedited."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
import yaml

from helpers import FIXTURES, samples_dir
from peerstudy.__main__ import main
from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.draftfields import draft_fields
from peerstudy.cleaning.redcapdictionary import parse_choices, read_redcap_dictionary
from peerstudy.cleaning.surveyfields import read_fields
from peerstudy.errors import InputError

SURVEYS = FIXTURES / "surveys"


def rows_of(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def hand_choices(text: str) -> dict[str, str]:
    """REDCap choices split by hand: 'code, label | ...' (label may hold commas)."""
    return {p.split(",", 1)[0].strip(): p.split(",", 1)[1].strip() for p in text.split("|")}


def draft_to(tmp_path, export, dictionary=None):
    path = tmp_path / "fields.yaml"
    path.write_text(draft_fields(export, dictionary), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "data, dictionary",
    [
        ("redcap_survey_data.csv", "redcap_survey_dictionary.csv"),
        ("redcap_checkboxes_data.csv", "redcap_checkboxes_dictionary.csv"),
    ],
)
def test_redcap_dictionary_drafts_fields_that_clean_the_data_unedited(tmp_path, data, dictionary):
    folder = samples_dir("surveys")
    fields = draft_to(tmp_path, folder / data, folder / dictionary)
    result = clean_export(folder / data, fields)
    records, declared = rows_of(folder / data), rows_of(folder / dictionary)
    assert len(result.questionnaires) == len(records)
    # identifiers flagged in the dictionary (counted with the csv module) are left out, with the reason
    flagged = [r["Variable / Field Name"] for r in declared if r["Identifier?"].strip() == "y"]
    text = fields.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    columns = {d["column"] for d in doc["fields"].values()}
    for name in flagged:
        assert name not in columns
        assert f"# {name}: left out: flagged as an identifier in the REDCap data dictionary" in text
    assert not set(flagged) & set(result.participants.columns)
    # every checkbox question: the options ticked ("1") in the raw columns, by hand
    p = result.participants.set_index(declared[0]["Variable / Field Name"])
    for field in (r for r in declared if r["Field Type"] == "checkbox"):
        name, labels = field["Variable / Field Name"], hand_choices(field["Choices, Calculations, OR Slider Labels"])
        for record in records:
            ticked = [labels[code] for code in labels if record[f"{name}___{code}"] == "1"]
            got = p.loc[int(record[declared[0]["Variable / Field Name"]]), name]
            assert (got if pd.notna(got) else None) == ("; ".join(ticked) or None), (name, record)


def test_redcap_draft_reads_placeholders_as_missing(tmp_path):
    folder = samples_dir("surveys")
    fields = draft_to(tmp_path, folder / "redcap_survey_data.csv", folder / "redcap_survey_dictionary.csv")
    result = clean_export(folder / "redcap_survey_data.csv", fields)
    column = "participant_morale_questionnaire_timestamp"
    raw = [r[column] for r in rows_of(folder / "redcap_survey_data.csv")]
    assert raw == ["[not completed]", ""]
    assert result.participants[column].isna().all()
    logged = result.log[result.log["field"] == column]
    assert logged["rule"].tolist() == ["missing marker → no answer"]


def test_every_sample_export_drafts_fields_that_read_it(tmp_path):
    """Without a dictionary the types are guessed from the answers; the draft still reads the export."""
    folder = samples_dir("surveys")
    for name in ("qualtrics.csv", "qualtrics_legacy.csv", "redcap_survey_data.csv", "redcap_checkboxes_data.csv"):
        fields = draft_to(tmp_path, folder / name)
        result = clean_export(folder / name, fields)
        header_rows = 3 if name == "qualtrics.csv" else 2 if name == "qualtrics_legacy.csv" else 1
        with open(folder / name, encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for r in csv.reader(fh) if any(r)) - header_rows
        assert len(result.questionnaires) == n, name
    text = draft_fields(folder / "qualtrics.csv")
    # Qualtrics' respondent metadata are identifiers: left out with the reason
    for column in ("IPAddress", "RecipientEmail", "LocationLatitude"):
        assert f'# "{column}": left out: a personal identifier' in text
    assert "type: id" in text.split('"ResponseId"')[1].split("\n")[1]


@pytest.mark.parametrize(
    "name", ["surveymonkey.csv", "limesurvey_codes.csv", "limesurvey_texts.csv", "googleforms.csv", "redcap_data.csv"]
)
def test_fixture_exports_draft_fields_that_read_them(tmp_path, name):
    fields = draft_to(tmp_path, SURVEYS / name)
    result = clean_export(SURVEYS / name, fields)
    with open(SURVEYS / name, encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    header_rows = 2 if name == "surveymonkey.csv" else 1
    assert len(result.questionnaires) == len(records) - header_rows
    text = fields.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT fields file") and "must review it before use" in text
    shown = result.participants.to_string()
    assert "example.org" not in shown and "192.0.2." not in shown
    assert not any(name in shown for name in ("Lindqvist", "Fenwick", "Lena", "Omar"))


def test_redcap_raw_and_label_exports_clean_alike(tmp_path):
    fields = draft_to(tmp_path, SURVEYS / "redcap_data.csv", SURVEYS / "redcap_dictionary.csv")
    raw = clean_export(SURVEYS / "redcap_data.csv", fields, text_fields=["notes"])
    labels = clean_export(SURVEYS / "redcap_labels.csv", fields, text_fields=["notes"])
    pd.testing.assert_frame_equal(raw.participants, labels.participants)
    # by hand from redcap_data.csv: record 1 ticked groups___1 and ___2 ("Walks, outdoors" holds a comma)
    assert raw.participants["groups"].tolist()[0] == "Peer group; Walks, outdoors"
    assert raw.participants["height"].tolist()[0] == 1.68
    assert "full_name" not in read_fields(fields).names
    assert "Lena" not in raw.participants.to_string()


def test_parse_choices_and_a_dictionary_whose_choices_do_not_parse(tmp_path):
    assert parse_choices("1, Peer group | 2, Walks, outdoors") == (("1", "Peer group"), ("2", "Walks, outdoors"))
    assert parse_choices("1, a | 1, b") is None, "a code used twice"
    text = (SURVEYS / "redcap_dictionary.csv").read_text(encoding="utf-8")
    bad = tmp_path / "dictionary.csv"
    bad.write_text(text.replace("1, Low | 2, Okay | 3, Good", "Low | Okay | Good"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_redcap_dictionary(bad)
    (problem,) = info.value.problems
    assert (problem.row, problem.found) == (4, "'Low | Okay | Good'")
    assert problem.field == "mood: Choices, Calculations, OR Slider Labels"


def test_command_prints_the_draft_and_reports_errors(tmp_path, capsys):
    assert main(["draft-fields", str(SURVEYS / "googleforms.csv")]) == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out)["fields"]["how_many_years_have_you_volunteered"]["type"] == "number"
    assert '# "Email Address": left out' in out
    assert main(["draft-fields", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: expected a CSV file, found no such file" in capsys.readouterr().err


def test_redcap_export_with_labels_as_headers(tmp_path):
    """REDCap can write field labels as headers ("Which groups did you join? (choice=Choir)")."""
    fields = draft_to(tmp_path, SURVEYS / "redcap_labels_headers.csv", SURVEYS / "redcap_dictionary.csv")
    labelled = clean_export(SURVEYS / "redcap_labels_headers.csv", fields, text_fields=["notes"])
    raw_fields = tmp_path / "raw" / "fields.yaml"
    raw_fields.parent.mkdir()
    raw_fields.write_text(draft_fields(SURVEYS / "redcap_data.csv", SURVEYS / "redcap_dictionary.csv"))
    raw = clean_export(SURVEYS / "redcap_data.csv", raw_fields, text_fields=["notes"])
    renamed = labelled.participants.rename(
        columns={"survey_timestamp": "wellbeing_timestamp", "complete": "wellbeing_complete"}
    )
    pd.testing.assert_frame_equal(renamed, raw.participants)
    pd.testing.assert_frame_equal(labelled.documents, raw.documents)


def test_qualtrics_draft_suggests_status_exclusions(tmp_path):
    text = draft_fields(SURVEYS / "qualtrics_flow.csv")
    assert '#   - {reason: survey preview, column: "Status", equals: ["Survey Preview", "1"]}' in text
    assert "# Start Date\n  startdate:" in text, "the question text (row 2) is shown above its field"
    (tmp_path / "fields.yaml").write_text(text.replace("# exclusions:", "exclusions:").replace("#   - ", "  - "))
    flow = clean_export(SURVEYS / "qualtrics_flow.csv", tmp_path / "fields.yaml").flow
    # by hand from the fixture: previews R_a02, R_a08; unfinished R_a03; progress 75 R_a09;
    # "I do not agree" R_a04 (the consent question); the other 4 analysed
    assert dict(zip(flow["reason"], flow["n"], strict=False))["survey preview"] == 2
    assert dict(zip(flow["reason"], flow["n"], strict=False))["no consent"] == 1
    assert flow["n"].tolist() == [9, 2, 1, 1, 1, 0, 0, 4]


def test_option_columns_are_one_multi_field_but_a_matrix_is_not():
    doc = yaml.safe_load(draft_fields(SURVEYS / "surveymonkey.csv"))
    by_column = {d["column"]: d for d in doc["fields"].values()}
    # the activity columns hold their option's text (or, under Other, what was typed): ticks
    activities = by_column["Which activities did you join? (tick all that apply)"]
    assert activities["type"] == "multi" and "Walks, outdoors" in activities["options"]
    # the satisfaction matrix holds ratings: one field per row of the matrix, each a Likert
    # item on SurveyMonkey's five-point satisfaction scale (its answers: Satisfied, Very satisfied, ...)
    peers = by_column["How satisfied are you with the support you get from... - Peers"]
    assert peers["type"] == "likert"
    assert peers["levels"] == [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither satisfied nor dissatisfied",
        "Satisfied",
        "Very satisfied",
    ]
    limes = yaml.safe_load(draft_fields(SURVEYS / "limesurvey_codes.csv"))
    assert limes["fields"]["likes"]["options"] == {"SQ001": "SQ001", "SQ002": "SQ002", "SQ003": "SQ003"}


def test_google_forms_checkboxes_are_one_multi_field_with_the_options_found(tmp_path):
    # tests/fixtures/surveys/googleforms.csv, read by hand: the activities column holds
    # "Peer group, Walks, outdoors", "Drop-in café" and "Walks, outdoors, Drop-in café, Peer
    # group": three options, one of which ("Walks, outdoors") holds the ", " Google Forms
    # joins options with; the free-text column ("Nothing, it is fine.") is not taken for one
    doc = yaml.safe_load(draft_fields(SURVEYS / "googleforms.csv"))
    by_column = {d["column"]: d for d in doc["fields"].values()}
    activities = by_column["Which activities did you join?"]
    assert activities["type"] == "multi" and activities["separator"] == ","
    assert sorted(activities["options"]) == ["Drop-in café", "Peer group", "Walks, outdoors"]
    assert by_column["What would you change?"]["type"] != "multi"
    result = clean_export(SURVEYS / "googleforms.csv", draft_to(tmp_path, SURVEYS / "googleforms.csv"))
    chosen = result.participants["which_activities_did_you_join"].tolist()
    assert chosen == ["Peer group; Walks, outdoors", "Drop-in café", "Peer group; Walks, outdoors; Drop-in café"]
    # Google Forms writes no respondent number: the answers are numbered by their rows in
    # the file (a header, then rows 2 to 4), and the time stamps are kept as written
    assert by_column["(row number)"]["type"] == "id" and by_column["Timestamp"]["type"] == "label"
    assert result.participants["respondent"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "answers, levels",
    [
        # a five-point agreement scale, written as Google Forms and SurveyMonkey write its labels
        (["Agree", "strongly agree", "Disagree", "Agree"], 5),
        # "Somewhat agree" beside "Agree" is found only in the seven-point scale
        (["Agree", "Somewhat agree", "Strongly disagree"], 7),
        # Qualtrics' own five-point scale has "Somewhat" and no plain "Agree"
        (["Somewhat agree", "Strongly agree", "Somewhat disagree"], 5),
        # the PHQ-9 and GAD-7 answers (Kroenke, Spitzer and Williams 2001): four levels
        (["Not at all", "Several days", "Nearly every day", "Not at all"], 4),
    ],
)
def test_answers_of_a_common_scale_are_drafted_as_a_likert_item_that_cleans(tmp_path, answers, levels):
    export = tmp_path / "export.csv"
    export.write_text("id,item\n" + "".join(f"{i},{a}\n" for i, a in enumerate(answers, 1)), encoding="utf-8")
    fields = draft_to(tmp_path, export)
    item = yaml.safe_load(fields.read_text(encoding="utf-8"))["fields"]["item"]
    assert item["type"] == "likert" and len(item["levels"]) == levels
    scores = clean_export(export, fields).participants["item"].tolist()
    by_hand = {a.casefold(): item["levels"].index(next(x for x in item["levels"] if x.casefold() == a.casefold())) + 1
               for a in answers}  # fmt: skip
    assert scores == [by_hand[a.casefold()] for a in answers]


def test_answers_that_are_not_all_of_one_scale_stay_categories(tmp_path):
    export = tmp_path / "export.csv"
    # "Agree" and "Often" are levels of two different scales; one level alone is no scale
    export.write_text("id,mixed,one\n1,Agree,Agree\n2,Often,Agree\n3,Agree,Agree\n", encoding="utf-8")
    doc = yaml.safe_load(draft_fields(export))
    assert doc["fields"]["mixed"]["type"] == "category" and doc["fields"]["one"]["type"] == "category"


def test_a_microsoft_forms_workbook_is_recognised_and_its_checkboxes_drafted(tmp_path):
    """A Microsoft Forms download (.xlsx): ID, Start time, Completion time, Email, Name, then
    the questions; a checkbox answer is the options chosen, each followed by ';'."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", "Which sessions do you attend?"])
    answers = ["Monday group;Online;", "Online;", "Walk and talk;Monday group;"]
    for number, answer in enumerate(answers, 1):
        start = datetime.datetime(2024, 5, number, 10, 0)
        sheet.append([number, start, start + datetime.timedelta(minutes=6), "anonymous", "", answer])
    export = tmp_path / "forms.xlsx"
    book.save(export)
    text = draft_fields(export)
    assert "recognised as Microsoft Forms (Excel workbook)" in text
    sessions = yaml.safe_load(text)["fields"]["which_sessions_do_you_attend"]
    assert sessions["type"] == "multi" and sessions["separator"] == ";"
    assert sessions["options"] == ["Monday group", "Online", "Walk and talk"]  # in the order first found
    result = clean_export(export, draft_to(tmp_path, export))
    # by hand: the options of each answer, in the order the draft declares them
    expected = ["Monday group; Online", "Online", "Monday group; Walk and talk"]
    assert result.participants["which_sessions_do_you_attend"].tolist() == expected
    assert "anonymous" not in result.participants.to_string()


@pytest.mark.parametrize(
    "rows, reason",
    [
        # a longitudinal project: one row per record and event (REDCap's redcap_event_name)
        (
            [
                ["1", "baseline_arm_1", "", "", "34", "to meet people", ""],
                ["1", "followup_arm_1", "", "", "", "", "4"],
                ["2", "baseline_arm_1", "", "", "51", "my nurse said so", ""],
                ["2", "followup_arm_1", "", "", "", "", "2"],
                ["3", "baseline_arm_1", "", "", "29", "to give back", ""],
            ],
            "another event than baseline_arm_1",
        ),
        # a repeating instrument: its instances are rows of their own
        (
            [
                ["1", "", "", "", "34", "to meet people", ""],
                ["1", "", "visits", "1", "", "", "4"],
                ["2", "", "", "", "51", "my nurse said so", ""],
                ["3", "", "", "", "29", "to give back", ""],
                ["3", "", "visits", "1", "", "", "5"],
            ],
            "a row of a repeating instrument",
        ),
    ],
)
def test_a_redcap_export_with_several_rows_per_record_drafts_rules_that_keep_one(tmp_path, rows, reason):
    header = [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "age",
        "why",
        "helped",
    ]
    export = tmp_path / "export.csv"
    with open(export, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    text = draft_fields(export)
    assert 'redcap_event_name": left out' not in text  # REDCap's own column, not a name
    result = clean_export(export, draft_to(tmp_path, export))
    # by hand: records 1, 2 and 3 once each; the two other rows excluded for the reason
    assert result.participants["record_id"].tolist() == [1, 2, 3]
    assert dict(zip(result.flow["reason"], result.flow["n"], strict=True))[reason] == 2
    (tmp_path / "plain.yaml").write_text(
        "fields:\n  record_id: {column: record_id, type: id}\n  age: {column: age, type: integer}\n"
        "  helped: {column: helped, type: integer}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="a REDCap export has a row per event or repeating instrument"):
        clean_export(export, tmp_path / "plain.yaml")


def test_a_kobotoolbox_export_is_drafted_with_its_choices_and_without_its_metadata(tmp_path):
    """KoBoToolbox (CSV with ';'): a select-multiple question is one column of the choices'
    names joined by spaces and a column per choice; _id numbers the submissions; the other
    columns starting with '_' are its records of the submission, _submitted_by an account."""
    export = tmp_path / "kobo.csv"
    header = "start;age;activities;activities/walking;activities/dropin;activities/online;_id;_uuid;"
    header += "_submission_time;_submitted_by\n"
    rows = [
        "2024-05-01T10:00:01.000+01:00;34;walking dropin;1;1;0;101;a1b2-1;2024-05-01T09:06:31;field_team\n",
        "2024-05-02T11:00:01.000+01:00;51;online;0;0;1;102;a1b2-2;2024-05-02T10:04:11;field_team\n",
        "2024-05-04T09:30:01.000-04:00;29;walking  online;1;0;1;104;a1b2-4;2024-05-04T13:38:01;field_team\n",
    ]
    export.write_text(header + "".join(rows), encoding="utf-8")
    text = draft_fields(export)
    assert "recognised as KoBoToolbox" in text
    assert '"_submitted_by": left out: a personal identifier' in text and '"_uuid": left out' in text
    doc = yaml.safe_load(text)["fields"]
    assert doc["id"] == {"column": "_id", "type": "id"}
    assert doc["activities"]["type"] == "multi" and doc["activities"]["separator"] == " "
    assert "activities_walking" not in doc
    result = clean_export(export, draft_to(tmp_path, export))
    people = result.participants
    assert people["activities"].tolist() == ["walking; dropin", "online", "walking; online"]
    # by hand: 10:00:01 at UTC+1 is 09:00:01 UTC; 09:30:01 at UTC-4 is 13:30:01 UTC
    assert [str(t) for t in people["start"]] == ["2024-05-01 09:00:01", "2024-05-02 10:00:01", "2024-05-04 13:30:01"]


@pytest.mark.parametrize("name", ["surveymonkey.csv", "googleforms.csv"])
def test_an_xlsx_download_is_drafted_and_cleaned_as_its_csv(tmp_path, name):
    """The same export saved as a workbook (SurveyMonkey and Google Forms offer .xlsx too):
    the draft declares the same fields, and cleaning gives the same answers."""
    import openpyxl

    with open(SURVEYS / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(tmp_path / "export.xlsx")
    from_csv = yaml.safe_load(draft_fields(SURVEYS / name))["fields"]
    from_xlsx = yaml.safe_load(draft_fields(tmp_path / "export.xlsx"))["fields"]
    assert from_xlsx == from_csv
    csv_people = clean_export(SURVEYS / name, draft_to(tmp_path, SURVEYS / name)).participants
    xlsx_people = clean_export(tmp_path / "export.xlsx", draft_to(tmp_path, tmp_path / "export.xlsx")).participants
    pd.testing.assert_frame_equal(xlsx_people, csv_people)


def test_a_consent_question_answered_no_is_suggested_as_an_exclusion_that_works(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "Timestamp,Do you consent to take part?,Your age\n"
        "2024/03/01 9:00:01,Yes,34\n2024/03/01 9:10:01,No,51\n2024/03/02 9:00:01,Yes,29\n",
        encoding="utf-8",
    )
    text = draft_fields(export)
    assert '#   - {reason: no consent, column: "Do you consent to take part?", equals: ["No"]}' in text
    # the person reviewing the draft uncomments the rule: the one "No" (row 3, by hand) is left out
    (tmp_path / "fields.yaml").write_text(text.replace("# exclusions:", "exclusions:").replace("#   - ", "  - "))
    result = clean_export(export, tmp_path / "fields.yaml")
    assert result.participants["respondent"].tolist() == [2, 4]
    assert dict(zip(result.flow["reason"], result.flow["n"], strict=True))["no consent"] == 1


def test_two_questions_of_one_title_are_told_apart_by_number(tmp_path):
    # Google Forms lets two sections ask "Any comments?"; by hand: columns 3 and 5
    export = tmp_path / "export.csv"
    export.write_text(
        "Timestamp,How did you hear about us?,Any comments?,How often do you come?,Any comments?\n"
        "2024/03/01 9:00:01,A friend,Lovely group,Weekly,\n2024/03/02 9:00:01,My GP,,Monthly,Could be longer\n",
        encoding="utf-8",
    )
    doc = yaml.safe_load(draft_fields(export))["fields"]
    assert [d["column"] for d in doc.values() if "comments" in d["column"]] == [
        "Any comments? (1)",
        "Any comments? (2)",
    ]
    people = clean_export(export, draft_to(tmp_path, export)).participants
    assert people["any_comments_2"].tolist()[1] == "Could be longer"  # read as category from two answers
    (tmp_path / "bare.yaml").write_text(
        'fields:\n  respondent: {column: "(row number)", type: id}\n  comments: {column: "Any comments?", type: text}\n'
    )
    with pytest.raises(InputError, match=r"found 'Any comments\?' in columns 3 and 5\. Fix: declare the one meant"):
        clean_export(export, tmp_path / "bare.yaml")
