"""The fact check: windows that state conflicting numbers or dates score lower than their cosine."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import Guard, Item, Matcher
from guard.detectors.facts import CONFLICT_PENALTY, adjusted, conflicts, facts
from guard.index import Index, build_index

from .conftest import FakeEmbedder

BIRTH = "Jane Roe was born on 14 March 1987 in Duluth, Minnesota."


def test_numbers_and_months_are_normalized() -> None:
    assert facts("on 25 February 1958") == facts("February 25th, 01958") == facts("feb. 25, 1,958")
    assert facts("no facts here, may be later") == frozenset()
    assert facts("in 1958") != facts("in 1962")


@pytest.mark.parametrize(
    ("item", "candidate", "expected"),
    [
        ("born in 1958", "born in 1962", True),  # a different fact in its place
        ("born in March 1958", "born in June 1958", True),  # same year, other month
        ("born in 1958", "born in 1958", False),
        ("born in 1958", "she was born", False),  # states nothing: partial leak, not a conflict
        ("born in 1958", "born in 1958, moved in 1970", False),  # adds a fact, keeps the item's
        ("she was born", "born in 1962", False),  # the item states no number
    ],
)
def test_conflicts(item: str, candidate: str, expected: bool) -> None:
    assert conflicts(facts(item), facts(candidate)) is expected


def test_adjusted_only_ever_lowers_the_score() -> None:
    assert adjusted(0.9, facts("in 1958"), facts("in 1962")) == pytest.approx(0.9 - CONFLICT_PENALTY)
    assert adjusted(0.9, facts("in 1958"), facts("in 1958")) == 0.9


def _semantic(guard: Guard, text: str) -> float:
    return max(f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.SEMANTIC)


def test_facts_survive_save_load_and_removal(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    items = [Item("a", "content", text="The first item has no numbers."), Item("b", "content", text=BIRTH)]
    build_index(items, fake_embedder).save(tmp_path / "ix")
    index = Index.load(tmp_path / "ix")
    assert index.window_facts[-1] == facts(BIRTH)
    index.remove(["a"])
    assert index.window_facts == [facts(BIRTH)]
    index.save(tmp_path / "ix")
    assert Index.load(tmp_path / "ix").window_facts == [facts(BIRTH)]


def test_conflicting_window_scores_the_penalty_below_its_cosine(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("b", "content", text=BIRTH)], fake_embedder)
    guard = Guard(index, fake_embedder)
    wrong = "Jane Roe was born on 14 March 1990 in Duluth, Minnesota."
    before = _semantic(guard, wrong)
    index.items[0]["facts"] = [[] for _ in index.items[0]["facts"]]  # an index built before the fact check
    index._derived.clear()  # derived values are rebuilt from the edited items
    assert _semantic(guard, wrong) == pytest.approx(before + CONFLICT_PENALTY, abs=1e-6)


@pytest.mark.slow
def test_real_path_blocks_the_fact_and_allows_a_different_one(demo_index: Path) -> None:
    guard = Guard.load(demo_index)
    assert not guard.check("Jane Roe came into the world in Duluth, Minnesota on 14 March 1987.").allowed
    assert guard.check("Jane Roe came into the world in Duluth, Minnesota on 2 June 1990.").allowed
