"""A scripted OpenAI-compatible upstream: the ``model`` field of a request picks its behaviour.

    echo      answers with the last user message (or the prompt), so a test controls what the upstream says;
              streams it in 7-character chunks; the whole request body comes back under "echo_body"
    fail      HTTP 503
    slow      answers after 5 s (the proxy under test times out first)
    cut       streams two chunks, then drops the connection (no data: [DONE])
    stall     streams two chunks, then goes silent for 5 s
    garbage   HTTP 200 with a body that is not JSON
    tool      answers with a tool call whose arguments carry the last user message
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

CHUNK = 7


def fake_upstream(*, chunk_delay: float = 0.0) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "echo", "object": "model", "created": 0, "owned_by": "test"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        return await _answer("chat", body, _last_user(body), chunk_delay)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        prompt = body.get("prompt", "")
        return await _answer("text", body, prompt if isinstance(prompt, str) else "".join(prompt), chunk_delay)

    return app


def _last_user(body: dict[str, Any]) -> str:
    users = [m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else ""


async def _answer(kind: str, body: dict[str, Any], text: str, delay: float) -> Any:
    mode = body.get("model")
    if mode == "fail":
        return JSONResponse({"error": {"message": "overloaded", "type": "server_error"}}, status_code=503)
    if mode == "garbage":
        return PlainTextResponse("<html>oops</html>")
    if mode == "slow":
        await asyncio.sleep(5)
    if mode == "tool":
        call = {"id": "call-1", "type": "function", "function": {"name": "save", "arguments": json.dumps({"note": text})}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return {"id": "up-1", "object": "chat.completion", "created": 0, "model": mode,
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}  # fmt: skip
    if body.get("stream"):
        return StreamingResponse(_stream(kind, text, mode, delay), media_type="text/event-stream")
    choice: dict[str, Any] = (
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if kind == "chat"
        else {"index": 0, "text": text, "finish_reason": "stop"}
    )
    return {"id": "up-1", "object": "chat.completion" if kind == "chat" else "text_completion",
            "created": int(time.time()), "model": mode, "choices": [choice], "echo_body": body}  # fmt: skip


async def _stream(kind: str, text: str, mode: str, delay: float) -> AsyncIterator[bytes]:
    pieces = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    for n, piece in enumerate(pieces):
        if mode in ("cut", "stall") and n == 2:
            if mode == "stall":
                await asyncio.sleep(5)
            raise RuntimeError("the fake upstream drops the connection")
        yield _frame(kind, piece, None)
        if delay:
            await asyncio.sleep(delay)
    yield _frame(kind, "", "stop")
    yield b"data: [DONE]\n\n"


def _frame(kind: str, piece: str, finish: str | None) -> bytes:
    choice: dict[str, Any] = (
        {"index": 0, "delta": {"content": piece} if piece else {}, "finish_reason": finish}
        if kind == "chat"
        else {"index": 0, "text": piece, "finish_reason": finish}
    )
    chunk = {"id": "up-1", "object": "chat.completion.chunk" if kind == "chat" else "text_completion",
             "created": 0, "model": "echo", "choices": [choice]}  # fmt: skip
    return f"data: {json.dumps(chunk)}\n\n".encode()
