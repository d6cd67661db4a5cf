"""The second stage (cross-encoder reranking of near pairs) and name anchors for concepts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from guard import Guard, Item, Matcher
from guard.detectors import concept, names, semantic
from guard.embedding import DEFAULT_MODEL_NAME
from guard.index import Index, build_index
from guard.rerank import BOOST, PENALTY, adjusted

from .conftest import FakeEmbedder

JOB = "Hsiao Yun-Hwa's father works as a civil engineer and her mother is unemployed."


class Recorder:
    """A stand-in reranker: answers ``p`` for every pair and remembers what it was asked."""

    def __init__(self, p: float) -> None:
        self.p = p
        self.pairs: list[tuple[str, str]] = []

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.pairs += list(pairs)
        return np.full(len(pairs), self.p, np.float32)


def _semantic(guard: Guard, text: str) -> float:
    return max(f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.SEMANTIC)


def test_adjusted_lowers_on_doubt_and_raises_only_on_a_whole_restatement() -> None:
    assert adjusted(0.9, 1.0) == adjusted(0.9, 0.5) == 0.9  # the matched window: only doubt counts
    assert adjusted(0.9, 0.25) == pytest.approx(0.9 - PENALTY / 2)
    assert adjusted(0.9, 0.0) == pytest.approx(0.9 - PENALTY)
    assert adjusted(0.9, None, 0.0) == adjusted(0.9, None, 0.5) == 0.9  # the whole item: only a restatement counts
    assert adjusted(0.9, None, 1.0) == pytest.approx(0.9 + BOOST)
    assert adjusted(0.9, 0.0, 1.0) == pytest.approx(0.9 - PENALTY + BOOST)


def test_a_guard_without_the_reranker_weights_says_so(fake_embedder: FakeEmbedder, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    index.manifest["embedder"]["name"] = DEFAULT_MODEL_NAME  # the second stage's default is on for these
    monkeypatch.setattr("guard.rerank.WEIGHTS", tmp_path / "missing.safetensors")
    with pytest.warns(UserWarning, match="without its second stage"):
        assert Guard(index, fake_embedder).rerank is None
    Guard(index, fake_embedder, rerank=False)  # asked for: no warning (warnings are errors in the suite)


def test_near_pairs_are_reranked_with_the_item_window_text(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    doubt, trust = Recorder(0.0), Recorder(1.0)
    plain = _semantic(Guard(index, fake_embedder, rerank=False), JOB)
    # one sentence: the matched window is the whole item, read once; a sure "yes" raises it, a sure "no" lowers it
    assert _semantic(Guard(index, fake_embedder, rerank=trust), JOB) == pytest.approx(min(1.0, plain + BOOST))
    assert _semantic(Guard(index, fake_embedder, rerank=doubt), JOB) == pytest.approx(plain - PENALTY, abs=1e-6)
    # the item window's own text, read from the index; the candidate's canonical (lower-cased) window
    assert doubt.pairs == [(JOB, JOB.lower())]


class Whole(Recorder):
    """Reads a restatement only against ``text`` (an item's whole text), doubt against anything else."""

    def __init__(self, text: str) -> None:
        super().__init__(0.0)
        self.text = text

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.pairs += list(pairs)
        return np.array([1.0 if item == self.text else 0.0 for item, _ in pairs], np.float32)


RECORD = ("Hsiao Yun-Hwa was born in Taipei. Her father works as a civil engineer. "
          "Her mother is unemployed and writes poems.")


def test_a_whole_restatement_is_read_against_the_whole_item(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("rec", "content", text=RECORD)], fake_embedder)
    assert index.window_texts[index.whole_row(0)] == RECORD
    reader = Whole(RECORD)
    Guard(index, fake_embedder, rerank=reader).check(RECORD)
    assert (RECORD, RECORD.lower()) in reader.pairs
    # one sentence of it is no whole restatement's length: its item sentence is read, the whole item is not
    reader = Whole(RECORD)
    first = "Hsiao Yun-Hwa was born in Taipei."
    Guard(index, fake_embedder, rerank=reader).check(first)
    assert reader.pairs == [(first, first.lower())]


