"""`HttpUpstream`: an OpenAI-compatible server, a black box. Its answers are checked after the fact, its
streams held back (`guard.streaming.HoldBack`) until checked; nothing unchecked is ever forwarded.

Fail closed: a timeout, a refused connection, a 5xx, an unreadable answer or a stream that ends without
``data: [DONE]`` becomes an OpenAI-style error, and text still held back is dropped. The upstream's 4xx
errors (a bad request it refused) are passed back as they are. Unknown request fields are forwarded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from guard.guard import Guard
from guard.server.engine import Engine
from guard.server.errors import ProxyError, upstream_error
from guard.server.schemas import dump
from guard.server.upstreams.base import CONTENT_FILTER, NOTICE, Delta, End, Event, Head, Outcome, outcome_of
from guard.streaming import HoldBack
from guard.types import Action, Verdict, redact

_PATHS = {"chat": "chat/completions", "text": "completions"}


class HttpUpstream:
    """Forwards to ``base_url`` (e.g. ``http://127.0.0.1:8001/v1``)."""

    def __init__(self, base_url: str, engine: Engine, *, timeout_s: float = 60.0, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.engine = engine
        self.timeout_s = timeout_s
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers, transport=transport,
                                        timeout=httpx.Timeout(timeout_s))  # fmt: skip

    async def aclose(self) -> None:
        await self.client.aclose()

    async def ready(self) -> bool:
        try:
            resp = await self.client.get("models", timeout=2.0)
        except httpx.HTTPError:
            return False
        return resp.status_code < 500

    async def models(self) -> dict[str, Any]:
        resp = await self._send(self.client.build_request("GET", "models"), stream=False)
        return _json(resp.content)

    # --- completions --------------------------------------------------------------------------------
    async def complete(self, kind: str, request: Any, guard: Guard | None) -> tuple[dict[str, Any], Outcome]:
        resp = await self._send(self.client.build_request("POST", _PATHS[kind], json=dump(request)), stream=False)
        body = _json(resp.content)
        choices = body.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise upstream_error("the upstream's answer has no list of choices")
        worst: Verdict | None = None
        for choice in choices:
            verdict = await self._check_choice(kind, choice, guard)
            if verdict is not None and (worst is None or _worse(verdict, worst)):
                worst = verdict
        return body, outcome_of(worst)

    async def _check_choice(self, kind: str, choice: dict[str, Any], guard: Guard | None) -> Verdict | None:
        holder = choice.get("message") if kind == "chat" else choice
        key = "content" if kind == "chat" else "text"
        if not isinstance(holder, dict) or not isinstance(holder.get(key), (str, type(None))):
            raise upstream_error("the upstream's answer has a choice without text")
        text, calls = holder.get(key) or "", _tool_arguments(holder)
        if guard is None or not (text + calls).strip():
            return None
        verdict = await self.engine.check(text + calls, guard)
        assert verdict is not None
        if not verdict.allowed:
            redactable = verdict.action is Action.REDACT and not calls
            holder[key] = redact(text, verdict) if redactable else NOTICE
            holder.pop("tool_calls", None)
            holder.pop("function_call", None)
            choice["finish_reason"] = CONTENT_FILTER
        return verdict

    async def stream(self, kind: str, request: Any, guard: Guard | None) -> AsyncIterator[Event]:
        body = {**dump(request), "stream": True}
        if (request.n or 1) > 1 or body.get("tools") or body.get("functions"):
            raise ProxyError(400, "streams through the guard carry one choice of text: leave out n > 1 and tools, "
                             "or ask without stream", param="stream")  # fmt: skip
        resp = await self._send(self.client.build_request("POST", _PATHS[kind], json=body), stream=True)
        if not resp.headers.get("content-type", "").startswith("text/event-stream"):
            await resp.aclose()
            raise upstream_error("the upstream did not answer a stream request with an event stream")
        return self._events(kind, resp, guard)

    async def _events(self, kind: str, resp: httpx.Response, guard: Guard | None) -> AsyncIterator[Event]:
        buffer = HoldBack(guard) if guard is not None else None
        finish, head = None, False
        try:
            async for chunk in self._chunks(resp):
                if not head:
                    head = True
                    yield Head(str(chunk.get("id") or ""), str(chunk.get("model") or ""), int(chunk.get("created") or 0))
                piece, reason = _piece(kind, chunk)
                finish = reason or finish
                out = await self.engine.run(buffer.push, piece) if buffer is not None and piece else piece
                if out:
                    yield Delta(out)
                if buffer is not None and buffer.stopped:
                    yield End(CONTENT_FILTER, await self.engine.check(_tail(buffer.text, guard), guard))
                    return
        finally:
            await resp.aclose()
        if not head:
            yield Head("", "")
        if buffer is not None:
            out = await self.engine.run(buffer.close)
            if out:
                yield Delta(out)
            if buffer.stopped:
                yield End(CONTENT_FILTER, await self.engine.check(_tail(buffer.text, guard), guard))
                return
        yield End(finish or "stop")

    async def _chunks(self, resp: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        """The JSON objects of an SSE stream, up to ``data: [DONE]``; an error if it ends before that."""
        try:
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                chunk = _json(data.encode())
                if "error" in chunk:
                    raise upstream_error(f"the upstream failed mid-stream: {_message(chunk)}")
                yield chunk
        except httpx.TimeoutException:
            raise upstream_error(f"the upstream stalled for more than {self.timeout_s:g} s mid-stream",
                                 status=504, code="upstream_timeout") from None  # fmt: skip
        except httpx.HTTPError as exc:
            raise upstream_error(f"the upstream broke off the stream ({type(exc).__name__})") from None
        raise upstream_error("the upstream closed the stream before data: [DONE]")

    # --- transport ------------------------------------------------------------------------------------
    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        try:
            resp = await self.client.send(request, stream=stream)
        except httpx.TimeoutException:
            raise upstream_error(f"the upstream did not answer within {self.timeout_s:g} s", status=504,
                                 code="upstream_timeout") from None  # fmt: skip
        except httpx.HTTPError as exc:
            raise upstream_error(f"cannot reach the upstream ({type(exc).__name__})", code="upstream_unreachable") from None
        if resp.status_code < 400:
            return resp
        try:
            content = await resp.aread()
        except httpx.HTTPError:
            content = b""
        finally:
            await resp.aclose()
        if resp.status_code >= 500:
            raise upstream_error(f"the upstream failed with HTTP {resp.status_code}")
        error = _error_of(content)
        raise ProxyError(resp.status_code, f"the upstream refused the request: {error.get('message', '')}",
                         type=str(error.get("type") or "invalid_request_error"), code=error.get("code"),
                         param=error.get("param"))  # fmt: skip


def _piece(kind: str, chunk: dict[str, Any]) -> tuple[str, str | None]:
    """The text and finish reason of a chunk's first choice (usage-only chunks have no choices)."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise upstream_error("the upstream sent a chunk without choices")
    if not choices:
        return "", None
    choice = choices[0] if isinstance(choices[0], dict) else {}
    holder = choice.get("delta") if kind == "chat" else choice
    if not isinstance(holder, (dict, type(None))) or (holder or {}).get("tool_calls") or (holder or {}).get("function_call"):
        raise upstream_error("the upstream streamed something other than text (a tool call?); it was not forwarded")
    text = (holder or {}).get("content" if kind == "chat" else "text")
    if text is not None and not isinstance(text, str):
        raise upstream_error("the upstream sent a chunk whose text is not a string")
    return text or "", choice.get("finish_reason")


def _tail(text: str, guard: Guard | None) -> str:
    """The end of a long stream, short enough to check (for the audit record of what was found)."""
    return text[-guard.max_chars :] if guard is not None else text


def _tool_arguments(message: dict[str, Any]) -> str:
    """The arguments of a message's tool calls (model output too, so checked with its text)."""
    calls = message.get("tool_calls") or []
    calls = calls + [{"function": message["function_call"]}] if isinstance(message.get("function_call"), dict) else calls
    args = [c.get("function", {}).get("arguments") for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
    return "".join("\n" + a for a in args if isinstance(a, str))


def _json(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError:
        raise upstream_error("the upstream's answer is not JSON") from None
    if not isinstance(data, dict):
        raise upstream_error("the upstream's answer is not a JSON object")
    return data


def _error_of(content: bytes) -> dict[str, Any]:
    try:
        error = json.loads(content).get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {"message": str(error)}


def _message(chunk: dict[str, Any]) -> str:
    error = chunk.get("error")
    return str(error.get("message", "")) if isinstance(error, dict) else str(error)


def _worse(a: Verdict, b: Verdict) -> bool:
    return (not a.allowed, a.action.severity, a.score) > (not b.allowed, b.action.severity, b.score)
