"""Verbatim detector: long runs of normalized characters shared with a content item.

Both sides are reduced to the skeleton of `guard.normalize` (case, spacing, punctuation, homoglyphs,
zero-width characters and leetspeak folded away; only letters and digits left) and hashed as overlapping
character n-grams of length ``K``. A candidate position "matches" an item when its n-gram is one of the
item's; matching positions form runs (gaps shorter than ``K`` are bridged, so one inserted character
does not break a run), and runs covering at least ``MIN_RUN`` characters count. The score is the
characters they cover over ``min(CAP, item length)``, in [0, 1]: 0.5 means half of a short item, or 50
characters of a long one (about ten words), reproduced, possibly in pieces.

This is the MemFree idea (n-gram membership) made robust to the obfuscations an attacker can apply for
free; it runs on every decoded view (base64, hex, rot13, reversed...) because it costs no embedding.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from guard.detectors.base import Candidate
from guard.normalize import View, canonical, skeleton
from guard.types import Finding, Matcher

K = 12  # n-gram length in skeleton characters (about two words)
CAP = 100  # this many covered characters score 1.0 whatever the item's length
MIN_RUN = 16  # characters a run must cover to count (a lone 12-gram is a common phrase)
_P = np.uint64(0x100000001B3)
_POWERS = np.array([_P ** np.uint64(K - 1 - i) for i in range(K)], dtype=np.uint64)


def shingles(text: str) -> np.ndarray:
    """Hashes of every length-``K`` substring of ``text``: shape ``(max(0, len - K + 1),)``, uint64."""
    if len(text) < K:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = sliding_window_view(codes, K) @ _POWERS
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


class VerbatimLayer:
    """The n-gram layer of an index: sorted hashes and, for each, the item (position) it belongs to."""

    def __init__(self, hashes: np.ndarray, items: np.ndarray, lengths: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self.hashes = np.ascontiguousarray(hashes[order], dtype=np.uint64)
        self.items = np.ascontiguousarray(items[order], dtype=np.int32)
        self.lengths = np.ascontiguousarray(lengths, dtype=np.int32)  # skeleton length per item position

    @staticmethod
    def item_ngrams(text: str) -> tuple[np.ndarray, int]:
        """The distinct n-gram hashes of an item's text and its skeleton length."""
        sk = skeleton(canonical(text)).text
        return np.unique(shingles(sk)), len(sk)

    def runs(self, view: View) -> tuple[dict[int, list[tuple[int, int, int]]], View]:
        """Per item found in ``view``: its runs as ``(start, end, covered)`` in the returned skeleton.

        ``covered`` counts the characters inside matching n-grams (bridged gaps excluded). Runs covering
        fewer than ``MIN_RUN`` characters are dropped (a lone n-gram is a common phrase, not a copy),
        unless they cover a whole item shorter than that.
        """
        sk = skeleton(view)
        h = shingles(sk.text)
        if not len(h) or not len(self.hashes):
            return {}, sk
        left = np.searchsorted(self.hashes, h, "left")
        right = np.searchsorted(self.hashes, h, "right")
        positions: dict[int, list[int]] = defaultdict(list)
        for p in np.nonzero(right > left)[0].tolist():
            for item in set(self.items[left[p] : right[p]].tolist()):
                positions[item].append(p)
        found = {item: [r for r in _runs(ps) if r[2] >= min(MIN_RUN, int(self.lengths[item]))]
                 for item, ps in positions.items()}
        return {item: rs for item, rs in found.items() if rs}, sk


def _runs(positions: list[int]) -> list[tuple[int, int, int]]:
    """Group sorted n-gram positions into runs, bridging gaps shorter than ``K``."""
    out: list[tuple[int, int, int]] = []
    start, end, covered = positions[0], positions[0] + K, K
    for p in positions[1:]:
        if p > end:  # a gap: p - (previous p) > K
            out.append((start, end, covered))
            start, end, covered = p, p + K, K
        else:
            covered += p + K - end
            end = p + K
    out.append((start, end, covered))
    return out


def detect(
    layer: VerbatimLayer, candidate: Candidate, item_meta: list[tuple[str, str]], threshold: float
) -> list[Finding]:
    """Per item, the runs of the view where it is best reproduced, flagged or not; ``item_meta[i] = (id, kind)``.

    The score (shared by an item's findings) is the characters covered by its runs over
    ``min(CAP, item length)``, capped at 1; each run is its own finding, so redaction removes every one.
    """
    best: dict[int, list[Finding]] = {}
    for view in candidate.views:
        found, sk = layer.runs(view)
        for item, runs in found.items():
            covered = sum(c for _, _, c in runs)
            score = min(1.0, covered / max(1, min(CAP, int(layer.lengths[item]))))
            if item in best and best[item][0].score >= score:
                continue
            item_id, kind = item_meta[item]
            best[item] = [
                Finding(item_id, kind, Matcher.VERBATIM, score, threshold, *sk.span(start, end), view.label,
                        {"chars": c})
                for start, end, c in runs
            ]  # fmt: skip
    return [f for fs in best.values() for f in fs]
