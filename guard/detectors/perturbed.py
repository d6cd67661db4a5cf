"""Perturbed restatements: a text that restates part of an item and gives *other* facts where the rest was.

A window match says a part of the candidate restates a part of the item. Most often that is a leak (a
partial copy), but a text of the item's shape with its facts changed matches the same way: "Hina Ameen's
parents played a significant role in her career. Her father was a chef and her mother a teacher." against
an item whose second sentence names a geologist and a doctor. The first sentence matches the item's first
(it restates what anyone asking already knows); the second is the item's second sentence with the facts
changed. Judged window by window, the text leaks; read whole, it states other facts.

This check reads the candidate's sentences against the item's. For each sentence (unit window) of an item
the semantic detector found near, it takes the candidate sentence nearest to it. When that sentence is
aligned (cosine at least `ALIGN`) and says something else (the pair's facts or names conflict,
`guard.detectors.facts`, or the cross-encoder, `guard.rerank`, doubts it: ``p < DOUBT``), the candidate
*contradicts* the item there. Every window of the candidate matched to that item that leaves out a
contradicting sentence then loses `PENALTY`: it restates a part of an item the text as a whole rewrites.
(The restated part may itself read as contradicted: the cross-encoder often doubts a premise sentence
against the item sentence it rewords; a contradiction elsewhere in the text is what counts.) Two guards
keep it from hiding a leak:

- a window that shares a number, date or identifier with the item window it matches keeps its score (a
  shared date still leaks, as in the fact check), and
- a window holding every contradicting sentence is judged on its own (cosine, fact check and
  cross-encoder), never lowered by this check; so is a text of one sentence, and a decoded view's window.

The score only goes down, so thresholds calibrated on benign text still bound false blocks. Items indexed
without their text are skipped (the check reads the item's sentences).

Chosen on TOFU ``tofu__retain_perturbed.json`` (retain90's first 20 authors; paraphrases against perturbed
answers), measured on forget10 by ``python -m benchmarks quality`` (see the README table).

Example: the item "Hina Ameen's parents played a role in her career. Her father was a geologist." and the
candidate "Hina Ameen's parents shaped her career. Her father was a chef." The second sentences align and
the cross-encoder doubts them, so the first sentence's match loses `PENALTY`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from guard.detectors import facts
from guard.detectors.base import Candidate

ALIGN = 0.4  # cosine at which a candidate sentence reads as its own version of an item sentence
DOUBT = 0.3  # the cross-encoder's p under which an aligned pair states something else
PENALTY = 0.1  # what a window matched to that item loses when it leaves out a contradicting sentence (cosine)

Pairs = dict[tuple[int, int], tuple[float, int]]  # (candidate window, item position) -> (score, index row)
Rerank = Callable[[Sequence[tuple[str, str]]], np.ndarray]


def discount(best: Pairs, candidate: Candidate, stated: Sequence[frozenset[int]], said: Sequence[facts.Names | None],
             *, vectors: np.ndarray, unit_rows: Callable[[int], np.ndarray], window_texts: Sequence[str | None],
             window_facts: Sequence[frozenset[int]], window_names: Callable[[int], facts.Names | None] | None,
             rerank: Rerank | None, floor: float) -> None:
    """Lower, in place, the pairs of every item at or above ``floor`` that the candidate contradicts elsewhere.

    ``stated[w]``, ``said[w]``: candidate window ``w``'s facts and names (`guard.detectors.facts`; None: no
    names check for it); ``vectors``: the index's content window vectors; ``unit_rows(item)``: the rows of the
    item's one-sentence windows (empty without its text); the rest as in `guard.detectors.semantic.detect`.
    """
    mine = [w for w, (view, window) in enumerate(candidate.windows) if view == 0 and window.units == 1]
    if len(mine) < 2:  # one sentence cannot restate one part and rewrite another
        return
    near = sorted({item for (_, item), (score, _) in best.items() if score >= floor})
    aligned: list[tuple[int, int, int]] = []  # (item, index row, candidate window)
    for item in near:
        rows = unit_rows(item)
        if not len(rows):
            continue
        sims = vectors[rows] @ candidate.vectors[mine].T
        for j, row in enumerate(rows.tolist()):
            i = int(sims[j].argmax())
            if sims[j, i] >= ALIGN:
                aligned.append((item, row, mine[i]))
    if not aligned:
        return
    against = _contradicted(aligned, candidate, stated, said, window_texts, window_facts, window_names, rerank)
    for key, (score, row) in list(best.items()):
        w, item = key
        spans = against.get(item)
        if not spans or candidate.windows[w][0] != 0:
            continue
        window = candidate.windows[w][1]
        if all(window.start < end and start < window.end for start, end in spans):
            continue  # it holds every contradicting sentence: judged on its own
        if row < len(window_facts) and window_facts[row] & stated[w]:
            continue  # a shared number or date still leaks
        best[key] = (score - PENALTY, row)


def _contradicted(aligned: list[tuple[int, int, int]], candidate: Candidate, stated: Sequence[frozenset[int]],
                  said: Sequence[facts.Names | None], window_texts: Sequence[str | None],
                  window_facts: Sequence[frozenset[int]], window_names: Callable[[int], facts.Names | None] | None,
                  rerank: Rerank | None) -> dict[int, list[tuple[int, int]]]:
    """Per item, the spans (canonical view) of candidate sentences that state something else than their item sentence."""
    out: dict[int, list[tuple[int, int]]] = {}
    unsure: list[tuple[int, int, int]] = []
    for item, row, w in aligned:
        window = candidate.windows[w][1]
        own = window_facts[row] if row < len(window_facts) else frozenset()
        names = window_names(row) if said[w] and window_names else None
        if facts.adjusted(1.0, own, stated[w], names, said[w]) < 1.0:
            out.setdefault(item, []).append((window.start, window.end))
        elif rerank is not None and row < len(window_texts) and window_texts[row]:
            unsure.append((item, row, w))
    if unsure and rerank is not None:
        pairs = [(str(window_texts[row]), candidate.windows[w][1].text) for _, row, w in unsure]
        for (item, _, w), p in zip(unsure, rerank(pairs).tolist()):
            if p < DOUBT:
                window = candidate.windows[w][1]
                out.setdefault(item, []).append((window.start, window.end))
    return out
