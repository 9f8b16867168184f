"""Transcripts and field notes: read, de-identify, split into speaker turns.

A transcript as a transcription service delivers it (``.txt`` or ``.docx``, one line or
paragraph per turn) has a header, a blank line, then turns::

    Transcript: I03 (individual interview)
    Date: 2021-01-26
    Duration: 74 min
    Participants: Interviewer; Han Ji-woo
    Session: 3

    [00:00:05] Interviewer: Thank you for making time today.
    [00:00:31] Han Ji-woo: Thank you for having me.

``Transcript``, ``Date`` and ``Participants`` are required; any other ``Key: value``
header line (``Dyad``, ``Session``, ``Source``, ...) becomes an attribute of the
document, kept when the study declares it. Structured field notes have the same layout,
with the observer as the only speaker. A line that does not start a turn continues the
turn before it. Speakers must be listed in the header. :func:`clean_transcripts` de-identifies every turn and the speaker labels
(:mod:`peerstudy.deid`) and builds, per transcript, one *document* whose text is the
de-identified turns, one per line (``[time] P3: text``), and a *turns* table with each
turn's ``start``/``end`` offsets (code points) of its text in that document, so that
``document.text[start:end] == turn.text``.

Examples
--------
>>> lines = ["Transcript: I01 (individual interview)", "Date: 2021-01-19", "Participants: Interviewer; Ann Lee",
...          "", "[00:00:05] Interviewer: Hello.", "[00:00:09] Ann Lee: Hi, I work in Hwagok-dong."]
>>> t = parse_transcript(lines, file="I01.txt")
>>> t.kind, t.date, t.turns[1]
('individual interview', '2021-01-19', ('00:00:09', 'Ann Lee', 'Hi, I work in Hwagok-dong.', 6))
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date as Date
from pathlib import Path

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.deid import DeidKey, deidentify_all, redaction_table
from peerstudy.errors import InputError, Problem
from peerstudy.readers import check_size, read_text

__all__ = ["Transcript", "CleanTranscripts", "parse_transcript", "read_transcript", "read_transcripts",
           "clean_transcripts"]

_TURN = re.compile(r"^\[(\d{1,2}:\d{2}:\d{2})\]\s*([^:\[\]]+?)\s*:\s?(.*)$")
_HEADER = re.compile(r"^([A-Z][A-Za-z ]{0,30}?)\s*:\s*(.*)$")
_SUFFIXES = (".txt", ".docx")


@dataclass(frozen=True)
class Transcript:
    """One transcript as read: header facts and turns (time, speaker, text, line)."""

    file: str
    id: str
    kind: str
    date: str
    duration: str
    speakers: tuple[str, ...]
    turns: tuple[tuple[str, str, str, int], ...]
    attributes: tuple[tuple[str, str], ...] = ()


def parse_transcript(lines: list[str], *, file: str) -> Transcript:
    """Parse the lines of a transcript; all problems are reported together."""
    problems: list[Problem] = []
    header: dict[str, str] = {}
    header_line: dict[str, int] = {}
    turns: list[list] = []
    body = False
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not body:
            if not line:
                body = bool(header)
                continue
            m = _HEADER.match(line)
            if m and not _TURN.match(line):
                header[m.group(1)] = m.group(2).strip()
                header_line[m.group(1)] = number
                continue
            if _TURN.match(line):
                body = True
            else:
                problems.append(Problem(file=file, row=number, field="header", expected="'Key: value' header lines "
                                        "(Transcript, Date, Duration, Participants), then a blank line",
                                        found=repr(line[:60]),
                                        fix="start the transcript with its header lines and a blank line before the first turn"))
                continue
        if not line:
            continue
        m = _TURN.match(line)
        if m:
            turns.append([m.group(1), m.group(2).strip(), m.group(3).strip(), number])
        elif turns:
            turns[-1][2] = f"{turns[-1][2]} {line}".strip()
        else:
            problems.append(Problem(file=file, row=number, field="turn", expected="a turn '[hh:mm:ss] Speaker: text'",
                                    found=repr(line[:60]), fix="start the first turn with its time and speaker"))
    for key in ("Transcript", "Date", "Participants"):
        if key not in header:
            problems.append(Problem(file=file, row=1, field=key, expected=f"a header line '{key}: …'", found="none",
                                    fix=f"add the line '{key}: …' to the header"))
    if not turns:
        problems.append(Problem(file=file, expected="at least one turn '[hh:mm:ss] Speaker: text'", found="none",
                                fix="check that this is a transcript, and that its turns start with '[hh:mm:ss] Speaker:'"))
    ident, _, kind = header.get("Transcript", "").partition("(")
    ident, kind = ident.strip(), kind.rstrip(")").strip()
    if ident and ident != Path(file).stem:
        problems.append(Problem(file=file, row=header_line["Transcript"], field="Transcript",
                                expected=f"the file's name, {Path(file).stem!r}", found=repr(ident),
                                fix="rename the file or correct the header"))
    try:
        Date.fromisoformat(header.get("Date", ""))
    except ValueError:
        if "Date" in header:
            problems.append(Problem(file=file, row=header_line["Date"], field="Date", expected="a date as YYYY-MM-DD",
                                    found=repr(header["Date"]),
                                    fix="write the date of the session as YYYY-MM-DD, e.g. 2021-03-01"))
    speakers = tuple(s.strip() for s in header.get("Participants", "").split(";") if s.strip())
    previous = ""
    for time, speaker, _text, number in turns:
        if speakers and speaker not in speakers:
            problems.append(Problem(file=file, row=number, field="speaker", expected=f"a speaker from the header ({'; '.join(speakers)})",
                                    found=repr(speaker), fix="correct the speaker label or the header's Participants line"))
        stamp = tuple(int(x) for x in time.split(":"))
        if previous and stamp < previous:
            problems.append(Problem(file=file, row=number, field="time", expected="times that never go back",
                                    found=f"{time} after {':'.join(f'{x:02d}' for x in previous)}",
                                    fix="correct the time stamp, or the order of the turns"))
        previous = stamp
    if problems:
        raise InputError(problems)
    attributes = tuple((k.lower(), v) for k, v in header.items()
                       if k not in ("Transcript", "Date", "Duration", "Participants"))
    return Transcript(file=file, id=ident, kind=kind, date=header["Date"], duration=header.get("Duration", ""),
                      speakers=speakers, turns=tuple(tuple(t) for t in turns), attributes=attributes)


def read_transcript(path: str | Path) -> Transcript:
    """Read a ``.txt`` (UTF-8) or ``.docx`` transcript."""
    p = resolve_input(path)
    shown = relative_to_root(p)
    if p.suffix.lower() == ".docx":
        return parse_transcript(_docx_lines(p, shown), file=shown)
    if p.suffix.lower() == ".txt":
        return parse_transcript(read_text(p, what="a transcript (UTF-8 text)").splitlines(), file=shown)
    raise InputError(Problem(file=shown, expected="a transcript ending in .txt or .docx", found=repr(p.suffix),
                             fix="convert the transcript to .txt or .docx"))


def _docx_lines(path: Path, shown: str) -> list[str]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    if not path.is_file():
        raise InputError(Problem(file=shown, expected="a transcript (.docx)", found="no such file",
                                 fix="check the parameter 'transcripts', or add the file"))
    check_size(path, what="a transcript (.docx)")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
        raise InputError(Problem(file=shown, expected="a Word document (.docx)", found=f"a file Word cannot open ({exc})",
                                 fix="re-save the transcript from the word processor as .docx")) from None
    return [para.text for para in document.paragraphs]


def read_transcripts(folders: str | Path | list[str | Path]) -> list[Transcript]:
    """Every ``.txt`` and ``.docx`` transcript in one or more folders, sorted by date
    then id; all problems in all files are reported together."""
    folders = [folders] if isinstance(folders, (str, Path)) else list(folders)
    files = []
    for folder in folders:
        p = resolve_input(folder)
        if not p.is_dir():
            raise InputError(Problem(file=relative_to_root(p), expected="a folder of transcripts", found="no such folder",
                                     fix="check the parameter 'transcripts'"))
        found = sorted(f for f in p.iterdir() if f.suffix.lower() in _SUFFIXES)
        if not found:
            raise InputError(Problem(file=relative_to_root(p), expected="transcripts (.txt or .docx)", found="none",
                                     fix="check the parameter 'transcripts', or add the transcripts to the folder"))
        files += found
    out, problems = [], []
    for f in files:
        try:
            out.append(read_transcript(f))
        except InputError as exc:
            problems += exc.problems
    ids = Counter(t.id for t in out)
    problems += [Problem(file=", ".join(t.file for t in out if t.id == i), field="Transcript", expected="unique transcript ids",
                         found=f"{i!r} in {n} files",
                         fix="keep one copy of the transcript, or give the others their own id (and file name)")
                 for i, n in ids.items() if n > 1]
    if problems:
        raise InputError(problems)
    return sorted(out, key=lambda t: (t.date, t.id))


@dataclass
class CleanTranscripts:
    """De-identified transcripts.

    Attributes
    ----------
    documents
        One row per transcript: ``document`` and ``transcript`` (its id), ``kind``, ``date``, ``order`` (1 = first by
        date), ``participant`` (pseudonyms, ``"; "``-joined), ``text`` (de-identified).
    turns
        One row per turn: ``turn``, ``document``, ``time``, ``speaker`` (pseudonym or the
        interviewer label), ``start``, ``end``, ``text``.
    redactions
        Replacements made, by kind (see :data:`peerstudy.deid.KINDS`): counts only, in total
        (``replaced``) and per source of text (``text`` of the turns, ``speaker labels``,
        ``ids and file names``, ``header``).
    """

    documents: pd.DataFrame
    turns: pd.DataFrame
    redactions: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Transcripts with their date, kind, speakers and number of turns."""
        turns = self.turns.groupby("document").size().rename("turns")
        return self.documents[["document", "date", "kind", "participant"]].join(turns, on="document")


