"""Concept detector: candidate windows against a concept's examples, net of its allowed near-misses.

A concept (say, a trademarked character) is given by a description, examples of text that evokes it, and
``allow``: near-misses that must stay allowed (a different character with a similar costume). For each
candidate window: ``pos`` = best cosine to the description or an example, ``neg`` = best cosine to an
allowed text. The score is ``pos`` when ``pos - neg >= margin`` and 0 otherwise: a window closer to an
allowed near-miss than to the concept is not evidence of the concept.
"""

from __future__ import annotations

import numpy as np

from guard.detectors.base import Candidate, window_findings
from guard.types import Finding, Matcher

ROLE_DESCRIPTION, ROLE_EXAMPLE, ROLE_ALLOW = 0, 1, 2


def detect(
    vectors: np.ndarray,
    items: np.ndarray,
    roles: np.ndarray,
    candidate: Candidate,
    item_meta: list[tuple[str, str]],
    threshold: float,
    margin: float,
) -> list[Finding]:
    """``vectors`` (m, dim) are the concept entries; ``items``/``roles`` (m,) say whose and which."""
    if not len(vectors) or not len(candidate.vectors):
        return []
    sims = candidate.vectors @ vectors.T  # (windows, entries)
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for item in np.unique(items).tolist():
        positive = np.nonzero((items == item) & (roles != ROLE_ALLOW))[0]
        negative = np.nonzero((items == item) & (roles == ROLE_ALLOW))[0]
        pos = sims[:, positive].max(axis=1)
        neg = sims[:, negative].max(axis=1) if len(negative) else np.full(len(pos), -1.0, np.float32)
        score = np.where(pos - neg >= margin, pos, 0.0)
        which = positive[sims[:, positive].argmax(axis=1)]
        for w in range(len(score)):
            best[(w, item)] = (float(score[w]), int(which[w]))
    return window_findings(best, candidate, item_meta, threshold, Matcher.CONCEPT)
