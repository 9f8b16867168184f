"""Transcripts: parsing, .docx and .txt, de-identified turns with exact offsets, clear errors."""

from __future__ import annotations

import shutil

import docx
import pandas as pd
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, examples
from peerstudy.cleaning.deid import DeidKey
from peerstudy.cleaning.deidkey import read_key
from peerstudy.cleaning.transcripts import (
    UNATTRIBUTED,
    clean_transcripts,
    parse_transcript,
    read_transcript,
    read_transcripts,
)
from peerstudy.errors import InputError

MINI = FIXTURES / "mini-interviews"
HEAD = ["Transcript: I9 (individual interview)", "Date: 2021-01-01", "Participants: Interviewer; Ann", ""]


def test_docx_and_txt_read_alike():
    fg = read_transcript(MINI / "transcripts/FG1.docx")
    assert (fg.id, fg.kind, fg.date, fg.speakers) == (
        "FG1",
        "focus group",
        "2021-03-10",
        ("Interviewer", "Ana Moreno", "Tom Baker"),
    )
    assert fg.turns[1][1:3] == ("Tom Baker", "Trust came once we shared the tasks. Write to me at tom@example.org.")
    txt = read_transcript(MINI / "transcripts/I01.txt")
    assert txt.turns[0] == ("00:00:03", "Interviewer", "How did it start?", 6)


def test_transcripts_sorted_by_date():
    assert [t.id for t in read_transcripts(MINI / "transcripts")] == ["I01", "I02", "FG1"]


def test_continuation_lines_join_their_turn():
    t = parse_transcript(HEAD + ["[00:00:01] Ann: first part", "second part"], file="I9.txt")
    assert t.turns[0][2] == "first part second part"


def test_layout_problems_are_reported_together():
    lines = [
        "Transcript: I9 (individual interview)",
        "Date: 2021-13-01",
        "Participants: Interviewer; Ann",
        "",
        "[00:05:00] Ann: hello",
        "[00:01:00] Bob: who am I?",
    ]
    with pytest.raises(InputError) as info:
        parse_transcript(lines, file="I9.txt")
    text = str(info.value)
    assert "I9.txt, row 2, field 'Date': expected a date as YYYY-MM-DD, found '2021-13-01'" in text
    assert "I9.txt, row 6, field 'speaker': expected a speaker from the header (Interviewer; Ann), found 'Bob'" in text
    assert "I9.txt, row 6, field 'time': expected times that never go back" in text


def test_renamed_binary_is_refused(tmp_path):
    (tmp_path / "I1.docx").write_bytes(b"%PDF-1.4 not a word file")
    with pytest.raises(
        InputError, match=r"I1\.docx: expected a Word document \(\.docx\), found a file Word cannot open"
    ):
        read_transcript(tmp_path / "I1.docx")


@pytest.fixture(scope="module")
def cleaned():
    return clean_transcripts(
        read_transcripts(MINI / "transcripts"), read_key(MINI / "deid-key.yaml"), pd.Series(["P1", "P2"])
    )


def test_offsets_round_trip_into_the_deidentified_text(cleaned):
    texts = cleaned.documents.set_index("document")["text"]
    for turn in cleaned.turns.itertuples():
        assert texts[turn.document][turn.start : turn.end] == turn.text


def test_identifiers_are_gone_and_counted(cleaned):
    everything = "\n".join(cleaned.documents["text"]) + "\n".join(cleaned.turns["text"])
    for value in ("Ana", "Tom", "Rita", "Greyford", "010-5555-1234", "tom@example.org"):
        assert value not in everything
    assert "As P2 said, clear tasks" in everything
    counts = dict(zip(cleaned.redactions["kind"], cleaned.redactions["replaced"], strict=False))
    # 6 speaker labels + "As Tom said" = 7 participant replacements
    assert counts == {"participant": 7, "name": 1, "place": 1, "email": 1, "phone": 1, "url": 0, "ip": 0}


def test_focus_group_lists_its_participants(cleaned):
    assert cleaned.documents.set_index("document").loc["FG1", "participant"] == "P1; P2"
    assert cleaned.documents["order"].tolist() == [1, 2, 3]


def test_speaker_missing_from_the_participants_sheet(cleaned):
    with pytest.raises(
        InputError,
        match=r"FG1\.docx, row 7, field 'speaker': expected a participant of the "
        r"participants sheet \(mapped in the key file\), found a speaker the key maps to 'P2'",
    ):
        clean_transcripts(read_transcripts(MINI / "transcripts"), read_key(MINI / "deid-key.yaml"), pd.Series(["P1"]))


