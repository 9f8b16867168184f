"""The pre-run check of a study: what its notebooks need, told before anything runs.

:func:`check_study` looks at a study's parameter file as its notebooks will receive it
(each parameter the study leaves out takes the notebook's default) and reports, all
together, every problem a notebook would otherwise stop on later, some of them only in
the results notebook after the earlier stages ran:

- a parameter left out whose default belongs to another study (a notebook's default
  names a file of a shipped study, or its title): the study must say its own;
- lists whose items are not names (text), negative counts or levels;
- a file or folder the parameters name that is not there (the export, fields file,
  participants sheet, codebook, coder sheets, reconciliation, interview guide, memos,
  search exports, screening sheets, extraction sheet), an empty transcripts folder,
  no coder sheet and no REFI-QDA project, a missing raw folder;
- fields the parameters name (free-text fields, the field that selects whose text is
  analysed, characteristics, the banded field, the role field) that the fields file does
  not declare;
- a dyad study's sources and their kinds, a review's grouping and flag columns that the
  extraction columns do not declare, a "not retrieved" reason that is not one of the
  exclusion reasons;
- a notebook that reads a processed table no notebook before it writes (``code`` left out
  before ``results-survey``), as the notebooks' code says
  (:func:`~peerstudy.pipeline.notebookcells.processed_tables`).

It reads only the parameter values and the fields file, and looks whether the named files
exist: what is inside the data files is checked by the stages that read them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.errors import ConfigError, PeerstudyError, Problem
from peerstudy.pipeline.notebookcells import processed_tables
from peerstudy.pipeline.parameters import ALTERNATIVES, fill_omitted, omission

__all__ = [
    "check_study",
    "effective_parameters",
    "needs_value",
    "default_value",
    "FILE_PARAMETERS",
]

#: Parameters naming one input file, and what the file is (for the messages).
FILE_PARAMETERS: dict[str, str] = {
    "survey_export": "the survey tool's export (CSV or .xlsx)",
    "survey_fields": "the fields file of the survey export (YAML)",
    "participants_sheet": "the participants sheet (CSV, one row per participant)",
    "participants_fields": "the fields file of the participants sheet (YAML)",
    "deid_key": "the reviewed de-identification key (YAML)",
    "codebook": "the codebook (YAML, or a QDA program's .qdc or .qdpx)",
    "reconciliation": "the reconciliation sheet (CSV)",
    "qdpx": "a REFI-QDA project (.qdpx)",
    "interview_guide": "the interview guide (CSV: number, question, probes)",
    "memos": "the analytic memos (CSV)",
    "published": "the published figures (YAML)",
    "search_log": "the search log (YAML)",
    "screening_sheet": "the screening sheet (CSV)",
    "resolutions": "the resolutions of screening conflicts (CSV)",
    "extraction_sheet": "the extraction sheet (CSV)",
}
#: Parameters naming a list of input files.
FILE_LIST_PARAMETERS: dict[str, str] = {
    "coding_sheets": "a coder sheet (CSV)",
    "stability_sheets": "a further coder's sheet (CSV)",
}
_COUNTS = ("category_depth", "quotes_per_category")
# lists whose items may also be entries with options (a transcripts folder with `source_offsets`)
_ENTRY_LISTS = ("transcripts",)
_FIELD_PARAMETERS = ("characteristics", "band_field", "role_field")


def effective_parameters(parameters: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The values the notebooks run with: the study's, else each notebook's default.

    Examples
    --------
    >>> declared = {"nb": {"a": {"default": "'x'"}, "b": {"default": "[1, None]"}}}
    >>> effective_parameters({"a": "mine"}, declared)
    {'a': 'mine', 'b': [1, None]}
    """
    values: dict[str, Any] = {}
    for decl in declared.values():
        for key, spec in decl.items():
            if key not in values:
                values[key] = default_value(spec)
    return values | dict(parameters)


def default_value(spec: Mapping[str, Any]) -> Any:
    """A notebook parameter's default value, from its declaration (``papermill.inspect_notebook``).

    Examples
    --------
    >>> default_value({"default": "['a', 1]"})
    ['a', 1]
    """
    try:
        return ast.literal_eval(str(spec.get("default", "None")))
    except (ValueError, SyntaxError):
        return None


