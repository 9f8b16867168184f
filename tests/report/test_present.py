"""The presentation rules of report tables and figures (peerstudy.report.present, peerstudy.report.labels).

Every table here is small and written by hand; every expected string was written by hand
from the rule it checks (the rules are listed in peerstudy.report.present's docstring), not
copied from the code's output.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from peerstudy.report.labels import label_characteristic, label_name, label_path
from peerstudy.report.outputs import StudyOutputs
from peerstudy.report.present import Numbering, format_value, order_bands, render_frame, render_table


def body_cells(html: str) -> list[list[str]]:
    """The text of every body cell, row by row."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in body.split("</tr>")[:-1]]


def headers(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html, re.S)]


def test_the_default_index_is_hidden_and_a_named_one_is_a_column():
    plain = render_table(pd.DataFrame({"item": ["a", "b"], "n": [1, 2]}))
    # two columns, two header cells; no index cells (Styler marks them row_heading / blank)
    assert headers(plain) == ["Item", "n"]
    assert "row_heading" not in plain and 'class="blank' not in plain
    assert body_cells(plain) == [["a", "1"], ["b", "2"]]
    named = render_table(pd.DataFrame({"n": [4]}, index=pd.Index(["self-growth"], name="code")))
    assert headers(named) == ["Code", "n"] and body_cells(named) == [["self-growth", "4"]]


def test_missing_values_are_an_em_dash():
    frame = pd.DataFrame(
        {"name": ["a", None, "c"], "n": pd.array([1, pd.NA, 3], dtype="Int64"), "x": [1.5, float("nan"), 2.0]}
    )
    html = render_table(frame)
    assert "<NA>" not in html and "NaN" not in html and "None" not in html
    assert body_cells(html) == [["a", "1", "1.5"], ["\u2014", "\u2014", "\u2014"], ["c", "3", "2"]]


def test_counts_stored_as_floats_are_shown_as_integers():
    html = render_table(pd.DataFrame({"statistic": ["units", "agreements"], "value": [160.0, 149.0]}))
    assert body_cells(html) == [["units", "160"], ["agreements", "149"]]
    assert "160.0" not in html


def test_percentages_at_the_declared_precision_and_declared_decimals_per_column():
    frame = pd.DataFrame({"code": ["a", "b"], "percent_agreement": [93.125, 50.0], "mean": [3.14159, 2.5]})
    html = render_table(frame, decimals={"mean": 2})
    # percentages: one decimal (PERCENT_DECIMALS), also for 50; mean: the 2 declared
    assert body_cells(html) == [["a", "93.1", "3.14"], ["b", "50.0", "2.50"]]
    assert headers(html) == ["Code", "Agreement (%)", "Mean"]


def test_a_mixed_value_column_shows_each_figure_as_it_needs():
    frame = pd.DataFrame({"statistic": ["units", "percent", "kappa"], "value": [160.0, 93.1, 0.928]})
    assert [row[1] for row in body_cells(render_table(frame))] == ["160", "93.1", "0.928"]


def test_the_published_comparison_shows_labels_and_numbers():
    frame = pd.DataFrame(
        {
            "figure": ["n_returned", "diagnosis.mood disorder"],
            "published": ["20.0", "3.0"],
            "reproduced": ["20.0", None],
        }
    )
    html = render_table(frame)
    assert body_cells(html) == [["Returned, n", "20", "20"], ["Diagnosis › Mood disorder", "3", "—"]]


def test_text_is_left_aligned_and_numbers_right_aligned():
    html = render_table(pd.DataFrame({"quote": ["I listened."], "n": [3], "number": ["12"]}), table_id="q")
    css = html.split("</style>")[0]
    assert re.search(r"#T_q-0 \.col0 \{\s*text-align: left;", css)
    assert re.search(r"#T_q-0 \.col1 \{\s*text-align: right;", css)
    assert re.search(r"#T_q-0 \.col2 \{\s*text-align: right;", css)  # a number read as text is a number


def test_lists_mappings_and_booleans_are_written_for_people():
    assert format_value([1, 3, 9]) == "1, 3, 9"
    assert format_value({"male": 12, "female": 8}) == "male: 12; female: 8"
    assert (format_value(True), format_value(False)) == ("yes", "no")
    html = render_table(pd.DataFrame({"sessions": [[1, 3, 9]], "ok": [True]}))
    assert body_cells(html) == [["1, 3, 9", "yes"]] and "[1, 3, 9]" not in html


def test_bands_are_in_their_natural_order():
    assert order_bands(["code", "10+", "3-5", "6-9"]) == ["code", "3-5", "6-9", "10+"]
    frame = pd.DataFrame({"10+": [1], "3-5": [2], "6-9": [3]}, index=pd.Index(["a"], name="code"))
    html = render_table(frame)
    assert headers(html) == ["Code", "3-5", "6-9", "10+"]
    assert body_cells(html) == [["a", "2", "3", "1"]]  # the values move with their columns