def test_attributes_are_kept_checked_against_declared_values_and_the_roster(tmp_path):
    lines = [
        "Transcript: D1-S2-OBS (observation)",
        "Date: 2023-03-01",
        "Participants: Observer",
        "Dyad: D7",
        "Session: 2",
        "Source: observation",
        "",
        "[00:00:10] Observer: Both arrive early.",
    ]
    (tmp_path / "D1-S2-OBS.txt").write_text("\n".join(lines))
    roster = pd.DataFrame({"participant": ["PSW01", "PIR01"], "dyad": ["D1", "D1"]})
    with pytest.raises(InputError) as info:
        clean_transcripts(
            read_transcripts(tmp_path),
            read_key(MINI / "deid-key.yaml"),
            roster,
            interviewer_labels=("Observer",),
            attributes={"dyad": "text", "session": [1, 3, 9], "source": ["observation"]},
        )
    text = str(info.value)
    assert "D1-S2-OBS.txt, field 'Session': expected a header line 'Session: …' with one of 1, 3, 9" in text
    assert "D1-S2-OBS.txt, field 'Dyad': expected a dyad of the participants sheet, found 'D7'" in text
    (tmp_path / "D1-S2-OBS.txt").write_text("\n".join(lines).replace("D7", "D1").replace("Session: 2", "Session: 3"))
    clean = clean_transcripts(
        read_transcripts(tmp_path),
        read_key(MINI / "deid-key.yaml"),
        roster,
        interviewer_labels=("Observer",),
        attributes={"dyad": "text", "session": [1, 3, 9], "source": ["observation"]},
    )
    assert clean.documents[["dyad", "session", "source", "participant"]].values.tolist() == [
        ["D1", 3, "observation", ""]
    ]


# ----------------------------------------------------------------------------------------------
# Formats and layouts (issue 15): small transcripts written for these tests, invented people.
# Every expected turn below is written by hand from the fixture's text; offsets are found in the
# file's text with str.index (an independent count), never copied from the code's output.

FORMATS = FIXTURES / "transcripts"
VTT_LAYOUT = {"sidecar": str(FORMATS / "sessions.csv")}
# The conversation of zoom.vtt and teams.vtt, by hand: cues 1-2 are Mira's (one turn), cue 4 has
# no speaker, cue 5 is Jonas again after it (a turn of its own), its text on two lines.
CONVERSATION = [
    ("00:00:02.100", "Mira Osei", "Thanks for joining, everyone. Shall we start with how the week went?"),
    ("00:00:10.200", "Jonas Brecht", "It was calmer than last week."),
    ("00:00:15.000", UNATTRIBUTED, "[crosstalk]"),
    ("00:00:17.300", "Jonas Brecht", "Sorry. The group on Tuesday helped a lot."),
]


def turns_of(t) -> list[tuple[str, str, str]]:
    return [turn[:3] for turn in t.turns]


def vtt_folder(tmp_path, *names):
    folder = tmp_path / "vtt"
    folder.mkdir()
    for name in names:
        shutil.copy(FORMATS / name, folder / name)
    return folder


def test_zoom_and_teams_captions_give_the_same_turns(tmp_path):
    folder = vtt_folder(tmp_path, "zoom.vtt", "teams.vtt")
    layout = {"folder": str(folder), "sidecar": str(FORMATS / "sessions.csv"), "source_offsets": True}
    read = {t.id: t for t in read_transcripts([layout])}
    assert turns_of(read["Z1"]) == turns_of(read["T1"]) == CONVERSATION
    assert (read["Z1"].kind, read["Z1"].date, dict(read["Z1"].attributes)) == (
        "peer group (Zoom)",
        "2022-03-08",
        {"session": "2"},
    )
    assert read["Z1"].speakers == ("Mira Osei", "Jonas Brecht")  # in order of appearance; unattributed is no speaker
    key = DeidKey(participants={"Mira Osei": "P1", "Jonas Brecht": "P2"})
    clean = clean_transcripts(list(read.values()), key, pd.Series(["P1", "P2"]))
    columns = ["time", "speaker", "start", "end", "text"]
    by_doc = {d: g[columns].reset_index(drop=True) for d, g in clean.turns.groupby("document")}
    pd.testing.assert_frame_equal(by_doc["Z1"], by_doc["T1"])
    assert by_doc["Z1"]["speaker"].tolist() == ["P1", "P2", UNATTRIBUTED, "P2"]
    docs = clean.documents.set_index("document")
    assert docs.loc["Z1", "text"] == docs.loc["T1", "text"]
    assert docs.loc["Z1", "participant"] == "P1; P2"


