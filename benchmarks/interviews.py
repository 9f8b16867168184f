"""Synthetic interview studies shared by the benchmarks (``bench_deid.py``, ``bench_coding.py``).

:func:`build` makes the de-identification key and the turns of ``n`` invented interviews
(9 turns each, about 200 characters, naming the participant, other people and places,
now and then a phone number or an e-mail address; 1.5 key entries per interview).
:func:`write_study` writes a whole study from them into a folder: transcripts with speaker
turns, the key (YAML), a participants sheet and its fields, a codebook and two coders'
sheets by excerpt. Every name is invented.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from peerstudy.cleaning.deid import DeidKey

SYLLABLES = [
    "min",
    "seo",
    "ji",
    "woo",
    "tae",
    "hoon",
    "ka",
    "yan",
    "mei",
    "ling",
    "sze",
    "wan",
    "hye",
    "rin",
    "dong",
    "su",
    "gi",
    "jun",
    "young",
    "eun",
    "da",
    "ho",
    "yin",
    "lok",
    "chi",
    "keung",
    "pui",
    "shan",
]
SURNAMES = ["Kim", "Lee", "Park", "Chan", "Wong", "Lau", "Kang", "Seo", "Ho", "Yip", "Tsang", "Mak", "Ng", "Lam"]
FILLER = (
    "we talked about how the week went and what felt hard at work, and the plan for the next visit "
    "was to try the bus together before the appointment"
)


def build(n: int, seed: int = 0) -> tuple[DeidKey, list[str]]:
    """A key and the turns of ``n`` synthetic interviews."""
    rng = random.Random(seed)
    participants, names, places, turns = {}, [], [], []
    for i in range(n):
        given = "-".join(rng.sample(SYLLABLES, 2)).capitalize()
        full = f"{rng.choice(SURNAMES)} {given} {i}"  # the number keeps every name unique
        participants[full] = f"P{i + 1}"
        other = None
        if i % 2 == 0:
            other = f"{rng.choice(SURNAMES)} {'-'.join(rng.sample(SYLLABLES, 2)).capitalize()} {i}"
            (names if i % 4 == 0 else places).append(other)
        for t in range(9):
            extra = ""
            if t == 4 and other:
                extra = f" I met {other} there."
            if t == 7 and i % 10 == 0:
                extra = f" Call me on 010-{1000 + i % 9000}-{2000 + t} or {given.lower()}@example.org."
            turns.append(f"{full if t % 3 == 0 else 'Yes,'} {FILLER[: 120 + 7 * t]}.{extra}")
    return DeidKey(participants=participants, names=tuple(names), places=tuple(places), regions=("KR",)), turns


FIELDS = """\
header_rows: 1
fields:
  id: {column: id, type: id}
  sex: {column: sex, type: category, required: true, categories: {male: [male], female: [female]}}
  age: {column: age, type: integer, required: true, min: 18, max: 80}
"""
CODEBOOK = """\
codes:
  - {code: T, label: Working together, definition: Collaboration with peers., parent: null}
  - {code: C1, label: Trust, definition: Trust between colleagues., parent: T}
  - {code: C2, label: Roles, definition: Who does what., parent: T}
  - {code: S1, label: Earning trust, definition: Trust grows over time., parent: C1}
  - {code: S2, label: Doubts, definition: Early doubts., parent: C1}
  - {code: S3, label: Clear tasks, definition: Tasks made explicit., parent: C2}
  - {code: S4, label: Blurred roles, definition: Unclear boundaries., parent: C2}
"""
CODED_TURNS = (1, 2, 4, 5, 8)  # turns each coder codes in every interview (their excerpts name nobody)
LEAVES = ("S1", "S2", "S3", "S4")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _yaml_list(items) -> str:
    return "[" + ", ".join(_quote(i) for i in items) + "]"


def write_study(folder: Path, n: int, seed: int = 0) -> dict:
    """Write a study of ``n`` synthetic interviews into ``folder``; return the paths the
    notebooks' parameters name (``participants_sheet``, ``participants_fields``,
    ``transcripts``, ``deid_key``, ``codebook``, ``coding_sheets``)."""
    key, turns = build(n, seed)
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "transcripts").mkdir(exist_ok=True)
    people = ["id,name,sex,age"]
    sheets = {"AA": ["unit,transcript,excerpt,code,coder,note"], "BB": ["unit,transcript,excerpt,code,coder,note"]}
    for i, (full, pid) in enumerate(key.participants.items()):
        people.append(f"{pid},{full},{rng.choice(['male', 'female'])},{rng.randint(20, 70)}")
        doc = f"I{i + 1:04d}"
        lines = [f"Transcript: {doc} (individual interview)", f"Date: 2021-{1 + i % 12:02d}-{1 + i % 28:02d}"]
        lines += ["Duration: 60 min", f"Participants: Interviewer; {full}", ""]
        for t in range(9):
            head, tail = turns[9 * i + t].split(".", 1)
            text = f"{head}. That was point {t + 1}.{tail}"  # the point makes each excerpt occur once
            lines.append(f"[00:{2 * t:02d}:00] Interviewer: And then?")
            lines.append(f"[00:{2 * t + 1:02d}:00] {full}: {text}")
            if t in CODED_TURNS:
                excerpt = f"{head.split(' ', 1)[1]}. That was point {t + 1}."  # after the first word: names nobody
                code = rng.choice(LEAVES)
                other = code if rng.random() < 0.85 else rng.choice(LEAVES)  # the second coder mostly agrees
                unit = f"U{i + 1}-{t + 1}"
                sheets["AA"].append(f"{unit},{doc},{_quote(excerpt)},{code},AA,")
                sheets["BB"].append(f"{unit},{doc},{_quote(excerpt)},{other},BB,")
        (folder / "transcripts" / f"{doc}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "participants.csv").write_text("\n".join(people) + "\n", encoding="utf-8")
    (folder / "fields.yaml").write_text(FIELDS, encoding="utf-8")
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    key_lines = ["participants:"] + [f"  {_quote(k)}: {v}" for k, v in key.participants.items()]
    key_lines += [f"names: {_yaml_list(key.names)}", f"places: {_yaml_list(key.places)}"]
    (folder / "deid-key.yaml").write_text("\n".join(key_lines) + "\n", encoding="utf-8")
    for coder, rows in sheets.items():
        (folder / f"coder-{coder.lower()}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {
        "participants_sheet": folder / "participants.csv",
        "participants_fields": folder / "fields.yaml",
        "transcripts": [folder / "transcripts"],
        "deid_key": folder / "deid-key.yaml",
        "codebook": folder / "codebook.yaml",
        "coding_sheets": [folder / "coder-aa.csv", folder / "coder-bb.csv"],
    }
