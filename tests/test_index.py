from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from guard.exceptions import EmbedderMismatchError, GuardIndexError
from guard.guard import Guard
from guard.index import Index, add_items, build_index, store
from guard.policy import parse_item, parse_policy

from .conftest import FakeEmbedder

POLICY = {
    "items": [
        {"id": "secret", "text": "The vault code of the Harbor Street bank is seven three nine one. Only Ada knows it."},
        {"id": "recipe", "action": "redact", "text": "Grandma Olive's recipe: two cups of rye flour, one egg, and a pinch of saffron."},
        {"id": "robot", "kind": "concept", "examples": ["a tin robot named Bolt who sings opera"],
         "allow": ["an industrial robot arm welding cars"]},
    ]
}  # fmt: skip


def build(tmp_path: Path, embedder: FakeEmbedder, **kw: object) -> Path:
    out = tmp_path / "index"
    build_index(parse_policy(POLICY).items, embedder, **kw).save(out)  # type: ignore[arg-type]
    return out


def test_round_trip_keeps_everything(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    root = build(tmp_path, fake_embedder)
    index = Index.load(root, embedder=(fake_embedder.name, fake_embedder.dim))
    assert [it["id"] for it in index.items] == ["secret", "recipe", "robot"]
    counts = index.manifest["counts"]
    assert counts["content_windows"] == len(index.arrays["vectors"]) > 0
    assert counts["concept_entries"] == 2 and counts["verbatim_ngrams"] > 0
    assert index.manifest["embedder"] == {"name": "fake-bow", "dim": 64, "spec": "fake"}
    assert set(index.manifest["files"]) >= {"vectors.npy", "items.json", "ngram_hash.npy"}
    # item texts are kept for the second stage (`--no-text` keeps them out: tests/test_second_stage.py)
    assert "vault code" in (root / store.live_version(root).name / "items.json").read_text()


def test_add_and_remove_take_effect_without_rebuild(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    root = build(tmp_path, fake_embedder)
    guard = Guard(Index.load(root), fake_embedder)
    text = "Reminder: the lighthouse ledger lists forty one barrels of lamp oil in the cellar."
    assert guard.check(text).allowed
    add_items(guard.index, parse_item({"id": "ledger", "text": text}), fake_embedder)
    guard.index.save(root)
    reloaded = Guard(Index.load(root), fake_embedder)
    assert reloaded.check(text).item_ids == ("ledger",)
    reloaded.index.remove(["secret"])
    reloaded.index.save(root)
    again = Guard(Index.load(root), fake_embedder)
    assert [it["id"] for it in again.index.items] == ["recipe", "robot", "ledger"]
    assert again.check(POLICY["items"][0]["text"]).allowed  # type: ignore[index]
    assert again.check(text).item_ids == ("ledger",)


def test_adding_an_existing_id_or_removing_a_missing_one_fails(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    index = Index.load(build(tmp_path, fake_embedder))
    with pytest.raises(GuardIndexError, match="already has item"):
        add_items(index, parse_item({"id": "secret", "text": "x y z"}), fake_embedder)
    with pytest.raises(GuardIndexError, match="no item with id 'nope'"):
        index.remove(["nope"])


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_removal_rebuilds_the_search_structure(tmp_path: Path, fake_embedder: FakeEmbedder, kind: str) -> None:
    root = build(tmp_path, fake_embedder, ann_kind=kind)
    index = Index.load(root)
    index.remove(["recipe"])
    index.save(root)
    index = Index.load(root)
    assert index.ann_index.ntotal == len(index.arrays["vectors"]) == len(index.arrays["window_item"])
    assert set(index.arrays["window_item"].tolist()) <= {0, 1}


def test_ivf_refuses_too_few_vectors(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(GuardIndexError, match="needs at least"):
        build(tmp_path, fake_embedder, ann_kind="ivf")


def test_embedder_mismatch_is_refused(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    root = build(tmp_path, fake_embedder)
    with pytest.raises(EmbedderMismatchError, match="built with embedder 'fake-bow'"):
        Index.load(root, embedder=("all-MiniLM-L6-v2", 384))
    with pytest.raises(EmbedderMismatchError, match="dim 64"):
        Index.load(root, embedder=("fake-bow", 32))


def test_corrupt_or_missing_files_are_refused(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    root = build(tmp_path, fake_embedder)
    live = store.live_version(root)
    with (live / "vectors.npy").open("r+b") as f:
        f.seek(-4, os.SEEK_END)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(GuardIndexError, match="vectors.npy fails its checksum"):
        Index.load(root)
    (live / "items.json").unlink()
    with pytest.raises(GuardIndexError, match="items.json is missing"):
        Index.load(root)
    (live / "manifest.json").write_text("{not json")
    with pytest.raises(GuardIndexError, match="manifest.json is unreadable"):
        Index.load(root)
    with pytest.raises(GuardIndexError, match="not a guard index"):
        Index.load(tmp_path)
    with pytest.raises(GuardIndexError, match="index folder not found"):
        Index.load(tmp_path / "absent")


def test_failed_write_leaves_previous_version_live(tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build(tmp_path, fake_embedder)
    before = store.live_version(root).name
    index = Index.load(root)
    index.remove(["secret"])

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        index.save(root)
    assert store.live_version(root).name == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".tmp")] == []
    assert [it["id"] for it in Index.load(root).items] == ["secret", "recipe", "robot"]


_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from guard.index import Index, add_items
    from guard.policy import parse_item
    emb = FakeEmbedder()
    index = Index.load({root!r})
    for n in range(10_000):
        add_items(index, parse_item({{"id": f"{tag}-{{n}}", "text": f"entry {{n}} " * 200}}), emb)
        index.save({root!r})
        print(n, flush=True)
    """
)


def test_killed_writer_leaves_a_loadable_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    root = build(tmp_path, fake_embedder)
    script = _WRITER.format(tests=str(Path(__file__).parent), root=str(root), tag="{tag}")
    for tag, delay in (("a", 0.5), ("b", 1.3), ("c", 2.1)):
        code = script.replace("{tag}", tag)
        with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            proc.stdout.readline()  # at least one write has finished
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        index = Index.load(root)  # verifies every checksum
        ids = [it["id"] for it in index.items]
        assert ids[:3] == ["secret", "recipe", "robot"] and len(ids) > 3
        assert index.ann_index.ntotal == len(index.arrays["vectors"])


def test_manifest_is_json_and_has_no_pickle(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    live = store.live_version(build(tmp_path, fake_embedder))
    manifest = json.loads((live / "manifest.json").read_text())
    assert manifest["format"] == "guard-index" and manifest["normalization_version"]
    for name in manifest["files"]:
        if name.endswith(".npy"):
            np.load(live / name, allow_pickle=False)


def test_refuses_to_write_into_a_folder_that_is_not_an_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(GuardIndexError, match="not a guard index"):
        build_index(parse_policy(POLICY).items, fake_embedder).save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
