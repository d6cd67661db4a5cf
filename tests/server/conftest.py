"""Fixtures for the proxy tests: real servers on loopback (uvicorn in a thread), a scripted upstream, and a
guard built instantly from the demo policy's content items with the fake embedder."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from guard.guard import Guard
from guard.server import Settings, create_app

from ..conftest import DEMO, FakeEmbedder
from .fake_upstream import fake_upstream

PASSAGE = (DEMO / "lighthouse.txt").read_text(encoding="utf-8").strip()
JANE = "Jane Roe was born on 14 March 1987 in Duluth, Minnesota. She lives at 4410 Larkspur Lane, Apartment 3B"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yield its base URL (``http://127.0.0.1:PORT``)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    with serve(fake_upstream()) as url:
        yield url + "/v1"


@pytest.fixture
def fake_index(tmp_path: Path) -> Path:
    """The demo policy's content items, fake embedder, saved to a fresh folder (admin tests change it)."""
    from guard.index import build_index
    from guard.policy import load_policy

    items = [it for it in load_policy(DEMO / "policy.yaml").items if it.kind == "content"]
    build_index(items, FakeEmbedder()).save(tmp_path / "index")
    return tmp_path / "index"


def load_fake(index: Path) -> Guard:
    from guard.index import Index

    embedder = FakeEmbedder()
    return Guard(Index.load(index, embedder=(embedder.name, embedder.dim)), embedder)


@pytest.fixture
def proxy(fake_index: Path, upstream_url: str) -> Iterator[str]:
    """A guarded proxy (admin key "secret") in front of the scripted upstream; yields its base URL."""
    settings = Settings(index=fake_index, upstream=upstream_url, admin_key="secret", timeout_s=1.0)
    with serve(create_app(settings, guard=load_fake(fake_index))) as url:
        yield url


_opened: list[openai.OpenAI] = []


def openai_client(url: str, *, timeout: float = 10) -> openai.OpenAI:
    """An ``openai.OpenAI`` client of the server at ``url`` (its base URL, without ``/v1``), closed when the test
    ends: a client left to the garbage collector can have its sockets collected first, and their
    ResourceWarning lands on whichever test runs then."""
    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=timeout)
    _opened.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
