"""Transcript files to :class:`~peerstudy.cleaning.transcripts.model.Transcript`: document facts and turns.

Document facts (id, kind, date, duration, participants, and attributes such as the
session) come from any of three places, which must agree where they overlap:

1. the header block at the top of a text transcript (``Transcript: I03 (individual
   interview)``, ``Date:``, ``Participants: Interviewer; Ann Lee``, ``Session: 3``, ...);
2. the file's name, by the study's ``file_pattern`` (named groups);
3. a sidecar sheet (CSV: ``file``, then ``id``, ``date``, ``kind``, ``participants``, ...).

A transcript with a header block needs its ``Transcript``, ``Date`` and ``Participants``
lines unless the file name or the sidecar gives them (today's layout keeps working). A
transcript without one takes its id from the file name when nothing else gives it, and
needs a date from somewhere; its participants are then the speakers found.

Examples
--------
>>> lines = ["Transcript: I01 (individual interview)", "Date: 2021-01-19", "Participants: Interviewer; Ann Lee",
...          "", "[00:00:05] Interviewer: Hello.", "[00:00:09] Ann Lee: Hi, I work in Hwagok-dong."]
>>> t = parse_transcript(lines, file="I01.txt")
>>> t.kind, t.date, t.turns[1]
('individual interview', '2021-01-19', ('00:00:09', 'Ann Lee', 'Hi, I work in Hwagok-dong.', 6))
>>> untimed = ["INTERVIEWER: Hello.", "ANN LEE: Hi."]
>>> t = parse_transcript(untimed, file="I02_2021-01-20.txt",
...                      layout={"file_pattern": r"(?P<id>I\\d+)_(?P<date>[\\d-]+)"})
>>> t.id, t.date, t.speakers, [turn[2] for turn in t.turns], t.spans
('I02', '2021-01-20', ('INTERVIEWER', 'ANN LEE'), ['Hello.', 'Hi.'], ((13, 19), (29, 32)))
"""

from __future__ import annotations

from collections import Counter
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from peerstudy.cleaning.transcripts.cues import split_lines
from peerstudy.cleaning.transcripts.model import FACTS, UNATTRIBUTED, Layout, Transcript, read_layout
from peerstudy.cleaning.transcripts.sources import REFUSED_SUFFIXES, SUFFIXES, Source, read_source
from peerstudy.cleaning.transcripts.turns import cue_turns, parse_body, split_header
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.rawdata import is_system_file
from peerstudy.io.readers import read_csv_table

__all__ = ["parse_transcript", "read_transcript", "read_transcripts"]

Facts = tuple[str, dict[str, str], dict[str, int]]  # where, values by fact, row of each


def parse_transcript(lines: list[str], *, file: str, layout: dict[str, Any] | Layout | None = None) -> Transcript:
    """Parse the lines of a text transcript; all problems are reported together.

    Parameters
    ----------
    lines
        The transcript's lines (the source text is these joined by ``"\\n"``).
    file
        Its file name as shown in messages (its name gives the id, and the facts of
        ``layout.file_pattern``).
    layout
        How facts and speakers are declared (:class:`~peerstudy.cleaning.transcripts.model.Layout`);
        a sidecar sheet is read from ``layout.sidecar``.
    """
    layout = read_layout(layout)
    source = Source(file, "text", "\n".join(lines))
    outside = _outside_facts(Path(file).name, layout, _read_sidecar(layout.sidecar) if layout.sidecar else None)
    return build_transcript(source, layout=layout, outside=outside)


