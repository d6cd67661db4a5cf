"""Nearest-neighbour search over window vectors with FAISS: exact, HNSW or IVF.

Exact (inner product over all vectors) is the default; its cost grows linearly with the index (see
``python -m benchmarks scale`` for the measured figures). HNSW and IVF trade recall for speed on large
corpora; IVF with ``pq`` also compresses the vectors (scores become approximate). Their recall against
exact search is measured in ``benchmarks/scale.py``. Vectors are unit-norm, so inner product is cosine
similarity. IVF's k-means trains on at most ``TRAIN_PER_LIST`` windows per list (a sample FAISS draws),
so training a million-window index takes minutes, not an hour.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from guard.exceptions import DependencyError, GuardIndexError

KINDS = ("flat", "hnsw", "ivf")
TRAIN_PER_LIST = 64


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise DependencyError("faiss is missing: pip install 'guard-suppress[index]'") from exc
    return faiss


def new(kind: str, dim: int, vectors: np.ndarray, *, params: dict[str, Any] | None = None) -> Any:
    """Build a FAISS index of ``kind`` over ``vectors`` (shape ``(n, dim)``, float32, unit rows)."""
    faiss = _faiss()
    params = resolve_params(kind, len(vectors), params)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, int(params["m"]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(params["ef_construction"])
        index.hnsw.efSearch = int(params["ef_search"])
    else:
        index = _new_ivf(faiss, dim, vectors, params)
    if len(vectors):
        index.add(vectors)
    return index


def _new_ivf(faiss: Any, dim: int, vectors: np.ndarray, params: dict[str, Any]) -> Any:
    nlist, pq = int(params["nlist"]), int(params["pq"])
    if pq and (pq < 0 or dim % pq):
        raise GuardIndexError(f"pq={pq} must divide the embedding dimension {dim} (e.g. 48 or 96 for 384)")
    if len(vectors) < 39 * nlist:
        raise GuardIndexError(
            f"an IVF index with {nlist} lists needs at least {39 * nlist} windows to train, got {len(vectors)}; "
            "use --ann flat (exact) for small indexes"
        )
    quantizer = faiss.IndexFlatIP(dim)
    if pq:
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, pq, 8, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = TRAIN_PER_LIST
    index.train(vectors)
    index.nprobe = int(params["nprobe"])
    return index


def resolve_params(kind: str, n: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fill in the defaults for ``kind`` at ``n`` vectors; the result is recorded in the manifest."""
    params = dict(params or {})
    if kind == "hnsw":
        return {"m": 32, "ef_construction": 80, "ef_search": 64, **params}
    if kind == "ivf":
        return {"nlist": max(1, int(4 * math.sqrt(max(n, 1)))), "nprobe": 16, "pq": 0, **params}
    if kind == "flat":
        return {}
    raise GuardIndexError(f"unknown index kind {kind!r}; choose one of {list(KINDS)}")


def add(index: Any, vectors: np.ndarray) -> None:
    """Append vectors; their ids continue the row numbering."""
    if len(vectors):
        index.add(vectors)


def rebuild(kind: str, index: Any, dim: int, vectors: np.ndarray, params: dict[str, Any]) -> Any:
    """Re-index after rows were removed (FAISS HNSW cannot delete; IVF keeps its trained lists)."""
    if kind == "ivf":
        index.reset()
        add(index, vectors)
        return index
    return new(kind, dim, vectors, params=params)


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, rows) for each query; shapes ``(m, k)``; rows are -1 where fewer exist."""
    if index.ntotal == 0 or len(queries) == 0:
        return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, index.ntotal))


def write(index: Any, path: Path) -> None:
    _faiss().write_index(index, str(path))


def read(path: Path) -> Any:
    faiss = _faiss()
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise GuardIndexError(f"{path}: unreadable FAISS index ({str(exc).splitlines()[0]}); the index is corrupt") from None
