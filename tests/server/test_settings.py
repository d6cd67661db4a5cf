"""`Settings`: read once from ``GUARD_*`` variables, overridden by the command line, refused when inconsistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.exceptions import InputError
from guard.server import Settings


def test_from_env_then_overrides() -> None:
    env = {"GUARD_INDEX": "/tmp/ix", "GUARD_UPSTREAM": "http://127.0.0.1:1/v1", "GUARD_TIMEOUT_S": "2.5",
           "GUARD_AUDIT_TEXT": "yes", "GUARD_ADMIN_KEY": "k"}  # fmt: skip
    s = Settings.from_env(env, admin_key="cli-key", model=None)
    assert (s.index, s.timeout_s, s.audit_text, s.admin_key) == (Path("/tmp/ix"), 2.5, True, "cli-key")
    assert s.audit_path == Path("/tmp/ix-audit.sqlite3")


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"index": Path("ix")}, "exactly one upstream"),
    ({"index": Path("ix"), "upstream": "u", "model": "default"}, "exactly one upstream"),
    ({"model": "default"}, "--index"),
    ({"index": Path("ix"), "model": "default", "timeout_s": 0}, "positive"),
])  # fmt: skip
def test_inconsistent_settings_are_refused(kwargs: dict, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        Settings(**kwargs)


def test_bad_number_in_env() -> None:
    with pytest.raises(InputError, match="GUARD_MAX_TOKENS"):
        Settings.from_env({"GUARD_MAX_TOKENS": "many", "GUARD_MODEL": "default", "GUARD_GUARD": "0"})
