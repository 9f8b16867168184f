"""REFI-QDA exchange files: read ``.qdpx`` / ``.qdc`` into the project's tables, write them back.

A ``.qdpx`` project (a zip holding ``project.qde`` and a ``sources/`` folder) or a ``.qdc``
codebook written by NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the qualitative-coding
tool lands in the same tables the coder sheets produce (:mod:`peerstudy.qualitative.coding`):

============  ===================================================================
codebook      indexed by ``code``: label, definition, parent, depth, root, order
              (as :func:`peerstudy.qualitative.codebook.read_codebook`), plus ``codable``
participants  ``participant`` (the case's name) and one column per case variable
documents     document, participant, kind, text (+ one column per source variable)
segments      segment, document, participant, start, end, text
codings       segment, unit, code, coder, round, note, sheet, row
============  ===================================================================

How REFI-QDA maps onto them
---------------------------
* **Codes** keep their REFI ``guid`` as the code id (names repeat in real codebooks:
  the qualitative-coding demo has three codes called ``citizenship``), ``name`` as
  ``label`` and ``Description`` as ``definition`` ("" when absent). Grouping codes
  (``isCodable="false"``) stay in the tree with ``codable`` False. Give ``codebook=``
  (the project's own codebook) to get the project's code ids back for codes whose guid
  is :func:`refi_guid` of one of its codes, as in a codebook written by
  :func:`write_qdc` and returned by a QDA program, and for codes the program created
  itself whose path of names (top-level code first; case and spaces aside) is the path
  of labels of one of its codes alone.
* **Documents** are the ``TextSource`` elements: ``document`` is the source's name
  (else its plain-text file name without extension; every source whose name is used
  twice is identified by its guid). ``participant`` joins, with ``"; "``, the names of
  the cases that refer to the source, in the order of ``<Cases>``. ``kind`` is the
  value of a source variable named ``kind``, else "". ``text`` is the exported plain
  text, decoded from UTF-8 (or UTF-16 with its BOM), **BOM removed, line ends kept as
  they are**: a CRLF stays two code points, exactly as NVivo counts it, so offsets
  never need rewriting around line ends.
* **Segments** are the ``PlainTextSelection`` elements: ``start``/``end`` are code
  points into the document text (``text[start:end]`` is the selection), and the id is
  ``"<document>@<start>-<end>"`` as in :func:`peerstudy.qualitative.coding.apply_coding_sheets`, so
  two coders' selections of the same span are one segment (the unit of agreement).
  The segment's participant is the case that refers to the selection (``SelectionRef``)
  if any, else the document's.
* **Codings**: one row per ``Coding``; ``unit`` is the selection's guid, ``coder`` the
  name of the creating user (``Coding@creatingUser``, else the selection's; the guid
  when the user is not listed; "unknown" when no user is named), ``round`` 1, ``note``
  the text of the notes the coding and its selection refer to (and the selection's
  ``Description``), ``sheet`` the file and ``row`` the XML line of the ``Coding``.
  A ``Coding`` directly under a ``TextSource`` codes the whole text (unit = source
  guid).
* What is not imported is listed in ``skipped`` with the reason: non-text sources
  (PDF, picture, audio, video) and their codings, sources without plain text (or with
  it outside the archive, ``relative://`` to the project's ``basePath``), blank
  exported texts (NVivo for Mac writes one-byte texts: the source is imported, and
  selections that cannot be located in it are skipped rather than refused), empty
  selections, notes not attached to a coding (memos: they are also returned, with the
  codes and documents that refer to them, in :attr:`RefiProject.memos`).
* Researcher-written text imported (selection and coding notes, a selection's
  ``Description``) is in ``codings.note``; code descriptions in the project's
  ``codebook.definition``; selection names in ``codings.unit``. :func:`apply_refi` keeps
  the study's codebook, so only ``note`` and ``unit`` carry such text onward.

Offsets
-------
NVivo counts ``startPosition``/``endPosition`` in UTF-16 code units (an emoji counts
two); other programs count code points; a program may also count a CRLF as one or the
BOM of the text. With ``offsets="auto"`` the reading is chosen once per file
(:mod:`peerstudy.qualitative.refi.offsets`): readings that place a selection beyond its text or
inside a surrogate pair are ruled out; an ``origin`` naming NVivo says UTF-16 units;
otherwise the data decide (the reading under which selections fall on word and line
boundaries), and a file that fits no reading, or two equally, is refused with the
counts. ``offsets="utf16"`` or ``"codepoints"`` declares the reading instead. The
reading and why are in :attr:`RefiProject.offsets_reading`, ``offsets_reason`` and
:meth:`RefiProject.summary` (which the ``code`` notebook lists).

Unzipped exports
----------------
``read_refi("folder/project.qde")`` (or the folder) reads an unzipped ``.qdpx``: the
texts come from the ``sources/`` folder beside it, within the same bounds; a ``.qde``
that names texts without that folder is refused with one message.

Messages
--------
NVivo for Mac writes the XML on one line, so every problem names the element with its
guid and column besides the line: ``field 'startPosition, endPosition of
<PlainTextSelection guid="…"> (column 5123)'``.

Safety
------
XML is parsed with :mod:`defusedxml`: entity declarations (billion laughs) and external
entities or DTDs (XXE) are refused, and so are elements nested deeper than
:data:`peerstudy.qualitative.refi.xmltree.MAX_XML_DEPTH` (the code tree is walked with a stack,
never recursively). Archives are bounded in member count, declared size, compression
ratio (per member and as a whole: many small highly compressed members are a bomb
too), size per member and bytes read in all, before anything is inflated
(:mod:`peerstudy.qualitative.refi.archive`; the limits are attributes there). Nothing is extracted.

Writing
-------
:func:`write_qdc` and :func:`write_qdpx` write files that validate against the
REFI-QDA Codebook and Project schemas (``tests/schemas/``), deterministically: guids are
:func:`refi_guid` of the ids (an id that already is a guid is kept), zip members are
sorted and stamped 1980-01-01, codings are written in the order the reader returns
them, the XML is streamed into the archive, and the file is written to a temporary name
and renamed. Offsets are written as code points; texts as UTF-8 in ``sources/``. Tables
read from any REFI file come back unchanged from ``read_refi(write_qdpx(...))``
(codings' ``sheet`` and ``row`` name the new file); codebooks come back in tree order
(parents before their children); users who made no coding are not written. Each
distinct ``coder`` is a ``<User>`` and the ``creatingUser`` of its codings, so every
coder's codings and the consensus can share one project
(:func:`peerstudy.qualitative.qdaproject.qda_codings`); ``memos=`` adds analytic memos as
``<Note>`` elements that the codes (and sources) they are about refer to. Tables from
coder sheets keep everything but ``unit`` (it becomes the selection's guid), ``sheet``
and ``row``; read with ``codebook=`` to get the code ids back.

Modules
-------
``archive`` (zip or folder, bounded) · ``xmltree`` (safe parse, element names) ·
``offsets`` (readings and the choice) · ``project`` (the result type and guids) ·
``reader`` (opening the file) · ``elements`` with ``sources``, ``segments`` and ``tables``
(elements to tables) ·
``xmlout``, ``codes`` (``.qdc``), ``plan`` and ``writer`` (streamed ``.qdpx``) · ``study``
(a project's codings laid onto a study). None imports this package's ``__init__``.

Examples
--------
Two coders' NVivo project, read against the codebook its codes came from:

>>> from peerstudy.qualitative.codebook import read_codebook
>>> book = read_codebook("tests/fixtures/mini-interviews/codebook.yaml")
>>> project = read_refi("tests/fixtures/qdpx/two_coders.qdpx", codebook=book)
>>> project.codings[["segment", "code", "coder"]].head(4).values.tolist()
[['I01@0-45', 'S2', 'Ann'], ['I01@0-45', 'S2', 'Ben'], ['I01@46-90', 'S1', 'Ann'], ['I01@46-90', 'S1', 'Ben']]
>>> project.segments.loc[0, "text"]
'At first I had doubts about a peer colleague.'
"""

from __future__ import annotations

from peerstudy.qualitative.refi.archive import (
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_MEMBER_BYTES,
    MAX_READ_BYTES,
)
from peerstudy.qualitative.refi.codes import write_qdc
from peerstudy.qualitative.refi.project import GUID_NAMESPACE, OFFSET_READINGS, RefiProject, refi_guid
from peerstudy.qualitative.refi.reader import read_refi
from peerstudy.qualitative.refi.study import apply_refi, coded_from_refi
from peerstudy.qualitative.refi.writer import write_qdpx
from peerstudy.qualitative.refi.xmlout import NOT_XML as _NOT_XML  # noqa: F401  (the tests' XML-text strategy)

__all__ = [
    "GUID_NAMESPACE",
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_BYTES",
    "MAX_READ_BYTES",
    "OFFSET_READINGS",
    "RefiProject",
    "apply_refi",
    "coded_from_refi",
    "read_refi",
    "refi_guid",
    "write_qdc",
    "write_qdpx",
]
