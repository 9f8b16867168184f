"""Files in and out: the atomic writer (``files``), the text and CSV readers (``readers``,
with ``textcheck`` recognising bytes that are not text), the YAML reader (``yamlfiles``),
raw-data checksums (``rawdata``), and the schemas of the tables stages hand on
(``schemas``, pandera imported when first used).

The bottom of the house: may import only :mod:`peerstudy.errors`, :mod:`peerstudy.config`
and the standard library at import time (pandas is imported lazily where a table is read);
never a plotting library.
"""
