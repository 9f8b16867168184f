"""Blocking for deduplication (:mod:`peerstudy.review.dedup`): the pairs of records worth
comparing, from several keys (year and first author; journal volume and first page; year
and first page; neighbours in title order), each block bounded in size so that the work
grows about linearly with the number of records.

Examples
--------
>>> _bounded_pairs([3, 1, 2], lambda i: i, max_block=2, window=1)
[(1, 2), (2, 3)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from peerstudy.review.dedup_evidence import _Prepared


def _groups(keys: Sequence[Any], rank: list[tuple[int, int]]) -> list[list[int]]:
    found: dict[Any, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            found.setdefault(k, []).append(i)
    return [sorted(g, key=lambda i: rank[i]) for g in found.values() if len(g) > 1]


def _bounded_pairs(
    block: list[int], order_key: Callable[[int], Any], max_block: int, window: int
) -> list[tuple[int, int]]:
    """All pairs of a small block; in a large one, each record with its ``window`` next ones by ``order_key``."""
    if len(block) <= max_block:
        return list(combinations(block, 2))
    ordered = sorted(block, key=order_key)
    return [
        (ordered[i], ordered[j]) for i in range(len(ordered)) for j in range(i + 1, min(i + 1 + window, len(ordered)))
    ]


def _candidate_pairs(p: _Prepared, max_block: int, window: int) -> np.ndarray:
    """Pairs of records worth comparing by title, from several blocking keys, each block bounded."""
    n = p.n
    titled = [bool(t) and not g for t, g in zip(p.titles, p.generic, strict=False)]
    keys: list[list[tuple[Any, Any] | None]] = [
        [(y, s) if ok and y is not None else None for ok, y, s in zip(titled, p.years, p.surnames, strict=False)],
        [(v, f) if ok and v and f else None for ok, v, f in zip(titled, p.volumes, p.first_pages, strict=False)],
        [
            (y, f) if ok and y is not None and f else None
            for ok, y, f in zip(titled, p.years, p.first_pages, strict=False)
        ],
    ]
    firsts: list[int] = []
    seconds: list[int] = []
    for key in keys:
        blocks: dict[Any, list[int]] = {}
        for i, k in enumerate(key):
            if k is not None:
                blocks.setdefault(k, []).append(i)
        for block in blocks.values():
            if len(block) > 1:
                for a, b in _bounded_pairs(block, p.titles.__getitem__, max_block, window):
                    firsts.append(a)
                    seconds.append(b)
    # neighbours in title order, and in the order of the reversed title (a difference at the start)
    idx = np.array([i for i in range(n) if titled[i]], dtype=np.int64)
    for sort_key in (lambda i: p.titles[i], lambda i: p.titles[i][::-1]):
        ordered = np.array(sorted(idx.tolist(), key=sort_key), dtype=np.int64)
        for d in range(1, window + 1):
            firsts.extend(ordered[:-d].tolist())
            seconds.extend(ordered[d:].tolist())
    if not firsts:
        return np.empty((0, 2), dtype=np.int64)
    first, second = np.array(firsts, dtype=np.int64), np.array(seconds, dtype=np.int64)
    lo, hi = np.minimum(first, second), np.maximum(first, second)
    codes = np.sort(lo[lo != hi] * n + hi[lo != hi])
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
    return np.stack([codes // n, codes % n], axis=1)
