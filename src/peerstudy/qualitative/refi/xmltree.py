"""XML parsing for REFI-QDA: a safe parse that records where each element starts, and
how messages name an element.

Imports only :mod:`defusedxml`, the standard library and :mod:`peerstudy.errors`.

:func:`parse_xml` refuses entity declarations (billion laughs) and external entities or
DTDs (XXE) through :mod:`defusedxml`, and trees deeper than :data:`MAX_XML_DEPTH`
elements, as it reads (the tree is never walked recursively). Every element carries its
line and column, and :func:`element_field` names it for a :class:`~peerstudy.errors.Problem`
as ``attribute of <Tag guid="…"> (column 1234)``, because NVivo for Mac writes the whole
project on one line, where a line number alone says nothing.

Examples
--------
>>> root, ns = parse_xml(b'<Project xmlns="urn:QDA-XML:project:1.0"><Users><User guid="u1"/></Users></Project>',
...                      "p.qde")
>>> user = kid(kid(root, "Users"), "User")
>>> ns, line(user), element_field(user, "name")
(['urn:QDA-XML:project:1.0'], 1, 'name of <User guid="u1"> (column 49)')
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import defusedxml
import defusedxml.ElementTree as DET

from peerstudy.errors import InputError, Problem

__all__ = ["MAX_XML_DEPTH", "column", "describe", "element_field", "key", "kid", "kids", "line", "parse_xml"]

#: Elements nested deeper than this are refused while parsing (real code trees are under 20 deep).
MAX_XML_DEPTH = 200

LINE = "{peerstudy}line"
COLUMN = "{peerstudy}column"
_FRESH = "do not open this file; ask for a fresh export"


class _TooDeep(Exception):
    pass


class _LineTarget:
    """Tree builder that drops namespaces from tags, records each element's line and
    column, and stops at :data:`MAX_XML_DEPTH`."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.parser: Any = None
        self.namespaces: list[str] = []
        self.depth = 0
        self.path: list[str] = []

    @staticmethod
    def _split(tag: str) -> tuple[str, str]:
        if tag.startswith("{"):
            ns, _, local = tag[1:].partition("}")
            return ns, local
        return "", tag

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        ns, local = self._split(tag)
        if ns not in self.namespaces:
            self.namespaces.append(ns)
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _TooDeep(local)
        if len(self.path) < 4:
            self.path.append(local)
        attrib = dict(attrib)
        attrib[LINE] = str(self.parser.parser.CurrentLineNumber)
        attrib[COLUMN] = str(self.parser.parser.CurrentColumnNumber + 1)
        return self.builder.start(local, attrib)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return self.builder.end(self._split(tag)[1])

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def parse_xml(data: bytes, where: str) -> tuple[ET.Element, list[str]]:
    """Parse XML safely; every failure is one InputError naming the file, line and column.

    Returns the root (tags without namespaces) and the namespaces met, in order.

    Examples
    --------
    >>> parse_xml(b"<a><b/></a>", "x.qde")[0][0].tag
    'b'
    >>> try:
    ...     parse_xml(b"<a><b></a>", "x.qde")
    ... except InputError as exc:
    ...     print(exc.problems[0].expected)
    well-formed XML
    """
    target = _LineTarget()
    parser = DET.DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    target.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except (
        _TooDeep,
        defusedxml.EntitiesForbidden,
        defusedxml.ExternalReferenceForbidden,
        defusedxml.DTDForbidden,
        ET.ParseError,
    ) as exc:
        raise InputError(_parse_problem(exc, target, where)) from None
    return root, target.namespaces


def _parse_problem(exc: Exception, target: _LineTarget, where: str) -> Problem:
    """The problem a failed parse of ``where`` reports: a tree too deep, an entity or an
    external reference (refused), or XML that is not well-formed."""
    if isinstance(exc, ET.ParseError):
        row, col = getattr(exc, "position", (None, None))
        message = str(exc).rsplit(": line", 1)[0]
        return Problem(
            file=where,
            row=row,
            expected="well-formed XML",
            found=f"{message!r} at column {col + 1 if col is not None else '?'}",
            fix="the file is truncated or damaged: export it again from the QDA program",
        )
    row, col = target.parser.parser.CurrentLineNumber, f"column {target.parser.parser.CurrentColumnNumber + 1}"
    if isinstance(exc, _TooDeep):
        return Problem(
            file=where,
            row=row,
            field=f"<{exc}> ({col})",
            expected=f"elements nested at most {MAX_XML_DEPTH} deep (MAX_XML_DEPTH; real code trees are under 20)",
            found=f"deeper nesting under <{'> <'.join(target.path)}> (a deep-tree bomb?)",
            fix=_FRESH + "; or raise peerstudy.qualitative.refi.xmltree.MAX_XML_DEPTH deliberately",
        )
    if isinstance(exc, defusedxml.EntitiesForbidden):
        what = (
            f"an external entity {exc.name!r} (SYSTEM {exc.sysid!r})"
            if exc.sysid
            else f"an entity declaration {exc.name!r}"
        )
        return Problem(
            file=where,
            row=row,
            expected="REFI-QDA XML without entity declarations",
            found=f"{what} at {col}; entities are refused because they can read local files "
            "or expand to gigabytes (XXE, billion laughs)",
            fix=_FRESH,
        )
    return Problem(
        file=where,
        row=row,
        expected="REFI-QDA XML without external references",
        found=f"{type(exc).__name__} ({exc}) at {col}; external references are refused (XXE)",
        fix=_FRESH,
    )


def line(el: ET.Element) -> int:
    """The line on which the element starts."""
    return int(el.get(LINE, "0"))


def column(el: ET.Element) -> int:
    """The column (1-based) at which the element starts."""
    return int(el.get(COLUMN, "0"))


def kids(el: ET.Element | None, name: str) -> list[ET.Element]:
    """The children of ``el`` named ``name`` (none for no element)."""
    return [c for c in el if c.tag == name] if el is not None else []


def kid(el: ET.Element | None, name: str) -> ET.Element | None:
    """The first child of ``el`` named ``name``."""
    for c in el if el is not None else ():
        if c.tag == name:
            return c
    return None


def key(guid: str | None) -> str:
    """Guids compare case-insensitively and with or without braces.

    Examples
    --------
    >>> key("{AB-01}") == key("ab-01")
    True
    """
    return (guid or "").strip().strip("{}").lower()


def describe(el: ET.Element) -> str:
    """``<Tag guid="…">`` (or ``name="…"`` when there is no guid) of an element."""
    for attr in ("guid", "targetGUID", "name"):
        value = el.get(attr)
        if value:
            shown = value if len(value) <= 60 else value[:57] + "…"
            return f'<{el.tag} {attr}="{shown}">'
    return f"<{el.tag}>"


def element_field(el: ET.Element | None, what: str = "", owner: ET.Element | None = None) -> str:
    """The ``field`` of a problem with an element: ``what of <Tag guid="…"> (column c)``,
    naming ``owner`` too when the element itself has no guid (a ``CodeRef`` in a ``Coding``)."""
    if el is None:
        return what
    place = describe(el)
    if owner is not None and not el.get("guid"):
        place += f" in {describe(owner)}"
    head = f"{what} of {place}" if what else place
    return f"{head} (column {column(el)})"
