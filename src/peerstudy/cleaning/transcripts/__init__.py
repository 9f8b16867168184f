"""Transcripts and field notes: read, de-identify, split into speaker turns.

Transcripts come as they are delivered: plain text (``.txt``), Word (``.docx``),
OpenDocument (``.odt``), or the captions Zoom and Microsoft Teams write (WebVTT
``.vtt``; SubRip ``.srt``). The format is recognised from the content: a file whose
name says otherwise is refused with a message naming what it is (a WebVTT file named
``.txt``: "this is WebVTT"). A transcript as a transcription service delivers it has a
header, a blank line, then turns::

    Transcript: I03 (individual interview)
    Date: 2021-01-26
    Duration: 74 min
    Participants: Interviewer; Han Ji-woo
    Session: 3

    [00:00:05] Interviewer: Thank you for making time today.
    [00:00:31] Han Ji-woo: Thank you for having me.

Any other ``Key: value`` header line (``Dyad``, ``Session``, ``Source``, ...) becomes an
attribute of the document, kept when the study declares it. Structured field notes have
the same layout, with the observer as the only speaker. The header is optional when
the facts come from the file's name (a declared pattern) or a sidecar sheet, and turns
may be written without times (``Speaker: text``) or under a speaker line (``Speaker
00:01:02``, as Otter and Word write them); see :mod:`peerstudy.cleaning.transcripts.turns` and
:mod:`peerstudy.cleaning.transcripts.reading`. A study declares such a layout per folder, in its
``transcripts`` parameter::

    transcripts:
      - data/raw/<study>/transcripts          # today's layout
      - folder: data/raw/<study>/zoom
        file_pattern: '(?P<id>I\\d+)_(?P<date>\\d{8})'
        date_format: '%Y%m%d'
        sidecar: data/raw/<study>/zoom-sessions.csv
        speaker_labels: {I: Interviewer, R: '{participant}'}
        source_offsets: true

:func:`clean_transcripts` de-identifies every turn and the speaker labels
(:mod:`peerstudy.cleaning.deid`) and builds, per transcript, one *document* whose text is the
de-identified turns, one per line (``[time] P3: text``), and a *turns* table with each
turn's ``start``/``end`` offsets (code points) of its text in that document, so that
``document.text[start:end] == turn.text``; with ``source_offsets``, also where the
turn's text lies in the source file (``source_start``, ``source_end``).

Modules: :mod:`~peerstudy.cleaning.transcripts.sources` (formats), :mod:`~peerstudy.cleaning.transcripts.word`
(``.docx``), :mod:`~peerstudy.cleaning.transcripts.opendocument` (``.odt``),
:mod:`~peerstudy.cleaning.transcripts.cues` (``.vtt``, ``.srt``), :mod:`~peerstudy.cleaning.transcripts.turns`
(header and turns), :mod:`~peerstudy.cleaning.transcripts.reading` (document facts, folders),
:mod:`~peerstudy.cleaning.transcripts.cleaning` (de-identified documents and turns).

Examples
--------
>>> lines = ["Transcript: I01 (individual interview)", "Date: 2021-01-19", "Participants: Interviewer; Ann Lee",
...          "", "[00:00:05] Interviewer: Hello.", "[00:00:09] Ann Lee: Hi, I work in Hwagok-dong."]
>>> t = parse_transcript(lines, file="I01.txt")
>>> t.kind, t.date, t.turns[1]
('individual interview', '2021-01-19', ('00:00:09', 'Ann Lee', 'Hi, I work in Hwagok-dong.', 6))
"""

from peerstudy.cleaning.transcripts.cleaning import CleanTranscripts, clean_transcripts
from peerstudy.cleaning.transcripts.model import UNATTRIBUTED, Layout, Transcript, Turn, read_layout
from peerstudy.cleaning.transcripts.reading import parse_transcript, read_transcript, read_transcripts

__all__ = [
    "UNATTRIBUTED",
    "CleanTranscripts",
    "Layout",
    "Transcript",
    "Turn",
    "clean_transcripts",
    "parse_transcript",
    "read_layout",
    "read_transcript",
    "read_transcripts",
]
