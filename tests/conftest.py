"""Shared fixtures: a small deterministic fake embedder for fast unit tests, and the real bundled one."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from guard.embedding import Embedder  # noqa: E402

DEMO = Path(__file__).resolve().parent.parent / "indexes" / "demo"


class FakeEmbedder(Embedder):
    """Bag of hashed words: texts sharing words get similar vectors. Deterministic and instant."""

    name = "fake-bow"
    dim = 64
    spec = "fake"

    def __init__(self) -> None:
        super().__init__(cache_size=0)
        self.calls = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
            out[i] /= max(np.linalg.norm(out[i]), 1e-9)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    from guard.embedding import load_embedder

    return load_embedder("default")


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory, minilm: Embedder) -> Path:
    """The demo policy built once with the real embedder and a real FAISS index."""
    from guard.index import build_index
    from guard.policy import load_policy

    out = tmp_path_factory.mktemp("demo") / "index"
    build_index(load_policy(DEMO / "policy.yaml").items, minilm).save(out)
    return out
