"""The index in memory: items, content windows and their vectors, concept entries, the verbatim layer.

Arrays are addressed by *item position* (the item's place in ``items``); removal rewrites positions.
`Index.load` and `Index.save` go through `guard.index.store`, so every write is atomic and checksummed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from guard.detectors import facts
from guard.detectors.verbatim import ItemFacts, VerbatimLayer
from guard.detectors.verbatim import item_facts as read_item_facts
from guard.embedding import Embedder
from guard.exceptions import EmbedderMismatchError, GuardIndexError
from guard.index import ann, store
from guard.normalize import NORMALIZATION_VERSION, View, canonical
from guard.types import Action
from guard.windows import Window, units, windows

# 1% false blocks in all (matchers sharing the budget) on ~4,500 benign texts (STS-B train, two Gutenberg books, half of TOFU retain90) against
# an index of the 400 TOFU forget10 answers and four authors as concepts: `python -m benchmarks defaults`
# (benchmarks/results/defaults.json), with the second stage off: it was trained on part of that benign set. Its
# doubt only lowers scores; its whole-item reading can raise one, and what that does to false blocks at these
# thresholds is measured on held-out benign text (README). `guard calibrate` replaces them with figures for
# your own index, with everything on.
# concept_margin is a design choice, not calibrated: how much closer to the concept than to an allowed
# near-miss a window must be.
DEFAULT_THRESHOLDS: dict[str, float] = {"verbatim": 0.645, "semantic": 0.744, "concept": 0.620, "translation": 0.730,
                                        "concept_margin": 0.03}
DEFAULT_THRESHOLDS_SOURCE = "python -m benchmarks defaults"

_ARRAYS = {
    "window_item": np.int32, "window_span": np.int32, "vectors": np.float32,
    "concept_item": np.int32, "concept_role": np.int8, "concept_vectors": np.float32,
    "ngram_hash": np.uint64, "ngram_item": np.int32, "item_length": np.int32,
}  # fmt: skip


@dataclass
class Index:
    """A loaded (or freshly built) index. Mutate it only through `add` and `remove`, then `save`."""

    manifest: dict[str, Any]
    items: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]
    ann_index: Any = None
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)  # built lazily, dropped on change

    # --- properties -------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.manifest["embedder"]["dim"])

    @property
    def ann_kind(self) -> str:
        return str(self.manifest["ann"]["kind"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {**DEFAULT_THRESHOLDS, **self.manifest.get("thresholds", {})}

    def _cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Per-index values derived from the items and arrays: built once, not on every check."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    @property
    def item_meta(self) -> list[tuple[str, str]]:
        """``(id, kind)`` per item position."""
        return self._cached("meta", lambda: [(it["id"], it["kind"]) for it in self.items])

    @property
    def item_ids(self) -> frozenset[str]:
        """Every item's id (for holding all items to a stricter bar: `Guard.check`'s ``suspects``)."""
        return self._cached("ids", lambda: frozenset(it["id"] for it in self.items))

    @property
    def actions(self) -> dict[str, Action]:
        """Each item's action, by id."""
        return self._cached("actions", lambda: {it["id"]: Action(it["action"]) for it in self.items})

    @property
    def verbatim(self) -> VerbatimLayer:
        a = self.arrays
        return self._cached("verbatim", lambda: VerbatimLayer(a["ngram_hash"], a["ngram_item"], a["item_length"]))

    @property
    def window_facts(self) -> list[frozenset[int]]:
        """Per content window row, its facts (`guard.detectors.facts`); empty for items indexed without them."""
        return self._cached("facts", self._window_facts)

    def _window_facts(self) -> list[frozenset[int]]:
        out: list[frozenset[int]] = []
        for it in self.items:
            if it["kind"] == "content":
                out += [frozenset(f) for f in it.get("facts", [[]] * it["windows"])]
        return out

    @property
    def concept_names(self) -> dict[int, frozenset[int]]:
        """Per concept item position, the hashed names that anchor a window to it (`guard.detectors.names`)."""
        return self._cached("names", lambda: {p: frozenset(it["names"]) for p, it in enumerate(self.items)
                                              if it["kind"] == "concept" and it.get("names")})

    @property
    def window_texts(self) -> list[str | None]:
        """Per content window row, its text: what the second stage (`guard.rerank`) reads as the item's side
        of a matched pair. None for items indexed without their text."""
        return self._cached("texts", self._window_texts)

    def _window_texts(self) -> list[str | None]:
        a = self.arrays
        out: list[str | None] = []
        for owner, (start, end) in zip(a["window_item"].tolist(), a["window_span"].tolist()):
            text = self.items[owner].get("text")
            out.append(text[start:end] if isinstance(text, str) else None)
        return out

    def unit_rows(self, item: int) -> np.ndarray:
        """The rows of item ``item``'s one-sentence windows (one unit of `guard.windows.windows`), found from
        the kept item text on first use; empty without it."""
        found: dict[int, np.ndarray] = self._cached("units_by_item", dict)
        if item not in found:
            text = self.items[item].get("text")
            rows: list[int] = []
            if isinstance(text, str):
                view, cut = content_windows(text)
                spans = {tuple(view.span(w.start, w.end)) for w in cut if w.units == 1}
                rows = [r for r in np.flatnonzero(self.arrays["window_item"] == item).tolist()
                        if tuple(self.arrays["window_span"][r].tolist()) in spans]
            found[item] = np.array(rows, np.int64)
        return found[item]

    def whole_row(self, item: int) -> int | None:
        """The row of the window that holds item ``item``'s whole text (an item of at most three sentences
        within `guard.windows.MAX_WINDOW_WORDS`), found from the kept item text on first use; None for a longer
        item or one indexed without its text."""
        found: dict[int, int | None] = self._cached("whole_by_item", dict)
        if item not in found:
            text = self.items[item].get("text")
            row = None
            if isinstance(text, str):
                view, cut = content_windows(text)
                spans = units(view.text)
                whole = [w for w in cut if spans and (w.start, w.end) == (spans[0][0], spans[-1][1])]
                if whole:
                    span = view.span(whole[0].start, whole[0].end)
                    rows = np.flatnonzero(self.arrays["window_item"] == item).tolist()
                    row = next((r for r in rows if tuple(self.arrays["window_span"][r].tolist()) == tuple(span)), None)
            found[item] = row
        return found[item]

    def window_names(self, row: int) -> facts.Names | None:
        """The names in content window ``row`` and every word of its item (`guard.detectors.facts.terms`,
        `~guard.detectors.facts.words`), read from the kept item text on first use; None without it."""
        found: dict[int, facts.Names | None] = self._cached("names_by_row", dict)
        if row not in found:
            found[row] = self._window_names(row)
        return found[row]

    def _window_names(self, row: int) -> facts.Names | None:
        text = self.window_texts[row] if row < len(self.window_texts) else None
        if text is None:
            return None
        owner = int(self.arrays["window_item"][row])
        vocab: dict[int, frozenset[str]] = self._cached("words_by_item", dict)
        if owner not in vocab:
            vocab[owner] = facts.words(self.items[owner]["text"])
        return facts.terms(text), vocab[owner]  # the item side reads its whole text's words

    def item_facts(self, item: int) -> ItemFacts | None:
        """Item ``item``'s facts, names, words and rare names (`guard.detectors.verbatim.item_facts`), read from
        its kept text on first use, for the verbatim layer's frame rule; None without its text."""
        found: dict[int, ItemFacts | None] = self._cached("facts_by_item", dict)
        if item not in found:
            text = self.items[item].get("text")
            found[item] = read_item_facts(text) if isinstance(text, str) else None
        return found[item]

    def translated(self, embedder: Embedder) -> Any:
        """A FAISS structure over the content windows in ``embedder``'s space (the translation check's
        multilingual one): the stored ``translated`` vectors, or built from the kept item texts on first use."""
        return self._cached(f"translated:{embedder.name}", lambda: ann.new("flat", embedder.dim, self.translated_vectors(embedder)))

    def keeps_translated(self, embedder: Embedder) -> bool:
        """Whether the index holds its content windows' vectors in ``embedder``'s space."""
        kept = self.manifest.get("translations", {})
        return "translated" in self.arrays and kept.get("embedder") == embedder.name and kept.get("text") == TRANSLATED_TEXT

    def translated_vectors(self, embedder: Embedder) -> np.ndarray:
        """Per content window row, its vector in ``embedder``'s space (`embed_translated`).

        Stored in ``arrays["translated"]`` (saved with the index, kept up to date by `extend` and `remove`)
        when the index holds them for this embedder; otherwise embedded now from the kept item texts (with a
        progress bar on big indexes) and stored. Windows without text get zero vectors: they never match.
        """
        if self.keeps_translated(embedder):
            return self.arrays["translated"]
        texts = self.window_texts
        rows = [r for r, t in enumerate(texts) if t]
        vectors = np.zeros((len(texts), embedder.dim), np.float32)
        if rows:
            vectors[rows] = embed_translated(embedder, [str(texts[r]) for r in rows], progress=len(rows) > 1000)
        self.arrays["translated"] = vectors
        self.manifest["translations"] = {"embedder": embedder.name, "dim": embedder.dim, "text": TRANSLATED_TEXT}
        return vectors

    def _read_facts_again(self) -> None:
        """Bring the content windows' facts up to this guard's rules (`guard.detectors.facts.VERSION`).

        An index built under other rules reads them again from the item text it keeps; an item without its
        text gets none (no fact check for it: stale facts could conflict with a candidate's and lower a
        leak's score). `save` keeps the result.
        """
        if self.manifest.get("facts_version", 1) == facts.VERSION:
            return
        for it in self.items:
            if it["kind"] == "content":
                text = it.get("text")
                read = [facts.facts(w.text) for w in content_windows(text)[1]] if isinstance(text, str) else []
                it["facts"] = facts.encode(read) if len(read) == it["windows"] else [[] for _ in range(it["windows"])]
        self.manifest["facts_version"] = facts.VERSION
        self._derived.clear()

    def position(self, item_id: str) -> int | None:
        return next((i for i, it in enumerate(self.items) if it["id"] == item_id), None)

    # --- construction -----------------------------------------------------------------------------
    @classmethod
    def empty(cls, *, embedder: str, dim: int, spec: str = "default", ann_kind: str = "flat", ann_params: dict[str, Any] | None = None,
              keep_text: bool = True) -> Index:
        manifest = {
            "keep_text": keep_text,
            "embedder": {"name": embedder, "dim": dim, "spec": spec},
            "normalization_version": NORMALIZATION_VERSION,
            "facts_version": facts.VERSION,
            "ann": {"kind": ann_kind, "params": dict(ann_params or {})},
            "thresholds": dict(DEFAULT_THRESHOLDS),
            "calibration": {"source": DEFAULT_THRESHOLDS_SOURCE},
        }
        arrays = {name: np.zeros((0,), dtype) for name, dtype in _ARRAYS.items()}
        arrays["window_span"] = np.zeros((0, 2), np.int32)
        arrays["vectors"] = np.zeros((0, dim), np.float32)
        arrays["concept_vectors"] = np.zeros((0, dim), np.float32)
        return cls(manifest, [], arrays)

    def extend(self, entries: list[tuple[dict[str, Any], dict[str, np.ndarray]]]) -> None:
        """Add items with their rows; ``entries`` are ``(item, parts)`` from `guard.index.build.prepare`.

        ``parts`` holds one item's arrays without item positions (``window_span``, ``vectors``,
        ``concept_role``, ``concept_vectors``, ``ngram_hash``, ``item_length``, and ``translated`` when the
        index keeps the translation check's vectors); positions are assigned here.
        """
        if not entries:
            return
        start = len(self.items)
        self.items.extend(item for item, _ in entries)
        parts = [p for _, p in entries]
        positions = range(start, start + len(entries))
        a = self.arrays

        def owners(key: str) -> np.ndarray:
            return np.concatenate([np.full(len(p[key]), pos, np.int32) for pos, p in zip(positions, parts)])

        def stacked(key: str, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
            return np.concatenate([a[key]] + [np.asarray(p[key], dtype).reshape(shape) for p in parts])

        new_vectors = np.concatenate([p["vectors"].reshape(-1, self.dim) for p in parts]).astype(np.float32)
        a["window_item"] = np.concatenate([a["window_item"], owners("window_span")])
        a["window_span"] = stacked("window_span", np.int32, (-1, 2))
        a["vectors"] = np.concatenate([a["vectors"], new_vectors])
        a["concept_item"] = np.concatenate([a["concept_item"], owners("concept_role")])
        a["concept_role"] = stacked("concept_role", np.int8, (-1,))
        a["concept_vectors"] = stacked("concept_vectors", np.float32, (-1, self.dim))
        a["ngram_item"] = np.concatenate([a["ngram_item"], owners("ngram_hash")])
        a["ngram_hash"] = stacked("ngram_hash", np.uint64, (-1,))
        a["item_length"] = stacked("item_length", np.int32, (-1,))
        if "translated" in a:  # kept only when every new item brings its own (else embedded again on first use)
            if all("translated" in p for p in parts):
                a["translated"] = stacked("translated", np.float32, (-1, a["translated"].shape[1]))
            else:
                self._drop_translated()
        if self.ann_index is not None:
            ann.add(self.ann_index, new_vectors)
        self._derived.clear()

    def _drop_translated(self) -> None:
        self.arrays.pop("translated", None)
        self.manifest.pop("translations", None)

    def remove(self, item_ids: list[str]) -> None:
        """Drop items and all their rows; raise `GuardIndexError` naming any id that is not there."""
        missing = [i for i in item_ids if self.position(i) is None]
        if missing:
            raise GuardIndexError(f"no item with id {', '.join(map(repr, missing))} in the index")
        drop = {self.position(i) for i in item_ids}
        keep = np.array([p for p in range(len(self.items)) if p not in drop], dtype=np.int32)
        remap = np.full(len(self.items), -1, np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        a = self.arrays
        for owner, rows in (("window_item", ("window_span", "vectors", "translated")),
                            ("concept_item", ("concept_role", "concept_vectors")), ("ngram_item", ("ngram_hash",))):
            mask = remap[a[owner]] >= 0
            for name in rows:
                if name in a:
                    a[name] = a[name][mask]
            a[owner] = remap[a[owner][mask]]
        a["item_length"] = a["item_length"][keep]
        self.items = [self.items[p] for p in keep.tolist()]
        self._derived.clear()
        if self.ann_index is not None:
            params = self.manifest["ann"]["params"]
            self.ann_index = ann.rebuild(self.ann_kind, self.ann_index, self.dim, a["vectors"], params)

    def finalize(self) -> None:
        """Build the FAISS structure over all window vectors (after a bulk build)."""
        kind = self.ann_kind
        params = ann.resolve_params(kind, len(self.arrays["vectors"]), self.manifest["ann"]["params"])
        self.manifest["ann"]["params"] = params
        self.ann_index = ann.new(kind, self.dim, self.arrays["vectors"], params=params)

    # --- disk -------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        a = self.arrays
        return {
            "items": len(self.items),
            "content_items": sum(1 for it in self.items if it["kind"] == "content"),
            "concept_items": sum(1 for it in self.items if it["kind"] == "concept"),
            "content_windows": int(len(a["vectors"])),
            "concept_entries": int(len(a["concept_vectors"])),
            "verbatim_ngrams": int(len(a["ngram_hash"])),
        }

    def save(self, root: str | Path) -> Path:
        """Write this index as the new live version of ``root`` (atomically); return the version folder."""
        if self.ann_index is None:
            self.finalize()

        def write(folder: Path) -> dict[str, Any]:
            for name, array in self.arrays.items():
                np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
            (folder / "items.json").write_text(json.dumps(self.items, ensure_ascii=False, indent=1), encoding="utf-8")
            if self.ann_kind != "flat":
                ann.write(self.ann_index, folder / "ann.faiss")
            self.manifest["counts"] = self.counts()
            return dict(self.manifest)

        return store.commit(Path(root), write)

    @classmethod
    def load(cls, root: str | Path, *, embedder: tuple[str, int] | None = None, verify: bool = True) -> Index:
        """Load the live version of ``root``; refuse an embedder mismatch or any damaged file.

        Args:
            embedder: ``(name, dim)`` of the embedder that will query this index; None skips the check.
            verify: check every file's sha256 against the manifest.
        """
        folder = store.live_version(Path(root))
        manifest = store.read_manifest(folder, verify=verify)
        _check_compatible(manifest, embedder, folder)
        try:
            items = json.loads((folder / "items.json").read_text(encoding="utf-8"))
            arrays = {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in _ARRAYS}
            if "translations" in manifest:  # the translation check's vectors (`Index.translated_vectors`)
                arrays["translated"] = np.load(folder / "translated.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise GuardIndexError(f"{folder}: cannot read the index ({exc}); the index is corrupt") from None
        for name, dtype in {**_ARRAYS, "translated": np.float32}.items():
            if name in arrays and arrays[name].dtype != dtype:
                raise GuardIndexError(f"{folder}: {name}.npy has dtype {arrays[name].dtype}, expected {np.dtype(dtype)}")
        if "translated" in arrays and arrays["translated"].shape[0] != len(arrays["vectors"]):
            raise GuardIndexError(f"{folder}: translated.npy has {arrays['translated'].shape[0]} rows for "
                                  f"{len(arrays['vectors'])} windows; the index is corrupt")
        index = cls(manifest, items, arrays)
        index._read_facts_again()
        if index.ann_kind == "flat":
            index.ann_index = ann.new("flat", index.dim, arrays["vectors"])
        else:
            index.ann_index = ann.read(folder / "ann.faiss")
        return index


def content_windows(text: str) -> tuple[View, list[Window]]:
    """A content item's canonical view and its windows (over the view's text): what the index embeds and reads
    facts from, at build time and when facts are read again."""
    view = canonical(text)
    return view, windows(view.text)


# What `embed_translated` embeds, stored with the vectors: vectors made another way are embedded again.
TRANSLATED_TEXT = "mean of canonical and as written; Chinese simplified; CJK punctuation as Latin"


def embed_translated(embedder: Embedder, windows: Sequence[str], *, progress: bool = False) -> np.ndarray:
    """The translation check's vectors of content windows (their original text): the normalized mean of the
    window's canonical text and its text as written (whitespace collapsed), each as the multilingual
    embedder reads it (`guard.detectors.translation.as_read`). See that module for why both."""
    from guard.detectors.translation import embed_readings

    return embed_readings(embedder, [(canonical(w).text, " ".join(w.split())) for w in windows], progress=progress)


def _check_compatible(manifest: dict[str, Any], embedder: tuple[str, int] | None, folder: Path) -> None:
    if manifest.get("normalization_version") != NORMALIZATION_VERSION:
        raise GuardIndexError(
            f"{folder}: built with normalization version {manifest.get('normalization_version')!r}, this guard "
            f"uses {NORMALIZATION_VERSION!r}; rebuild the index with `guard index build`"
        )
    if embedder is None:
        return
    name, dim = embedder
    built = manifest["embedder"]
    if built["name"] != name or int(built["dim"]) != dim:
        raise EmbedderMismatchError(
            f"{folder}: built with embedder {built['name']!r} (dim {built['dim']}), but asked to query it with "
            f"{name!r} (dim {dim}); use the same embedder or rebuild the index"
        )
