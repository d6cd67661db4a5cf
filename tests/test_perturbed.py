"""The perturbed-restatement check: a text that restates part of an item and states other facts where the rest was."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from guard import Guard, Item, Matcher
from guard.detectors import facts, perturbed
from guard.index import build_index

from .conftest import FakeEmbedder

CAREER = "Hina Ameen's parents played a significant role in her career. Her father was a geologist and her mother a doctor."
PREMISE = "Hina Ameen's parents played a significant role in her career."
OTHER_JOBS = PREMISE + " Her father was a chef and her mother a teacher."
RECORD = "Jane Roe's social security number is 078-05-1120. She lives at 12 Elm Street in Springfield."


def same_text(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """A stand-in cross-encoder: sure of a restatement when the two texts match, sure of the opposite otherwise."""
    return np.array([1.0 if a.lower() == b.lower() else 0.0 for a, b in pairs], np.float32)


def _guard(fake_embedder: FakeEmbedder, text: str, *, on: bool, rerank: object = same_text) -> Guard:
    index = build_index([Item("x", "content", text=text)], fake_embedder)
    return Guard(index, fake_embedder, rerank=rerank, perturbed=on)  # type: ignore[arg-type]


def _scores(guard: Guard, text: str) -> dict[str, float]:
    """Semantic score of item "x" per span of the checked text."""
    return {text[f.start : f.end]: f.score for f in guard.evidence([text])[0]
            if f.matcher is Matcher.SEMANTIC and f.item_id == "x"}


def test_a_restated_premise_with_other_facts_after_it_loses_the_penalty(fake_embedder: FakeEmbedder) -> None:
    off = _scores(_guard(fake_embedder, CAREER, on=False), OTHER_JOBS)
    on = _scores(_guard(fake_embedder, CAREER, on=True), OTHER_JOBS)
    assert off[PREMISE] == pytest.approx(1.0)  # alone, the first sentence is a copy
    assert on[PREMISE] == pytest.approx(1.0 - perturbed.PENALTY)
    # the windows holding the rewritten sentence are judged on their own, as before
    assert {span: s for span, s in on.items() if span != PREMISE} == pytest.approx(
        {span: s for span, s in off.items() if span != PREMISE})


def test_a_restated_part_the_cross_encoder_doubts_too_is_still_lowered(fake_embedder: FakeEmbedder) -> None:
    # the cross-encoder often doubts a premise against the item sentence it rewords; the rewrite elsewhere counts
    doubt = lambda pairs: np.zeros(len(pairs), np.float32)  # noqa: E731
    guard = _guard(fake_embedder, CAREER, on=True, rerank=doubt)
    candidate, ix = guard._prepare([OTHER_JOBS])[0], guard.index
    at = {(w.start, w.end): k for k, (_, w) in enumerate(candidate.windows)}
    premise, whole = at[(0, len(PREMISE))], at[(0, len(OTHER_JOBS))]
    best = {(premise, 0): (1.0, int(ix.unit_rows(0)[0])), (whole, 0): (0.9, 0)}
    stated = [facts.facts(w.text) for _, w in candidate.windows]
    perturbed.discount(best, candidate, stated, [None] * len(stated), vectors=ix.arrays["vectors"], unit_rows=ix.unit_rows,
                       window_texts=ix.window_texts, window_facts=ix.window_facts, window_names=None, rerank=doubt,
                       floor=0.5)
    assert best[(premise, 0)][0] == pytest.approx(1.0 - perturbed.PENALTY)
    assert best[(whole, 0)][0] == pytest.approx(0.9)  # it holds every contradicting sentence


def test_a_partial_copy_followed_by_other_talk_keeps_its_score(fake_embedder: FakeEmbedder) -> None:
    text = PREMISE + " I like sailing small boats on the lake."
    on, off = (_scores(_guard(fake_embedder, CAREER, on=v), text)[PREMISE] for v in (True, False))
    assert on == off == pytest.approx(1.0)


def test_a_paraphrase_the_cross_encoder_trusts_is_not_lowered(fake_embedder: FakeEmbedder) -> None:
    trust = lambda pairs: np.ones(len(pairs), np.float32)  # noqa: E731
    on = _scores(_guard(fake_embedder, CAREER, on=True, rerank=trust), OTHER_JOBS)
    off = _scores(_guard(fake_embedder, CAREER, on=False, rerank=trust), OTHER_JOBS)
    assert on == pytest.approx(off)


def test_a_fact_conflict_alone_marks_the_contradiction(fake_embedder: FakeEmbedder) -> None:
    item = "Jane Roe was born in Springfield. She moved to Boston in 1998 with her brother."
    text = "Jane Roe was born in Springfield. She moved to Boston in 2004 with her brother."
    on = _scores(_guard(fake_embedder, item, on=True, rerank=False), text)
    assert on["Jane Roe was born in Springfield."] == pytest.approx(1.0 - perturbed.PENALTY)


def test_a_window_sharing_a_number_with_the_item_still_leaks(fake_embedder: FakeEmbedder) -> None:
    text = "Jane Roe's social security number is 078-05-1120. She lives at 99 Oak Avenue in Springfield."
    guard = _guard(fake_embedder, RECORD, on=True)
    assert _scores(guard, text)["Jane Roe's social security number is 078-05-1120."] == pytest.approx(1.0)
    assert not guard.check(text).allowed


def test_one_sentence_and_decoded_views_are_left_alone(fake_embedder: FakeEmbedder) -> None:
    on, off = _guard(fake_embedder, CAREER, on=True), _guard(fake_embedder, CAREER, on=False)
    assert _scores(on, PREMISE) == pytest.approx(_scores(off, PREMISE))
    hidden = "aGVsbG8="  # base64, decoded text too short to read: nothing to align
    assert _scores(on, hidden) == pytest.approx(_scores(off, hidden))


def test_unit_rows_are_the_item_sentences(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("a", "content", text="One two three four. Five six seven eight."),
                         Item("x", "content", text=CAREER)], fake_embedder)
    texts = index.window_texts
    assert [texts[r] for r in index.unit_rows(1).tolist()] == [PREMISE, CAREER[len(PREMISE) + 1 :]]
    index.items[1].pop("text")  # an index built without item texts
    index._derived.clear()
    assert len(index.unit_rows(1)) == 0
    assert _scores(Guard(index, fake_embedder, rerank=same_text, perturbed=True), OTHER_JOBS)[PREMISE] == pytest.approx(1.0)


def test_on_by_default_only_for_the_bundled_english_embedder(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("x", "content", text=CAREER)], fake_embedder)
    assert not Guard(index, fake_embedder).perturbed
    index.manifest["embedder"]["name"] = "all-MiniLM-L6-v2"
    assert Guard(index, fake_embedder).perturbed
    assert not Guard(index, fake_embedder, perturbed=False).perturbed
