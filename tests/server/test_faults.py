"""Faults: a failing upstream is an OpenAI-style error and nothing unchecked gets through (fail closed);
bad input is a 4xx that says what was wrong."""

from __future__ import annotations

import httpx
import openai
import pytest

from guard.server import Settings, create_app

from .conftest import JANE, free_port, load_fake, openai_client, serve

CHAT = "/v1/chat/completions"


def ask(proxy: str, model: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": JANE}], **extra}
    return httpx.post(proxy + CHAT, json=body, timeout=10)


@pytest.mark.parametrize(("model", "status", "code"), [("fail", 502, "upstream_error"), ("slow", 504, "upstream_timeout"),
                                                       ("garbage", 502, "upstream_error")])  # fmt: skip
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_failure_is_a_clean_error(proxy: str, model: str, status: int, code: str, stream: bool) -> None:
    resp = ask(proxy, model, stream=stream)
    assert resp.status_code == status
    assert resp.json()["error"]["type"] == "upstream_error" and resp.json()["error"]["code"] == code


@pytest.mark.parametrize("model", ["cut", "stall"])
def test_mid_stream_failure_ends_with_an_error_and_releases_nothing_held(proxy: str, model: str) -> None:
    c = openai_client(proxy)
    received = []
    with pytest.raises(openai.APIError, match="upstream"):
        for chunk in c.chat.completions.create(model=model, messages=[{"role": "user", "content": JANE}], stream=True):
            received.append(chunk.choices[0].delta.content or "")
    assert "Jane" not in "".join(received)  # 14 characters arrived, all held back


def test_refused_connection(fake_index: object, tmp_path: object) -> None:
    settings = Settings(index=fake_index, upstream=f"http://127.0.0.1:{free_port()}/v1", timeout_s=1.0)  # type: ignore[arg-type]
    with serve(create_app(settings, guard=load_fake(fake_index))) as url:  # type: ignore[arg-type]
        for stream in (False, True):
            resp = ask(url, "echo", stream=stream)
            assert resp.status_code == 502 and resp.json()["error"]["code"] == "upstream_unreachable"
        assert httpx.get(url + "/readyz").status_code == 503


@pytest.mark.parametrize(("content", "needle"), [
    (b"{not json", "JSON"),
    (b'{"model": "echo", "messages": "hello"}', "messages"),
    (b'{"model": 3, "messages": [{"role": "user", "content": "hi"}]}', "model"),
    (b'{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', "max_tokens"),
    (b'[1, 2]', "dictionary"),
])  # fmt: skip
def test_bad_bodies_are_400_with_a_message(proxy: str, content: bytes, needle: str) -> None:
    resp = httpx.post(proxy + CHAT, content=content, headers={"content-type": "application/json"}, timeout=10)
    assert resp.status_code == 400
    assert needle in resp.json()["error"]["message"]


def test_oversize_body_is_413(proxy: str) -> None:
    big = {"model": "echo", "messages": [{"role": "user", "content": "x" * 1_100_000}]}
    resp = httpx.post(proxy + CHAT, json=big, timeout=10)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "request_too_large"
