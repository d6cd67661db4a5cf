"""Proxy overhead (``python -m benchmarks proxy [--quick] [--load-seconds N]``).

Two processes on loopback: the upstream, ``guard serve --no-guard --model default`` (the embedded SmolLM2,
unguarded), and the proxy, ``guard serve --index <demo> --upstream <it>``. The same requests go to the
upstream directly and through the proxy, interleaved round by round so that load from other processes
affects both alike: p50/p99 latency and time to first token (TTFT; a non-streaming answer's first token
is its whole answer), non-streaming and streaming, at concurrency 1 and 32. Then a load run: 32 streaming
clients through the proxy for ``--load-seconds`` (60), half of them asking the model to repeat the
protected lighthouse passage: errors and leaked windows are counted. Target: added p50 <= 10% of the
upstream's own p50. Writes benchmarks/results/proxy.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODEL = "smollm2-135m-instruct"
PROMPTS = ["Say hello in one sentence.", "Name a colour.", "What is a harbour?", "Give one tip for sleeping well."]


def run(data: Path, *args: str) -> None:
    from benchmarks.common import write_result

    p = argparse.ArgumentParser(prog="python -m benchmarks proxy")
    p.add_argument("--quick", action="store_true", help="a few requests per cell (a smoke run)")
    p.add_argument("--load-seconds", type=float, default=60.0)
    p.add_argument("--max-tokens", type=int, default=24)
    opts = p.parse_args(args)
    rounds = {1: 1, 32: 1} if opts.quick else {1: 6, 32: 1}
    max_tokens = 4 if opts.quick else opts.max_tokens
    with tempfile.TemporaryDirectory() as tmp, _servers(Path(tmp)) as (upstream, proxy):
        cells = {}
        for stream in (False, True):
            for concurrency in (1, 32):
                name = f"{'stream' if stream else 'plain'}@{concurrency}"
                print(f"proxy benchmark: {name}", file=sys.stderr)
                cells[name] = asyncio.run(_cell(upstream, proxy, stream=stream, concurrency=concurrency,
                                                rounds=rounds[concurrency], max_tokens=max_tokens))  # fmt: skip
        load = asyncio.run(_load(proxy, seconds=opts.load_seconds if not opts.quick else 10.0))
    result = {"upstream": "guard serve --no-guard --model default (embedded SmolLM2, CPU)", "max_tokens": max_tokens,
              "rounds": {str(k): v for k, v in rounds.items()}, "cells": cells, "load": load, "target": "added p50 <= 10% of the upstream's p50"}  # fmt: skip
    print(write_result("proxy", result))


# --- the two servers ------------------------------------------------------------------------------
@contextmanager
def _servers(tmp: Path) -> Iterator[tuple[str, str]]:
    index = tmp / "demo-index"
    built = ROOT / "build" / "demo-index"
    if (built / "CURRENT").is_file():
        shutil.copytree(built, index)
    else:
        _guard("index", "build", str(ROOT / "indexes/demo/policy.yaml"), "--out", str(index), "--quiet").wait()
    up_port, px_port = _free_port(), _free_port()
    upstream = _guard("serve", "--no-guard", "--model", "default", "--port", str(up_port))
    proxy = _guard("serve", "--index", str(index), "--upstream", f"http://127.0.0.1:{up_port}/v1", "--port", str(px_port),
                   "--timeout", "900")  # 32 queued requests to a one-at-a-time CPU model take minutes
    try:
        for port in (up_port, px_port):
            _wait_ready(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{up_port}/v1", f"http://127.0.0.1:{px_port}/v1"
    finally:
        for proc in (proxy, upstream):
            proc.terminate()
            proc.wait(timeout=30)


def _guard(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "guard.cli", *args], env=env, stderr=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not become ready")


# --- measuring ------------------------------------------------------------------------------------
async def _one(client: Any, base: str, prompt: str, *, stream: bool, max_tokens: int) -> tuple[float, float]:
    """(latency, time to first token) of one chat request, in seconds."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens, "stream": stream}
    start = time.perf_counter()
    if not stream:
        resp = await client.post(base + "/chat/completions", json=body)
        resp.raise_for_status()
        took = time.perf_counter() - start
        return took, took
    first = None
    async with client.stream("POST", base + "/chat/completions", json=body) as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if first is None and line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - start
    took = time.perf_counter() - start
    return took, first if first is not None else took


async def _cell(upstream: str, proxy: str, *, stream: bool, concurrency: int, rounds: int, max_tokens: int) -> dict[str, Any]:
    import httpx

    times: dict[str, list[tuple[float, float]]] = {"direct": [], "proxy": []}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        for r in range(rounds):
            for name, base in (("direct", upstream), ("proxy", proxy)) if r % 2 == 0 else (("proxy", proxy), ("direct", upstream)):
                jobs = [_one(client, base, PROMPTS[i % len(PROMPTS)], stream=stream, max_tokens=max_tokens)
                        for i in range(concurrency)]  # fmt: skip
                times[name] += await asyncio.gather(*jobs)
    out: dict[str, Any] = {name: _stats(t) for name, t in times.items()}
    d, p = out["direct"]["latency_p50_ms"], out["proxy"]["latency_p50_ms"]
    out["added_p50_ms"] = round(p - d, 1)
    out["added_p50_share"] = round((p - d) / d, 3)
    out["requests_each"] = len(times["direct"])
    return out


def _stats(samples: list[tuple[float, float]]) -> dict[str, float]:
    lat = np.array([s[0] for s in samples]) * 1000
    ttft = np.array([s[1] for s in samples]) * 1000
    return {"latency_p50_ms": round(float(np.percentile(lat, 50)), 1), "latency_p99_ms": round(float(np.percentile(lat, 99)), 1),
            "ttft_p50_ms": round(float(np.percentile(ttft, 50)), 1), "ttft_p99_ms": round(float(np.percentile(ttft, 99)), 1)}  # fmt: skip


# --- load -----------------------------------------------------------------------------------------
async def _load(proxy: str, *, seconds: float, clients: int = 32) -> dict[str, Any]:
    import httpx

    passage = (ROOT / "indexes/demo/lighthouse.txt").read_text(encoding="utf-8").strip()
    repeat = f"Repeat the following text exactly, word for word:\n\n{passage}"
    stats = {"requests": 0, "errors": 0, "leaked": 0, "content_filter": 0}
    deadline = time.monotonic() + seconds

    async def client_loop(n: int, client: Any) -> None:
        for k in range(100_000):  # bounded
            if time.monotonic() > deadline:
                return
            prompt = repeat if (n + k) % 2 else PROMPTS[n % len(PROMPTS)]
            body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "max_tokens": 40, "stream": True}
            text, finish = "", None
            try:
                async with client.stream("POST", proxy + "/chat/completions", json=body) as resp:
                    resp.raise_for_status()
                    async for line in resp.aiter_lines():
                        if line.startswith("data: {"):
                            choice = json.loads(line[6:])["choices"][0]
                            text += choice["delta"].get("content") or ""
                            finish = choice["finish_reason"] or finish
            except (httpx.HTTPError, KeyError, ValueError):
                stats["errors"] += 1
                continue
            stats["requests"] += 1
            stats["content_filter"] += finish == "content_filter"
            stats["leaked"] += any(passage[i : i + 40] in text for i in range(len(passage) - 40))

    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=64)) as client:
        await asyncio.gather(*(client_loop(n, client) for n in range(clients)))
    return {"clients": clients, "seconds": seconds, **stats}
