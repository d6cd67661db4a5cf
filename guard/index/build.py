"""Turning policy items into index rows: windows, vectors, concept entries, verbatim n-grams.

All texts of a batch of items are embedded in one pass (with a progress bar on long builds), then
appended to the index at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guard.detectors import facts, names
from guard.detectors.concept import ROLE_ALLOW, ROLE_DESCRIPTION, ROLE_EXAMPLE
from guard.detectors.verbatim import VerbatimLayer
from guard.embedding import Embedder
from guard.exceptions import GuardIndexError
from guard.index.data import Index, content_windows, embed_translated
from guard.normalize import canonical
from guard.policy import Item
from guard.windows import windows


@dataclass
class _Rows:
    """One item's rows before embedding."""

    item: dict[str, Any]
    texts: list[str] = field(default_factory=list)  # content windows, then concept entries
    spans: list[tuple[int, int]] = field(default_factory=list)  # content windows' spans in the item text
    roles: list[int] = field(default_factory=list)  # concept entries' roles
    ngrams: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    length: int = 0


def _rows(item: Item, keep_text: bool = True) -> _Rows:
    record: dict[str, Any] = {"id": item.id, "kind": item.kind, "action": item.action.value,
                              "metadata": dict(item.metadata)}
    rows = _Rows(record)
    if item.kind == "content":
        view, found = content_windows(item.text)
        for w in found:
            rows.texts.append(w.text)
            rows.spans.append(view.span(w.start, w.end))
        record["facts"] = facts.encode(facts.facts(text) for text in rows.texts)
        rows.ngrams, rows.length = VerbatimLayer.item_ngrams(item.text)
        record["sha256"] = hashlib.sha256(item.text.encode("utf-8")).hexdigest()
        if keep_text:  # the second stage reads item windows (guard.rerank)
            record["text"] = item.text
    else:
        own = {n for t in (item.description, *item.examples) if t for n in names.hashed(t)}
        record["names"] = sorted(own - {n for t in item.allow for n in names.hashed(t)})
        for role, texts in ((ROLE_DESCRIPTION, [item.description] if item.description else []),
                            (ROLE_EXAMPLE, item.examples), (ROLE_ALLOW, item.allow)):
            for text in texts:
                for w in windows(canonical(text).text):
                    rows.texts.append(w.text)
                    rows.roles.append(role)
    record["windows"] = len(rows.texts)
    return rows


def add_items(index: Index, items: Sequence[Item], embedder: Embedder, *, progress: bool = False,
              translator: Embedder | None = None) -> None:
    """Embed ``items`` and add them to ``index`` (in memory; call `Index.save` to persist).

    ``translator``: the translation check's embedder (`guard.Guard.translator`). An index that keeps that
    check's vectors gets the new windows' too; without it they are dropped and embedded again on first use.
    """
    taken = [it.id for it in items if index.position(it.id) is not None]
    if taken:
        raise GuardIndexError(f"the index already has item(s) {', '.join(map(repr, taken))}; remove them first")
    all_rows = [_rows(it, index.manifest.get("keep_text", True)) for it in items]
    texts = [t for r in all_rows for t in r.texts]
    vectors = embedder.embed(texts, progress=progress) if texts else np.zeros((0, index.dim), np.float32)
    translated = _translated(index, items, all_rows, translator, progress)
    entries, at, done = [], 0, 0
    for r in all_rows:
        vec, at = vectors[at : at + len(r.texts)], at + len(r.texts)
        content = vec[: len(r.spans)]
        parts = {
            "window_span": np.array(r.spans, np.int32).reshape(-1, 2),
            "vectors": content,
            "concept_role": np.array(r.roles, np.int8),
            "concept_vectors": vec[len(r.spans):],
            "ngram_hash": r.ngrams,
            "item_length": np.array([r.length], np.int32),
        }  # fmt: skip
        if translated is not None:
            parts["translated"], done = translated[done : done + len(r.spans)], done + len(r.spans)
        entries.append((r.item, parts))
    index.extend(entries)


def _translated(index: Index, items: Sequence[Item], rows: list[_Rows], translator: Embedder | None,
                progress: bool) -> np.ndarray | None:
    """The new content windows in the translation check's space, when ``index`` keeps that space's vectors."""
    if translator is None or not index.keeps_translated(translator):
        return None
    return embed_translated(translator, [it.text[s:e] for it, r in zip(items, rows) for s, e in r.spans], progress=progress)


def build_index(
    items: Sequence[Item],
    embedder: Embedder,
    *,
    ann_kind: str = "flat",
    ann_params: dict[str, Any] | None = None,
    progress: bool = False,
    keep_text: bool = True,
    translator: Embedder | None = None,
) -> Index:
    """A new in-memory index of ``items``; `Index.save` writes it.

    ``keep_text``: store each content item's text in ``items.json`` so the second stage (`guard.rerank`)
    can read item windows. False keeps the forbidden text out of the index, and the second stage off.
    ``translator``: also embed the content windows for the translation check (`guard.detectors.translation`)
    now and keep them (else they are embedded on the first window in another language a guard sees).
    """
    index = Index.empty(embedder=embedder.name, dim=embedder.dim, spec=embedder.spec or "default", ann_kind=ann_kind,
                        ann_params=ann_params, keep_text=keep_text)
    add_items(index, items, embedder, progress=progress)
    if translator is not None and keep_text:
        index.translated_vectors(translator)
    index.finalize()
    return index