def test_a_short_item_read_whole_confirms_a_block_and_never_makes_one(fake_embedder: FakeEmbedder) -> None:
    short, said = "Tom gave me some books.", "Tom gave me some very old books."  # under WHOLE_MIN_WORDS
    index = build_index([Item("s", "content", text=short)], fake_embedder)
    plain = _semantic(Guard(index, fake_embedder, rerank=False), said)
    assert 0.5 < plain < 1.0 - BOOST
    index.manifest["thresholds"]["semantic"] = plain - 0.01  # the first stage already blocks it: a restatement ranks higher
    assert _semantic(Guard(index, fake_embedder, rerank=Recorder(1.0)), said) == pytest.approx(plain + BOOST)
    index.manifest["thresholds"]["semantic"] = plain / 0.9  # near (read for doubt) but under the bar: no bonus lifts it over
    assert _semantic(Guard(index, fake_embedder, rerank=Recorder(1.0)), said) == pytest.approx(plain)
    long = Guard(build_index([Item("j", "content", text=JOB)], fake_embedder), fake_embedder, rerank=False)
    reworded = JOB.replace("works as", "is")
    first = _semantic(long, reworded)
    bar = first + BOOST / 2  # an item of WHOLE_MIN_WORDS or more: the reading may make a block
    long.index.manifest["thresholds"]["semantic"] = bar
    raised = _semantic(Guard(long.index, fake_embedder, rerank=Recorder(1.0)), reworded)
    assert raised == pytest.approx(min(1.0, first + BOOST)) and raised >= bar


def test_whole_row_needs_the_item_text_and_at_most_three_sentences(fake_embedder: FakeEmbedder) -> None:
    long = " ".join(f"Sentence number {n} of the record says little." for n in range(5))
    index = build_index([Item("a", "content", text=RECORD), Item("b", "content", text=long)], fake_embedder)
    assert index.whole_row(0) is not None and index.whole_row(1) is None
    bare = build_index([Item("a", "content", text=RECORD)], fake_embedder, keep_text=False)
    assert bare.whole_row(0) is None