def test_hidden_and_lock_files_in_a_transcripts_folder_are_not_transcripts(tmp_path):
    # macOS leaves ._zoom.vtt beside a copied zoom.vtt, and Word keeps ~$I01.docx while
    # I01.docx is open; neither was saved as a transcript
    folder = vtt_folder(tmp_path, "zoom.vtt", "teams.vtt")
    (folder / "._zoom.vtt").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (folder / "~$I01.docx").write_bytes(b"\x05Tess Wren")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    read = read_transcripts([{"folder": str(folder), "sidecar": str(FORMATS / "sessions.csv")}])
    assert sorted(t.id for t in read) == ["T1", "Z1"]


def test_pseudonyms_of_digits_match_the_ids_of_the_participants_sheet(tmp_path):
    # a sheet with ids 001 and 002: cleaning reads an id of digits as a whole number (1, 2);
    # a key written with the ids as the sheet shows them (001) names the same people
    folder = vtt_folder(tmp_path, "zoom.vtt", "teams.vtt")
    read = read_transcripts([{"folder": str(folder), "sidecar": str(FORMATS / "sessions.csv")}])
    key = DeidKey(participants={"Mira Osei": "001", "Jonas Brecht": "002"})
    clean = clean_transcripts([t for t in read if t.id == "Z1"], key, pd.Series([1, 2]))
    assert clean.turns["speaker"].tolist() == ["1", "2", UNATTRIBUTED, "2"]


def test_caption_offsets_point_into_the_file(tmp_path):
    for name in ("zoom.vtt", "teams.vtt"):
        t = read_transcript(FORMATS / name, layout=VTT_LAYOUT)
        source = (FORMATS / name).read_text()
        first = source.index("Thanks for joining")
        assert t.spans[0][0] == first
        assert source[t.spans[0][0] : t.spans[0][1]].endswith("how the week went?")  # cues 1 and 2, one turn
        crosstalk = source.index("[crosstalk]")
        assert t.spans[2] == (crosstalk, crosstalk + len("[crosstalk]"))
        last = source.index("Sorry.")
        assert t.spans[3] == (last, source.index("helped a lot.") + len("helped a lot."))


def test_subrip_with_crlf_and_facts_from_the_file_name():
    layout = {"file_pattern": r"(?P<id>S\d+)_(?P<date>\d{4}-\d{2}-\d{2})"}
    t = read_transcript(FORMATS / "S04_2022-05-02.srt", layout=layout)
    assert (t.id, t.date, t.format) == ("S04", "2022-05-02", "srt")
    assert turns_of(t) == [
        ("00:00:01.000", "Lena Fischer", "Good morning. Today we talk about routines."),
        ("00:00:07.000", "Omar Haddad", "Mine start with a walk."),
    ]
    source = (FORMATS / "S04_2022-05-02.srt").read_bytes().decode()
    assert t.spans[1] == (source.index("Mine"), source.index("walk.") + len("walk."))


def test_otter_speaker_lines_without_a_header():
    t = read_transcript(FORMATS / "FG2_2022-05-04.txt", layout={"file_pattern": r"(?P<id>FG\d+)_(?P<date>[\d-]+)"})
    assert (t.id, t.date, t.kind) == ("FG2", "2022-05-04", "")
    assert turns_of(t) == [
        ("00:00:03", "Speaker 1", "Welcome back. Who wants to begin?"),
        ("00:00:09", "Rosa Lindqvist", "I can. This month I went back to the allotment twice."),
        ("00:01:15", "Speaker 1", "That is good to hear."),
    ]
    source = (FORMATS / "FG2_2022-05-04.txt").read_text()
    assert t.spans[1] == (source.index("I can."), source.index("twice.") + len("twice."))


