"""A transcript file to its text: the format recognised from the content, not the name.

Formats: plain text (``.txt``, UTF-8), Word (``.docx``), OpenDocument text (``.odt``),
WebVTT (``.vtt``) and SubRip (``.srt``) captions. The content decides what a file is;
when the file's name says something else, the message names what the file is and how
to fix it (``this is WebVTT ... rename it to .vtt``), rather than reading it as the
wrong thing. Old ``.doc``, ``.rtf`` and ``.pdf`` files in a transcripts folder are
refused with the conversion to make, never skipped silently.

Examples
--------
>>> sniff(b"WEBVTT\\n\\n00:00:01.000 --> 00:00:02.000\\nHi\\n"), sniff(b"1\\n00:00:01,000 --> 00:00:02,000\\nHi\\n")
('vtt', 'srt')
>>> sniff(b"Transcript: I01\\n"), sniff(b"%PDF-1.4")
('text', 'pdf')
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from peerstudy.cleaning.transcripts.cues import Cue, read_cues
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io import readers

__all__ = ["REFUSED_SUFFIXES", "SUFFIXES", "Source", "read_source", "sniff"]

#: Transcript files read from a folder, by suffix, and the format each suffix names.
SUFFIXES = {".txt": "text", ".docx": "docx", ".odt": "odt", ".vtt": "vtt", ".srt": "srt"}
#: Files a transcripts folder may hold that cannot be read: refused with the fix.
REFUSED_SUFFIXES = {".doc": "doc", ".rtf": "rtf", ".pdf": "pdf"}
#: An archive (.docx, .odt) with more members than this is refused.
MAX_ARCHIVE_MEMBERS = 2000

NAMES = {
    "text": "plain text",
    "docx": "a Word document (.docx)",
    "odt": "an OpenDocument text (.odt)",
    "vtt": "WebVTT captions (a Zoom or Teams transcript, .vtt)",
    "srt": "SubRip captions (.srt)",
    "doc": "an old Word document (.doc)",
    "rtf": "a Rich Text Format document (.rtf)",
    "pdf": "a PDF document",
    "ods": "an OpenDocument spreadsheet or other OpenDocument file",
    "xlsx": "an Excel workbook (.xlsx)",
    "zip": "a zip archive",
    "binary": "binary content",
}
_SUFFIX_OF = {"text": ".txt", "docx": ".docx", "odt": ".odt", "vtt": ".vtt", "srt": ".srt"}
_CONVERT = {
    "doc": "open it in Word and save it as .docx",
    "rtf": "open it in a word processor and save it as .docx",
    "pdf": "export the transcript as .docx or .txt from the program that made the PDF",
    "ods": "save the transcript as a text document (.odt or .docx)",
    "xlsx": "save the transcript as a text document (.docx or .txt)",
    "zip": "unpack the archive and put the transcripts themselves in the folder",
    "binary": "export the transcript as .txt or .docx",
}
_SRT_START = re.compile(r"\A\s*\d+[ \t]*\r?\n[ \t]*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}[ \t]*-->")


@dataclass(frozen=True)
class Source:
    """A transcript file's text as read: ``text`` is what turn offsets refer to; ``cues``
    are the caption cues of a ``.vtt``/``.srt`` file (``None`` otherwise)."""

    file: str
    format: str
    text: str
    cues: tuple[Cue, ...] | None = None


def sniff(data: bytes) -> str:
    """What the bytes of a file are: ``text``, ``vtt``, ``srt``, ``docx``, ``odt`` or one
    of the formats that cannot be read (``doc``, ``rtf``, ``pdf``, ``ods``, ``xlsx``,
    ``zip``, ``binary``)."""
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    for magic, kind in ((b"\xd0\xcf\x11\xe0", "doc"), (b"{\\rtf", "rtf"), (b"%PDF", "pdf")):
        if data.startswith(magic):
            return kind
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    if head.lstrip(b" \t\r\n").startswith(b"WEBVTT"):
        return "vtt"
    if _SRT_START.match(head.decode("utf-8", "replace")):
        return "srt"
    return "text"


def _sniff_zip(data: bytes) -> str:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:80] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _misnamed(shown: str, suffix: str, found: str, *, cue_times: bool = False) -> InputError:
    """The message for a file whose content is not what its name says."""
    fix = f"rename the file to end in {_SUFFIX_OF[found]}" if found in _SUFFIX_OF else _CONVERT[found]
    if SUFFIXES[suffix] in ("vtt", "srt") and found == "text" and cue_times:
        first = "the line 'WEBVTT'" if suffix == ".vtt" else "a cue number and its times"
        fix = f"if it is meant to be captions, it lacks their start: add {first} at the top; else {fix}"
    return InputError(
        Problem(
            file=shown,
            expected=f"{NAMES[SUFFIXES[suffix]]} (the file's name ends in {suffix})",
            found=f"{NAMES[found]}: this is {_plain(found)}, not {_plain(SUFFIXES[suffix])}",
            fix=fix,
        )
    )


def _plain(kind: str) -> str:
    return {
        "text": "plain text",
        "vtt": "WebVTT",
        "srt": "SubRip",
        "docx": "a Word document",
        "odt": "an OpenDocument text",
    }.get(kind, NAMES[kind])


def read_source(path: str | Path) -> Source:
    """Read one transcript file into a :class:`Source`, checking that its content is
    what its name says."""
    p = resolve_input(path)
    shown = relative_to_root(p)
    suffix = p.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        kind = REFUSED_SUFFIXES[suffix]
        raise InputError(
            Problem(
                file=shown,
                expected="a transcript (.txt, .docx, .odt, .vtt or .srt)",
                found=NAMES[kind],
                fix=_CONVERT[kind],
            )
        )
    if suffix not in SUFFIXES:
        raise InputError(
            Problem(
                file=shown,
                expected="a transcript ending in .txt, .docx, .odt, .vtt or .srt",
                found=repr(p.suffix),
                fix="convert the transcript to one of these formats",
            )
        )
    expected = SUFFIXES[suffix]
    if expected in ("docx", "odt"):
        return _read_document(p, shown, expected)
    text = readers.read_text(p, what="a transcript (UTF-8 text)")
    found = sniff(text.encode("utf-8"))
    if found != expected:
        raise _misnamed(shown, suffix, found, cue_times="-->" in text)
    if expected == "text":
        return Source(shown, "text", text)
    return Source(shown, expected, text, tuple(read_cues(text, file=shown, format=expected)))


def _read_document(p: Path, shown: str, expected: str) -> Source:
    what = NAMES[expected]
    if not p.is_file():
        raise InputError(
            Problem(
                file=shown,
                expected=f"a transcript ({_SUFFIX_OF[expected]})",
                found="no such file",
                fix="check the parameter 'transcripts', or add the file",
            )
        )
    readers.check_size(p, what=f"a transcript ({_SUFFIX_OF[expected]})")
    data = p.read_bytes()
    found = sniff(data)
    if found in ("text", "vtt", "srt") and (b"\x00" in data[:4096] or not _decodes(data)):
        found = "binary"
    if found not in (expected, "zip"):
        rename = f", or rename it to end in {_SUFFIX_OF[found]}" if found in _SUFFIX_OF else ""
        this = f"this is {_plain(found)}" + ("" if found in ("docx", "odt", "ods", "xlsx") else ", not a zip archive")
        if expected == "docx":  # the words of the message that Word users know
            found_text = f"a file Word cannot open ({this})"
        else:
            found_text = f"{_plain(found)}, not a zip archive" if "zip" in this else this
        raise InputError(
            Problem(
                file=shown,
                expected=what,
                found=found_text,
                fix=f"re-save the transcript from the word processor as {_SUFFIX_OF[expected]}{rename}",
            )
        )
    _check_archive(p, shown)
    if expected == "docx":
        from peerstudy.cleaning.transcripts.word import docx_text

        return Source(shown, "docx", docx_text(p, shown))
    from peerstudy.cleaning.transcripts.opendocument import odt_text

    return Source(shown, "odt", odt_text(p, shown))


def _decodes(data: bytes) -> bool:
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > 65530  # a character cut at the end of the sample
    return True


def _check_archive(p: Path, shown: str) -> None:
    """Refuse an archive that would inflate beyond the input limit (a zip bomb)."""
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(
            Problem(
                file=shown,
                expected=f"a {p.suffix} file (a zip archive)",
                found=f"a damaged zip archive ({exc})",
                fix="re-save the transcript from the word processor",
            )
        ) from None
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ARCHIVE_MEMBERS or total > readers.MAX_INPUT_BYTES:
        raise InputError(
            Problem(
                file=shown,
                expected=f"a document of at most {MAX_ARCHIVE_MEMBERS} parts and "
                f"{readers.MAX_INPUT_BYTES:,} bytes uncompressed "
                "(peerstudy.io.readers.MAX_INPUT_BYTES)",
                found=f"{len(infos)} parts, {total:,} bytes uncompressed (a zip bomb?)",
                fix="do not open this file; ask for the transcript again",
            )
        )
