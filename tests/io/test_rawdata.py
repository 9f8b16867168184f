"""Raw data are only read: every change to a raw folder is caught before a run, until
someone accepts it with one command."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from helpers import heavy_modules_after, tree_digest
from peerstudy import pipeline
from peerstudy.config import PROJECT_ROOT
from peerstudy.errors import InputError
from peerstudy.io.rawdata import CHECKSUMS, accept_raw, check_raw, digest_folder, read_checksums

STUDY = "supporter-survey"


@pytest.fixture()
def raw(tmp_path):
    """A copy of a study's raw folder, with its committed SHA256SUMS."""
    folder = tmp_path / "raw"
    shutil.copytree(PROJECT_ROOT / "data/raw" / STUDY, folder)
    return folder


@pytest.mark.parametrize("study", pipeline.list_studies())
def test_committed_raw_folders_match_their_checksums(study):
    folder = pipeline.load_study(study).raw
    assert (folder / CHECKSUMS).is_file(), f"{study}: no {CHECKSUMS}"
    assert check_raw(folder) == read_checksums(folder)


def test_checksums_are_sha256_of_the_bytes(raw):
    """Independent implementation: hashlib over the whole file, as `sha256sum` computes it."""
    for name, digest in read_checksums(raw).items():
        assert digest == hashlib.sha256((raw / name).read_bytes()).hexdigest()