def build_transcript(source: Source, *, layout: Layout, outside: tuple[list[Facts], list[Problem]]) -> Transcript:
    """A transcript from a source read and the facts from outside it (file name, sidecar)."""
    facts_from, problems = list(outside[0]), list(outside[1])
    stem = Path(source.file).stem
    header = None
    if source.cues is None:
        lines = split_lines(source.text)
        header = split_header(lines, file=source.file, speakers=_declared(facts_from) or (), problems=problems)
        if header.present:
            facts_from.insert(0, _header_facts(header))
        lines = lines[header.body_from :]
    facts, attributes = _merge(facts_from, source.file, problems, layout)
    declared = tuple(s.strip() for s in facts.get("participants", "").split(";") if s.strip()) or None
    where = facts.get("participants@") or "the header"
    labels = dict(layout.speaker_labels)
    if source.cues is None:
        body = parse_body(lines, file=source.file, declared=declared, labels=labels, declared_where=where)
    else:
        body = cue_turns(source.cues, file=source.file, declared=declared, labels=labels, declared_where=where)
    problems += _missing_facts(source.file, header, facts, facts_from) + body.problems
    if not body.turns:
        problems.append(
            Problem(
                file=source.file,
                expected="at least one turn '[hh:mm:ss] Speaker: text'",
                found="none",
                fix="check that this is a transcript, and that its turns start with '[hh:mm:ss] Speaker:'",
            )
        )
    if problems:
        raise InputError(problems)
    speakers = declared or tuple(dict.fromkeys(t.speaker for t in body.turns if t.speaker != UNATTRIBUTED))
    return Transcript(
        file=source.file,
        id=facts.get("id") or stem,
        kind=facts.get("kind", ""),
        date=facts["date"],
        duration=facts.get("duration", ""),
        speakers=speakers,
        turns=tuple((t.time, t.speaker, t.text, t.line) for t in body.turns),
        attributes=tuple(attributes.items()),
        spans=tuple(body.spans),
        format=source.format,
        source_text=source.text,
        source_offsets=layout.source_offsets,
    )


def _missing_facts(file: str, header, facts: dict[str, str], facts_from: list[Facts]) -> list[Problem]:
    """Header lines a transcript with a header needs (unless given elsewhere), an id in the
    header that is not the file's name, and a date missing everywhere."""
    problems = []
    present = header is not None and header.present
    for key, fact in (("transcript", "id"), ("date", "date"), ("participants", "participants")):
        if present and fact not in facts and key not in header.values:
            name = key.capitalize()
            problems.append(
                Problem(
                    file=file,
                    row=1,
                    field=name,
                    expected=f"a header line '{name}: …'",
                    found="none",
                    fix=f"add the line '{name}: …' to the header",
                )
            )
    ident, stem = facts.get("id", ""), Path(file).stem
    if ident and ident != stem and facts.get("id@") == "the header" and not _id_outside(facts_from):
        problems.append(
            Problem(
                file=file,
                row=header.rows.get("transcript", header.rows.get("id")),
                field="Transcript",
                expected=f"the file's name, {stem!r}",
                found=repr(ident),
                fix="rename the file or correct the header",
            )
        )
    if "date" not in facts and not present:
        problems.append(
            Problem(
                file=file,
                field="date",
                expected="the transcript's date: a header line 'Date: …', a 'date' group in the study's "
                "file_pattern, or a 'date' column in its sidecar sheet",
                found="none",
                fix="declare the date in one of these places",
            )
        )
    return problems


def _declared(facts_from: list[Facts]) -> tuple[str, ...] | None:
    """Participants declared outside the transcript (file name, sidecar sheet)."""
    for _, values, _ in facts_from:
        names = tuple(s.strip() for s in values.get("participants", "").split(";") if s.strip())
        if names:
            return names
    return None


def _id_outside(facts_from: list[Facts]) -> bool:
    return any(values.get("id") for where, values, _ in facts_from if where != "the header")


def _header_facts(header) -> Facts:
    values, rows = {}, {}
    for key, value in header.values.items():
        if key == "transcript":
            ident, _, kind = value.partition("(")
            values["id"], rows["id"] = ident.strip(), header.rows[key]
            if kind.strip():
                values["kind"], rows["kind"] = kind.rstrip(")").strip(), header.rows[key]
        else:
            values[key], rows[key] = value, header.rows[key]
    return "the header", values, rows


def _merge(
    facts_from: list[Facts], file: str, problems: list[Problem], layout: Layout
) -> tuple[dict[str, str], dict[str, str]]:
    """Facts from every source, checked to agree; dates checked and kept as YYYY-MM-DD.
    ``facts["<fact>@"]`` names the source of each fact."""
    facts: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for where, values, rows in facts_from:
        for key, value in values.items():
            value = value.strip()
            if not value:
                continue
            if key == "date":
                date = _check_date(value, where=where, row=rows.get(key), file=file, layout=layout, problems=problems)
                if date is None:
                    continue
                value = date
            if key == "participants":
                value = "; ".join(s.strip() for s in value.split(";") if s.strip())
            target = facts if key in FACTS else attributes
            if key in target and target[key] != value:
                first = facts.get(f"{key}@") or attributes.get(f"{key}@")
                problems.append(
                    Problem(
                        file=file,
                        row=rows.get(key),
                        field=key,
                        expected=f"the same {key} in {first} and {where}",
                        found=f"{target[key]!r} and {value!r}",
                        fix="correct one of the two",
                    )
                )
                continue
            target[key] = value
            (facts if key in FACTS else attributes)[f"{key}@"] = where
    return facts, {k: v for k, v in attributes.items() if not k.endswith("@")}


