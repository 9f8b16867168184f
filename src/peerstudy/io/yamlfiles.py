"""Read YAML files safely: the one YAML reader of the project.

Study parameter files, fields files, codebooks, de-identification keys, search logs and
published figures all go through :func:`read_yaml` (or :func:`read_yaml_node`, which
also gives the node tree for line numbers): no arbitrary objects, no key given twice in
a mapping, aliases, nesting and size bounded, every problem naming the file and line.
The text is read by :func:`peerstudy.io.readers.read_text` (size, encoding and binary
checks).

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp()) / "study.yaml"
>>> _ = tmp.write_text("study: a\\ntitle: A\\n")
>>> read_yaml(tmp)
{'study': 'a', 'title': 'A'}
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

import yaml

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import format_size, read_text

__all__ = ["MAX_YAML_ALIAS_NODES", "MAX_YAML_BYTES", "MAX_YAML_DEPTH", "read_yaml", "read_yaml_node"]

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

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
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

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
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


class _TextLoader(_BoundedLoader):
    """:class:`_BoundedLoader` for files of text alone (codebooks, de-identification keys):
    a plain value that YAML would read as a number, a yes/no or a date stays the text
    written (``1.10``, ``001``, ``No``); ``null`` and ``~`` are still none."""


# the implicit tags left out: the others (null, merge keys, ...) resolve as before
_NOT_TEXT = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp")}
_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _NOT_TEXT]
    for first, resolvers in _BoundedLoader.yaml_implicit_resolvers.items()
}


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
            "(peerstudy.io.yamlfiles.MAX_YAML_ALIAS_NODES)",
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


def _load_yaml(text: str, shown: str, *, texts: bool = False) -> tuple[Any, yaml.Node | None]:
    """Compose, check and construct one YAML document; every refusal is an InputError."""
    loader = _TextLoader(text) if texts else _BoundedLoader(text)
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
    path: str | os.PathLike[str], *, what: str = "a YAML file", parameter: str | None = None, texts: bool = False
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
                expected=f"{what} of at most {format_size(MAX_YAML_BYTES)} (peerstudy.io.yamlfiles.MAX_YAML_BYTES)",
                found=format_size(path.stat().st_size),
                fix="YAML files are written by hand and stay small: check that this is the right file, or split it",
            )
        )
    return _load_yaml(read_text(path, what=what, parameter=parameter), shown, texts=texts)


def read_yaml(
    path: str | os.PathLike[str], *, what: str = "a YAML file", parameter: str | None = None, texts: bool = False
) -> Any:
    """Parse a YAML file safely: no arbitrary objects, no key given twice in a mapping,
    aliases and nesting bounded (:data:`MAX_YAML_ALIAS_NODES`, :data:`MAX_YAML_DEPTH`),
    size bounded (:data:`MAX_YAML_BYTES`); every problem names the file and line.

    With ``texts``, for files that hold text alone (codebooks, de-identification keys), a
    plain value YAML would read as a number, a yes/no or a date is the text written: a
    code ``1.10`` is not the number 1.1, a pseudonym ``001`` is not 1.

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
    peerstudy.errors.InputError: .../study.yaml, row 4: expected YAML whose aliases (*name) add at most 10,000 values when expanded (peerstudy.io.yamlfiles.MAX_YAML_ALIAS_NODES), found aliases that expand to 12,330 values (an alias bomb, 'billion laughs'). Fix: ...
    >>> _ = tmp.write_text("codes: [1.10, 001, No, 2024-05-06, null]\\n")
    >>> read_yaml(tmp)["codes"], read_yaml(tmp, texts=True)["codes"]
    ([1.1, 1, False, datetime.date(2024, 5, 6), None], ['1.10', '001', 'No', '2024-05-06', None])
    """
    return read_yaml_node(path, what=what, parameter=parameter, texts=texts)[0]
