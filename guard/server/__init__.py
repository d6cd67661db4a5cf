"""The sidecar proxy: an OpenAI-compatible server that suppresses forbidden content on the way back.

Importing this package imports FastAPI (the ``serve`` extra); ``import guard`` never does.

    settings.py     `Settings`: every option, read once from the command line or the environment
    app.py          `create_app`: builds the heavy objects in the lifespan hook and mounts the routes
    engine.py       `Engine`: the live `Guard`, swapped whole under a lock; all checks on one worker thread
    upstreams/      where completions come from: the in-process model (steerable) or an HTTP black box
    routes/         openai.py (/v1/...), admin.py (/v1/guard/...), ops.py (/healthz, /readyz, /metrics)
    audit.py        the SQLite audit log
    errors.py       `ProxyError` and OpenAI's error shape
"""

from guard.server.app import create_app
from guard.server.settings import Settings

__all__ = ["Settings", "create_app"]
