"""From raw exports to clean tables: survey exports and fields, exclusions, transcripts,
and de-identification.

One module per job:

* survey exports: :mod:`.surveyexports` (recognise the tool, read the header and rows),
  :mod:`.workbooks` (one sheet of an ``.xlsx`` as text cells);
* fields files: :mod:`.surveyfields` (read and check one), :mod:`.fielddecls` (the settings
  of one declared field); :mod:`.exclusions` (rows left out, the participant flow);
* cleaning: :mod:`.clean` (``clean_export``, putting the rest together), :mod:`.values`
  (single hand-typed values), :mod:`.cells` (one cell of a declared field),
  :mod:`.plaincells` (the plainly written cells of a column, read at once),
  :mod:`.cleancolumns` (the export read column by column), :mod:`.cleanschema` (the
  pandera schema, dtypes), :mod:`.cleaninglog` (every change made);
* drafting a fields file: :mod:`.draftfields` (from an export), :mod:`.redcapdictionary`
  (from a REDCap data dictionary), :mod:`.draftblocks` (the draft's YAML);
* de-identification: :mod:`.deid` (applying a key to text), :mod:`.deidkey` (reading the
  key file), :mod:`.keymatch` (matching its entries), :mod:`.identifierfinders` (URLs,
  e-mail and IP addresses, phone numbers), :mod:`.offsetmap` (where offsets move);
* :mod:`.transcripts` (reading and cleaning interview transcripts).

May import :mod:`peerstudy.io`, :mod:`peerstudy.errors` and :mod:`peerstudy.config`.
"""
