"""`wrap`: put a guard around the generator you already have.

* a ``transformers.pipeline("text-generation")``: `guard.generators.pipeline.GuardedPipeline`, same call
  and output shape;
* a transformers model and its tokenizer: `GuardedModel`, called like ``model.generate`` (steerable: the
  verbatim blocker and semantic roll-back run while decoding);
* an outlines ``Transformers`` model: `guard.steering.outlines.GuardedOutlines`, structured generation with
  the blocker in the same decode;
* any ``Callable[[str], str]``: `GuardedCallable`, checked after the fact (block, redact, regenerate).

Heavy imports happen only for the kind of generator given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guard.guard import Guard


def wrap(target: Any, tokenizer: Any = None, guard: Guard | str | Path | None = None, **options: Any) -> Any:
    """Wrap ``target`` (a model with its tokenizer, an outlines model, or a callable) with ``guard``.

    ``guard`` is a `Guard` or the path of an index. ``options`` go to the wrapper: ``steering=Steering(...)``
    for local models, ``max_regenerations=`` / ``refusal=`` for callables.

    Example:
        >>> guarded = wrap(model, tokenizer, Guard.load("build/demo-index"))  # doctest: +SKIP
        >>> ask = wrap(my_api_call, guard="build/demo-index")                  # doctest: +SKIP
    """
    if guard is None:
        raise TypeError("wrap needs a guard: a Guard or the path of an index")
    g = guard if isinstance(guard, Guard) else Guard.load(guard)
    if _is_text_generation_pipeline(target):
        from guard.generators.pipeline import GuardedPipeline

        return GuardedPipeline(target, g, **options)
    if _is_outlines_model(target):
        from guard.steering.outlines import GuardedOutlines

        return GuardedOutlines(target, g, **options)
    if tokenizer is not None or hasattr(target, "generate") and hasattr(target, "config"):
        if tokenizer is None:
            raise TypeError("a transformers model needs its tokenizer: wrap(model, tokenizer, guard)")
        from guard.generators.transformers import GuardedModel

        return GuardedModel(target, tokenizer, g, **options)
    if callable(target):
        from guard.generators.callable import GuardedCallable

        return GuardedCallable(target, g, **options)
    raise TypeError(
        f"cannot wrap a {type(target).__name__}: expected a transformers model, an outlines model or a callable"
    )


def _is_text_generation_pipeline(target: Any) -> bool:
    return getattr(target, "task", None) == "text-generation" and hasattr(target, "model") and hasattr(target, "tokenizer")


def _is_outlines_model(target: Any) -> bool:
    return type(target).__module__.startswith("outlines.") and hasattr(target, "hf_tokenizer")
