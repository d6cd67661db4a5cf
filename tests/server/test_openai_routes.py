"""The OpenAI-compatible routes in front of an HTTP black box, driven by the official ``openai`` client."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from guard.server import Settings, create_app

from .conftest import JANE, PASSAGE, load_fake, openai_client, serve

BENIGN = "The weather in the valley was mild all week, and the farmers brought in the late harvest early."


def test_chat_passes_benign_text_and_unknown_fields(proxy: str) -> None:
    reply = openai_client(proxy).chat.completions.create(
        model="echo", messages=[{"role": "user", "content": BENIGN}], extra_body={"guard_test_field": 7}
    )
    assert reply.choices[0].message.content == BENIGN
    assert reply.choices[0].finish_reason == "stop"
    assert reply.to_dict()["echo_body"]["guard_test_field"] == 7  # forwarded to the upstream


def test_chat_blocks_forbidden_text(proxy: str) -> None:
    reply = openai_client(proxy).chat.completions.create(model="echo", messages=[{"role": "user", "content": JANE}])
    assert reply.choices[0].finish_reason == "content_filter"
    assert "Larkspur" not in (reply.choices[0].message.content or "")


def test_completion_redacts_the_passage(proxy: str) -> None:
    reply = openai_client(proxy).completions.create(model="echo", prompt=f"{BENIGN} {PASSAGE}")
    assert reply.choices[0].finish_reason == "content_filter"
    assert "[REDACTED]" in reply.choices[0].text and BENIGN in reply.choices[0].text


@pytest.mark.parametrize("text", [BENIGN, f"{BENIGN} {JANE}", f"{BENIGN} {PASSAGE}"])
def test_chat_stream_releases_only_checked_text(proxy: str, text: str) -> None:
    stream = openai_client(proxy).chat.completions.create(model="echo", messages=[{"role": "user", "content": text}],
                                                  stream=True)  # fmt: skip
    chunks = list(stream)
    received = "".join(c.choices[0].delta.content or "" for c in chunks)
    finish = chunks[-1].choices[0].finish_reason
    if text == BENIGN:
        assert received == BENIGN and finish == "stop"
    else:
        assert finish == "content_filter"
        assert "Larkspur Lane" not in received and "Gull Rock light" not in received


def test_sse_framing_is_openai_s(proxy: str) -> None:
    body = {"model": "echo", "prompt": BENIGN, "stream": True}
    raw = httpx.post(proxy + "/v1/completions", json=body, timeout=10).text
    events = raw.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: {") for e in events[:-2])
    assert '"finish_reason":"stop"' in events[-3]


def test_models_come_from_the_upstream(proxy: str) -> None:
    assert [m.id for m in openai_client(proxy).models.list()] == ["echo"]


def test_errors_have_openai_s_shape(proxy: str) -> None:
    with pytest.raises(openai.NotFoundError):
        openai_client(proxy).post("/nowhere", cast_to=httpx.Response, body={})
    resp = httpx.post(proxy + "/v1/chat/completions", json={"model": "echo", "messages": []}, timeout=10)
    assert resp.status_code == 400
    assert set(resp.json()["error"]) == {"message", "type", "param", "code"}


def test_tool_call_arguments_are_checked(proxy: str) -> None:
    ok = openai_client(proxy).chat.completions.create(model="tool", messages=[{"role": "user", "content": BENIGN}])
    assert ok.choices[0].message.tool_calls and ok.choices[0].finish_reason == "tool_calls"
    bad = openai_client(proxy).chat.completions.create(model="tool", messages=[{"role": "user", "content": JANE}])
    assert bad.choices[0].finish_reason == "content_filter" and not bad.choices[0].message.tool_calls


def test_streams_carry_one_choice_of_text(proxy: str) -> None:
    with pytest.raises(openai.BadRequestError, match="one choice"):
        openai_client(proxy).chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}], n=2,
                                              stream=True)  # fmt: skip


def test_prompt_side_policy_refuses_before_generation(fake_index: Path, upstream_url: str) -> None:
    settings = Settings(index=fake_index, upstream=upstream_url, check_prompt=True)
    with serve(create_app(settings, guard=load_fake(fake_index))) as url:
        with pytest.raises(openai.BadRequestError) as caught:
            openai_client(url).chat.completions.create(
                model="echo", messages=[{"role": "user", "content": f"Translate into French: {JANE}"}])
        assert caught.value.code == "content_filter"
        ok = openai_client(url).chat.completions.create(model="echo", messages=[{"role": "user", "content": BENIGN}])
        assert ok.choices[0].message.content == BENIGN
