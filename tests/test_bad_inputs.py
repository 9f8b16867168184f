"""A catalogue of bad inputs: every way a raw file can be wrong, and what the user is told.

Each entry of :data:`CASES` builds one small bad input in a temporary folder (starting
from the committed fixtures in ``tests/fixtures/``, never editing them), runs it through
the calls a notebook stage makes (``clean-survey``, ``clean-transcripts``, ``code``,
``results-dyads``, ``import-records``, ``screen-records``, or loading a study's
parameter file), and checks three things:

1. the run stops with one of the project's own errors (a
   :class:`~peerstudy.errors.PeerstudyError`), never with a bare ``KeyError``,
   ``UnicodeDecodeError`` or ``ValueError``;
2. the message names the file (and the row and field where it can), says what was
   expected and what was found (the case's ``fragments``), and every problem in it
   carries a fix;
3. nothing was written: the folder holding the input and the output root
   (``PEERSTUDY_OUTPUT_ROOT``, where the stage's :class:`~peerstudy.outputs.StudyOutputs`
   would write) are byte for byte as before the call, and the committed fixtures too.

The cases are one table so that a reader sees at a glance which situations are covered.
Some of them are also tested, in more depth, beside the module they exercise
(``test_readers.py``, ``test_clean.py``, ``test_coding.py``, ``test_refi.py``, ...).
After the table come the positive controls: a UTF-8 export with a byte order mark is
accepted, and answers that look like spreadsheet formulas are data, not errors.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from helpers import FIXTURES, tree_digest
from peerstudy import pipeline, readers
from peerstudy.bibliography import check_search_log, read_exports, read_search_log
from peerstudy.clean import clean_export
from peerstudy.codebook import read_codebook
from peerstudy.coding import read_codings, read_unit_sheets, reconcile
from peerstudy.config import PROJECT_ROOT
from peerstudy.deid import read_key
from peerstudy.errors import ConfigError, InputError, PeerstudyError
from peerstudy.memos import read_memos
from peerstudy.outputs import StudyOutputs
from peerstudy.screening import read_decisions
from peerstudy.transcripts import clean_transcripts, read_transcripts

SURVEY, INTERVIEWS, BIB, QDPX = "mini-survey", "mini-interviews", "bib", "qdpx"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


# ----------------------------------------------------------------------------- stages
# Each runs the calls of one notebook stage, with the same parameters the notebook
# passes, and writes what the notebook writes (under the output root).
def clean_survey(folder: Path) -> None:
    """notebooks/clean-survey.ipynb on ``folder`` (export.csv, fields.yaml)."""
    report = StudyOutputs("bad-study")
    survey = clean_export(folder / "export.csv", folder / "fields.yaml", text_fields=["why"],
                          analyse_text_if="experienced")
    report.processed(questionnaires=survey.questionnaires, participants=survey.participants,
                     documents=survey.documents, cleaning_log=survey.log)
    report.table("cleaning-log", survey.log)


def clean_interviews(folder: Path, *, transcripts: tuple[str, ...] = ("transcripts",)) -> None:
    """notebooks/clean-transcripts.ipynb on ``folder`` (participants.csv, fields.yaml,
    transcripts/, deid-key.yaml)."""
    report = StudyOutputs("bad-study")
    people = clean_export(folder / "participants.csv", folder / "fields.yaml")
    clean = clean_transcripts(read_transcripts([folder / t for t in transcripts]), read_key(folder / "deid-key.yaml"),
                              people.participants, interviewer_labels=("Interviewer",), attributes={})
    report.table("redactions", clean.redactions)
    report.processed(participants=people.participants, documents=clean.documents, turns=clean.turns,
                     cleaning_log=people.log)


def code(folder: Path, *, documents: pd.DataFrame, turns: pd.DataFrame | None, coding_sheets: list[str],
         document_key: list[str], root_code_from: str = "", unit_column: str = "", reconciliation: str = "",
         stability_sheets: tuple[str, ...] = (), qdpx: str = "") -> None:
    """notebooks/code.ipynb: codebook, coder sheets or REFI-QDA project, consensus, re-coding."""
    report = StudyOutputs("bad-study")
    book = read_codebook(folder / "codebook.yaml")
    coded = read_codings([folder / s for s in coding_sheets], documents, book, qdpx=folder / qdpx if qdpx else None,
                         document_key=document_key, root_code_from=root_code_from or None, turns=turns,
                         unit_column=unit_column or None)
    reconciled = reconcile(coded, folder / reconciliation if reconciliation else None)
    recoded = read_unit_sheets([folder / s for s in stability_sheets], coded, book)
    report.processed(codebook=book.reset_index(), segments=coded.segments, codings=coded.codings,
                     consensus=reconciled.consensus, recodings=recoded)


def code_survey(folder: Path) -> None:
    """The code stage as the survey study runs it (one coder, codes under the question)."""
    code(folder, documents=survey_documents(), turns=None, coding_sheets=["coding-sheet.csv"],
         document_key=["number", "question"], root_code_from="question")


def code_interviews(folder: Path, *, qdpx: str = "") -> None:
    """The code stage as the interview study runs it (two coders, units, reconciliation,
    a third coder's re-coding), or from a REFI-QDA project."""
    documents, turns = interview_documents()
    code(folder, documents=documents, turns=turns, coding_sheets=["coder-a.csv", "coder-b.csv"],
         document_key=["transcript"], unit_column="unit", reconciliation="reconciliation.csv",
         stability_sheets=("coder-c.csv",), qdpx=qdpx)


def code_from_qdpx(name: str) -> Callable[[Path], None]:
    """The interview study's code stage taking its codings from the REFI-QDA file ``name``."""
    def run(folder: Path) -> None:
        code_interviews(folder, qdpx=name)
    return run


def memos(folder: Path) -> None:
    """notebooks/results-dyads.ipynb: the memo sheet, checked against the codebook."""
    report = StudyOutputs("bad-study")
    timeline = read_memos(folder / "memos.csv", read_codebook(folder / "codebook.yaml"))
    report.table("memo-timeline", timeline)


def import_records(fmt: str, file: str, *, search_log: str = "") -> Callable[[Path], None]:
    """notebooks/import-records.ipynb with one export (and a search log)."""
    def run(folder: Path) -> None:
        report = StudyOutputs("bad-study")
        records = read_exports([{"file": str(folder / file), "database": "PubMed", "format": fmt}])
        if search_log:
            check_search_log(records, read_search_log(folder / search_log), file=search_log)
        report.processed(records=records)
    return run


def screen_records(folder: Path) -> None:
    """notebooks/screen-records.ipynb: screening decisions against the imported records."""
    report = StudyOutputs("bad-study")
    records = pd.DataFrame({"record": ["pubmed:1", "pubmed:2"], "database": ["PubMed", "PubMed"],
                            "status": ["screened", "screened"], "duplicate_of": [None, None],
                            "ineligible_detail": [None, None]})
    decisions = read_decisions(folder / "screening.csv", records, reasons=["not peer support", "full text not retrieved"],
                               not_retrieved_reason="full text not retrieved")
    report.processed(decisions=decisions)


def load_study(folder: Path) -> None:
    """``python -m peerstudy report`` reading a study's parameter file (notebooks are not run)."""
    pipeline.load_study(folder / "supporter-survey.yaml")


@cache
def _survey_documents() -> pd.DataFrame:
    return clean_export(FIXTURES / SURVEY / "export.csv", FIXTURES / SURVEY / "fields.yaml", text_fields=["why"],
                        analyse_text_if="experienced").documents


def survey_documents() -> pd.DataFrame:
    """The documents the clean-survey stage makes from the good mini survey."""
    return _survey_documents().copy()


@cache
def _interview_documents() -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = FIXTURES / INTERVIEWS
    people = clean_export(folder / "participants.csv", folder / "fields.yaml")
    clean = clean_transcripts(read_transcripts(folder / "transcripts"), read_key(folder / "deid-key.yaml"),
                              people.participants)
    return clean.documents, clean.turns


def interview_documents() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The documents and turns the clean-transcripts stage makes from the good mini interviews."""
    documents, turns = _interview_documents()
    return documents.copy(), turns.copy()


# ----------------------------------------------------------------------------- building bad inputs
Change = Callable[[Path], None]


def copy_of(fixture: str, *changes: Change) -> Callable[[Path], Path]:
    """A build step: copy ``tests/fixtures/<fixture>`` into the case's folder, then apply
    ``changes`` to the copy; the copy's folder is what the stage is called on."""
    def build(work: Path) -> Path:
        folder = work / fixture
        shutil.copytree(FIXTURES / fixture, folder)
        for change in changes:
            change(folder)
        return folder
    return build


def study_file(old: str, new: str) -> Callable[[Path], Path]:
    """A build step: the survey study's parameter file with ``old`` replaced by ``new``."""
    def build(work: Path) -> Path:
        text = (PROJECT_ROOT / "studies/supporter-survey.yaml").read_text(encoding="utf-8")
        if old not in text:
            raise ValueError(f"{old!r} not in the study file")
        (work / "supporter-survey.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
        return work
    return build


def replace(file: str, old: str, new: str) -> Change:
    """Replace the first ``old`` by ``new`` in ``file`` (bytes, UTF-8); fails if absent,
    so a case cannot silently build a good input."""
    def change(folder: Path) -> None:
        data = (folder / file).read_bytes()
        if old.encode() not in data:
            raise ValueError(f"{old!r} not in {file}")
        (folder / file).write_bytes(data.replace(old.encode(), new.encode(), 1))
    return change


def write(file: str, data: bytes | str) -> Change:
    def change(folder: Path) -> None:
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        (folder / file).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return change


def keep_lines(file: str, n: int) -> Change:
    """Keep only the first ``n`` lines of ``file``."""
    def change(folder: Path) -> None:
        lines = (folder / file).read_bytes().splitlines(keepends=True)
        (folder / file).write_bytes(b"".join(lines[:n]))
    return change


def reencode(file: str, encoding: str) -> Change:
    """Save ``file`` again in ``encoding`` (characters it cannot hold are simplified first)."""
    def change(folder: Path) -> None:
        text = (folder / file).read_text(encoding="utf-8-sig").replace("４５", "45").replace("—", "-")
        (folder / file).write_bytes(text.encode(encoding))
    return change


def copy_file(source: Path, target: str) -> Change:
    def change(folder: Path) -> None:
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / target)
    return change


def damaged_docx(target: str) -> Change:
    """A copy of the fixture's FG1.docx at ``target`` whose document.xml is cut in half
    (a zip that opens, holding XML that does not parse)."""
    def change(folder: Path) -> None:
        with zipfile.ZipFile(FIXTURES / INTERVIEWS / "transcripts/FG1.docx") as source, \
                zipfile.ZipFile(folder / target, "w") as copy:
            for info in source.infolist():
                data = source.read(info)
                copy.writestr(info, data[: len(data) // 2] if info.filename == "word/document.xml" else data)
    return change


def qda_folder(*changes: Change) -> Callable[[Path], Path]:
    """A build step: the REFI-QDA fixtures beside the mini interviews' codebook."""
    return copy_of(QDPX, copy_file(FIXTURES / INTERVIEWS / "codebook.yaml", "codebook.yaml"), *changes)


# ----------------------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Case:
    """One bad input: how it is built, which stage reads it, what the message must say."""

    id: str
    about: str                           # one line: what is wrong with the input
    build: Callable[[Path], Any]         # writes the bad input under the given folder, returns it
    call: Callable[[Any], Any]           # the stage that reads it
    fragments: tuple[str, ...]           # parts of the message: file, row/field, expected, found
    error: type[PeerstudyError] = InputError
    count: int | None = None             # how many problems the message lists, where that matters
    max_input_bytes: int | None = None   # peerstudy.readers.MAX_INPUT_BYTES for the case


CASES = [
    # --- survey export (clean-survey) -------------------------------------------------
    Case("export-latin1", "survey export saved as Latin-1, not UTF-8 (the bad byte is in spreadsheet row 7)",
         copy_of(SURVEY, reencode("export.csv", "latin-1")), clean_survey,
         ("export.csv, row 7: expected text encoded as UTF-8, found byte b'\\xe9', which is not valid UTF-8",
          "Fix: re-save the file as UTF-8", "Windows-1252 or Latin-1")),
    Case("export-utf16-bom", "survey export saved as UTF-16 with a byte order mark (Excel 'Unicode text')",
         copy_of(SURVEY, reencode("export.csv", "utf-16")), clean_survey,
         ("export.csv", "expected text encoded as UTF-8", "found text encoded as UTF-16", "Fix: re-save the file as UTF-8")),
    Case("export-utf16-no-bom", "survey export saved as UTF-16 without a byte order mark",
         copy_of(SURVEY, reencode("export.csv", "utf-16-le")), clean_survey,
         ("export.csv", "expected text encoded as UTF-8", "found text encoded as UTF-16-LE",
          "Fix: re-save the file as UTF-8")),
    Case("export-empty", "survey export of zero bytes",
         copy_of(SURVEY, write("export.csv", b"")), clean_survey,
         ("export.csv: expected a CSV file, found an empty file", "Fix: re-export the file")),
    Case("export-header-only", "survey export with its two header rows and no answers",
         copy_of(SURVEY, keep_lines("export.csv", 2)), clean_survey,
         ("export.csv: expected at least one data row, found only the header",)),
    Case("export-missing-column", "a declared column ('Gender') absent from the export",
         copy_of(SURVEY, replace("export.csv", "Gender", "Sex")), clean_survey,
         ("export.csv, row 1, field 'Gender': expected column(s) 'Gender'", "'Sex'")),
    Case("export-duplicate-column", "two columns headed 'Age'",
         copy_of(SURVEY, replace("export.csv", "start?\r\n", "start?,Age\r\n")), clean_survey,
         ("export.csv, row 1, field 'Age': expected unique column names, found 'Age' in columns 3 and 7",)),
    Case("export-extra-cells", "an unquoted comma in a free-text answer shifts the row",
         copy_of(SURVEY, replace("export.csv", "Café talk with peers", "Café talk, with peers")), clean_survey,
         ("export.csv, row 7: expected at most 6 cells, found 7 cells", "quote the cell")),
    Case("export-unknown-spelling", "a category spelled in a way the fields file does not list",
         copy_of(SURVEY, replace("export.csv", "60,F,", "60,Femme,")), clean_survey,
         ("export.csv, row 7, field 'Gender': expected one of the declared spellings", "found 'Femme'",
          "declare the spelling in")),
    Case("export-age-out-of-range", "ages of 250 and -3 (the fields file allows 18 to 99)",
         copy_of(SURVEY, replace("export.csv", " 30 years", "250 years"), replace("export.csv", ",60,", ",-3,")),
         clean_survey,
         ("2 problems found", "export.csv, row 3, field 'Age': expected a number from 18 to 99, found 250. Fix:",
          "export.csv, row 7, field 'Age': expected a number from 18 to 99, found -3. Fix:",
          "or the declared limits in"), count=2),
    Case("export-mixed-dates", "entry dates in three formats in one column (only one declared)",
         copy_of(SURVEY, replace("export.csv", "2020/01/02 10:05", "02.01.2020 10:05"),
                 replace("export.csv", "2020/01/02 10:09", "2020-01-02 10:09")), clean_survey,
         ("export.csv, row 5, field 'Entered': expected a date and time as %Y/%m/%d %H:%M, found '02.01.2020 10:05'",
          "export.csv, row 7, field 'Entered'", "found '2020-01-02 10:09'",
          "Fix: correct the cell, or add its format to the field's 'format' list")),
    Case("export-duplicate-id", "questionnaire 3 entered twice with different answers",
         copy_of(SURVEY, replace("export.csv", "11:00,４５,m", "11:00,４５,f")), clean_survey,
         ("export.csv, row 6, field 'No.': expected one submission per No., found 3 again",
          "differ from row 5"), count=1),
    Case("export-too-large", "an export larger than the input limit (lowered to 1,000 bytes for the test)",
         copy_of(SURVEY, replace("export.csv", "it helped me.", "it helped me." + " Really." * 300)), clean_survey,
         ("export.csv: expected a CSV file of at most 1,000 bytes (peerstudy.readers.MAX_INPUT_BYTES), found ",
          "Fix: split the file into smaller ones; or, if it really is this large, raise peerstudy.readers.MAX_INPUT_BYTES"),
         max_input_bytes=1000),
    Case("participants-missing-answer", "a participant whose required sex is left empty",
         copy_of(INTERVIEWS, replace("participants.csv", "P2,Tom Baker,male", "P2,Tom Baker,")), clean_interviews,
         ("participants.csv, row 3, field 'sex': expected an answer (the field is required), found no answer",
          "Fix: fill in the answer")),
    Case("fields-limit-not-a-number", "a fields file whose minimum age is written in words",
         copy_of(SURVEY, replace("fields.yaml", "min: 18", "min: eighteen")), clean_survey,
         ("fields.yaml, field 'fields.age.min': expected a whole number, found 'eighteen'",), error=ConfigError),
    Case("fields-unknown-type", "a fields file declaring a type the cleaner does not know",
         copy_of(SURVEY, replace("fields.yaml", "type: integer", "type: number")), clean_survey,
         ("fields.yaml, field 'fields.age.type': expected one of id, integer", "found 'number'"),
         error=ConfigError),
    # --- participants sheet, transcripts, key (clean-transcripts) ------------------------
    Case("participants-duplicate-id", "participant P1 listed twice with different attributes",
         copy_of(INTERVIEWS, replace("participants.csv", "P2,Tom Baker", "P1,Tom Baker")), clean_interviews,
         ("participants.csv, row 3, field 'id': expected one submission per id, found P1 again",), count=1),
    Case("participants-age-out-of-range", "a participant aged 250 (the fields file allows 18 to 80)",
         copy_of(INTERVIEWS, replace("participants.csv", "male,45,", "male,250,")), clean_interviews,
         ("participants.csv, row 3, field 'age': expected a number from 18 to 80, found 250",)),
    Case("participants-ids-do-not-match", "the transcripts' speaker P2 is P3 in the participants sheet",
         copy_of(INTERVIEWS, replace("participants.csv", "P2,", "P3,")), clean_interviews,
         ("I02.txt, row 7, field 'speaker': expected a participant of the participants sheet",
          "found 'Tom Baker' → 'P2' (in 2 turns, the first here)", "FG1.docx, row 7, field 'speaker'",
          "Fix: add 'P2' to the participants sheet, or correct the pseudonym of 'Tom Baker' in"), count=2),
    Case("transcript-png-as-txt", "a PNG image saved as a .txt transcript",
         copy_of(INTERVIEWS, write("transcripts/I03.txt", PNG)), clean_interviews,
         ("I03.txt: expected a transcript (UTF-8 text), found binary content (a PNG image)",
          "Fix: export the file as text")),
    Case("transcript-docx-as-txt", "a Word document renamed to .txt",
         copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/FG1.docx", "transcripts/I03.txt")),
         clean_interviews,
         ("I03.txt: expected a transcript (UTF-8 text), found binary content (a zip archive",)),
    Case("transcript-docx-not-zip", "a text file renamed to .docx",
         copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I02.txt", "transcripts/I03.docx")),
         clean_interviews,
         ("I03.docx: expected a Word document (.docx), found a file Word cannot open", "Fix: re-save the transcript")),
    Case("transcript-docx-damaged", "a .docx whose document.xml is cut off",
         copy_of(INTERVIEWS, damaged_docx("transcripts/I03.docx")), clean_interviews,
         ("I03.docx: expected a Word document (.docx), found a file Word cannot open",)),
    Case("transcript-latin1", "a transcript saved as Latin-1",
         copy_of(INTERVIEWS, replace("transcripts/I02.txt", "the family.", "the famille \xe9lue."),
                 reencode("transcripts/I02.txt", "latin-1")), clean_interviews,
         ("I02.txt, row 8: expected text encoded as UTF-8", "found byte b'\\xe9'")),
    Case("transcript-too-large", "a .docx transcript larger than the input limit (lowered to 2,000 bytes)",
         copy_of(INTERVIEWS), clean_interviews,
         ("FG1.docx: expected a transcript (.docx) of at most 2,000 bytes (peerstudy.readers.MAX_INPUT_BYTES)",
          "raise peerstudy.readers.MAX_INPUT_BYTES before running the stage"),
         max_input_bytes=2000),
    Case("transcript-unknown-speaker", "a turn by a speaker the header does not list",
         copy_of(INTERVIEWS, replace("transcripts/I01.txt", "[00:01:02] Ana Moreno:", "[00:01:02] Ana M.:")),
         clean_interviews,
         ("I01.txt, row 8, field 'speaker': expected a speaker from the header (Interviewer; Ana Moreno), found 'Ana M.'",)),
    Case("transcript-bad-header", "a transcript whose date is not YYYY-MM-DD and whose turns go back in time",
         copy_of(INTERVIEWS, replace("transcripts/I01.txt", "Date: 2021-03-01", "Date: 1 March 2021"),
                 replace("transcripts/I01.txt", "[00:01:02]", "[00:00:01]")), clean_interviews,
         ("I01.txt, row 2, field 'Date': expected a date as YYYY-MM-DD, found '1 March 2021'",
          "I01.txt, row 8, field 'time': expected times that never go back")),
    Case("transcript-id-twice", "the same transcript id in two of the study's folders",
         copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I01.txt", "more/I01.txt")),
         lambda folder: clean_interviews(folder, transcripts=("transcripts", "more")),
         ("I01.txt", "field 'Transcript': expected unique transcript ids, found 'I01' in 2 files",)),
    Case("deid-key-malformed", "a key file listing participants without their pseudonyms",
         copy_of(INTERVIEWS, replace("deid-key.yaml", "participants: {Ana Moreno: P1, Ana: P1, Tom Baker: P2, Tom: P2}",
                                     "participants: [Ana Moreno, Ana, Tom Baker, Tom]")), clean_interviews,
         ("deid-key.yaml, field 'participants': expected a mapping of name → pseudonym",
          "found ['Ana Moreno', 'Ana', 'Tom Baker', 'Tom']")),
    # --- codebook, coder sheets, reconciliation, REFI-QDA (code) -------------------------
    Case("codebook-yaml-syntax", "a codebook entry with an unclosed brace",
         copy_of(SURVEY, replace("codebook.yaml", "grow., parent: why}", "grow., parent: why")), code_survey,
         ("codebook.yaml, row 6: expected valid YAML", "Fix: correct the YAML")),
    Case("codebook-duplicate-code", "two codes with the id 'growth'",
         copy_of(SURVEY, replace("codebook.yaml", "{code: company", "{code: growth")), code_survey,
         ("codebook.yaml, row 6, field 'code': expected a code id used once, found 'growth', already defined at line 5",)),
    Case("codebook-unknown-parent", "a code whose parent does not exist",
         copy_of(SURVEY, replace("codebook.yaml", "peers., parent: why", "peers., parent: whyy")), code_survey,
         ("codebook.yaml, row 6, field 'parent': expected the code of another entry, or null, found 'whyy'",
          "did you mean 'why'")),
    Case("codebook-cycle", "two codes that are each other's parent",
         copy_of(SURVEY, replace("codebook.yaml", "question., parent: null", "question., parent: growth")), code_survey,
         ("codebook.yaml, row 3, field 'parent': expected a tree (no code is its own ancestor)",)),
    Case("codebook-entry-not-a-mapping", "a codebook entry written as a bare word",
         copy_of(SURVEY, replace("codebook.yaml", "{code: company, label: Company, definition: Being with peers., parent: why}",
                                 "company")), code_survey,
         ("codebook.yaml, row 6, field 'codes': expected a mapping {code, label, definition, parent}, found 'company'",)),
    Case("sheet-unknown-code", "a coder sheet using a code not in the codebook",
         copy_of(SURVEY, replace("coding-sheet.csv", "why,growth,", "why,growht,")), code_survey,
         ("coding-sheet.csv, row 3, field 'code': expected a code defined in the codebook, found 'growht'",
          "did you mean 'growth'")),
    Case("sheet-missing-column", "a coder sheet without its excerpt column",
         copy_of(SURVEY, replace("coding-sheet.csv", ",excerpt,", ",quote,")), code_survey,
         ("coding-sheet.csv, row 1, field 'excerpt': expected column(s) 'excerpt'",)),
    Case("sheet-unknown-document", "a coding of a questionnaire that is not in the cleaned data",
         copy_of(SURVEY, replace("coding-sheet.csv", "4,why,company", "9,why,company")), code_survey,
         ("coding-sheet.csv, row 4, field 'number, question': expected a document of the cleaned data", "found '9, why'")),
    Case("sheet-excerpt-not-found", "an excerpt that does not occur in its document",
         copy_of(SURVEY, replace("coding-sheet.csv", "And to grow.", "And to shrink.")), code_survey,
         ("coding-sheet.csv, row 3, field 'excerpt': expected text that occurs in document '1/why'",
          "found 'And to shrink.'")),
    Case("sheet-excerpt-ambiguous", "an excerpt that occurs twice in its document, with nothing saying which",
         copy_of(SURVEY, replace("coding-sheet.csv", "And to grow.", "to")), code_survey,
         # 'I wanted to "give back", really.\nAnd to grow.': "to" at 9 and 37 (newline at 32, "And " 33-36), counted by hand
         ("coding-sheet.csv, row 3, field 'excerpt': expected text that occurs once in document '1/why'",
          "found 'to', which occurs 2 times (at [9, 11), [37, 39))")),
    Case("sheet-overlapping-offsets", "one coder marks two overlapping spans with the same code",
         copy_of(SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n"
                                                   "1,why,growth,,AB,0,20\n1,why,growth,,AB,10,30\n")), code_survey,
         ("coding-sheet.csv, row 3, field 'start, end': expected codings of 'growth' by AB that do not overlap",
          "found [10, 30), which overlaps [0, 20) of row 2")),
    Case("sheet-inverted-offsets", "a coding whose start is after its end",
         copy_of(SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n1,why,growth,,AB,30,10\n")),
         code_survey,
         ("coding-sheet.csv, row 2, field 'start, end': expected 0 <= start < end <=", "found start 30, end 10")),
    Case("sheet-offsets-past-end", "a coding that ends beyond the end of its document",
         copy_of(SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n4,why,company,,AB,0,999\n")),
         code_survey,
         ("coding-sheet.csv, row 2, field 'start, end': expected 0 <= start < end <=", "(the length of document '4/why')",
          "found start 0, end 999")),
    Case("sheet-offsets-not-numbers", "offsets that are not whole numbers",
         copy_of(SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n4,why,company,,AB,0,1O\n")),
         code_survey,
         ("coding-sheet.csv, row 2, field 'start, end': expected whole-number offsets", "found '0', '1O'")),
    Case("reconciliation-unknown-unit", "a reconciliation sheet naming a unit no coder marked",
         copy_of(INTERVIEWS, replace("reconciliation.csv", "U5,S3,drop", "U9,S3,drop")), code_interviews,
         ("reconciliation.csv, row 3, field 'unit': expected a unit of the coder sheets, found 'U9'",)),
    Case("reconciliation-bad-decision", "a reconciliation decision that is neither keep nor drop",
         copy_of(INTERVIEWS, replace("reconciliation.csv", "U5,S3,drop", "U5,S3,maybe")), code_interviews,
         ("reconciliation.csv, row 3, field 'decision': expected one of ['keep', 'drop'], found 'maybe'",)),
    Case("reconciliation-duplicate-row", "a reconciliation sheet deciding the same unit and code twice",
         copy_of(INTERVIEWS, replace("reconciliation.csv", "U5,S3,drop,about trust rather than tasks\n",
                                     "U5,S3,drop,about trust rather than tasks\nU5,S3,keep,on second thoughts\n")),
         code_interviews,
         ("reconciliation.csv, row 4, field 'unit, code': expected one row per unit and code",
          "found 'U5', 'S3' again (first in row 3)")),
    Case("stability-unknown-unit", "a re-coding sheet naming a unit of no coder sheet",
         copy_of(INTERVIEWS, replace("coder-c.csv", "U6,S3", "U7,S3")), code_interviews,
         ("coder-c.csv, row 6, field 'unit': expected a unit of the coder sheets, found 'U7'",)),
    Case("qdpx-not-zip", "a text file named project.qdpx",
         qda_folder(write("project.qdpx", "<Project/>")), code_from_qdpx("project.qdpx"),
         ("project.qdpx: expected a REFI-QDA project (.qdpx: a zip archive)", "not a readable zip archive")),
    Case("qdpx-xxe", "a REFI-QDA project declaring an external entity (file:///etc/passwd)",
         qda_folder(), code_from_qdpx("xxe.qdpx"),
         ("xxe.qdpx [project.qde], row 3: expected REFI-QDA XML without entity declarations", "XXE",
          "Fix: do not open this file")),
    Case("qdc-billion-laughs", "a REFI-QDA codebook with nested entity expansion",
         qda_folder(), code_from_qdpx("billion_laughs.qdc"),
         ("billion_laughs.qdc, row 3: expected REFI-QDA XML without entity declarations", "'lol'")),
    Case("qdpx-zip-slip", "a REFI-QDA archive with a member named ../../evil.sh",
         qda_folder(), code_from_qdpx("zip_slip.qdpx"),
         ("zip_slip.qdpx, field 'member names'", "'../../evil.sh'", "zip slip")),
    Case("qdpx-zip-bomb", "a 670-byte REFI-QDA archive that inflates to 300 MiB",
         qda_folder(), code_from_qdpx("zip_bomb.qdpx"),
         ("zip_bomb.qdpx, field 'sources/bomb.txt'", "inflate to 314572800 bytes", "zip bomb")),
    # --- memos (results-dyads) ----------------------------------------------------------
    Case("memo-bad-date-and-code", "a memo dated day/month/year and tagged with an unknown code",
         copy_of(INTERVIEWS, write("memos.csv", "memo,date,codes,title,text\nM01,15/02/2023,S1,Trust,t\n"
                                                "M02,2023-02-20,S9,Roles,t\n")), memos,
         ("memos.csv, row 2, field 'date': expected a date as YYYY-MM-DD, found '15/02/2023'",
          "memos.csv, row 3, field 'codes': expected codes defined in the codebook, found 'S9'")),
    # --- literature review (import-records, screen-records) ------------------------------
    Case("ris-malformed", "a RIS export whose record lost its closing ER line",
         copy_of(BIB), import_records("ris", "malformed.ris"),
         ("malformed.ris, row 7, field 'ER': expected 'ER  - ' closing the record that starts at line 7",
          "found a new record at line 12")),
    Case("medline-broken-line", "a MEDLINE export with a line that is neither a tag nor a continuation",
         copy_of(BIB, replace("mini.nbib", "PG  - 112-119", "PG: 112-119")), import_records("medline", "mini.nbib"),
         ("mini.nbib, row 8: expected a MEDLINE tag line", "found 'PG: 112-119'")),
    Case("search-log-wrong-type", "a search log whose number of results is not a number",
         copy_of(BIB, write("search-log.yaml", "searches:\n  - {database: PubMed, searched: 2010-09-06, "
                                               "query: peer, results: about forty}\n")),
         import_records("medline", "mini.nbib", search_log="search-log.yaml"),
         ("search-log.yaml, field 'searches[1].results': expected a whole number of records", "found 'about forty'")),
    Case("screening-unknown-record", "a screening decision for a record id that was never imported",
         copy_of(BIB, write("screening.csv", "record,stage,decision,reason\npubmed:1,title-abstract,exclude,\n"
                                             "pubmed:2,title-abstract,exclude,\npubmed:9,title-abstract,exclude,\n")),
         screen_records,
         ("screening.csv, row 4, field 'record': expected the id of a record read from the exports, found 'pubmed:9'",)),
    # --- study parameter file (python -m peerstudy report) --------------------------------
    Case("study-unknown-key", "a misspelt parameter in a study's YAML file",
         study_file("codebook:", "codebok:"), load_study,
         ("supporter-survey.yaml, field 'codebok': expected a parameter declared by one of its notebooks",),
         error=ConfigError),
    Case("study-wrong-type", "a parameter of the wrong type in a study's YAML file",
         study_file("text_fields: [motivation, fulfilment, issues]", "text_fields: motivation"), load_study,
         ("supporter-survey.yaml, field 'text_fields': expected a value of type list", "found 'motivation' (str)"),
         error=ConfigError),
    Case("study-yaml-syntax", "a study file with a tab-indented line",
         study_file("study: supporter-survey", "study: supporter-survey\n\tbad: indent"), load_study,
         ("supporter-survey.yaml, row", "expected valid YAML, found character '\\t' that cannot start any token",
          "Fix: correct the YAML syntax at that line")),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file (sha256) and folder below ``folder``: a write anywhere changes it."""
    folders = {p.relative_to(folder).as_posix(): "folder" for p in folder.rglob("*") if p.is_dir()}
    return {**folders, **tree_digest(folder)}


#: The situations the catalogue must hold (the list of the issue that asked for it).
REQUIRED = {
    "export-latin1", "export-utf16-bom", "export-utf16-no-bom", "export-empty", "export-header-only",
    "export-missing-column", "export-duplicate-column", "participants-duplicate-id", "export-age-out-of-range",
    "export-mixed-dates", "sheet-unknown-code", "sheet-overlapping-offsets", "sheet-inverted-offsets",
    "sheet-offsets-past-end", "sheet-excerpt-not-found", "transcript-png-as-txt", "transcript-docx-not-zip",
    "export-too-large", "codebook-yaml-syntax", "codebook-duplicate-code", "codebook-unknown-parent",
    "study-unknown-key", "study-wrong-type", "deid-key-malformed", "participants-ids-do-not-match",
    "reconciliation-unknown-unit", "ris-malformed", "qdpx-xxe", "qdc-billion-laughs", "qdpx-zip-slip", "qdpx-zip-bomb",
}


def test_catalogue_holds_every_required_case_once():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert REQUIRED <= set(ids), f"missing: {sorted(REQUIRED - set(ids))}"
    assert len(ids) >= 34


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    out = tmp_path / "output-root"
    out.mkdir()
    monkeypatch.setenv("PEERSTUDY_OUTPUT_ROOT", str(out))
    if case.max_input_bytes is not None:
        monkeypatch.setattr(readers, "MAX_INPUT_BYTES", case.max_input_bytes)
    work = tmp_path / "input"
    work.mkdir()
    built = case.build(work)
    before, fixtures_before = snapshot(tmp_path), tree_digest(FIXTURES)

    with pytest.raises(PeerstudyError) as info:
        case.call(built)

    assert type(info.value) is case.error, f"{case.about}: {type(info.value).__name__}: {info.value}"
    message = str(info.value)
    missing = [f for f in case.fragments if f not in message]
    assert not missing, f"{case.about}: the message lacks {missing}:\n{message}"
    if case.count is not None:
        assert len(info.value.problems) == case.count, message
    for problem in info.value.problems:
        assert problem.file, f"a problem without its file: {problem}"
        assert problem.fix and f"Fix: {problem.fix.rstrip('.')}" in message, f"a problem without a fix: {problem}"
    assert snapshot(tmp_path) == before, "the failed stage wrote or changed files"
    assert not any(out.iterdir())
    assert tree_digest(FIXTURES) == fixtures_before


# ----------------------------------------------------------------------------- positive controls
def test_utf8_export_with_a_byte_order_mark_is_accepted(tmp_path, monkeypatch):
    """Excel's "CSV UTF-8" starts with a BOM: read as if it were absent (the first header
    is 'No.', not '\\ufeffNo.')."""
    monkeypatch.setenv("PEERSTUDY_OUTPUT_ROOT", str(tmp_path / "out"))
    with_bom = copy_of(SURVEY)(tmp_path / "bom")
    without = copy_of(SURVEY)(tmp_path / "plain")
    data = (with_bom / "export.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    (without / "export.csv").write_bytes(data[3:])
    a = clean_export(with_bom / "export.csv", with_bom / "fields.yaml", text_fields=["why"], analyse_text_if="experienced")
    b = clean_export(without / "export.csv", without / "fields.yaml", text_fields=["why"], analyse_text_if="experienced")
    assert a.participants["number"].tolist() == [1, 3, 4]
    pd.testing.assert_frame_equal(a.participants, b.participants)
    pd.testing.assert_frame_equal(a.documents, b.documents)
    clean_survey(with_bom)
    assert (tmp_path / "out/data/processed/bad-study/participants.parquet").is_file()


FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)"]


def formula_export(folder: Path) -> Path:
    """The mini survey with the two analysed answers replaced by formula-like text."""
    folder = copy_of(SURVEY)(folder)
    replace("export.csv", "Café talk with peers — it helped me.", FORMULAS[0])(folder)
    replace("export.csv", '"I wanted to ""give back"", really.\r\nAnd to grow."', FORMULAS[1])(folder)
    return folder


def test_formula_like_answers_are_data_and_survive_cleaning(tmp_path):
    """A free-text answer starting with '=' or '@' is not an input error: cleaning keeps
    it exactly as typed (escaping is a matter of writing spreadsheets, not of reading)."""
    folder = formula_export(tmp_path)
    result = clean_export(folder / "export.csv", folder / "fields.yaml", text_fields=["why"],
                          analyse_text_if="experienced")
    assert dict(zip(result.documents["document"], result.documents["text"])) == {"1/why": FORMULAS[1],
                                                                                 "4/why": FORMULAS[0]}
    assert not result.log["before"].isin(FORMULAS).any(), "cleaning changed a formula-like answer"


def test_published_csv_tables_escape_formula_like_cells(tmp_path):
    """A CSV table opened in a spreadsheet must not run a cell as a formula: cells that
    start with '=', '+', '-', '@' are written with a leading single quote."""
    folder = formula_export(tmp_path / "in")
    documents = clean_export(folder / "export.csv", folder / "fields.yaml", text_fields=["why"],
                             analyse_text_if="experienced").documents
    StudyOutputs("formulas", root=tmp_path / "out").table("answers", documents[["document", "text"]])
    written = pd.read_csv(tmp_path / "out/reports/formulas/tables/answers.csv", dtype=str, keep_default_na=False)
    assert dict(zip(written["document"], written["text"])) == {"1/why": "'" + FORMULAS[1], "4/why": "'" + FORMULAS[0]}


# ----------------------------------------------------------------------------- issue 17: screening (screening engineer)
# A review of one's own (tests/fixtures/mini-review/) run end to end: a screening export whose
# identifiers and titles match no record, and an extraction sheet missing a declared column, each
# stop the run with one message naming the file, and nothing is written for the study.
@pytest.mark.parametrize("file, old, new, message", [
    ("full-text.csv", "Ana,10.5555/mini.2020.001,,,include,,", "Ana,10.5555/nowhere.404,,A paper nobody exported,include,,",
     r"full-text\.csv, row 2, field 'doi, pmid, title': expected a record read from the exports \(matched by DOI, then "
     r"PMID, then title\), found doi '10\.5555/nowhere\.404', title 'A paper nobody exported'"),
    ("extraction.csv", "doi,title,study_type,setting,participants,fidelity_reported",
     "doi,title,study_type,setting,n,fidelity_reported",
     r"extraction\.csv, row 1, field 'participants': expected column\(s\) 'participants'"),
])
def test_review_screening_bad_input_stops_the_run(tmp_path, file, old, new, message):
    import shutil

    from peerstudy import pipeline
    from test_review_pipeline import write_study

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "mini-review", data)
    path = data / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    out = tmp_path / "out"
    with pytest.raises(pipeline.StageFailed, match=message) as info:
        pipeline.run_study(write_study(tmp_path, data), output_root=out, log=lambda line: None)
    text = str(info.value)
    assert text.count("expected") == 1 and "Traceback" not in text
    assert "Nothing was written for mini-review" in text
    assert not (out / "data/processed/mini-review").exists() and not (out / "reports/mini-review").exists()
# ----------------------------------------------------------------------------- export formats (issue 17, bibfmt)
# Exports whose format is recognised from the content: each bad one is refused with one
# message, through the same stage as above (read the exports, write the records).
def import_export(file: str, fmt: str | None = None) -> Callable[[Path], None]:
    """notebooks/import-records.ipynb with one export, its format declared or recognised."""
    def run(folder: Path) -> None:
        report = StudyOutputs("bad-study")
        export = {"file": str(folder / file), "database": "Embase", **({"format": fmt} if fmt else {})}
        report.processed(records=read_exports([export]))
    return run


WOS_TAB = "PT\tAU\tTI\tSO\tPY\tDI\tUT\t\nJ\tLee, S\tA fictional record\tFICT J\t2024\t10.5555/x\tWOS:1\t\n"
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       "<xml><records><record><titles><title>&xxe;</title></titles></record></records></xml>\n")

EXPORT_FORMAT_CASES = [
    Case("ris-binary", "a PNG image saved with the name of a RIS export",
         copy_of(BIB, write("search.ris", PNG)), import_export("search.ris"),
         ("search.ris: expected a bibliographic export, found binary content (a PNG image), not text",
          "Fix: export the file as text")),
    Case("bibtex-unclosed-brace", "a BibTeX entry whose title brace is never closed",
         copy_of(BIB, write("refs.bib", "@article{ok,\n  title = {Fine},\n  year = {2001}\n}\n\n"
                                        "@article{bad,\n  title = {Unclosed {brace},\n  year = {2002}\n}\n")),
         import_export("refs.bib"),
         ("refs.bib, row 6: expected a BibTeX entry with balanced braces and quotes, found an entry that cannot be read",
          "Fix: close the brace or quote that is left open"), count=1),
    Case("endnote-xml-xxe", "EndNote XML declaring an external entity that would read a local file",
         copy_of(BIB, write("library.xml", XXE)), import_export("library.xml"),
         ("library.xml: expected EndNote XML without a document type declaration (DTD) or entities",
          "found an external entity 'xxe' (SYSTEM 'file:///etc/passwd')")),
    Case("wos-tab-declared-as-ris", "a Web of Science tab-delimited export declared as RIS",
         copy_of(BIB, write("savedrecs.txt", WOS_TAB)), import_export("savedrecs.txt", "ris"),
         ("savedrecs.txt, field 'format': expected a RIS export (the format declared), "
          "found a Web of Science tab-delimited export", "Fix: declare format: wos-tab for this export")),
]


@pytest.mark.parametrize("case", EXPORT_FORMAT_CASES, ids=lambda c: c.id)
def test_bad_export_format_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 15: transcript formats
# (transcripts: .vtt/.srt/.odt readers; the format is recognised from the content)
BROKEN_CUES = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nInterviewer: How did it start?\n\n"
               "2\n00:00:05,120 --> 00:00:07.000\nAna Moreno: Slowly.\n")
TRANSCRIPT_FORMAT_CASES = [
    Case("transcript-vtt-broken-cue-times", "a .vtt whose second cue has a comma in its start time (SubRip style)",
         copy_of(INTERVIEWS, write("transcripts/I03.vtt", BROKEN_CUES)), clean_interviews,
         ("I03.vtt, row 8, field 'cue 2': expected cue times 'hh:mm:ss.mmm --> hh:mm:ss.mmm'",
          "found '00:00:05,120 --> 00:00:07.000'", "Fix: correct the times of cue 2"), count=1),
    Case("transcript-webvtt-as-txt", "a Zoom WebVTT transcript saved with the name I03.txt",
         copy_of(INTERVIEWS, copy_file(FIXTURES / "transcripts/zoom.vtt", "transcripts/I03.txt")), clean_interviews,
         ("I03.txt: expected plain text (the file's name ends in .txt), found WebVTT captions",
          "this is WebVTT, not plain text", "Fix: rename the file to end in .vtt"), count=1),
    Case("transcript-odt-not-zip", "a plain-text transcript renamed to .odt",
         copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I02.txt", "transcripts/I03.odt")),
         clean_interviews,
         ("I03.odt: expected an OpenDocument text (.odt), found plain text, not a zip archive",
          "Fix: re-save the transcript from the word processor as .odt, or rename it to end in .txt"), count=1),
]


@pytest.mark.parametrize("case", TRANSCRIPT_FORMAT_CASES, ids=lambda c: c.id)
def test_bad_transcript_format_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 18: coding, interview and dyad results
# (qualcoding: participant characteristics from the declared fields; a dyad study's declared kinds of source)
def interview_characteristics(fields: str, characteristics: list[str]) -> Callable[[Path], None]:
    """notebooks/results-interviews.ipynb: the characteristics parameter checked against the fields file."""
    from peerstudy.tables import declared_characteristics

    def run(folder: Path) -> None:
        declared_characteristics(folder / fields, characteristics)
    return run


def dyad_declarations(source_kinds: dict[str, str]) -> Callable[[Path], None]:
    """notebooks/results-dyads.ipynb: the declared sources and their kinds, checked before any table."""
    from peerstudy.comparisons import check_dyad_parameters

    def run(folder: Path) -> None:
        documents = pd.DataFrame({"document": ["K1-S1-CALL", "K1-S2-PSW", "K1-S2-PIR"],
                                  "source": ["call", "PSW interview", "PIR interview"]})
        check_dyad_parameters(documents, read_codebook(folder / "codebook.yaml"), source_kinds=source_kinds,
                              sources=list(source_kinds), shared_sources=["PSW interview", "PIR interview"],
                              dimensions_of=["connection"], depth=0, file="own-dyads.yaml")
    return run


QUALCODING_CASES = [
    Case("characteristic-not-declared", "results-interviews describes a participant field the fields file does not declare",
         copy_of("own-interviews"), interview_characteristics("fields.yaml", ["gender", "service_years"]),
         ("fields.yaml, field 'characteristics': expected fields declared in the study's fields file",
          "found 'service_years'", "Fix: declare 'service_years' under 'fields:'"), error=ConfigError, count=1),
    Case("dyad-unknown-source-kind", "a dyad study declares a source of a kind the notebooks do not know",
         copy_of("own-dyads"),
         dyad_declarations({"call": "video", "PSW interview": "interview", "PIR interview": "interview"}),
         ("own-dyads.yaml, field 'source_kinds': expected one of 'observation notes', 'recorded session', 'interview'",
          "found 'video' (for source 'call')"), error=ConfigError, count=1),
]


@pytest.mark.parametrize("case", QUALCODING_CASES, ids=lambda c: c.id)
def test_bad_results_declaration_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)