def test_focus_group_of_four_participants_without_times():
    t = read_transcript(FORMATS / "FG3.txt")
    assert (t.id, t.kind, t.date) == ("FG3", "focus group", "2022-06-01")
    assert t.speakers == ("Moderator", "Ines Alves", "Kwame Mensah", "Yuki Tanaka", "Petra Novak")
    assert turns_of(t) == [
        ("", "Moderator", "What made the first meeting easier?"),
        ("", "Ines Alves", "Knowing the peer worker had been through it."),
        ("", "Kwame Mensah", "For me, the coffee. Honestly, and that nobody took notes."),
        ("", "Yuki Tanaka", "I agree with Kwame Mensah. Note: she laughed here."),
        ("", "Petra Novak", "The room had a window."),
        ("", "Moderator", "Thank you all."),
    ]
    key = DeidKey(participants={"Ines Alves": "P1", "Kwame Mensah": "P2", "Yuki Tanaka": "P3", "Petra Novak": "P4"})
    clean = clean_transcripts([t], key, pd.Series(["P1", "P2", "P3", "P4"]), interviewer_labels=("Moderator",))
    doc = clean.documents.iloc[0]
    assert doc["participant"] == "P1; P2; P3; P4"
    assert doc["text"].splitlines()[3] == "P3: I agree with P2. Note: she laughed here."  # no time, no brackets
    for turn in clean.turns.itertuples():
        assert doc["text"][turn.start : turn.end] == turn.text


def test_labels_mapped_and_dates_in_a_declared_format():
    layout = {"date_format": "%d.%m.%Y", "speaker_labels": {"I": "Interviewer", "R": "{participant}"}}
    t = read_transcript(FORMATS / "I07.txt", layout=layout)
    assert t.date == "2022-04-12"
    assert turns_of(t) == [
        ("00:00:04", "Interviewer", "How did you hear about the service?"),
        ("00:00:11", "Dana Whitfield", "From my GP."),
        ("00:01:02", "Interviewer", "And the first contact?"),
        ("00:01:09", "Dana Whitfield", "A phone call. It lasted an hour."),
    ]
    with pytest.raises(
        InputError, match=r"I07\.txt, row 2, field 'Date': expected a date as YYYY-MM-DD, found '12\.04"
    ):
        read_transcript(FORMATS / "I07.txt", layout={"speaker_labels": layout["speaker_labels"]})


def test_bold_labels_and_bare_times():
    lines = [
        "Transcript: I8 (interview)",
        "Date: 2022-01-02",
        "Participants: Interviewer; Sam Okafor",
        "",
        "00:00:07 **Interviewer:** Where do you meet?",
        "00:00:12 **Sam Okafor** Mostly at the library.",
        "**Interviewer**",
        "And in winter?",
    ]
    t = parse_transcript(lines, file="I8.txt")
    # the first turn is timed; the untimed '**Interviewer**' names a declared speaker, so it starts a turn
    # without a time, and the line after it continues that turn
    assert turns_of(t) == [
        ("00:00:07", "Interviewer", "Where do you meet?"),
        ("00:00:12", "Sam Okafor", "Mostly at the library."),
        ("", "Interviewer", "And in winter?"),
    ]


def test_facts_that_disagree_or_are_missing_are_reported():
    lines = [
        "Transcript: I9 (interview)",
        "Date: 2022-01-02",
        "Participants: Interviewer; Ann",
        "",
        "Interviewer: Hello.",
    ]
    with pytest.raises(
        InputError,
        match=r"field 'date': expected the same date in the header and the file name, "
        r"found '2022-01-02' and '2022-01-03'",
    ):
        parse_transcript(lines, file="I9_2022-01-03.txt", layout={"file_pattern": r"(?P<id>I\d)_(?P<date>.+)"})
    with pytest.raises(
        InputError,
        match=r"I5\.txt, field 'date': expected the transcript's date: a header line "
        r"'Date: …', a 'date' group",
    ):
        parse_transcript(["Interviewer: Hello.", "Ann: Hi."], file="I5.txt")
    with pytest.raises(InputError, match=r"field 'file name': expected a name matching the study's file_pattern"):
        parse_transcript(["Interviewer: Hello."], file="notes.txt", layout={"file_pattern": r"(?P<id>I\d+)"})


def test_a_sidecar_row_for_every_file_and_a_file_for_every_row(tmp_path):
    folder = vtt_folder(tmp_path, "zoom.vtt")
    with pytest.raises(
        InputError,
        match=r"sessions\.csv, row 3, field 'file': expected a transcript in .*vtt, "
        r"found 'teams\.vtt': no such file",
    ):
        read_transcripts([{"folder": str(folder), "sidecar": str(FORMATS / "sessions.csv")}])
    with pytest.raises(InputError, match=r"zoom\.vtt, field 'date': expected the transcript's date"):
        read_transcripts(folder)


def test_unknown_layout_keys_are_refused():
    from peerstudy.errors import ConfigError

    with pytest.raises(ConfigError, match=r"field 'transcripts \(.*\): file_patern': expected one of file_pattern"):
        read_transcripts([{"folder": str(FORMATS), "file_patern": "x"}])


