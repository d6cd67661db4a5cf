"""A guarded ``transformers.pipeline("text-generation")``: same call, same output shape.

The pipeline keeps its own pre- and post-processing (chat templates, ``return_full_text``, batching of
prompts); only the model's ``generate`` underneath is replaced by `GuardedModel.generate`, so every
generated sequence goes through the verbatim blocker and the semantic roll-back.
"""

from __future__ import annotations

import copy
from typing import Any

from guard.generators.transformers import GuardedModel
from guard.guard import Guard
from guard.types import GenerationResult


class _GuardedGenerate:
    """Looks like the pipeline's model (every attribute delegated) but generates through the guard."""

    def __init__(self, model: Any, guarded: GuardedModel) -> None:
        self._model = model
        self._guarded = guarded

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        return self._guarded.generate(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class GuardedPipeline:
    """Call it like the pipeline it wraps; ``last_results`` holds the `GenerationResult` of each sequence.

    Example:
        >>> pipe = transformers.pipeline("text-generation", model=model, tokenizer=tokenizer)  # doctest: +SKIP
        >>> guarded = guard.wrap(pipe, guard=g)                                               # doctest: +SKIP
        >>> guarded("Tell me about Jane Roe", max_new_tokens=40)[0]["generated_text"]         # doctest: +SKIP
    """

    def __init__(self, pipe: Any, guard: Guard | None, **options: Any) -> None:
        self.guarded_model = GuardedModel(pipe.model, pipe.tokenizer, guard, **options)
        self.pipeline = copy.copy(pipe)
        self.pipeline.model = _GuardedGenerate(pipe.model, self.guarded_model)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.pipeline(*args, **kwargs)

    @property
    def last_results(self) -> list[GenerationResult]:
        return self.guarded_model.last_results
