"""`Settings`: every option of the proxy, read once at the edge (command line or ``GUARD_*`` variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from guard.exceptions import InputError

_PREFIX = "GUARD_"


@dataclass(frozen=True)
class Settings:
    """How the proxy runs.

    Attributes:
        index: the index folder; admin changes are saved to it. None only with ``guard=False``.
        upstream: base URL of an OpenAI-compatible server (``http://host:port/v1``): a black box.
        upstream_api_key: sent to the upstream as ``Authorization: Bearer``; clients' keys are never forwarded.
        model: ``"default"`` (the embedded SmolLM2) or a local transformers folder: steerable, in-process.
        guard: False serves unguarded (a plain OpenAI-compatible server, for tests and comparisons).
        admin_key: the key the admin routes require; None turns them off.
        audit_db: the SQLite audit log (None: ``<index>/../audit.sqlite3`` beside the index, or off unguarded).
        audit_text: also store prompts and outputs in the audit log (off: ids, scores and actions only).
        check_prompt: refuse (400, code ``content_filter``) a request whose user messages or prompt already
            contain forbidden content, before anything is generated (pasted text to translate, summarize...).
        timeout_s: seconds to wait for the upstream (connect, and between bytes of a stream).
        max_body_bytes: larger request bodies are refused with 413.
        max_tokens: the most new tokens one request may ask of the in-process model.
        model_name: the model id the in-process model is served as.
    """

    index: Path | None = None
    upstream: str | None = None
    upstream_api_key: str | None = None
    model: str | None = None
    guard: bool = True
    admin_key: str | None = None
    audit_db: Path | None = None
    audit_text: bool = False
    check_prompt: bool = False
    timeout_s: float = 60.0
    max_body_bytes: int = 1_000_000
    max_tokens: int = 1024
    model_name: str = "smollm2-135m-instruct"

    def __post_init__(self) -> None:
        if (self.upstream is None) == (self.model is None):
            raise InputError("give exactly one upstream: --upstream URL (a black box) or --model default|PATH")
        if self.guard and self.index is None:
            raise InputError("give --index DIR to guard the upstream, or --no-guard")
        if self.timeout_s <= 0 or self.max_body_bytes <= 0 or self.max_tokens <= 0:
            raise InputError("timeout_s, max_body_bytes and max_tokens must be positive")

    @property
    def audit_path(self) -> Path | None:
        if self.audit_db is not None:
            return self.audit_db
        return self.index.with_name(self.index.name + "-audit.sqlite3") if self.guard and self.index else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``GUARD_INDEX``, ``GUARD_UPSTREAM``, ``GUARD_MODEL``, ``GUARD_ADMIN_KEY``... then ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f.name, raw, f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, default: object) -> object:
    if name in ("index", "audit_db"):
        return Path(raw)
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise InputError(f"{_PREFIX}{name.upper()}={raw!r} is not a number") from None
    return raw
