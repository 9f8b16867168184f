"""De-identification cost as a study grows: 100 and 1,000 synthetic interviews.

Each interview has 9 turns of about 200 characters that name its participant, other
people and places, and now and then a phone number or an e-mail address; the key grows
with the study (1.5 entries per interview: 1,500 at 1,000 interviews, as in issue 14).
Printed per size: the CPU time (``time.process_time``: the machine is shared) of :func:`peerstudy.cleaning.deid.deidentify` over every turn (with
the key built and compiled in the timing), the time of a reference pass measured in the
same run (one ``str.replace`` over every turn: the cost of reading the text once), their
ratio, and the growth exponent ``log(t_1000 / t_100) / log(10)`` (1 = linear, 2 =
quadratic). For comparison, the former rule (the key's pattern rebuilt for every text)
is timed at 100 interviews.

Run: ``.venv/bin/python benchmarks/bench_deid.py``
"""

from __future__ import annotations

import math
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from interviews import build

from peerstudy.cleaning.deid import DeidKey, deidentify


def time_deid(key: DeidKey, turns: list[str]) -> float:
    fresh = DeidKey(participants=key.participants, names=key.names, places=key.places, regions=key.regions)
    start = time.process_time()
    for text in turns:
        deidentify(text, fresh)
    return time.process_time() - start


def time_reference(turns: list[str]) -> float:
    start = time.process_time()
    for text in turns:
        text.replace("appointment", "[X]")
    return time.process_time() - start


def time_former_rule(key: DeidKey, turns: list[str]) -> float:
    """The rule before issue 13/14: the whole alternation rebuilt and compiled per text."""
    table = key.replacements()
    start = time.process_time()
    for text in turns:
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(k) for k in sorted(table, key=lambda k: (-len(k), k))) + r")(?!\w)"
        )
        pattern.sub(lambda m: table[m.group(0)][0], text)
    return time.process_time() - start


def main() -> None:
    deidentify("warm-up: 010-1234-5678 a@b.org", DeidKey(regions=("KR",)))  # imports and phone metadata, once
    rows = {}
    for n in (100, 1000):
        key, turns = build(n)
        deid, ref = time_deid(key, turns), time_reference(turns)
        rows[n] = deid
        entries = len(key.replacements())
        print(
            f"{n:>5} interviews, {len(turns):>5} turns, {entries:>5} key entries: deidentify {deid:7.3f} s; "
            f"reference (str.replace) {ref:7.4f} s; ratio {deid / ref:8.1f}"
        )
    exponent = math.log(rows[1000] / rows[100]) / math.log(10)
    print(f"growth exponent (100 -> 1,000 interviews): {exponent:.2f}  (1 = linear, 2 = quadratic)")
    key, turns = build(100)
    print(
        f"former rule (pattern rebuilt per text) at 100 interviews: {time_former_rule(key, turns):.3f} s "
        f"(key pattern only, without phones and addresses) against {rows[100]:.3f} s now"
    )


if __name__ == "__main__":
    main()
