"""Statistics with no knowledge of studies: agreement coefficients and their intervals.

May import :mod:`peerstudy.errors` only (and numerical libraries).
"""
