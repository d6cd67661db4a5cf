"""outlines glue: structured generation (JSON schema, regex) with suppression in the same decode.

outlines turns an output type into a logits processor that masks every token the structure forbids; the
verbatim blocker then vetoes, among the tokens still allowed, those that would complete a forbidden run.
The two constraints compose: the structure is kept (the blocker only ever removes allowed tokens) and no
forbidden run is completed. The finished text is then checked as a whole, and the item's action applied
(a blocked structured answer is replaced by the refusal, which is not the structure: check
``result.action``).

Semantic roll-back is not used here: outlines' guide advances with every token and cannot be rewound.

Example:
    >>> guarded = guard.wrap(outlines.from_transformers(model, tokenizer), guard=g)   # doctest: +SKIP
    >>> guarded("Describe the keeper as JSON", Person, max_new_tokens=60).text         # doctest: +SKIP
    '{"name": "...", ...}'
"""

from __future__ import annotations

from typing import Any

from outlines.generator import SteerableGenerator
from outlines.processors.base_logits_processor import OutlinesLogitsProcessor

from guard.guard import Guard
from guard.steering.decode import Steering
from guard.steering.verbatim import VerbatimBlocker
from guard.types import Action, GenerationResult, redact


class GuardedProcessor(OutlinesLogitsProcessor):
    """An outlines processor: ``structure`` (any outlines processor, or None) first, then the blocker."""

    def __init__(self, structure: Any, blocker: VerbatimBlocker) -> None:
        super().__init__("torch")
        self.structure = structure
        self.blocker = blocker

    def reset(self) -> None:
        if self.structure is not None:
            self.structure.reset()
        self.blocker.reset()

    def process_logits(self, input_ids: Any, logits: Any) -> Any:
        if self.structure is not None:
            logits = self.structure.process_logits(input_ids, logits)
        return self.blocker(input_ids, logits)


class GuardedOutlines:
    """An outlines ``Transformers`` model, guarded; call it like an outlines generator."""

    def __init__(self, model: Any, guard: Guard, *, steering: Steering | None = None) -> None:
        self.model = model
        self.guard = guard
        self.steering = steering = steering or Steering(semantic=False)
        self.blocker = VerbatimBlocker(guard.index.verbatim, model.hf_tokenizer, max_run=steering.max_run,
                                       top_k=steering.top_k)  # fmt: skip

    def __call__(
        self, prompt: Any, output_type: Any = None, *, backend: str | None = None, **kwargs: Any
    ) -> GenerationResult:
        """Generate ``output_type`` (a JSON schema, pydantic model, regex... or None for free text)."""
        structure = (
            SteerableGenerator(self.model, output_type, backend).logits_processor if output_type is not None else None
        )
        generator = SteerableGenerator.from_processor(self.model, GuardedProcessor(structure, self.blocker))
        text = generator(prompt, **kwargs)
        verdict = self.guard.check(text) if text.strip() else self.guard.check(" ")
        if verdict.allowed:
            return GenerationResult(text, verdict, Action.ALLOW, self.blocker.vetoed)
        if verdict.action is Action.REDACT:
            return GenerationResult(redact(text, verdict), verdict, Action.REDACT, self.blocker.vetoed)
        return GenerationResult(
            self.steering.refusal, verdict, Action.BLOCK, self.blocker.vetoed, finish_reason="blocked"
        )
