"""What an upstream produces: a response body and its `Outcome`, or a stream of events."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from guard.generators import REFUSAL
from guard.types import Action, Verdict

NOTICE = REFUSAL  # what replaces (or ends) an answer that would have contained forbidden content
CONTENT_FILTER = "content_filter"


@dataclass(frozen=True)
class Head:
    """The first event of a stream: the ids every chunk repeats."""

    id: str
    model: str
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass(frozen=True)
class Delta:
    """Checked text, safe to send."""

    text: str


@dataclass(frozen=True)
class End:
    """The last event: OpenAI's finish reason (``"content_filter"`` when guard acted) and the verdict, if any."""

    finish_reason: str
    verdict: Verdict | None = None


@dataclass(frozen=True)
class Outcome:
    """What guard did to one answer: for the audit log and the metrics."""

    action: Action = Action.ALLOW
    verdict: Verdict | None = None


Event = Head | Delta | End


class Upstream(Protocol):
    """``kind`` is ``"chat"`` (/v1/chat/completions) or ``"text"`` (/v1/completions)."""

    async def models(self) -> dict[str, Any]: ...

    async def complete(self, kind: str, request: Any, guard: Any) -> tuple[dict[str, Any], Outcome]: ...

    async def stream(self, kind: str, request: Any, guard: Any) -> AsyncIterator[Event]:
        """Raises `ProxyError` before returning when the upstream cannot start; errors later come as exceptions
        from the iterator."""
        ...

    async def ready(self) -> bool: ...

    async def aclose(self) -> None: ...


def new_id(kind: str) -> str:
    return ("chatcmpl-" if kind == "chat" else "cmpl-") + uuid.uuid4().hex[:24]


def outcome_of(verdict: Verdict | None) -> Outcome:
    if verdict is None or verdict.allowed:
        return Outcome(Action.ALLOW, verdict)
    return Outcome(Action.REDACT if verdict.action is Action.REDACT else Action.BLOCK, verdict)
