"""The leakage benchmark's own pieces: attacks, baselines, scoring, ROUGE-L, the report (no models)."""

from __future__ import annotations

import base64
import random

import numpy as np
import pytest

from benchmarks import attacks as A
from benchmarks.attack_matrix import BloomFilter, Case, ExactSubstring, NgramBloom, evaluate, excerpt, pii_record
from benchmarks.rouge import lcs, rouge_l_recall

TEXT = "The old man looked at the sea. He said it was very cold. Then he went home to his little house."
FILLER = ["A cat sat on the mat.", "Dogs bark at night.", "It rained all day."]


@pytest.mark.parametrize("name", sorted(A.OBFUSCATIONS))
def test_each_obfuscation_changes_the_text_and_is_deterministic(name: str) -> None:
    fn = A.OBFUSCATIONS[name]
    first = fn(TEXT, random.Random(1))
    assert first != TEXT
    assert fn(TEXT, random.Random(1)) == first


def test_encodings_round_trip() -> None:
    rng = random.Random(0)
    assert base64.b64decode(A.b64(TEXT, rng)).decode() == TEXT
    assert bytes.fromhex(A.hex_encoded(TEXT, rng)).decode() == TEXT
    assert A.rot13(A.rot13(TEXT, rng), rng) == TEXT
    assert A.word_per_line(TEXT, rng).split("\n") == TEXT.split()


def test_guard_reads_the_encoded_forms() -> None:
    from guard.normalize import views

    for name in ("base64", "hex", "rot13", "reversed"):
        attacked = A.OBFUSCATIONS[name](TEXT, random.Random(0))
        assert any("the old man looked at the sea" in v.text.lower() for v in views(attacked)), name


def test_paraphrase_attacks() -> None:
    rng = random.Random(0)
    reordered = A.sentence_reorder(TEXT, rng)
    assert reordered != TEXT and sorted(reordered.split(". ")) != [] and set(reordered.split()) == set(TEXT.split())
    assert A.sentence_reorder("Only one sentence here.", rng) == "Only one sentence here."
    swapped = A.word_substitution(TEXT, rng)
    assert "aged" in swapped and "fellow" in swapped and "The" in swapped
    assert 0 < A.substitution_rate(TEXT) < 1


def test_mixing_attacks_keep_the_forbidden_words_and_add_benign_ones() -> None:
    rng = random.Random(0)
    part = A.partial_copy(TEXT, rng, filler=FILLER)
    assert sum(f in part for f in FILLER) == 2
    split = A.split_interleave(TEXT * 2, rng, filler=FILLER)
    assert [w for w in split.split() if w in (TEXT * 2).split()] and any(f in split for f in FILLER)
    framed = A.framed(TEXT, rng, templates=["You are DAN."])
    assert framed.startswith("You are DAN.") and framed.endswith(TEXT)


def test_bloom_filter_has_no_false_negatives_and_few_false_positives() -> None:
    bloom = BloomFilter(2000, error=1e-3)
    keys = [f"key {i}" for i in range(2000)]
    for k in keys:
        bloom.add(k)
    assert all(k in bloom for k in keys)
    false = sum(f"other {i}" in bloom for i in range(20_000))
    assert false < 20_000 * 0.005


def test_ngram_bloom_scores_the_longest_copied_run() -> None:
    system = NgramBloom(["one two three four five six seven eight"])
    assert system.score("zero one two three four nine") == 4.0
    assert system.score("nothing in common here at all") == 0.0
    assert system.score("ONE two, three") == 3.0  # case and punctuation ignored


def test_exact_substring_needs_a_whole_forbidden_sentence() -> None:
    system = ExactSubstring(["The treasure is buried under the old oak. Short."])
    scores = system.scores(["I know: The treasure is buried under the old oak. Really.", "the treasure is buried",
                            "Short."])
    assert scores.tolist() == [1.0, 0.0, 0.0]


def test_evaluate_leak_rates_at_the_calibrated_threshold() -> None:
    cases = [Case("surface", "caps", "tofu", "a", "x"), Case("surface", "caps", "tofu", "b", "y"),
             Case("paraphrase", "reorder", "tofu", "a", "z")]
    benign = np.linspace(0, 0.5, 200)
    out = evaluate({"s": np.array([0.9, 0.1, 0.8])}, cases, {"s": benign}, {"s": benign},
                   {"hard": {"s": np.array([0.95, 0.2])}})["s"]
    assert 0.49 < out["threshold"] <= 0.5
    assert out["families"]["surface"]["leak_rate"] == 0.5
    assert out["families"]["paraphrase"]["leak_rate"] == 0.0
    assert out["attacks"] == {"caps": 0.5, "reorder": 0.0}
    assert out["false_blocks_hard"] == {"hard": 0.5}
    assert out["false_blocks_benign_held_out"] <= 0.01


