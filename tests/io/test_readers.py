"""Reading input files at the boundary: every failure is one clear InputError."""

from __future__ import annotations

import pytest

from peerstudy.errors import InputError
from peerstudy.io.readers import read_csv_table, read_text
from peerstudy.io.yamlfiles import read_yaml


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


# ----------------------------------------------------------------------------- bounded YAML (issue 13)
def test_every_key_given_twice_is_reported_with_both_lines(tmp_path):
    (tmp_path / "s.yaml").write_text("a: 1\nb: {x: 1, x: 2}\na: 3\nc:\n  - {k: 1}\n  - {k: 1, k: 2}\n")
    with pytest.raises(InputError) as info:
        read_yaml(tmp_path / "s.yaml")
    # by hand: 'x' twice on line 2, 'a' on lines 1 and 3, 'k' twice on line 6
    assert sorted((p.row, p.field) for p in info.value.problems) == [(2, "x"), (3, "a"), (6, "k")]
    assert "s.yaml, row 3, field 'a': expected each key once in its mapping, found 'a' again (first at line 1)" in str(
        info.value
    )


def test_merge_keys_and_a_few_aliases_are_still_accepted(tmp_path):
    (tmp_path / "m.yaml").write_text("base: &b {x: 1, y: 2}\none:\n  <<: *b\n  y: 3\ntwo: *b\n")
    assert read_yaml(tmp_path / "m.yaml") == {
        "base": {"x": 1, "y": 2},
        "one": {"x": 1, "y": 3},
        "two": {"x": 1, "y": 2},
    }


def test_a_billion_laughs_is_refused_without_expanding(tmp_path):
    import tracemalloc

    lol = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
    )
    (tmp_path / "lol.yaml").write_text(lol)
    tracemalloc.start()  # refused before expanding: memory stays small (a time limit would depend on the machine)
    with pytest.raises(
        InputError,
        match=r"lol\.yaml, row 4: expected YAML whose aliases \(\*name\) add at most "
        r"10,000 values when expanded .* found aliases that expand to about 10\*\*10",
    ):
        read_yaml(tmp_path / "lol.yaml")
    # by hand: a0 is 11 values (the list and its 10 strings), a1 1 + 10 * 11 = 111, a2 1,111, a3 11,111:
    # a3 (line 4) is the first that alone expands beyond 10,000; the whole is about 10**10
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2**20


def test_deep_and_self_referring_yaml_is_refused(tmp_path):
    (tmp_path / "deep.yaml").write_text(
        "x:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 60)) + "  " * 60 + "- 1\n"
    )
    with pytest.raises(InputError, match=r"deep\.yaml, row \d+: expected YAML nested at most 50 levels deep"):
        read_yaml(tmp_path / "deep.yaml")
    (tmp_path / "loop.yaml").write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match=r"loop\.yaml, row 1: .*found an alias inside the value it names"):
        read_yaml(tmp_path / "loop.yaml")


def test_a_yaml_file_over_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    from peerstudy.io import yamlfiles

    monkeypatch.setattr(yamlfiles, "MAX_YAML_BYTES", 100)
    (tmp_path / "big.yaml").write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(
        InputError,
        match=r"big\.yaml: expected a YAML file of at most 100 bytes "
        r"\(peerstudy\.io\.yamlfiles\.MAX_YAML_BYTES\), found 204 bytes",
    ):
        read_yaml(tmp_path / "big.yaml")


# ----------------------------------------------------------------------------- text and tables (issue 13)
def test_a_nul_byte_deep_in_a_text_file_names_its_line(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"line\n" * 1000 + b"bad\x00line\n")
    with pytest.raises(
        InputError,
        match=r"t\.txt, row 1001: expected a text file without NUL \(zero\) bytes, "
        r"found a NUL byte at byte 5,003",
    ):
        read_text(tmp_path / "t.txt")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_recognised_in_any_script(tmp_path, encoding):
    # U+AC00 (가) has a zero low byte: the old test of "zeros at one parity only" missed it
    (tmp_path / "k.txt").write_bytes("가족 이야기\n한국어 텍스트 가나다\n".encode(encoding))
    with pytest.raises(InputError, match=f"found text encoded as {encoding.upper()} \\(without a byte order mark\\)"):
        read_text(tmp_path / "k.txt")


def test_semicolon_tab_and_doubled_line_ends_name_the_real_cause(tmp_path):
    (tmp_path / "s.csv").write_text("id;age;sex\n1;30;f\n")
    with pytest.raises(
        InputError,
        match=r"found values separated by semicolons \(';'\): 3 columns split there, 1 "
        r"split at commas",
    ):
        read_csv_table(tmp_path / "s.csv", required=["id"])
    (tmp_path / "t.csv").write_text("id\tage\n1\t30\n")
    with pytest.raises(InputError, match=r"found values separated by tabs"):
        read_csv_table(tmp_path / "t.csv")
    (tmp_path / "c.csv").write_bytes(b"id,age\r\r\n1,30\r\r\n")
    with pytest.raises(
        InputError,
        match=r"c\.csv, row 1: expected lines that end in CR LF or LF, found lines that "
        r"end in CR CR LF",
    ):
        read_csv_table(tmp_path / "c.csv")
    (tmp_path / "ok.csv").write_text('name,note\n"Kim; Lee","a\tb"\n')  # separators inside quoted cells are data
    assert read_csv_table(tmp_path / "ok.csv").loc[2, "note"] == "a\tb"


def test_a_table_over_the_cell_limit_is_refused_early(tmp_path, monkeypatch):
    from peerstudy.io import readers

    monkeypatch.setattr(readers, "MAX_TABLE_CELLS", 10)
    (tmp_path / "x.csv").write_text("a,b,c\n" + "1,2,3\n" * 5)
    # by hand: 3 cells per row; the 4th row (spreadsheet row 4) brings the count to 12 > 10
    with pytest.raises(InputError, match=r"x\.csv, row 4: expected a table of at most 10 cells"):
        read_csv_table(tmp_path / "x.csv")


def test_a_cell_longer_than_the_csv_module_reads_is_a_message(tmp_path):
    (tmp_path / "x.csv").write_text("a\n" + "y" * 200_000 + "\n")
    with pytest.raises(
        InputError,
        match=r"x\.csv, row 2: expected a CSV record, found a record the CSV reader cannot "
        r"read \(field larger than field limit",
    ):
        read_csv_table(tmp_path / "x.csv")


def test_a_sheet_of_headers_only_is_refused_unless_it_may_be_empty(tmp_path):
    (tmp_path / "h.csv").write_text("record,design\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected at least one data row, found only the header"):
        read_csv_table(tmp_path / "h.csv")
    table = read_csv_table(tmp_path / "h.csv", required=["record"], allow_empty=True)
    assert table.columns.tolist() == ["record", "design"] and table.empty


def test_a_workbook_given_for_a_csv_sheet_says_how_to_save_it_as_csv(tmp_path):
    # coders often keep their sheet in Excel; a real workbook (written by openpyxl here) named .xlsx
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["unit", "code"])
    book.save(tmp_path / "coder-a.xlsx")
    with pytest.raises(InputError) as info:
        read_csv_table(tmp_path / "coder-a.xlsx")
    (problem,) = info.value.problems
    assert problem.found == "an Excel workbook, not text"
    assert problem.fix == "save it from Excel as 'CSV UTF-8 (Comma delimited) (*.csv)', and name that file"
