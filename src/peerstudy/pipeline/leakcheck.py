"""The leak check: no identifier of a study's raw data in that study's outputs.

After a study's notebooks ran, and before its outputs are put in place, the pipeline
calls :func:`check_outputs` on the staging folder. It collects the identifiers the
study's raw data hold (:func:`raw_identifiers`): every entry of the study's
de-identification key (participants as they are named, other names, places), and every
phone number, e-mail, URL and IP address the finders of :mod:`peerstudy.cleaning.deid` find in
the raw files. It then searches every staged output (:func:`scan_outputs`): text files
(CSV, Markdown, JSON, SVG, ...), HTML (entities decoded), notebooks (every string, with
images left out), parquet tables (every cell value, column names included) and the
members of zip files (``.qdpx``). Key entries are searched as :func:`peerstudy.cleaning.deid.deidentify`
matches them (case, Unicode form, spaces and hyphen breaks aside; CJK names as
substrings); phone numbers also by their digits alone.

A hit stops the run (:class:`LeakFound`): nothing is put in place, and the message names
each file and the kind of identifier found in it, never the identifier itself.

The check applies to studies that de-identify (that declare a ``deid_key`` parameter,
even an empty one); a literature review's records are published data.

Examples
--------
>>> import tempfile
>>> from peerstudy.cleaning.deid import DeidKey
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "quotes.md").write_text("As kang tae-hoon said", encoding="utf-8")
>>> scan_outputs(folder, {"Kang Tae-hoon": "participant"})
[('quotes.md', 'participant')]
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from peerstudy.cleaning.deid import find_identifiers
from peerstudy.cleaning.deidkey import study_key
from peerstudy.cleaning.keymatch import KeyPattern
from peerstudy.errors import PeerstudyError, Problem

__all__ = ["LeakFound", "raw_identifiers", "scan_outputs", "check_outputs"]

#: Raw files that are not data: the checksums and the data dictionary.
SKIPPED_RAW = {"SHA256SUMS", "README.md"}
#: Outputs that hold no text: pictures (figures are searched in their SVG twin).
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".pdf", ".webp", ".ico"}
ZIP_SUFFIXES = {".qdpx", ".zip", ".docx", ".xlsx", ".odt"}
MAX_BYTES = 512 * 1024 * 1024  # a file (or zip member) larger than this is refused, not read
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+", re.IGNORECASE)
_XML_TAG = re.compile(r"<[^>]*>")
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)  # matplotlib writes a figure's texts into SVG comments
_BLOCK_END = re.compile(
    r"</(?:w:p|text:p|p|div|td|th|li|tr|h\d|Description|PlainTextContent)>|<w:br/>|<w:tab/>|<br\s*/?>"
)
# Members of an office document that hold layout, not text (read in raw inputs only).
_LAYOUT_MEMBER = re.compile(
    r"(?:styles|stylesWithEffects|theme\d*|fontTable|settings|webSettings|numbering)\.xml$"
    r"|\.rels$|^\[Content_Types\]\.xml$",
    re.IGNORECASE,
)
MARKUP_SUFFIXES = {".html", ".htm", ".svg", ".xml", ".rels", ".qde", ".qdc"}


class LeakFound(PeerstudyError):
    """An identifier of the raw data was found in a study's outputs."""


# ------------------------------------------------------------------------ reading
def _zip_texts(data: bytes, where: str, raw: bool) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if (
                info.is_dir()
                or Path(info.filename).suffix.lower() in BINARY_SUFFIXES
                or (raw and _LAYOUT_MEMBER.search(info.filename))
            ):
                continue
            if info.file_size > MAX_BYTES:
                raise LeakFound(
                    Problem(
                        file=f"{where} [{info.filename}]",
                        expected=f"members under {MAX_BYTES} bytes",
                        found=f"{info.file_size} bytes",
                        fix="check what wrote this archive",
                    )
                )
            yield from _texts_of(f"{where} [{info.filename}]", archive.read(info), raw=raw)


