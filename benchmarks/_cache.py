"""An embedder wrapper that keeps its vectors on disk, so reruns of a benchmark embed nothing twice.

The machine these benchmarks run on is small and shared: embedding the same 10k TOFU windows on every run
would cost minutes each time. Vectors are stored in ``benchmarks/.cache/embed-NAME.npz`` (git-ignored),
keyed by the SHA-1 of the exact text; delete the file to start afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE
from guard.embedding import Embedder


class DiskCachedEmbedder(Embedder):
    """Wraps ``inner`` (same ``name``, ``dim`` and ``spec``, so indexes accept it as that embedder)."""

    def __init__(self, inner: Embedder, *, folder: Path = CACHE) -> None:
        super().__init__(cache_size=inner._cache_size)
        self.inner = inner
        self.name, self.dim, self.spec = inner.name, inner.dim, inner.spec
        self.path = folder / f"embed-{_slug(inner.name)}.npz"
        self._disk: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as z:
                self._disk = dict(zip(z["keys"].tolist(), z["vectors"]))
        self._dirty = False

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        missing = [t for t, k in zip(texts, keys) if k not in self._disk]
        if missing:
            for text, vec in zip(missing, self.inner.embed_batch(missing)):
                self._disk[_key(text)] = vec
            self._dirty = True
        return np.stack([self._disk[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        """Write new vectors to disk (atomically: a killed run leaves the old cache readable)."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        keys = sorted(self._disk)
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._disk[k] for k in keys]))
        tmp.replace(self.path)
        self._dirty = False


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
