"""Sheets that name units (a third coder's stability sheet): units found by their ids."""

from __future__ import annotations

import pytest

from helpers import FIXTURES, qda_study_documents
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import apply_coding_sheets
from peerstudy.qualitative.units import read_unit_sheets

STUDY = FIXTURES / "qda-study"
DOCUMENTS = qda_study_documents()


@pytest.mark.parametrize("unit_column", ["unit", ""])
def test_a_stability_sheet_names_the_units_of_the_unit_column(unit_column):
    # the coder sheets carry a unit column; a study that does not name it in unit_column has
    # units without ids, and the stability sheet's ids are then told to be declared
    book = read_codebook(FIXTURES / "mini-interviews" / "codebook.yaml")
    sheets = [STUDY / "coder-ko.csv", STUDY / "coder-lu.csv"]
    coded = apply_coding_sheets(sheets, DOCUMENTS, book, document_key=["document"], unit_column=unit_column)
    if unit_column:
        recoded = read_unit_sheets([STUDY / "coder-mi.csv"], coded, book)
        assert set(recoded["unit"]) <= set(coded.codings["unit"])
        return
    with pytest.raises(InputError) as info:
        read_unit_sheets([STUDY / "coder-mi.csv"], coded, book)
    assert {p.fix for p in info.value.problems if p.field == "unit"} == {
        "name the coder sheets' column of unit ids in the study's unit_column "
        "(it names none, so the units have no ids to refer to)"
    }
