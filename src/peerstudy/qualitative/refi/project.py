"""The result of reading a REFI-QDA file (:class:`RefiProject`) and the guids the writer derives.

Imports only pandas and the standard library.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "CODING_COLUMNS",
    "GUID_NAMESPACE",
    "MEMO_COLUMNS",
    "OFFSET_READINGS",
    "SEGMENT_COLUMNS",
    "SELECTION_COLUMNS",
    "SET_COLUMNS",
    "SKIPPED_COLUMNS",
    "USER_COLUMNS",
    "RefiProject",
    "empty_memos",
    "refi_guid",
]

#: Values of the ``offsets`` parameter of :func:`peerstudy.qualitative.refi.read_refi`.
OFFSET_READINGS = ("auto", "utf16", "codepoints")

#: Namespace of the name-based (version 5) guids the writer derives from ids.
GUID_NAMESPACE = uuid.UUID("5b0f1d1e-8c55-4f5e-9a57-70ee25747564")
_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")

SEGMENT_COLUMNS = ["segment", "document", "participant", "start", "end", "text"]
CODING_COLUMNS = ["segment", "unit", "code", "coder", "round", "note", "sheet", "row"]
SELECTION_COLUMNS = ["selection", "segment", "document", "start", "end", "name", "line"]
SKIPPED_COLUMNS = ["kind", "guid", "name", "line", "reason"]
USER_COLUMNS = ["user", "name", "id", "coder"]
SET_COLUMNS = ["set", "guid", "kind", "member"]
MEMO_COLUMNS = ["memo", "guid", "date", "title", "text", "codes", "documents"]


def empty_memos() -> pd.DataFrame:
    """A memos table with no rows (the type of :attr:`RefiProject.memos`)."""
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in MEMO_COLUMNS})


def refi_guid(kind: str, ident: Any) -> str:
    """The guid the writer gives an id: the id itself if it is a guid, else a
    name-based uuid5 of ``kind`` and the id (stable across runs and machines).

    Examples
    --------
    >>> refi_guid("code", "S1") == refi_guid("code", "S1") != refi_guid("user", "S1")
    True
    >>> refi_guid("code", "S1") == str(uuid.uuid5(GUID_NAMESPACE, "code:S1"))
    True
    >>> refi_guid("code", "0D62985D-B147-5D01-A9B5-CAE5DCD98342")
    '0D62985D-B147-5D01-A9B5-CAE5DCD98342'
    """
    text = str(ident)
    if len(text) in (36, 38) and _GUID.match(text):
        return text
    # uuid5 (RFC 4122, 4.3) without building a UUID object: the writer derives one per coding
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{kind}:{text}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class RefiProject:
    """A REFI-QDA project or codebook as the project's tables.

    Attributes
    ----------
    codebook, participants, documents, segments, codings
        The tables described in :mod:`peerstudy.qualitative.refi`.
    users
        ``user`` (guid), ``name``, ``id`` and ``coder`` (the name used in ``codings``).
    selections
        One row per imported selection: ``selection`` (guid = the codings' ``unit``),
        ``segment``, ``document``, ``start``, ``end`` (code points), ``name``, ``line``.
    sets
        ``set`` (name), ``guid``, ``kind`` (code, source or note), ``member`` (code id,
        document id, or the guid of a member that was not imported).
    skipped
        What was not imported: ``kind``, ``guid``, ``name``, ``line``, ``reason``.
    memos
        The notes that are not coding or selection notes (memos), one row each:
        ``memo`` (the note's name, else its guid), ``guid``, ``date`` (its
        ``creationDateTime``, naive UTC; NaT when absent), ``title`` (its
        ``Description``), ``text`` (its plain text), ``codes`` and ``documents`` (lists:
        the code ids and documents whose elements refer to it with ``NoteRef``). They
        stay listed in ``skipped`` too: they do not enter the study's codings.
    file
        The file read, relative to the project root.
    origin
        The ``origin`` attribute (the program that wrote the file).
    offsets
        ``"utf16"`` or ``"codepoints"``: the unit in which selection offsets were read.
    offsets_reason
        Why (see :mod:`peerstudy.qualitative.refi.offsets`).
    offsets_reading
        The whole reading: unit, CRLF counted as one or two, BOM counted or not.
    """

    codebook: pd.DataFrame
    participants: pd.DataFrame
    documents: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    users: pd.DataFrame
    selections: pd.DataFrame
    sets: pd.DataFrame
    skipped: pd.DataFrame
    file: str = ""
    origin: str = ""
    offsets: str = "codepoints"
    offsets_reason: str = ""
    offsets_reading: str = "code points, CRLF as two, BOM not counted"
    memos: pd.DataFrame = field(default_factory=empty_memos)

    def summary(self) -> pd.DataFrame:
        """What was imported, for a report section: ``item``, ``count``, ``detail``.

        Examples
        --------
        >>> from peerstudy.qualitative.refi import read_refi
        >>> s = read_refi("tests/fixtures/qdpx/two_coders.qdpx").summary()
        >>> s.set_index("item")["count"].to_dict()
        {'text sources': 2, 'codes': 7, 'users': 2, 'cases': 2, 'selections': 8, 'segments': 4, 'codings': 8, 'skipped': 0}
        """
        book, cod = self.codebook, self.codings
        multi = int((cod.groupby("unit").size() >= 2).sum()) if len(cod) else 0
        depth = int(book["depth"].max()) + 1 if len(book) else 0
        grouping = int((~book["codable"]).sum()) if len(book) else 0
        kinds = self.skipped["kind"].value_counts() if len(self.skipped) else pd.Series(dtype="int64")
        rows = [
            ("text sources", len(self.documents), f"origin: {self.origin or 'not stated'}"),
            ("codes", len(book), f"{depth} levels; {grouping} grouping (not codable)"),
            ("users", len(self.users), ", ".join(self.users["coder"].astype(str))),
            ("cases", len(self.participants), f"{max(self.participants.shape[1] - 1, 0)} variables"),
            ("selections", len(self.selections), f"offsets read as {self.offsets_reading}: {self.offsets_reason}"),
            ("segments", len(self.segments), "distinct spans (selections of the same text are one segment)"),
            ("codings", len(cod), f"{multi} selections carry two or more codings"),
            ("skipped", len(self.skipped), "; ".join(f"{n} {k}" for k, n in kinds.items()) or "nothing"),
        ]
        return pd.DataFrame(rows, columns=["item", "count", "detail"]).astype({"count": "int64"})
