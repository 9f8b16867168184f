"""``python -m peerstudy new-study NAME --kind KIND``: the skeleton of a study of one's own.

A new study of a kind the notebooks handle (survey, interviews, dyads, review) needs data
and a parameter file only. :func:`new_study` writes what a new user starts from:

- ``studies/<name>.yaml``: every parameter the kind's notebooks accept, each with the
  notebook's own description, marked REQUIRED (the notebook's default belongs to another
  study) or optional (with its default), filled in with paths under ``data/raw/<name>/``;
- ``studies/<name>/fields.yaml`` (not for a review): the declared fields of the export or
  participants sheet, an example of each kind of field to replace by the study's own;
- ``data/raw/<name>/README.txt``: which files to put in the raw folder, under which names;
- ``data/raw/<name>/data-dictionary.md``: a template documenting every file and column;
- the empty folders the kind expects (``transcripts/``, ``records/``).

The parameters come from the notebooks' ``parameters`` cells, so the skeleton lists what
the notebooks read today. Until the data are in place, running the study stops before
anything runs, naming each missing file (:mod:`peerstudy.pipeline.studycheck`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from peerstudy import config
from peerstudy.errors import ConfigError, OutputError, Problem
from peerstudy.io.files import write_atomic

__all__ = ["KINDS", "new_study", "parameter_file"]

#: The notebooks each kind of study runs, in order.
KINDS: dict[str, tuple[str, ...]] = {
    "survey": ("clean-survey", "code", "results-survey"),
    "interviews": ("clean-transcripts", "code", "results-interviews"),
    "dyads": ("clean-transcripts", "code", "results-dyads"),
    "review": ("import-records", "screen-records", "results-review"),
}

_CODING = {
    "codebook": "{raw}/codebook.yaml",
    "coding_sheets": ["{raw}/coder-a.csv"],
    "root_code_from": "",
    "unit_column": "",
    "reconciliation": "",
    "stability_sheets": [],
    "qdpx": "",
}
_TRANSCRIPTS = {
    "participants_sheet": "{raw}/participants.csv",
    "participants_fields": "studies/{name}/fields.yaml",
    "deid_key": "{raw}/deid-key.yaml",
    "interviewer_labels": ["Interviewer"],
    "document_key": ["transcript"],
    "characteristics": [],
    "unpublished": [],
    "published": "",
    "notes": [],
}
# The skeleton's values: paths under the new study's folders; a parameter not listed keeps
# the notebook's default (only where that default is not another study's).
_VALUES: dict[str, dict[str, Any]] = {
    "survey": {
        "survey_export": "{raw}/export.csv",
        "survey_fields": "studies/{name}/fields.yaml",
        "text_fields": ["comments"],
        "analyse_text_if": "",
        "deid_key": "",
        **_CODING,
        "document_key": ["respondent", "question"],
        "characteristics": ["age", "gender", "experienced"],
        "unpublished": [],
        "published": "",
        "notes": [],
    },
    "interviews": {
        **_TRANSCRIPTS,
        "transcripts": ["{raw}/transcripts"],
        **_CODING,
        "document_key": ["transcript"],
        "band_field": "",
        "service_bands": {},
        "level_names": ["theme", "category"],
        "category_depth": 1,
        "interview_guide": "",
        "quotes_per_category": 2,
    },
    "dyads": {
        **_TRANSCRIPTS,
        "transcripts": ["{raw}/records"],
        "interviewer_labels": ["Interviewer", "Observer"],
        "document_attributes": {
            "dyad": "text",
            "session": "integer",
            "source": ["session", "PSW interview", "PIR interview"],
        },
        **_CODING,
        "document_key": ["transcript"],
        "role_field": "role",
        "sources": ["session", "PSW interview", "PIR interview"],
        "source_kinds": {"session": "recorded session", "PSW interview": "interview", "PIR interview": "interview"},
        "shared_views_from": ["PSW interview", "PIR interview"],
        "dimensions_of": [],
        "category_depth": 0,
        "memos": "",
    },
    "review": {
        "exports": [{"file": "{raw}/pubmed.nbib", "database": "PubMed"}],
        "search_log": "{raw}/search-log.yaml",
        "priority": ["PubMed"],
        "date_from": "2015-01",
        "date_to": "2025-12",
        "languages": ["English"],
        "screening_exports": [
            {"file": "{raw}/title-abstract.csv", "format": "sheet", "stage": "title-abstract"},
            {"file": "{raw}/full-text.csv", "format": "sheet", "stage": "full-text"},
        ],
        "resolutions": "",
        "screening_sheet": "",
        "extraction_sheet": "{raw}/extraction.csv",
        "extraction_columns": {"study_type": ["trial", "qualitative", "review"], "setting": "text"},
        "category_column": "study_type",
        "design_column": "setting",
        "exclusion_reasons": ["not peer support", "population not mental health", "full text not retrieved"],
        "not_retrieved_reason": "full text not retrieved",
        "included_columns": ["setting"],
        "subgroup_tables": [],
        "category_counts": {},
        "flag_counts": {},
        "published": "",
        "notes": [],
    },
}


def _fill(value: Any, name: str) -> Any:
    """``value`` with ``{raw}`` and ``{name}`` filled in, lists and mappings walked."""
    if isinstance(value, str):
        return value.replace("{raw}", f"data/raw/{name}").replace("{name}", name)
    if isinstance(value, list):
        return [_fill(v, name) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, name) for k, v in value.items()}
    return value


def _flow(value: Any) -> str:
    """One value as one line of YAML (flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _mark(key: str, default: Any) -> str:
    """How a parameter the study may leave out is marked: optional where the notebook's
    default suits any study, else "set" (the default describes a shipped study)."""
    if key in _GENERIC or default in ("", [], {}, None) or isinstance(default, (int, float)):
        return f"optional (default: {_flow(default)})."
    return f"set for this study (the notebook's default, {_flow(default)}, describes a shipped study)."


def parameter_file(name: str, kind: str) -> str:
    """The text of ``studies/<name>.yaml`` for a new study of ``kind``: every parameter
    its notebooks declare, with their descriptions, REQUIRED or optional.

    Examples
    --------
    >>> text = parameter_file("my-survey", "survey")
    >>> "survey_export: data/raw/my-survey/export.csv" in text, "study: my-survey" in text
    (True, True)
    >>> print(text.split("survey_export:", 1)[0].splitlines()[-1])
    # REQUIRED. the survey tool's CSV export (path from the project root)
    """
    import papermill

    from peerstudy.pipeline.parameters import ALTERNATIVES
    from peerstudy.pipeline.studycheck import default_value, needs_value

    values = _fill(_VALUES[kind], name) | {"study": name, "title": f"{name} (replace by the report's title)"}
    lines = [
        f"# {name}: a study of kind {kind}. Parameters of every notebook that runs for it",
        f"# (papermill -f studies/{name}.yaml); paths are relative to the project root.",
        "# REQUIRED: the study must give its own value (the notebook's default is another study's file);",
        "# '' or [] says it has none. set: give the study's own (the default describes a shipped study).",
        "# optional: may be left out (the notebook's default is shown). Replace the example values.",
        f"# Run it: python -m peerstudy report --study {name}  (every problem is told before anything runs).",
        "",
        "# Which notebooks run, in order, and where the raw data are (read by the pipeline).",
        f"notebooks: {_flow(list(KINDS[kind]))}",
        f"# The raw data: only read; record them with `python -m peerstudy accept-raw --study {name}`.",
        f"raw: data/raw/{name}",
    ]
    seen: set[str] = set()
    for nb in KINDS[kind]:
        declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{nb}.ipynb"))
        block = ["", f"# --- {nb}"]
        for key, spec in declared.items():
            if key in seen:
                continue
            seen.add(key)
            default = default_value(spec)
            required = needs_value(key, default) or key == "study"
            value = values.get(key, default)
            mark = "REQUIRED." if required else _mark(key, default)
            if required and key in ALTERNATIVES:
                mark = f"REQUIRED unless {ALTERNATIVES[key]} is given."
            help_text = str(spec.get("help") or "").strip()
            block += [f"# {mark} {help_text}".rstrip(), f"{key}: {_flow(value)}"]
        lines += block
    return "\n".join(lines) + "\n"


def new_study(name: str, kind: str, *, root: Path | None = None) -> list[Path]:
    """Write the skeleton of a new study under ``root`` (default: the project root).

    Parameters
    ----------
    name
        The study's name, a slug (``my-survey``); it names its files and folders.
    kind
        ``survey``, ``interviews``, ``dyads`` or ``review``.
    root
        The project root to write in (the tests use a temporary folder).

    Returns
    -------
    list of Path
        The files and folders written.

    Raises
    ------
    ConfigError
        An unsafe name, an unknown kind, or a study of that name that exists already
        (its parameter file, declarations or raw folder): nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> [p.relative_to(root).as_posix() for p in new_study("my-dyads", "dyads", root=root)]  # doctest: +NORMALIZE_WHITESPACE
    ['studies/my-dyads.yaml', 'studies/my-dyads/fields.yaml', 'data/raw/my-dyads/README.txt',
     'data/raw/my-dyads/data-dictionary.md', 'data/raw/my-dyads/records']
    >>> new_study("My Study", "survey", root=Path(tempfile.mkdtemp()))
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: studies/My Study.yaml, field 'study': expected a study name of lowercase letters, ...
    """
    from peerstudy.pipeline import check_study_name

    root = Path(root) if root is not None else config.PROJECT_ROOT
    check_study_name(name, file=f"studies/{name}.yaml" if isinstance(name, str) and "/" not in name else None)
    if kind not in KINDS:
        raise ConfigError(
            Problem(field="--kind", expected=f"one of {', '.join(KINDS)}", found=repr(kind), fix="choose one of these")
        )
    files = _skeleton(name, kind)
    taken = [rel for rel in [f"studies/{name}.yaml", f"studies/{name}", f"data/raw/{name}"] if (root / rel).exists()]
    if taken:
        raise ConfigError(
            Problem(
                file=f"studies/{name}.yaml",
                field="study",
                expected="a name no study uses yet",
                found=f"{name!r}, which has {', '.join(taken)} already",
                fix="choose another name, or edit the existing study's files",
            )
        )
    return _write(root, files, [f"data/raw/{name}/{d}" for d in _FOLDERS.get(kind, ())])


def _writer(data: bytes) -> Callable[[BinaryIO], int]:
    """What :func:`peerstudy.io.files.write_atomic` calls to write ``data``."""
    return lambda fh: fh.write(data)


def _write(root: Path, files: dict[str, str], folders: list[str]) -> list[Path]:
    """Write every file whole (or, on a failure, none: those written are removed)."""
    written: list[Path] = []
    try:
        for rel, text in files.items():
            written.append(write_atomic(root / rel, _writer(text.encode("utf-8"))))
        for rel in folders:
            (root / rel).mkdir(parents=True)
            written.append(root / rel)
    except OSError as exc:
        for path in reversed(written):
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        raise OutputError(
            Problem(
                file=config.relative_to_root(exc.filename or root),
                expected="a folder the study's files can be written to",
                found=exc.strerror or str(exc),
                fix="make the folder writable (nothing was written)",
            )
        ) from None
    return written


def _skeleton(name: str, kind: str) -> dict[str, str]:
    """The files of a new study, by path relative to the project root."""
    raw = f"data/raw/{name}"
    files = {f"studies/{name}.yaml": parameter_file(name, kind)}
    if kind in _FIELDS:
        files[f"studies/{name}/fields.yaml"] = _FIELDS[kind].replace("{raw}", raw)
    files[f"{raw}/README.txt"] = _README[kind].replace("{raw}", raw).replace("{name}", name)
    files[f"{raw}/data-dictionary.md"] = _DICTIONARY[kind].replace("{name}", name)
    return files


# Parameters whose notebook default suits any study.
_GENERIC = {"interviewer_labels", "role_field", "level_names", "band_name", "not_retrieved_reason"}
_FOLDERS = {"interviews": ("transcripts",), "dyads": ("records",)}

_FIELDS_HEAD = """\
# Declared fields of {sheet} (read by peerstudy.cleaning.clean, which documents each type: id,
# integer, number, likert, datetime, category, boolean, multi, label, text). Only the
# columns declared here are read: leave identifying columns (names, e-mails) out.
# For each field: `column` is the header exactly as written in the file; `required: true`
# refuses an empty cell; categories list, under each label, the spellings cleaning accepts.
# The fields below are examples: replace them by the study's own.
"""

_FIELDS: dict[str, str] = {
    "survey": _FIELDS_HEAD.replace("{sheet}", "{raw}/export.csv")
    + """\
# Start from a draft instead: python -m peerstudy draft-fields {raw}/export.csv
# Exports of Qualtrics, REDCap, SurveyMonkey, LimeSurvey, Google Forms, Microsoft Forms and
# KoBoToolbox are recognised; header_rows (the number of header rows) is needed only for
# another layout.
missing: ["", "n/a"]   # cell values that mean "no answer"
# Rows left out before analysis, in order, each counted in the flow table (optional):
# exclusions:
#   - {reason: survey preview, column: Status, equals: ["Survey Preview"]}
#   - {reason: did not finish, column: Finished, equals: ["False", "0"]}
#   - {reason: consent not given, column: Consent, not_equals: ["I agree"]}
fields:
  respondent: {column: "Respondent ID", type: id}   # the one id field (named in document_key)
  age: {column: "How old are you?", type: integer, required: true, min: 18, max: 100, units: [years]}
  gender:
    column: "Gender"
    type: category
    categories: {woman: [woman, female, f], man: [man, male, m], another: [another, other]}
  experienced:
    column: "Have you received peer support before?"
    type: boolean
    "true": ["yes", "y"]
    "false": ["no", "n"]
  comments: {column: "What did peer support mean to you?", type: text}   # free text, coded (text_fields)
""",
    "interviews": _FIELDS_HEAD.replace("{sheet}", "{raw}/participants.csv")
    + """\
header_rows: 1
fields:
  id: {column: id, type: id}   # the participant id, as the de-identification key maps names to it
  gender: {column: gender, type: category, required: true, categories: {woman: [woman], man: [man]}}
  age: {column: age, type: integer, min: 18, max: 100}
  years_in_service: {column: years, type: number, min: 0, max: 60}
""",
    "dyads": _FIELDS_HEAD.replace("{sheet}", "{raw}/participants.csv")
    + """\
header_rows: 1
fields:
  id: {column: id, type: id}   # the participant id, as the de-identification key maps names to it
  role: {column: role, type: category, required: true, categories: {PSW: [PSW], PIR: [PIR]}}   # role_field
  dyad: {column: dyad, type: label, required: true}
  gender: {column: gender, type: category, categories: {woman: [woman], man: [man]}}
  age: {column: age, type: integer, min: 18, max: 100}
""",
}

_CODING_FILES = """\
codebook.yaml       the codebook: codes: [{code, label, definition, parent}], parent
                    empty for a top-level code; any depth from one level.
coder-a.csv         one sheet per coder ({key}, excerpt, code, coder, note; or
                    start/end offsets into the source text instead of the excerpt).
                    More coders: add their sheets to coding_sheets. Optional:
                    reconciliation.csv (unit, code, decision keep/drop, reason),
                    a further coder's sheet for stability_sheets.
"""

_TRANSCRIPT_FILES = """\
participants.csv    one row per participant; its columns are declared in
                    studies/{name}/fields.yaml (undeclared columns are never read).
deid-key.yaml       the reviewed de-identification key: participants: {Full Name: P1,
                    First: P1}, names: [other people], places: [places]. Never copied
                    to an output; keep it out of git.
"""

_README: dict[str, str] = {
    "survey": """\
Raw data of the study {name} (a survey). Files are only ever read. Put here:

export.csv          the survey tool's export (CSV or .xlsx), as the tool wrote it;
                    its columns are declared in studies/{name}/fields.yaml.
"""
    + _CODING_FILES.replace("{key}", "respondent, question")
    + """
Then record them: python -m peerstudy accept-raw --study {name}
and run: python -m peerstudy report --study {name}
""",
    "interviews": """\
Raw data of the study {name} (interviews). Files are only ever read. Put here:

"""
    + _TRANSCRIPT_FILES
    + """\
transcripts/        one file per interview or focus group (.txt, .docx, .odt, .vtt,
                    .srt), starting with a header: Transcript: I01, Date: 2024-05-06,
                    Participants: Interviewer; Full Name; then the turns.
"""
    + _CODING_FILES.replace("{key}", "unit, transcript")
    + """
Then record them: python -m peerstudy accept-raw --study {name}
and run: python -m peerstudy report --study {name}
""",
    "dyads": """\
Raw data of the study {name} (dyads: sessions and interviews). Files are only ever read.
Put here:

"""
    + _TRANSCRIPT_FILES
    + """\
records/            one file per recorded session, observation or interview, with a
                    header naming its dyad, session and source (as document_attributes
                    declares): Transcript: K1-S1, Date: ..., Participants: ..., Dyad: K1,
                    Session: 1, Source: session.
"""
    + _CODING_FILES.replace("{key}", "transcript")
    + """
Then record them: python -m peerstudy accept-raw --study {name}
and run: python -m peerstudy report --study {name}
""",
    "review": """\
Raw data of the study {name} (a literature review). Files are only ever read. Put here:

pubmed.nbib         each database's export as it wrote it (MEDLINE, RIS, BibTeX,
                    EndNote XML, Web of Science, CSV); one entry per file in `exports`.
search-log.yaml     searches: [{database, searched, query, limits, results, export}].
title-abstract.csv  the reviewers' decisions per stage (reviewer, doi, pmid, title,
full-text.csv       decision, reason, note), or exports of Rayyan, Covidence, ASReview
                    (format: rayyan, covidence or asreview in screening_exports).
extraction.csv      one row per included study: doi (or pmid, title), then the columns
                    declared in extraction_columns.

Then record them: python -m peerstudy accept-raw --study {name}
and run: python -m peerstudy report --study {name}
""",
}

_DICTIONARY_TABLE = """\
| column | meaning | values (units, codes) | missing written as |
|---|---|---|---|
| ... | ... | ... | ... |
"""

_DICTIONARY: dict[str, str] = {
    kind: "# Data dictionary of {name}\n\n"
    "Document every file of this folder: where it comes from (tool, version, date of export),\n"
    "who wrote it, and each column. Keep it with the data (it is checksummed with them).\n\n"
    + "\n".join(f"## {f}\n\nSource: ...\n\n{_DICTIONARY_TABLE}" for f in files)
    for kind, files in {
        "survey": ["export.csv", "codebook.yaml", "coder-a.csv"],
        "interviews": ["participants.csv", "transcripts/", "codebook.yaml", "coder-a.csv"],
        "dyads": ["participants.csv", "records/", "codebook.yaml", "coder-a.csv"],
        "review": ["pubmed.nbib", "search-log.yaml", "title-abstract.csv", "full-text.csv", "extraction.csv"],
    }.items()
}