def test_a_label_that_looks_like_a_name_but_is_not_declared():
    lines = [
        "Transcript: I9 (interview)",
        "Date: 2022-01-02",
        "Participants: Interviewer; Ann",
        "",
        "Interviewer: Hello.",
        "Ann: Hi.",
        "Note: she smiles.",
        "well, I think: yes",
    ]
    with pytest.raises(
        InputError,
        match=r"I9\.txt, row 7, field 'speaker': expected a speaker from the header "
        r"\(Interviewer; Ann\), found 'Note'",
    ):
        parse_transcript(lines, file="I9.txt")
    t = parse_transcript(lines[:6] + ["    Note: she smiles.", lines[7]], file="I9.txt")
    assert t.turns[1][2] == "Hi. Note: she smiles. well, I think: yes"


# ------------------------------------------------------------------------------ .docx and .odt
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(path, *, footnote: bool = True) -> None:
    """A Word transcript: header paragraphs, a turn with a tracked insertion and a deletion, a
    table of turns with a header row, a text box, and a footnote."""
    d = docx.Document()
    for line in (
        "Transcript: W1 (individual interview)",
        "Date: 2022-09-14",
        "Participants: Interviewer; Noor Haddad",
        "",
    ):
        d.add_paragraph(line)
    p = d.add_paragraph("[00:00:05] Interviewer: How was the ")
    p._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="1" w:author="T" w:date="2022-09-15T00:00:00Z">'
            "<w:r><w:delText>first </w:delText></w:r></w:del>"
        )
    )
    p._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="2" w:author="T" w:date="2022-09-15T00:00:00Z">'
            '<w:r><w:t xml:space="preserve">second </w:t></w:r></w:ins>'
        )
    )
    p.add_run("meeting?")
    table = d.add_table(rows=3, cols=3)
    for row, cells in zip(
        table.rows,
        [
            ("Time", "Speaker", "Text"),
            ("[00:00:11]", "Noor Haddad", "Easier. We walked instead of sitting."),
            ("[00:00:30]", "Interviewer", "Whose idea was that?"),
        ],
        strict=False,
    ):
        for cell, value in zip(row.cells, cells, strict=False):
            cell.text = value
    p = d.add_paragraph("[00:00:34] Noor Haddad: Hers.")
    p._p.append(
        parse_xml(
            f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
            "<w:p><w:r><w:t>She had a dog with her.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        )
    )
    if footnote:
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        notes = (
            f'<w:footnotes xmlns:w="{W}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
            '</w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>The park by the river.</w:t></w:r></w:p>'
            "</w:footnote></w:footnotes>"
        ).encode()
        part = Part(
            PackURI("/word/footnotes.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
            notes,
            d.part.package,
        )
        d.part.relate_to(part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes")
        p = d.add_paragraph("[00:00:40] Interviewer: Where did you walk?")
        p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>'))
    d.save(path)


def test_docx_tables_insertions_text_boxes_and_footnotes(tmp_path):
    make_docx(tmp_path / "W1.docx")
    t = read_transcript(tmp_path / "W1.docx")
    # by hand: the deletion 'first ' is gone, the insertion 'second ' is in; the table's header row
    # is layout; the text box follows its paragraph (continuing that turn); the footnote is in place
    assert turns_of(t) == [
        ("00:00:05", "Interviewer", "How was the second meeting?"),
        ("00:00:11", "Noor Haddad", "Easier. We walked instead of sitting."),
        ("00:00:30", "Interviewer", "Whose idea was that?"),
        ("00:00:34", "Noor Haddad", "Hers. She had a dog with her."),
        ("00:00:40", "Interviewer", "Where did you walk?[footnote: The park by the river.]"),
    ]
    lines = t.source_text.split("\n")
    assert lines[5] == "[00:00:11]\tNoor Haddad\tEasier. We walked instead of sitting."
    start, end = t.spans[1]
    assert t.source_text[start:end] == "Easier. We walked instead of sitting."


def test_docx_with_an_embedded_object_is_refused(tmp_path):
    d = docx.Document()
    d.add_paragraph("Transcript: W2 (interview)")
    p = d.add_paragraph("[00:00:01] Interviewer: see the table")
    p._p.append(parse_xml(f"<w:r {nsdecls('w')}><w:object/></w:r>"))
    d.save(tmp_path / "W2.docx")
    with pytest.raises(
        InputError,
        match=r"W2\.docx: expected a Word document whose text can be read, found an "
        r"embedded object",
    ):
        read_transcript(tmp_path / "W2.docx")


def make_odt(path) -> None:
    """An OpenDocument transcript: header, a turn with extra spaces (text:s), a tracked deletion
    (kept apart by ODF) beside an insertion, a table of turns, and a footnote."""
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import Change, ChangedRegion, Deletion, Note, NoteBody, NoteCitation, P, S, TrackedChanges

    doc = OpenDocumentText()
    changes = TrackedChanges()
    region = ChangedRegion(qattributes={("http://www.w3.org/XML/1998/namespace", "id"): "ct1"})
    deletion = Deletion()
    deletion.addElement(P(text="never "))
    region.addElement(deletion)
    changes.addElement(region)
    doc.text.addElement(changes)
    for line in ("Transcript: O1 (individual interview)", "Date: 2022-10-03", "Participants: Interviewer; Eli Brandt"):
        doc.text.addElement(P(text=line))
    doc.text.addElement(P())
    p = P(text="Interviewer: Did you")
    p.addElement(S(c=2))
    p.addText("go ")
    p.addElement(Change(changeid="ct1"))
    p.addText("back?")
    doc.text.addElement(p)
    table = Table(name="turns")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for speaker, text in (("Speaker", "Text"), ("Eli Brandt", "Twice, with my sister.")):
        row = TableRow()
        for value in (speaker, text):
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    p = P(text="Interviewer: And then?")
    note = Note(id="n1", noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="Asked after a pause."))
    note.addElement(body)
    p.addElement(note)
    doc.text.addElement(p)
    doc.save(str(path))


def test_odt_spaces_tracked_changes_tables_and_notes(tmp_path):
    make_odt(tmp_path / "O1.odt")
    t = read_transcript(tmp_path / "O1.odt")
    # by hand: 'Did you' + two spaces (text:s c=2) + 'go back?'; the deletion 'never ' stays out; the
    # table row reads 'Eli Brandt<TAB>Twice, ...' (its header row 'Speaker | Text' is layout); the
    # footnote is in place
    assert t.format == "odt"
    assert t.source_text.split("\n")[4:7] == [
        "Interviewer: Did you  go back?",
        "Eli Brandt\tTwice, with my sister.",
        "Interviewer: And then?[footnote: Asked after a pause.]",
    ]
    assert turns_of(t) == [
        ("", "Interviewer", "Did you  go back?"),
        ("", "Eli Brandt", "Twice, with my sister."),
        ("", "Interviewer", "And then?[footnote: Asked after a pause.]"),
    ]
    start, end = t.spans[1]
    assert t.source_text[start:end] == "Twice, with my sister."


def test_turns_table_keeps_todays_columns_unless_source_offsets_are_asked_for(cleaned):
    # the columns of today's turns table (CleanTranscripts' docstring before this change)
    assert cleaned.turns.columns.tolist() == ["turn", "document", "time", "speaker", "start", "end", "text"]
    transcripts = read_transcripts(MINI / "transcripts")
    clean = clean_transcripts(
        transcripts, read_key(MINI / "deid-key.yaml"), pd.Series(["P1", "P2"]), source_offsets=True
    )
    i01 = (MINI / "transcripts/I01.txt").read_bytes().decode("utf-8")  # as written (CRLF kept)
    first = clean.turns[clean.turns["document"] == "I01"].iloc[0]
    assert (first["source_start"], first["source_end"]) == (i01.index("How did"), i01.index("start?") + len("start?"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "I3.txt",
            (FORMATS / "S04_2022-05-02.srt").read_bytes(),
            (
                r"I3\.txt: expected plain text \(the file's name ends "
                r"in \.txt\), found SubRip captions \(\.srt\): this is SubRip, not plain text\. Fix: rename the file to end in \.srt"
            ),
        ),
        (
            "I3.vtt",
            b"Interviewer: hello\n",
            (
                r"I3\.vtt: expected WebVTT captions .*found plain text: this is plain text, "
                r"not WebVTT\. Fix: rename the file to end in \.txt"
            ),
        ),
        (
            "I3.vtt",
            b"00:00:01.000 --> 00:00:02.000\nhello\n",
            (
                r"this is plain text, not WebVTT\. Fix: if it is meant "
                r"to be captions, it lacks their start: add the line 'WEBVTT' at the top"
            ),
        ),
        (
            "I3.doc",
            b"\xd0\xcf\x11\xe0rest",
            (
                r"I3\.doc: expected a transcript \(\.txt, \.docx, \.odt, \.vtt or \.srt\), "
                r"found an old Word document \(\.doc\)\. Fix: open it in Word and save it as \.docx"
            ),
        ),
        (
            "I3.vtt",
            b"WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nA: hi\n",
            (
                r"field 'cue 1': expected a cue that ends "
                r"after it starts"
            ),
        ),
    ],
)
def test_formats_are_recognised_from_the_content(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_transcripts(tmp_path)


def test_docx_named_odt_and_odt_named_docx(tmp_path):
    make_docx(tmp_path / "W1.odt", footnote=False)
    with pytest.raises(
        InputError,
        match=r"W1\.odt: expected an OpenDocument text \(\.odt\), found this is a Word "
        r"document\. Fix: re-save the transcript .* or rename it to end in \.docx",
    ):
        read_transcript(tmp_path / "W1.odt")
    make_odt(tmp_path / "O1.docx")
    with pytest.raises(
        InputError,
        match=r"O1\.docx: expected a Word document \(\.docx\), found a file Word cannot open "
        r"\(this is an OpenDocument text\)",
    ):
        read_transcript(tmp_path / "O1.docx")


def test_unattributed_turns_stay_unattributed_after_cleaning():
    t = read_transcript(FORMATS / "zoom.vtt", layout=VTT_LAYOUT)
    clean = clean_transcripts(
        [t], DeidKey(participants={"Mira Osei": "P1", "Jonas Brecht": "P2"}), pd.Series(["P1", "P2"])
    )
    text = clean.documents.loc[0, "text"].splitlines()
    assert text[2] == "[00:00:15.000] (unattributed): [crosstalk]"
    counts = dict(zip(clean.redactions["kind"], clean.redactions["replaced"], strict=False))
    assert counts["participant"] == 3  # Mira once (two cues, one turn), Jonas twice; none for the unattributed cue


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "Transcript: I1 (x)",
                    "Id: I1",
                    "Date: 2021-01-01",
                    "Participants: A; B",
                    "A: hi",
                    "B: ho",
                    "**A**",
                    "A  0:03",
                    "[00:00:01] A: x",
                    "(01:02) B: y",
                    "   c: d",
                    "I: q",
                ]
            ),
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
        ),
        max_size=12,
    )
)
def test_any_text_gives_a_transcript_or_a_clear_error(lines):
    # property: arbitrary lines never end in a bare exception, and every span lies inside the text
    try:
        t = parse_transcript(lines, file="I1_2021-01-01.txt", layout={"file_pattern": r"(?P<id>I\d)_(?P<date>.+)"})
    except InputError:
        return
    text = "\n".join(lines)
    assert len(t.spans) == len(t.turns)
    for start, end in t.spans:
        assert 0 <= start <= end <= len(text)


