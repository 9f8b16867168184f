"""Files in and out: the atomic writer (``files``), the text and CSV readers (``readers``,
with ``textcheck`` recognising bytes that are not text), the YAML reader (``yamlfiles``)
and raw-data checksums (``rawdata``).

The bottom of the house: may import only :mod:`peerstudy.errors`, :mod:`peerstudy.config`
and the standard library at import time (pandas is imported lazily where a table is read);
never a plotting library.
"""