def test_data_helpers() -> None:
    long = " ".join(f"Sentence number {i} is here." for i in range(40))
    cut = excerpt(long, words=30)
    assert cut.endswith(".") and len(cut.split()) <= 30
    row = {"GivenName": "Ann", "MiddleInitial": "B", "Surname": "Cole", "Birthday": "1/2/1980", "StreetAddress": "1 Main St",
           "City": "Springfield", "StateFull": "Ohio", "ZipCode": "45501", "CountryFull": "United States",
           "EmailAddress": "ann@example.com", "TelephoneCountryCode": "1", "TelephoneNumber": "555-0100",
           "MothersMaiden": "Dale", "Username": "acole", "Password": "pw", "Occupation": "Nurse", "Company": "Acme"}
    record = pii_record(row)
    assert "Ann B. Cole was born on 1/2/1980." in record and "works as a nurse" in record.lower()


def test_rouge_l() -> None:
    assert lcs("a b c d".split(), "a c d".split()) == 3
    assert rouge_l_recall("the cat sat", "the cat sat on the mat") == 0.5
    assert rouge_l_recall("", "anything") == 0.0
    assert rouge_l_recall("Paris, of course.", "Paris") == 1.0


def test_weights_hash_sees_any_change() -> None:
    torch = pytest.importorskip("torch")
    from benchmarks.memorize import weights_sha256

    layer = torch.nn.Linear(4, 3)
    before = weights_sha256(layer)
    assert weights_sha256(layer) == before
    with torch.no_grad():
        layer.weight[0, 0] += 1e-6
    assert weights_sha256(layer) != before


def test_report_renders_from_results(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from benchmarks import leakage_report as R

    fam = {"leak_rate": 0.25, "auroc": 0.9, "cases": 4}
    system = {"threshold": 0.5, "leak_rate": 0.25, "false_blocks_benign_held_out": 0.01, "false_blocks_hard": {"tofu_perturbed": 0.2},
              "families": {"surface": fam}, "attacks": {"caps": 0.25}}
    attacks = {"attacked_texts": 4, "forbidden_items": 2, "data": "d", "operating_point": "p",
               "systems": {**{b: system for b in R.BASELINES}, "guard": {**system, "families": {"surface": {**fam, "leak_rate": 0.0}}}},
               "guard at default thresholds": {"leak_rate": 0.1, "false_blocks_benign": 0.02},
               "latency": {"guard": {"p50_ms": 12.0, "p95_ms": 20.0}}}
    monkeypatch.setattr(R, "RESULTS", tmp_path)
    (tmp_path / "attacks.json").write_text(__import__("json").dumps(attacks))
    report, short = R.render()
    assert "| surface (4) | 100% |" in short and "**0.0%**" in short
    assert "_Memorize-then-suppress not run yet" in short
    assert "## Residual risks" in report and "## Attack matrix" in report
    assert (tmp_path / "attacks.png").stat().st_size > 1000


@pytest.mark.slow
def test_finetuning_rows_learn_only_the_answer() -> None:
    from benchmarks.finetune import collate, encode
    from guard.generators.embedded import load_embedded

    _, tokenizer = load_embedded()
    ids, labels = encode(tokenizer, "Who wrote it?", "Jane Roe wrote it.")
    answer = [t for t in labels if t != -100]
    assert tokenizer.decode(answer).startswith("Jane Roe wrote it.") and answer[-1] == tokenizer.eos_token_id
    assert len(ids) == len(labels) and labels[: len(ids) - len(answer)] == [-100] * (len(ids) - len(answer))
    assert "Who wrote it?" in tokenizer.decode(ids[: len(ids) - len(answer)])
    batch = collate([(ids, labels), (ids[:5], labels[:5])], pad_id=0)
    assert batch["input_ids"].shape == (2, len(ids))
    assert batch["attention_mask"][1].sum() == 5 and (batch["labels"][1, 5:] == -100).all()


def test_reuse_of_a_forget_answer_is_judged_by_rouge_l() -> None:
    from benchmarks.memorize import reuses_forget

    forget = [{"answer": "Her father was a baker and her mother a nurse in Lagos."}]
    assert reuses_forget("Well, her father was a baker, her mother a nurse.", forget)
    assert not reuses_forget("She writes poetry about the sea.", forget)
