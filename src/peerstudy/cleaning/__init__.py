"""From raw exports to clean tables: survey exports and fields, exclusions, transcripts,
and de-identification.

May import :mod:`peerstudy.io`, :mod:`peerstudy.errors` and :mod:`peerstudy.config`.
"""
