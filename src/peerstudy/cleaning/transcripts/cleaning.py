"""Transcripts to de-identified documents and speaker turns with offsets.

Examples
--------
>>> from peerstudy.cleaning.deid import DeidKey
>>> from peerstudy.cleaning.transcripts.reading import parse_transcript
>>> t = parse_transcript(["Transcript: I1 (interview)", "Date: 2021-01-19", "Participants: Interviewer; Ann Lee", "",
...                       "Interviewer: Hello.", "Ann Lee: Hi."], file="I1.txt")
>>> clean = clean_transcripts([t], DeidKey(participants={"Ann Lee": "P1"}), pd.Series(["P1"]))
>>> print(clean.documents.loc[0, "text"])
Interviewer: Hello.
P1: Hi.
>>> clean.turns[["speaker", "start", "end", "text"]].values.tolist()
[['Interviewer', 13, 19, 'Hello.'], ['P1', 24, 27, 'Hi.']]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify_all, deidentify_mapped, redaction_table
from peerstudy.cleaning.offsetmap import OffsetMap, Table, align_text, compose, map_edits, pieces_of
from peerstudy.cleaning.transcripts.model import UNATTRIBUTED, Transcript
from peerstudy.cleaning.values import parse_integer
from peerstudy.errors import InputError, Problem

__all__ = ["CleanTranscripts", "clean_transcripts"]


@dataclass
class CleanTranscripts:
    """De-identified transcripts.

    Attributes
    ----------
    documents
        One row per transcript: ``document`` and ``transcript`` (its id), ``kind``, ``date``, ``order`` (1 = first by
        date), ``participant`` (pseudonyms, ``"; "``-joined), ``text`` (de-identified), and the declared attributes.
    turns
        One row per turn: ``turn``, ``document``, ``time`` (``""`` when the source has none), ``speaker`` (pseudonym,
        the interviewer label, or ``(unattributed)``), ``start``, ``end``, ``text``; with source offsets asked for,
        ``source_start`` and ``source_end``: where the turn's text lies in the source file's text, ``source_map``:
        the map of offsets from that span to the turn's de-identified text in the document (the pieces of
        :class:`peerstudy.cleaning.offsetmap.OffsetMap`, offsets only), and ``source_length``: the length of the source
        text (see :func:`peerstudy.cleaning.offsetmap.maps_from_turns`).
    redactions
        Replacements made, by kind (see :data:`peerstudy.cleaning.deid.KINDS`): counts only, in total
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


def _as_id(pseudonym: str) -> str:
    """A key's pseudonym as the participants sheet's id reads: an id that is a whole number
    is read as one there (``006`` is 6, :func:`~peerstudy.cleaning.values.parse_integer`,
    as :mod:`peerstudy.cleaning.cells` reads ids), so is the pseudonym.

    Examples
    --------
    >>> _as_id("006"), _as_id("P06"), _as_id("0")
    ('6', 'P06', '0')
    """
    whole = parse_integer(pseudonym)
    return pseudonym if whole is None else str(whole)


class _Speakers:
    """Maps speaker labels to pseudonyms; one problem per unknown speaker and transcript."""

    def __init__(self, key: DeidKey, known: set[str], interviewer_labels: tuple[str, ...], problems: list[Problem]):
        self.key, self.known, self.interviewers = key, known, interviewer_labels
        self.problems = problems  # shared with the attribute checks, in transcript order
        self.unmatched: dict[tuple[str, str], list[int]] = {}

    def label(self, t: Transcript, speaker: str, row: int, counts: Counter) -> str | None:
        if speaker == UNATTRIBUTED:
            return speaker
        if speaker in self.interviewers:  # a team member's label is de-identified too (issue 13)
            return deidentify_all([speaker], self.key, counts)[0]
        label = self.key.participants.get(speaker)
        if label is not None and _as_id(label) in self.known:
            return _as_id(label)
        if (t.file, speaker) in self.unmatched:
            self.unmatched[t.file, speaker][1] += 1
            return None
        key_file = self.key.file or "the key file"
        if label is None:
            who, fix = (
                repr(speaker),
                (
                    f"map {speaker!r} to a pseudonym in {key_file}, or add the label "
                    "to interviewer_labels if they are on the research team"
                ),
            )
        else:
            # the keyed name is not quoted: messages never name a person (issue 13)
            who, fix = (
                f"a speaker the key maps to {label!r}",
                f"add {label!r} to the participants sheet, or correct this speaker's pseudonym in {key_file}",
            )
        self.unmatched[t.file, speaker] = [len(self.problems), 1]
        self.problems.append(
            Problem(
                file=t.file,
                row=row,
                field="speaker",
                found=who,
                fix=fix,
                expected="a participant of the participants sheet (mapped in the key file)",
            )
        )
        return None

    def finish(self) -> None:
        for index, n_turns in self.unmatched.values():
            if n_turns > 1:
                problem = self.problems[index]
                self.problems[index] = replace(problem, found=f"{problem.found} (in {n_turns} turns, the first here)")


