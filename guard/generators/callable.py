"""`GuardedCallable`: any ``Callable[[str], str]`` (an API call, a chain), checked after the fact.

A black box cannot be steered while it decodes, so its answer is checked whole and the matched item's
action applied: **block** returns the refusal, **redact** replaces the matched spans, **regenerate** calls
again with a steering instruction appended to the prompt, at most ``max_regenerations`` times, then blocks.

Example:
    >>> ask = guard.wrap(lambda p: client.complete(p), guard=g)     # doctest: +SKIP
    >>> ask("Tell me about Jane Roe").text                           # doctest: +SKIP
    "I can't help with that: ..."
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from guard.generators import REFUSAL
from guard.guard import Guard
from guard.streaming import hold_back
from guard.types import Action, GenerationResult, redact

STEER = (
    "\n\n(Answer again without quoting, paraphrasing or describing protected material; in particular avoid "
    "what your previous answer said about: {topics}.)"
)


class GuardedCallable:
    """Call the wrapped function, check its answer, apply the action; returns a `GenerationResult`."""

    def __init__(self, fn: Callable[[str], str], guard: Guard, *, max_regenerations: int = 2,
                 refusal: str = REFUSAL, steer: str = STEER, suspect_margin: float = 0.1) -> None:  # fmt: skip
        if not callable(fn):
            raise TypeError(f"expected a callable str -> str, got {type(fn).__name__}")
        if max_regenerations < 0:
            raise ValueError("max_regenerations must be >= 0")
        self.fn = fn
        self.guard = guard
        self.max_regenerations = max_regenerations
        self.refusal = refusal
        self.steer = steer
        self.suspect_margin = suspect_margin  # a regenerated answer is held to a stricter bar (see Steering)

    def __call__(self, prompt: str) -> GenerationResult:
        asked = prompt
        suspects: frozenset[str] = frozenset()
        for attempt in range(self.max_regenerations + 1):
            text = self._ask(asked)
            verdict = self.guard.check(text if text.strip() else " ", suspects=suspects, margin=self.suspect_margin)
            if verdict.allowed:
                return GenerationResult(text, verdict, Action.ALLOW, backtracks=attempt)
            if verdict.action is Action.REDACT:
                return GenerationResult(redact(text, verdict), verdict, Action.REDACT, backtracks=attempt)
            if verdict.action is Action.BLOCK:
                break
            suspects = self.guard.index.item_ids  # every item: a regeneration is held to the stricter bar
            asked = prompt + self.steer.format(topics=", ".join(verdict.item_ids))
        return GenerationResult(self.refusal, verdict, Action.BLOCK, backtracks=attempt, finish_reason="blocked")

    def stream(self, chunks: Iterable[str], **options: int) -> Iterator[str]:
        """Hold back a stream the black box produced (see `guard.streaming.hold_back`)."""
        return hold_back(chunks, self.guard, **options)

    def _ask(self, prompt: str) -> str:
        text = self.fn(prompt)
        if not isinstance(text, str):
            raise TypeError(f"the wrapped callable returned {type(text).__name__}, expected str")
        return text
