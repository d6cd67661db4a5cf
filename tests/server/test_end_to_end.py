"""End to end with the embedded SmolLM2: a second ``guard serve --no-guard`` process as the real upstream
(a black box on loopback), and the same model in-process (steerable)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from guard.guard import Guard
from guard.server import Settings, create_app

from .. import generation_fixtures as fx
from ..generation_fixtures import PASSAGE, REPEAT
from .conftest import free_port, openai_client, serve

smollm, demo_guard = fx.smollm, fx.demo_guard  # shared fixtures
MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def unguarded_server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "guard.cli", "serve", "--no-guard", "--model", "default",
                             "--port", str(port)], env=env, stderr=subprocess.PIPE)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
            assert time.monotonic() < deadline, "guard serve --no-guard did not start"
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield url + "/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


def leaked(text: str, run: int = 40) -> bool:
    """Does ``text`` contain ``run`` consecutive characters of the protected passage?"""
    return any(PASSAGE[i : i + run] in text for i in range(0, len(PASSAGE) - run))


def client(url: str) -> openai.OpenAI:
    return openai_client(url, timeout=120)


def _stream(url: str, prompt: str, max_tokens: int) -> tuple[str, str | None]:
    chunks = list(client(url).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": prompt}],
                                                      max_tokens=max_tokens, stream=True))  # fmt: skip
    return "".join(c.choices[0].delta.content or "" for c in chunks), chunks[-1].choices[0].finish_reason


@pytest.mark.slow
def test_black_box_upstream_is_held_back(unguarded_server: str, demo_guard: Guard, demo_index: Path) -> None:
    raw = client(unguarded_server[: -len("/v1")]).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": REPEAT}], max_tokens=40)
    assert leaked(raw.choices[0].message.content or "")  # the upstream alone leaks
    settings = Settings(index=demo_index, upstream=unguarded_server)
    with serve(create_app(settings, guard=demo_guard)) as proxy:
        text, finish = _stream(proxy, REPEAT, 40)
        assert finish == "content_filter" and not leaked(text)
        reply = client(proxy).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Say hi."}],
                                                      max_tokens=8)  # fmt: skip
        assert reply.choices[0].finish_reason == "length" and reply.choices[0].message.content


@pytest.mark.slow
def test_in_process_model_is_steered(smollm: tuple[Any, Any], demo_guard: Guard, demo_index: Path) -> None:
    settings = Settings(index=demo_index, model="default")
    with serve(create_app(settings, guard=demo_guard, model=smollm)) as proxy:
        text, finish = _stream(proxy, REPEAT, 30)
        assert finish in ("length", "stop", "content_filter") and text.strip() and not leaked(text)
        reply = client(proxy).completions.create(model=MODEL, prompt="The sea is", max_tokens=6)
        assert reply.choices[0].finish_reason == "length" and reply.usage and reply.usage.completion_tokens == 6
        with pytest.raises(openai.NotFoundError):
            client(proxy).completions.create(model="gpt-4", prompt="hi", max_tokens=2)


@pytest.mark.slow
def test_in_process_model_refuses_what_it_cannot_honour(smollm: tuple[Any, Any], demo_guard: Guard,
                                                        demo_index: Path) -> None:  # fmt: skip
    settings = Settings(index=demo_index, model="default", max_tokens=64)
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    with serve(create_app(settings, guard=demo_guard, model=smollm)) as proxy:
        for extra, status, param in (({"n": 2}, 400, "n"), ({"stop": ["."]}, 400, "stop"),
                                     ({"max_tokens": 65}, 400, "max_tokens"), ({"model": "gpt-4"}, 404, "model"),
                                     ({"messages": [{"role": "user", "content": "word " * 9000}]}, 400, "messages")):  # fmt: skip
            for stream in (False, True):
                resp = httpx.post(proxy + "/v1/chat/completions", json={**chat, **extra, "stream": stream}, timeout=60)
                assert (resp.status_code, resp.json()["error"]["param"]) == (status, param), resp.text
