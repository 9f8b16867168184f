"""Reading input files at the boundary: every failure is one clear InputError."""

from __future__ import annotations

import pytest

from peerstudy.errors import InputError
from peerstudy.readers import read_csv_table, read_text, read_yaml


def test_csv_keeps_cells_verbatim_and_numbers_rows_as_a_spreadsheet(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes('\ufeffa,b\r\nsub,sub\r\n" 1 ","two\r\nlines"\r\n3,\r\n'.encode("utf-8"))
    table = read_csv_table(path, header_rows=2)
    assert list(table.index) == [3, 4]
    assert table.loc[3, "a"] == " 1 "
    assert table.loc[3, "b"] == "two\r\nlines"
    assert table.loc[4, "b"] == ""


def test_missing_file_names_the_file_and_parameter(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: expected a CSV file, found no such file.*'survey_export'"):
        read_csv_table(tmp_path / "nope.csv", parameter="survey_export")


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_text("  \n")
    with pytest.raises(InputError, match="found an empty file"):
        read_csv_table(tmp_path / "e.csv")


def test_header_only(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="expected at least one data row, found only the header"):
        read_csv_table(tmp_path / "h.csv")


def test_missing_and_duplicated_columns_reported_together(tmp_path):
    (tmp_path / "d.csv").write_text("a,a,b\n1,2,3\n")
    with pytest.raises(InputError) as info:
        read_csv_table(tmp_path / "d.csv", required=["a", "c", "d"])
    assert len(info.value.problems) == 2
    text = str(info.value)
    assert "row 1, field 'a': expected unique column names" in text
    assert "column(s) 'c', 'd'" in text


def test_wrong_encoding_names_the_line(tmp_path):
    (tmp_path / "l.csv").write_bytes("a\nok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"l\.csv, row 3: expected text encoded as UTF-8"):
        read_text(tmp_path / "l.csv")


def test_renamed_binary_file_is_refused(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="binary content"):
        read_text(tmp_path / "t.csv")


@pytest.mark.parametrize("row", ["3,4,5", "3,4,"])
def test_extra_cells_point_at_the_row(tmp_path, row):
    # an unquoted comma shifts every later cell, even when the extra cell is empty
    (tmp_path / "x.csv").write_text(f"a,b\n1,2\n{row}\n")
    with pytest.raises(InputError, match=r"row 3: expected at most 2 cells, found 3 cells"):
        read_csv_table(tmp_path / "x.csv")


def test_yaml_syntax_error_names_the_line(tmp_path):
    (tmp_path / "c.yaml").write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(InputError, match=r"c\.yaml, row \d: expected valid YAML"):
        read_yaml(tmp_path / "c.yaml")
