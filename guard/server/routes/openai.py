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

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from guard.exceptions import GuardError
from guard.server import sse
from guard.server.errors import ProxyError, error_body
from guard.server.schemas import ChatRequest, CompletionRequest
from guard.server.state import ProxyState, State
from guard.server.upstreams.base import CONTENT_FILTER, Delta, End, Event, Head, Outcome, outcome_of
from guard.types import Action

router = APIRouter(tags=["openai"])


@router.post("/v1/chat/completions")
async def chat_completions(body: ChatRequest, request: Request, state: State) -> Any:
    return await _serve("chat", body, request, state)


@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request, state: State) -> Any:
    return await _serve("text", body, request, state)


@router.get("/v1/models")
async def models(state: State) -> dict[str, Any]:
    return await state.upstream.models()


async def _serve(kind: str, body: ChatRequest | CompletionRequest, request: Request, state: ProxyState) -> Any:
    guard, rid, route = state.engine.guard, request.state.request_id, request.url.path
    try:
        if state.settings.check_prompt and guard is not None:
            await _check_prompt(state, guard, rid, route, body)
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
    except GuardError as exc:  # e.g. an endless sentence past the guard's max_chars: stop, release nothing more
        _record_error(state, rid, route, ProxyError(400, str(exc)))
        yield sse.frame(error_body(f"the stream could not be checked: {exc}", type="invalid_request_error"))
    finally:
        state.metrics.stream_seconds.labels(route).observe(time.perf_counter() - start)


async def _check_prompt(state: ProxyState, guard: Any, rid: str, route: str, body: Any) -> None:
    verdict = await state.engine.check(_user_text(body), guard)
    if verdict is None or verdict.allowed:
        return
    _record(state, rid, route, Outcome(Action.BLOCK, verdict), body, "")
    raise ProxyError(400, "the request contains content this server may not process; it was refused before generation",
                     code="content_filter")  # fmt: skip


def _user_text(body: Any) -> str:
    if isinstance(body, CompletionRequest):
        return body.prompt_text()
    parts = []
    for m in body.messages:
        if m.role != "user":
            continue
        content = m.content if isinstance(m.content, list) else [{"type": "text", "text": m.content or ""}]
        parts += [p["text"] for p in content if isinstance(p.get("text"), str)]
    return "\n".join(parts)


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
    if state.audit is not None and exc.code != "content_filter":
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
