"""Grouping for deduplication (:mod:`peerstudy.review.dedup`): a union-find over records that
refuses a merge joining records that must stay apart (different DOIs, PMIDs, volumes,
issues or pages; an erratum or reply and an original), also through a third record; and
the matcher that records every pair considered, merged or kept apart, with its evidence.
"""

from __future__ import annotations

from typing import Any

from peerstudy.review.dedup_evidence import _evidence, _first_page_typo, _Prepared, _ranges_agree, _shifted_fields


class _Clusters:
    """Union-find over record positions that refuses merges that would join records
    that must stay apart (different DOIs, PMIDs, volumes, issues or first pages; a
    correction and an original), also through a third record."""

    _KEYS = (
        ("dois", "different DOIs"),
        ("pmids", "different PMIDs"),
        ("volumes", "different volume"),
        ("issues", "different issue"),
        ("page_ranges", "different pages"),
    )

    def __init__(self, prep: _Prepared):
        self.parent = list(range(prep.n))
        self.rank = prep.rank
        self.sets: dict[str, list[set | None]] = {
            key: [{v} if v else None for v in getattr(prep, key)] for key, _ in self._KEYS
        }
        self.correction = list(prep.corrections)
        self.size = [1] * prep.n

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> str:
        ra, rb = self.find(a), self.find(b)
        if self.correction[ra] != self.correction[rb]:
            return "erratum, correction or reply"
        for key, reason in self._KEYS:
            sa, sb = self.sets[key][ra], self.sets[key][rb]
            if sa and sb and not sa & sb:
                if key != "page_ranges" or not any(_ranges_agree(x, y) for x in sa for y in sb):
                    return reason
        return ""

    def realign(self, i: int, other: int, p: _Prepared) -> str:
        """Read a lone record's issue as its volume and its page as its issue (fields shifted
        by one place), when that removes every conflict with ``other``; the reason otherwise."""
        if self.size[i] != 1:
            return self.conflict(i, other)
        saved = {key: self.sets[key][i] for key, _ in self._KEYS}
        self.sets["volumes"][i], self.sets["issues"][i] = {p.volumes[other]}, {p.issues[other]}
        self.sets["page_ranges"][i] = None
        reason = self.conflict(i, other)
        if reason:
            for key, value in saved.items():
                self.sets[key][i] = value
        return reason

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if self.rank[rb] < self.rank[ra]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        for key, _ in self._KEYS:
            sets = self.sets[key]
            mine, theirs = sets[ra], sets[rb]
            if theirs:
                sets[ra] = theirs | mine if mine else set(theirs)


class _Matcher:
    """Records each pair matched once per pair of clusters, merging it unless it must stay apart."""

    def __init__(self, prep: _Prepared):
        self.p = prep
        self.clusters = _Clusters(prep)
        self.rows: list[dict[str, Any]] = []
        self.seen: set[tuple[int, int]] = set()

    def consider(
        self, a: int, b: int, rule: str, score: float, similarity: float, *, must_apart: str = "", note: str = ""
    ) -> None:
        rank = self.p.rank
        if rank[b] < rank[a]:
            a, b = b, a
        find = self.clusters.find
        key = (find(a), find(b))
        if key[0] == key[1] or key in self.seen or key[::-1] in self.seen:
            return
        reason = must_apart or self.clusters.conflict(a, b)
        shifted = _shifted_fields(self.p, a, b) if reason and not must_apart else None
        if shifted is not None:
            reason = self.clusters.realign(shifted, b if shifted == a else a, self.p)
            if not reason:
                note = "; ".join(
                    filter(
                        None, [note, "fields shifted (volume missing; issue and page read as volume and issue): check"]
                    )
                )
        self.seen.add(key)
        x, y = self.p.page_ranges[a], self.p.page_ranges[b]
        if not reason and x and y and _first_page_typo(x, y):
            note = "; ".join(filter(None, [note, "first pages differ by one, same last page: check"]))
        if not reason:
            self.clusters.union(a, b)
        agreed, differed = _evidence(self.p, a, b, similarity)
        self.rows.append(
            {
                "a": a,
                "b": b,
                "rule": rule,
                "score": round(float(score), 1),
                "decision": "kept apart" if reason else "merged",
                "reason": reason or note,
                "title_similarity": round(similarity, 1),
                "agreed": agreed,
                "differed": differed,
            }
        )
