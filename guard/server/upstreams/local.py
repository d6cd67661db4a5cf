"""`LocalModel`: a transformers model in this process, steerable: the verbatim blocker vetoes tokens and the
semantic check rolls back while decoding (`guard.generators.transformers.GuardedModel`).

One generation runs at a time (the model and its decode loop are not shared between threads); the
decode steps run on the engine's thread, so the event loop keeps serving other requests between tokens.
``temperature`` omitted or 0 decodes greedily; otherwise it samples with ``temperature`` and ``top_p``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from guard.guard import Guard
from guard.server.engine import Engine
from guard.server.errors import ProxyError
from guard.server.schemas import ChatRequest, CompletionRequest
from guard.server.upstreams.base import CONTENT_FILTER, Delta, End, Event, Head, Outcome, new_id
from guard.types import Action, GenerationResult

_UNSUPPORTED = ("stop", "tools", "functions", "logprobs", "response_format", "seed")
_DONE = object()


class LocalModel:
    """Serves ``model`` (a transformers causal LM) as ``name``."""

    def __init__(self, model: Any, tokenizer: Any, engine: Engine, *, name: str, max_tokens: int = 1024,
                 default_tokens: int = 256) -> None:  # fmt: skip
        self.model = model
        self.tokenizer = tokenizer
        self.engine = engine
        self.name = name
        self.max_tokens = max_tokens
        self.default_tokens = default_tokens
        self._lock = asyncio.Lock()

    async def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self.name, "object": "model", "created": 0, "owned_by": "guard"}]}

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None

    async def complete(self, kind: str, request: Any, guard: Guard | None) -> tuple[dict[str, Any], Outcome]:
        prompt, chat, options = self._options(request)
        guarded = self._guarded(guard)
        prompt_tokens = self._prompt_tokens(guarded, prompt, chat, options["max_new_tokens"])
        async with self._lock:
            result: GenerationResult = await self.engine.run(lambda: guarded.complete(prompt, chat=chat, **options))
        return self._body(kind, result, prompt_tokens), Outcome(result.action, result.verdict)

    async def stream(self, kind: str, request: Any, guard: Guard | None) -> AsyncIterator[Event]:
        prompt, chat, options = self._options(request)
        guarded = self._guarded(guard)
        self._prompt_tokens(guarded, prompt, chat, options["max_new_tokens"])
        return self._events(kind, guarded, prompt, chat, options)

    async def _events(self, kind: str, guarded: Any, prompt: Any, chat: bool, options: dict[str, Any]) -> AsyncIterator[Event]:
        async with self._lock:
            pieces = guarded.stream(prompt, chat=chat, **options)
            yield Head(new_id(kind), self.name)
            while (piece := await self.engine.run(next, pieces, _DONE)) is not _DONE:
                yield Delta(piece)
            result = guarded.last_results[0]
        yield End(_finish(result), result.verdict)

    # --- helpers ----------------------------------------------------------------------------------
    def _guarded(self, guard: Guard | None) -> Any:
        from guard.generators.transformers import GuardedModel

        return GuardedModel(self.model, self.tokenizer, guard)

    def _prompt_tokens(self, guarded: Any, prompt: Any, chat: bool, new: int) -> int:
        """The prompt's length in tokens; 400 if it and ``new`` tokens do not fit the model's context."""
        n = len(guarded.encode(prompt, chat=chat))
        context = getattr(self.model.config, "max_position_embeddings", None) or 2048
        if n + new > context:
            raise ProxyError(400, f"the prompt ({n} tokens) and max_tokens ({new}) exceed the model's context of "
                             f"{context} tokens", param="messages" if chat else "prompt")  # fmt: skip
        if n == 0:
            raise ProxyError(400, "the prompt is empty", param="prompt")
        return n

    def _options(self, request: ChatRequest | CompletionRequest) -> tuple[Any, bool, dict[str, Any]]:
        sent = request.model_dump(exclude_unset=True, exclude_none=True)
        refused = [name for name in _UNSUPPORTED if name in sent]
        if refused or (request.n or 1) > 1:
            raise ProxyError(400, f"the in-process model does not support {refused or ['n > 1']}; leave them out",
                             param=(refused or ["n"])[0])  # fmt: skip
        if request.model not in (self.name, "default"):  # "default": whatever this server serves
            raise ProxyError(404, f"model {request.model!r} not found; this server serves {self.name!r}",
                             code="model_not_found", param="model")  # fmt: skip
        new = request.new_tokens(min(self.default_tokens, self.max_tokens))
        if new > self.max_tokens:
            raise ProxyError(400, f"max_tokens {new} is above this server's limit of {self.max_tokens}", param="max_tokens")
        options: dict[str, Any] = {"max_new_tokens": new}
        if request.temperature:
            options.update(do_sample=True, temperature=request.temperature, top_p=request.top_p)
        if isinstance(request, ChatRequest):
            return [{"role": m.role, "content": _text(m.content)} for m in request.messages], True, options
        if isinstance(request.prompt, list) and len(request.prompt) != 1:
            raise ProxyError(400, "the in-process model takes one prompt per request", param="prompt")
        return request.prompt_text(), False, options

    def _body(self, kind: str, result: GenerationResult, prompt_tokens: int) -> dict[str, Any]:
        finish = _finish(result)
        if kind == "chat":
            choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": result.text},
                                      "logprobs": None, "finish_reason": finish}  # fmt: skip
        else:
            choice = {"index": 0, "text": result.text, "logprobs": None, "finish_reason": finish}
        new = len(result.token_ids)
        return {
            "id": new_id(kind),
            "object": "chat.completion" if kind == "chat" else "text_completion",
            "created": int(time.time()),
            "model": self.name,
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": new, "total_tokens": prompt_tokens + new},
        }


def _finish(result: GenerationResult) -> str:
    return CONTENT_FILTER if result.action is not Action.ALLOW else result.finish_reason


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    parts = [p.get("text") for p in content if p.get("type") == "text"]
    if len(parts) != len(content) or not all(isinstance(p, str) for p in parts):
        raise ProxyError(400, "the in-process model reads text parts only", param="messages")
    return "".join(parts)  # type: ignore[arg-type]
