"""Every number the README's studies table and a study's report prose state about the study
is one of its published figures, which the published comparison checks against the
figures computed from the data (issue 16: no claim written to match).

Scanned: each row of the README's studies table, each study's ``notes`` (the report's
``notes.md`` and the "About these data" box of every page) and the Markdown cells of its
results notebook. Not claims, so not scanned: years (four-digit numbers 1900-2099, in
citations and dates), DOIs, digits inside identifiers (``PSW01``, ``S-a3``), the stage
number of a notebook's title (``# 3. Results ...``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from peerstudy.config import PROJECT_ROOT
from peerstudy.report.keyfigures import compare_published, flatten, read_published

STUDIES = sorted(p.stem for p in (PROJECT_ROOT / "studies").glob("*.yaml"))
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])(?!\.\d)")
_WORDS = "two three four five six seven eight nine ten eleven twelve".split()
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
_NOT_CLAIMS = (
    re.compile(r"\b10\.\d{4,}(?:/\S*)?"),  # DOI prefixes and DOIs
    re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)"),  # years
    re.compile(r"^#+ \d+\.", re.MULTILINE),  # a notebook title's stage number
    re.compile(r"\b\d+% confidence interval"),  # the level of an interval: a method, not a finding
    re.compile(r"R's type \d+"),  # a named quantile definition
)


def claimed_numbers(text: str) -> list[float]:
    """The numbers stated in ``text`` (see the module docstring for what is left out).

    Counts written as words (two to twelve) are numbers too:

    >>> claimed_numbers("10 dyads; 93.1% in 2024 (doi 10.5555/x); PSW01 at sessions 3, 9/4; five dimensions")
    [10.0, 93.1, 3.0, 9.0, 4.0, 5.0]
    """
    for pattern in _NOT_CLAIMS:
        text = pattern.sub(" ", text)
    text = _NUMBER_WORD.sub(lambda m: str(_WORDS.index(m.group(1).lower()) + 2), text)
    return [float(n) for n in _NUMBER.findall(text)]


def published_numbers(value: Any) -> Iterator[float]:
    """Every number in a published figure (numbers, lists, "including" lists, text)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from published_numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from published_numbers(v)
    elif isinstance(value, str):
        yield from claimed_numbers(value)


def study_file(study: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "studies" / f"{study}.yaml").read_text(encoding="utf-8"))


def readme_rows() -> dict[str, str]:
    """The README's studies table: study → the whole row."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Studies", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines():
        found = re.match(r"\| `([\w-]+)` \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


def report_prose(study: str) -> Iterator[tuple[str, str]]:
    """(where, text) of the report prose about ``study``."""
    params = study_file(study)
    for i, note in enumerate(params.get("notes") or [], 1):
        yield f"studies/{study}.yaml note {i}", note
    for nb in params.get("notebooks", []):
        if not nb.startswith("results-"):
            continue
        cells = json.loads((PROJECT_ROOT / "notebooks" / f"{nb}.ipynb").read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "markdown":
                yield f"notebooks/{nb}.ipynb cell {i}", "".join(cell["source"])
    row = readme_rows().get(study)
    if row is not None:
        yield "README.md studies table", row


def test_the_readme_table_lists_every_study():
    assert sorted(readme_rows()) == STUDIES


@pytest.mark.parametrize("study", STUDIES)
def test_every_number_in_the_prose_is_a_published_figure(study):
    published = study_file(study).get("published") or ""
    allowed = set(published_numbers(read_published(published))) if published else set()
    stray = [
        f"{where}: {n:g}" for where, text in report_prose(study) for n in claimed_numbers(text) if n not in allowed
    ]
    assert not stray, "numbers stated that are not published figures of the comparison:\n" + "\n".join(stray)


def test_a_claim_outside_the_comparison_is_caught():
    # the defect of issue 16: "five named dimensions of empathy" was prose, not a figure
    # (the table lists six); a stated count that is not a published figure is reported
    published = {"n_dyads": 10, "sessions": [1, 3, 9]}
    allowed = set(published_numbers(published))
    stated = "10 dyads; sessions 1, 3 and 9 observed; five named dimensions of empathy"
    assert [n for n in claimed_numbers(stated) if n not in allowed] == [5.0]


def test_an_including_figure_matches_only_when_every_named_item_is_computed():
    published = {"dims": {"includes": ["illness", "employment"]}}
    assert list(flatten(published)) == ["dims"]
    assert compare_published({"dims": ["illness", "employment", "daily living"]}, published)["match"].tolist() == [True]
    assert compare_published({"dims": ["illness"]}, published)["match"].tolist() == [False]
    assert compare_published({}, published)["match"].tolist() == [False]
