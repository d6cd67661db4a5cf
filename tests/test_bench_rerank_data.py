"""Made-up training pairs for the second stage (`benchmarks.rerank_data`): one fact swapped, or one part kept."""

from __future__ import annotations

import random

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