def test_a_first_cue_right_under_the_webvtt_line_is_not_lost(tmp_path):
    text = "WEBVTT\n00:00:01.000 --> 00:00:02.000\nAnn: Hi.\n\n00:00:03.000 --> 00:00:04.000\nBo: Ho.\n"
    (tmp_path / "C1_2022-01-05.vtt").write_text(text)
    t = read_transcript(tmp_path / "C1_2022-01-05.vtt", layout={"file_pattern": r"(?P<id>C1)_(?P<date>.+)"})
    assert [turn[:3] for turn in t.turns] == [("00:00:01.000", "Ann", "Hi."), ("00:00:03.000", "Bo", "Ho.")]


def test_an_untimed_turn_of_a_declared_speaker_is_not_given_to_the_speaker_before(tmp_path):
    lines = HEAD + [
        "[00:00:01] Interviewer: Hello.",
        "Ann: Hi, no time here.",
        "Ann said: not a label (not declared)",
        "[00:00:09] Interviewer: Thanks.",
    ]
    t = parse_transcript(lines, file="I9.txt")
    assert [turn[:3] for turn in t.turns] == [
        ("00:00:01", "Interviewer", "Hello."),
        ("", "Ann", "Hi, no time here. Ann said: not a label (not declared)"),
        ("00:00:09", "Interviewer", "Thanks."),
    ]
    d = docx.Document()
    for line in HEAD[:3] + ["", "[00:00:01] Interviewer: Hello."]:
        d.add_paragraph(line)
    row = d.add_table(rows=1, cols=2).rows[0]
    row.cells[0].text, row.cells[1].text = "Ann", "Typed in a table."
    d.save(tmp_path / "I9.docx")
    assert [turn[:3] for turn in read_transcript(tmp_path / "I9.docx").turns] == [
        ("00:00:01", "Interviewer", "Hello."),
        ("", "Ann", "Typed in a table."),
    ]


