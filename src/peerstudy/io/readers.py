"""Read input files at the project's boundary, with clear errors and row numbers kept.

Every reader returns plain pandas objects and raises :class:`~peerstudy.errors.InputError`
naming the file (and row and field where it can) when the file is missing, unreadable,
empty, or lacks what the caller declared as required. Raw files are opened read-only and
never written.

Rows are numbered as a spreadsheet program shows them: 1-based, header rows counted, one
row per record even when a quoted cell spans several lines.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
>>> _ = tmp.write_bytes('\\ufeffid,answer\\r\\n1,"two\\r\\nlines"\\r\\n2,plain\\r\\n'.encode("utf-8"))
>>> table = read_csv_table(tmp, required=["id", "answer"])
>>> table.loc[3, "answer"]
'plain'
>>> list(table.index)
[2, 3]
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import yaml

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_TABLE_CELLS",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_ALIAS_NODES",
    "check_size",
    "read_text",
    "read_csv_table",
    "read_yaml",
    "read_yaml_node",
]

#: Inputs larger than this are refused with a clear message rather than read.
MAX_INPUT_BYTES = 200 * 1024 * 1024

# Byte patterns that show a file is not text, and what to call it in a message.
_BINARY_MAGIC = {
    b"PK\x03\x04": "a zip archive, e.g. a .docx, .xlsx or .qdpx file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc, .xls)",
    b"\x1f\x8b": "a gzip archive",
}
_UTF8 = ("utf-8", "utf-8-sig", "utf8")


def _size(n: int) -> str:
    """A file size for messages: exact bytes below 1 MiB, else MiB.

    Examples
    --------
    >>> _size(2000), _size(200 * 2**20), _size(int(250.25 * 2**20))
    ('2,000 bytes', '200 MiB', '250.2 MiB')
    """
    if n < 2**20:
        return f"{n:,} bytes"
    return f"{n / 2**20:,.1f}".removesuffix(".0") + " MiB"


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.lower().replace("_", "-") in _UTF8 else encoding.upper()


def check_size(path: str | os.PathLike[str], *, what: str = "a file") -> None:
    """Refuse a file larger than :data:`MAX_INPUT_BYTES` (read at call time, so a
    caller or a test may change the limit), saying the limit and how to proceed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> big = pathlib.Path(tempfile.mkdtemp()) / "big.csv"
    >>> _ = big.write_bytes(b"x" * 3000)
    >>> from peerstudy.io import readers
    >>> saved, readers.MAX_INPUT_BYTES = readers.MAX_INPUT_BYTES, 1000
    >>> try:
    ...     check_size(big, what="a CSV file")
    ... finally:
    ...     readers.MAX_INPUT_BYTES = saved
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../big.csv: expected a CSV file of at most 1,000 bytes (peerstudy.io.readers.MAX_INPUT_BYTES), found 3,000 bytes. Fix: split the file into smaller ones; or, if it really is this large, raise peerstudy.io.readers.MAX_INPUT_BYTES before running the stage.
    """
    p = resolve_input(path)
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            Problem(
                file=relative_to_root(p),
                expected=f"{what} of at most {_size(MAX_INPUT_BYTES)} (peerstudy.io.readers.MAX_INPUT_BYTES)",
                found=_size(size),
                fix="split the file into smaller ones; or, if it really is this large, "
                "raise peerstudy.io.readers.MAX_INPUT_BYTES before running the stage",
            )
        )


def _utf16_without_bom(data: bytes) -> str | None:
    """``"UTF-16-LE"``/``"UTF-16-BE"`` if ``data`` reads as UTF-16 text without a byte
    order mark, else None: it decodes strictly, holds no NUL character once decoded, is
    printable, and has spaces or line breaks (read in the wrong byte order, ``" "`` and
    ``"\\n"`` become U+2000 and U+0A00, so the wrong order never passes).

    Examples
    --------
    >>> _utf16_without_bom("名前: 山田\\n".encode("utf-16-le")), _utf16_without_bom("a b\\n".encode("utf-16-be"))
    ('UTF-16-LE', 'UTF-16-BE')
    >>> _utf16_without_bom(b"a\\x00b\\x00\\x00\\x00\\x00")
    """
    if len(data) < 4 or len(data) % 2:
        return None
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or not (" " in text or "\n" in text):
            continue
        sample = text[:20000]
        if sum(c.isprintable() or c in "\r\n\t" for c in sample) >= 0.95 * len(sample):
            return name.upper()
    return None


def _refuse_nul(data: bytes, shown: str, what: str, name: str, resave: str, row_of: Callable[[str], int]) -> None:
    """Refuse text with NUL bytes anywhere: UTF-16 (with or without a byte order mark),
    binary content, or a damaged file (a NUL deep inside otherwise good text)."""
    utf16 = (
        "UTF-16 (it starts with a UTF-16 byte order mark)"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        else None
    )
    at = data.find(b"\x00")
    if utf16 is None and at >= 0:
        found = _utf16_without_bom(data)
        if found:
            utf16 = f"{found} (without a byte order mark)"
        elif at < 4096:
            raise InputError(
                Problem(
                    file=shown,
                    expected=what,
                    found="binary content (zero bytes), not text",
                    fix="export the file as text (CSV/TXT/YAML) rather than renaming it",
                )
            )
        else:
            row = row_of(data[:at].decode("utf-8", errors="replace"))
            raise InputError(
                Problem(
                    file=shown,
                    row=row,
                    expected=f"{what} without NUL (zero) bytes",
                    found=f"a NUL byte at byte {at:,}",
                    fix="the file is damaged or not entirely text: re-export it from the program "
                    "that made it (and check that line in the original)",
                )
            )
    if utf16:
        raise InputError(
            Problem(file=shown, expected=f"text encoded as {name}", found=f"text encoded as {utf16}", fix=resave)
        )


def _line_of(prefix: str) -> int:
    return prefix.count("\n") + 1


def _csv_row_of(prefix: str) -> int:
    """Spreadsheet row of the CSV record in which ``prefix`` ends (a quoted cell may
    span several lines)."""
    try:
        return sum(1 for _ in csv.reader(io.StringIO(prefix + "x", newline="")))
    except csv.Error:
        return _line_of(prefix)


def read_text(
    path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8-sig",
    what: str = "a text file",
    parameter: str | None = None,
) -> str:
    """The whole text of a file, decoded strictly.

    Parameters
    ----------
    path
        File to read: absolute, or relative to the project root (never to the
        working directory).
    encoding
        Expected encoding. ``utf-8-sig`` accepts UTF-8 with or without a BOM.
    what
        How the file is described in error messages.
    parameter
        Name of the study parameter that points at the file, used in the fix hint.

    Raises
    ------
    InputError
        The file is missing, larger than :data:`MAX_INPUT_BYTES`, binary (a zip,
        PDF, image, ... renamed), in another encoding (UTF-16 with or without a byte
        order mark, Latin-1: the row of the first bad byte is named), or empty.
    """
    return _read_text(path, encoding=encoding, what=what, parameter=parameter, row_of=_line_of)


def _read_text(
    path: str | os.PathLike[str], *, encoding: str, what: str, parameter: str | None, row_of: Callable[[str], int]
) -> str:
    p = resolve_input(path)
    shown = relative_to_root(p)
    where = f"the parameter {parameter!r} in the study's YAML file" if parameter else "the path"
    if not p.is_file():
        raise InputError(
            Problem(file=shown, expected=what, found="no such file", fix=f"check {where}, or add the file")
        )
    check_size(p, what=what)
    data = p.read_bytes()
    name = _encoding_name(encoding)
    resave = f"re-save the file as {name}" + (
        " (Excel: Save As 'CSV UTF-8'; a text editor: encoding UTF-8)" if name == "UTF-8" else ""
    )
    kind = next((k for magic, k in _BINARY_MAGIC.items() if data.startswith(magic)), None)
    if kind:
        raise InputError(
            Problem(
                file=shown,
                expected=what,
                found=f"binary content ({kind}), not text",
                fix="export the file as text (CSV/TXT/YAML) rather than renaming it",
            )
        )
    if name == "UTF-8":
        _refuse_nul(data, shown, what, name, resave, row_of)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = row_of(data[: exc.start].decode(encoding))
        raise InputError(
            Problem(
                file=shown,
                row=row,
                expected=f"text encoded as {name}",
                found=f"byte {data[exc.start : exc.start + 1]!r}, which is not valid {name}",
                fix=f"{resave}; it is probably in an older encoding such as Windows-1252 or Latin-1"
                if name == "UTF-8"
                else resave,
            )
        ) from None
    if not text.strip():
        raise InputError(
            Problem(file=shown, expected=what, found="an empty file", fix="re-export the file; it holds no data")
        )
    return text


#: Tables (CSV exports, coder sheets) with more cells than this are refused as they are read.
#: Cleaning works by columns (each distinct answer read once), so the bound is memory: the
#: records read before the refusal are held as Python lists of strings (measured by
#: benchmarks/bench_cleaning.py --limit). At the limit reading
#: peaks at about 1.4 GiB (20,000,000 cells: 2.6 GiB); 100,000 people x 100 columns fit.
MAX_TABLE_CELLS = 10_000_000


# Lines as a file opened with newline="" gives them (ends kept: CR LF, CR or LF), found
# lazily: io.StringIO would first copy the whole text at four bytes a character.
_LINE_END = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _csv_records(text: str, shown: str) -> list[list[str]]:
    """The records of a CSV text, refused as soon as they hold more than :data:`MAX_TABLE_CELLS`
    cells (a big export is stopped early, not read whole into memory)."""
    records: list[list[str]] = []
    cells = 0
    reader = csv.reader(m.group() for m in _LINE_END.finditer(text))
    try:
        for record in reader:
            cells += max(len(record), 1)
            if cells > MAX_TABLE_CELLS:
                raise InputError(
                    Problem(
                        file=shown,
                        row=len(records) + 1,
                        expected=f"a table of at most {MAX_TABLE_CELLS:,} cells (peerstudy.io.readers.MAX_TABLE_CELLS)",
                        found=f"more by this row ({len(text):,} characters in all)",
                        fix="split the export into smaller files (by wave or site), or drop columns "
                        "the study does not use; or, if it really is this large, raise "
                        "peerstudy.io.readers.MAX_TABLE_CELLS before running the stage",
                    )
                )
            records.append(record)
    except csv.Error as exc:
        raise InputError(
            Problem(
                file=shown,
                row=len(records) + 1,
                expected="a CSV record",
                found=f"a record the CSV reader cannot read ({exc})",
                fix="re-export the file; a cell longer than "
                f"{csv.field_size_limit():,} characters is not a survey answer",
            )
        ) from None
    return records


def _refuse_doubled_line_ends(text: str, shown: str) -> None:
    """Refuse lines that end in CR CR LF (a CRLF file converted to CRLF once more): read
    as they are, every record would be followed by an empty one."""
    end = text.find("\n")
    if end >= 2 and text[end - 2 : end] == "\r\r":
        raise InputError(
            Problem(
                file=shown,
                row=1,
                expected="lines that end in CR LF or LF",
                found="lines that end in CR CR LF (a Windows file whose line ends were converted twice)",
                fix="undo the second conversion (e.g. run `dos2unix` once on a copy), or "
                "re-export the file from the program that made it",
            )
        )


def _refuse_other_delimiters(text: str, header: list[str], shown: str) -> None:
    """Refuse a file whose header splits into more columns at semicolons or tabs than at
    commas: an export with another separator, whose columns would all seem missing."""
    line = text.split("\n", 1)[0].rstrip("\r")
    for sep, name, why in (
        (";", "semicolons (';')", "semicolons are what Excel writes where the decimal mark is a comma"),
        ("\t", "tabs", "this is a tab-separated export (.tsv, or Excel 'Unicode Text')"),
    ):
        columns = len(next(csv.reader([line], delimiter=sep), []))
        if columns > len(header):
            raise InputError(
                Problem(
                    file=shown,
                    row=1,
                    expected="values separated by commas (CSV)",
                    found=f"values separated by {name}: {columns} columns split there, {len(header)} split at commas",
                    fix=f"re-export the file as comma-separated CSV (Excel: Save As 'CSV UTF-8 "
                    f"(Comma delimited)'); {why}",
                )
            )


def read_csv_table(
    path: str | os.PathLike[str],
    *,
    header_rows: int = 1,
    required: Iterable[str] = (),
    encoding: str = "utf-8-sig",
    parameter: str | None = None,
) -> pd.DataFrame:
    """A CSV export as a table of strings indexed by spreadsheet row number.

    The first header row names the columns; further header rows (survey tools write a
    sub-header) are skipped. Cells are kept exactly as written (no stripping, no type
    guessing: cleaning decides); an empty cell is ``""``.

    Parameters
    ----------
    path
        The CSV file.
    header_rows
        How many rows at the top are headers.
    required
        Columns that must be present; all missing ones are reported together.
    encoding
        Expected encoding (default: UTF-8 with or without BOM).
    parameter
        Name of the study parameter that points at the file, for the fix hint.

    Returns
    -------
    pandas.DataFrame
        One row per record, index = spreadsheet row number, all cells ``str``.
    """
    path = resolve_input(path)
    shown = relative_to_root(path)
    text = _read_text(path, encoding=encoding, what="a CSV file", parameter=parameter, row_of=_csv_row_of)
    _refuse_doubled_line_ends(text, shown)
    records = _csv_records(text, shown)
    if len(records) <= header_rows - 1 or not records:
        raise InputError(
            Problem(
                file=shown,
                expected=f"{header_rows} header row(s) and data",
                found=f"{len(records)} row(s)",
                fix="re-export the file",
            )
        )
    _refuse_other_delimiters(text, records[0], shown)
    header = [h.strip() for h in records[0]]
    problems = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name in seen:
            problems.append(
                Problem(
                    file=shown,
                    row=1,
                    field=name,
                    expected="unique column names",
                    found=f"{name!r} in columns {seen[name]} and {i}",
                    fix="rename or remove one of the two columns",
                )
            )
        seen.setdefault(name, i)
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(
            Problem(
                file=shown,
                row=1,
                field=", ".join(missing),
                expected=f"column(s) {', '.join(map(repr, missing))}",
                found=f"columns {', '.join(map(repr, header))}",
                fix="restore the column in the export, or correct the column name declared for it",
            )
        )
    body = records[header_rows:]
    if not body:
        problems.append(
            Problem(
                file=shown,
                expected="at least one data row",
                found="only the header",
                fix="re-export the file with its data",
            )
        )
    for offset, rec in enumerate(body):
        if len(rec) > len(header):
            problems.append(
                Problem(
                    file=shown,
                    row=header_rows + offset + 1,
                    field=None,
                    expected=f"at most {len(header)} cells",
                    found=f"{len(rec)} cells",
                    fix="quote the cell that contains a comma, or remove the extra cells",
                )
            )
    if problems:
        raise InputError(problems)
    rows = [(rec + [""] * len(header))[: len(header)] for rec in body]
    index = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(rows), name="row")
    return pd.DataFrame(rows, columns=header, index=index, dtype=str)


# ----------------------------------------------------------------------------- YAML
#: YAML files (study parameters, fields files, codebooks, keys, search logs) larger than this
#: are refused: they are written by hand, and PyYAML's parser needs seconds per MiB.
MAX_YAML_BYTES = 4 * 1024 * 1024
#: How deeply YAML may nest (mappings in lists in mappings ...); deeper is refused with a
#: message rather than ending in a RecursionError.
MAX_YAML_DEPTH = 50
#: How many nodes the aliases (``*name``) of a YAML file may add when expanded: a few
#: reused blocks are fine; a "billion laughs" document adds 10**9 and is refused.
MAX_YAML_ALIAS_NODES = 10_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _YamlRefused(Exception):
    """Raised inside the loader; turned into an :class:`InputError` naming the file."""

    def __init__(self, line: int | None, expected: str, found: str, fix: str):
        super().__init__(found)
        self.line, self.expected, self.found, self.fix = line, expected, found, fix


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: nesting depth limited, and every key given twice in
    one mapping recorded (PyYAML itself keeps the last one, silently)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.duplicates: list[tuple[Any, int, int]] = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _YamlRefused(
                    self.peek_event().start_mark.line + 1,
                    f"YAML nested at most {MAX_YAML_DEPTH} levels deep",
                    f"nesting deeper than {MAX_YAML_DEPTH} levels",
                    "flatten the structure (a codebook, for one, is a flat list of codes, each naming its parent)",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
                try:
                    if key in first:
                        self.duplicates.append((key, line, first[key]))
                    else:
                        first[key] = line
                except TypeError:  # an unhashable key: PyYAML's own error names it below
                    continue
        return super().construct_mapping(node, deep=deep)


def _check_aliases(root: yaml.Node) -> None:
    sizes: dict[int, int] = {}
    expanded = _count_nodes(root, sizes, set())
    added = expanded - len(sizes)
    if added > MAX_YAML_ALIAS_NODES:
        node = root  # name the line of the smallest value that alone expands beyond the limit
        while True:
            big = [c for c in _children(node) if sizes[id(c)] > MAX_YAML_ALIAS_NODES]
            if not big:
                break
            node = big[0]
        raise _YamlRefused(
            node.start_mark.line + 1,
            f"YAML whose aliases (*name) add at most {MAX_YAML_ALIAS_NODES:,} values when expanded "
            "(peerstudy.io.readers.MAX_YAML_ALIAS_NODES)",
            f"aliases that expand to {_amount(added)} values (an alias bomb, 'billion laughs')",
            "write the repeated values out instead of nesting aliases; do not run a file of unknown origin",
        )


def _count_nodes(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """Nodes below and including ``node`` as expanded (an alias counts as a copy of what
    it names), memoised by node in ``sizes``; an alias inside the value it names is refused."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        raise _YamlRefused(
            node.start_mark.line + 1,
            "YAML aliases that refer to finished values",
            "an alias inside the value it names (an endless structure)",
            "write the value out instead of the alias",
        )
    open_.add(key)
    total = 1 + sum(_count_nodes(child, sizes, open_) for child in _children(node))
    open_.discard(key)
    sizes[key] = total
    return total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _amount(n: int) -> str:
    return f"{n:,}" if n < 10**9 else f"about 10**{len(str(n)) - 1}"


