"""Writing XML: indented lines streamed to a sink, escaping, the checks of text XML can
hold, and files written whole (temporary name, sync, rename).

Imports only pandas, the standard library, :mod:`peerstudy.config` and :mod:`peerstudy.errors`.

Examples
--------
>>> chunks = []
>>> out = XmlOut(chunks.append)
>>> out.text(0, "Note", "a < b\\r\\n", ("name", 'say "hi"'))
>>> out.flush()
>>> b"".join(chunks).decode().splitlines()[1]
'<Note name="say &quot;hi&quot;">a &lt; b&#13;'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from peerstudy.config import resolve_input
from peerstudy.errors import ConfigError, Problem

__all__ = ["NOT_XML", "XmlOut", "atomic_write", "attr", "check_xml_text", "output_path"]

#: Characters XML 1.0 cannot hold.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHUNK_LINES = 20_000
_ATTR_SPECIAL = re.compile('[&<>"\r\n\t]')
_TEXT_SPECIAL = re.compile("[&<>\r]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
)


# ---------------------------------------------------------------------------
# Streaming XML
# ---------------------------------------------------------------------------


def attr(value: str) -> str:
    """An attribute value escaped (most are guids and numbers, which need nothing)."""
    return value.translate(_ATTR_ESCAPES) if _ATTR_SPECIAL.search(value) else value


def _text(value: str) -> str:
    return value.translate(_TEXT_ESCAPES) if _TEXT_SPECIAL.search(value) else value


class XmlOut:
    """Indented XML written line by line through ``sink`` (bytes, in chunks of 20,000 lines)."""

    def __init__(self, sink: Callable[[bytes], Any]):
        self.sink = sink
        self.buf: list[str] = ['<?xml version="1.0" encoding="utf-8"?>\n']

    def line(self, text: str) -> None:
        self.buf.append(text)
        if len(self.buf) > _CHUNK_LINES:
            self.flush()

    def flush(self) -> None:
        self.sink("".join(self.buf).encode("utf-8"))
        self.buf = []

    @staticmethod
    def head(tag: str, attrs: tuple[tuple[str, str], ...]) -> str:
        return tag + "".join(f' {k}="{attr(v)}"' for k, v in attrs)

    def open(self, depth: int, tag: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}>\n")

    def close(self, depth: int, tag: str) -> None:
        self.line(f"{'  ' * depth}</{tag}>\n")

    def empty(self, depth: int, tag: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}/>\n")

    def text(self, depth: int, tag: str, text: str, *attrs: tuple[str, str]) -> None:
        self.line(f"{'  ' * depth}<{self.head(tag, attrs)}>{_text(text)}</{tag}>\n")


def check_xml_text(value: str, what: str, problems: list[Problem]) -> None:
    bad = NOT_XML.search(value)
    if bad:
        problems.append(
            Problem(
                field=what,
                expected="text XML can hold (no control characters or lone surrogates)",
                found=f"{bad.group()!r} in {value[:40]!r}",
                fix="remove the character",
            )
        )


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through ``write(fileobj)``, whole or not at all (:func:`peerstudy.io.files.write_atomic`)."""
    from peerstudy.io.files import write_atomic

    write_atomic(path, write)


def output_path(path: str | os.PathLike[str], suffix: str) -> Path:
    p = resolve_input(path)
    if p.suffix.lower() != suffix:
        raise ConfigError(
            Problem(
                field="path",
                expected=f"a file name ending in {suffix}",
                found=repr(p.name),
                fix=f"name the file …{suffix}",
            )
        )
    return p