def _check_date(
    value: str, *, where: str, row: int | None, file: str, layout: Layout, problems: list[Problem]
) -> str | None:
    """The date as YYYY-MM-DD (as written when no ``date_format`` is declared), or None
    after recording a problem."""
    try:
        if layout.date_format is None:
            Date.fromisoformat(value)
            return value
        return datetime.strptime(value, layout.date_format).date().isoformat()
    except ValueError:
        shape = "YYYY-MM-DD" if layout.date_format is None else f"{layout.date_format} (the study's date_format)"
        field = "Date" if where == "the header" else "date"
        problems.append(
            Problem(
                file=file,
                row=row,
                field=field,
                expected=f"a date as {shape}",
                found=repr(value),
                fix=f"write the date of the session as {shape}, e.g. "
                f"{Date(2021, 3, 1).strftime(layout.date_format or '%Y-%m-%d')}",
            )
        )
        return None


def _outside_facts(name: str, layout: Layout, sidecar: dict[str, Facts] | None) -> tuple[list[Facts], list[Problem]]:
    """Facts from the file's name (``file_pattern``) and its sidecar row."""
    facts: list[Facts] = []
    problems: list[Problem] = []
    if layout.file_pattern is not None:
        stem = Path(name).stem
        m = layout.file_pattern.fullmatch(stem)
        if m is None:
            problems.append(
                Problem(
                    file=name,
                    field="file name",
                    expected=f"a name matching the study's file_pattern {layout.file_pattern.pattern!r}",
                    found=repr(stem),
                    fix="rename the file, or correct the file_pattern",
                )
            )
        else:
            values = {k.lower(): v for k, v in m.groupdict().items() if v}
            facts.append(("the file name", values, {}))
    if sidecar is not None:
        if name not in sidecar:
            problems.append(
                Problem(
                    file=layout.sidecar,
                    field="file",
                    expected=f"a row for the transcript {name!r}",
                    found="none",
                    fix="add a row for the file to the sidecar sheet",
                )
            )
        else:
            facts.append(sidecar[name])
    return facts, problems


def _read_sidecar(path: str) -> dict[str, Facts]:
    """The sidecar sheet's rows by file name; a file named twice is a problem."""
    table = read_csv_table(path, required=["file"], parameter="transcripts")
    shown = relative_to_root(resolve_input(path))
    rows: dict[str, Facts] = {}
    problems = []
    for label, record in table.iterrows():
        row = int(cast(int, label))  # the index is the sheet's row number (the stubs know only Hashable)
        name = record["file"].strip()
        if name in rows:
            problems.append(
                Problem(
                    file=shown,
                    row=row,
                    field="file",
                    expected="one row per transcript",
                    found=f"{name!r} again",
                    fix="keep one row for the file",
                )
            )
            continue
        values = {str(k).strip().lower(): str(v) for k, v in record.items() if k != "file"}
        rows[name] = (f"the sidecar sheet {shown} (row {row})", values, {k: row for k in [*values, "file"]})
    if problems:
        raise InputError(problems)
    return rows


def read_transcript(path: str | Path, *, layout: dict[str, Any] | Layout | None = None) -> Transcript:
    """Read one transcript file (``.txt``, ``.docx``, ``.odt``, ``.vtt``, ``.srt``),
    recognising its format from its content.

    Examples
    --------
    >>> read_transcript("tests/fixtures/mini-interviews/transcripts/I01.txt").turns[0]
    ('00:00:03', 'Interviewer', 'How did it start?', 6)
    """
    layout = read_layout(layout)
    sidecar = _read_sidecar(layout.sidecar) if layout.sidecar else None
    source = read_source(path)
    return build_transcript(source, layout=layout, outside=_outside_facts(Path(path).name, layout, sidecar))


