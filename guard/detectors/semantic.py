"""Semantic detector: candidate windows against content windows, by embedding cosine.

Each candidate window (1-3 sentences of each embedded view) is searched in the index's FAISS structure;
a hit names the content item whose window is nearest. The score is the cosine similarity in [-1, 1]
(clipped to [0, 1]), less a penalty when the two windows state conflicting numbers or dates
(`guard.detectors.facts`); the threshold comes from calibration on benign text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from guard.detectors import facts
from guard.detectors.base import Candidate, window_findings
from guard.index import ann
from guard.types import Finding, Matcher

TOP_K = 4


def detect(
    index: Any,
    window_items: np.ndarray,
    candidate: Candidate,
    item_meta: list[tuple[str, str]],
    threshold: float,
    *,
    window_facts: Sequence[frozenset[int]] = (),
) -> list[Finding]:
    """Every (window, item) pair at or above ``threshold`` plus each item's best pair, as findings.

    ``window_items[row]`` is the item position of the index's window ``row``; ``window_facts[row]`` its
    facts (an empty sequence skips the fact check).
    """
    scores, rows = ann.search(index, candidate.vectors, TOP_K)
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for w in range(scores.shape[0]):
        stated = facts.facts(candidate.windows[w][1].text) if len(window_facts) else frozenset()
        for score, row in zip(scores[w].tolist(), rows[w].tolist()):
            if row < 0:
                continue
            if stated and row < len(window_facts):
                score = facts.adjusted(score, window_facts[row], stated)
            key = (w, int(window_items[row]))
            if key not in best or score > best[key][0]:
                best[key] = (score, row)
    return window_findings(best, candidate, item_meta, threshold, Matcher.SEMANTIC)
