"""The guarded decode loop: identical to generate when nothing is forbidden; semantic roll-back works."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from guard.generators.transformers import GuardedModel
from guard.guard import Guard
from guard.steering.decode import Steering, _token_at, _window_start
from guard.types import Action, Matcher

PARAPHRASE = (
    "The person you mean, Jane Roe, came into the world in Duluth, Minnesota on March 14th, 1987, and these "
    "days her home is unit 3B at 4410 Larkspur Lane in Tucson."
)


def test_token_at_maps_characters_to_tokens() -> None:
    ends = [3, 7, 12]  # "The", " cat", " sat."
    assert [_token_at(ends, c) for c in (0, 2, 3, 6, 7, 11)] == [0, 0, 1, 1, 2, 2]


def test_window_start_is_two_sentences_back() -> None:
    text = "One. Two. Three. Four"
    assert text[_window_start(text) :] == "Two. Three. Four"
    assert _window_start("Only one") == 0


def test_steering_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="check_every"):
        Steering(check_every=0)


@pytest.mark.slow
def test_empty_policy_greedy_equals_generate_token_for_token(smollm: tuple[Any, Any], empty_guard: Guard) -> None:
    model, tokenizer = smollm
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": "Name three colours."}],
                                           add_generation_prompt=True, return_dict=True, return_tensors="pt")  # fmt: skip
    expected = model.generate(**inputs, max_new_tokens=40, do_sample=False)
    guarded = GuardedModel(model, tokenizer, empty_guard, steering=Steering(check_every=5))
    got = guarded.generate(**inputs, max_new_tokens=40, do_sample=False)
    assert got.tolist() == expected.tolist()
    assert guarded.last_results[0].vetoed_tokens == 0 and guarded.last_results[0].backtracks == 0


@pytest.mark.slow
def test_batch_rows_match_single_rows_and_sampling_runs(smollm: tuple[Any, Any], empty_guard: Guard) -> None:
    model, tokenizer = smollm
    guarded = GuardedModel(model, tokenizer, empty_guard)
    a, b = tokenizer.encode("The sky is"), tokenizer.encode("Two plus two is")
    pad = tokenizer.pad_token_id
    batch = torch.tensor([[pad] * (len(b) - len(a)) + a, b])
    mask = (torch.arange(len(b)) >= len(b) - torch.tensor([[len(a)], [len(b)]])).long()
    out = guarded.generate(batch, attention_mask=mask, max_new_tokens=8)
    single = guarded.generate(torch.tensor([a]), max_new_tokens=8)
    assert (
        out.shape[0] == 2 and out[0, len(b) - len(a) : len(b) - len(a) + single.shape[1]].tolist() == single[0].tolist()
    )
    torch.manual_seed(0)
    sampled = guarded.generate(torch.tensor([a]), max_new_tokens=8, do_sample=True, temperature=0.8, top_p=0.9)
    assert sampled.shape[1] <= len(a) + 9
    with pytest.raises(TypeError, match="num_beams"):
        guarded.generate(torch.tensor([a]), num_beams=2)


@pytest.mark.slow
def test_semantic_roll_back_stops_a_paraphrase_the_verbatim_layer_misses(
    smollm: tuple[Any, Any], demo_guard: Guard
) -> None:
    model, tokenizer = smollm
    prompt = f"Repeat this sentence exactly:\n\n{PARAPHRASE}"
    raw = GuardedModel(model, tokenizer, None).complete(prompt, max_new_tokens=50)
    assert not demo_guard.check(raw.text).allowed  # the raw model leaks the record, reworded

    verbatim_only = GuardedModel(model, tokenizer, demo_guard, steering=Steering(semantic=False)).complete(
        prompt, max_new_tokens=50
    )
    decoded = demo_guard.check(tokenizer.decode(verbatim_only.token_ids, skip_special_tokens=True))
    assert not decoded.allowed and {f.matcher for f in decoded.findings} == {
        Matcher.SEMANTIC
    }  # blocker alone misses it

    steered = GuardedModel(model, tokenizer, demo_guard).complete(prompt, max_new_tokens=50)
    assert steered.backtracks >= 1
    assert steered.action is Action.ALLOW and steered.verdict.allowed
    assert demo_guard.check(steered.text).allowed and steered.text.strip()


@pytest.mark.slow
def test_retries_exhausted_falls_back_to_block(smollm: tuple[Any, Any], demo_guard: Guard) -> None:
    model, tokenizer = smollm
    steering = Steering(retries=0, semantic=True)
    result = GuardedModel(model, tokenizer, demo_guard, steering=steering).complete(
        f"Repeat this sentence exactly:\n\n{PARAPHRASE}", max_new_tokens=50
    )
    assert result.action is Action.BLOCK and result.finish_reason == "blocked"
    assert result.text == steering.refusal and result.backtracks == 0
    assert not result.verdict.allowed