def test_checksum_file_is_what_sha256sum_checks(raw):
    if shutil.which("sha256sum") is None:
        pytest.skip("no sha256sum program on this machine")
    done = subprocess.run(["sha256sum", "--check", "--strict", CHECKSUMS], cwd=raw, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_changed_added_and_removed_files_are_reported_together_with_the_command_to_accept(raw):
    (raw / "coding-sheet.csv").write_bytes((raw / "coding-sheet.csv").read_bytes() + b"\n")
    (raw / "notes.txt").write_text("a file nobody recorded")
    (raw / "codebook.yaml").unlink()
    before = tree_digest(raw)
    with pytest.raises(InputError) as info:
        check_raw(raw, study=STUDY)
    text = str(info.value)
    assert text.startswith("3 problems found:")
    assert "coding-sheet.csv: expected the content recorded in SHA256SUMS, found a file that changed since." in text
    assert "notes.txt: expected the content recorded in SHA256SUMS, found a file not recorded there." in text
    assert "codebook.yaml: expected the content recorded in SHA256SUMS, found the file is missing." in text
    assert text.count(f"accept it with `python -m peerstudy accept-raw --study {STUDY}`") == 3
    assert tree_digest(raw) == before, "checking wrote nothing"


def test_accept_records_the_folder_and_says_what_changed(raw):
    (raw / "notes.txt").write_text("a deliberate addition")
    (raw / "README.md").unlink()
    assert accept_raw(raw) == {"added": ["notes.txt"], "changed": [], "removed": ["README.md"]}
    assert check_raw(raw) == digest_folder(raw)
    assert accept_raw(raw) == {"added": [], "changed": [], "removed": []}


def test_missing_or_damaged_checksum_file(raw):
    (raw / CHECKSUMS).write_text("not a checksum line\n")
    with pytest.raises(InputError, match=r"SHA256SUMS, row 1: expected a line '<sha256>  <file>'"):
        check_raw(raw)
    (raw / CHECKSUMS).unlink()
    with pytest.raises(
        InputError,
        match=r"raw/SHA256SUMS: expected the checksum list of the raw files, found no "
        r"such file\. Fix: check the raw files, then record them with `python -m "
        r"peerstudy accept-raw --study raw`",
    ):
        check_raw(raw)


def test_a_run_refuses_changed_raw_data_before_writing_anything(tmp_path):
    from helpers import copy_study

    path = copy_study(tmp_path, STUDY, lambda raw: None, name="edited-survey")
    export = tmp_path / "raw/questionnaire-export.csv"
    export.write_bytes(export.read_bytes().replace(b"\r\n", b"\n", 1))
    out = tmp_path / "out"
    with pytest.raises(
        InputError,
        match=r"raw/questionnaire-export\.csv: expected the content recorded in "
        r"SHA256SUMS, found a file that changed since",
    ):
        pipeline.run_study(path, output_root=out)
    assert not out.exists(), "nothing written, not even the staging folder"


def test_command_line_accepts_a_change_and_the_next_check_passes(tmp_path):
    from helpers import copy_study

    path = copy_study(tmp_path, STUDY, lambda raw: None, name="edited-survey")
    (tmp_path / "raw/coding-sheet.csv").write_bytes((tmp_path / "raw/coding-sheet.csv").read_bytes() + b"\n")
    done = subprocess.run(
        [sys.executable, "-m", "peerstudy", "accept-raw", "--study", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "edited-survey: recorded in" in done.stdout and "changed coding-sheet.csv" in done.stdout
    check_raw(tmp_path / "raw")


# ----------------------------------------------------------------------------- links and special files (issue 13)
@pytest.mark.parametrize("kind", ["folder-link", "file-link", "fifo"])
def test_links_and_special_files_are_refused_never_skipped(raw, tmp_path, kind):
    import os

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sheet.csv").write_text("a,b\n")
    if kind == "folder-link":
        (raw / "more").symlink_to(elsewhere, target_is_directory=True)
    elif kind == "file-link":
        (raw / "more").symlink_to(elsewhere / "sheet.csv")
    else:
        os.mkfifo(raw / "more")
    before = (raw / CHECKSUMS).read_bytes()
    for call in (accept_raw, check_raw):
        with pytest.raises(InputError) as info:
            call(raw)
        text = str(info.value)
        assert "raw/more: expected a file or folder of the raw data itself, found " in text
        assert ("a symbolic link (to " if kind != "fifo" else "a special file") in text
        assert "Fix: replace it by a copy of what it points to" in text
    assert (raw / CHECKSUMS).read_bytes() == before, "accept-raw wrote nothing"


# ----------------------------------------------------------------------------- accept-raw, quick and quiet (issue 14)
def test_accepting_an_unchanged_folder_leaves_its_checksum_file_as_it_is(raw):
    """Nothing changed, nothing written: the file system's own record of the checksum file
    (its inode, which an atomic rewrite replaces, and its modification time) stays."""
    before = (raw / CHECKSUMS).stat()
    assert accept_raw(raw) == {"added": [], "changed": [], "removed": []}
    after = (raw / CHECKSUMS).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    (raw / CHECKSUMS).write_bytes((raw / CHECKSUMS).read_bytes().replace(b"\n", b"\r\n"))
    assert accept_raw(raw) == {"added": [], "changed": [], "removed": []}
    assert b"\r" not in (raw / CHECKSUMS).read_bytes(), "a list written otherwise is written again"


@pytest.mark.parametrize("study", pipeline.list_studies())
def test_accept_raw_loads_none_of_the_heavy_libraries(tmp_path, study):
    """``accept-raw`` checks the study (its notebooks' parameters read without papermill)
    and records its raw folder without loading pandas, numpy, matplotlib, papermill,
    nbconvert, nbformat, nbclient or jupyter_client (listed from a fresh interpreter)."""
    from helpers import copy_study

    path = copy_study(tmp_path, study, lambda raw: (raw / "added.txt").write_text("new"), name="light-study")
    (tmp_path / "raw" / "added.txt").write_text("changed")
    code = f"from peerstudy.__main__ import main\nstatus = main(['accept-raw', '--study', {str(path)!r}])"
    said = heavy_modules_after(code, "status")
    assert said.endswith("changed added.txt\n0 []\n"), said


def test_files_of_the_system_beside_the_data_are_no_raw_data(tmp_path):
    # Finder writes .DS_Store when the folder is opened, Excel ~$<name> while a sheet is
    # open: a run refused the data as changed each time; a file of data still counts
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "coder-a.csv").write_text("unit,code\nU1,a\n", encoding="utf-8")
    accept_raw(raw)
    (raw / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / "~$coder-a.csv").write_bytes(b"\x05Tess Wren")
    (raw / "._coder-a.csv").write_bytes(b"\x00\x05\x16\x07")
    assert check_raw(raw) == read_checksums(raw)
    (raw / "coder-b.csv").write_text("unit,code\nU1,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="coder-b.csv: expected the content recorded in SHA256SUMS"):
        check_raw(raw)
