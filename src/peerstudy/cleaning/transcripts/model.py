"""What a transcript is once read, and how a study declares the layout of its transcripts.

Examples
--------
>>> layout = read_layout({"file_pattern": r"(?P<id>I\\d+)_(?P<date>\\d{8})", "date_format": "%Y%m%d"})
>>> layout.file_pattern.pattern, layout.date_format, layout.source_offsets
('(?P<id>I\\\\d+)_(?P<date>\\\\d{8})', '%Y%m%d', False)
>>> Turn("00:00:05", "Ann", "Hello.", 6) == ("00:00:05", "Ann", "Hello.", 6)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from peerstudy.errors import ConfigError, Problem

__all__ = ["UNATTRIBUTED", "Layout", "Transcript", "Turn", "read_layout", "is_header_row"]

#: The speaker of a turn whose speaker the source does not name (a caption cue without a
#: voice or label): kept as its own turn, never given to the speaker before it.
UNATTRIBUTED = "(unattributed)"

#: Facts a file name pattern or a sidecar sheet may give; any other named group or
#: column becomes a document attribute, as other header lines do.
FACTS = ("id", "date", "kind", "duration", "participants")


class Turn(NamedTuple):
    """One speaker turn as read: time (``""`` when the source has none), speaker, text,
    and the row (line, paragraph or cue line) where it starts."""

    time: str
    speaker: str
    text: str
    line: int


@dataclass(frozen=True)
class Transcript:
    """One transcript as read: document facts and turns.

    ``spans`` holds, per turn, the ``(start, end)`` offsets (code points) of the turn's
    text in the source text (:attr:`source_text`): the decoded file for ``.txt``,
    ``.vtt`` and ``.srt``, the extracted text (one line per paragraph) for ``.docx``
    and ``.odt``.
    """

    file: str
    id: str
    kind: str
    date: str
    duration: str
    speakers: tuple[str, ...]
    turns: tuple[tuple[str, str, str, int], ...]
    attributes: tuple[tuple[str, str], ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    format: str = "text"
    source_text: str = field(default="", repr=False, compare=False)
    source_offsets: bool = False


@dataclass(frozen=True)
class Layout:
    """How a folder of transcripts gives its document facts and speakers.

    Attributes
    ----------
    file_pattern
        A regular expression with named groups matched against each file's name
        without its extension (the whole name must match): ``id``, ``date``, ``kind``,
        ``duration``, ``participants`` (``;``-separated); any other group becomes an
        attribute (e.g. ``session``).
    date_format
        How dates are written (``strptime`` codes, e.g. ``%d.%m.%Y``) in headers, file
        names and the sidecar sheet; ``None``: ``YYYY-MM-DD``. Dates are kept as
        ``YYYY-MM-DD``.
    sidecar
        A CSV sheet with a row per transcript: ``file`` (the file's name), then any of
        ``id``, ``date``, ``kind``, ``duration``, ``participants`` and attribute
        columns (e.g. ``session``).
    speaker_labels
        Labels that stand for a speaker, e.g. ``{"I": "Interviewer", "R": "{participant}"}``;
        ``{participant}`` is the one participant not named by another label.
    source_offsets
        Add ``source_start``/``source_end`` (offsets of each turn's text in its source)
        to the turns table.
    """

    file_pattern: re.Pattern | None = None
    date_format: str | None = None
    sidecar: str | None = None
    speaker_labels: tuple[tuple[str, str], ...] = ()
    source_offsets: bool = False


_KEYS = {
    "file_pattern": "a regular expression with named groups",
    "date_format": "strptime codes, e.g. '%d.%m.%Y'",
    "sidecar": "the path of a CSV sheet (file, id, date, kind, session, participants)",
    "speaker_labels": "a mapping of label to speaker, e.g. {I: Interviewer, R: '{participant}'}",
    "source_offsets": "true or false",
}


def read_layout(value: dict[str, Any] | Layout | None, *, where: str = "transcripts") -> Layout:
    """A :class:`Layout` from a study's declaration (a mapping); all problems together.

    Parameters
    ----------
    value
        The mapping (keys of :class:`Layout`), a layout, or ``None`` (today's layout:
        facts from the header block).
    where
        The parameter named in messages.
    """
    if value is None or isinstance(value, Layout):
        return value or Layout()
    problems = [
        Problem(
            field=f"{where}: {k}",
            expected=f"one of {', '.join(_KEYS)}",
            found=repr(k),
            fix="correct the key in the study's parameter file",
        )
        for k in value
        if k not in _KEYS
    ]

    def bad(key: str, found: Any) -> None:
        problems.append(
            Problem(
                field=f"{where}: {key}",
                expected=_KEYS[key],
                found=repr(found),
                fix="correct the value in the study's parameter file",
            )
        )

    pattern = value.get("file_pattern")
    compiled = None
    if pattern is not None:
        try:
            compiled = re.compile(str(pattern))
        except re.error as exc:
            bad("file_pattern", f"{pattern} ({exc})")
        else:
            if not compiled.groupindex:
                bad("file_pattern", f"{pattern} (no named group)")
    date_format = value.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        bad("date_format", date_format)
    sidecar = value.get("sidecar")
    if sidecar is not None and not isinstance(sidecar, str):
        bad("sidecar", sidecar)
    labels = value.get("speaker_labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in labels.items()
    ):
        bad("speaker_labels", labels)
        labels = {}
    offsets = value.get("source_offsets", False)
    if not isinstance(offsets, bool):
        bad("source_offsets", offsets)
    if problems:
        raise ConfigError(problems)
    return Layout(
        file_pattern=compiled,
        date_format=date_format,
        sidecar=sidecar,
        speaker_labels=tuple(labels.items()),
        source_offsets=bool(offsets),
    )


# Column names a transcript table's first row may carry (Time | Speaker | Text): layout, not talk.
_HEADER_WORDS = {
    "time",
    "timestamp",
    "start",
    "speaker",
    "name",
    "who",
    "text",
    "transcript",
    "utterance",
    "speech",
    "content",
    "turn",
    "",
}


def is_header_row(cells: list[str]) -> bool:
    """Whether a table's first row names its columns rather than holding a turn
    (read by the .docx and .odt readers alike).

    Examples
    --------
    >>> is_header_row(["Time", "Speaker", "Text"]), is_header_row(["[00:01]", "Ana", "Hello"])
    (True, False)
    """
    return len(cells) > 1 and all(c.strip().lower() in _HEADER_WORDS for c in cells)
