"""`create_app`: the FastAPI app. Heavy objects (the guard, the model, the HTTP client, the audit log) are built
once in the lifespan hook; tests pass ready-made ones instead.

Example:
    >>> app = create_app(Settings(index=Path("build/demo-index"), model="default"))   # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)                                 # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from guard.exceptions import GuardError
from guard.guard import Guard
from guard.server.audit import AuditLog
from guard.server.engine import Engine
from guard.server.errors import ProxyError, error_body
from guard.server.metrics import Metrics
from guard.server.middleware import BodyLimit, Measure, RequestId
from guard.server.routes import admin, openai, ops
from guard.server.settings import Settings
from guard.server.state import ProxyState
from guard.server.upstreams.base import Upstream


def create_app(settings: Settings, *, guard: Guard | None = None, model: tuple[Any, Any] | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:  # fmt: skip
    """The proxy for ``settings``. ``guard`` and ``model`` (``(model, tokenizer)``) skip loading them; ``transport``
    replaces the network under the HTTP upstream (tests)."""
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = Engine(guard if guard is not None else _load_guard(settings), index_path=settings.index)
        upstream = _upstream(settings, engine, model, transport)
        path = settings.audit_path
        audit = AuditLog(path, text=settings.audit_text) if path is not None else None
        app.state.proxy = ProxyState(settings, engine, upstream, metrics, audit)
        await engine.check("Warm up the embedder and the index before the first request.")
        try:
            yield
        finally:
            await upstream.aclose()
            if audit is not None:
                audit.close()

    app = FastAPI(title="guard proxy", version="0.1.0", lifespan=lifespan,
                  description="OpenAI-compatible proxy that suppresses forbidden content")  # fmt: skip
    for group in (openai, admin, ops):
        app.include_router(group.router)
    _handlers(app)
    app.add_middleware(Measure, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    return app


def _load_guard(settings: Settings) -> Guard | None:
    if not settings.guard:
        return None
    assert settings.index is not None
    return Guard.load(settings.index)


def _upstream(settings: Settings, engine: Engine, model: tuple[Any, Any] | None,
              transport: httpx.AsyncBaseTransport | None) -> Upstream:  # fmt: skip
    if settings.upstream is not None:
        from guard.server.upstreams.http import HttpUpstream

        return HttpUpstream(settings.upstream, engine, timeout_s=settings.timeout_s, transport=transport,
                            api_key=settings.upstream_api_key)  # fmt: skip
    from guard.server.upstreams.local import LocalModel

    if model is None:
        model = _load_model(settings.model or "default")
    return LocalModel(*model, engine, name=settings.model_name, max_tokens=settings.max_tokens)


def _load_model(spec: str) -> tuple[Any, Any]:
    if spec == "default":
        from guard.generators.embedded import load_embedded

        return load_embedded()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(spec, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(spec, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise GuardError(f"cannot load the model at {spec}: {exc}") from exc
    return model.eval(), tokenizer


# --- errors in OpenAI's shape ---------------------------------------------------------------------------
def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ProxyError)
    async def proxy_error(request: Request, exc: ProxyError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"invalid request: {where + ': ' if where else ''}{first.get('msg', 'malformed body')}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return JSONResponse(error_body(message, type="invalid_request_error", param=where or None), status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_body(str(exc.detail), type=kind), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(GuardError)
    async def guard_error(request: Request, exc: GuardError) -> JSONResponse:
        return JSONResponse(error_body(str(exc), type="invalid_request_error"), status_code=400)