def check_study(
    parameters: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Any]],
    *,
    file: str | Path,
    raw: str | Path,
) -> None:
    """Refuse a study that one of its notebooks cannot handle, before anything runs.

    Parameters
    ----------
    parameters
        The study's parameters (its parameter file without ``notebooks`` and ``raw``).
    declared
        For each notebook that runs, its declared parameters (``papermill.inspect_notebook``).
    file
        The parameter file, named in the messages.
    raw
        The study's raw folder.

    Raises
    ------
    ConfigError
        Every problem found, each naming the parameter, what is missing and the fix.

    Examples
    --------
    >>> declared = {"results-x": {"title": {"default": "'A shipped study'"}, "memos": {"default": "''"}}}
    >>> check_study({"title": "Mine", "memos": ""}, declared, file="studies/mine.yaml", raw=config.RAW_DIR)
    >>> check_study({"memos": "nowhere.csv"}, declared, file="studies/mine.yaml", raw=config.RAW_DIR)
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: 2 problems found:
      1. studies/mine.yaml, field 'title': expected a value for this study, found none ...
      2. studies/mine.yaml, field 'memos': expected the analytic memos (CSV), found no such file: 'nowhere.csv'. ...
    """
    shown = config.relative_to_root(file)
    filled: dict[str, Any] = {}  # what the pipeline passes for parameters a study leaves out
    for decl in declared.values():
        filled |= fill_omitted(decl, {k: v for k, v in parameters.items() if k in decl})
    values = effective_parameters({**filled, **parameters}, declared)
    problems = list(_required(parameters, declared, shown))  # what omitting each means: parameters.omission
    problems += _kinds(values, declared, shown)
    problems += _raw_folder(raw, shown)
    problems += _stage_order(list(declared), shown)
    problems += _files(values, shown)
    for check in (_survey_fields, _participant_fields, _dyad_sources, _review_columns):
        problems += check(values, declared, shown)
    if problems:
        raise ConfigError(problems)


def needs_value(key: str, default: Any) -> bool:
    """Whether a study must give ``key`` itself: the notebook's ``default`` belongs to
    another study (it names a file, or the parameter is the report's title), as
    :func:`peerstudy.pipeline.parameters.omission` declares.

    Examples
    --------
    >>> needs_value("codebook", "data/raw/supporter-survey/codebook.yaml"), needs_value("memos", "")
    (True, False)
    """
    return omission(key, default) == "required"


def _required(
    parameters: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str
) -> Iterator[Problem]:
    """Parameters left out whose default belongs to another study."""
    seen = set()
    for nb, decl in declared.items():
        for key, spec in decl.items():
            if key in parameters or key in seen:
                continue
            default = default_value(spec)
            alternative = ALTERNATIVES.get(key)
            if alternative and parameters.get(alternative):
                continue
            if needs_value(key, default):
                seen.add(key)
                yield Problem(
                    file=shown,
                    field=key,
                    expected="a value for this study",
                    found=f"none (notebooks/{nb}.ipynb would use its default, {default!r}, which belongs to another study)",
                    fix=f"add `{key}: ...` to {shown} ('' or [] where the study has none); "
                    f"`python -m peerstudy new-study` writes every parameter with a comment",
                )


def _kinds(values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str) -> Iterator[Problem]:
    """List items that are not text where the default is a list of text; negative counts."""
    for key, value in values.items():
        defaults = [default_value(decl[key]) for decl in declared.values() if key in decl]
        texts = any(isinstance(d, list) and d and all(isinstance(x, str) for x in d) for d in defaults)
        if texts and isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str) and not (key in _ENTRY_LISTS and isinstance(item, dict)):
                    yield Problem(
                        file=shown,
                        field=f"{key}[{i}]",
                        expected="a name (text)",
                        found=f"{item!r} ({type(item).__name__})",
                        fix="write each item as text (in quotes if YAML reads it as a number or a date)",
                    )
        if key in _COUNTS and isinstance(value, int) and value < 0:
            yield Problem(file=shown, field=key, expected="0 or more", found=repr(value), fix="correct the value")


def _stage_order(notebooks: Sequence[str], shown: str) -> Iterator[Problem]:
    """Each notebook of ``notebooks`` (in order) that needs a processed table which no
    notebook before it writes, with the notebooks of the project that write it."""
    written: set[str] = set()
    for nb in notebooks:
        path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        if not path.is_file():
            continue
        needs, writes = processed_tables(path)
        lacking = sorted(needs - written)
        if lacking:
            writers = sorted(
                p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb") if processed_tables(p)[1] & set(lacking)
            )
            yield Problem(
                file=shown,
                field="notebooks",
                expected=f"a notebook before {nb} that writes what it reads",
                found=f"notebooks/{nb}.ipynb reads {', '.join(lacking)} (processed tables), "
                "which no notebook before it writes",
                fix=f"add {' or '.join(writers) or 'the notebook that writes them'} before {nb} in 'notebooks'",
            )
        written |= writes


def _raw_folder(raw: str | Path, shown: str) -> Iterator[Problem]:
    if not Path(raw).is_dir():
        yield Problem(
            file=shown,
            field="raw",
            expected="the study's raw data folder",
            found=f"no such folder: {config.relative_to_root(raw)!r}",
            fix="create it and put the study's data files in it (see `python -m peerstudy new-study`)",
        )


