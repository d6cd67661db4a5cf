"""`guard.wrap` picks the wrapper for what it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import guard as guard_pkg
from guard.generators.callable import GuardedCallable
from guard.guard import Guard

from . import generation_fixtures as fx

demo_guard = fx.demo_guard  # a shared fixture
empty_guard = fx.empty_guard  # a shared fixture
fake_demo_guard = fx.fake_demo_guard  # a shared fixture
smollm = fx.smollm  # a shared fixture


def test_callable_gets_the_after_the_fact_wrapper(fake_demo_guard: Guard) -> None:
    wrapped = guard_pkg.wrap(lambda p: p.upper(), guard=fake_demo_guard, max_regenerations=1)
    assert isinstance(wrapped, GuardedCallable) and wrapped("hi").text == "HI"


def test_a_guard_is_required_and_odd_targets_are_refused(fake_demo_guard: Guard) -> None:
    with pytest.raises(TypeError, match="needs a guard"):
        guard_pkg.wrap(lambda p: p)
    with pytest.raises(TypeError, match="cannot wrap"):
        guard_pkg.wrap(42, guard=fake_demo_guard)


def test_import_guard_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, guard; print(sorted(m for m in ('torch', 'transformers', 'outlines') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_model_and_tokenizer_get_the_steerable_wrapper(
    smollm: tuple[Any, Any], demo_index: Path, demo_guard: Guard
) -> None:
    from guard.generators.transformers import GuardedModel

    model, tokenizer = smollm
    wrapped = guard_pkg.wrap(model, tokenizer, demo_guard)
    assert isinstance(wrapped, GuardedModel)
    result = wrapped.complete("Say hello.", max_new_tokens=8)
    assert result.text and result.verdict.allowed and len(result.token_ids) <= 8
    with pytest.raises(TypeError, match="tokenizer"):
        guard_pkg.wrap(model, guard=demo_guard)


@pytest.mark.slow
def test_text_generation_pipeline_keeps_its_call_and_output_shape(
    smollm: tuple[Any, Any], empty_guard: Guard, demo_guard: Guard
) -> None:
    from transformers import pipeline

    from guard.generators.pipeline import GuardedPipeline

    model, tokenizer = smollm
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer)
    messages = [{"role": "user", "content": "Name a colour."}]
    raw = pipe(messages, max_new_tokens=8, do_sample=False)
    same = guard_pkg.wrap(pipe, guard=empty_guard)
    assert isinstance(same, GuardedPipeline)
    assert same(messages, max_new_tokens=8, do_sample=False) == raw  # nothing forbidden: identical output
    assert pipe.model is model  # the original pipeline is left alone

    guarded = guard_pkg.wrap(pipe, guard=demo_guard)
    out = guarded(fx.REPEAT, max_new_tokens=48, do_sample=False, return_full_text=False)
    assert isinstance(out, list) and set(out[0]) == {"generated_text"}
    assert demo_guard.check(out[0]["generated_text"]).allowed
    assert len(guarded.last_results) == 1
