"""`Engine`: the live `Guard`, replaced whole on every takedown, and the one thread that runs guard work.

Requests take ``engine.guard`` once and use that object to the end, so each sees the old index or the new
one, never a mixture. A change (add or remove items) loads the live index from disk, changes it, saves it as
a new version (atomic, see `guard.index.store`), loads that version back and only then swaps the reference.

The embedder keeps an LRU cache and the decode loop keeps per-run state, so everything that embeds or
decodes runs on one worker thread (`Engine.run`): the event loop stays free, and no two checks race.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from guard.guard import Guard
from guard.types import Verdict

T = TypeVar("T")


class Engine:
    """Holds the live guard (None when serving unguarded) and serializes guard work on one thread."""

    def __init__(self, guard: Guard | None, *, index_path: Path | None = None) -> None:
        self.guard = guard
        self.index_path = index_path
        self._limiter = anyio.CapacityLimiter(1)
        self._write = asyncio.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the guard thread."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def check(self, text: str, guard: Guard | None = None) -> Verdict | None:
        """The verdict on ``text`` by ``guard`` (default: the live one); None when unguarded."""
        guard = guard or self.guard
        if guard is None:
            return None
        return await self.run(guard.check, text if text.strip() else " ")

    # --- takedowns ---------------------------------------------------------------------------------
    async def add(self, items: list[Any]) -> str:
        """Add policy items; enforced from the next request on; returns the new version's name."""
        from guard.index import add_items

        return await self._change(lambda index, guard: add_items(index, items, guard.embedder, translator=guard.translator))

    async def remove(self, item_ids: list[str]) -> str:
        return await self._change(lambda index, _: index.remove(item_ids))

    async def _change(self, change: Callable[[Any, Any], None]) -> str:
        guard, root = self.guard, self.index_path
        if guard is None or root is None:
            raise RuntimeError("takedowns need a guarded server with an index folder")
        async with self._write:
            self.guard, version = await self.run(_changed, guard, root, change)
        return version


def _changed(guard: Guard, root: Path, change: Callable[[Any, Any], None]) -> tuple[Guard, str]:
    from guard.index import Index

    index = Index.load(root, embedder=(guard.embedder.name, guard.embedder.dim), verify=False)
    change(index, guard)
    folder = index.save(root)
    fresh = Index.load(root, embedder=(guard.embedder.name, guard.embedder.dim))
    return Guard(fresh, guard.embedder, max_chars=guard.max_chars), folder.name