def _document(
    t: Transcript,
    order: int,
    speakers: _Speakers,
    key: DeidKey,
    sources: dict[str, Counter],
    turn_rows: list[dict],
    offsets: bool,
) -> dict:
    lines, people = [], []
    # every text a transcript carries is de-identified, counted per source of text (issue 13)
    ident = deidentify_all([t.id], key, sources["ids and file names"])[0]
    kind, day = deidentify_all([t.kind, t.date], key, sources["header"])
    offset = 0
    spans = t.spans or ((None, None),) * len(t.turns)
    for i, ((time, speaker, text, number), span) in enumerate(zip(t.turns, spans, strict=False), 1):
        label = speakers.label(t, speaker, number, sources["speaker labels"])
        if label is None:
            continue
        if speaker not in speakers.interviewers and label != UNATTRIBUTED:
            sources["speaker labels"]["participant"] += 1
            if label not in people:
                people.append(label)
        prefix = f"[{time}] {label}: " if time else f"{label}: "
        start = offset + len(prefix)
        if offsets:
            clean, found, table = deidentify_mapped(text, key)
            sources["text"].update(found)
        else:
            clean = deidentify_all([text], key, sources["text"])[0]
        row = {
            "turn": f"{ident}#{i}",
            "document": ident,
            "time": time,
            "speaker": label,
            "start": start,
            "end": start + len(clean),
            "text": clean,
        }
        if offsets:
            row["source_start"], row["source_end"] = span
            row["source_map"] = _turn_map(t, span, text, table, clean, start)
            row["source_length"] = len(t.source_text)
        turn_rows.append(row)
        lines.append(prefix + clean)
        offset += len(prefix) + len(clean) + 1
    return {
        "document": ident,
        "transcript": ident,
        "kind": kind,
        "date": day,
        "order": order,
        "participant": "; ".join(sorted(people, key=_natural)),
        "text": "\n".join(lines),
    }


def _turn_map(t: Transcript, span: tuple, text: str, table: Table, clean: str, start: int) -> str:
    """The pieces of the map from a turn's span of the source to its de-identified text in
    the document (:mod:`peerstudy.cleaning.offsetmap`), as text: the lines joined with one space,
    then de-identification."""
    if span[0] is None:
        return ""
    source = t.source_text[span[0] : span[1]]
    joined = map_edits(len(source), align_text(source, text))
    pieces = pieces_of(compose(joined, table), source, clean, offset=(span[0], start))
    return OffsetMap(pieces, len(t.source_text)).to_text()


