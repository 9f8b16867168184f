"""The declared fields' schema (issue 14: checked on whole columns first, pandera only to
word the failures): the problems found are pandera's own."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from peerstudy.cleaning import cleanschema
from peerstudy.cleaning.cleanschema import validate_typed
from peerstudy.cleaning.surveyfields import Fields, FieldSpec

SPEC = Fields(
    file="fields.yaml",
    id="id",
    header_rows=1,
    missing=(),
    specs=(
        FieldSpec(name="id", column="ID", type="id", required=True, min=1),
        FieldSpec(name="age", column="Age", type="integer", min=18, max=99),
        FieldSpec(name="hours", column="Hours", type="number", max=80.5),
        FieldSpec(name="sex", column="Sex", type="category", categories={"female": ("f",), "male": ("m",)}),
        FieldSpec(name="site", column="Site", type="label", required=True),
    ),
)
_VALUES = {
    "id": st.one_of(st.none(), st.integers(-2, 5), st.sampled_from(["P1", "P2"])),
    "age": st.one_of(st.none(), st.integers(0, 120)),
    "hours": st.one_of(st.none(), st.just(float("nan")), st.floats(min_value=-1, max_value=100)),
    "sex": st.one_of(st.none(), st.sampled_from(["female", "male", "other"])),
    "site": st.one_of(st.none(), st.sampled_from(["North", "South"])),
}


def _pandera_only(typed):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cleanschema, "_passes", lambda typed, spec: False)
        return validate_typed(typed, SPEC, "export.csv")


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.fixed_dictionaries(_VALUES), max_size=6))
def test_the_quick_check_finds_what_pandera_finds(rows):
    # the reference: pandera's validation of the same table, with the quick check switched off
    typed = pd.DataFrame(rows, columns=list(_VALUES), index=pd.RangeIndex(2, 2 + len(rows)))
    assert validate_typed(typed, SPEC, "export.csv") == _pandera_only(typed)


def test_a_table_within_every_limit_passes():
    typed = pd.DataFrame(
        {"id": [1, 2], "age": [18, 99], "hours": [80.5, None], "sex": ["female", None], "site": ["North", "South"]},
        index=[2, 3],
    )
    assert validate_typed(typed, SPEC, "export.csv") == [] == _pandera_only(typed)
