"""/healthz, /readyz, /metrics and the audit log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from .conftest import JANE


def test_health_ready_metrics(proxy: str) -> None:
    assert httpx.get(proxy + "/healthz").json() == {"status": "ok"}
    assert httpx.get(proxy + "/readyz").json()["status"] == "ready"
    httpx.post(proxy + "/v1/chat/completions", json={"model": "echo", "messages": [{"role": "user", "content": JANE}]})
    text = httpx.get(proxy + "/metrics").text
    assert 'guard_requests_total{route="/v1/chat/completions",status="200"} 1.0' in text
    assert 'guard_suppressions_total{action="block",item="jane-roe-record"} 1.0' in text
    assert "guard_request_seconds_bucket" in text


def test_audit_log_has_ids_and_scores_but_no_text(proxy: str, fake_index: Path) -> None:
    rid = "test-request-1"
    resp = httpx.post(proxy + "/v1/chat/completions", headers={"x-request-id": rid},
                      json={"model": "echo", "messages": [{"role": "user", "content": JANE}]})  # fmt: skip
    assert resp.headers["x-request-id"] == rid
    db = sqlite3.connect(fake_index.with_name("index-audit.sqlite3"))
    rows = db.execute("SELECT request_id, action, item_ids, scores, prompt, output FROM audit").fetchall()
    db.close()
    assert rows[-1][:2] == (rid, "block") and json.loads(rows[-1][2]) == ["jane-roe-record"]
    assert json.loads(rows[-1][3])["jane-roe-record"] > 0.5 and rows[-1][4:] == (None, None)