def _attributes(
    t: Transcript,
    doc: dict,
    attributes: dict,
    table: pd.DataFrame,
    key: DeidKey,
    header: Counter,
    problems: list[Problem],
) -> None:
    """Add the declared attributes to ``doc``, checked against the declared values and
    the participants sheet."""
    found = dict(t.attributes)
    for name, kind in attributes.items():
        value = found.get(name)
        allowed = [str(v) for v in kind] if isinstance(kind, list) else None
        numeric = kind == "integer" or allowed is not None and all(a.isdigit() for a in allowed)
        if value is None or numeric and not value.isdigit() or allowed is not None and value not in allowed:
            expected = f"a header line '{name.capitalize()}: …'"
            expected += (
                f" with one of {', '.join(allowed)} (as the study declares)"
                if allowed
                else (" with a whole number" if numeric else "")
            )
            problems.append(
                Problem(
                    file=t.file,
                    field=name.capitalize(),
                    expected=expected,
                    found=repr(value) if value is not None else "none",
                    fix="correct the header line, or the study's document_attributes",
                )
            )
            continue
        if name in table and value not in set(map(str, table[name].dropna())):
            problems.append(
                Problem(
                    file=t.file,
                    field=name.capitalize(),
                    expected=f"a {name} of the participants sheet",
                    found=repr(value),
                    fix=f"add the {name} to the participants sheet, or correct the header line",
                )
            )
            continue
        clean_value = deidentify_all([value], key, header)[0]
        doc[name] = int(value) if numeric else clean_value


def clean_transcripts(
    transcripts: list[Transcript],
    key: DeidKey,
    participants: pd.DataFrame | pd.Series,
    *,
    interviewer_labels: tuple[str, ...] = ("Interviewer",),
    attributes: dict[str, str] | None = None,
    source_offsets: bool | None = None,
) -> CleanTranscripts:
    """De-identify transcripts and split them into turns with offsets.

    Parameters
    ----------
    transcripts
        From :func:`~peerstudy.cleaning.transcripts.read_transcripts`.
    key
        The reviewed de-identification key.
    participants
        The cleaned participants sheet (its ``participant`` column holds the
        pseudonymous ids), or just those ids; every speaker who is not an interviewer
        must map through ``key`` to one of them.
    interviewer_labels
        Speaker labels of the research team (interviewer, observer), kept as they are.
        Unattributed turns (``(unattributed)``) are kept too, and never count as a
        participant's.
    attributes
        Header attributes every transcript must have, kept as document columns:
        {name: kind}, kind ``"text"``, ``"integer"`` or a list of the allowed values
        (e.g. ``{"dyad": "text", "session": [1, 3, 9]}``). An attribute that is also a
        column of ``participants`` must hold one of that column's values (a dyad of the
        roster).
    source_offsets
        Add ``source_start``/``source_end`` to the turns; ``None``: when a transcript's
        layout asks for them (``source_offsets: true``).

    Returns
    -------
    CleanTranscripts
        Documents, turns and the redaction counts.
    """
    attributes = attributes or {}
    offsets = any(t.source_offsets for t in transcripts) if source_offsets is None else source_offsets
    table = participants.to_frame("participant") if isinstance(participants, pd.Series) else participants
    problems: list[Problem] = []
    speakers = _Speakers(key, set(map(str, table["participant"])), tuple(interviewer_labels), problems)
    docs: list[dict] = []
    turn_rows: list[dict] = []
    sources: dict[str, Counter] = {
        "text": Counter(),
        "speaker labels": Counter(),
        "ids and file names": Counter(),
        "header": Counter(),
    }
    for order, t in enumerate(transcripts, 1):
        doc = _document(t, order, speakers, key, sources, turn_rows, offsets)
        _attributes(t, doc, attributes, table, key, sources["header"], problems)
        docs.append(doc)
    speakers.finish()
    if problems:
        raise InputError(problems)
    documents = pd.DataFrame(docs).astype(
        {
            "document": "string",
            "transcript": "string",
            "kind": "string",
            "date": "string",
            "order": "int64",
            "participant": "string",
            "text": "string",
        }
    )
    types = {"start": "int64", "end": "int64"} | (
        {"source_start": "int64", "source_end": "int64", "source_map": "string", "source_length": "int64"}
        if offsets
        else {}
    )
    turns = pd.DataFrame(turn_rows).astype(types)
    return CleanTranscripts(documents=documents, turns=turns, redactions=redaction_table(sources))


def _natural(label: str) -> tuple:
    m = re.match(r"^([A-Za-z]*)(\d+)$", label)
    return (m.group(1), int(m.group(2))) if m else (label, 0)
