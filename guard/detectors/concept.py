"""Concept detector: candidate windows against a concept's examples, net of its allowed near-misses.

A concept (say, a trademarked character) is given by a description, examples of text that evokes it, and
``allow``: near-misses that must stay allowed (a different character with a similar costume). For each
candidate window: ``pos`` = best cosine to the description or an example, ``neg`` = best cosine to an
allowed text. The score is ``pos`` when ``pos - neg >= margin`` and 0 otherwise: a window closer to an
allowed near-miss than to the concept is not evidence of the concept.

A window that names what the concept's description or examples name (`guard.detectors.names`: "Carmen
Montenegro", "Nebula Award"), and not only what its allowed texts name, scores ``ANCHOR_BONUS`` more:
TOFU authors as concepts, paraphrases of their other answers caught at 1% false blocks on other authors'
answers went from 0.63 to 0.90 on the split this was chosen on (retain90's first 20 authors).
"""

from __future__ import annotations

import numpy as np

from guard.detectors import names
from guard.detectors.base import Candidate, window_findings
from guard.types import Finding, Matcher

ROLE_DESCRIPTION, ROLE_EXAMPLE, ROLE_ALLOW = 0, 1, 2
ANCHOR_BONUS = 0.2


def detect(
    vectors: np.ndarray,
    items: np.ndarray,
    roles: np.ndarray,
    candidate: Candidate,
    item_meta: list[tuple[str, str]],
    threshold: float,
    margin: float,
    item_names: dict[int, frozenset[int]] | None = None,
) -> list[Finding]:
    """``vectors`` (m, dim) are the concept entries; ``items``/``roles`` (m,) say whose and which.

    ``item_names[item]``: the hashed names (`guard.detectors.names.hashed`) that anchor a window to that
    concept (its own names less its allowed texts' names); none given, no anchoring.
    """
    if not len(vectors) or not len(candidate.vectors):
        return []
    sims = candidate.vectors @ vectors.T  # (windows, entries)
    stated = [_names(candidate, w) for w in range(len(candidate.windows))] if item_names else []
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for item in np.unique(items).tolist():
        positive = np.nonzero((items == item) & (roles != ROLE_ALLOW))[0]
        negative = np.nonzero((items == item) & (roles == ROLE_ALLOW))[0]
        pos = sims[:, positive].max(axis=1)
        neg = sims[:, negative].max(axis=1) if len(negative) else np.full(len(pos), -1.0, np.float32)
        own = item_names.get(item, frozenset()) if item_names else frozenset()
        anchored = np.array([bool(w & own) for w in stated] if stated else [False] * len(sims), bool)
        score = np.where(pos - neg >= margin, pos + ANCHOR_BONUS * anchored, 0.0)
        which = positive[sims[:, positive].argmax(axis=1)]
        for w in range(len(score)):
            best[(w, item)] = (float(score[w]), int(which[w]))
    return window_findings(best, candidate, item_meta, threshold, Matcher.CONCEPT)


def _names(candidate: Candidate, w: int) -> frozenset[int]:
    """Names in window ``w``, read from its view's fold in the writer's case (`guard.normalize.View.cased`): the
    canonical view is lower-cased, and the written text may hide a name ("Hs14o")."""
    return names.hashed(candidate.window_cased(w))
