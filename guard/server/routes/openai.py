"""The OpenAI-compatible routes: ``POST /v1/chat/completions``, ``POST /v1/completions``, ``GET /v1/models``.

Each request takes the live guard once (``engine.guard``) and keeps it to the end. A stream opens only once
the upstream has started, so a failure to start is a plain JSON error with its status; a failure later is
sent as a last ``data: {"error": ...}`` event (the ``openai`` client raises it), and nothing held back is
released.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from guard.server import sse
from guard.server.errors import ProxyError, error_body
from guard.server.schemas import ChatRequest, CompletionRequest
from guard.server.state import ProxyState, get_state
from guard.server.upstreams.base import CONTENT_FILTER, Delta, End, Event, Head, Outcome, outcome_of
from guard.types import Action

router = APIRouter(tags=["openai"])


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatRequest, request: Request, state: ProxyState = Depends(get_state)) -> Any:
    return await _serve("chat", body, request, state)


@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request, state: ProxyState = Depends(get_state)) -> Any:
    return await _serve("text", body, request, state)


@router.get("/v1/models")
async def models(state: ProxyState = Depends(get_state)) -> dict[str, Any]:
    return await state.upstream.models()


async def _serve(kind: str, body: ChatRequest | CompletionRequest, request: Request, state: ProxyState) -> Any:
    guard, rid, route = state.engine.guard, request.state.request_id, request.url.path
    try:
        if not body.stream:
            answer, outcome = await state.upstream.complete(kind, body, guard)
            _record(state, rid, route, outcome, body, _answer_text(kind, answer))
            return JSONResponse(answer)
        events = await state.upstream.stream(kind, body, guard)
    except ProxyError as exc:
        _record_error(state, rid, route, exc)
        raise
    return StreamingResponse(_sse(kind, events, state, rid, route, body), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})  # fmt: skip


async def _sse(kind: str, events: AsyncIterator[Event], state: ProxyState, rid: str, route: str, body: Any) -> AsyncIterator[bytes]:
    start, head, sent = time.perf_counter(), Head("", ""), []
    try:
        async for event in events:
            if isinstance(event, Head):
                head = event
                if kind == "chat":  # a chat stream opens with the role; a text stream with its first text
                    yield sse.frame(sse.chunk(kind, head, first=True))
            elif isinstance(event, Delta):
                sent.append(event.text)
                yield sse.frame(sse.chunk(kind, head, text=event.text))
            elif isinstance(event, End):
                yield sse.frame(sse.chunk(kind, head, finish=event.finish_reason))
                outcome = outcome_of(event.verdict)
                if event.finish_reason == CONTENT_FILTER and outcome.action is Action.ALLOW:
                    outcome = Outcome(Action.BLOCK, event.verdict)
                _record(state, rid, route, outcome, body, "".join(sent))
        yield sse.DONE
    except ProxyError as exc:
        _record_error(state, rid, route, exc)
        yield sse.frame(error_body(exc.message, type=exc.type, code=exc.code))
    finally:
        state.metrics.stream_seconds.labels(route).observe(time.perf_counter() - start)


# --- audit and metrics ---------------------------------------------------------------------------------
def _record(state: ProxyState, rid: str, route: str, outcome: Outcome, body: Any, output: str) -> None:
    verdict = outcome.verdict
    if verdict is not None and not verdict.allowed:
        for item in verdict.item_ids:
            state.metrics.suppressions.labels(item, outcome.action.value).inc()
    if state.audit is not None:
        state.audit.record(rid, route, outcome.action, verdict, prompt=_prompt_text(body), output=output)


def _record_error(state: ProxyState, rid: str, route: str, exc: ProxyError) -> None:
    if exc.type == "upstream_error":
        state.metrics.upstream_errors.labels(exc.code or "").inc()
    if state.audit is not None:
        state.audit.record(rid, route, "error", None)


def _prompt_text(body: Any) -> str:
    if isinstance(body, CompletionRequest):
        return body.prompt_text()
    return "\n".join(str(m.content) for m in body.messages)


def _answer_text(kind: str, answer: dict[str, Any]) -> str:
    key = ("message", "content") if kind == "chat" else ("text",)
    out = []
    for choice in answer.get("choices", []):
        value: Any = choice
        for k in key:
            value = value.get(k) if isinstance(value, dict) else None
        out.append(value if isinstance(value, str) else "")
    return "\n".join(out)
