"""The verbatim blocker: case and spacing variants are caught; the real model cannot repeat a passage."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from guard.guard import Guard
from guard.steering.decode import Decoder, Steering
from guard.steering.verbatim import RunChecker, VerbatimBlocker

from ..generation_fixtures import REPEAT


@pytest.fixture
def checker(fake_demo_guard: Guard) -> RunChecker:
    return RunChecker(fake_demo_guard.index.verbatim)


@pytest.mark.parametrize("tail", [
    "The keeper of the Gull Rock light had not spoke",
    "THE  KEEPER of the gull-rock LIGHT had not spoke",
    "the k e e p e r of the Gull Rock light had not spoke",
])  # fmt: skip
def test_completing_a_run_is_caught_whatever_the_case_and_spacing(checker: RunChecker, tail: str) -> None:
    assert checker.completes(tail, "n")
    assert not checker.completes(tail, "x")


def test_short_shared_phrases_and_other_text_pass(checker: RunChecker) -> None:
    assert not checker.completes("He said that the keeper of", " the")  # 14 skeleton characters
    assert not checker.completes("A quiet morning by the sea, with nothing", " much")
    assert not checker.completes("", "")


def test_blocker_vetoes_only_the_forbidden_candidate(fake_demo_guard: Guard) -> None:
    vocab = ["The keeper of the Gull Rock light had not spoke", "n", "x", "y"]

    class Tok:
        eos_token_id = 3

        def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
            return "".join(vocab[i] for i in ids)

    blocker = VerbatimBlocker(fake_demo_guard.index.verbatim, Tok(), top_k=2, prompt_length=1)
    scores = torch.tensor([[0.0, 5.0, 4.0, 1.0]])
    out = blocker(torch.tensor([[2, 0]]), scores.clone())
    assert out[0, 1] == -torch.inf and out[0, 2] == 4.0  # "n" completes the run; "x" does not
    assert out[0, 3] == -torch.inf  # below the checked candidates: removed, never sampled unchecked
    assert blocker.vetoed == 1


@pytest.mark.slow
def test_model_repeats_the_passage_raw_but_not_guarded(smollm: tuple[Any, Any], demo_guard: Guard) -> None:
    model, tokenizer = smollm
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": REPEAT}], add_generation_prompt=True,
                                           return_dict=True)["input_ids"]  # fmt: skip
    raw = Decoder(model, tokenizer, None).generate(prompt, max_new_tokens=40)
    assert "spoken to another person in forty-one days when the boat" in raw.text  # the raw model copies it...
    assert not demo_guard.check(raw.text).allowed  # ...and the guard would flag that

    guarded = Decoder(model, tokenizer, demo_guard, steering=Steering(semantic=False)).generate(
        prompt, max_new_tokens=40
    )
    raw_copy = demo_guard.check(tokenizer.decode(guarded.token_ids, skip_special_tokens=True))
    assert guarded.vetoed_tokens > 0
    assert not [f for f in raw_copy.findings if f.matcher.value == "verbatim"]  # no verbatim run was generated
    assert guarded.text.strip()