def _folders(folders: Any, layout: Layout | dict | None) -> list[tuple[Path, Layout]]:
    items = [folders] if isinstance(folders, (str, Path, dict)) else list(folders)
    out = []
    for item in items:
        if isinstance(item, dict):
            settings = {k: v for k, v in item.items() if k != "folder"}
            if not isinstance(item.get("folder"), str):
                raise InputError(
                    Problem(
                        field="transcripts",
                        expected="a folder, or a mapping with 'folder' and the layout's keys",
                        found=repr(item),
                        fix="add 'folder: <path>' to the entry",
                    )
                )
            out.append((resolve_input(item["folder"]), read_layout(settings, where=f"transcripts ({item['folder']})")))
        else:
            out.append((resolve_input(item), read_layout(layout)))
    return out


def _folder_files(folder: Path, layout: Layout, problems: list[Problem]) -> tuple[list[Path], dict[str, Facts] | None]:
    """The transcript files of a folder and its sidecar sheet's rows; a row naming no file
    is a problem. Files that no one saved as a transcript are not read: hidden ones
    (``.DS_Store``, macOS's ``._I01.docx`` beside a copied ``I01.docx``) and the lock file
    Word keeps while a document is open (``~$I01.docx``)."""
    if not folder.is_dir():
        raise InputError(
            Problem(
                file=relative_to_root(folder),
                expected="a folder of transcripts",
                found="no such folder",
                fix="check the parameter 'transcripts'",
            )
        )
    found = sorted(
        f
        for f in folder.iterdir()
        if (f.suffix.lower() in SUFFIXES or f.suffix.lower() in REFUSED_SUFFIXES)
        and not (f.name.startswith(".") or is_system_file(f.name))
    )
    if not found:
        raise InputError(
            Problem(
                file=relative_to_root(folder),
                expected="transcripts (.txt, .docx, .odt, .vtt or .srt)",
                found="none",
                fix="check the parameter 'transcripts', or add the transcripts to the folder",
            )
        )
    if not layout.sidecar:
        return found, None
    sidecar = _read_sidecar(layout.sidecar)
    names = {f.name for f in found}
    shown = relative_to_root(resolve_input(layout.sidecar))
    problems += [
        Problem(
            file=shown,
            row=rows["file"],
            field="file",
            expected=f"a transcript in {relative_to_root(folder)}",
            found=f"{name!r}: no such file",
            fix="add the file, or remove its row",
        )
        for name, (_, _, rows) in sidecar.items()
        if name not in names
    ]
    return found, sidecar


def read_transcripts(
    folders: str | Path | dict | list, *, layout: dict[str, Any] | Layout | None = None
) -> list[Transcript]:
    """Every transcript in one or more folders, sorted by date then id; all problems in
    all files are reported together.

    Parameters
    ----------
    folders
        A folder, or a list of folders; an entry may be a mapping ``{folder: ...,
        file_pattern: ..., date_format: ..., sidecar: ..., speaker_labels: ...,
        source_offsets: ...}`` that declares how that folder's transcripts are laid out
        (see :class:`~peerstudy.cleaning.transcripts.model.Layout`).
    layout
        The layout of the folders given as plain paths (default: facts from the header).
    """
    files: list[tuple[Path, Layout, dict[str, Facts] | None]] = []
    problems: list[Problem] = []
    for folder, folder_layout in _folders(folders, layout):
        found, sidecar = _folder_files(folder, folder_layout, problems)
        files += [(f, folder_layout, sidecar) for f in found]
    out = []
    for f, folder_layout, sidecar in files:
        try:
            source = read_source(f)
            out.append(
                build_transcript(source, layout=folder_layout, outside=_outside_facts(f.name, folder_layout, sidecar))
            )
        except InputError as exc:
            problems += exc.problems
    ids = Counter(t.id for t in out)
    problems += [
        Problem(
            file=", ".join(t.file for t in out if t.id == i),
            field="Transcript",
            expected="unique transcript ids",
            found=f"{i!r} in {n} files",
            fix="keep one copy of the transcript, or give the others their own id (and file name)",
        )
        for i, n in ids.items()
        if n > 1
    ]
    if problems:
        raise InputError(problems)
    return sorted(out, key=lambda t: (t.date, t.id))