def test_a_long_table_is_collapsed_with_its_count_and_a_link_to_the_csv():
    frame = pd.DataFrame({"record": [f"r{i}" for i in range(320)]})
    html = render_table(frame, link="tables/records.csv")
    assert len(body_cells(html)) == 25
    assert body_cells(html)[-1] == ["r24"]
    assert 'Showing 25 of 320 rows \u2014 full table: <a href="tables/records.csv">tables/records.csv</a>' in html
    # a table a few rows longer than 25 (up to 30) is shown whole
    short = render_table(frame.head(30), link="tables/records.csv")
    assert "Showing" not in short and len(body_cells(short)) == 30
    assert "Showing 25 of 31 rows" in render_table(frame.head(31))


def test_an_empty_table_says_no_rows():
    page = Numbering()
    html = render_table(pd.DataFrame(columns=["segment", "code"]), title="Disagreements", numbering=page)
    assert "<table" not in html
    assert "<b>Table 1.</b> Disagreements" in html and "No rows." in html


def test_cells_and_titles_are_escaped():
    html = render_table(pd.DataFrame({"text": ["<script>x</script>"]}), title="A & B")
    assert "<script>" not in html and "&lt;script&gt;" in html and "A &amp; B" in html


def test_internal_names_become_labels():
    assert label_name("n_by_HJ") == "n (HJ)"
    assert label_name("statements_PIR") == "Statements (PIR)"
    assert label_name("first_author") == "First author"
    assert label_characteristic("service_years range, mean [min,max]") == "Service years, mean [min, max]"
    labels = {"motivation": "Motivation", "self-disclosure": "Self-disclosure"}
    assert label_path("categories.motivation.self-disclosure", labels) == "Categories › Motivation › Self-disclosure"
    assert label_path("n_dyads") == "Dyads, n" and label_path("diagnosis.mood disorder") == "Diagnosis › Mood disorder"
    html = render_table(
        pd.DataFrame({"characteristic": ["age range, mean [min,max]"], "level": [None], "value": ["42.1 [29.0,61.0]"]})
    )
    assert body_cells(html) == [["Age, mean [min, max]", "\u2014", "42.1 [29, 61]"]]


def test_codes_are_shown_by_their_labels_unless_the_table_shows_them():
    labels = {"empathy": "Empathy", "hope": "Instilling hope"}
    html = render_table(pd.DataFrame({"dyad": ["D01"], "code": ["hope"]}), labels=labels)
    assert body_cells(html) == [["D01", "Instilling hope"]]
    html = render_table(pd.DataFrame({"code": ["hope"], "dimension": ["Instilling hope"]}), labels=labels)
    assert body_cells(html) == [["hope", "Instilling hope"]]


def test_captions_are_numbered_in_the_order_shown_on_a_page(tmp_path):
    report = StudyOutputs("demo", root=tmp_path)
    first = report.table("first", pd.DataFrame({"n": [1]}), title="First written")
    second = report.table("second-table", pd.DataFrame({"n": [2]}))
    fig, ax = plt.subplots()
    ax.set_title("Counts")
    figure = report.figure("counts", fig)
    key = report.key_figures({"n_returned": 20, "sex": {"male": 12}})
    # shown in another order than written: numbers follow the page
    assert "<b>Table 1.</b> Second table" in second._repr_html_()
    assert "<b>Table 2.</b> First written" in first._repr_html_()
    assert "<b>Table 2.</b>" in first._repr_html_()  # shown again: the same number
    assert "<b>Figure 1.</b> Counts" in figure.caption_html()
    key_html = key._repr_html_()
    assert "<b>Table 3.</b> Key figures" in key_html and "{" not in key_html.split("</style>")[1]
    assert body_cells(key_html) == [["Returned, n", "20"], ["Sex › Male", "12"]]


def test_the_files_keep_the_data_and_code_gets_a_dataframe(tmp_path):
    report = StudyOutputs("demo", root=tmp_path)
    frame = pd.DataFrame({"n": [23.0], "name": [None]})
    shown = report.table("counts", frame)
    # the CSV holds the value as pandas writes it, whatever the page shows (BOM, then the cells)
    assert (tmp_path / "reports/demo/tables/counts.csv").read_bytes() == "\ufeffn,name\n23.0,\n".encode()
    assert isinstance(shown, pd.DataFrame) and shown.equals(frame)
    assert type(shown[["n"]]) is pd.DataFrame  # operations give plain frames
    assert isinstance(report.key_figures({"a": 1}), dict)


@pytest.mark.parametrize("kind", ["Table", "Figure"])
def test_numbering_counts_each_kind_on_its_own(kind):
    page = Numbering()
    page.next("Table" if kind == "Figure" else "Figure")
    assert page.next(kind) == 1 and page.next(kind) == 2


def test_a_table_renders_the_same_on_every_run():
    # nbval compares the stored HTML of notebooks: no random ids or memory addresses
    frame = pd.DataFrame({"a": [1, 2]})
    assert render_frame(frame) == render_frame(frame.copy())
    assert "T_f" in render_frame(frame)