def _missing(value: str, what: str, key: str, shown: str, *, folder: bool = False) -> Problem | None:
    """A problem when ``value`` (a path from a parameter) names no file (no folder)."""
    path = config.resolve_input(value)
    if path.is_dir() if folder else path.is_file():
        return None
    found = (
        "a folder" if path.is_dir() else "a file" if path.exists() else "no such " + ("folder" if folder else "file")
    )
    return Problem(
        file=shown,
        field=key,
        expected=what,
        found=f"{found}: {value!r}",
        fix="put it there (the README.txt of a study made by `new-study` says which files go where) or correct the path",
    )


def _files(values: Mapping[str, Any], shown: str) -> Iterator[Problem]:
    """Every file and folder the parameters name is there."""
    for key, what in FILE_PARAMETERS.items():
        value = values.get(key)
        if isinstance(value, str) and value.strip():
            problem = _missing(value, what, key, shown)
            if problem:
                yield problem
    for key, what in FILE_LIST_PARAMETERS.items():
        for i, value in enumerate(values.get(key) or []):
            problem = _missing(value, what, f"{key}[{i}]", shown) if isinstance(value, str) else None
            if problem:
                yield problem
    for key in ("exports", "screening_exports"):
        for i, entry in enumerate(values.get(key) or []):
            value = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(value, str) or not value.strip():
                yield Problem(
                    file=shown,
                    field=f"{key}[{i}]",
                    expected="an entry with the file's path under 'file'",
                    found=repr(entry),
                    fix="write each entry as {file: data/raw/<study>/..., ...}",
                )
            elif problem := _missing(value, "an export file", f"{key}[{i}].file", shown):
                yield problem
    yield from _transcripts(values, shown)
    yield from _coding(values, shown)


def _transcripts(values: Mapping[str, Any], shown: str) -> Iterator[Problem]:
    for i, value in enumerate(values.get("transcripts") or []):
        if isinstance(value, dict):
            value = value.get("folder") or value.get("file")
        if not isinstance(value, str):
            continue
        problem = _missing(value, "a folder of transcripts", f"transcripts[{i}]", shown, folder=True)
        if problem:
            yield problem
        elif not any(p.is_file() and not p.name.startswith(".") for p in config.resolve_input(value).iterdir()):
            yield Problem(
                file=shown,
                field=f"transcripts[{i}]",
                expected="a folder holding the transcripts (.txt, .docx, .odt, .vtt, .srt)",
                found=f"an empty folder: {value!r}",
                fix="put the transcripts in it",
            )


def _coding(values: Mapping[str, Any], shown: str) -> Iterator[Problem]:
    if "coding_sheets" in values and not values.get("coding_sheets") and not values.get("qdpx"):
        yield Problem(
            file=shown,
            field="coding_sheets",
            expected="at least one coder sheet (or a REFI-QDA project under qdpx)",
            found="none",
            fix="list the coder sheets, e.g. coding_sheets: [data/raw/<study>/coder-a.csv]",
        )


