"""Caption files (WebVTT ``.vtt``, SubRip ``.srt``) to cues with their place in the file.

The blocks of the file are found here, so that every cue keeps its number, its row and
the offsets of its text in the file, and a cue whose times are broken is reported by
number rather than skipped. Each cue's times, voice and text are then read with
webvtt-py's :class:`webvtt.Caption` (tags stripped, ``<v Name>`` voice spans).

Zoom writes the speaker inside the cue text (``Ana Moreno: Hello``), Microsoft Teams as
a voice span (``<v Ana Moreno>Hello</v>``); both give the cue's ``voice``.

Examples
--------
>>> text = "WEBVTT\\n\\n1\\n00:00:01.000 --> 00:00:03.500\\nAna Moreno: Hello there.\\n"
>>> cue = read_cues(text, file="a.vtt", format="vtt")[0]
>>> cue.number, cue.row, cue.time, cue.voice, cue.text
(1, 5, '00:00:01.000', 'Ana Moreno', 'Hello there.')
>>> text[cue.start:cue.end]
'Hello there.'
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

import webvtt
from webvtt.errors import MalformedCaptionError

from peerstudy.errors import InputError, Problem

__all__ = ["Cue", "read_cues", "split_lines"]

_VTT_TIME = r"(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}"
_SRT_TIME = r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}"
_TIMING = {
    "vtt": re.compile(rf"^\s*({_VTT_TIME})[ \t]+-->[ \t]+({_VTT_TIME})(?:[ \t]+.*)?$"),
    "srt": re.compile(rf"^\s*({_SRT_TIME})[ \t]*-->[ \t]*({_SRT_TIME})(?:[ \t]+.*)?$"),
}
_SHAPE = {"vtt": "'hh:mm:ss.mmm --> hh:mm:ss.mmm' (or 'mm:ss.mmm')", "srt": "'hh:mm:ss,mmm --> hh:mm:ss,mmm'"}
# A speaker named in the cue text as Zoom writes it: a short label, then ': '.
_ZOOM_LABEL = re.compile(r"^([^\s:<>][^:<>\n]{0,58}?):[ \t]+(?=\S)")
_VOICE_TAG = re.compile(r"^<v(?:\.[^\s>]+)*[ \t]+[^>]*>")


class Cue(NamedTuple):
    """One caption cue: its number (1-based, in file order), the row of its first text
    line, its start time (``hh:mm:ss.mmm``), its voice (speaker; ``""`` if none), its
    text, and the offsets of that text in the file."""

    number: int
    row: int
    time: str
    voice: str
    text: str
    start: int
    end: int


def split_lines(text: str) -> list[tuple[int, int, str]]:
    """``(row, offset, line)`` for every line of ``text`` (as :meth:`str.splitlines`
    splits it), the line without its ending.

    Examples
    --------
    >>> split_lines("a\\r\\nbc\\n")
    [(1, 0, 'a'), (2, 3, 'bc')]
    """
    out, offset = [], 0
    for row, line in enumerate(text.splitlines(keepends=True), 1):
        bare = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        out.append((row, offset, bare))
        offset += len(line)
    return out


def _blocks(lines: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    blocks, block = [], []
    for item in lines:
        if item[2].strip():
            block.append(item)
        elif block:
            blocks.append(block)
            block = []
    return blocks + ([block] if block else [])


def _after_header(blocks: list[list[tuple[int, int, str]]]) -> list[list[tuple[int, int, str]]]:
    """The WebVTT blocks after the header, without comments, styles and regions; a first
    cue written without a blank line after ``WEBVTT`` is kept, not lost with the header."""
    header, rest = (blocks[0], blocks[1:]) if blocks else ([], [])
    at = next((i for i, (_, _, line) in enumerate(header) if "-->" in line), None)
    if at is not None and at >= 1:
        rest = [header[max(1, at - 1) :], *rest]
    return [b for b in rest if not re.match(r"(NOTE|STYLE|REGION)(\s|$)", b[0][2])]


def read_cues(text: str, *, file: str, format: str) -> list[Cue]:
    """The cues of a WebVTT (``format="vtt"``) or SubRip (``"srt"``) text, in order;
    every cue with broken times is reported, by number and row, in one error."""
    blocks = _blocks(split_lines(text))
    if format == "vtt":
        blocks = _after_header(blocks)
    cues: list[Cue] = []
    problems: list[Problem] = []
    for block in blocks:
        at = next((i for i, (_, _, line) in enumerate(block) if "-->" in line), None)
        if at is None or at > 1 or format == "srt" and at == 1 and not block[0][2].strip().isdigit():
            where = block[at][0] if at is not None else block[0][0]
            problems.append(
                Problem(
                    file=file,
                    row=where,
                    field=f"cue {len(cues) + len(problems) + 1}",
                    expected=f"a cue: an optional identifier line, then the cue times {_SHAPE[format]}",
                    found=repr(block[0][2][:60]),
                    fix="correct the cue, or put a blank line between cues",
                )
            )
            continue
        cue = _read_cue(block, at, number=len(cues) + len(problems) + 1, file=file, format=format)
        if isinstance(cue, Problem):
            problems.append(cue)
        else:
            cues.append(cue)
    if problems:
        raise InputError(problems)
    return cues


def _read_cue(block: list, at: int, *, number: int, file: str, format: str) -> Cue | Problem:
    row, _, timing = block[at]
    m = _TIMING[format].match(timing)
    broken = Problem(
        file=file,
        row=row,
        field=f"cue {number}",
        expected=f"cue times {_SHAPE[format]}",
        found=repr(timing.strip()[:60]),
        fix=f"correct the times of cue {number}",
    )
    if not m:
        return broken
    start, end = (t.replace(",", ".") for t in m.groups())
    payload = block[at + 1 :]
    try:
        caption = webvtt.Caption(_pad(start), _pad(end), [line for _, _, line in payload])
    except MalformedCaptionError:
        return broken
    if caption.end_in_seconds < caption.start_in_seconds:
        return Problem(
            file=file,
            row=row,
            field=f"cue {number}",
            expected="a cue that ends after it starts",
            found=repr(timing.strip()[:60]),
            fix=f"correct the times of cue {number}",
        )
    if not payload:
        return Cue(number, row, caption.start, "", "", block[at][1] + len(timing), block[at][1] + len(timing))
    voice = caption.voice or ""
    text = " ".join(part.strip() for part in html.unescape(caption.text).split("\n") if part.strip())
    first_row, first_offset, first = payload[0]
    skip = len(first) - len(first.lstrip())
    tag = _VOICE_TAG.match(first.lstrip())
    if tag:
        skip += tag.end()
    elif not voice:
        label = _ZOOM_LABEL.match(text)
        if label and _speaker_like(label.group(1)):
            voice, text = label.group(1).strip(), text[label.end() :]
            zoom = _ZOOM_LABEL.match(first.lstrip())
            skip += zoom.end() if zoom else 0
    _, last_offset, last = payload[-1]
    tail = last.rstrip()
    tail = tail.removesuffix("</v>")
    return Cue(number, first_row, caption.start, voice.strip(), text, first_offset + skip, last_offset + len(tail))


def _pad(stamp: str) -> str:
    """A cue time with its milliseconds written with three digits (SubRip allows fewer)."""
    head, _, ms = stamp.partition(".")
    return f"{head}.{ms.ljust(3, '0')[:3]}"


def _speaker_like(label: str) -> bool:
    """A display name rather than the start of a sentence: at most six words, and no
    sentence punctuation inside."""
    words = label.split()
    return 0 < len(words) <= 6 and not re.search(r"[.?!,;]\s", label) and not label.rstrip().endswith((",", ";"))
