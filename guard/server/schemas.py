"""Request bodies, validated: the fields the proxy reads are typed; every other field is kept and passed on.

They also make the OpenAPI schema that clients and the schemathesis test read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    """Unknown fields are allowed and forwarded to an HTTP upstream unchanged."""

    model_config = ConfigDict(extra="allow")


class Message(_Open):
    role: str = Field(min_length=1, max_length=64)
    content: str | list[dict[str, Any]] | None = None


class _Common(_Open):
    model: str = Field(min_length=1, max_length=256)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    n: int | None = Field(default=None, ge=1, le=16)

    def new_tokens(self, default: int) -> int:
        return self.max_completion_tokens or self.max_tokens or default


class ChatRequest(_Common):
    messages: list[Message] = Field(min_length=1, max_length=1024)


class CompletionRequest(_Common):
    prompt: str | list[str] = Field(max_length=1_000_000)

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else "".join(self.prompt)


class ItemRequest(_Open):
    """One policy item, the same fields as in the policy file (see `guard.policy`)."""

    id: str
    kind: Literal["content", "concept"] = "content"


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000)


def dump(request: BaseModel) -> dict[str, Any]:
    """The body to forward: every field the client sent (known and unknown), nothing the proxy added."""
    return request.model_dump(exclude_unset=True)
