"""Lines of a transcript to its header block and its speaker turns; caption cues to turns.

A text transcript (``.txt``, or the text of a ``.docx``/``.odt``) may start with a header
block of ``Key: value`` lines (it is one when it holds one of ``Transcript``, ``Id``,
``Date``, ``Duration``, ``Participants``, ``Kind`` or ``Session``), ended by a blank line
or the first turn. Turns are written in one of three ways, decided by the first turn:

- timed: ``[00:01:02] Speaker: text``; also ``[01:02]``, ``(01:02)``, ``(0:01:02)`` or a
  bare ``00:01:02`` before the speaker, ``**Speaker**`` or ``**Speaker:**`` in bold,
  a tab instead of the colon (a table row). A line without a time continues the turn
  before, unless it starts with a declared speaker (``Interviewer: ...``, a table row
  ``Ann Lee | text``): that is a turn of its own, without a time, never added to the
  turn of someone else.
- labelled: ``Speaker: text``, ``SPEAKER: text``, ``**Speaker** text``, ``Speaker
  (00:01:02): text``; a time before the speaker is allowed too. A line starts a turn
  when its label looks like a name (at most four words, each capitalised, as
  ``Ana Moreno``, ``INTERVIEWER``, ``Speaker 2``, ``P1``) or is a declared speaker; an
  indented line always continues the turn before.
- headed (Otter, Word): a line holding only the speaker and a time (``Ana Moreno
  00:01:02``, ``Speaker 1  0:03``, or the time first: ``00:01:02 Speaker 1``,
  ``[00:01:02] Ana Moreno``) or only ``**Speaker**``; the lines after it are the turn's
  text.

Times are kept as ``hh:mm:ss`` (``(01:02)`` becomes ``00:01:02``) and must never go
back. Microsoft Teams' title, date and duration above the first turn, and its lines saying
who started or stopped the transcription, are not part of the conversation and are left
out. The time marks of f4/f5transkript (``#00:01:02-3#``, at the end of a paragraph)
are left out of the text; the first one in a turn without a time is the turn's time.
Speakers are matched to the declared participants ignoring case (``INTERVIEWER`` is
``Interviewer``); labels such as ``I``/``R`` are mapped as the study declares. Caption cues become turns: consecutive cues of one speaker are one turn; a
cue without a speaker is a turn of :data:`~peerstudy.cleaning.transcripts.model.UNATTRIBUTED`.

Examples
--------
>>> lines = [(1, 0, "I: How did it start?"), (2, 21, "R: Slowly."), (3, 32, "  Then faster.")]
>>> body = parse_body(lines, file="a.txt", declared=("Interviewer", "Ann"),
...                   labels={"I": "Interviewer", "R": "{participant}"})
>>> [(t.speaker, t.text) for t in body.turns]
[('Interviewer', 'How did it start?'), ('Ann', 'Slowly. Then faster.')]
>>> body.spans[1]
(24, 46)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from peerstudy.cleaning.transcripts.cues import Cue
from peerstudy.cleaning.transcripts.model import UNATTRIBUTED, Turn
from peerstudy.errors import Problem

__all__ = ["Body", "HeaderBlock", "cue_turns", "normalise_time", "parse_body", "seconds", "split_header"]

_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]{0,30}?)\s*:\s*(.*)$")
#: Header keys that make the first block of lines a header.
CORE_KEYS = ("transcript", "id", "date", "duration", "participants", "kind", "session")
_STAMP = r"\d{1,2}(?::\d{2}){1,2}(?:\.\d{1,3})?"
_TIME = rf"(?:\[(?P<b>{_STAMP})\]|\((?P<p>{_STAMP})\)|(?P<n>\d{{1,2}}:\d{{2}}:\d{{2}})(?=\s))"
_TIMED = re.compile(
    rf"^{_TIME}\s*(?:\*\*(?P<bold>[^*]+?)\*\*\s*:?|(?P<label>[^:\[\]\t*][^:\[\]\t]*?)\s*(?::|\t))\s?"
    r"(?P<text>.*)$"
)
_LABELLED = re.compile(
    rf"^(?:{_TIME}\s*)?(?:\*\*(?P<bold>[^*]+?)\*\*\s*:?|(?P<label>[^\s:\[\]()*][^:\[\]\t*]{{0,40}}?)"
    rf"(?:\s*[\[(](?P<t>{_STAMP})[\])])?\s*(?::(?!\d)|\t))\s?(?P<text>.*)$"
)
_HEADING = re.compile(
    rf"^(?:\*\*(?P<bold>[^*]+?)\*\*|(?P<label>[^\s:\[\]()*][^:\[\]\t*]{{0,40}}?)[ \t]+"
    rf"(?:(?P<t>{_STAMP})|[\[(](?P<t2>{_STAMP})[\])]))$"
    # or the time first: "00:00:03 Speaker 1", "[00:00:03] Ana Moreno"
    rf"|^(?:(?P<t3>{_STAMP})|[\[(](?P<t4>{_STAMP})[\])])[ \t]+(?P<label2>[^\s:\[\]()*][^:\[\]\t*]{{0,40}}?)$"
)
#: A time mark of f4/f5transkript (audiotranskription.de), which MAXQDA also reads:
#: ``#00:01:02-3#`` (tenths after the hyphen), written at the end of a paragraph.
_MARK = re.compile(r"[ \t]*#(?P<mark>\d{1,2}:\d{2}:\d{2})(?:-\d)?#")
_TRAILING_MARK = re.compile(_MARK.pattern + r"\s*$")
#: Microsoft Teams' transcript (.docx): above the first turn the meeting's title, date and
#: duration ("45m 12s"); lines saying who started or stopped the transcription.
_TEAMS_DURATION = re.compile(r"^(?:\d+h )?\d+m \d+s$")
_TEAMS_NOTICE = re.compile(r"^(?P<who>\S.{0,80}) (?:started|stopped) transcription$")
_FIRST_TURN = "a turn ('[hh:mm:ss] Speaker: text', 'Speaker: text', or a line 'Speaker  00:01:02' followed by the text)"


@dataclass
class HeaderBlock:
    """The header block: values by lower-case key, the row of each, the keys as written,
    and the index of the first body line."""

    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    body_from: int = 0
    present: bool = False


@dataclass
class Body:
    """Turns, their source spans and the problems found."""

    turns: list[Turn] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def normalise_time(stamp: str) -> str:
    """``hh:mm:ss`` (with the fraction as written) from ``h:mm:ss``, ``mm:ss`` or ``m:ss``.

    Examples
    --------
    >>> normalise_time("1:02"), normalise_time("0:01:02"), normalise_time("01:02:03.5")
    ('00:01:02', '00:01:02', '01:02:03.5')
    """
    whole, dot, fraction = stamp.partition(".")
    parts = [int(x) for x in whole.split(":")]
    hours, minutes, secs = ([0] * (3 - len(parts)) + parts)[-3:]
    return f"{hours:02d}:{minutes:02d}:{secs:02d}" + (f".{fraction}" if dot else "")


def seconds(stamp: str) -> float:
    """Seconds from the start, for comparing times.

    Examples
    --------
    >>> seconds("01:00:02.500")
    3602.5
    """
    parts = stamp.split(":")
    return sum(float(x) * 60**i for i, x in enumerate(reversed(parts)))


def split_header(
    lines: list[tuple[int, int, str]], *, file: str, speakers: tuple[str, ...] = (), problems: list[Problem]
) -> HeaderBlock:
    """Find the header block at the top of ``lines``; a line of the block that is not
    ``Key: value`` is a problem."""
    header = HeaderBlock()
    start = next((i for i, (_, _, raw) in enumerate(lines) if raw.strip()), len(lines))
    block = []
    for _, _, raw in lines[start:]:
        if not raw.strip():
            break
        block.append(raw.strip())
    header.present = any((m := _HEADER.match(line)) and m.group(1).strip().lower() in CORE_KEYS for line in block)
    if not header.present:
        header.body_from = start
        return header
    known = {s.lower() for s in speakers}
    header.body_from = len(lines)
    for i in range(start, len(lines)):
        row, _, raw = lines[i]
        line = raw.strip()
        if not line:
            header.body_from = i + 1
            break
        m = _HEADER.match(line)
        key = m.group(1).strip().lower() if m else ""
        declared = known | {s.lower() for s in _split_names(header.values.get("participants", ""))}
        if _TIMED.match(line) or m and key in declared and key not in CORE_KEYS:
            header.body_from = i
            break
        if not m:
            problems.append(
                Problem(
                    file=file,
                    row=row,
                    field="header",
                    expected="'Key: value' header lines (Transcript, Date, Duration, Participants), then a blank line",
                    found=repr(line[:60]),
                    fix="start the transcript with its header lines and a blank line before the first turn",
                )
            )
            continue
        if key in header.values and header.values[key] != m.group(2).strip():
            problems.append(
                Problem(
                    file=file,
                    row=row,
                    field=m.group(1).strip(),
                    expected="each header line once",
                    found=f"a second {m.group(1).strip()!r} line (row {header.rows[key]} has one)",
                    fix="keep one of the two lines",
                )
            )
            continue
        header.values[key], header.rows[key], header.names[key] = m.group(2).strip(), row, m.group(1).strip()
    return header


def _split_names(value: str) -> list[str]:
    return [s.strip() for s in value.split(";") if s.strip()]


def _speaker_shaped(label: str) -> bool:
    """A label that looks like a name: one to four words, none starting in lower case."""
    words = label.split()
    return 0 < len(words) <= 4 and all(w[0].isalnum() and not w[0].islower() or w[0] == "(" for w in words)


def _match(raw: str, style: str | None, known: dict[str, str]) -> tuple[str, re.Match] | None:
    """The kind of turn start ``raw`` is under ``style`` (``timed``, ``labelled``,
    ``headed``; ``None`` before the first turn), with its match."""
    line = raw.strip()
    if style in (None, "timed", "labelled"):
        m = _TIMED.match(line)
        if m:
            return "timed", m
    if style in (None, "labelled", "timed") and not (style and raw[:1].isspace()):
        m = _LABELLED.match(line)
        if m:
            label = _label_of(m)
            if label.lower() in known or style != "timed" and _speaker_shaped(label):
                return "labelled", m
    if style in (None, "headed"):
        m = _HEADING.match(line)
        if m:
            label = _label_of(m)
            if _speaker_shaped(label) or label.lower() in known:
                return "headed", m
    return None


def _label_of(m: re.Match) -> str:
    """The speaker label of a turn start (a bold label may hold its colon: ``**Ann:**``)."""
    label = (m.group("bold") or "").strip().rstrip(":").strip() or (m.group("label") or "").strip()
    return label or ((m.group("label2") or "").strip() if "label2" in m.re.groupindex else "")


def _time_of(m: re.Match) -> str:
    found = next(
        (m.group(g) for g in ("b", "p", "n", "t", "t2", "t3", "t4") if g in m.re.groupindex and m.group(g)), None
    )
    return normalise_time(found) if found else ""


def parse_body(
    lines: list[tuple[int, int, str]],
    *,
    file: str,
    declared: tuple[str, ...] | None,
    labels: dict[str, str],
    declared_where: str = "the header",
) -> Body:
    """Turns from the body lines (``(row, offset, line)``); a speaker not declared (when
    speakers are declared) and a time that goes back are problems."""
    body = Body()
    known = {s.lower(): s for s in declared or ()} | {k.lower(): k for k in labels}
    style = None
    open_turn: list | None = None  # time, label, text parts, row, start, end
    before: list[tuple[int, str]] = []  # lines before the first turn
    for row, offset, raw in lines:
        line = raw.strip()
        if not line or ((notice := _TEAMS_NOTICE.match(line)) and _speaker_shaped(notice["who"])):
            continue
        lead = offset + len(raw) - len(raw.lstrip())
        found = _match(raw, style, known)
        if found:
            style = style or found[0]
            m = found[1]
            text = m.group("text") if "text" in m.re.groupindex else ""
            text_at = lead + (
                m.start("text") + len(text) - len(text.lstrip()) if "text" in m.re.groupindex else len(line)
            )
            if open_turn:
                _close(body, open_turn)
            label = _label_of(m)
            text, mark = _without_marks(text)
            end = lead + _content_end(line)
            open_turn = [_time_of(m) or mark, label, [text.strip()], row, text_at if text.strip() else None, end]
        elif open_turn:
            text, mark = _without_marks(line)
            open_turn[2].append(text)  # joined with spaces when the turn closes
            open_turn[0] = open_turn[0] or mark
            open_turn[4] = lead if open_turn[4] is None else open_turn[4]
            open_turn[5] = lead + _content_end(line)
        else:
            before.append((row, line))
    if open_turn:
        _close(body, open_turn)
    if before and body.turns and any(_TEAMS_DURATION.match(line) for _, line in before[:4]):
        before = []  # Teams' title, date and duration: not part of the conversation
    if before:  # one problem, however many lines come before the first turn
        more = f" (and {len(before) - 1} more line(s) before the first turn)" if len(before) > 1 else ""
        body.problems.append(
            Problem(
                file=file,
                row=before[0][0],
                field="turn",
                expected=_FIRST_TURN,
                found=repr(before[0][1][:60]) + more,
                fix="start the first turn with its speaker (and time)",
            )
        )
    body.turns = [
        t._replace(speaker=_resolve(t, file, declared, labels, known, declared_where, body.problems))
        for t in body.turns
    ]
    _check_times(body.turns, file, body.problems)
    return body


def _without_marks(text: str) -> tuple[str, str]:
    """``text`` without its f4 time marks (:data:`_MARK`), and the first mark as
    ``hh:mm:ss`` ("" when there is none).

    Examples
    --------
    >>> _without_marks("Slowly, at first. #00:00:12-8#")
    ('Slowly, at first.', '00:00:12')
    """
    found = _MARK.search(text)
    if not found:
        return text, ""
    return _MARK.sub("", text).strip(), normalise_time(found["mark"])


def _content_end(line: str) -> int:
    """Where what was said on ``line`` (stripped) ends: before the time marks at its end."""
    while (found := _TRAILING_MARK.search(line)) is not None:
        line = line[: found.start()]
    return len(line)


def _close(body: Body, turn: list) -> None:
    time, label, parts, row, start, end = turn
    body.turns.append(Turn(time, label, " ".join(parts).strip(), row))
    body.spans.append((end if start is None else start, end))


def _resolve(
    turn: Turn,
    file: str,
    declared: tuple[str, ...] | None,
    labels: dict[str, str],
    known: dict[str, str],
    declared_where: str,
    problems: list[Problem],
) -> str:
    """The speaker a label stands for: a mapped label, a declared speaker (any case), or
    the label itself (a problem when speakers are declared and it is not one of them)."""
    label = turn.speaker
    mapped = labels.get(label) or next((v for k, v in labels.items() if k.lower() == label.lower()), None)
    if mapped == "{participant}":
        others = [s for s in declared or () if s not in labels.values()]
        if len(others) == 1:
            return others[0]
        problems.append(
            Problem(
                file=file,
                row=turn.line,
                field="speaker",
                expected=f"one participant for the label {label!r} ('{{participant}}': the one "
                "participant no other label names)",
                found=f"{len(others)} ({'; '.join(others)})" if others else "no participants declared",
                fix="declare the transcript's participants, or map the label to a name",
            )
        )
        return label
    if mapped:
        return mapped
    if declared:
        if label in declared:
            return label
        if label.lower() in known and known[label.lower()] in declared:
            return known[label.lower()]
        problems.append(
            Problem(
                file=file,
                row=turn.line,
                field="speaker",
                expected=f"a speaker from {declared_where} ({'; '.join(declared)})",
                found=repr(label),
                fix="correct the speaker label or the header's Participants line",
            )
        )
    return label


def _check_times(turns: list[Turn], file: str, problems: list[Problem]) -> None:
    previous = None
    for turn in turns:
        if not turn.time:
            continue
        if previous is not None and seconds(turn.time) < seconds(previous):
            problems.append(
                Problem(
                    file=file,
                    row=turn.line,
                    field="time",
                    expected="times that never go back",
                    found=f"{turn.time} after {previous}",
                    fix="correct the time stamp, or the order of the turns",
                )
            )
        previous = turn.time


def cue_turns(
    cues: tuple[Cue, ...],
    *,
    file: str,
    declared: tuple[str, ...] | None,
    labels: dict[str, str],
    declared_where: str = "the sidecar sheet",
) -> Body:
    """Turns from caption cues: consecutive cues of one speaker joined, a cue without a
    speaker an unattributed turn of its own, empty cues left out."""
    body = Body()
    known = {s.lower(): s for s in declared or ()} | {k.lower(): k for k in labels}
    for cue in cues:
        if not cue.text:
            continue
        speaker = UNATTRIBUTED
        if cue.voice:
            speaker = _resolve(
                Turn(cue.time, cue.voice, cue.text, cue.row),
                file,
                declared,
                labels,
                known,
                declared_where,
                body.problems,
            )
        if body.turns and speaker != UNATTRIBUTED and body.turns[-1].speaker == speaker:
            last = body.turns[-1]
            body.turns[-1] = last._replace(text=f"{last.text} {cue.text}".strip())
            body.spans[-1] = (body.spans[-1][0], cue.end)
            continue
        body.turns.append(Turn(cue.time, speaker, cue.text, cue.row))
        body.spans.append((cue.start, cue.end))
    _check_times(body.turns, file, body.problems)
    return body
