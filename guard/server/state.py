"""`ProxyState`: the objects the lifespan hook builds once, injected into the routes with ``Depends``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from guard.server.audit import AuditLog
from guard.server.engine import Engine
from guard.server.metrics import Metrics
from guard.server.settings import Settings
from guard.server.upstreams.base import Upstream


@dataclass
class ProxyState:
    settings: Settings
    engine: Engine
    upstream: Upstream
    metrics: Metrics
    audit: AuditLog | None = None


def get_state(request: Request) -> ProxyState:
    return request.app.state.proxy


State = Annotated[ProxyState, Depends(get_state)]  # a route parameter typed `State` gets the app's state
