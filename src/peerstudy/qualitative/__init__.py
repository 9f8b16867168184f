"""Qualitative coding: codebooks, coder sheets, excerpts, memos, reliability, REFI-QDA
projects and the QDA exports (segments, matrices, frequencies).

May import :mod:`peerstudy.io`, :mod:`peerstudy.cleaning` (de-identification of codebooks
and memos) and :mod:`peerstudy.stats`.
"""
