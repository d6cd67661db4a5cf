"""The on-disk layout of an index folder, and atomic, checksummed writes.

    DIR/
      CURRENT              the name of the live version, e.g. "v000003" (replaced atomically)
      v000003/
        manifest.json      format, embedder, normalization and facts versions, counts, thresholds, sha256 of each file
        items.json         ids, kinds, actions, metadata, window facts, each content item's text (unless --no-text)
        *.npy              arrays, written with numpy's format and read with allow_pickle=False
        ann.faiss          approximate-search structure (HNSW/IVF indexes only)

A write builds a complete new version in a temporary folder, fsyncs it, renames it into place and only then
swaps ``CURRENT``. A crash or kill at any point leaves the previous version live and intact, and a reader
always sees a whole version, old or new. Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from guard.exceptions import GuardIndexError

FORMAT = "guard-index"
FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
_KEEP_VERSIONS = 2  # the live one and the one before it


def live_version(root: Path) -> Path:
    """The folder of the live version; `GuardIndexError` if ``root`` is not an index."""
    if not root.is_dir():
        raise GuardIndexError(f"index folder not found: {root}")
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise GuardIndexError(f"{root} is not a guard index (no {CURRENT} file); build one with `guard index build`") from None
    folder = root / name
    if not name.startswith("v") or not folder.is_dir():
        raise GuardIndexError(f"{root}: {CURRENT} names a missing version {name!r}; the index is corrupt")
    return folder


def read_manifest(folder: Path, *, verify: bool = True) -> dict[str, Any]:
    """Read ``manifest.json`` and (by default) check every listed file's sha256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GuardIndexError(f"{folder}: {MANIFEST} is missing; the index is corrupt") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GuardIndexError(f"{folder}: {MANIFEST} is unreadable ({exc}); the index is corrupt") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise GuardIndexError(f"{folder}: not a guard index manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise GuardIndexError(
            f"{folder}: index format {manifest.get('format_version')} is not supported (this guard reads "
            f"{FORMAT_VERSION}); rebuild it with `guard index build`"
        )
    if verify:
        for name, digest in manifest.get("files", {}).items():
            _verify(folder / name, digest)
    return manifest


def _verify(path: Path, digest: str) -> None:
    if not path.is_file():
        raise GuardIndexError(f"{path.parent}: {path.name} is missing; the index is corrupt")
    if sha256(path) != digest:
        raise GuardIndexError(f"{path.parent}: {path.name} fails its checksum; the index is corrupt")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Serialize writers of one index (readers never wait)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def commit(root: Path, write: Callable[[Path], dict[str, Any]]) -> Path:
    """Write a new version of the index at ``root`` and make it live; return its folder.

    ``write(folder)`` writes the data files into an empty temporary folder and returns the manifest
    (without ``files``); checksums are added here and the manifest is written last.
    """
    if root.is_dir() and not (root / CURRENT).exists() and any(p.name != ".lock" for p in root.iterdir()):
        raise GuardIndexError(f"{root} is a non-empty folder that is not a guard index; choose another --out")
    with locked(root):
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            manifest = write(tmp)
            manifest["format"], manifest["format_version"] = FORMAT, FORMAT_VERSION
            manifest["files"] = {p.name: sha256(p) for p in sorted(tmp.iterdir())}
            _write_json(tmp / MANIFEST, manifest)
            _fsync_tree(tmp)
            folder = root / _next_version(root)
            os.rename(tmp, folder)
            _write_current(root, folder.name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _prune(root, keep=folder.name)
    return folder


def _next_version(root: Path) -> str:
    numbers = [int(p.name[1:]) for p in root.iterdir() if p.is_dir() and p.name[1:].isdigit() and p.name[0] == "v"]
    return f"v{max(numbers, default=0) + 1:06d}"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for p in folder.iterdir():
        with p.open("rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_current(root: Path, name: str) -> None:
    tmp = root / f".{CURRENT}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync_dir(root)


def _prune(root: Path, *, keep: str) -> None:
    """Remove stale temporary folders and all but the newest versions."""
    versions = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit())
    for old in versions[:-_KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob(".tmp-*"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)


def link_or_copy(src: Path, dst: Path) -> None:
    """Reuse an unchanged file of the previous version (files of a version are never modified)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
