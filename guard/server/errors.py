"""`ProxyError` and OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``.

Every error the proxy returns, its own or the upstream's, leaves in this shape, so the ``openai`` client
raises its usual exceptions (`openai.BadRequestError`, `openai.APIStatusError`...).
"""

from __future__ import annotations

from typing import Any


class ProxyError(Exception):
    """An error to return to the client: HTTP ``status`` and OpenAI's ``type`` and ``code``."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type=self.type, code=self.code, param=self.param)


def error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def upstream_error(message: str, *, status: int = 502, code: str = "upstream_error") -> ProxyError:
    """The upstream failed: fail closed, say so, never forward what it sent."""
    return ProxyError(status, message, type="upstream_error", code=code)