def clean_transcripts(transcripts: list[Transcript], key: DeidKey, participants: pd.DataFrame | pd.Series, *,
                      interviewer_labels: tuple[str, ...] = ("Interviewer",),
                      attributes: dict[str, str] | None = None) -> CleanTranscripts:
    """De-identify transcripts and split them into turns with offsets.

    Parameters
    ----------
    transcripts
        From :func:`read_transcripts`.
    key
        The reviewed de-identification key.
    participants
        The cleaned participants sheet (its ``participant`` column holds the
        pseudonymous ids), or just those ids; every speaker who is not an interviewer
        must map through ``key`` to one of them.
    interviewer_labels
        Speaker labels of the research team (interviewer, observer), kept as they are.
    attributes
        Header attributes every transcript must have, kept as document columns:
        {name: kind}, kind ``"text"``, ``"integer"`` or a list of the allowed values
        (e.g. ``{"dyad": "text", "session": [1, 3, 9]}``). An attribute that is also a
        column of ``participants`` must hold one of that column's values (a dyad of the
        roster).
    """
    attributes = attributes or {}
    table = participants.to_frame("participant") if isinstance(participants, pd.Series) else participants
    known = set(map(str, table["participant"]))
    problems = []
    docs, turn_rows = [], []
    # de-identification (issue 13): every text a transcript carries, counted per source of text
    sources = {"text": Counter(), "speaker labels": Counter(), "ids and file names": Counter(), "header": Counter()}
    unmatched: dict[tuple[str, str], list[int]] = {}
    for order, t in enumerate(transcripts, 1):
        lines, speakers = [], []
        ident, kind, day = deidentify_all([t.id], key, sources["ids and file names"]) + deidentify_all(
            [t.kind, t.date], key, sources["header"])
        offset = 0
        for i, (time, speaker, text, number) in enumerate(t.turns, 1):
            if speaker in interviewer_labels:
                label = deidentify_all([speaker], key, sources["speaker labels"])[0]
            else:
                label = key.participants.get(speaker)
                if label is None or label not in known:
                    if (t.file, speaker) in unmatched:  # one problem per speaker and transcript
                        unmatched[t.file, speaker][1] += 1
                        continue
                    key_file = key.file or "the key file"
                    if label is None:
                        who, fix = repr(speaker), (f"map {speaker!r} to a pseudonym in {key_file}, or add the label "
                                                   "to interviewer_labels if they are on the research team")
                    else:
                        # the keyed name is not quoted: messages never name a person (issue 13)
                        who, fix = f"a speaker the key maps to {label!r}", (
                            f"add {label!r} to the participants sheet, or correct this speaker's pseudonym in {key_file}")
                    unmatched[t.file, speaker] = [len(problems), 1]
                    problems.append(Problem(file=t.file, row=number, field="speaker", found=who, fix=fix,
                                            expected="a participant of the participants sheet (mapped in the key file)"))
                    continue
                sources["speaker labels"]["participant"] += 1
                if label not in speakers:
                    speakers.append(label)
            clean = deidentify_all([text], key, sources["text"])[0]
            prefix = f"[{time}] {label}: "
            start = offset + len(prefix)
            turn_rows.append({"turn": f"{ident}#{i}", "document": ident, "time": time, "speaker": label,
                              "start": start, "end": start + len(clean), "text": clean})
            lines.append(prefix + clean)
            offset += len(prefix) + len(clean) + 1
        doc = {"document": ident, "transcript": ident, "kind": kind, "date": day, "order": order,
               "participant": "; ".join(sorted(speakers, key=_natural)), "text": "\n".join(lines)}
        found = dict(t.attributes)
        for name, kind in attributes.items():
            value = found.get(name)
            allowed = [str(v) for v in kind] if isinstance(kind, list) else None
            numeric = kind == "integer" or allowed is not None and all(a.isdigit() for a in allowed)
            if value is None or numeric and not value.isdigit() or allowed is not None and value not in allowed:
                expected = f"a header line '{name.capitalize()}: …'"
                expected += f" with one of {', '.join(allowed)} (as the study declares)" if allowed else (
                    " with a whole number" if numeric else "")
                problems.append(Problem(file=t.file, field=name.capitalize(), expected=expected,
                                        found=repr(value) if value is not None else "none",
                                        fix="correct the header line, or the study's document_attributes"))
                continue
            if name in table and value not in set(map(str, table[name].dropna())):
                problems.append(Problem(file=t.file, field=name.capitalize(),
                                        expected=f"a {name} of the participants sheet", found=repr(value),
                                        fix=f"add the {name} to the participants sheet, or correct the header line"))
                continue
            clean_value = deidentify_all([value], key, sources["header"])[0]
            doc[name] = int(value) if numeric else clean_value
        docs.append(doc)
    for index, n_turns in unmatched.values():
        if n_turns > 1:
            problems[index] = replace(problems[index], found=f"{problems[index].found} (in {n_turns} turns, the first here)")
    if problems:
        raise InputError(problems)
    redactions = redaction_table(sources)
    documents = pd.DataFrame(docs).astype({"document": "string", "transcript": "string", "kind": "string", "date": "string",
                                           "order": "int64", "participant": "string", "text": "string"})
    turns = pd.DataFrame(turn_rows).astype({"start": "int64", "end": "int64"})
    return CleanTranscripts(documents=documents, turns=turns, redactions=redactions)


def _natural(label: str) -> tuple:
    m = re.match(r"^([A-Za-z]*)(\d+)$", label)
    return (m.group(1), int(m.group(2))) if m else (label, 0)
