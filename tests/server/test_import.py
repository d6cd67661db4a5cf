"""``import guard`` stays light: the server (FastAPI, uvicorn, httpx) is imported only by ``guard.server``."""

from __future__ import annotations

import subprocess
import sys


def test_import_guard_does_not_import_the_server() -> None:
    code = "import sys, guard; print(sorted(m for m in ('fastapi', 'uvicorn', 'guard.server') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names() -> None:
    import guard.server

    assert guard.server.__all__ == sorted(guard.server.__all__) == ["Settings", "create_app"]
