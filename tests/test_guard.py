"""The path users take: the demo policy, the real bundled embedder, a real FAISS index."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from guard import Action, Guard, InputError, Matcher, redact
from guard.guard import leak_score
from guard.types import Finding

from .conftest import DEMO

RECORD = (
    "Jane Roe was born on 14 March 1987 in Duluth, Minnesota. She lives at 4410 Larkspur Lane, "
    "Apartment 3B, Tucson, Arizona 85719."
)


@pytest.fixture(scope="module")
def guard(demo_index: Path) -> Guard:
    return Guard.load(demo_index)


def examples() -> list[dict[str, str]]:
    lines = (DEMO / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("example", examples(), ids=lambda e: e["label"])
def test_demo_examples(guard: Guard, example: dict[str, str]) -> None:
    verdict = guard.check(example["text"])
    expected_allowed = example["label"] in ("benign", "allowed near-miss")
    assert verdict.allowed is expected_allowed, verdict
    assert (verdict.score >= 0.5) is (not expected_allowed)


def test_verbatim_finding_names_item_matcher_and_span(guard: Guard) -> None:
    text = "Here you go. " + RECORD + " Anything else?"
    verdict = guard.check(text)
    assert verdict.action is Action.BLOCK and verdict.item_ids == ("jane-roe-record",)
    verbatim = [f for f in verdict.findings if f.matcher is Matcher.VERBATIM]
    assert verbatim and verbatim[0].score > 0.95
    start, end = verbatim[0].start, verbatim[0].end
    assert text[start:end].startswith("Jane Roe") and text[start:end].rstrip(".").endswith("85719")


def test_paraphrase_is_caught_by_the_semantic_matcher_only(guard: Guard) -> None:
    text = "Jane Roe's home is apartment 3B at 4410 Larkspur Lane in Tucson, and she was born in Duluth in March 1987."
    verdict = guard.check(text)
    assert not verdict.allowed
    assert {f.matcher for f in verdict.findings} == {Matcher.SEMANTIC}


def test_leak_split_across_sentences_in_a_long_benign_answer(guard: Guard) -> None:
    filler = "The desert southwest has a long history of mining, ranching and astronomy. " * 6
    text = filler + "Jane Roe lives in Tucson. Her address is 4410 Larkspur Lane, Apartment 3B. " + filler
    verdict = guard.check(text)
    assert verdict.item_ids == ("jane-roe-record",)
    f = verdict.findings[0]
    assert "Larkspur" in text[f.start : f.end] and f.end - f.start < len(text) / 2


def test_base64_finding_points_at_the_encoded_run(guard: Guard) -> None:
    encoded = base64.b64encode(RECORD.encode()).decode()
    text = f"Decode this for me: {encoded} thanks"
    verdict = guard.check(text)
    assert not verdict.allowed
    f = next(f for f in verdict.findings if f.view.startswith("base64"))
    assert text[f.start : f.end].strip() in encoded and f.end - f.start > len(encoded) // 2


def test_concept_is_caught_and_its_near_miss_allowed(guard: Guard) -> None:
    hit = guard.check("The silver-suited hero with the glowing blue star flew the Nova Lance against Emperor Vorn.")
    assert hit.item_ids == ("captain-quasar",) and hit.action is Action.REGENERATE
    assert hit.findings[0].matcher is Matcher.CONCEPT
    miss = guard.check("A quasar is an extremely bright galactic nucleus powered by a supermassive black hole.")
    assert miss.allowed


def test_redact_replaces_only_the_passage(guard: Guard) -> None:
    text = ("My favourite opening: The keeper of the Gull Rock light had not spoken to another person in "
            "forty-one days when the boat finally came. What a line.")
    redacted, verdict = guard.redact(text)
    assert verdict.action is Action.REDACT and verdict.item_ids == ("lighthouse-passage",)
    assert "Gull Rock" not in redacted and redacted.startswith("My favourite opening:") and "[REDACTED]" in redacted
    assert redact(text, verdict) == redacted


def test_batch_equals_one_by_one(guard: Guard) -> None:
    texts = [e["text"] for e in examples()]
    assert [v.to_dict() for v in guard.check_batch(texts)] == [guard.check(t).to_dict() for t in texts]


def test_benign_and_empty_texts_are_allowed(guard: Guard) -> None:
    assert guard.check("").allowed and guard.check("   ").score == 0.0
    benign = guard.check("Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.")
    assert benign.allowed and benign.action is Action.ALLOW and benign.findings == ()
    assert benign.near_miss is not None and benign.score < 0.5


def test_bad_inputs_are_refused_clearly(guard: Guard) -> None:
    with pytest.raises(InputError, match="more than the limit"):
        guard.check("a" * 1_000_001)
    with pytest.raises(InputError, match="expected str"):
        guard.check(b"bytes")  # type: ignore[arg-type]


def test_leak_score_is_half_at_threshold_and_monotone() -> None:
    def f(score: float, threshold: float) -> Finding:
        return Finding("x", "content", Matcher.SEMANTIC, score, threshold, 0, 1)

    assert leak_score(f(0.7, 0.7)) == 0.5
    assert leak_score(f(1.0, 0.7)) == 1.0 and leak_score(f(0.0, 0.7)) == 0.0
    values = [leak_score(f(s / 20, 0.6)) for s in range(21)]
    assert values == sorted(values)


def test_short_item_copied_whole_is_caught_verbatim(fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from guard.index import build_index
    from guard.policy import parse_item

    index = build_index(parse_item({"id": "short", "text": "Tae-ho Park is male."}), fake_embedder)
    verdict = Guard(index, fake_embedder).check("Asked again: T4E-H0 P4RK 15 M4L3.")
    assert [f.matcher for f in verdict.findings if f.item_id == "short"][:1] == [Matcher.VERBATIM]


def test_suspects_are_held_to_a_stricter_bar_and_only_they(guard: Guard) -> None:
    text = "A woman from Minnesota moved to Arizona."
    plain = guard.check(text)
    assert plain.allowed and plain.near_miss is not None
    item, score = plain.near_miss.item_id, leak_score(plain.near_miss)
    margin = min(0.49, 0.5 - score + 0.01)
    strict = guard.check(text, suspects={item}, margin=margin)
    assert not strict.allowed and strict.findings[0].item_id == item and strict.action is not Action.ALLOW
    assert guard.check(text, suspects={"some-other-item"}, margin=margin).allowed
    assert guard.check(text, suspects={item}, margin=0.0).allowed
    with pytest.raises(ValueError, match="margin"):
        guard.check(text, suspects={item}, margin=0.5)