def _is_file(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and config.resolve_input(value).is_file()


def _declared_fields(fields_file: Any) -> dict[str, str]:
    """The declared fields of a fields file and their types ({} when none can be read)."""
    from peerstudy.io.yamlfiles import read_yaml

    if not isinstance(fields_file, str) or not fields_file:
        return {}
    doc = read_yaml(config.resolve_input(fields_file), what="a fields file (YAML)")
    fields = doc.get("fields") if isinstance(doc, dict) else None
    return {str(k): str((v or {}).get("type", "")) for k, v in fields.items()} if isinstance(fields, dict) else {}


def _undeclared(
    names: Sequence[Any], declared: Mapping[str, str], key: str, fields_file: str, shown: str
) -> list[Problem]:
    return [
        Problem(
            file=shown,
            field=key,
            expected=f"fields declared in {fields_file}",
            found=repr(name),
            fix=f"declare {name!r} under 'fields:' in {fields_file}, or correct {key}",
        )
        for name in names
        if name not in declared
    ]


def _survey_fields(values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str) -> list[Problem]:
    """A survey's free-text fields, its selecting field and its characteristics are declared."""
    if not _is_file(values.get("survey_fields")):
        return []  # a missing fields file is told by _files
    fields_file = values["survey_fields"]
    try:
        fields = _declared_fields(fields_file)
    except PeerstudyError as exc:  # the fields file itself is unreadable (its YAML): told as it is
        return list(exc.problems)
    problems = []
    if "clean-survey" in declared:
        problems += _undeclared(values.get("text_fields") or [], fields, "text_fields", fields_file, shown)
    if values.get("analyse_text_if"):
        problems += _undeclared([values["analyse_text_if"]], fields, "analyse_text_if", fields_file, shown)
    if "results-survey" in declared:
        chosen = values.get("characteristics") or []
        problems += _undeclared(chosen, fields, "characteristics", fields_file, shown)
    return problems


def _participant_fields(
    values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str
) -> list[Problem]:
    """The fields the results notebooks of interview and dyad studies describe, checked as
    they check them (:func:`peerstudy.report.declarations.declared_characteristics`)."""
    checks: list[Callable[[], Any]] = []
    fields_file = values.get("participants_fields", "")
    if not _is_file(fields_file):
        return []  # a missing fields file is told by _files
    from peerstudy.report.declarations import declared_characteristics

    if "results-interviews" in declared:
        band = values.get("band_field") or ""
        derived = [values.get("band_name", "")] if band else []
        if band:
            checks.append(lambda: declared_characteristics(fields_file, [band], parameter="band_field"))
        checks.append(
            lambda: declared_characteristics(fields_file, values.get("characteristics") or [], derived=derived)
        )
    if "results-dyads" in declared:
        role = values.get("role_field") or ""
        checks.append(lambda: declared_characteristics(fields_file, [role], parameter="role_field"))
        checks.append(lambda: declared_characteristics(fields_file, values.get("characteristics") or []))
    problems: list[Problem] = []
    for check in checks:
        try:
            check()
        except PeerstudyError as exc:
            # a problem with a parameter is told in the parameter file; one in the fields file itself (its
            # YAML) where it is
            problems += [_in_study_file(p, shown) if p.field in _FIELD_PARAMETERS else p for p in exc.problems]
    return problems


def _in_study_file(problem: Problem, shown: str) -> Problem:
    """``problem`` located in the parameter file ``shown`` (the parameter is the field),
    the fields file it was found in kept in the fix."""
    where = f" (fields file: {problem.file})" if problem.file and problem.file != shown else ""
    return Problem(
        file=shown,
        row=None,
        field=problem.field,
        expected=problem.expected + where,
        found=problem.found,
        fix=problem.fix,
    )


def _dyad_sources(values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str) -> list[Problem]:
    """A dyad study's sources: each has a known kind; the document attribute ``source`` is declared."""
    if "results-dyads" not in declared:
        return []
    from peerstudy.report.declarations import SOURCE_KINDS

    kinds = values.get("source_kinds") or {}
    problems = [
        Problem(
            file=shown,
            field="source_kinds",
            expected=f"one of {', '.join(map(repr, SOURCE_KINDS))}",
            found=f"{k!r} (for source {s!r})",
            fix="declare each source as one of these kinds",
        )
        for s, k in kinds.items()
        if k not in SOURCE_KINDS
    ]
    for key in ("sources", "shared_views_from"):
        problems += [
            Problem(
                file=shown,
                field=key,
                expected="sources declared in source_kinds",
                found=repr(v),
                fix=f"add {v!r} to source_kinds, or correct the name",
            )
            for v in values.get(key) or []
            if v not in kinds
        ]
    attributes = values.get("document_attributes") or {}
    if "clean-transcripts" in declared and "source" not in attributes:
        problems.append(
            Problem(
                file=shown,
                field="document_attributes",
                expected="a document attribute 'source' (each transcript's header says which source it is)",
                found="none",
                fix="declare e.g. document_attributes: {dyad: text, session: integer, source: [session, interview]}",
            )
        )
    return problems


def _review_columns(values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], shown: str) -> list[Problem]:
    """A review's grouping, tabulated and flag columns are declared extraction columns."""
    if "screen-records" not in declared and "results-review" not in declared:
        return []
    columns = values.get("extraction_columns") or {}
    problems = []
    for key in ("category_column", "design_column"):
        name = values.get(key)
        if name and name not in columns:
            problems.append(_not_a_column(key, name, "a column declared in extraction_columns", shown))
    if values.get("category_column") in columns and not isinstance(columns[values["category_column"]], list):
        problems.append(
            _not_a_column(
                "category_column", values["category_column"], "a column declared as a list of categories", shown
            )
        )
    for figure, name in (values.get("flag_counts") or {}).items():
        if columns.get(name) != "flag":
            problems.append(_not_a_column(f"flag_counts.{figure}", name, "a column declared as flag", shown))
    reason, reasons = values.get("not_retrieved_reason"), values.get("exclusion_reasons") or []
    if reason and reason not in reasons:
        problems.append(_not_a_column("not_retrieved_reason", reason, "one of exclusion_reasons", shown))
    return problems


def _not_a_column(key: str, name: Any, expected: str, shown: str) -> Problem:
    return Problem(
        file=shown,
        field=key,
        expected=expected,
        found=repr(name),
        fix=f"declare it under extraction_columns, or correct {key}"
        if "reason" not in expected
        else "add it to exclusion_reasons",
    )