def test_text_without_any_turn_is_one_problem_not_one_per_line():
    lines = ["Transcript: I9 (interview)", "Date: 2022-01-02", "Participants: Interviewer; Ann", ""]
    lines += [f"just prose, line {i}" for i in range(50)]
    with pytest.raises(InputError) as info:
        parse_transcript(lines, file="I9.txt")
    # 50 prose lines: one problem for them (the first, row 5, and 49 more), one for the missing turns
    assert len(info.value.problems) == 2
    assert "row 5, field 'turn'" in str(info.value) and "(and 49 more line(s) before the first turn)" in str(info.value)


def test_docx_with_an_imported_chunk_is_refused(tmp_path):
    d = docx.Document()
    d.add_paragraph("Transcript: W3 (interview)")
    d.element.body.append(parse_xml(f'<w:altChunk {nsdecls("w", "r")} r:id="rId99"/>'))
    d.save(tmp_path / "W3.docx")
    with pytest.raises(
        InputError,
        match=r"W3\.docx: expected a Word document whose text can be read, found text kept "
        r"in an imported part \(altChunk",
    ):
        read_transcript(tmp_path / "W3.docx")


def test_f4_time_marks_are_the_turns_times_and_not_their_text():
    """f4/f5transkript (and MAXQDA) write a time mark '#hh:mm:ss-d#' at the end of a
    paragraph; I08 (invented, German) is such a transcript. By hand: four turns, each timed
    by its first mark, no mark left in the text, and each span ends where the words end."""
    t = read_transcript(FORMATS / "I08_2022-04-20.txt", layout={"file_pattern": r"(?P<id>I\d+)_(?P<date>[\d-]+)"})
    assert turns_of(t) == [
        ("00:00:04", "I", "Wie haben Sie von der Gruppe erfahren?"),
        ("00:00:11", "B", "Über eine Freundin aus dem Chor. Sie war selbst schon dort. Am Anfang war ich skeptisch."),
        ("00:00:18", "I", "Und heute?"),
        ("00:00:21", "B", "Heute gehe ich jede Woche hin, meistens mit ihr."),
    ]
    source = (FORMATS / "I08_2022-04-20.txt").read_text(encoding="utf-8")
    assert source[slice(*t.spans[0])] == "Wie haben Sie von der Gruppe erfahren?"
    assert source[slice(*t.spans[1])].endswith("skeptisch.")
    clean = clean_transcripts([t], DeidKey(participants={"B": "P1"}), pd.Series(["P1"]), interviewer_labels=("I",))
    assert "#" not in clean.documents.iloc[0]["text"]


