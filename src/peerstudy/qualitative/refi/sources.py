"""Reading text sources: a ``TextSource``'s plain text (inline, in the archive, or in the
``sources/`` folder of an unzipped export), its selections and their codings.

Imports :mod:`peerstudy.qualitative.refi.archive`, ``.segments``, ``.xmltree`` and :mod:`peerstudy.errors`.
:class:`SourceReading` is the part of the reader (:mod:`peerstudy.qualitative.refi.elements`) that
reads sources; it relies on the reader's ``archive``, ``problem``, ``skip``,
``note_texts``, ``read_values``, ``code_ids`` and ``source_variables``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any

from peerstudy.qualitative.refi.archive import Archive, decode_text, unsafe_member
from peerstudy.qualitative.refi.segments import Selection, Source
from peerstudy.qualitative.refi.xmltree import key, kid, kids, line

__all__ = ["SourceReading"]

_SOURCE_KINDS = {"TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource"}
_SELECTION_KINDS = (
    "PlainTextSelection",
    "PDFSelection",
    "PictureSelection",
    "AudioSelection",
    "VideoSelection",
    "TranscriptSelection",
)


class SourceReading:
    """Text sources, their selections and codings (a part of the reader)."""

    archive: Archive | None
    code_ids: dict[str, str]
    source_variables: set[str]
    no_sources_folder: bool

    def problem(
        self,
        el: ET.Element | None,
        attr: str,
        expected: str,
        found: str,
        fix: str = "",
        owner: ET.Element | None = None,
    ) -> None:
        raise NotImplementedError

    def skip(
        self, kind: str, el: ET.Element | None, reason: str, guid: str = "", name: str = "", at: int | None = None
    ) -> None:
        raise NotImplementedError

    def note_texts(self, el: ET.Element) -> list[str]:
        raise NotImplementedError

    def read_values(self, owner: ET.Element, variables: dict[str, dict]) -> dict[str, Any]:
        raise NotImplementedError

    def plain_text(self, el: ET.Element, kind: str) -> tuple[str, bool] | None:
        """Inline PlainTextContent, or the member plainTextPath names, and whether it had
        a BOM; None (and a skipped entry or a problem) when there is no text to read."""
        content = kid(el, "PlainTextContent")
        if content is not None:
            return content.text or "", False
        raw = (el.get("plainTextPath") or "").strip()
        if not raw:
            self.skip(kind, el, "no plain text (PlainTextContent or plainTextPath): only rich text was exported")
            return None
        scheme, sep, rest = raw.partition("://")
        if not sep:
            scheme, rest = "", raw
        rest = rest.replace("\\", "/")
        outside = f"plain text outside the archive ({raw!r}, relative to the project's basePath): not read"
        if scheme not in ("", "internal", "relative"):
            self.skip(kind, el, f"plain text outside the archive ({raw!r}): not read")
            return None
        if unsafe_member(rest):
            if scheme == "relative":
                self.skip(kind, el, outside)
            else:
                self.problem(
                    el,
                    "plainTextPath",
                    "a path inside the archive",
                    f"{raw!r} (leaves the archive folder)",
                    "do not open this file; ask for a fresh export",
                )
            return None
        if self.archive is None:
            self.skip(kind, el, f"plain text in a separate file ({raw!r}): not read from a codebook")
            return None
        member = (
            self.archive.find(f"sources/{rest}") if scheme == "internal" else self.archive.find(f"sources/{rest}", rest)
        )
        if member is None:
            if scheme == "relative":
                self.skip(kind, el, outside)
            else:
                self.missing_member(el, raw)
            return None
        return decode_text(self.archive.read(member), self.archive.where(member))

    def missing_member(self, el: ET.Element, raw: str) -> None:
        folder = getattr(self.archive, "sources", None)
        if folder == [] and self.archive is not None:  # an unzipped export without its sources folder: say it once
            if not self.no_sources_folder:
                self.no_sources_folder = True
                self.problem(
                    el,
                    "plainTextPath",
                    "the sources folder beside project.qde (an unzipped export reads its texts from there)",
                    f"no sources folder in {self.archive.where('')!r}, and {raw!r} is named",
                    "unzip the whole .qdpx (project.qde with its sources folder), or read the .qdpx",
                )
            return
        self.problem(
            el,
            "plainTextPath",
            "a file in the archive's sources folder",
            f"{raw!r}, which the archive does not hold",
            "export the project again with its sources",
        )

    def read_sources(self, el: ET.Element | None, variables: dict[str, dict]) -> list[Source]:
        sources: list[Source] = []
        for src in list(el) if el is not None else []:
            if src.tag not in _SOURCE_KINDS:
                continue
            if src.tag != "TextSource":
                n_sel = sum(len(kids(src, k)) for k in _SELECTION_KINDS)
                n_cod = sum(1 for c in src.iter("Coding"))
                self.skip(
                    "source",
                    src,
                    f"{src.tag} with {n_sel} selections and {n_cod} codings: only text sources are imported",
                )
                continue
            text = self.plain_text(src, "source")
            if text is None:
                n_cod = sum(1 for c in src.iter("Coding"))
                if n_cod:
                    self.skip("codings", src, f"{n_cod} codings of a source without plain text")
                continue
            sources.append(self.read_source(src, text, variables))
        return sources

    def read_source(self, src: ET.Element, text: tuple[str, bool], variables: dict[str, dict]) -> Source:
        path = src.get("plainTextPath") or ""
        source = Source(
            guid=src.get("guid", ""),
            name=src.get("name") or "",
            path_name=PurePosixPath(path.partition("://")[2] or path).stem,
            line=line(src),
            text=text[0],
            bom=text[1],
            selections=[],
            values=self.read_values(src, variables),
            el=src,
        )
        self.source_variables.update(source.values)
        for sel in kids(src, "PlainTextSelection"):
            start, end = sel.get("startPosition"), sel.get("endPosition")
            try:
                s, e = int(start or ""), int(end or "")  # None and "" alike are no position
            except (TypeError, ValueError):
                self.problem(sel, "startPosition, endPosition", "whole-number positions", f"{start!r}, {end!r}")
                continue
            notes = self.note_texts(sel)
            desc = kid(sel, "Description")
            if desc is not None and (desc.text or "").strip():
                notes.append(desc.text or "")
            source.selections.append(
                Selection(
                    guid=sel.get("guid", ""),
                    name=sel.get("name", "") or "",
                    start=s,
                    end=e,
                    line=line(sel),
                    notes=notes,
                    el=sel,
                    codings=self.read_codings(sel, sel.get("creatingUser")),
                )
            )
        if kids(src, "Coding"):
            source.selections.append(
                Selection(
                    guid=source.guid,
                    name="(whole source)",
                    start=0,
                    end=-1,
                    line=line(src),
                    notes=[],
                    whole=True,
                    el=src,
                    codings=self.read_codings(src, src.get("creatingUser")),
                )
            )
        return source

    def read_codings(self, owner: ET.Element, default_user: str | None) -> list[dict]:
        out = []
        for c in kids(owner, "Coding"):
            ref = kid(c, "CodeRef")
            target = ref.get("targetGUID") if ref is not None else None
            if key(target) not in self.code_ids:
                self.problem(
                    ref if ref is not None else c,
                    "targetGUID",
                    "a reference to a code of the codebook",
                    repr(target),
                    "export the project again; the code may have been deleted",
                    owner=c,
                )
                continue
            out.append(
                {
                    "code": self.code_ids[key(target)],
                    "user": c.get("creatingUser") or default_user,
                    "line": line(c),
                    "notes": self.note_texts(c),
                }
            )
        return out
