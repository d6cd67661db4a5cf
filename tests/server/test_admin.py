"""Takedowns at run time: key checks, enforcement on the next request, persistence, atomic swaps."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from guard.server import Settings, create_app

from .conftest import load_fake, serve

KEY = {"x-admin-key": "secret"}
SECRET = "The vault under the old mill opens with the phrase amber falcon nine over the river bend."


def say(proxy: str, text: str) -> dict:
    body = {"model": "echo", "messages": [{"role": "user", "content": text}]}
    return httpx.post(proxy + "/v1/chat/completions", json=body, timeout=10).json()["choices"][0]


def test_admin_needs_the_key(proxy: str) -> None:
    assert httpx.get(proxy + "/v1/guard/items").status_code == 401
    assert httpx.get(proxy + "/v1/guard/items", headers={"x-admin-key": "secrex"}).status_code == 401
    assert httpx.get(proxy + "/v1/guard/items", headers={"authorization": "Bearer secret"}).status_code == 200


def test_admin_is_off_without_a_key(fake_index: Path, upstream_url: str) -> None:
    app = create_app(Settings(index=fake_index, upstream=upstream_url), guard=load_fake(fake_index))
    with serve(app) as url:
        resp = httpx.get(url + "/v1/guard/items", headers=KEY)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "admin_disabled"


def test_takedown_is_enforced_next_request_and_survives_restart(proxy: str, fake_index: Path, upstream_url: str) -> None:
    assert say(proxy, SECRET)["finish_reason"] == "stop"
    resp = httpx.post(proxy + "/v1/guard/items", headers=KEY, json={"id": "vault", "text": SECRET, "metadata": {"case": 7}})
    assert resp.status_code == 201, resp.text
    assert say(proxy, SECRET)["finish_reason"] == "content_filter"
    listed = httpx.get(proxy + "/v1/guard/items", headers=KEY).json()["data"]
    assert {"id": "vault", "kind": "content", "action": "block", "metadata": {"case": 7}} .items() <= listed[-1].items()
    assert SECRET not in httpx.get(proxy + "/v1/guard/items", headers=KEY).text
    assert httpx.post(proxy + "/v1/guard/items", headers=KEY, json={"id": "vault", "text": SECRET}).status_code == 409
    check = httpx.post(proxy + "/v1/guard/check", headers=KEY, json={"text": SECRET}).json()
    assert not check["allowed"] and check["findings"][0]["item_id"] == "vault"

    app = create_app(Settings(index=fake_index, upstream=upstream_url), guard=load_fake(fake_index))  # a restart
    with serve(app) as restarted:
        assert say(restarted, SECRET)["finish_reason"] == "content_filter"

    assert httpx.delete(proxy + "/v1/guard/items/vault", headers=KEY).status_code == 200
    assert say(proxy, SECRET)["finish_reason"] == "stop"
    assert httpx.delete(proxy + "/v1/guard/items/vault", headers=KEY).status_code == 404


def test_bad_items_are_refused(proxy: str) -> None:
    for item in ({"id": "x", "kind": "content"}, {"id": "x", "source": "/etc/passwd"}, {"id": "", "text": "t"},
                 {"id": "x", "text": "t", "action": "explode"}):  # fmt: skip
        resp = httpx.post(proxy + "/v1/guard/items", headers=KEY, json=item)
        assert resp.status_code == 400, (item, resp.text)


def test_requests_during_takedowns_see_a_whole_index(proxy: str) -> None:
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=10) as c:
            for _ in range(200):
                if stop.is_set():
                    return
                resp = c.post(proxy + "/v1/chat/completions",
                              json={"model": "echo", "messages": [{"role": "user", "content": SECRET}]})  # fmt: skip
                if resp.status_code != 200:
                    errors.append(resp.text)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(3):
            assert httpx.post(proxy + "/v1/guard/items", headers=KEY, json={"id": f"v{n}", "text": SECRET}).status_code == 201
            assert httpx.delete(proxy + f"/v1/guard/items/v{n}", headers=KEY).status_code == 200
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