@pytest.mark.parametrize("heading", ["{time} {name}", "[{time}] {name}", "{name}  {time}"])
def test_a_speaker_line_may_give_the_time_first(heading):
    # a line holding only the time and the speaker, in either order, then what was said
    lines = []
    for time, name, said in (("00:00:03", "Speaker 1", "Hello there."), ("00:00:10", "Ana Moreno", "Hi, thanks.")):
        lines += [heading.format(time=time, name=name), said, ""]
    t = parse_transcript(lines, file="I01_2024-03-01.txt", layout={"file_pattern": r"(?P<id>I\d+)_(?P<date>[\d-]+)"})
    assert turns_of(t) == [("00:00:03", "Speaker 1", "Hello there."), ("00:00:10", "Ana Moreno", "Hi, thanks.")]


def test_a_teams_transcript_keeps_the_conversation_without_its_title_and_notices():
    # Microsoft Teams' .docx transcript, as text: title, date, duration, then the speakers
    # (name and time above what was said), and lines saying who started or stopped the
    # transcription; a line of speech that merely ends the same way is speech
    lines = [
        "Peer support interview 3",
        "March 5, 2024, 10:02AM",
        "45m 12s",
        "",
        "Ana Moreno started transcription",
        "",
        "Ana Moreno   0:03",
        "Hello there.",
        "",
        "Ben Lee   0:10",
        "Then the nurse started transcription",
        "",
        "Ana Moreno stopped transcription",
    ]
    t = parse_transcript(lines, file="I01_2024-03-05.txt", layout={"file_pattern": r"(?P<id>I\d+)_(?P<date>[\d-]+)"})
    assert turns_of(t) == [
        ("00:00:03", "Ana Moreno", "Hello there."),
        ("00:00:10", "Ben Lee", "Then the nurse started transcription"),
    ]
