"""Transcripts: parsing, .docx and .txt, de-identified turns with exact offsets, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import FIXTURES
from peerstudy.deid import read_key
from peerstudy.errors import InputError
from peerstudy.transcripts import clean_transcripts, parse_transcript, read_transcript, read_transcripts

MINI = FIXTURES / "mini-interviews"
HEAD = ["Transcript: I9 (individual interview)", "Date: 2021-01-01", "Participants: Interviewer; Ann", ""]


def test_docx_and_txt_read_alike():
    fg = read_transcript(MINI / "transcripts/FG1.docx")
    assert (fg.id, fg.kind, fg.date, fg.speakers) == ("FG1", "focus group", "2021-03-10", ("Interviewer", "Ana Moreno", "Tom Baker"))
    assert fg.turns[1][1:3] == ("Tom Baker", "Trust came once we shared the tasks. Write to me at tom@example.org.")
    txt = read_transcript(MINI / "transcripts/I01.txt")
    assert txt.turns[0] == ("00:00:03", "Interviewer", "How did it start?", 6)


def test_transcripts_sorted_by_date():
    assert [t.id for t in read_transcripts(MINI / "transcripts")] == ["I01", "I02", "FG1"]


def test_continuation_lines_join_their_turn():
    t = parse_transcript(HEAD + ["[00:00:01] Ann: first part", "second part"], file="I9.txt")
    assert t.turns[0][2] == "first part second part"


def test_layout_problems_are_reported_together():
    lines = ["Transcript: I9 (individual interview)", "Date: 2021-13-01", "Participants: Interviewer; Ann", "",
             "[00:05:00] Ann: hello", "[00:01:00] Bob: who am I?"]
    with pytest.raises(InputError) as info:
        parse_transcript(lines, file="I9.txt")
    text = str(info.value)
    assert "I9.txt, row 2, field 'Date': expected a date as YYYY-MM-DD, found '2021-13-01'" in text
    assert "I9.txt, row 6, field 'speaker': expected a speaker from the header (Interviewer; Ann), found 'Bob'" in text
    assert "I9.txt, row 6, field 'time': expected times that never go back" in text


def test_renamed_binary_is_refused(tmp_path):
    (tmp_path / "I1.docx").write_bytes(b"%PDF-1.4 not a word file")
    with pytest.raises(InputError, match=r"I1\.docx: expected a Word document \(\.docx\), found a file Word cannot open"):
        read_transcript(tmp_path / "I1.docx")


@pytest.fixture(scope="module")
def cleaned():
    return clean_transcripts(read_transcripts(MINI / "transcripts"), read_key(MINI / "deid-key.yaml"),
                             pd.Series(["P1", "P2"]))


def test_offsets_round_trip_into_the_deidentified_text(cleaned):
    texts = cleaned.documents.set_index("document")["text"]
    for turn in cleaned.turns.itertuples():
        assert texts[turn.document][turn.start:turn.end] == turn.text


def test_identifiers_are_gone_and_counted(cleaned):
    everything = "\n".join(cleaned.documents["text"]) + "\n".join(cleaned.turns["text"])
    for value in ("Ana", "Tom", "Rita", "Greyford", "010-5555-1234", "tom@example.org"):
        assert value not in everything
    assert "As P2 said, clear tasks" in everything
    counts = dict(zip(cleaned.redactions["kind"], cleaned.redactions["replaced"]))
    # 6 speaker labels + "As Tom said" = 7 participant replacements
    assert counts == {"participant": 7, "name": 1, "place": 1, "email": 1, "phone": 1, "url": 0, "ip": 0}


def test_focus_group_lists_its_participants(cleaned):
    assert cleaned.documents.set_index("document").loc["FG1", "participant"] == "P1; P2"
    assert cleaned.documents["order"].tolist() == [1, 2, 3]


def test_speaker_missing_from_the_participants_sheet(cleaned):
    with pytest.raises(InputError, match=r"FG1\.docx, row 7, field 'speaker': expected a participant of the "
                                         r"participants sheet \(mapped in the key file\), found a speaker the key maps to 'P2'"):
        clean_transcripts(read_transcripts(MINI / "transcripts"), read_key(MINI / "deid-key.yaml"), pd.Series(["P1"]))


def test_attributes_are_kept_checked_against_declared_values_and_the_roster(tmp_path):
    lines = ["Transcript: D1-S2-OBS (observation)", "Date: 2023-03-01", "Participants: Observer", "Dyad: D7",
             "Session: 2", "Source: observation", "", "[00:00:10] Observer: Both arrive early."]
    (tmp_path / "D1-S2-OBS.txt").write_text("\n".join(lines))
    roster = pd.DataFrame({"participant": ["PSW01", "PIR01"], "dyad": ["D1", "D1"]})
    with pytest.raises(InputError) as info:
        clean_transcripts(read_transcripts(tmp_path), read_key(MINI / "deid-key.yaml"), roster,
                          interviewer_labels=("Observer",),
                          attributes={"dyad": "text", "session": [1, 3, 9], "source": ["observation"]})
    text = str(info.value)
    assert "D1-S2-OBS.txt, field 'Session': expected a header line 'Session: …' with one of 1, 3, 9" in text
    assert "D1-S2-OBS.txt, field 'Dyad': expected a dyad of the participants sheet, found 'D7'" in text
    (tmp_path / "D1-S2-OBS.txt").write_text("\n".join(lines).replace("D7", "D1").replace("Session: 2", "Session: 3"))
    clean = clean_transcripts(read_transcripts(tmp_path), read_key(MINI / "deid-key.yaml"), roster,
                              interviewer_labels=("Observer",),
                              attributes={"dyad": "text", "session": [1, 3, 9], "source": ["observation"]})
    assert clean.documents[["dyad", "session", "source", "participant"]].values.tolist() == [["D1", 3, "observation", ""]]
