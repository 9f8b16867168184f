"""Files in and out: the atomic writer, the table and YAML readers, raw-data checksums, and the
schemas of the tables stages hand on (:mod:`peerstudy.io.schemas`, pandera imported when first used).

The bottom of the house: may import only :mod:`peerstudy.errors`, :mod:`peerstudy.config`
and the standard library at import time (pandas is imported lazily where a table is read);
never a plotting library.
"""
