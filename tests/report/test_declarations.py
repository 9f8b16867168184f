"""What a study declares about its results (peerstudy.report.declarations), read without
pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import heavy_modules_after
from peerstudy.errors import ConfigError
from peerstudy.report.declarations import declared_characteristics, declared_titles, stand_in_notes
from peerstudy.report.tables import characteristics_table


def test_characteristics_follow_the_declared_types(tmp_path):
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  id: {column: id, type: id}\n  band: {column: b, type: category}\n"
        "  years: {column: y, type: integer}\n  note: {column: n, type: text}\n"
    )
    # every declared field with a summary, in file order; the integer one is continuous
    assert declared_characteristics(tmp_path / "fields.yaml") == (["band", "years"], ["years"])
    with pytest.raises(ConfigError) as info:
        declared_characteristics(tmp_path / "fields.yaml", ["band", "sex", "note"])
    assert [p.found for p in info.value.problems] == ["'sex'", "'note' of type 'text'"]
    assert all(p.field == "characteristics" for p in info.value.problems)


def test_values_not_in_the_source_paper_are_named_in_one_caveat():
    assert stand_in_notes([]) == []
    (note,) = stand_in_notes(["sex", "age"])
    assert note.startswith("sex, age: not reported in the source paper") and "not published figures" in note


def test_the_declarations_load_no_table_library():
    """The pre-run check reads these; no heavy library is loaded (a fresh interpreter)."""
    assert heavy_modules_after("import peerstudy.report.declarations", "0") == "0 []\n"


def test_an_interview_studys_table_1_names_its_fields_by_their_labels(tmp_path):
    # a participants fields file (as an interview or dyad study writes one) with a label on
    # one field: that field's rows are named by it, the other by its name
    (tmp_path / "fields.yaml").write_text(
        "fields:\n  id: {column: ID, type: id}\n"
        '  role: {column: Role, type: category, label: "Role in the team", categories: {nurse: [nurse], peer: [peer]}}\n'
        "  sex: {column: Sex, type: category, categories: {f: [f], m: [m]}}\n",
        encoding="utf-8",
    )
    titles = declared_titles(tmp_path / "fields.yaml")
    assert titles == {"role": "Role in the team"}
    people = pd.DataFrame({"role": ["nurse", "peer", "peer"], "sex": ["f", "m", "f"]})
    table = characteristics_table(people, ["role", "sex"], titles=titles)
    assert sorted(set(table["characteristic"]) - {"n"}) == ["Role in the team, n (%)", "sex, n (%)"]
