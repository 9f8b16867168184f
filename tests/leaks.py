"""Scan output folders for identifying values (used by the leak tests)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd

TEXT_SUFFIXES = {
    ".ipynb",
    ".html",
    ".md",
    ".csv",
    ".json",
    ".svg",
    ".txt",
    ".jsonl",
    ".qdc",
    ".qdpx",
    ".tex",
    ".xlsx",
    ".docx",
}  # .xlsx and .docx are zip archives: each member's text is scanned
# Embedded images are base64 pixels, not text: any short name occurs in them by chance.
_DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+")


def _text_of(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    if zipfile.is_zipfile(path):  # a REFI-QDA project: every member's text
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist())
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []):
                for mime in [m for m in output.get("data", {}) if m.startswith("image/") and m != "image/svg+xml"]:
                    del output["data"][mime]
        text = json.dumps(nb, ensure_ascii=False)
    return _DATA_URI.sub("", text)


def find_leaks(root: Path, values, study: str | None = None) -> list[tuple[str, str]]:
    """(file, value) for every value found as a whole word in a text file or a parquet
    table under ``root``'s data/processed/ and reports/ (with ``study``: that study's
    folders there, and the files shared by all studies, such as the index)."""
    patterns = {
        v: re.compile(r"(?<![A-Za-z0-9])" + re.escape(v) + r"(?![A-Za-z0-9])") for v in sorted(set(values)) if v
    }
    hits = []
    for top in ("data/processed", "reports"):
        if study is None:
            paths = sorted((root / top).rglob("*"))
        else:
            paths = sorted([*(root / top).glob("*"), *(root / top / study).rglob("*")])
        for path in paths:
            if path.is_file() and (path.suffix == ".parquet" or path.suffix in TEXT_SUFFIXES):
                text = _text_of(path)
                # the substring test first: much quicker than the regex, which must try every place
                hits += [
                    (str(path.relative_to(root)), v) for v, rx in patterns.items() if v in text and rx.search(text)
                ]
    return hits
