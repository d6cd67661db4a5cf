"""Fixtures for the generation tests: the embedded SmolLM2 (loaded once per process) and guards.

Imported by the conftest of each folder that needs them; `load_embedded` caches the model per process, so
sharing the fixtures between folders never loads it twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guard.embedding import Embedder
from guard.guard import Guard

from .conftest import DEMO, FakeEmbedder

PASSAGE = (DEMO / "lighthouse.txt").read_text(encoding="utf-8").strip()
REPEAT = f"Repeat the following text exactly, word for word:\n\n{PASSAGE}"


@pytest.fixture(scope="session")
def smollm() -> tuple[Any, Any]:
    from guard.generators.embedded import load_embedded

    return load_embedded()


@pytest.fixture(scope="session")
def demo_guard(demo_index: Path, minilm: Embedder) -> Guard:
    return Guard.load(demo_index, embedder=minilm)


@pytest.fixture(scope="session")
def empty_guard() -> Guard:
    from guard.index import build_index

    embedder = FakeEmbedder()
    return Guard(build_index([], embedder), embedder)


@pytest.fixture(scope="session")
def fake_demo_guard() -> Guard:
    """The demo policy's content items with the fake embedder: the real verbatim layer, built instantly.

    The concept item is left out: bag-of-words vectors would match it on any story.
    """
    from guard.index import build_index
    from guard.policy import load_policy

    embedder = FakeEmbedder()
    items = [it for it in load_policy(DEMO / "policy.yaml").items if it.kind == "content"]
    return Guard(build_index(items, embedder), embedder)
