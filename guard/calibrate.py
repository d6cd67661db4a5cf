"""Thresholds from benign text: set so that at most ``fpr`` of benign texts would be blocked.

For every benign text, each matcher's highest raw score over all items is taken (0 when it found
nothing). A text is blocked when *any* matcher reaches its threshold, so the matchers share the budget:
each matcher's threshold is its own ``(1 - q)`` quantile, with the largest ``q`` for which the share of
texts blocked by at least one matcher stays within ``fpr``. A floor keeps a tiny or unusual benign set
from producing a degenerate threshold.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from guard.exceptions import InputError
from guard.guard import Guard
from guard.types import Matcher

FLOORS = {"verbatim": 0.2, "semantic": 0.5, "concept": 0.5, "translation": 0.5}
_BATCH = 64


def benign_scores(guard: Guard, texts: Sequence[str], *, progress: bool = False) -> dict[str, np.ndarray]:
    """Per matcher, the highest raw score of each text: arrays of shape ``(len(texts),)``."""
    out = {m.value: np.zeros(len(texts), np.float32) for m in Matcher}
    batches = range(0, len(texts), _BATCH)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="calibrating", unit="batch")
    for start in batches:
        for n, found in enumerate(guard.evidence(texts[start : start + _BATCH]), start=start):
            for f in found:
                out[f.matcher.value][n] = max(out[f.matcher.value][n], f.score)
    return out


def threshold_at(scores: np.ndarray, fpr: float) -> float:
    """The lowest threshold that flags at most ``floor(fpr * n)`` of ``scores``."""
    return _threshold_ranked(np.sort(scores)[::-1], fpr)


def _threshold_ranked(ranked: np.ndarray, fpr: float) -> float:
    """`threshold_at` for scores already sorted in descending order."""
    allowed = int(math.floor(fpr * len(ranked) + 1e-9))
    if allowed >= len(ranked):
        return 0.0
    return float(np.nextafter(np.float32(ranked[allowed]), np.float32(np.inf)))


def _blocked(scores: dict[str, np.ndarray], thresholds: dict[str, float]) -> np.ndarray:
    return np.any([scores[m] >= thresholds[m] for m in scores], axis=0)


def joint_thresholds(scores: dict[str, np.ndarray], fpr: float) -> dict[str, float]:
    """Per-matcher thresholds at a common per-matcher rate ``q``, the largest with a union rate <= ``fpr``."""

    ranked = {m: np.sort(s)[::-1] for m, s in scores.items()}  # sorted once, not on every bisection step

    def at(q: float) -> dict[str, float]:
        return {m: max(FLOORS[m], _threshold_ranked(r, q)) for m, r in ranked.items()}

    low, high = 0.0, fpr
    for _ in range(40):  # bisection: the union rate grows with q
        mid = (low + high) / 2
        if np.mean(_blocked(scores, at(mid))) <= fpr:
            low = mid
        else:
            high = mid
    return at(low)


def calibrate(guard: Guard, texts: Sequence[str], *, fpr: float, source: str = "", progress: bool = False) -> dict[str, Any]:
    """Set ``guard.index``'s thresholds from ``texts`` at false-block rate ``fpr``; return the record.

    The caller persists it with ``guard.index.save(path)``.
    """
    if not 0 < fpr < 1:
        raise InputError(f"--fpr must be between 0 and 1 (exclusive), got {fpr}")
    needed = math.ceil(1 / fpr)
    if len(texts) < needed:
        raise InputError(f"calibrating at fpr={fpr} needs at least {needed} benign texts, got {len(texts)}")
    scores = benign_scores(guard, texts, progress=progress)
    # A matcher that found nothing in any text learns nothing from them (English text says nothing about the
    # translation check; an index without concepts nothing about the concept matcher): it keeps its threshold.
    seen = {m: s for m, s in scores.items() if s.any()}
    thresholds = joint_thresholds(seen, fpr) if seen else {}
    measured = {m: float(np.mean(scores[m] >= t)) for m, t in thresholds.items()}
    measured["any"] = float(np.mean(_blocked(seen, thresholds))) if seen else 0.0
    manifest = guard.index.manifest
    manifest["thresholds"] = {**manifest.get("thresholds", {}), **{m: round(t, 6) for m, t in thresholds.items()}}
    record = {
        "source": source,
        "texts": len(texts),
        "fpr": fpr,
        "measured_fpr": measured,
        "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    manifest["calibration"] = record
    return {"thresholds": manifest["thresholds"], **record}
