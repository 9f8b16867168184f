"""A catalogue of bad inputs: every way a raw file can be wrong, and what the user is told.

Each entry of :data:`CASES` builds one small bad input in a temporary folder (starting
from the committed fixtures in ``tests/fixtures/``, never editing them), runs it through
a notebook stage (``clean-survey``, ``clean-transcripts``, ``code``, ``results-dyads``,
``import-records``, ``screen-records``: the notebook's own cells, run in this process by
:func:`helpers.run_stage`, so that no test keeps a copy of a notebook's calls), or loads a
study's parameter file, and checks three things:

1. the run stops with one of the project's own errors (a
   :class:`~peerstudy.errors.PeerstudyError`), never with a bare ``KeyError``,
   ``UnicodeDecodeError`` or ``ValueError``;
2. the message names the file (and the row and field where it can), says what was
   expected and what was found (the case's ``fragments``), and every problem in it
   carries a fix;
3. nothing was written: the folder holding the input and the output root
   (``PEERSTUDY_OUTPUT_ROOT``, where the stage's :class:`~peerstudy.report.outputs.StudyOutputs`
   would write) are byte for byte as before the call, and the committed fixtures too;
   except, where the notebook reads the bad input only after cells that write, exactly the
   files those cells write (the case's ``written_first``: the pipeline runs a study in a
   staging folder and keeps none of a failed run, see :mod:`peerstudy.pipeline.run`).

A stage that reads what an earlier stage wrote (``code`` reads the documents) finds it in
the output root before the case runs: its ``upstream`` ran the earlier notebooks once on
the good fixture.

The cases are one table so that a reader sees at a glance which situations are covered.
Some of them are also tested, in more depth, beside the module they exercise
(``test_readers.py``, ``test_clean.py``, ``test_coding.py``, ``test_refi.py``, ...).
After the table come the positive controls: a UTF-8 export with a byte order mark is
accepted, and answers that look like spreadsheet formulas are data, not errors.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from helpers import FIXTURES, fixture_study_writers, notebook_parameters, run_stage, tree_digest
from peerstudy import config, pipeline
from peerstudy.cleaning.clean import clean_export
from peerstudy.config import PROJECT_ROOT
from peerstudy.errors import ConfigError, InputError, OutputError, PeerstudyError
from peerstudy.io import readers
from peerstudy.io.rawdata import accept_raw
from peerstudy.pipeline import commit
from peerstudy.pipeline import run as pipeline_run
from peerstudy.report.outputs import StudyOutputs

SURVEY, INTERVIEWS, BIB, QDPX = "mini-survey", "mini-interviews", "bib", "qdpx"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


# ----------------------------------------------------------------------------- stages
# Each runs the cells of one notebook stage itself (helpers.run_stage: the notebook as it is
# on disk, its parameters injected as papermill injects them), with the parameters a study
# file would give, writing under the output root (PEERSTUDY_OUTPUT_ROOT) as the pipeline's
# run does. A stage that reads an earlier stage's tables (code reads the documents) finds
# them there: its ``upstream`` runs the earlier notebook on the good fixture and puts what
# it wrote in place before the case is built into a snapshot.
@dataclass(frozen=True)
class Stage:
    """A notebook stage as a case calls it: ``run(folder)``, after ``upstream(output_root)``
    has put in place the tables the stages before it write."""

    run: Callable[[Path], None]
    upstream: Callable[[Path], None] | None = None

    def __call__(self, folder: Path) -> None:
        self.run(folder)


#: Where the good fixtures' upstream tables are written once per test process.
_UPSTREAM = tempfile.TemporaryDirectory(prefix="bad-inputs-upstream-")


def run_notebook(notebook: str, study: str = "bad-study", **parameters: Any) -> None:
    """``notebooks/<notebook>.ipynb`` for ``study``, writing under the output root."""
    run_stage(notebook, {"study": study, **parameters}, config.output_root())


def clean_survey(folder: Path) -> None:
    """notebooks/clean-survey.ipynb on ``folder`` (export.csv, fields.yaml)."""
    run_notebook(
        "clean-survey",
        survey_export=str(folder / "export.csv"),
        survey_fields=str(folder / "fields.yaml"),
        text_fields=["why"],
        analyse_text_if="experienced",
    )


def clean_interviews(
    folder: Path, *, transcripts: tuple[str | dict, ...] = ("transcripts",), **parameters: Any
) -> None:
    """notebooks/clean-transcripts.ipynb on ``folder`` (participants.csv, fields.yaml,
    transcripts/, deid-key.yaml); ``transcripts`` are folders in ``folder`` (or entries as a
    study file gives them)."""
    run_notebook(
        "clean-transcripts",
        **{
            "participants_sheet": str(folder / "participants.csv"),
            "participants_fields": str(folder / "fields.yaml"),
            "transcripts": [t if isinstance(t, dict) else str(folder / t) for t in transcripts],
            "deid_key": str(folder / "deid-key.yaml"),
            **parameters,
        },
    )


def cleaned(clean: Callable[[Path], None], fixture: str) -> Callable[[Path], None]:
    """An upstream: the tables ``clean`` (a clean stage) writes from the good ``fixture``,
    copied into ``data/processed/bad-study/`` of an output root (the stage runs once)."""

    @cache
    def tables() -> Path:
        root = Path(_UPSTREAM.name) / f"{fixture}-{clean.__name__}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(config.OUTPUT_ROOT_ENV, str(root))
            clean(FIXTURES / fixture)
        return root / "data/processed/bad-study"

    def put(output_root: Path) -> None:
        shutil.copytree(tables(), output_root / "data/processed/bad-study", dirs_exist_ok=True)

    return put


def code(folder: Path, **parameters: Any) -> None:
    """notebooks/code.ipynb: codebook, coder sheets or REFI-QDA project, consensus, re-coding
    (``coding_sheets``, ``reconciliation``, ``stability_sheets`` and ``qdpx`` name files in ``folder``)."""
    paths = {"reconciliation": str, "qdpx": str, "coding_sheets": list, "stability_sheets": list}
    for name, kind in paths.items():
        if parameters.get(name):
            value = parameters[name]
            parameters[name] = [str(folder / v) for v in value] if kind is list else str(folder / value)
    run_notebook("code", **{"codebook": str(folder / "codebook.yaml"), **parameters})


def _code_survey(folder: Path) -> None:
    code(folder, coding_sheets=["coding-sheet.csv"], document_key=["number", "question"], root_code_from="question")


#: The code stage as the survey study runs it (one coder, codes under the question).
code_survey = Stage(_code_survey, cleaned(clean_survey, SURVEY))


def _code_interviews(folder: Path, *, qdpx: str = "") -> None:
    code(
        folder,
        coding_sheets=["coder-a.csv", "coder-b.csv"],
        document_key=["transcript"],
        root_code_from="",
        unit_column="unit",
        reconciliation="reconciliation.csv",
        stability_sheets=["coder-c.csv"],
        qdpx=qdpx,
    )


#: The code stage as the interview study runs it (two coders, units, reconciliation, a
#: third coder's re-coding).
code_interviews = Stage(_code_interviews, cleaned(clean_interviews, INTERVIEWS))


def code_from_qdpx(name: str) -> Stage:
    """The interview study's code stage taking its codings from the REFI-QDA file ``name``."""
    return Stage(lambda folder: _code_interviews(folder, qdpx=name), code_interviews.upstream)


def import_records(fmt: str | None, file: str, *, search_log: str = "", database: str = "PubMed") -> Stage:
    """notebooks/import-records.ipynb with one export (its format declared, or recognised
    when ``fmt`` is None) and a search log."""

    def run(folder: Path) -> None:
        export = {"file": str(folder / file), "database": database, **({"format": fmt} if fmt else {})}
        run_notebook("import-records", exports=[export], search_log=str(folder / search_log) if search_log else "")

    return Stage(run)


def put_records(output_root: Path) -> None:
    """An upstream: two screened PubMed records, as import-records writes them (records.parquet)."""
    records = pd.DataFrame(
        {
            "record": ["pubmed:1", "pubmed:2"],
            "database": ["PubMed", "PubMed"],
            "source": ["PubMed", "PubMed"],
            "source_file": ["search.nbib", "search.nbib"],
            "line": [1, 12],
            "year": [2004, 2009],
            "month": pd.array([None, None], dtype="Int64"),
            "title": ["Peer support in a day centre", "Mutual help groups and recovery"],
            "first_author": ["Okafor", "Lindqvist"],
            "journal": ["J Invented Stud", "J Invented Stud"],
            "doi": [None, None],
            "pmid": ["1", "2"],
            "language": ["eng", "eng"],
            "duplicate_of": [None, None],
            "ineligible": [None, None],
            "ineligible_detail": [None, None],
            "date_used": [None, None],
            "status": ["screened", "screened"],
        }
    )
    StudyOutputs("bad-study", root=output_root).processed(records=records)


def _screen_records(folder: Path) -> None:
    run_notebook(
        "screen-records",
        screening_sheet=str(folder / "screening.csv"),
        exclusion_reasons=["not peer support", "full text not retrieved"],
        not_retrieved_reason="full text not retrieved",
    )


#: notebooks/screen-records.ipynb: screening decisions against the imported records.
screen_records = Stage(_screen_records, put_records)


def load_study(folder: Path) -> None:
    """``python -m peerstudy report`` reading a study's parameter file (notebooks are not run)."""
    pipeline.load_study(folder / "supporter-survey.yaml")


def study_notebook(notebook: str, params: dict[str, Any]) -> None:
    """``notebook`` with the parameters of the study file ``params`` that it declares (as the
    pipeline passes them), for the study ``params`` names, writing under the output root."""
    import nbformat

    declared = notebook_parameters(nbformat.read(config.NOTEBOOKS_DIR / f"{notebook}.ipynb", as_version=4))
    run_stage(notebook, {k: v for k, v in params.items() if k in declared}, config.output_root())


@cache
def own_study_file(fixture: str) -> tuple[Path, dict[str, Any]]:
    """The raw folder (a copy of the good fixture, accepted) and the parameters of the study
    file ``tests/test_own_studies.py`` writes for ``fixture``, made once per test process."""
    import yaml
    from test_own_studies import dyad_study, interview_study, survey_study

    write = {"own-interviews": interview_study, "own-dyads": dyad_study, "own-survey": survey_study}[fixture]
    work = Path(_UPSTREAM.name) / f"study-{fixture}"
    shutil.copytree(FIXTURES / fixture, work / "data")
    return work / "data", yaml.safe_load(write(work, work / "data").read_text(encoding="utf-8"))


