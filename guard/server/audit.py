"""The audit log: one SQLite row per guarded answer (time, request id, route, action, item ids, scores).

Prompts and outputs are stored only when ``text=True`` (``--audit-text``): by default the log says what
was suppressed and why, never what the text was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from guard.types import Action, Verdict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    time REAL NOT NULL,          -- seconds since the epoch
    request_id TEXT NOT NULL,
    route TEXT NOT NULL,
    action TEXT NOT NULL,        -- allow | redact | block | error
    item_ids TEXT NOT NULL,      -- JSON list of the items found
    scores TEXT NOT NULL,        -- JSON {item_id: highest finding score in [0, 1]}
    score REAL,                  -- the verdict's leak score in [0, 1] (higher = closer to a leak), if checked
    prompt TEXT,                 -- NULL unless text auditing is on
    output TEXT
)
"""


class AuditLog:
    """Append-only; safe to call from any thread."""

    def __init__(self, path: Path, *, text: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.text = text
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def record(self, request_id: str, route: str, action: Action | str, verdict: Verdict | None, *,
               prompt: str | None = None, output: str | None = None) -> None:  # fmt: skip
        findings = verdict.findings if verdict is not None else ()
        scores: dict[str, float] = {}
        for f in findings:
            scores[f.item_id] = max(scores.get(f.item_id, 0.0), round(f.score, 4))
        row = (time.time(), request_id, route, Action(action).value if isinstance(action, Action) else action,
               json.dumps(list(dict.fromkeys(f.item_id for f in findings))), json.dumps(scores),
               None if verdict is None else round(verdict.score, 4),
               prompt if self.text else None, output if self.text else None)  # fmt: skip
        with self._lock:
            self._db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def close(self) -> None:
        with self._lock:
            self._db.close()
