"""Offsets into the source text moved into the de-identified text (issue 18): the map kept
by de-identification and transcript cleaning, and coder sheets and excerpts that use it.

Every expected offset below is counted by hand from the text in the test (the count is
written in a comment beside it), never taken from the code's output."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, examples
from peerstudy.cleaning.deid import DeidKey, deidentify, deidentify_mapped
from peerstudy.cleaning.deidkey import read_key
from peerstudy.cleaning.offsetmap import OffsetMap, Piece, align_text, compose, map_edits, maps_from_turns, pieces_of
from peerstudy.cleaning.transcripts import clean_transcripts, parse_transcript, read_transcripts
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import apply_coding_sheets

OWN = FIXTURES / "own-interviews"
KEY = DeidKey(participants={"Ann Lee": "P1"}, names=("Bo",), regions=("US",))


def mapped(source: str, key: DeidKey = KEY) -> tuple[str, OffsetMap]:
    clean, _, table = deidentify_mapped(source, key)
    return clean, OffsetMap(pieces_of(table, source, clean), len(source))


def test_one_replacement_that_shortens_and_one_that_lengthens():
    source = "Ann Lee met Bo at noon."
    clean, m = mapped(source)
    # "Ann Lee" [0, 7) -> "P1" [0, 2): 5 shorter; " met " [7, 12) -> [2, 7);
    # "Bo" [12, 14) -> "[NAME]" [7, 13): 4 longer; " at noon." [14, 23) -> [13, 22).
    assert clean == "P1 met [NAME] at noon."
    assert m.pieces == [Piece(0, 7, 0, 2), Piece(12, 14, 7, 13)]
    assert m.span(8, 11) == (3, 6)  # "met": 8 - 5 = 3
    assert m.span(17, 21) == (16, 20)  # "noon": 17 - 7 + 2 + 4 = 16
    assert m.span(0, 23) == (0, 22)


def test_offsets_inside_a_replaced_name_take_the_whole_replacement():
    clean, m = mapped("Ann Lee met Bo at noon.")
    # start 4 is inside "Ann Lee" -> the start of "P1" (0); end 13 is inside "Bo" -> the end of "[NAME]" (13)
    assert m.span(4, 13) == (0, 13) and clean[0:13] == "P1 met [NAME]"
    assert m.span(1, 3) == (0, 2)  # both inside "Ann Lee": the pseudonym alone
    assert m.span(12, 14) == (7, 13)  # exactly the name


def test_several_replacements_and_an_address_shift_what_follows_by_their_sum():
    source = "Bo, Bo and Ann Lee wrote to a@b.org today."
    clean, m = mapped(source)
    # "Bo" [0,2) -> [0,6) (+4); "Bo" [4,6) -> [8,14) (+4); "Ann Lee" [11,18) -> [19,21) (-5);
    # "a@b.org" [28,35) -> "[EMAIL]" [29,36) (+0); "today" [36,41): shift +4+4-5+0 = +3 -> [39,44).
    assert clean == "[NAME], [NAME] and P1 wrote to [EMAIL] today."
    assert m.span(36, 41) == (39, 44) and clean[39:44] == "today"
    assert m.span(19, 24) == (22, 27) and clean[22:27] == "wrote"  # 19 + 4 + 4 - 5 = 22


def test_a_character_composed_by_unicode_normalisation_shortens_the_text_by_one():
    source = "cafe\u0301 with Bo."
    clean, m = mapped(source)
    # "e" + combining acute [3, 5) -> "\u00e9" [3, 4) (-1); " with " [5, 11) -> [4, 10); "Bo" [11, 13) -> [10, 16) (+4)
    assert clean == "caf\u00e9 with [NAME]."
    assert m.span(6, 10) == (5, 9) and clean[5:9] == "with"
    assert m.span(0, 4) == (0, 4)  # an end between the letter and its accent takes the composed letter


def test_tables_compose_step_after_step():
    # "abcde" -> "aXde" (bc -> X) -> "aYYYde" (X -> YYY): offset 3 ("d") is at 2 then at 4
    table = compose(map_edits(5, [(1, 3, 1)]), map_edits(4, [(1, 2, 3)]))
    assert table[0][3] == 4 and table[0][2] == 1 and table[1][2] == 4


def test_lines_joined_and_speaker_labels_are_mapped_from_the_file_as_written():
    lines = [
        "Transcript: I1 (interview)",
        "Date: 2021-01-19",
        "Participants: Interviewer; Ann Lee",
        "",
        "Interviewer: Hello.",
        "Ann Lee: I met Bo",
        "  in town.",
    ]
    source = "\n".join(lines)
    t = parse_transcript(lines, file="I1.txt")
    clean = clean_transcripts([t], KEY, pd.Series(["P1"]), source_offsets=True)
    doc = clean.documents.loc[0, "text"]
    m = maps_from_turns(clean.turns)["I1"]
    # Source: lines of 26, 16, 34, 0, 19, 17, 10 characters, each + 1 for its line end: "Hello." at 80 + 13 = 93,
    # "I met Bo" at 100 + 9 = 109 (to 117), "in town." at 118 + 2 = 120 (to 128).
    # Document: "Interviewer: Hello.\nP1: I met [NAME] in town.": "I met " at 24, "[NAME]" 30-36, "in town." 37-45.
    assert doc == "Interviewer: Hello.\nP1: I met [NAME] in town." and m.source_length == len(source) == 128
    assert m.span(120, 127) == (37, 44)  # "in town"
    assert m.span(115, 117) == (30, 36)  # "Bo" -> "[NAME]"
    assert m.span(100, 114) == (24, 29)  # from the start of the label "Ann Lee: " -> from what was said: "I met"
    assert m.span(93, 128) == (13, 45)  # across the two turns, to the end of the file
    # the header alone: the start moves on to the next talk (13), the end back to before it (0): nothing said
    assert m.span(0, 50) == (13, 0)


def test_the_fixture_offsets_coded_sheet_gives_the_segment_of_its_excerpt_twin(tmp_path):
    key = read_key(OWN / "deid-key.yaml")
    clean = clean_transcripts(
        read_transcripts([{"folder": str(OWN / "transcripts"), "source_offsets": True}]),
        key,
        pd.Series([f"P{i}" for i in range(1, 7)]),
    )
    book = read_codebook(OWN / "codebook.yaml")
    sheets = {"offsets": OWN / "coder-a.csv", "excerpt": tmp_path / "twin.csv"}
    rows = (OWN / "coder-a.csv").read_text().splitlines()
    u9 = next(r for r in rows if r.startswith("U9,"))
    assert u9.endswith(",183,235")  # I03.txt: 4 header lines of 39, 17, 17, 39 and a blank line (113),
    # "[00:00:06] Interviewer: What helped you most?" + line end (46) -> 159, "[00:00:15] Ines Farrow: " (24) -> 183,
    # and "He helped me fill in the benefit forms line by line." is 52 long -> 235
    sheets["excerpt"].write_text(
        rows[0] + "\nU9,I03,He helped me fill in the benefit forms line by line.,practical,AA,,,\n", encoding="utf-8"
    )
    coded = {
        how: apply_coding_sheets(
            [path],
            clean.documents,
            book,
            document_key=["transcript"],
            turns=clean.turns,
            unit_column="unit",
            key=key,
        )
        for how, path in sheets.items()
    }
    by_offsets = coded["offsets"].codings.set_index("unit").loc["U9", "segment"]
    # In the document: "[00:00:06] Interviewer: " (24) + "What helped you most?" (21) + line end -> 46,
    # "[00:00:15] P3: " (15) -> 61, + 52 -> 113
    assert by_offsets == coded["excerpt"].codings.loc[0, "segment"] == "I03@61-113"
    segment = coded["offsets"].segments.set_index("segment").loc["I03@61-113"]
    assert segment["text"] == "He helped me fill in the benefit forms line by line." and segment["participant"] == "P3"


def _coded_fg1(tmp_path, row: str):
    key = read_key(OWN / "deid-key.yaml")
    folder = tmp_path / "own"
    shutil.copytree(OWN, folder)
    clean = clean_transcripts(
        read_transcripts([{"folder": str(folder / "transcripts"), "source_offsets": True}]),
        key,
        pd.Series([f"P{i}" for i in range(1, 7)]),
    )
    sheet = folder / "sheet.csv"
    sheet.write_text("unit,transcript,excerpt,code,coder,note,start,end\n" + row + "\n", encoding="utf-8")
    return apply_coding_sheets(
        [sheet],
        clean.documents,
        read_codebook(folder / "codebook.yaml"),
        document_key=["transcript"],
        turns=clean.turns,
        unit_column="unit",
        key=key,
    )


def test_an_excerpt_that_names_a_person_matches_its_redacted_form(tmp_path):
    coded = _coded_fg1(tmp_path, "U1,FG1,Hilde is great. She listened,listening,AA,,,")
    # FG1's document: "[00:00:10] Interviewer: Tell me about your peer worker." (24 + 31 = 55), line end (56),
    # "[00:00:25] P5: " (15) -> 71: "[NAME] is great. She listened" is 29 long -> 100
    assert coded.segments["segment"].tolist() == ["FG1@71-100"]
    assert coded.segments.loc[0, "text"] == "[NAME] is great. She listened"


def test_source_offsets_that_cut_a_name_take_its_redacted_form(tmp_path):
    # FG1.txt: header lines of 29, 16, 16, 47 characters + line ends and a blank line -> 113; the interviewer's
    # line is 55 + 1 -> 169; "[00:00:25] Rosa Vey: " (21) -> "Hilde" at 190-195; offsets 192-204 start inside
    # "Hilde" and end after "is great"; in the document "[NAME] is great" starts at 71 (see above) -> 71 + 15 = 86
    source = (OWN / "transcripts/FG1.txt").read_text(encoding="utf-8")
    assert source[190:195] == "Hilde" and source[195:204] == " is great"
    coded = _coded_fg1(tmp_path, "U1,FG1,,listening,AA,,192,204")
    assert coded.segments.loc[0, ["start", "end", "text"]].tolist() == [71, 86, "[NAME] is great"]
    # offsets with the excerpt as the coder copied it: the excerpt is de-identified before it is compared
    coded = _coded_fg1(tmp_path / "again", "U1,FG1,Hilde is great,listening,AA,,190,204")
    assert coded.segments.loc[0, ["start", "end", "text"]].tolist() == [71, 86, "[NAME] is great"]


def test_an_offset_past_the_end_of_its_source_is_one_clear_message(tmp_path):
    with pytest.raises(InputError) as caught:
        _coded_fg1(tmp_path, "U1,FG1,,listening,AA,,200,445")  # FG1.txt is 444 characters long; row 2 of the sheet
    text = str(caught.value)
    assert len(caught.value.problems) == 1
    assert "sheet.csv, row 2, field 'start, end'" in text and "0 <= start < end <= 444" in text
    assert "start 200, end 445" in text


# ------------------------------------------------------------------ properties
_FILLER = st.text(alphabet="xyz.,!", min_size=1, max_size=6)
_TOKENS = st.lists(st.one_of(_FILLER, st.sampled_from(["Ann Lee", "Bo", "a@b.org"])), min_size=1, max_size=12)


def _placed(tokens: list[str]) -> tuple[str, list[tuple[int, int, str]]]:
    spans, at = [], 0
    for token in tokens:
        spans.append((at, at + len(token), token))
        at += len(token) + 1
    return " ".join(tokens), spans


@settings(max_examples=examples(150), deadline=None)
@given(_TOKENS)
def test_mapping_keeps_order_and_text_outside_replacements(tokens):
    source, spans = _placed(tokens)
    clean, m = mapped(source)
    assert clean == deidentify(source, KEY)[0]
    starts = [m.start(p) for p in range(len(source) + 1)]
    ends = [m.end(p) for p in range(len(source) + 1)]
    assert starts == sorted(starts) and ends == sorted(ends)
    assert all(s <= e for s, e in zip(starts, ends, strict=True))
    for a, b, token in spans:
        target = clean[m.start(a) : m.end(b)]
        if token in ("Ann Lee", "Bo", "a@b.org"):
            assert target == {"Ann Lee": "P1", "Bo": "[NAME]", "a@b.org": "[EMAIL]"}[token]
        else:
            assert target == token  # text outside replacements maps to the identical text
    # a span between two tokens that holds no name maps to the same text
    for (a, _, first), (_, b, last) in zip(spans, spans[1:], strict=False):
        if {first, last}.isdisjoint({"Ann Lee", "Bo", "a@b.org"}):
            assert clean[m.start(a) : m.end(b)] == source[a:b]


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.text(alphabet="ab c", min_size=1, max_size=5), min_size=1, max_size=6), st.data())
def test_joined_lines_map_back_to_their_words(parts, data):
    words = [p.strip() for p in parts if p.strip()]
    if not words:
        return
    gaps = [data.draw(st.sampled_from(["\n", "\n  ", " \n\n "])) for _ in words[1:]]
    source = words[0] + "".join(g + w for g, w in zip(gaps, words[1:], strict=True))
    made = " ".join(words)
    table = map_edits(len(source), align_text(source, made))
    m = OffsetMap(pieces_of(table, source, made), len(source))
    at = 0
    for gap, word in zip(["", *gaps], words, strict=True):
        at += len(gap)
        assert made[m.start(at) : m.end(at + len(word))] == word
        at += len(word)


def test_a_refi_project_coded_in_the_source_text_is_moved_into_the_cleaned_text(tmp_path):
    from peerstudy.qualitative.refi import apply_refi, write_qdpx

    key = read_key(OWN / "deid-key.yaml")
    clean = clean_transcripts(
        read_transcripts([{"folder": str(OWN / "transcripts"), "source_offsets": True}]),
        key,
        pd.Series([f"P{i}" for i in range(1, 7)]),
    )
    book = read_codebook(OWN / "codebook.yaml")
    source = (OWN / "transcripts/FG1.txt").read_text(encoding="utf-8")
    # a QDA program's project of FG1 as written: the selection 192-204 starts inside "Hilde" (190-195, counted in
    # test_source_offsets_that_cut_a_name_take_its_redacted_form) -> 71-86 "[NAME] is great" in the document
    documents = pd.DataFrame({"document": ["FG1"], "participant": ["P5"], "kind": ["focus group"], "text": [source]})
    segments = pd.DataFrame(
        {
            "segment": ["FG1@192-204"],
            "document": ["FG1"],
            "participant": ["P5"],
            "start": [192],
            "end": [204],
            "text": [source[192:204]],
        }
    )
    codings = pd.DataFrame(
        {
            "segment": ["FG1@192-204"],
            "unit": ["u1"],
            "code": ["listening"],
            "coder": ["AA"],
            "round": [1],
            "note": [""],
            "sheet": ["x"],
            "row": [1],
        }
    )
    qdpx = write_qdpx(tmp_path / "source.qdpx", book, documents, segments, codings)
    coded = apply_refi(qdpx, clean.documents, book, turns=clean.turns)
    assert coded.segments[["segment", "text", "participant"]].values.tolist() == [
        ["FG1@71-86", "[NAME] is great", "P5"]
    ]
    assert coded.codings["segment"].tolist() == ["FG1@71-86"]
    # a project whose text is neither the cleaned text nor agrees with the map is still refused
    documents.loc[0, "text"] = source.replace("great", "grand")
    segments["text"] = "lde is grand"
    other = write_qdpx(tmp_path / "other.qdpx", book, documents, segments, codings)
    with pytest.raises(InputError, match="a different text"):
        apply_refi(other, clean.documents, book, turns=clean.turns)


@pytest.mark.parametrize("name", ["zoom.vtt", "teams.vtt"])
def test_caption_offsets_map_across_cue_lines_and_voice_tags(tmp_path, name):
    for both in ("zoom.vtt", "teams.vtt"):  # the sidecar sheet names both
        shutil.copy(FIXTURES / "transcripts" / both, tmp_path / both)
    layout = {"folder": str(tmp_path), "sidecar": str(FIXTURES / "transcripts/sessions.csv"), "source_offsets": True}
    [t] = [t for t in read_transcripts([layout]) if t.file.endswith(name)]
    clean = clean_transcripts(
        [t], DeidKey(participants={"Mira Osei": "P1", "Jonas Brecht": "P2"}), pd.Series(["P1", "P2"])
    )
    m, doc = maps_from_turns(clean.turns)[t.id], clean.documents.loc[0, "text"]
    # Read from the file: Mira's two cues are one turn, so "everyone." and "Shall" are separated by a cue's id,
    # times and voice tag in the file, by one space in the document; Jonas's cue is written on two lines.
    for written, said in [
        ("Thanks for joining, everyone.", "Thanks for joining, everyone."),
        ("how the week went?", "how the week went?"),
        ("Sorry. The group on Tuesday\nhelped a lot.", "Sorry. The group on Tuesday helped a lot."),
    ]:
        at = t.source_text.index(written)
        start, end = m.span(at, at + len(written))
        assert doc[start:end] == said
    first, last = t.source_text.index("Thanks"), t.source_text.index("went?") + len("went?")
    assert doc[m.start(first) : m.end(last)] == "Thanks for joining, everyone. Shall we start with how the week went?"