def own_study_parameters(fixture: str, folder: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """The study file's parameters of ``fixture`` with its raw files in ``folder``, and
    ``changes`` (a callable value gets ``folder``)."""
    import yaml

    data, params = own_study_file(fixture)
    moved = yaml.safe_load(yaml.safe_dump(params).replace(str(data), str(folder)))
    return moved | {k: v(folder) if callable(v) else v for k, v in changes.items()}


@cache
def _own_study_upstream(fixture: str, notebook: str) -> Path:
    """The processed tables of the notebooks before ``notebook`` in the study's list, run
    once on the good fixture; returns their folder."""
    data, params = own_study_file(fixture)
    root = Path(_UPSTREAM.name) / f"run-{fixture}-{notebook}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.OUTPUT_ROOT_ENV, str(root))
        for earlier in params["notebooks"][: params["notebooks"].index(notebook)]:
            study_notebook(earlier, params)
    return root / "data/processed" / params["study"]


def own_study_stage(fixture: str, notebook: str, **changes: Any) -> Stage:
    """``notebook`` as the study of one's own ``fixture`` runs it (its parameter file as
    tests/test_own_studies.py writes it, with ``changes``), on the case's copy of the fixture,
    after the notebooks before it ran on the good fixture."""

    def run(folder: Path) -> None:
        study_notebook(notebook, own_study_parameters(fixture, folder, changes))

    def upstream(output_root: Path) -> None:
        tables = _own_study_upstream(fixture, notebook)
        if tables.is_dir():
            shutil.copytree(tables, output_root / "data/processed" / tables.name)

    return Stage(run, upstream)


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
        with (
            zipfile.ZipFile(FIXTURES / INTERVIEWS / "transcripts/FG1.docx") as source,
            zipfile.ZipFile(folder / target, "w") as copy,
        ):
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
    about: str  # one line: what is wrong with the input
    build: Callable[[Path], Any]  # writes the bad input under the given folder, returns it
    call: Callable[[Any], Any]  # the stage that reads it
    fragments: tuple[str, ...]  # parts of the message: file, row/field, expected, found
    error: type[PeerstudyError] = InputError
    count: int | None = None  # how many problems the message lists, where that matters
    max_input_bytes: int | None = None  # peerstudy.io.readers.MAX_INPUT_BYTES for the case
    max_table_cells: int | None = None  # peerstudy.io.readers.MAX_TABLE_CELLS for the case
    #: the files (below the output root) the notebook writes in the cells before the one that
    #: reads the bad input, read off the notebook; nothing else may be written
    written_first: tuple[str, ...] = ()


def report_tables(*names: str, study: str = "bad-study") -> tuple[str, ...]:
    """The files StudyOutputs.table writes for the tables ``names``."""
    return tuple(f"reports/{study}/tables/{name}.{ext}" for name in names for ext in ("csv", "md", "tex"))


def report_figures(*names: str, study: str = "bad-study") -> tuple[str, ...]:
    """The files StudyOutputs.figure writes for the figures ``names``."""
    return tuple(f"reports/{study}/figures/{name}.{ext}" for name in names for ext in ("png", "svg"))


def processed_tables(*names: str, study: str = "bad-study") -> tuple[str, ...]:
    """The files StudyOutputs.processed writes for the tables ``names``."""
    return tuple(f"data/processed/{study}/{name}.parquet" for name in names)


CASES = [
    # --- survey export (clean-survey) -------------------------------------------------
    Case(
        "export-latin1",
        "survey export saved as Latin-1, not UTF-8 (the bad byte is in spreadsheet row 7)",
        copy_of(SURVEY, reencode("export.csv", "latin-1")),
        clean_survey,
        (
            "export.csv, row 7: expected text encoded as UTF-8, found byte b'\\xe9', which is not valid UTF-8",
            "Fix: re-save the file as UTF-8",
            "Windows-1252 or Latin-1",
        ),
    ),
    Case(
        "export-utf16-bom",
        "survey export saved as UTF-16 with a byte order mark (Excel 'Unicode text')",
        copy_of(SURVEY, reencode("export.csv", "utf-16")),
        clean_survey,
        (
            "export.csv",
            "expected text encoded as UTF-8",
            "found text encoded as UTF-16",
            "Fix: re-save the file as UTF-8",
        ),
    ),
    Case(
        "export-utf16-no-bom",
        "survey export saved as UTF-16 without a byte order mark",
        copy_of(SURVEY, reencode("export.csv", "utf-16-le")),
        clean_survey,
        (
            "export.csv",
            "expected text encoded as UTF-8",
            "found text encoded as UTF-16-LE",
            "Fix: re-save the file as UTF-8",
        ),
    ),
    Case(
        "export-spss",
        "the survey's SPSS data file (.sav: '$FL2' and a binary dictionary) named as the CSV export",
        copy_of(SURVEY, write("export.csv", b"$FL2@(#) IBM SPSS STATISTICS 64-bit Linux 29.0.0.0\x02\x00\x00\x00")),
        clean_survey,
        (
            "export.csv: expected a CSV file, found an SPSS data file (.sav), not text",
            "Fix: export the data as CSV from the survey tool",
        ),
    ),
    Case(
        "export-empty",
        "survey export of zero bytes",
        copy_of(SURVEY, write("export.csv", b"")),
        clean_survey,
        ("export.csv: expected a CSV file, found an empty file", "Fix: re-export the file"),
    ),
    Case(
        "export-header-only",
        "survey export with its two header rows and no answers",
        copy_of(SURVEY, keep_lines("export.csv", 2)),
        clean_survey,
        ("export.csv: expected at least one data row, found only the header",),
    ),
    Case(
        "export-missing-column",
        "a declared column ('Gender') absent from the export",
        copy_of(SURVEY, replace("export.csv", "Gender", "Sex")),
        clean_survey,
        ("export.csv, row 1, field 'Gender': expected column(s) 'Gender'", "'Sex'"),
    ),
    Case(
        "export-duplicate-column",
        "two columns headed 'Age'",
        copy_of(SURVEY, replace("export.csv", "start?\r\n", "start?,Age\r\n")),
        clean_survey,
        ("export.csv, row 1, field 'Age': expected unique column names, found 'Age' in columns 3 and 7",),
    ),
    Case(
        "export-extra-cells",
        "an unquoted comma in a free-text answer shifts the row",
        copy_of(SURVEY, replace("export.csv", "Café talk with peers", "Café talk, with peers")),
        clean_survey,
        ("export.csv, row 7: expected at most 6 cells, found 7 cells", "quote the cell"),
    ),
    Case(
        "export-unknown-spelling",
        "a category spelled in a way the fields file does not list",
        copy_of(SURVEY, replace("export.csv", "60,F,", "60,Femme,")),
        clean_survey,
        (
            "export.csv, row 7, field 'Gender': expected one of the declared spellings",
            "found 'Femme'",
            "declare the spelling in",
        ),
    ),
    Case(
        "export-age-out-of-range",
        "ages of 250 and -3 (the fields file allows 18 to 99)",
        copy_of(SURVEY, replace("export.csv", " 30 years", "250 years"), replace("export.csv", ",60,", ",-3,")),
        clean_survey,
        (
            "2 problems found",
            "export.csv, row 3, field 'Age': expected a number from 18 to 99, found 250. Fix:",
            "export.csv, row 7, field 'Age': expected a number from 18 to 99, found -3. Fix:",
            "or the declared limits in",
        ),
        count=2,
    ),
    Case(
        "export-mixed-dates",
        "entry dates in three formats in one column (only one declared)",
        copy_of(
            SURVEY,
            replace("export.csv", "2020/01/02 10:05", "02.01.2020 10:05"),
            replace("export.csv", "2020/01/02 10:09", "2020-01-02 10:09"),
        ),
        clean_survey,
        (
            "export.csv, row 5, field 'Entered': expected a date and time as %Y/%m/%d %H:%M, found '02.01.2020 10:05'",
            "export.csv, row 7, field 'Entered'",
            "found '2020-01-02 10:09'",
            "Fix: correct the cell, or add its format to the field's 'format' list",
        ),
    ),
    Case(
        "export-duplicate-id",
        "questionnaire 3 entered twice with different answers",
        copy_of(SURVEY, replace("export.csv", "11:00,４５,m", "11:00,４５,f")),
        clean_survey,
        ("export.csv, row 6, field 'No.': expected one submission per No., found 3 again", "differ from row 5"),
        count=1,
    ),
    Case(
        "export-too-large",
        "an export larger than the input limit (lowered to 1,000 bytes for the test)",
        copy_of(SURVEY, replace("export.csv", "it helped me.", "it helped me." + " Really." * 300)),
        clean_survey,
        (
            "export.csv: expected a CSV file of at most 1,000 bytes (peerstudy.io.readers.MAX_INPUT_BYTES), found ",
            "Fix: split the file into smaller ones; or, if it really is this large, raise peerstudy.io.readers.MAX_INPUT_BYTES",
        ),
        max_input_bytes=1000,
    ),
    Case(
        "participants-missing-answer",
        "a participant whose required sex is left empty",
        copy_of(INTERVIEWS, replace("participants.csv", "P2,Tom Baker,male", "P2,Tom Baker,")),
        clean_interviews,
        (
            "participants.csv, row 3, field 'sex': expected an answer (the field is required), found no answer",
            "Fix: fill in the answer",
        ),
    ),
    Case(
        "fields-limit-not-a-number",
        "a fields file whose minimum age is written in words",
        copy_of(SURVEY, replace("fields.yaml", "min: 18", "min: eighteen")),
        clean_survey,
        ("fields.yaml, field 'fields.age.min': expected a whole number, found 'eighteen'",),
        error=ConfigError,
    ),
    Case(
        "fields-unknown-type",
        "a fields file declaring a type the cleaner does not know",
        copy_of(SURVEY, replace("fields.yaml", "type: integer", "type: numeric")),
        clean_survey,
        ("fields.yaml, field 'fields.age.type': expected one of id, integer", "found 'numeric'"),
        error=ConfigError,
    ),
    # --- participants sheet, transcripts, key (clean-transcripts) ------------------------
    Case(
        "participants-duplicate-id",
        "participant P1 listed twice with different attributes",
        copy_of(INTERVIEWS, replace("participants.csv", "P2,Tom Baker", "P1,Tom Baker")),
        clean_interviews,
        ("participants.csv, row 3, field 'id': expected one submission per id, found P1 again",),
        count=1,
    ),
    Case(
        "participants-age-out-of-range",
        "a participant aged 250 (the fields file allows 18 to 80)",
        copy_of(INTERVIEWS, replace("participants.csv", "male,45,", "male,250,")),
        clean_interviews,
        ("participants.csv, row 3, field 'age': expected a number from 18 to 80, found 250",),
    ),
    Case(
        "participants-ids-do-not-match",
        "the transcripts' speaker P2 is P3 in the participants sheet",
        copy_of(INTERVIEWS, replace("participants.csv", "P2,", "P3,")),
        clean_interviews,
        (
            "I02.txt, row 7, field 'speaker': expected a participant of the participants sheet",
            "found a speaker the key maps to 'P2' (in 2 turns, the first here)",
            "FG1.docx, row 7, field 'speaker'",
            "Fix: add 'P2' to the participants sheet, or correct this speaker's pseudonym in",
        ),
        count=2,
    ),
    Case(
        "transcript-png-as-txt",
        "a PNG image saved as a .txt transcript",
        copy_of(INTERVIEWS, write("transcripts/I03.txt", PNG)),
        clean_interviews,
        (
            "I03.txt: expected a transcript (UTF-8 text), found binary content (a PNG image)",
            "Fix: export the file as text",
        ),
    ),
    Case(
        "transcript-docx-as-txt",
        "a Word document renamed to .txt",
        copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/FG1.docx", "transcripts/I03.txt")),
        clean_interviews,
        ("I03.txt: expected a transcript (UTF-8 text), found binary content (a zip archive",),
    ),
    Case(
        "transcript-docx-not-zip",
        "a text file renamed to .docx",
        copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I02.txt", "transcripts/I03.docx")),
        clean_interviews,
        ("I03.docx: expected a Word document (.docx), found a file Word cannot open", "Fix: re-save the transcript"),
    ),
    Case(
        "transcript-docx-damaged",
        "a .docx whose document.xml is cut off",
        copy_of(INTERVIEWS, damaged_docx("transcripts/I03.docx")),
        clean_interviews,
        ("I03.docx: expected a Word document (.docx), found a file Word cannot open",),
    ),
    Case(
        "transcript-latin1",
        "a transcript saved as Latin-1",
        copy_of(
            INTERVIEWS,
            replace("transcripts/I02.txt", "the family.", "the famille \xe9lue."),
            reencode("transcripts/I02.txt", "latin-1"),
        ),
        clean_interviews,
        ("I02.txt, row 8: expected text encoded as UTF-8", "found byte b'\\xe9'"),
    ),
    Case(
        "transcript-too-large",
        "a .docx transcript larger than the input limit (lowered to 2,000 bytes)",
        copy_of(INTERVIEWS),
        clean_interviews,
        (
            "FG1.docx: expected a transcript (.docx) of at most 2,000 bytes (peerstudy.io.readers.MAX_INPUT_BYTES)",
            "raise peerstudy.io.readers.MAX_INPUT_BYTES before running the stage",
        ),
        max_input_bytes=2000,
    ),
    Case(
        "transcript-unknown-speaker",
        "a turn by a speaker the header does not list",
        copy_of(INTERVIEWS, replace("transcripts/I01.txt", "[00:01:02] Ana Moreno:", "[00:01:02] Ana M.:")),
        clean_interviews,
        (
            # the notebook de-identifies every message with the study's key (a copy of its calls
            # that did not showed the names): "Ana" is P1 in the fixture's deid-key.yaml
            "I01.txt, row 8, field 'speaker': expected a speaker from the header (Interviewer; P1), found 'P1 M.'",
        ),
    ),
    Case(
        "transcript-bad-header",
        "a transcript whose date is not YYYY-MM-DD and whose turns go back in time",
        copy_of(
            INTERVIEWS,
            replace("transcripts/I01.txt", "Date: 2021-03-01", "Date: 1 March 2021"),
            replace("transcripts/I01.txt", "[00:01:02]", "[00:00:01]"),
        ),
        clean_interviews,
        (
            "I01.txt, row 2, field 'Date': expected a date as YYYY-MM-DD, found '1 March 2021'",
            "I01.txt, row 8, field 'time': expected times that never go back",
        ),
    ),
    Case(
        "transcript-id-twice",
        "the same transcript id in two of the study's folders",
        copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I01.txt", "more/I01.txt")),
        lambda folder: clean_interviews(folder, transcripts=("transcripts", "more")),
        (
            "I01.txt",
            "field 'Transcript': expected unique transcript ids, found 'I01' in 2 files",
        ),
    ),
    Case(
        "deid-key-malformed",
        "a key file listing participants without their pseudonyms",
        copy_of(
            INTERVIEWS,
            replace(
                "deid-key.yaml",
                "participants: {Ana Moreno: P1, Ana: P1, Tom Baker: P2, Tom: P2}",
                "participants: [Ana Moreno, Ana, Tom Baker, Tom]",
            ),
        ),
        clean_interviews,
        (
            "deid-key.yaml, field 'participants': expected a mapping of name → pseudonym",
            "found a list of 4 entries (not shown: they name people)",
        ),
    ),
    # --- codebook, coder sheets, reconciliation, REFI-QDA (code) -------------------------
    Case(
        "codebook-yaml-syntax",
        "a codebook entry with an unclosed brace",
        copy_of(SURVEY, replace("codebook.yaml", "grow., parent: why}", "grow., parent: why")),
        code_survey,
        ("codebook.yaml, row 6: expected valid YAML", "Fix: correct the YAML"),
    ),
    Case(
        "codebook-duplicate-code",
        "two codes with the id 'growth'",
        copy_of(SURVEY, replace("codebook.yaml", "{code: company", "{code: growth")),
        code_survey,
        (
            "codebook.yaml, row 6, field 'code': expected a code id used once, found 'growth', already defined at line 5",
        ),
    ),
    Case(
        "codebook-unknown-parent",
        "a code whose parent does not exist",
        copy_of(SURVEY, replace("codebook.yaml", "peers., parent: why", "peers., parent: whyy")),
        code_survey,
        (
            "codebook.yaml, row 6, field 'parent': expected the code of another entry, or null, found 'whyy'",
            "did you mean 'why'",
        ),
    ),
    Case(
        "codebook-cycle",
        "two codes that are each other's parent",
        copy_of(SURVEY, replace("codebook.yaml", "question., parent: null", "question., parent: growth")),
        code_survey,
        ("codebook.yaml, row 3, field 'parent': expected a tree (no code is its own ancestor)",),
    ),
    Case(
        "codebook-entry-not-a-mapping",
        "a codebook entry written as a bare word",
        copy_of(
            SURVEY,
            replace(
                "codebook.yaml",
                "{code: company, label: Company, definition: Being with peers., parent: why}",
                "company",
            ),
        ),
        code_survey,
        ("codebook.yaml, row 6, field 'codes': expected a mapping {code, label, definition, parent}, found 'company'",),
    ),
    Case(
        "sheet-unknown-code",
        "a coder sheet using a code not in the codebook",
        copy_of(SURVEY, replace("coding-sheet.csv", "why,growth,", "why,growht,")),
        code_survey,
        (
            "coding-sheet.csv, row 3, field 'code': expected a code defined in the codebook, found 'growht'",
            "did you mean 'growth'",
        ),
    ),
    Case(
        "sheet-missing-column",
        "a coder sheet without its excerpt column",
        copy_of(SURVEY, replace("coding-sheet.csv", ",excerpt,", ",quote,")),
        code_survey,
        ("coding-sheet.csv, row 1, field 'excerpt': expected column(s) 'excerpt'",),
    ),
    Case(
        "sheet-unknown-document",
        "a coding of a questionnaire that is not in the cleaned data",
        copy_of(SURVEY, replace("coding-sheet.csv", "4,why,company", "9,why,company")),
        code_survey,
        (
            "coding-sheet.csv, row 4, field 'number, question': expected a document of the cleaned data",
            "found '9, why'",
        ),
    ),
    Case(
        "sheet-excerpt-not-found",
        "an excerpt that does not occur in its document",
        copy_of(SURVEY, replace("coding-sheet.csv", "And to grow.", "And to shrink.")),
        code_survey,
        (
            "coding-sheet.csv, row 3, field 'excerpt': expected text that occurs in document '1/why'",
            "found 'And to shrink.'",
        ),
    ),
    Case(
        "sheet-excerpt-ambiguous",
        "an excerpt that occurs twice in its document, with nothing saying which",
        copy_of(SURVEY, replace("coding-sheet.csv", "And to grow.", "to")),
        code_survey,
        # 'I wanted to "give back", really.\nAnd to grow.': "to" at 9 and 37 (newline at 32, "And " 33-36), counted by hand
        (
            "coding-sheet.csv, row 3, field 'excerpt': expected text that occurs once in document '1/why'",
            "found 'to', which occurs 2 times (at [9, 11), [37, 39))",
        ),
    ),
    Case(
        "sheet-overlapping-offsets",
        "one coder marks two overlapping spans with the same code",
        copy_of(
            SURVEY,
            write(
                "coding-sheet.csv",
                "number,question,code,excerpt,coder,start,end\n1,why,growth,,AB,0,20\n1,why,growth,,AB,10,30\n",
            ),
        ),
        code_survey,
        (
            "coding-sheet.csv, row 3, field 'start, end': expected codings of 'growth' by AB that do not overlap",
            "found [10, 30), which overlaps [0, 20) of row 2",
        ),
    ),
    Case(
        "sheet-inverted-offsets",
        "a coding whose start is after its end",
        copy_of(
            SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n1,why,growth,,AB,30,10\n")
        ),
        code_survey,
        ("coding-sheet.csv, row 2, field 'start, end': expected 0 <= start < end <=", "found start 30, end 10"),
    ),
    Case(
        "sheet-offsets-past-end",
        "a coding that ends beyond the end of its document",
        copy_of(
            SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n4,why,company,,AB,0,999\n")
        ),
        code_survey,
        (
            "coding-sheet.csv, row 2, field 'start, end': expected 0 <= start < end <=",
            "(the length of document '4/why')",
            "found start 0, end 999",
        ),
    ),
    Case(
        "sheet-offsets-not-numbers",
        "offsets that are not whole numbers",
        copy_of(
            SURVEY, write("coding-sheet.csv", "number,question,code,excerpt,coder,start,end\n4,why,company,,AB,0,1O\n")
        ),
        code_survey,
        ("coding-sheet.csv, row 2, field 'start, end': expected whole-number offsets", "found '0', '1O'"),
    ),
    Case(
        "reconciliation-unknown-unit",
        "a reconciliation sheet naming a unit no coder marked",
        copy_of(INTERVIEWS, replace("reconciliation.csv", "U5,S3,drop", "U9,S3,drop")),
        code_interviews,
        ("reconciliation.csv, row 3, field 'unit': expected a unit of the coder sheets, found 'U9'",),
        written_first=report_tables("agreement"),  # by code.ipynb's cells before
    ),
    Case(
        "reconciliation-bad-decision",
        "a reconciliation decision that is neither keep nor drop",
        copy_of(INTERVIEWS, replace("reconciliation.csv", "U5,S3,drop", "U5,S3,maybe")),
        code_interviews,
        ("reconciliation.csv, row 3, field 'decision': expected one of ['keep', 'drop'], found 'maybe'",),
        written_first=report_tables("agreement"),  # by code.ipynb's cells before
    ),
    Case(
        "reconciliation-duplicate-row",
        "a reconciliation sheet deciding the same unit and code twice",
        copy_of(
            INTERVIEWS,
            replace(
                "reconciliation.csv",
                "U5,S3,drop,about trust rather than tasks\n",
                "U5,S3,drop,about trust rather than tasks\nU5,S3,keep,on second thoughts\n",
            ),
        ),
        code_interviews,
        (
            "reconciliation.csv, row 4, field 'unit, code': expected one row per unit and code",
            "found 'U5', 'S3' again (first in row 3)",
        ),
        written_first=report_tables("agreement"),  # by code.ipynb's cells before
    ),
    Case(
        "stability-unknown-unit",
        "a re-coding sheet naming a unit of no coder sheet",
        copy_of(INTERVIEWS, replace("coder-c.csv", "U6,S3", "U7,S3")),
        code_interviews,
        ("coder-c.csv, row 6, field 'unit': expected a unit of the coder sheets, found 'U7'",),
        written_first=report_tables("agreement", "disagreements"),  # by code.ipynb's cells before
    ),
    Case(
        "qdpx-not-zip",
        "a text file named project.qdpx",
        qda_folder(write("project.qdpx", "<Project/>")),
        code_from_qdpx("project.qdpx"),
        ("project.qdpx: expected a REFI-QDA project (.qdpx: a zip archive)", "not a readable zip archive"),
    ),
    Case(
        "qdpx-xxe",
        "a REFI-QDA project declaring an external entity (file:///etc/passwd)",
        qda_folder(),
        code_from_qdpx("xxe.qdpx"),
        (
            "xxe.qdpx [project.qde], row 3: expected REFI-QDA XML without entity declarations",
            "XXE",
            "Fix: do not open this file",
        ),
    ),
    Case(
        "qdc-billion-laughs",
        "a REFI-QDA codebook with nested entity expansion",
        qda_folder(),
        code_from_qdpx("billion_laughs.qdc"),
        ("billion_laughs.qdc, row 3: expected REFI-QDA XML without entity declarations", "'lol'"),
    ),
    Case(
        "qdpx-zip-slip",
        "a REFI-QDA archive with a member named ../../evil.sh",
        qda_folder(),
        code_from_qdpx("zip_slip.qdpx"),
        ("zip_slip.qdpx, field 'member names'", "'../../evil.sh'", "zip slip"),
    ),
    Case(
        "qdpx-zip-bomb",
        "a 670-byte REFI-QDA archive that inflates to 300 MiB",
        qda_folder(),
        code_from_qdpx("zip_bomb.qdpx"),
        ("zip_bomb.qdpx, field 'sources/bomb.txt'", "inflate to 314572800 bytes", "zip bomb"),
    ),
    # --- memos (results-dyads) ----------------------------------------------------------
    Case(
        "memo-bad-date-and-code",
        "a memo dated day/month/year and tagged with an unknown code",
        copy_of(
            "own-dyads",
            write(
                "memos.csv",
                "memo,date,codes,title,text\nM01,15/02/2023,humour,Trust,t\nM02,2023-02-20,S9,Roles,t\n",
            ),
        ),
        own_study_stage("own-dyads", "results-dyads", memos=lambda folder: str(folder / "memos.csv")),
        (
            "memos.csv, row 2, field 'date': expected a date as YYYY-MM-DD, found '15/02/2023'",
            "memos.csv, row 3, field 'codes': expected codes defined in the codebook, found 'S9'",
        ),
        # what results-dyads.ipynb writes in the cells before the memos: the notes, then the
        # tables and figures of the study's dimension (connection) and two codebook levels
        written_first=(
            "reports/own-dyads/notes.md",
            *report_figures("emergence", "roles", study="own-dyads"),
            *report_tables(
                "characteristics",
                "emergence",
                "counts-by-session-and-role-level-0",
                "counts-by-session-and-role-level-1",
                "roles",
                "shared-views",
                "connection-dimensions",
                study="own-dyads",
            ),
        ),
    ),
    # --- literature review (import-records, screen-records) ------------------------------
    Case(
        "ris-malformed",
        "a RIS export whose record lost its closing ER line",
        copy_of(BIB),
        import_records("ris", "malformed.ris"),
        (
            "malformed.ris, row 7, field 'ER': expected 'ER  - ' closing the record that starts at line 7",
            "found a new record at line 12",
        ),
    ),
    Case(
        "medline-broken-line",
        "a MEDLINE export with a line that is neither a tag nor a continuation",
        copy_of(BIB, replace("mini.nbib", "PG  - 112-119", "PG: 112-119")),
        import_records("medline", "mini.nbib"),
        ("mini.nbib, row 8: expected a MEDLINE tag line", "found 'PG: 112-119'"),
    ),
    Case(
        "search-log-wrong-type",
        "a search log whose number of results is not a number",
        copy_of(
            BIB,
            write(
                "search-log.yaml",
                "searches:\n  - {database: PubMed, searched: 2010-09-06, query: peer, results: about forty}\n",
            ),
        ),
        import_records("medline", "mini.nbib", search_log="search-log.yaml"),
        ("search-log.yaml, field 'searches[1].results': expected a whole number of records", "found 'about forty'"),
    ),
    Case(
        "screening-unknown-record",
        "a screening decision for a record id that was never imported",
        copy_of(
            BIB,
            write(
                "screening.csv",
                "record,stage,decision,reason\npubmed:1,title-abstract,exclude,\n"
                "pubmed:2,title-abstract,exclude,\npubmed:9,title-abstract,exclude,\n",
            ),
        ),
        screen_records,
        ("screening.csv, row 4, field 'record': expected the id of a record read from the exports, found 'pubmed:9'",),
    ),
    # --- study parameter file (python -m peerstudy report) --------------------------------
    Case(
        "study-unknown-key",
        "a misspelt parameter in a study's YAML file",
        study_file("codebook:", "codebok:"),
        load_study,
        ("supporter-survey.yaml, field 'codebok': expected a parameter declared by one of its notebooks",),
        error=ConfigError,
    ),
    Case(
        "study-wrong-type",
        "a parameter of the wrong type in a study's YAML file",
        study_file("text_fields: [motivation, fulfilment, issues]", "text_fields: motivation"),
        load_study,
        ("supporter-survey.yaml, field 'text_fields': expected a value of type list", "found 'motivation' (str)"),
        error=ConfigError,
    ),
    Case(
        "study-yaml-syntax",
        "a study file with a tab-indented line",
        study_file("study: supporter-survey", "study: supporter-survey\n\tbad: indent"),
        load_study,
        (
            "supporter-survey.yaml, row",
            "expected valid YAML, found character '\\t' that cannot start any token",
            "Fix: correct the YAML syntax at that line",
        ),
    ),
]


def assert_wrote_only(before: dict[str, str], after: dict[str, str], written: tuple[str, ...]) -> None:
    """Between two snapshots of a case's folder, the failed stage changed no file or folder
    and wrote nothing new but the files ``written`` below the output root (and their folders)."""
    expected = {f"output-root/{file}" for file in written}
    expected |= {parent.as_posix() for file in expected for parent in Path(file).parents if parent.name}
    assert set(after) - set(before) == expected - set(before), (
        f"the failed stage wrote {sorted(set(after) - set(before))}"
    )
    assert {k: v for k, v in after.items() if k in before} == before, "the failed stage changed or removed files"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file (sha256) and folder below ``folder``: a write anywhere changes it."""
    folders = {p.relative_to(folder).as_posix(): "folder" for p in folder.rglob("*") if p.is_dir()}
    return {**folders, **tree_digest(folder)}


#: The situations the catalogue must hold (the list of the issue that asked for it).
REQUIRED = {
    "export-latin1",
    "export-utf16-bom",
    "export-utf16-no-bom",
    "export-empty",
    "export-header-only",
    "export-missing-column",
    "export-duplicate-column",
    "participants-duplicate-id",
    "export-age-out-of-range",
    "export-mixed-dates",
    "sheet-unknown-code",
    "sheet-overlapping-offsets",
    "sheet-inverted-offsets",
    "sheet-offsets-past-end",
    "sheet-excerpt-not-found",
    "transcript-png-as-txt",
    "transcript-docx-not-zip",
    "export-too-large",
    "codebook-yaml-syntax",
    "codebook-duplicate-code",
    "codebook-unknown-parent",
    "study-unknown-key",
    "study-wrong-type",
    "deid-key-malformed",
    "participants-ids-do-not-match",
    "reconciliation-unknown-unit",
    "ris-malformed",
    "qdpx-xxe",
    "qdc-billion-laughs",
    "qdpx-zip-slip",
    "qdpx-zip-bomb",
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
    if case.max_table_cells is not None:
        monkeypatch.setattr(readers, "MAX_TABLE_CELLS", case.max_table_cells)
    work = tmp_path / "input"
    work.mkdir()
    built = case.build(work)
    if isinstance(case.call, Stage) and case.call.upstream is not None:
        case.call.upstream(out)
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
    assert_wrote_only(before, snapshot(tmp_path), case.written_first)
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
    a = clean_export(
        with_bom / "export.csv", with_bom / "fields.yaml", text_fields=["why"], analyse_text_if="experienced"
    )
    b = clean_export(
        without / "export.csv", without / "fields.yaml", text_fields=["why"], analyse_text_if="experienced"
    )
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
    result = clean_export(
        folder / "export.csv", folder / "fields.yaml", text_fields=["why"], analyse_text_if="experienced"
    )
    assert dict(zip(result.documents["document"], result.documents["text"], strict=False)) == {
        "1/why": FORMULAS[1],
        "4/why": FORMULAS[0],
    }
    assert not result.log["before"].isin(FORMULAS).any(), "cleaning changed a formula-like answer"


def test_published_csv_tables_escape_formula_like_cells(tmp_path):
    """A CSV table opened in a spreadsheet must not run a cell as a formula: cells that
    start with '=', '+', '-', '@' are written with a leading single quote."""
    folder = formula_export(tmp_path / "in")
    documents = clean_export(
        folder / "export.csv", folder / "fields.yaml", text_fields=["why"], analyse_text_if="experienced"
    ).documents
    StudyOutputs("formulas", root=tmp_path / "out").table("answers", documents[["document", "text"]])
    written = pd.read_csv(tmp_path / "out/reports/formulas/tables/answers.csv", dtype=str, keep_default_na=False)
    assert dict(zip(written["document"], written["text"], strict=False)) == {
        "1/why": "'" + FORMULAS[1],
        "4/why": "'" + FORMULAS[0],
    }


# ----------------------------------------------------------------------------- issue 17: screening (screening engineer)
# A review of one's own (tests/fixtures/mini-review/) run end to end: a screening export whose
# identifiers and titles match no record, and an extraction sheet missing a declared column, each
# stop the run with one message naming the file, and nothing is written for the study.
@pytest.mark.slow  # a study run through the pipeline (papermill), to the failing stage
@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "full-text.csv",
            "Ana,10.5555/mini.2020.001,,,include,,",
            "Ana,10.5555/nowhere.404,,A paper nobody exported,include,,",
            r"full-text\.csv, row 2, field 'doi, pmid, title': expected a record read from the exports \(matched by DOI, then "
            r"PMID, then title\), found doi '10\.5555/nowhere\.404', title 'A paper nobody exported'",
        ),
        (
            "extraction.csv",
            "doi,title,study_type,setting,participants,fidelity_reported",
            "doi,title,study_type,setting,n,fidelity_reported",
            r"extraction\.csv, row 1, field 'participants': expected column\(s\) 'participants'",
        ),
    ],
)
def test_review_screening_bad_input_stops_the_run(tmp_path, file, old, new, message):
    import shutil

    from test_review_pipeline import write_study

    from peerstudy import pipeline

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
def import_export(file: str, fmt: str | None = None) -> Stage:
    """notebooks/import-records.ipynb with one export, its format declared or recognised."""
    return import_records(fmt, file, database="Embase")


WOS_TAB = "PT\tAU\tTI\tSO\tPY\tDI\tUT\t\nJ\tLee, S\tA fictional record\tFICT J\t2024\t10.5555/x\tWOS:1\t\n"
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<xml><records><record><titles><title>&xxe;</title></titles></record></records></xml>\n"
)

EXPORT_FORMAT_CASES = [
    Case(
        "ris-binary",
        "a PNG image saved with the name of a RIS export",
        copy_of(BIB, write("search.ris", PNG)),
        import_export("search.ris"),
        (
            "search.ris: expected a bibliographic export, found binary content (a PNG image), not text",
            "Fix: export the file as text",
        ),
    ),
    Case(
        "bibtex-unclosed-brace",
        "a BibTeX entry whose title brace is never closed",
        copy_of(
            BIB,
            write(
                "refs.bib",
                "@article{ok,\n  title = {Fine},\n  year = {2001}\n}\n\n"
                "@article{bad,\n  title = {Unclosed {brace},\n  year = {2002}\n}\n",
            ),
        ),
        import_export("refs.bib"),
        (
            "refs.bib, row 6: expected a BibTeX entry with balanced braces and quotes, found an entry that cannot be read",
            "Fix: close the brace or quote that is left open",
        ),
        count=1,
    ),
    Case(
        "endnote-xml-xxe",
        "EndNote XML declaring an external entity that would read a local file",
        copy_of(BIB, write("library.xml", XXE)),
        import_export("library.xml"),
        (
            "library.xml: expected EndNote XML without a document type declaration (DTD) or entities",
            "found an external entity 'xxe' (SYSTEM 'file:///etc/passwd')",
        ),
    ),
    Case(
        "wos-tab-declared-as-ris",
        "a Web of Science tab-delimited export declared as RIS",
        copy_of(BIB, write("savedrecs.txt", WOS_TAB)),
        import_export("savedrecs.txt", "ris"),
        (
            "savedrecs.txt, field 'format': expected a RIS export (the format declared), "
            "found a Web of Science tab-delimited export",
            "Fix: declare format: wos-tab for this export",
        ),
    ),
]


@pytest.mark.parametrize("case", EXPORT_FORMAT_CASES, ids=lambda c: c.id)
def test_bad_export_format_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 15: transcript formats
# (transcripts: .vtt/.srt/.odt readers; the format is recognised from the content)
BROKEN_CUES = (
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nInterviewer: How did it start?\n\n"
    "2\n00:00:05,120 --> 00:00:07.000\nAna Moreno: Slowly.\n"
)
TRANSCRIPT_FORMAT_CASES = [
    Case(
        "transcript-vtt-broken-cue-times",
        "a .vtt whose second cue has a comma in its start time (SubRip style)",
        copy_of(INTERVIEWS, write("transcripts/I03.vtt", BROKEN_CUES)),
        clean_interviews,
        (
            "I03.vtt, row 8, field 'cue 2': expected cue times 'hh:mm:ss.mmm --> hh:mm:ss.mmm'",
            "found '00:00:05,120 --> 00:00:07.000'",
            "Fix: correct the times of cue 2",
        ),
        count=1,
    ),
    Case(
        "transcript-webvtt-as-txt",
        "a Zoom WebVTT transcript saved with the name I03.txt",
        copy_of(INTERVIEWS, copy_file(FIXTURES / "transcripts/zoom.vtt", "transcripts/I03.txt")),
        clean_interviews,
        (
            "I03.txt: expected plain text (the file's name ends in .txt), found WebVTT captions",
            "this is WebVTT, not plain text",
            "Fix: rename the file to end in .vtt",
        ),
        count=1,
    ),
    Case(
        "transcript-odt-not-zip",
        "a plain-text transcript renamed to .odt",
        copy_of(INTERVIEWS, copy_file(FIXTURES / INTERVIEWS / "transcripts/I02.txt", "transcripts/I03.odt")),
        clean_interviews,
        (
            "I03.odt: expected an OpenDocument text (.odt), found plain text, not a zip archive",
            "Fix: re-save the transcript from the word processor as .odt, or rename it to end in .txt",
        ),
        count=1,
    ),
]


@pytest.mark.parametrize("case", TRANSCRIPT_FORMAT_CASES, ids=lambda c: c.id)
def test_bad_transcript_format_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ============================================================================= issue 13 (safety)
# Study names, input paths, bounded readers, misleading messages and commit faults
# (engineer "safety"). Each bomb must be refused within seconds: the limits are the
# defaults of peerstudy.io.readers and peerstudy.io.yamlfiles, not lowered for the test.


#: A "billion laughs" YAML block: nine levels of nine aliases, 9**9 (387,420,489) strings
#: when expanded (Wikipedia, "Billion laughs attack", the YAML variant).
LOL = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)
)


def reseparate(file: str, delimiter: str) -> Change:
    """Write ``file`` again with another delimiter (as Excel does in some locales)."""

    def change(folder: Path) -> None:
        text = (folder / file).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        (folder / file).write_text(out.getvalue(), encoding="utf-8", newline="")

    return change


def double_line_ends(file: str) -> Change:
    """CRLF converted to CRLF once more: every line ends in CR CR LF."""

    def change(folder: Path) -> None:
        data = (folder / file).read_bytes()
        assert b"\r\n" in data
        (folder / file).write_bytes(data.replace(b"\r\n", b"\r\r\n"))

    return change


def append(file: str, data: bytes) -> Change:
    def change(folder: Path) -> None:
        (folder / file).write_bytes((folder / file).read_bytes() + data)

    return change


def study_file_named(file_name: str) -> Callable[[Path], Path]:
    """A build step: the survey study's parameter file saved as ``file_name``."""

    def build(work: Path) -> Path:
        text = (PROJECT_ROOT / "studies/supporter-survey.yaml").read_text(encoding="utf-8")
        (work / file_name).write_text(text, encoding="utf-8")
        return work / file_name

    return build


def study_file_naming_outside(via_link: bool) -> Callable[[Path], Path]:
    """A build step: the survey's parameter file (kept outside the project) whose codebook
    lies outside both the project and the parameter file's folder, named directly or
    through a symbolic link in that folder."""

    def build(work: Path) -> Path:
        outside = work.parent / "outside"
        outside.mkdir()
        shutil.copy(PROJECT_ROOT / "data/raw/supporter-survey/codebook.yaml", outside / "codebook.yaml")
        named = outside / "codebook.yaml"
        if via_link:
            (work / "codebook.yaml").symlink_to(named)
            named = work / "codebook.yaml"
        return study_file("codebook: data/raw/supporter-survey/codebook.yaml", f"codebook: {named}")(work)

    return build


def raw_with_link(work: Path) -> Path:
    """A raw folder with a sub-folder that is a symbolic link to a folder elsewhere."""
    raw = copy_of(SURVEY)(work)
    elsewhere = work.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "extra-sheet.csv").write_text("number,question,code,excerpt,coder\n")
    (raw / "more").symlink_to(elsewhere, target_is_directory=True)
    return raw


