"""The methods people would otherwise use, each returning one score per candidate (higher = leak)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


def word_ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class NgramOverlap:
    """MemFree-style: the share of a candidate's word n-grams found in one forbidden item (max over items)."""

    def __init__(self, forbidden: Sequence[str], n: int = 3) -> None:
        self.n = n
        self.owner: dict[tuple[str, ...], set[int]] = {}
        for i, text in enumerate(forbidden):
            for gram in word_ngrams(text, n):
                self.owner.setdefault(gram, set()).add(i)

    def score(self, text: str) -> float:
        grams = word_ngrams(text, self.n)
        if not grams:
            return 0.0
        counts: dict[int, int] = {}
        for gram in grams:
            for i in self.owner.get(gram, ()):
                counts[i] = counts.get(i, 0) + 1
        return max(counts.values(), default=0) / len(grams)


class PlainCosine:
    """Whole-text MiniLM embedding, max cosine to any forbidden text (no normalization, no windows)."""

    def __init__(self, forbidden: Sequence[str], embedder: object) -> None:
        self.embedder = embedder
        self.matrix = embedder.embed(list(forbidden))  # type: ignore[attr-defined]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.embedder.embed(list(texts))  # type: ignore[attr-defined]
        return (vectors @ self.matrix.T).max(axis=1)