def _notebook_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _notebook_strings(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("image/") and key != "image/svg+xml":
                continue  # base64 pixels: any short name occurs in them by chance
            yield key
            yield from _notebook_strings(value)


def _parquet_text(data: bytes) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    parts = list(map(str, table.column_names))
    for column in table.columns:
        parts += [str(v) for v in column.to_pylist() if v is not None]
    return "\n".join(parts)


def _texts_of(name: str, data: bytes, *, raw: bool = False) -> Iterator[tuple[str, str]]:
    """(where, text) of a file's contents, as a reader of that kind of file sees them.
    Markup (HTML, SVG, XML) is searched as written (a name in an attribute counts) and
    as text between the tags (a name split by tags counts); in ``raw`` inputs only the
    text between the tags is data (``.docx`` markup holds schema URLs)."""
    suffix = Path(name.rsplit(" [", 1)[-1].rstrip("]")).suffix.lower()
    if suffix in BINARY_SUFFIXES:
        return
    if suffix == ".parquet" or data[:4] == b"PAR1":
        yield name, _parquet_text(data)
        return
    if suffix in ZIP_SUFFIXES or data[:4] == b"PK\x03\x04":
        try:
            yield from _zip_texts(data, name, raw)
            return
        except zipfile.BadZipFile:
            pass  # named as an archive but none (Word's lock file ~$x.docx, a damaged file): searched as text
    text = data.decode("utf-8", errors="replace")
    if suffix == ".ipynb":
        try:
            text = "\n".join(_notebook_strings(json.loads(text)))
        except json.JSONDecodeError:
            pass
    text = _DATA_URI.sub(" ", text)
    if suffix in MARKUP_SUFFIXES or text.lstrip("\ufeff \r\n\t").startswith("<"):
        between = html.unescape(_XML_TAG.sub("", _BLOCK_END.sub("\n", _COMMENT.sub(r" \1 ", text))))
        if not raw:
            yield name, html.unescape(text)
        yield name, between
    else:
        yield name, text


def _read_bounded(path: Path, shown: str) -> bytes:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise LeakFound(
            Problem(
                file=shown,
                expected=f"a file under {MAX_BYTES} bytes to search",
                found=f"{size} bytes",
                fix="check what wrote this file",
            )
        )
    return path.read_bytes()


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


# ------------------------------------------------------------------------ identifiers
def raw_identifiers(parameters: Mapping[str, Any], raw: Path) -> dict[str, str]:
    """{identifier: kind} of a study: its key's entries (``deid_key``, with the regions
    of ``phone_regions``) and what the phone, e-mail, URL and IP finders find in the
    files of its raw folder ``raw`` (all but :data:`SKIPPED_RAW`; ``.docx`` and zip
    members read as text).

    Examples
    --------
    >>> found = raw_identifiers({"deid_key": "data/raw/professional-interviews/deid-key.yaml"},
    ...                         Path("data/raw/professional-interviews"))
    >>> found["Kang Tae-hoon"], found["Haneul Gil"]
    ('participant', 'place')
    """
    key = study_key(parameters.get("deid_key") or "", parameters.get("phone_regions") or None)
    texts = []
    for path in _files(Path(raw)):
        if path.name in SKIPPED_RAW:
            continue
        texts += [text for _, text in _texts_of(path.name, _read_bounded(path, path.name), raw=True)]
    found = find_identifiers(key, *texts)
    # a speaker already labelled by the pseudonym (a key entry "P3: P3") is no identifier
    pseudonyms = set(key.participants.values())
    return {value: kind for value, kind in found.items() if not (kind == "participant" and value in pseudonyms)}


def _search_table(identifiers: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """What is searched for each identifier: key entries as they are (matched as the key
    matches them); found values also with their letters and digits alone, for phone
    numbers (a number written another way: ``010-1234-5678`` as ``01012345678``)."""
    table: dict[str, tuple[str, str]] = {}
    for value, kind in identifiers.items():
        table.setdefault(value, (value, kind))
        digits = re.sub(r"\D", "", value)
        if kind == "phone" and len(digits) >= 7:
            table.setdefault(digits, (digits, kind))
    return table


# ------------------------------------------------------------------------ scanning
def scan_outputs(folder: Path, identifiers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Sorted (file, kind) of every output file under ``folder`` in which one of
    ``identifiers`` ({value: kind}) occurs, as :mod:`peerstudy.cleaning.deid` matches key
    entries; files are shown relative to ``folder``, a zip member as
    ``file [member]``. The values found are never returned."""
    pattern = KeyPattern(_search_table(identifiers))
    if pattern.regex is None:
        return []
    hits = set()
    for path in _files(Path(folder)):
        shown = path.relative_to(folder).as_posix()
        for where, text in _texts_of(shown, _read_bounded(path, shown)):
            for match in pattern.regex.finditer(text):
                hits.add((where, pattern.find(match.group(0))[1]))
    return sorted(hits)


def check_outputs(study: str, parameters: Mapping[str, Any], raw: Path, staged: Path) -> None:
    """Stop a run whose staged outputs hold an identifier of the study's raw data.

    Parameters
    ----------
    study
        The study's name.
    parameters
        The study's parameters (``deid_key``, ``phone_regions``); a study without a
        ``deid_key`` parameter is not checked.
    raw
        The study's raw folder.
    staged
        The run's staging folder (holding ``data/processed/<study>/`` and
        ``reports/<study>/``).

    Raises
    ------
    LeakFound
        One problem per file and kind of identifier; the identifier is not named.
    """
    if "deid_key" not in parameters:
        return
    identifiers = raw_identifiers(parameters, raw)
    hits = []
    for top in (f"data/processed/{study}", f"reports/{study}"):
        if (Path(staged) / top).is_dir():
            hits += [(f"{top}/{file}", kind) for file, kind in scan_outputs(Path(staged) / top, identifiers)]
    if hits:
        raise LeakFound(
            [
                Problem(
                    file=file,
                    field=kind,
                    expected="no identifier of the raw data in the outputs",
                    found=f"{_KIND_WORDS.get(kind, 'an identifier')} of the raw data (not shown here)",
                    fix=f"nothing was written for {study}: de-identify the text this output is made from "
                    "(see peerstudy.cleaning.deid), or add the identifier to the study's key",
                )
                for file, kind in hits
            ]
        )


_KIND_WORDS = {
    "participant": "a participant's name listed in the key",
    "name": "a name listed in the key",
    "place": "a place listed in the key",
    "phone": "a phone number",
    "email": "an e-mail address",
    "url": "a URL",
    "ip": "an IP address",
}
