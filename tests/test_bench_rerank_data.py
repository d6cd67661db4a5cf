"""The second stage's training benchmark (`benchmarks.rerank`, `benchmarks.rerank_data`): made-up pairs (one fact
swapped, or one part kept), training pairs, folds and their reports."""

from __future__ import annotations

import random
from pathlib import Path
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
    every = training_pairs(rows, ["Another text entirely."], _Embedder(), all_perturbed=True)  # --all-perturbed
    assert all((r["paraphrased_answer"], q, 0) in every for r in rows for q in r["perturbed_answer"])
    assert len(every) == len(pairs) + 3 * 4


def test_folds_hold_each_author_out_exactly_once() -> None:
    import pytest

    from benchmarks.rerank import folds

    rows = [{"author": n // 20, "n": n} for n in range(400)]
    split = folds(rows, 5)
    held = [r["n"] for _, out in split for r in out]
    assert sorted(held) == list(range(400))  # every question once
    for train_rows, out in split:
        assert len(out) == 80 and len(train_rows) == 320
        assert not {r["author"] for r in train_rows} & {r["author"] for r in out}
    with pytest.raises(ValueError, match="between 2 and 20"):
        folds(rows, 21)


def test_holdout_report_reads_the_penalty_and_the_bonus_as_guard_does() -> None:
    import numpy as np

    from benchmarks.rerank import holdout_report

    # 100 questions: paraphrases at cosine 0.80, perturbed answers at 0.85 (cosine alone catches none at 1%);
    # the model says yes to every paraphrase and no to every perturbed answer
    positive = np.array([j == 0 for _ in range(100) for j in range(6)])
    cosine = np.where(positive, 0.80, 0.85)
    p = np.where(positive, 0.99, 0.01)
    out = holdout_report(cosine, p, positive)
    assert out["questions"] == 100 and out["cosine_caught_at_1pct"] == 0.0
    assert out["penalty_0.1_caught_at_1pct"] == 1.0  # 0.85 - 0.098 < 0.80
    assert out["boost_0.05_caught_at_1pct"] == 1.0
    out = holdout_report(cosine, np.full_like(p, 0.5), positive)  # an undecided model changes nothing
    assert out["penalty_1.0_caught_at_1pct"] == 0.0 and out["boost_0.5_caught_at_1pct"] == 0.0


def test_full_training_moves_the_base_weights_and_adapter_training_does_not() -> None:
    import torch

    from benchmarks.rerank import train
    from guard.rerank import build_model

    pairs = [("Tae-ho Park is male.", "Tae-ho Park's gender is male.", 1), ("Tae-ho Park is male.", "Tae-ho Park is female.", 0)]
    for full in (False, True):
        before = build_model()[1].embeddings.word_embeddings.weight.detach().clone()
        _, encoder, _, losses = train(pairs, epochs=1, full=full)
        moved = not torch.equal(before, encoder.embeddings.word_embeddings.weight.detach())
        assert moved is full and len(losses) == 1


def test_only_picks_folds_in_order_and_refuses_bad_lists() -> None:
    import pytest

    from benchmarks.rerank import chosen_folds

    assert chosen_folds("", 5) == [0, 1, 2, 3, 4]
    assert chosen_folds("3,5,1", 5) == [2, 4, 0]
    for bad in ("0", "6", "3,3", "three", "3,"):
        with pytest.raises(ValueError, match="--only"):
            chosen_folds(bad, 5)


def test_a_variant_recipe_never_writes_over_the_baseline_folds() -> None:
    import argparse

    from benchmarks.rerank import recipe

    def name(**kw: object) -> str:
        opts = {"full": False, "all_perturbed": False, "made_up": False, "seed": 0, "epochs": 3, **kw}
        return recipe(argparse.Namespace(**opts))

    assert name() == "shipped"
    assert name(full=True) == "full"
    assert name(all_perturbed=True, seed=1) == "all-perturbed-seed1"
    assert name(epochs=5) == "epochs5"


def test_folds_run_apart_add_up_and_the_report_reads_the_fact_check(tmp_path: Path, monkeypatch: Any) -> None:
    import json

    import numpy as np

    import benchmarks.common
    import benchmarks.rerank as R

    monkeypatch.setattr(R, "RESULTS", tmp_path)
    monkeypatch.setattr(R, "SCORES", tmp_path / "rerank-folds")
    monkeypatch.setattr(benchmarks.common, "RESULTS", tmp_path)
    rows = [{"answer": f"She was born in Lagos in {1900 + n}.", "paraphrased_answer": f"Her birth year is {1900 + n}, in Lagos.",
             "perturbed_answer": [f"She was born in Lagos in {1800 + n}.", "She was born in Paris."]} for n in range(40)]
    splits = R.folds(rows, 2)
    ran: list[int] = []

    class Embedder:
        def embed(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 1))  # every pair at cosine 1: only the fact check and p tell them apart

    def fit(train_rows: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
        ran.append(len(train_rows))
        return "model", {"pairs": len(train_rows)}

    def held_scores(held: list[dict[str, Any]], model: Any, embedder: Any) -> tuple[np.ndarray, ...]:
        pairs = R.held_pairs(held)
        positive = np.array([j == 0 for _ in held for j in range(3)])
        return np.ones(len(pairs)), np.where(positive, 0.9, 0.4), positive, R.fact_conflicts(pairs)

    monkeypatch.setattr(R, "held_scores", held_scores)
    R._run_folds(splits, [1], fit, Embedder(), {}, "toy")  # one run measures fold 2 ...
    R._run_folds(splits, [0], fit, Embedder(), {}, "toy")  # ... a later one fold 1: the results hold both
    out = json.loads((tmp_path / "rerank-folds-toy.json").read_text())
    assert ran == [20, 20] and out["pooled_over"] == "folds 1, 2 of 2"
    assert [f["fold"] for f in out["folds"]] == [1, 2] and all(f["pairs"] == 20 for f in out["folds"])
    pooled = out["pooled"]
    assert pooled["questions"] == 40 and pooled["cosine_caught_at_1pct"] == 0.0
    # the changed year conflicts (facts), "Paris" is a name the answer never mentions: both lowered
    assert pooled["fact_check_lowers"] == {"paraphrases": 0.0, "perturbed": 1.0}
    assert pooled["fact_check_caught_at_1pct"] == 1.0
    R._run_folds(splits, [], fit, Embedder(), {}, "toy")  # --report: nothing trained, the same figures
    assert ran == [20, 20] and json.loads((tmp_path / "rerank-folds-toy.json").read_text())["pooled"] == pooled
    kept = tmp_path / "rerank-folds" / "toy-k2-fold1.npz"
    with np.load(kept) as d:
        stale = {key: d[key] for key in d.files}
    np.savez(kept, **{**stale, "conflict": np.zeros_like(stale["conflict"])})  # kept under other fact rules
    R._run_folds(splits, [], fit, Embedder(), {}, "toy")  # --report reads the fact check again
    assert json.loads((tmp_path / "rerank-folds-toy.json").read_text())["pooled"] == pooled
