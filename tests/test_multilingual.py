"""The bundled multilingual embedder: translations land near their English original."""

from __future__ import annotations

import numpy as np
import pytest

from guard import Guard, Item
from guard.index import build_index
from guard.multilingual import UniversalSentenceEncoder


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


def test_vectors_are_unit_rows_of_the_stated_dimension(use: UniversalSentenceEncoder) -> None:
    v = use.embed(["The cat sat on the mat.", "Die Katze saß auf der Matte."])
    assert v.shape == (2, use.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_a_translation_of_an_indexed_sentence_scores_above_an_unrelated_one(use: UniversalSentenceEncoder) -> None:
    guard = Guard(build_index([Item("a", "content", text="My grandmother keeps bees behind the old mill.")], use), use)
    translation = guard.check("Meine Großmutter hält Bienen hinter der alten Mühle.").score
    unrelated = guard.check("Die Börse schloss heute mit leichten Verlusten.").score
    assert translation > unrelated + 0.2


def test_cli_builds_an_index_with_the_multilingual_embedder_by_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from guard.cli import main
    from guard.index import Index

    policy = tmp_path / "p.yaml"
    policy.write_text("embedder: use-multilingual-v3\nitems:\n  - id: a\n    text: Tom bought a red bicycle yesterday.\n")
    assert main(["index", "build", str(policy), "--out", str(tmp_path / "ix"), "--quiet"]) == 0
    manifest = Index.load(tmp_path / "ix").manifest
    assert manifest["embedder"]["name"] == "use-multilingual-v3" and manifest["embedder"]["spec"] == "use-multilingual-v3"
    assert json.dumps(manifest)  # plain JSON
