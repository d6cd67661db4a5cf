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

A run can copy an item's frame rather than the item: "The author's full name is Hsiao Yun-Hwa." is 31
skeleton characters, 20 of them "The author's full name is", which any other author's record starts with;
"has been honored with the prestigious ... for his significant contribution to" is two runs of a longer
one. So a run shorter than `FRAME` characters (about ten words) out of a candidate sentence that states
other names or facts than the item (the check of `guard.detectors.facts` finds a conflict: "The author's
full name is Brenda Lai.") copies the frame, not the item, and does not count, unless it holds one of
the item's numbers, dates or rare names ("Kalkidan Abera primarily writes in the genre of" with another
genre is the item's subject, not a frame), or the sentence names half or more of the names the item
does (the item's own record with a word changed: "the Seoul Architecture Volume of the Year" for
"Book"). Given the items' facts and names only (``item_facts``: the index reads them from its item
texts); never on a decoded view (names need the writer's case). A longer run counts whatever surrounds
it: it is a passage, not a frame. On TOFU, the held-out retain answers' 1% point was
set by such template runs (``python -m benchmarks quality``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from guard.detectors import facts
from guard.detectors.base import Candidate
from guard.detectors.names import WORD_ZIPF, zipf
from guard.normalize import View, canonical, skeleton
from guard.types import Finding, Matcher
from guard.windows import Window

K = 12  # n-gram length in skeleton characters (about two words)
CAP = 100  # this many covered characters score 1.0 whatever the item's length
MIN_RUN = 16  # characters a run must cover to count (a lone 12-gram is a common phrase)
FRAME = 50  # a shorter run can be a sentence's frame (see the module docstring); a longer one is a passage
ItemFacts = tuple[frozenset[int], facts.Names, tuple[str, ...]]  # an item's facts, names and words, rare names
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


def item_facts(text: str) -> ItemFacts:
    """What the frame rule reads of an item: its facts, its names and words, and its rare names as skeletons
    (Zipf frequency under `guard.detectors.names.WORD_ZIPF`: "Hsiao", "Kalkidan"; not "LGBTQ", "Health")."""
    named = facts.named(text)
    rare = {skeleton(canonical(n)).text for n in named[0] if zipf(n) < WORD_ZIPF}
    return facts.facts(text), named, tuple(sorted(rare - {""}))


def detect(
    layer: VerbatimLayer, candidate: Candidate, item_meta: list[tuple[str, str]], threshold: float,
    *, item_facts: Callable[[int], ItemFacts | None] | None = None,
) -> list[Finding]:
    """Per item, the runs of the view where it is best reproduced, flagged or not; ``item_meta[i] = (id, kind)``.

    The score (shared by an item's findings) is the characters covered by its runs over
    ``min(CAP, item length)``, capped at 1; each run is its own finding, so redaction removes every one.
    ``item_facts(item)``: the item's facts and names (None: unknown), for the frame rule (module docstring);
    without it every run counts.
    """
    best: dict[int, list[Finding]] = {}
    # The candidate's sentences as original spans with their canonical windows: where the frame rule reads
    held = [(*candidate.window_span(k)[:2], w) for k, (position, w) in enumerate(candidate.windows)
            if position == 0 and w.units == 1] if item_facts is not None else []
    for view in candidate.views:
        found, sk = layer.runs(view)
        for item, runs in found.items():
            if item_facts is not None and view is candidate.views[0]:
                own = item_facts(item)
                runs = [r for r in runs if own is None or not _frame(r, sk, candidate, held, own)]
                if not runs:
                    continue
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


def _frame(run: tuple[int, int, int], sk: View, candidate: Candidate, sentences: list[tuple[int, int, Window]],
           own: ItemFacts) -> bool:
    """Whether ``run`` (in the skeleton ``sk`` of the candidate's canonical view) copies only the item's frame: a
    short run, none of the item's numbers, dates or rare names in it, from candidate sentences (``sentences``:
    original start, end and canonical window) that conflict with the item and name fewer than half of the
    names it does.

    The candidate is read through the canonical fold in the writer's case (`guard.normalize.View.cased`):
    a name written in leetspeak or homoglyphs ("Hs14o") is the name it spells, not another name, so
    obfuscating the item's own names cannot make its copy read as a frame."""
    start, end, covered = run
    if covered >= FRAME:
        return False
    item_facts, item_names, rare = own
    if any(name in sk.text[start:end] for name in rare):
        return False  # it copies the item's own subject ("Kalkidan Abera primarily writes in the genre of")
    lo, hi = sk.span(start, end)
    view = candidate.views[0]
    held = [w for s, e, w in sentences if s < hi and lo < e]
    inside = np.flatnonzero((view.starts >= lo) & (view.ends <= hi))
    if not held or not len(inside):
        return False
    copied = view.cased(candidate.text, int(inside[0]), int(inside[-1]) + 1)
    if facts.facts(copied) & item_facts:
        return False
    sentence = view.cased(candidate.text, min(w.start for w in held), max(w.end for w in held))
    said = facts.named(sentence)
    if 2 * len(item_names[0] & said[1]) >= len(item_names[0]) > 0:
        return False  # the item's own record with a word changed ("... Literary Prize" for "... Literary Award")
    return facts.adjusted(1.0, item_facts, facts.facts(sentence), item_names, said) < 1.0
