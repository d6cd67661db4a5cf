"""schemathesis against the proxy's own OpenAPI schema: whatever a client sends, never a 5xx (bounded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from guard.server import Settings, create_app

from .conftest import load_fake, serve

EXAMPLES = 15  # per operation


def _fuzz(operation: Any, url: str, failures: list[str], session: requests.Session) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def run(case: Any) -> None:
        # one session we close ourselves: a session per call leaves sockets for the GC (a ResourceWarning)
        response = case.call(base_url=url, session=session, headers={"x-admin-key": "secret"}, timeout=10)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

    run()


def test_no_5xx_on_generated_requests(fake_index: Path, upstream_url: str) -> None:
    app = create_app(Settings(index=fake_index, upstream=upstream_url, admin_key="secret", timeout_s=2.0),
                     guard=load_fake(fake_index))  # fmt: skip
    with serve(app) as url:
        schema = schemathesis.openapi.from_url(url + "/openapi.json")
        failures: list[str] = []
        operations = [op.ok() for op in schema.get_all_operations()]
        assert len(operations) >= 9
        with requests.Session() as session:
            for operation in operations:
                _fuzz(operation, url, failures, session)
        assert failures == []
