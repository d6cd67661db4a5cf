"""Made-up training pairs for the second stage (`benchmarks.rerank_data`): one fact swapped, or one part kept."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.rerank_data import Pool, parts, swapped

POOL = Pool([
    "Maria Okafor wrote 'Silent Rivers' in 1987 in the fantasy genre.",
    "Chen Wei won the Hugo Award in 2001; her father was a pianist.",
    "Lina Haddad writes in the true crime genre; her mother is a violinist.",
    "Tomas Berg was a journalist before he wrote 'Iron Tides' in the fantasy genre.",
    "Ines Duarte wrote in the true crime genre and the horror genre; her father was a chemist.",
])  # fmt: skip


def test_swaps_change_exactly_one_fact_throughout() -> None:
    text = "Chen Wei won the Hugo Award in 2001. Chen Wei's father was a pianist."
    seen = set()
    for seed in range(40):
        out = swapped(text, POOL, random.Random(seed))
        assert out is not None and out != text
        gone = set(text.replace(".", " ").split()) - set(out.replace(".", " ").split())
        seen.update(gone)
        if "Chen" in gone:  # a name is replaced wherever it occurs
            assert "Chen" not in out
    assert {"2001", "Chen", "pianist"} <= seen  # numbers, names and nouns all get drawn


def test_text_without_facts_has_no_swap_and_one_sentence_has_no_parts() -> None:
    assert swapped("it was a nice day and we went out", POOL, random.Random(0)) is None
    assert parts("Only one sentence here.") == []
    assert parts("First one here. Second one there.") == ["First one here.", "Second one there."]


def test_swaps_are_reproducible() -> None:
    text = "Maria Okafor wrote 'Silent Rivers' in 1987."
    assert swapped(text, POOL, random.Random(3)) == swapped(text, POOL, random.Random(3))


class _Embedder:
    """Stands in for MiniLM: one-hot by the first letter, so an easy negative pairs with a same-letter answer."""

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        out = np.zeros((len(texts), 26), dtype="float32")
        for n, t in enumerate(texts):
            out[n, ord(t[0].lower()) - ord("a")] = 1.0
        return out


def test_training_pairs_keep_changed_facts_negative_and_restatements_positive() -> None:
    from benchmarks.rerank import training_pairs

    rows = [{"answer": f"A{n} wrote a book in 19{n}0.", "paraphrased_answer": f"In 19{n}0, A{n} wrote a book.",
             "perturbed_answer": [f"A{n} wrote a book in 18{n}{k}." for k in range(5)]} for n in range(3)]
    pairs = training_pairs(rows, ["Another text entirely."], _Embedder())
    for r in rows:
        a, p = r["answer"], r["paraphrased_answer"]
        assert all((a, q, 0) in pairs for q in r["perturbed_answer"])  # every changed fact, against the answer
        assert sum((p, q, 0) in pairs for q in r["perturbed_answer"]) == 1  # and one against the paraphrase
        assert not any(b in r["perturbed_answer"] and y == 1 for _, b, y in pairs)
        assert (a, p, 1) in pairs and (p, a, 1) in pairs
    assert ("A0 wrote a book in 1900.", "Another text entirely.", 0) in pairs  # easy: the nearest answer
    assert len(pairs) == 3 * (2 + 5 + 1) + 2 + 1  # (a, a) positives for even rows
    assert pairs == training_pairs(rows, ["Another text entirely."], _Embedder())  # seeded
