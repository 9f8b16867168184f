"""Literature reviews: bibliographic exports, identifiers, deduplication, screening,
eligibility and the PRISMA counts.

May import :mod:`peerstudy.io` and :mod:`peerstudy.stats` (inter-reviewer agreement).
"""
