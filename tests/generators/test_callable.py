"""Black boxes: checked after the fact, then blocked, redacted or regenerated."""

from __future__ import annotations

import pytest

from guard.generators.callable import GuardedCallable
from guard.guard import Guard
from guard.types import Action

from ..generation_fixtures import PASSAGE

JANE = "Her social security number is 078-05-1120 and her phone number is (520) 555-0143."


def test_allowed_answers_pass_unchanged(fake_demo_guard: Guard) -> None:
    result = GuardedCallable(lambda p: "Lighthouses guide ships.", fake_demo_guard)("tell me")
    assert result.text == "Lighthouses guide ships." and result.action is Action.ALLOW and result.backtracks == 0


def test_block_item_returns_the_refusal(fake_demo_guard: Guard) -> None:
    result = GuardedCallable(lambda p: f"Sure. {JANE}", fake_demo_guard, refusal="No.")("who is Jane Roe?")
    assert result.text == "No." and result.action is Action.BLOCK and "jane-roe-record" in result.verdict.item_ids


def test_redact_item_masks_the_spans(fake_demo_guard: Guard) -> None:
    result = GuardedCallable(lambda p: f"Here: {PASSAGE} Done.", fake_demo_guard)("the lighthouse story")
    assert result.action is Action.REDACT and "[REDACTED]" in result.text and "Gull Rock" not in result.text
    assert result.text.startswith("Here: ") and fake_demo_guard.check(result.text).allowed


def test_regenerate_calls_again_with_a_steering_instruction_then_blocks() -> None:
    from guard.index import build_index
    from guard.policy import Item

    from ..conftest import FakeEmbedder

    leak = "Captain Quasar fired up the Nova Lance and raced toward Emperor Vorn's fleet at dawn."
    embedder = FakeEmbedder()
    guard = Guard(build_index([Item("quasar-story", "content", Action.REGENERATE, text=leak)], embedder), embedder)
    prompts: list[str] = []

    def model(prompt: str) -> str:
        prompts.append(prompt)
        return leak if len(prompts) < 2 else "A story about a lighthouse."

    result = GuardedCallable(model, guard)("write a superhero story")
    assert result.action is Action.ALLOW and result.backtracks == 1
    assert "quasar-story" in prompts[1] and prompts[0] == "write a superhero story"

    stubborn = GuardedCallable(lambda p: leak, guard, max_regenerations=2)("again")
    assert stubborn.action is Action.BLOCK and stubborn.backtracks == 2


def test_bad_callables_are_refused(fake_demo_guard: Guard) -> None:
    with pytest.raises(TypeError, match="callable"):
        GuardedCallable("not a function", fake_demo_guard)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="returned int"):
        GuardedCallable(lambda p: 3, fake_demo_guard)("x")  # type: ignore[arg-type, return-value]


def test_a_regenerated_answer_cannot_slip_just_under_the_threshold() -> None:
    from guard.index import build_index
    from guard.policy import Item

    from ..conftest import FakeEmbedder

    leak = "Captain Quasar fired up the Nova Lance and raced toward Emperor Vorn's fleet at dawn."
    near = "The Nova Lance raced at dawn toward a fleet."  # leak score ~0.45: allowed on a first answer
    embedder = FakeEmbedder()
    guard = Guard(build_index([Item("quasar-story", "content", Action.REGENERATE, text=leak)], embedder), embedder)
    assert guard.check(near).allowed and guard.check(near).score > 0.4
    answers = iter([leak, near, near])
    strict = GuardedCallable(lambda p: next(answers), guard, max_regenerations=2)("write a story")
    assert strict.action is Action.BLOCK and strict.backtracks == 2
    answers = iter([leak, near])
    lenient = GuardedCallable(lambda p: next(answers), guard, suspect_margin=0.0)("write a story")
    assert lenient.action is Action.ALLOW and lenient.text == near
