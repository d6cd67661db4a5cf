"""Takedowns at run time: ``POST/GET /v1/guard/items``, ``DELETE /v1/guard/items/{id}``, ``POST /v1/guard/check``.

Off (404) unless the server was started with an admin key; the key is compared in constant time. Changes
are saved as a new index version before they are enforced, so they survive a restart.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from guard.exceptions import GuardIndexError, PolicyError
from guard.server.errors import ProxyError
from guard.server.schemas import CheckRequest, ItemRequest
from guard.server.state import ProxyState, State

router = APIRouter(tags=["admin"])


def require_admin(request: Request, state: State) -> ProxyState:
    key = state.settings.admin_key
    if key is None or state.engine.guard is None:
        raise ProxyError(404, "the admin routes are off: start a guarded server with --admin-key", code="admin_disabled")
    given = request.headers.get("x-admin-key") or _bearer(request.headers.get("authorization", ""))
    if not hmac.compare_digest(given.encode(), key.encode()):
        raise ProxyError(401, "a valid admin key is required (Authorization: Bearer KEY or x-admin-key)",
                         type="authentication_error", code="invalid_admin_key")  # fmt: skip
    return state


Admin = Annotated[ProxyState, Depends(require_admin)]


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@router.post("/v1/guard/items", status_code=201)
async def add_item(body: ItemRequest, state: Admin) -> dict[str, Any]:
    from guard.policy import parse_item

    data = body.model_dump()
    if "source" in data:
        raise ProxyError(400, "'source' (a file on the server) is not accepted here: send the text", param="source")
    try:
        items = parse_item(data, where="the request body")
    except PolicyError as exc:
        raise ProxyError(400, str(exc)) from None
    try:
        version = await state.engine.add(items)
    except GuardIndexError as exc:
        raise ProxyError(409, str(exc), code="item_exists") from None
    return {"added": [it.id for it in items], "version": version}


@router.delete("/v1/guard/items/{item_id:path}")
async def remove_item(item_id: str, state: Admin) -> dict[str, Any]:
    guard = state.engine.guard
    if guard is None or guard.index.position(item_id) is None:
        raise ProxyError(404, f"no item with id {item_id!r} in the index", code="item_not_found")
    try:
        version = await state.engine.remove([item_id])
    except GuardIndexError as exc:  # removed by a concurrent request
        raise ProxyError(404, str(exc), code="item_not_found") from None
    return {"removed": item_id, "version": version}


@router.get("/v1/guard/items")
async def list_items(state: Admin) -> dict[str, Any]:
    guard = state.engine.guard
    assert guard is not None
    keys = ("id", "kind", "action", "metadata", "windows")
    return {"object": "list", "data": [{k: it.get(k) for k in keys} for it in guard.index.items]}


@router.post("/v1/guard/check")
async def check(body: CheckRequest, state: Admin) -> dict[str, Any]:
    verdict = await state.engine.check(body.text)
    assert verdict is not None
    return verdict.to_dict()