def _load_yaml(text: str, shown: str) -> tuple[Any, yaml.Node | None]:
    """Compose, check and construct one YAML document; every refusal is an InputError."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_aliases(node)
        doc = loader.construct_document(node) if node is not None else None
    except _YamlRefused as exc:
        raise InputError(
            Problem(file=shown, row=exc.line, expected=exc.expected, found=exc.found, fix=exc.fix)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            Problem(
                file=shown,
                row=mark.line + 1 if mark else None,
                expected="valid YAML",
                found=str(getattr(exc, "problem", exc)).removeprefix("found "),
                fix="correct the YAML syntax at that line",
            )
        ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise InputError(
            [
                Problem(
                    file=shown,
                    row=line,
                    field=str(key),
                    expected="each key once in its mapping",
                    found=f"{key!r} again (first at line {first})",
                    fix="keep one of the two (YAML would silently use the last)",
                )
                for key, line, first in loader.duplicates
            ]
        )
    return doc, node


def read_yaml_node(
    path: str | os.PathLike[str], *, what: str = "a YAML file", parameter: str | None = None
) -> tuple[Any, yaml.Node | None]:
    """Like :func:`read_yaml`, and also the composed YAML node tree (for the line of each entry).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "book.yaml"
    >>> _ = tmp.write_text("# codes\\ncodes:\\n  - {code: a}\\n  - {code: b}\\n")
    >>> doc, node = read_yaml_node(tmp)
    >>> [item.start_mark.line + 1 for item in node.value[0][1].value]
    [3, 4]
    """
    path = resolve_input(path)
    shown = relative_to_root(path)
    if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
        raise InputError(
            Problem(
                file=shown,
                expected=f"{what} of at most {_size(MAX_YAML_BYTES)} (peerstudy.io.readers.MAX_YAML_BYTES)",
                found=_size(path.stat().st_size),
                fix="YAML files are written by hand and stay small: check that this is the right file, or split it",
            )
        )
    return _load_yaml(read_text(path, what=what, parameter=parameter), shown)


def read_yaml(path: str | os.PathLike[str], *, what: str = "a YAML file", parameter: str | None = None) -> Any:
    """Parse a YAML file safely: no arbitrary objects, no key given twice in a mapping,
    aliases and nesting bounded (:data:`MAX_YAML_ALIAS_NODES`, :data:`MAX_YAML_DEPTH`),
    size bounded (:data:`MAX_YAML_BYTES`); every problem names the file and line.

    The one YAML reader of the project: study parameter files, fields files, codebooks,
    de-identification keys, search logs and published figures all go through it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "study.yaml"
    >>> _ = tmp.write_text("study: a\\ntitle: A\\nstudy: b\\n")
    >>> read_yaml(tmp)
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../study.yaml, row 3, field 'study': expected each key once in its mapping, found 'study' again (first at line 1). Fix: keep one of the two (YAML would silently use the last).
    >>> _ = tmp.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\\n"
    ...                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\\n")
    >>> read_yaml(tmp)
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../study.yaml, row 4: expected YAML whose aliases (*name) add at most 10,000 values when expanded (peerstudy.io.readers.MAX_YAML_ALIAS_NODES), found aliases that expand to 12,330 values (an alias bomb, 'billion laughs'). Fix: ...
    """
    return read_yaml_node(path, what=what, parameter=parameter)[0]
