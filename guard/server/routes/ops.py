"""Operations: ``/healthz`` (the process answers), ``/readyz`` (guard loaded, upstream reachable), ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from guard.server.state import State

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: State) -> Any:
    guarded = state.engine.guard is not None or not state.settings.guard
    upstream = await state.upstream.ready()
    ready = guarded and upstream
    body = {"status": "ready" if ready else "not ready", "guard": guarded, "upstream": upstream}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(state: State) -> Response:
    return Response(state.metrics.text(), media_type="text/plain; version=0.0.4; charset=utf-8")
