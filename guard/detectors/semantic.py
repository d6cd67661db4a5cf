"""Semantic detector: candidate windows against content windows, by embedding cosine.

Each candidate window (1-3 sentences of each embedded view) is searched in the index's FAISS structure;
a hit names the content item whose window is nearest. The score is the cosine similarity in [-1, 1]
(clipped to [0, 1]), less a penalty when the two windows state conflicting numbers, dates or names
(`guard.detectors.facts`), and less a second one when the cross-encoder (`guard.rerank`) reads the pair and
doubts that the candidate restates the item; plus a bonus when it reads the candidate window as a
restatement of the item's whole text (an item of up to three sentences). The second stage runs only on pairs scoring at least
``RERANK_FROM`` of the threshold (below that no bar in guard can flag them), so text far from every item
costs nothing extra. Last, the perturbed check (`guard.detectors.perturbed`) lowers the other pairs of an
item the candidate rewrites elsewhere (a sentence aligned with one of the item's that states other facts).
The threshold comes from calibration on benign text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from guard.detectors import facts, perturbed
from guard.detectors.base import Candidate, window_findings
from guard.index import ann
from guard.types import Finding, Matcher

TOP_K = 4
RERANK_FROM = 0.8  # of the threshold: the stricter bar after a roll-back (leak score 0.4) sits there
# The reranker was trained on whole restatements: it judges only pairs of comparable length. A window much
# shorter than the item (a partial copy: one field of a record) is left to the first stage.
COMPARABLE = (0.6, 1.7)  # candidate words / item words

Rerank = Callable[[Sequence[tuple[str, str]]], np.ndarray]  # (item window, candidate window) pairs -> p


def detect(
    index: Any,
    window_items: np.ndarray,
    candidate: Candidate,
    item_meta: list[tuple[str, str]],
    threshold: float,
    *,
    window_facts: Sequence[frozenset[int]] = (),
    rerank: Rerank | None = None,
    window_texts: Sequence[str | None] = (),
    window_names: Callable[[int], facts.Names | None] | None = None,
    whole_row: Callable[[int], int | None] | None = None,
    perturbed_check: tuple[np.ndarray, Callable[[int], np.ndarray]] | None = None,
    matcher: Matcher = Matcher.SEMANTIC,
) -> list[Finding]:
    """Every (window, item) pair at or above ``threshold`` plus each item's best pair, as findings.

    ``window_items[row]`` is the item position of the index's window ``row``; ``window_facts[row]`` its
    facts (an empty sequence skips the fact check); ``window_names(row)`` its names and its item's words
    (`guard.detectors.facts.adjusted`; None: no names check); ``window_texts[row]`` its text, which
    ``rerank`` reads with the candidate window (no text, or no ``rerank``: no second stage);
    ``whole_row(item)`` the row of the window holding the item's whole text (None: it has none), which
    ``rerank`` also reads against each near candidate window of comparable length (the restatement bonus).
    ``perturbed_check``: the index's content window vectors and its `~guard.index.Index.unit_rows`, for the
    check of `guard.detectors.perturbed` (None: off). ``matcher`` names the findings (the translation check
    runs the same search in another space).
    """
    scores, rows = ann.search(index, candidate.vectors, TOP_K)
    # Each window's facts and names, once per window (not per matched row); the perturbed check reads them too
    stated = [facts.facts(w.text) if len(window_facts) else frozenset() for _, w in candidate.windows]
    said = [_named(candidate, w) if window_names else None for w in range(len(candidate.windows))]
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for w in range(scores.shape[0]):
        for score, row in zip(scores[w].tolist(), rows[w].tolist()):
            if row < 0:
                continue
            own = window_facts[row] if row < len(window_facts) else frozenset()
            names = window_names(row) if said[w] and window_names else None
            score = facts.adjusted(score, own, stated[w], names, said[w])
            key = (w, int(window_items[row]))
            if key not in best or score > best[key][0]:
                best[key] = (score, row)
    if rerank is not None and len(window_texts):
        _second_stage(best, candidate, rerank, window_texts, threshold, whole_row)
    if perturbed_check is not None:
        vectors, unit_rows = perturbed_check
        perturbed.discount(best, candidate, stated, said, vectors=vectors, unit_rows=unit_rows,
                           window_texts=window_texts, window_facts=window_facts, window_names=window_names,
                           rerank=rerank, floor=RERANK_FROM * threshold)
    return window_findings(best, candidate, item_meta, threshold, matcher)


def _second_stage(best: dict[tuple[int, int], tuple[float, int]], candidate: Candidate, rerank: Rerank,
                  window_texts: Sequence[str | None], threshold: float, whole_row: Callable[[int], int | None] | None) -> None:
    """Adjust each near pair's score by the reranker (`guard.rerank.adjusted`), in place: lowered by its doubt
    that the candidate window restates the matched item window, raised when it reads the window as a
    restatement of the item's whole text (read once per item, with the item's best near window of comparable
    length; for an item under `~guard.rerank.WHOLE_MIN_WORDS` words only where that window already reaches
    ``threshold``: there the reading can confirm a block, never make one)."""
    from guard.rerank import WHOLE_MIN_WORDS, adjusted

    def readable(row: int | None, w: int) -> bool:
        return row is not None and row < len(window_texts) and bool(window_texts[row]) and _comparable(
            str(window_texts[row]), candidate.windows[w][1].text)

    near = sorted((k for k, (score, _) in best.items() if score >= RERANK_FROM * threshold), key=lambda k: -best[k][0])
    matched = {k: best[k][1] for k in near if readable(best[k][1], k[0])}
    whole: dict[tuple[int, int], int] = {}  # per item, its best near window read against its whole text
    read: set[int] = set()
    for w, item in near:
        row = None if whole_row is None or item in read else whole_row(item)
        if row is not None and readable(row, w):
            read.add(item)
            if len(str(window_texts[row]).split()) >= WHOLE_MIN_WORDS or best[w, item][0] >= threshold:
                whole[w, item] = row
    if not matched and not whole:
        return
    pairs = sorted({(row, key[0]) for part in (matched, whole) for key, row in part.items()})
    p = dict(zip(pairs, rerank([(str(window_texts[row]), candidate.windows[w][1].text) for row, w in pairs]).tolist()))
    for key in near:
        at, of = matched.get(key), whole.get(key)
        score, row = best[key]
        best[key] = (adjusted(score, None if at is None else p[at, key[0]], None if of is None else p[of, key[0]]), row)


def _named(candidate: Candidate, w: int) -> facts.Names | None:
    """The names of window ``w``, read from the canonical fold in the writer's case (`guard.normalize.View.cased`:
    names need their case, and "Hs14o" is Hsiao, not another name); None for a decoded view's window."""
    plain = candidate.views[candidate.windows[w][0]].label == "plain"
    return facts.named(candidate.window_cased(w)) if plain else None


def _comparable(item: str, window: str) -> bool:
    ratio = len(window.split()) / max(1, len(item.split()))
    return COMPARABLE[0] <= ratio <= COMPARABLE[1]
