"""outlines composition: a JSON schema and the verbatim blocker in one decode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guard.guard import Guard
from guard.types import Action

from ..generation_fixtures import PASSAGE

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "first_sentence": {"type": "string"}},
    "required": ["title", "first_sentence"],
}


@pytest.mark.slow
def test_json_schema_generation_with_suppression(smollm: tuple[Any, Any], demo_guard: Guard) -> None:
    import outlines

    from guard.wrap import wrap

    model, tokenizer = smollm
    guarded = wrap(outlines.from_transformers(model, tokenizer), guard=demo_guard)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": f"Give a title and the first sentence of this text as JSON.\n\n{PASSAGE}"}],
        tokenize=False, add_generation_prompt=True)  # fmt: skip
    result = guarded(prompt, outlines.types.JsonSchema(json.dumps(SCHEMA)), max_new_tokens=60)
    data = json.loads(result.text)  # the structure held...
    assert set(data) == {"title", "first_sentence"}
    assert result.action is Action.ALLOW and demo_guard.check(result.text).allowed  # ...and nothing leaked
    assert result.vetoed_tokens > 0  # the model did try to copy the passage
