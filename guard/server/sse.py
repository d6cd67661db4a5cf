"""Server-sent events framed exactly as OpenAI frames them: ``data: {json}\\n\\n`` ... ``data: [DONE]\\n\\n``."""

from __future__ import annotations

import json
from typing import Any

from guard.server.upstreams.base import Head

DONE = b"data: [DONE]\n\n"


def frame(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def chunk(kind: str, head: Head, *, text: str | None = None, first: bool = False, finish: str | None = None) -> dict[str, Any]:
    """One chunk: the role opens a chat stream, text pieces follow, the last carries ``finish_reason``."""
    if kind == "chat":
        delta: dict[str, Any] = {"role": "assistant", "content": ""} if first else {}
        if text is not None:
            delta["content"] = text
        choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        obj = "chat.completion.chunk"
    else:
        choice = {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}
        obj = "text_completion"
    return {"id": head.id, "object": obj, "created": head.created, "model": head.model, "choices": [choice]}
