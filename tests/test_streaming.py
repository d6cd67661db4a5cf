"""Streaming: no released chunk, nor all of them together, contains a forbidden window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from guard.guard import Guard
from guard.streaming import HoldBack, default_hold, hold_back

from . import generation_fixtures as fx
from .generation_fixtures import PASSAGE, REPEAT

JANE = (
    "Jane Roe was born on 14 March 1987 in Duluth, Minnesota. She lives at 4410 Larkspur Lane, Apartment 3B, "
    "Tucson, Arizona 85719."
)
BENIGN = "The weather was mild all week. We walked to the harbour and back. Nobody saw a lighthouse keeper."

demo_guard = fx.demo_guard  # a shared fixture
empty_guard = fx.empty_guard  # a shared fixture
fake_demo_guard = fx.fake_demo_guard  # a shared fixture
smollm = fx.smollm  # a shared fixture


def pieces(text: str, size: int = 5) -> Iterator[str]:
    return (text[i : i + size] for i in range(0, len(text), size))


def assert_clean(chunks: list[str], guard: Guard) -> None:
    for chunk in chunks:
        assert guard.check(chunk).allowed, chunk
    assert guard.check("".join(chunks)).allowed


def test_benign_stream_passes_through_unchanged(fake_demo_guard: Guard) -> None:
    chunks = list(hold_back(pieces(BENIGN), fake_demo_guard))
    assert "".join(chunks) == BENIGN and len(chunks) > 1  # released as it goes, not all at the end


@pytest.mark.parametrize("lead", ["", "Sure, here it is. ", "OK: "])
def test_a_copied_record_is_cut_before_any_of_it_is_released(fake_demo_guard: Guard, lead: str) -> None:
    chunks = list(hold_back(pieces(lead + JANE.upper()), fake_demo_guard))  # a "block" item, case changed
    assert_clean(chunks, fake_demo_guard)
    released = "".join(chunks)
    assert "DULUTH" not in released and released.endswith("allowed to share.")


def test_a_redact_item_is_masked_in_the_stream(fake_demo_guard: Guard) -> None:
    chunks = list(hold_back(pieces("Here goes. " + PASSAGE), fake_demo_guard))
    assert_clean(chunks, fake_demo_guard)
    assert "keeper" not in "".join(chunks) and "[REDACTED]" in chunks[-1]


def test_the_hold_is_the_verbatim_flagging_length(fake_demo_guard: Guard) -> None:
    assert default_hold(fake_demo_guard) == math.ceil(fake_demo_guard.index.thresholds["verbatim"] * 100)
    buffer = HoldBack(fake_demo_guard, hold=50, check_chars=1)
    assert buffer.push("x" * 40) == ""  # fewer than `hold` skeleton characters: nothing released yet
    assert buffer.push(" " + "y" * 60) == "x" * 40 + " " + "y" * 10


@pytest.mark.slow
def test_local_model_stream_releases_only_checked_text(smollm: tuple[Any, Any], demo_guard: Guard) -> None:
    from guard.generators.transformers import GuardedModel

    model, tokenizer = smollm
    guarded = GuardedModel(model, tokenizer, demo_guard)
    chunks = list(guarded.stream(REPEAT, max_new_tokens=50))
    assert len(chunks) > 1
    assert_clean(chunks, demo_guard)
    result = guarded.last_results[0]
    assert result.vetoed_tokens > 0 or result.backtracks > 0  # the model did try to copy the passage
    if result.action.value == "allow":
        assert "".join(chunks) == result.text