UTF16_TRANSCRIPT = (
    "Transcript: I03 (individual interview)\nDate: 2021-03-04\nDuration: 30 min\n"
    "Participants: Interviewer; Tom Baker\n\n[00:00:02] Interviewer: 가족과 함께 가요?\n"
    "[00:00:15] Tom Baker: 네, 가끔 가요. 가게에도 가요.\n"
)

SAFETY_CASES = [
    # --- study names and input paths -------------------------------------------------
    Case(
        "study-name-dot",
        "a parameter file studies/..yaml (study name '.')",
        study_file_named("..yaml"),
        pipeline.load_study,
        (
            "..yaml, field 'study': expected a study name of lowercase letters, digits and hyphens",
            "found '.'",
            "Fix: rename the parameter file",
        ),
        error=ConfigError,
    ),
    Case(
        "study-name-dotdot",
        "a parameter file ...yaml (study name '..')",
        study_file_named("...yaml"),
        pipeline.load_study,
        ("...yaml, field 'study': expected a study name of lowercase letters", "found '..'"),
        error=ConfigError,
    ),
    Case(
        "study-input-outside",
        "a study naming a codebook outside the project and outside its own folder",
        study_file_naming_outside(via_link=False),
        load_study,
        (
            "supporter-survey.yaml, field 'codebook': expected a path inside the project root or ",
            "(links resolved)",
            "outside/codebook.yaml",
            "Fix: copy the file into the study's raw folder",
        ),
        error=ConfigError,
    ),
    Case(
        "study-input-link-outside",
        "a study naming a symbolic link that leads outside the project",
        study_file_naming_outside(via_link=True),
        load_study,
        ("supporter-survey.yaml, field 'codebook': expected a path inside", "which leads to ", "outside/codebook.yaml"),
        error=ConfigError,
    ),
    Case(
        "study-raw-is-the-project",
        "a study whose raw folder is the whole project (raw: .)",
        study_file("raw: data/raw/supporter-survey", "raw: ."),
        load_study,
        (
            "supporter-survey.yaml, field 'raw': expected a folder holding only the study's raw data",
            "which holds the project's code or outputs too",
            "Fix: give the study a raw folder of its own",
        ),
        error=ConfigError,
    ),
    Case(
        "study-key-twice",
        "a study file giving the key 'codebook' twice (YAML keeps the last, silently)",
        study_file("title:", "codebook: data/raw/supporter-survey/codebook.yaml\ntitle:"),
        load_study,
        (
            "supporter-survey.yaml, row ",
            "field 'codebook': expected each key once in its mapping",
            "found 'codebook' again (first at line ",
        ),
    ),
    Case(
        "raw-symlinked-folder",
        "accept-raw on a raw folder whose sub-folder is a symbolic link",
        raw_with_link,
        accept_raw,
        (
            "mini-survey/more: expected a file or folder of the raw data itself, found a symbolic link (to ",
            "Fix: replace it by a copy of what it points to",
        ),
    ),
    # --- YAML bombs and duplicates -----------------------------------------------------
    Case(
        "study-billion-laughs",
        "a study file with a 'billion laughs' alias bomb",
        study_file("study: supporter-survey", "study: supporter-survey\n" + LOL),
        load_study,
        (
            "supporter-survey.yaml, row 19: expected YAML whose aliases (*name) add at most 10,000 values",
            "(an alias bomb, 'billion laughs')",
        ),
    ),
    Case(
        "fields-billion-laughs",
        "a fields file with a 'billion laughs' alias bomb",
        copy_of(SURVEY, replace("fields.yaml", "header_rows: 2\n", "header_rows: 2\n" + LOL)),
        clean_survey,
        ("fields.yaml, row ", "expected YAML whose aliases (*name) add at most 10,000 values", "billion laughs"),
    ),
    Case(
        "codebook-billion-laughs",
        "a codebook with a 'billion laughs' alias bomb",
        copy_of(SURVEY, replace("codebook.yaml", "codes:\n", LOL + "codes:\n")),
        code_survey,
        ("codebook.yaml, row ", "expected YAML whose aliases (*name) add at most 10,000 values"),
    ),
    Case(
        "codebook-deep-yaml",
        "a codebook nested 5,000 levels deep",
        copy_of(SURVEY, write("codebook.yaml", "codes: " + "[" * 5000 + "]" * 5000 + "\n")),
        code_survey,
        ("codebook.yaml, row 1: expected YAML nested at most 50 levels deep", "Fix: flatten the structure"),
    ),
    Case(
        "codebook-deep-tree",
        "a codebook whose parents chain 300 codes deep",
        copy_of(
            SURVEY,
            write(
                "codebook.yaml",
                "codes:\n"
                + "".join(
                    f"  - {{code: c{i}, label: C{i}, definition: d, parent: {f'c{i - 1}' if i else 'null'}}}\n"
                    for i in range(300)
                ),
            ),
        ),
        code_survey,
        ("codebook.yaml, row ", "field 'parent': expected a tree at most 50 levels deep"),
    ),
    Case(
        "fields-key-twice",
        "a fields file declaring the field 'age' twice",
        copy_of(SURVEY, replace("fields.yaml", "  sex:\n", "  age: {column: Age, type: integer}\n  sex:\n")),
        clean_survey,
        (
            "fields.yaml, row 8, field 'age': expected each key once in its mapping",
            "found 'age' again (first at line 7)",
        ),
    ),
    Case(
        "deid-key-twice",
        "a de-identification key listing 'places' twice",
        copy_of(INTERVIEWS, append("deid-key.yaml", b"places: [Elsewhere]\n")),
        clean_interviews,
        ("deid-key.yaml, row ", "field 'places': expected each key once in its mapping"),
    ),
    # --- tabular exports -----------------------------------------------------------------
    Case(
        "export-semicolons",
        "a survey export separated by semicolons (Excel in a comma-decimal locale)",
        copy_of(SURVEY, reseparate("export.csv", ";")),
        clean_survey,
        (
            "export.csv, row 1: expected values separated by commas (CSV), found values separated by semicolons",
            "Fix: re-export the file as comma-separated CSV",
        ),
    ),
    Case(
        "export-tabs",
        "a survey export separated by tabs",
        copy_of(SURVEY, reseparate("export.csv", "\t")),
        clean_survey,
        (
            "export.csv, row 1: expected values separated by commas (CSV), found values separated by tabs",
            "tab-separated export",
        ),
    ),
    Case(
        "export-cr-cr-lf",
        "a survey export whose lines end in CR CR LF",
        copy_of(SURVEY, double_line_ends("export.csv")),
        clean_survey,
        (
            "export.csv, row 1: expected lines that end in CR LF or LF, found lines that end in CR CR LF",
            "Fix: undo the second conversion",
        ),
    ),
    Case(
        "export-nul-late",
        "a NUL byte after the first 4 KiB of a survey export",
        copy_of(SURVEY, replace("export.csv", "it helped me.", "it helped me." + " Really." * 600 + "\x00")),
        clean_survey,
        (
            "export.csv, row 7: expected a CSV file without NUL (zero) bytes, found a NUL byte at byte ",
            "Fix: the file is damaged",
        ),
    ),
    Case(
        "transcript-utf16-no-bom-cjk",
        "a Korean transcript saved as UTF-16 without a byte order mark",
        copy_of(INTERVIEWS, write("transcripts/I03.txt", UTF16_TRANSCRIPT.encode("utf-16-le"))),
        clean_interviews,
        (
            "I03.txt: expected text encoded as UTF-8, found text encoded as UTF-16-LE (without a byte order mark)",
            "Fix: re-save the file as UTF-8",
        ),
    ),
    Case(
        "export-too-many-cells",
        # the limit lowered, as for the size limit above: the same refusal, read in a fraction
        # of a second rather than 1.7 million rows
        "a survey export of over 100,000 cells (empty rows), the limit set to 100,000",
        copy_of(SURVEY, append("export.csv", b",,,,,\r\n" * 17_000)),
        clean_survey,
        (
            "export.csv, row ",
            "expected a table of at most 100,000 cells (peerstudy.io.readers.MAX_TABLE_CELLS)",
            "Fix: split the export",
        ),
        max_table_cells=100_000,
    ),
]