def test_a_partial_copy_is_left_to_the_first_stage(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    recorder, part = Recorder(0.0), "Hsiao Yun-Hwa's father, a civil engineer."
    assert _semantic(Guard(index, fake_embedder, rerank=False), part) >= semantic.RERANK_FROM * index.thresholds["semantic"]
    Guard(index, fake_embedder, rerank=recorder).check(part)
    assert recorder.pairs == []  # 6 words against 13: not a restatement's length, no doubt applied


def test_far_text_never_reaches_the_second_stage(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    recorder = Recorder(0.0)
    Guard(index, fake_embedder, rerank=recorder).check("Completely unrelated words about sailing boats.")
    assert recorder.pairs == []


def test_index_keeps_window_texts_through_save_load_and_removal(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    items = [Item("a", "content", text="First item. It has two sentences."), Item("job", "content", text=JOB)]
    build_index(items, fake_embedder).save(tmp_path / "ix")
    index = Index.load(tmp_path / "ix")
    assert {"It has two sentences.", "First item. It has two sentences.", JOB} == set(index.window_texts)
    index.remove(["a"])
    assert index.window_texts == [JOB]


def test_reranker_is_on_by_default_only_for_the_bundled_english_embedder(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    assert Guard(index, fake_embedder).rerank is None  # another embedder (a multilingual one, say)
    index.manifest["embedder"]["name"] = "all-MiniLM-L6-v2"
    assert Guard(index, fake_embedder).rerank is not None
    assert Guard(index, fake_embedder, rerank=False).rerank is None


def test_index_without_texts_skips_the_second_stage(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("job", "content", text=JOB)], fake_embedder)
    index.items[0].pop("text")  # an index built before item texts were kept
    index._derived.clear()
    recorder = Recorder(0.0)
    assert _semantic(Guard(index, fake_embedder, rerank=recorder), JOB) == pytest.approx(
        _semantic(Guard(index, fake_embedder, rerank=False), JOB))
    assert recorder.pairs == []


def test_rerank_floor_is_below_the_stricter_bar() -> None:
    # after a roll-back an item flags at leak score 0.4, i.e. at 0.8 of the threshold: pairs there must be reranked
    assert semantic.RERANK_FROM <= 0.8


# --- names and concept anchors -------------------------------------------------------------------------
def test_names_take_rare_words_and_uncommon_runs() -> None:
    found = names.names("Hsiao Yun-Hwa's novel won the Carmen Montenegro Prize in New York City.")
    assert {"hsiao", "hsiao yun-hwa", "carmen montenegro"} <= found
    assert "new york" not in found and "york city" not in found  # common words only
    assert names.names("the quick brown fox. The End.") == frozenset()


def test_anchor_bonus_applies_only_to_windows_naming_the_concept(fake_embedder: FakeEmbedder) -> None:
    item = Item("author", "concept", description="The author Hsiao Yun-Hwa and her leadership books.",
                examples=("Hsiao Yun-Hwa wrote about leadership.",))
    index = build_index([item], fake_embedder)
    guard = Guard(index, fake_embedder, rerank=False)

    def score(text: str) -> float:
        return max(f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.CONCEPT)

    anchored, plain = score("Hsiao Yun-Hwa teaches leadership."), score("Someone teaches leadership.")
    index.items[0]["names"] = []
    index._derived.clear()
    assert score("Hsiao Yun-Hwa teaches leadership.") == pytest.approx(anchored - concept.ANCHOR_BONUS, abs=1e-6)
    assert score("Someone teaches leadership.") == pytest.approx(plain, abs=1e-6)


@pytest.mark.parametrize("text", ["Hs14o Yun-Hw4 teaches leadership.", "Hsiаo Yun-Hwа teaches leadership."])  # Cyrillic а
def test_the_concepts_name_obfuscated_still_anchors(fake_embedder: FakeEmbedder, text: str) -> None:
    item = Item("author", "concept", description="The author Hsiao Yun-Hwa and her leadership books.",
                examples=("Hsiao Yun-Hwa wrote about leadership.",))
    guard = Guard(build_index([item], fake_embedder), fake_embedder, rerank=False)

    def score(text: str) -> float:
        return max(f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.CONCEPT)

    # both fold to the same canonical text (the same vector): the name read from it anchors both alike
    assert score(text) == pytest.approx(score("Hsiao Yun-Hwa teaches leadership."), abs=1e-6)


def test_allowed_names_do_not_anchor(fake_embedder: FakeEmbedder) -> None:
    item = Item("mouse", "concept", description="Mickey Mouse, the cartoon character.",
                examples=("Mickey Mouse whistles on a steamboat.",), allow=("Minnie Mouse, his friend.",))
    record = build_index([item], fake_embedder).items[0]
    assert names.hashed("Mickey Mouse") & frozenset(record["names"])
    assert not names.hashed("Minnie Mouse") & frozenset(record["names"])


@pytest.mark.slow
def test_bundled_reranker_tells_a_restatement_from_a_changed_fact() -> None:
    from guard.rerank import load_reranker

    p = load_reranker().probabilities([
        (JOB, "Hsiao Yun-Hwa's dad is employed as a civil engineer, while her mother does not have a job."),
        (JOB, "Hsiao Yun-Hwa's dad is employed as a ballet dancer, while her mother does not have a job."),
    ])
    assert p[0] > 0.5 > p[1]


def test_keep_text_false_keeps_forbidden_text_out_and_the_second_stage_off(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    from guard.index import add_items

    build_index([Item("job", "content", text=JOB)], fake_embedder, keep_text=False).save(tmp_path / "ix")
    index = Index.load(tmp_path / "ix")
    add_items(index, [Item("more", "content", text="Another secret sentence.")], fake_embedder)  # the choice sticks
    assert all("text" not in it for it in index.items) and index.window_texts == [None, None]
    stored = "".join(p.read_text(errors="ignore") for p in (tmp_path / "ix").rglob("*.json"))
    assert "civil engineer" not in stored
    recorder = Recorder(0.0)
    Guard(index, fake_embedder, rerank=recorder).check(JOB)
    assert recorder.pairs == []
