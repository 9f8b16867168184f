"""Writing outputs: whole or not at all, readable by others, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import os

import pandas as pd
import pytest

from peerstudy.report import outputs
from peerstudy.report.outputs import StudyOutputs, to_csv_text, write_atomic, write_bytes_atomic


def test_a_lone_carriage_return_is_quoted_so_a_spreadsheet_keeps_the_row(tmp_path):
    cells = ["\r=2+2", "one\rtwo", "crlf\r\nkept", "plain"]
    text = to_csv_text(pd.DataFrame({"answer": cells}))
    # read back with Python's csv module in its default dialect (an independent reader):
    # one record per cell, each cell whole (the formula-like one with its quote)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["answer"], ["'\r=2+2"], ["one\rtwo"], ["crlf\r\nkept"], ["plain"]]
    # outside quoted cells, no line starts with '=' (the injected formula of the issue)
    assert "\n=" not in text and "\r=" not in text.replace("\"'\r=", "")


@pytest.mark.parametrize("cell", [" =1+1", "\n=1+1", "\u00a0@SUM(A1)", "\u200b+cmd", "\t-2+3", "  -cmd"])
def test_formula_like_cells_are_escaped_whatever_whitespace_leads_them(cell):
    assert to_csv_text(pd.DataFrame({"a": [cell]})).splitlines()[1].lstrip('"').startswith("'")


@pytest.mark.parametrize("cell", ["-3", " -3", "+1.5e3", "-", "50%", "fine - really"])
def test_numbers_and_ordinary_text_are_left_alone(cell):
    assert to_csv_text(pd.DataFrame({"a": [cell]})).splitlines()[1] == cell


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_permissions_of_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_bytes_atomic(tmp_path / "f.txt", b"x")
        StudyOutputs("s", root=tmp_path).table("t", pd.DataFrame({"a": [1]}))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
    assert (tmp_path / "reports/s/tables/t.csv").stat().st_mode & 0o777 == mode


def test_the_writer_flushes_to_disk_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(outputs.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    write_bytes_atomic(tmp_path / "a.txt", b"old")
    assert len(synced) == 1

    def full(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomic(tmp_path / "a.txt", full)
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_scratch_run_names_codes_from_the_codebook_it_read_from_the_project(tmp_path, monkeypatch):
    from peerstudy import config
    from peerstudy.report.notebook import ScratchOutputs

    project = tmp_path / "project"
    monkeypatch.setattr(config, "PROJECT_ROOT", project)
    # an invented two-code codebook, written by an earlier stage in the project only
    book = pd.DataFrame(
        {
            "code": ["trust", "hope"],
            "label": ["Trust", "Hope"],
            "definition": ["", ""],
            "parent": [None, None],
            "depth": [0, 0],
            "root": ["trust", "hope"],
            "order": [0, 1],
        }
    )
    StudyOutputs("demo", root=project).processed(codebook=book)
    scratch = ScratchOutputs("demo", root=tmp_path / "scratch")
    assert scratch.labels == {}  # nothing read yet
    scratch.load("codebook")
    assert scratch.labels == {"trust": "Trust", "hope": "Hope"}  # the labels of the table above
    # a codebook the scratch run wrote itself wins over the project's
    scratch.processed(codebook=book.iloc[:1].assign(label=["Mutual trust"]))
    scratch.load("codebook")
    assert scratch.labels == {"trust": "Mutual trust"}


def test_title_and_notes_show_a_less_than_sign_as_written(tmp_path):
    # CommonMark reads "<" followed by a letter as raw HTML: "aged <b>" would vanish and
    # "<script>" would run in the reviewer's browser; "&lt;" shows the sign
    out = StudyOutputs("demo", root=tmp_path)
    assert out.title("Peers <script>x()</script>").data == "**Peers &lt;script>x()&lt;/script>**"
    shown = out.notes(["Ages <25 & >60 left out", "plain"]).data
    assert shown == "1. Ages &lt;25 & >60 left out\n2. plain"
    assert (out.reports / "notes.md").read_text(encoding="utf-8") == shown + "\n"


@pytest.mark.parametrize("name", ["code-by-age/years", "..", "code-by-a\\b", ""])
def test_a_table_or_figure_name_that_is_no_file_name_writes_nothing(tmp_path, name):
    import matplotlib.pyplot as plt

    from peerstudy.errors import ConfigError

    out = StudyOutputs("demo", root=tmp_path)
    with pytest.raises(ConfigError, match="name that is a file name"):
        out.table(name, pd.DataFrame({"a": [1]}))
    with pytest.raises(ConfigError, match="name that is a file name"):
        out.figure(name, plt.figure())
    plt.close("all")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
