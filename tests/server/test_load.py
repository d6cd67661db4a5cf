"""Load on loopback: 32 concurrent streaming clients through the proxy (10 s here; 60 s in the benchmark):
no errors, and no forbidden window ever released."""

from __future__ import annotations

import asyncio
import os
import time

import openai

from .conftest import JANE, PASSAGE
from .test_openai_routes import BENIGN

CLIENTS = 32
SECONDS = float(os.environ.get("GUARD_LOAD_SECONDS", "10"))
TEXTS = [BENIGN, f"{BENIGN} {JANE}", f"{BENIGN} {PASSAGE}"]


def leaked(text: str, run: int = 40) -> bool:
    return any(s[i : i + run] in text for s in (JANE, PASSAGE) for i in range(0, len(s) - run))


async def _client(c: openai.AsyncOpenAI, n: int, deadline: float, stats: dict[str, int]) -> None:
    for k in range(10_000):  # bounded
        if time.monotonic() > deadline:
            return
        text = TEXTS[(n + k) % len(TEXTS)]
        try:
            stream = await c.chat.completions.create(model="echo", messages=[{"role": "user", "content": text}],
                                                     stream=True)  # fmt: skip
            received = "".join([ch.choices[0].delta.content or "" async for ch in stream])
        except openai.APIError:
            stats["errors"] += 1
            continue
        stats["requests"] += 1
        stats["leaks"] += leaked(received)
        stats["wrong"] += text == BENIGN and received != BENIGN


async def _load(base: str) -> dict[str, int]:
    stats = {"requests": 0, "errors": 0, "leaks": 0, "wrong": 0}
    deadline = time.monotonic() + SECONDS
    async with openai.AsyncOpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=60) as c:
        await asyncio.gather(*(_client(c, n, deadline, stats) for n in range(CLIENTS)))
    return stats


def test_32_streaming_clients(proxy: str) -> None:
    stats = asyncio.run(_load(proxy))
    assert stats["requests"] >= CLIENTS
    assert stats == {**stats, "errors": 0, "leaks": 0, "wrong": 0}