def test_safety_cases_are_distinct_from_the_catalogue():
    ids = [c.id for c in CASES + SAFETY_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", SAFETY_CASES, ids=lambda c: c.id)
def test_safety_bad_input_gives_one_clear_message(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 13: faults while writing outputs
# The notebooks are replaced by a stand-in that writes one file into each output folder,
# tagged with the run, so that a test sees which run each folder came from in seconds.
SURVEY_STUDY = "supporter-survey"


@pytest.fixture()
def quick_runs(monkeypatch):
    """``run(out, tag)`` runs the survey study with stand-in notebooks; ``held(out)`` says
    which run's outputs each folder holds."""
    import nbformat

    state = {"tag": ""}

    def execute(source, target, parameters, kernel):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(state["tag"])]), target)
        root = Path(os.environ["PEERSTUDY_OUTPUT_ROOT"])
        for rel in (f"data/processed/{SURVEY_STUDY}", f"reports/{SURVEY_STUDY}"):
            (root / rel).mkdir(parents=True, exist_ok=True)
            (root / rel / "tag.txt").write_text(state["tag"])

    monkeypatch.setattr(pipeline_run, "_execute", execute)

    def run(out: Path, tag: str):
        state["tag"] = tag
        return pipeline.run_study(SURVEY_STUDY, output_root=out, log=lambda line: None)

    def held(out: Path) -> dict[str, str | None]:
        return {
            rel: (out / rel / "tag.txt").read_text() if (out / rel).exists() else None
            for rel in (f"data/processed/{SURVEY_STUDY}", f"reports/{SURVEY_STUDY}")
        }

    return run, held


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` may not be changed while the block runs: chmod for a normal user, the
    immutable attribute for root (whom permissions do not stop); skipped where neither works."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root, and this file system cannot make a folder immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_commit_into_a_read_only_reports_folder_changes_nothing_and_the_next_run_completes(tmp_path, quick_runs):
    run, held = quick_runs
    out = tmp_path / "out"
    run(out, "A")
    before = snapshot(out)
    with read_only(out / "reports"):
        with pytest.raises(OutputError) as info:
            run(out, "B")
        assert snapshot(out) == before, "a failed commit changed the outputs"
    message = str(info.value)
    assert message.startswith(f"{out}/reports")
    assert "field '--output-root': expected an output root that can take the outputs" in message
    assert f"nothing was changed for {SURVEY_STUDY}: its previous outputs are in place" in message
    assert "Fix: make the output root writable" in message
    assert not (out / f".staging/{SURVEY_STUDY}/commit.json").exists(), "no record left pointing anywhere"
    assert held(out) == dict.fromkeys(held(out), "A")
    run(out, "C")
    assert held(out) == dict.fromkeys(held(out), "C")
    assert sorted(p.name for p in (out / f".staging/{SURVEY_STUDY}").iterdir()) == ["lock"]


@pytest.mark.parametrize("where", ["record", "second-folder"])
def test_a_full_disk_during_the_commit_changes_nothing_and_the_next_run_completes(
    tmp_path, quick_runs, monkeypatch, where
):
    """ENOSPC (simulated) while the commit is recorded, or while the second of the two
    folders is put in place (the first one already moved): one message, the previous
    outputs whole, and the next run succeeds."""
    run, held = quick_runs
    out = tmp_path / "out"
    run(out, "A")
    before = snapshot(out)
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out / f"reports/{SURVEY_STUDY}"))
    put = commit.put_in_place

    def write_json(path, obj):
        raise full

    def put_in_place(run_folder, root, rel, identity):
        if rel.startswith("reports/"):
            raise full
        return put(run_folder, root, rel, identity)

    with monkeypatch.context() as fault:
        if where == "record":
            fault.setattr(commit, "write_json", write_json)
        else:
            fault.setattr(commit, "put_in_place", put_in_place)
        with pytest.raises(OutputError) as info:
            run(out, "B")
    assert str(info.value).startswith(
        f"{out}/reports/{SURVEY_STUDY}, field '--output-root': expected an output root that can take the outputs ("
    )
    assert f"found no space left on the device; nothing was changed for {SURVEY_STUDY}" in str(info.value)
    assert "Fix: free some space" in str(info.value)
    assert snapshot(out) == before
    run(out, "C")
    assert held(out) == dict.fromkeys(held(out), "C")


def test_a_commit_record_pointing_at_no_run_folder_is_discarded_by_the_next_run(tmp_path, quick_runs):
    run, held = quick_runs
    out = tmp_path / "out"
    run(out, "A")
    (out / f".staging/{SURVEY_STUDY}/commit.json").write_text('{"run": "run-gone", "folders": {}}')
    run(out, "B")
    assert held(out) == dict.fromkeys(held(out), "B")
    assert not (out / f".staging/{SURVEY_STUDY}/commit.json").exists()


def _command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "peerstudy", *args], capture_output=True, text=True, cwd="/")


def test_an_output_root_that_is_a_file_is_one_message_and_exit_2(tmp_path):
    root = tmp_path / "out"
    root.write_text("not a folder")
    done = _command("report", "--study", SURVEY_STUDY, "--output-root", str(root))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"error: {root}, field '--output-root': expected an output root that can take the "
        f"outputs ({root}), found a file where a folder must be. Fix: move the file away"
    )
    assert "Traceback" not in done.stderr
    assert root.read_text() == "not a folder"


def test_a_read_only_output_root_is_one_message_and_exit_2(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    with read_only(root):
        done = _command("report", "--study", SURVEY_STUDY, "--output-root", str(root))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {root}/.staging")
    assert "field '--output-root': expected an output root that can take the outputs" in done.stderr
    assert "Fix: make the output root writable" in done.stderr and "Traceback" not in done.stderr
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("name", ["..", ".", "../x", "Survey A"])
def test_an_unsafe_study_name_on_the_command_line_is_refused_before_anything_runs(tmp_path, name):
    done = _command("report", "--study", name, "--output-root", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"error: field 'study': expected a study name of lowercase letters, digits and "
        f"hyphens (at most 64, starting with a letter or digit), as its parameter file is "
        f"named, found {name!r}. Fix: rename the parameter file"
    )
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- issue 13: de-identification inputs
# (engineer deid) A key or a study setting that de-identification cannot apply, and
# problems that involve a keyed person: one clear message that names no one, nothing
# written. The stages call the de-identification the notebooks call (peerstudy.cleaning.deid).
# clean_interviews runs notebooks/clean-transcripts.ipynb, which reads the study's key (with its
# phone regions) and de-identifies every message with it.
DEID_CASES = [
    Case(
        "deid-unknown-phone-region",
        "the study declares a phone region libphonenumber does not know",
        copy_of(INTERVIEWS),
        lambda f: clean_interviews(f, phone_regions=["KR", "XK1"]),
        ("deid-key.yaml", "field 'phone_regions'", "expected ISO 3166 region codes", "found 'XK1'"),
    ),
    Case(
        "deid-entry-under-two-headings-any-case",
        "one person under participants and, in capitals, under names",
        copy_of(INTERVIEWS, replace("deid-key.yaml", "names: [Rita Sollis, Rita]", "names: [Rita Sollis, TOM]")),
        clean_interviews,
        (
            "deid-key.yaml",
            "field 'names'",
            "expected each identifier listed once",
            "found entry 2 also under participants (entry 4)",
        ),
    ),
    Case(
        "deid-unmatched-speaker-names-no-one",
        "a speaker keyed to a pseudonym the participants sheet lacks (P1, left out of the sheet)",
        copy_of(
            INTERVIEWS,
            replace("transcripts/I01.txt", "Transcript: I01 (", "Transcript: I01 Ana Moreno ("),
            lambda f: (f / "transcripts/I01.txt").rename(f / "transcripts/I01 Ana Moreno.txt"),
            replace("participants.csv", "P1,Ana Moreno,female,31,4\n", ""),
        ),
        clean_interviews,
        ("I01 P1.txt, row 7, field 'speaker'", "found a speaker the key maps to 'P1'"),
    ),
]


@pytest.mark.parametrize("case", DEID_CASES, ids=lambda c: c.id)
def test_deidentification_input_gives_one_clear_message_naming_no_one(case: Case, tmp_path, monkeypatch):
    out = tmp_path / "output-root"
    out.mkdir()
    monkeypatch.setenv("PEERSTUDY_OUTPUT_ROOT", str(out))
    work = tmp_path / "input"
    work.mkdir()
    built = case.build(work)
    before = snapshot(tmp_path)
    with pytest.raises(PeerstudyError) as info:
        case.call(built)
    message = str(info.value)
    assert not [f for f in case.fragments if f not in message], message
    for problem in info.value.problems:
        assert problem.file and problem.fix, problem
    for name in ("Ana", "Moreno", "Tom Baker", "Rita"):  # the fixture key's people
        assert name not in message, message
    assert snapshot(tmp_path) == before
    assert not any(out.iterdir())


# ----------------------------------------------------------------------------- survey-tool exports (issue 15)
# Exports from survey tools (tests/fixtures/surveys/, invented respondents) and REDCap data
# dictionaries, run through the clean-survey stage or `python -m peerstudy draft-fields`.
def clean_tool_export(export: str, fields: str) -> Callable[[Path], None]:
    """The clean-survey stage on one export of tests/fixtures/surveys/ and its fields file."""

    def run(folder: Path) -> None:
        run_notebook(
            "clean-survey",
            survey_export=str(folder / export),
            survey_fields=str(folder / fields),
            text_fields=[],
            analyse_text_if="",
        )

    return run


def draft_from_dictionary(folder: Path) -> None:
    """`python -m peerstudy draft-fields redcap_data.csv --dictionary redcap_dictionary.csv`."""
    from peerstudy.cleaning.draftfields import draft_fields

    draft_fields(folder / "redcap_data.csv", folder / "redcap_dictionary.csv")


SURVEY_EXPORT_CASES = [
    Case(
        "xlsx-really-csv",
        "a Google Forms CSV export saved under the name responses.xlsx",
        copy_of("surveys", copy_file(FIXTURES / "surveys/googleforms.csv", "responses.xlsx")),
        clean_tool_export("responses.xlsx", "googleforms.yaml"),
        (
            "responses.xlsx: expected an Excel workbook (.xlsx, a zip archive), found text (it is a CSV file named .xlsx)",
            "Fix: rename the file to .csv",
        ),
    ),
    Case(
        "surveymonkey-sub-question-twice",
        "a SurveyMonkey export whose matrix lists the sub-question 'Staff' twice",
        copy_of("surveys", replace("surveymonkey.csv", "Staff,Peers", "Staff,Staff")),
        clean_tool_export("surveymonkey.csv", "surveymonkey.yaml"),
        (
            (
                "surveymonkey.csv, row 2, field 'How satisfied are you with the support you get from... - Staff': "
                "expected each sub-question once under its question"
            ),
            "found sub-question 'Staff' of 'How satisfied are you with the support you get from...' in columns 14 and 15",
        ),
        count=1,
    ),
    Case(
        "redcap-dictionary-bad-choices",
        "a REDCap data dictionary whose choices have no codes",
        copy_of("surveys", replace("redcap_dictionary.csv", "1, Low | 2, Okay | 3, Good", "Low | Okay | Good")),
        draft_from_dictionary,
        (
            (
                "redcap_dictionary.csv, row 4, field 'mood: Choices, Calculations, OR Slider Labels': expected choices "
                "written 'code, label | code, label'"
            ),
            "found 'Low | Okay | Good'",
            "Fix: correct the field's choices",
        ),
        count=1,
    ),
    Case(
        "exclusion-rule-unknown-column",
        "an exclusion rule naming a column the export does not have (issue 18)",
        copy_of("surveys", replace("qualtrics_flow.yaml", "column: Progress", "column: Progres")),
        clean_tool_export("qualtrics_flow.csv", "qualtrics_flow.yaml"),
        (
            "qualtrics_flow.yaml, field 'exclusions[5].column': expected a column of",
            "found 'Progres'",
            "Fix: correct the rule's column",
        ),
        error=ConfigError,
    ),
    Case(
        "likert-answer-outside-levels",
        "a Likert answer that is none of the declared levels (issue 18)",
        copy_of(
            "surveys",
            replace(
                "qualtrics_flow.csv",
                "Disagree,Neither agree nor disagree,Agree",
                "Disagree,Neither agree nor disagree,Agree strongly",
            ),
        ),
        clean_tool_export("qualtrics_flow.csv", "qualtrics_flow.yaml"),
        (
            "qualtrics_flow.csv, row 10, field 'Q1_3': expected one of the levels (1 = Strongly disagree",
            "found 'Agree strongly'",
            "Fix: correct the cell, or declare the level",
        ),
        count=1,
    ),
]


@pytest.mark.parametrize("case", SURVEY_EXPORT_CASES, ids=lambda c: c.id)
def test_bad_survey_export_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- refi (issues 13 and 15)
# Task "refi": REFI-QDA bombs and unzipped exports, through the code stage, with the same
# checks as the catalogue above (one clear message, every problem with file and fix,
# nothing written).
def _deflated(data: bytes) -> tuple[bytes, int, int]:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), len(data), zlib.crc32(data)


def raw_zip(target: str, members: Callable[[], list[tuple[str, bytes, int, int]]]) -> Change:
    """A zip written byte by byte from members already deflated (name, data, size, crc),
    so that gigabytes of declared members cost milliseconds to build."""
    import struct

    def change(folder: Path) -> None:
        body, central, listed = bytearray(), bytearray(), members()
        for name, data, size, crc in listed:
            n, offset = name.encode(), len(body)
            body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0)
            body += n + data
            central += (
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    0,
                    0x21,
                    crc,
                    len(data),
                    size,
                    len(n),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + n
            )
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(listed), len(listed), len(central), len(body), 0)
        (folder / target).write_bytes(bytes(body + central + end))

    return change


def _many_compressed_members() -> list[tuple[str, bytes, int, int]]:
    zeros = _deflated(bytes(2**20))
    sources = "".join(
        f'<TextSource guid="3f2b5a8e-0000-4000-8000-{i:012d}" name="T{i}" plainTextPath="internal://t{i}.txt"/>'
        for i in range(2500)
    )
    xml = f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>{sources}</Sources></Project>'
    return [("project.qde", *_deflated(xml.encode()))] + [(f"sources/t{i}.txt", *zeros) for i in range(2500)]


def _deep_qdc(depth: int) -> bytes:
    opening = "".join(f'<Code guid="3f2b5a8e-0000-4000-8000-{i:012d}" name="c{i}">' for i in range(depth))
    return f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{opening}{"</Code>" * depth}</Codes></CodeBook>'.encode()


def unzipped_without_sources(name: str) -> Change:
    """The fixture ``name`` unzipped into ``export/``, its sources folder left out."""

    def change(folder: Path) -> None:
        with zipfile.ZipFile(folder / name) as zf:
            for member in zf.namelist():
                if member.lower().startswith("sources/"):
                    continue
                (folder / "export").mkdir(exist_ok=True)
                (folder / "export" / member).write_bytes(zf.read(member))

    return change


REFI_CASES = [
    Case(
        "qdpx-many-compressed-members",
        "a .qdpx of 2,500 members of 1 MiB of zeros (2.5 GiB from 3 MiB)",
        qda_folder(raw_zip("many.qdpx", _many_compressed_members)),
        code_from_qdpx("many.qdpx"),
        (
            "many.qdpx, field 'all members': expected an archive that inflates at most 100 times",
            "2501 members",
            "zip bomb",
            "MAX_COMPRESSION_RATIO",
        ),
        count=1,
    ),
    Case(
        "qdpx-member-count",
        "a .qdpx of 10,001 (empty) members",
        qda_folder(raw_zip("count.qdpx", lambda: [(f"m{i}", *_deflated(b"")) for i in range(10_001)])),
        code_from_qdpx("count.qdpx"),
        ("count.qdpx: expected an archive of at most 10000 members", "found 10001 members", "MAX_ARCHIVE_MEMBERS"),
        count=1,
    ),
    Case(
        "qdc-deep-tree",
        "a codebook of 100,000 codes, each inside the one before",
        qda_folder(write("deep.qdc", _deep_qdc(100_000))),
        code_from_qdpx("deep.qdc"),
        (
            "deep.qdc, row 1, field '<Code> (column",
            "expected elements nested at most 200 deep",
            "<CodeBook> <Codes> <Code> <Code>",
        ),
        count=1,
    ),
    Case(
        "qde-without-sources",
        "an unzipped NVivo export (project.qde) without its sources folder",
        qda_folder(unzipped_without_sources("nvivo_crlf_emoji.qdpx")),
        code_from_qdpx("export/project.qde"),
        (
            "export/project.qde, row",
            "plainTextPath of <TextSource guid=",
            "expected the sources folder beside project.qde",
            "unzip the whole .qdpx",
        ),
        count=1,
    ),
]


@pytest.mark.parametrize("case", REFI_CASES, ids=lambda c: c.id)
def test_refi_bad_input_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 18: coding, interview and dyad results
# (qualcoding: participant characteristics from the declared fields; a dyad study's declared kinds of source)
QUALCODING_CASES = [
    Case(
        "characteristic-not-declared",
        "results-interviews describes a participant field the fields file does not declare",
        copy_of("own-interviews"),
        own_study_stage("own-interviews", "results-interviews", characteristics=["gender", "service_years"]),
        (
            "fields.yaml, field 'characteristics': expected fields declared in the study's fields file",
            "found 'service_years'",
            "Fix: declare 'service_years' under 'fields:'",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "dyad-unknown-source-kind",
        "a dyad study declares a source of a kind the notebooks do not know",
        copy_of("own-dyads"),
        own_study_stage(
            "own-dyads",
            "results-dyads",
            source_kinds={"call": "video", "PSW interview": "interview", "PIR interview": "interview"},
        ),
        (
            "own-dyads.yaml, field 'source_kinds': expected one of 'observation notes', 'recorded session', 'interview'",
            "found 'video' (for source 'call')",
        ),
        error=ConfigError,
        count=1,
    ),
]


@pytest.mark.parametrize("case", QUALCODING_CASES, ids=lambda c: c.id)
def test_bad_results_declaration_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 18: offsets into the source text
#: The own-interviews study's code stage as its parameter file runs it (transcripts read with
#: source offsets, so coder sheets' offsets count into the transcripts as written).
code_own_interviews_by_source_offsets = own_study_stage("own-interviews", "code")


SOURCE_OFFSET_CASES = [
    Case(
        "offset-past-the-end-of-its-source",
        "a coder sheet's end offset lies past the end of the transcript as written (I03.txt is 316 long)",
        copy_of("own-interviews", replace("coder-a.csv", ",183,235", ",183,400")),
        code_own_interviews_by_source_offsets,
        (
            "coder-a.csv, row 12, field 'start, end'",
            "expected 0 <= start < end <= 316 (the length of transcript 'I03' as written",
            "found start 183, end 400",
        ),
        count=1,
    ),
    Case(
        "offsets-of-layout-only",
        "a coder sheet's offsets select only the header of the transcript as written",
        copy_of("own-interviews", replace("coder-a.csv", ",183,235", ",0,60")),
        code_own_interviews_by_source_offsets,
        (
            "coder-a.csv, row 12, field 'start, end'",
            "found start 0, end 60: only the header, times or speaker labels of 'I03'",
        ),
        count=1,
    ),
]


@pytest.mark.parametrize("case", SOURCE_OFFSET_CASES, ids=lambda c: c.id)
def test_bad_source_offsets_give_one_clear_message_and_write_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 16: per-coder .qdpx
QDA_TEXTS = {
    "I01": "At first I had doubts about a peer colleague. Over the months we built trust step by step.",
    "I02": "We wrote down the tasks so everyone knew them. Sometimes the role was blurred and nobody knew who "
    "should call.",
}


def put_qda_documents(output_root: Path) -> None:
    """An upstream: the qda-study fixture's two documents (as in tests/qualitative/test_qdaproject.py), as
    a clean stage writes them (documents.parquet)."""
    documents = pd.DataFrame(
        {
            "document": list(QDA_TEXTS),
            "participant": ["P1", "P2"],
            "kind": ["transcript", "transcript"],
            "text": list(QDA_TEXTS.values()),
        }
    )
    StudyOutputs("bad-study", root=output_root).processed(documents=documents)


def _code_qda_study(folder: Path) -> None:
    code(
        folder,
        codebook=str(FIXTURES / "mini-interviews" / "codebook.yaml"),
        coding_sheets=["coder-ko.csv", "coder-lu.csv"],
        document_key=["document"],
        root_code_from="",
        unit_column="unit",
        reconciliation="reconciliation.csv",
        stability_sheets=["coder-mi.csv"],
    )


#: The code stage on the qda-study fixture (tests/fixtures/qda-study/README.md), which writes
#: the .qdpx with one REFI-QDA user per coder and one for the consensus.
qda_project_codings = Stage(_code_qda_study, put_qda_documents)


QDA_CASES = [
    Case(
        "coder-labelled-consensus",
        "a coder sheet labels its coder 'consensus', the name of the consensus user in the .qdpx",
        copy_of("qda-study", *[replace("coder-ko.csv", ",KO,", ",consensus,")] * 4),
        qda_project_codings,
        (
            "coder-ko.csv, row 2, field 'coder': expected coder labels other than 'consensus'",
            "found 'consensus' (4 codings)",
            "Fix: label the coder otherwise in the coder sheets",
        ),
        count=1,
        # what code.ipynb writes in the cells before the .qdpx
        written_first=(
            *report_tables("agreement", "disagreements", "stability", "code-frequencies"),
            *processed_tables("codebook", "segments", "codings", "consensus", "recodings"),
        ),
    ),
]


@pytest.mark.parametrize("case", QDA_CASES, ids=lambda c: c.id)
def test_bad_qda_coder_label_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 18: new-study and the pre-run check (newstudy)
# A study its notebooks cannot handle is refused when it is loaded, before any notebook runs,
# with every problem at once, each naming the parameter (peerstudy.pipeline.studycheck); new-study
# refuses a name already in use and writes nothing (peerstudy.pipeline.scaffold).
def own_study(fixture: str, **changes: Any) -> Callable[[Path], Path]:
    """A build step: the fixture study's data and parameter file as its own tests write them,
    with ``changes`` (a value None removes the key; a callable gets the data folder)."""
    import yaml

    def build(work: Path) -> Path:
        data = work / "data"
        shutil.copytree(FIXTURES / fixture, data)
        path = fixture_study_writers()[fixture](work, data)
        params = yaml.safe_load(path.read_text())
        for key, value in changes.items():
            if value is None:
                params.pop(key)
            else:
                params[key] = value(data) if callable(value) else value
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        return path

    return build


def new_study_over(name: str) -> Callable[[Path], Path]:
    """A build step: a project root in which the study ``name`` exists already."""
    from peerstudy.pipeline.scaffold import new_study

    def build(work: Path) -> Path:
        new_study(name, "interviews", root=work)
        return work

    return build


def new_survey_named(name: str) -> Callable[[Path], None]:
    from peerstudy.pipeline.scaffold import new_study

    return lambda root: new_study(name, "survey", root=root)


NEWSTUDY_CASES = [
    Case(
        "study-export-missing",
        "a survey whose export is not in the raw folder (found before clean-survey runs)",
        study_file("questionnaire-export.csv", "questionaire-export.csv"),
        load_study,
        (
            "supporter-survey.yaml, field 'survey_export': expected the survey tool's export (CSV or .xlsx), "
            "found no such file: 'data/raw/supporter-survey/questionaire-export.csv'",
            "Fix: put it there",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "study-parameter-left-out",
        "an interview study that leaves out its participants fields (the notebook's default is another study's)",
        own_study("own-interviews", participants_fields=None),
        pipeline.load_study,
        (
            "own-interviews.yaml, field 'participants_fields': expected a value for this study, found none "
            "(notebooks/clean-transcripts.ipynb would use its default, 'studies/professional-interviews/fields.yaml', "
            "which belongs to another study)",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "study-characteristic-undeclared",
        "results-interviews would describe a field the fields file does not declare (found before clean-transcripts)",
        own_study("own-interviews", characteristics=["gender", "diagnosis"]),
        pipeline.load_study,
        (
            "own-interviews.yaml, field 'characteristics': expected fields declared in the study's fields file",
            "'diagnosis'",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "study-coder-sheet-missing",
        "a dyad study naming a coder sheet that is not there, and a shared-views source it does not declare",
        own_study(
            "own-dyads",
            coding_sheets=lambda d: [str(d / "coding-sheet-2.csv")],
            shared_views_from=["PSW interview", "carer interview"],
        ),
        pipeline.load_study,
        (
            "own-dyads.yaml, field 'coding_sheets[0]': expected a coder sheet (CSV), found no such file",
            "field 'shared_views_from': expected sources declared in source_kinds, found 'carer interview'",
        ),
        error=ConfigError,
        count=2,
    ),
    Case(
        "new-study-name-taken",
        "new-study over a study that exists already",
        new_study_over("taken"),
        lambda root: new_survey_named("taken")(root),
        (
            "studies/taken.yaml, field 'study': expected a name no study uses yet, found 'taken', which has "
            "studies/taken.yaml, studies/taken, data/raw/taken already",
        ),
        error=ConfigError,
        count=1,
    ),
]


@pytest.mark.parametrize("case", NEWSTUDY_CASES, ids=lambda c: c.id)
def test_study_refused_before_anything_runs(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


def test_run_study_stops_before_any_notebook_when_the_check_fails(tmp_path):
    """run_study on a study missing a file: the check's message, no staging folder, no output."""
    path = own_study("own-dyads", memos=lambda d: str(d / "memos.csv"))(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"field 'memos': expected the analytic memos \(CSV\), found no such file"):
        pipeline.run_study(path, output_root=out, log=lambda line: None)
    assert not out.exists()


# ----------------------------------------------------------------------------- issue 18: survey results (task "survey")
# The Qualtrics survey of one's own (tests/fixtures/own-survey/, three header rows, so the first
# answer is spreadsheet row 4): through the clean-survey stage as its notebook runs it, and the
# declarations results-survey checks before any table (its Likert items, scales and agree levels).
#: notebooks/clean-survey.ipynb as the own-survey study runs it.
clean_own_survey = own_study_stage("own-survey", "clean-survey")


def survey_results_declarations(scales: dict[str, list[str]]) -> Stage:
    """notebooks/results-survey.ipynb as the own-survey study runs it, with the scales ``scales``."""
    return own_study_stage("own-survey", "results-survey", likert_scales=scales)


OWN_SURVEY_CASES = [
    Case(
        "own-survey-declared-field-missing",
        "a declared question (by its text) that the Qualtrics export does not have",
        copy_of(
            "own-survey", replace("fields.yaml", '"Which best describes you?"', '"Which best describes your role?"')
        ),
        clean_own_survey,
        (
            "export.csv, row 1, field 'Which best describes your role?': expected column(s) 'Which best describes your role?'",
            "Fix: restore the column in the export, or correct the column name declared for it",
        ),
        count=1,
    ),
    Case(
        "own-survey-exclusion-unknown-column",
        "an exclusion rule naming a column the Qualtrics export does not have",
        copy_of("own-survey", replace("fields.yaml", "column: Finished", "column: Completed")),
        clean_own_survey,
        (
            "fields.yaml, field 'exclusions[2].column': expected a column of",
            "found 'Completed'",
            "Fix: correct the rule's column",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "own-survey-likert-outside-levels",
        "a Likert answer (spreadsheet row 8, R_1aKd05) that is none of the declared levels",
        copy_of(
            "own-survey",
            replace(
                "export.csv",
                "Strongly agree,Strongly agree,Strongly agree,Strongly disagree",
                "Strongly agreed,Strongly agree,Strongly agree,Strongly disagree",
            ),
        ),
        clean_own_survey,
        (
            "export.csv, row 8, field 'Q3_1': expected one of the levels (1 = Strongly disagree",
            "found 'Strongly agreed'",
            "Fix: correct the cell, or declare the level under the field's 'levels'",
        ),
        count=1,
    ),
    Case(
        "own-survey-agree-not-a-level",
        "a Likert field's agree levels naming a level it does not have",
        copy_of("own-survey", replace("fields.yaml", "agree: [Agree, Strongly agree]", "agree: [Agree, Fully agree]")),
        survey_results_declarations({}),
        (
            "fields.yaml, field 'fields.confident.agree': expected a list of the field's levels",
            "found ['Agree', 'Fully agree']",
            "Fix: e.g. agree: [Agree, Strongly agree]",
        ),
        error=ConfigError,
        count=1,
    ),
    Case(
        "own-survey-scale-item-not-likert",
        "a declared scale (likert_scales) naming a number field and a field not declared",
        copy_of("own-survey"),
        survey_results_declarations({"peer support": ["listened", "years", "hopefull"]}),
        (
            "fields.yaml, field 'likert_scales.peer support': expected names of likert fields declared in",
            "found 'years' of type 'number'",
            "found 'hopefull'",
            "Fix: declare 'hopefull' as a likert field",
        ),
        error=ConfigError,
        count=2,
        # what results-survey.ipynb writes in the cells before the scales: the notes, the flow,
        # the characteristics (role, years, supports: a table and a figure each) and the Likert items
        written_first=(
            "reports/own-survey/notes.md",
            *report_tables(
                "participant-flow", "characteristics", "likert-items", "likert-distribution", study="own-survey"
            ),
            *report_figures("role", "years", "supports", "likert-items", study="own-survey"),
        ),
    ),
]


@pytest.mark.parametrize("case", OWN_SURVEY_CASES, ids=lambda c: c.id)
def test_bad_own_survey_input_gives_one_clear_message_and_writes_nothing(case: Case, tmp_path, monkeypatch):
    test_bad_input_gives_one_clear_message_and_writes_nothing(case, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- issue 12: the stages run the notebooks (task "steps")
# The stages above run each notebook's own cells (helpers.run_stage), so no test keeps a copy of
# a notebook's calls that could drift from it. These show that the runner follows the notebook
# as it is on disk, and refuses what papermill would only warn about.
def survey_parameters(folder: Path) -> dict[str, Any]:
    """The clean-survey parameters of the mini survey in ``folder``."""
    return {
        "study": "bad-study",
        "survey_export": str(folder / "export.csv"),
        "survey_fields": str(folder / "fields.yaml"),
        "text_fields": ["why"],
        "analyse_text_if": "experienced",
    }


def notebook_copy(tmp_path: Path, notebook: str, extra: str) -> Path:
    """A copy of ``notebooks/<notebook>.ipynb`` in ``tmp_path`` with one code cell ``extra`` appended."""
    import nbformat

    nb = nbformat.read(config.NOTEBOOKS_DIR / f"{notebook}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(extra))
    path = tmp_path / f"{notebook}.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_stage_runs_the_notebook_as_it_is_on_disk(tmp_path):
    """A cell added to a copy of clean-survey runs after the notebook's own cells, with the
    injected parameters and what the cells before it computed; its error comes out unchanged."""
    extra = (
        "from peerstudy.errors import ConfigError, Problem\n"
        'raise ConfigError(Problem(file=survey_fields, expected="no extra cell", '
        'found=f"{len(survey.participants)} participants", fix="remove the cell"))'
    )
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as info:
        run_stage(notebook_copy(tmp_path, "clean-survey", extra), survey_parameters(FIXTURES / SURVEY), out)
    # mini-survey/export.csv holds questionnaires 1 to 4; 2 is empty and 3 is entered twice
    # alike: 3 participants (counted by hand, as in the BOM control above)
    assert "mini-survey/fields.yaml: expected no extra cell, found 3 participants. Fix: remove the cell" in str(
        info.value
    )
    # the notebook's last cell, before the added one, wrote the cleaning log
    assert (out / "reports/bad-study/tables/cleaning-log.csv").is_file()
    assert (out / "data/processed/bad-study/participants.parquet").is_file()


def test_a_stage_refuses_a_parameter_its_notebook_does_not_declare(tmp_path):
    """papermill only warns about a parameter the notebook does not declare (and the notebook
    then runs with its default); the runner refuses it before any cell runs."""
    parameters = survey_parameters(FIXTURES / SURVEY) | {"survey_feilds": "elsewhere.yaml"}
    with pytest.raises(ValueError, match="clean-survey.ipynb declares no parameter 'survey_feilds'"):
        run_stage("clean-survey", parameters, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_stage_refuses_a_cell_only_a_kernel_can_run(tmp_path):
    """A magic cannot run outside IPython: the runner says so rather than failing on syntax."""
    with pytest.raises(ValueError, match=r"clean-survey.ipynb, cell \d+: IPython-only syntax"):
        run_stage(
            notebook_copy(tmp_path, "clean-survey", "%time x = 1"), survey_parameters(FIXTURES / SURVEY), tmp_path
        )
