"""Calibrate the default thresholds that ship in `guard.index.data.DEFAULT_THRESHOLDS`.

Index: the 400 TOFU forget10 answers (content) and four TOFU forget10 authors as concepts (a description
and five answers each). Benign calibration text, none of which is used as a negative in the engine
benchmark's headline figure: STS-B *train* sentences, Gutenberg passages (Alice, Frankenstein), and
the answers of the first half of TOFU retain90's authors. Thresholds at 1% false blocks in all
(`guard.calibrate.joint_thresholds`: the matchers share the budget). The translation check's threshold
(`guard.detectors.translation`) is the higher of two 1% points: benign text in other languages against an
index of its own kind (Tatoeba sentences in Italian, Dutch, Polish, Portuguese, Turkish and Arabic, which
no other benchmark reads, against 600 other Tatoeba English sentences: `translation_benign`), and the
English benign set above read in the multilingual space against the TOFU index (`read_through`).
Calibrated with the second stage (`guard.rerank`), the perturbed check (`guard.detectors.perturbed`) and the
verbatim layer's frame rule (`guard.detectors.verbatim`) off. All but one of their steps only lower scores, so
these thresholds bound false blocks with them on; the second stage's whole-item reading can raise a score, and
its effect at these thresholds is measured on held-out benign text (``quality``'s easy negatives and the
attack matrix's benign set).

    python -m benchmarks defaults [--data ../shared/data]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import data as D
from benchmarks.common import content_items, write_result
from guard.index import ann


def concept_items(forget: list[dict[str, Any]], authors: int = 4) -> list[Any]:
    """TOFU forget10 has 20 QA per author, in order; author k is rows 20k..20k+19."""
    from guard.policy import Item

    out = []
    for k in range(authors):
        rows = forget[20 * k : 20 * k + 20]
        out.append(Item(f"author-{k}", "concept", description=rows[0]["answer"],
                        examples=tuple(r["answer"] for r in rows[1:6])))
    return out


def benign_texts(data: Path) -> list[str]:
    sts = D.stsb_sentences(data, "train")[:2000]
    books = D.book_passages(data, "alice") + D.book_passages(data, "frankenstein")
    retain = [r["answer"] for r in D.tofu_retain(data)[:1800]]
    return sts + books + retain


# Tatoeba languages that no other benchmark reads (quality and attacks read de, es, fr, ru, zh, ja)
FOREIGN = ("ita", "nld", "pol", "por", "tur", "ara")
_INDEXED = 100  # English sentences of each file in the everyday-sentence index


def everyday(data: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """An index of everyday English sentences (the first 100 of each `FOREIGN` Tatoeba file) and the other
    sentences of those files as (English, translation) pairs, those whose English is indexed left out."""
    indexed: list[str] = []
    rest: list[tuple[str, str]] = []
    for code in FOREIGN:
        eng, other = D.tatoeba(data, code)
        indexed += eng[:_INDEXED]
        rest += list(zip(eng[_INDEXED:], other[_INDEXED:]))
    seen = set(indexed)
    return indexed, [(e, o) for e, o in rest if e not in seen]


def translation_benign(data: Path, embedder: Any) -> np.ndarray:
    """Translation scores of benign text in other languages against an index in the same domain: Tatoeba
    translations against other Tatoeba sentences (short everyday sentences, where the multilingual space
    puts unrelated sentences closest), less those whose English original guard blocks in English (a
    paraphrase of an indexed sentence is no benign text)."""
    from guard.calibrate import benign_scores
    from guard.guard import Guard
    from guard.index import build_index

    indexed, pairs = everyday(data)
    guard = Guard(build_index(content_items(indexed, "en"), embedder), embedder, rerank=False, perturbed=False,
                  frames=False, translations=True)
    blocked = [not v.allowed for v in guard.check_batch([e for e, _ in pairs])]
    benign = [o for (_, o), b in zip(pairs, blocked) if not b]
    return benign_scores(guard, benign, progress=True)["translation"]


def read_through(guard: Any, texts: list[str]) -> np.ndarray:
    """Each text's highest cosine to a content window in the translation check's multilingual space, as if
    every window of it were in another language: the benign text in other languages here is everyday
    sentences, far from TOFU answers, while the English benign set holds other TOFU authors' answers, which
    a translated answer would resemble."""
    from guard.detectors.translation import embed_readings, readings
    from guard.normalize import canonical
    from guard.windows import windows

    per_text = []
    for t in texts:
        view = canonical(t)
        per_text.append([readings(t, view, w) for w in windows(view.text)])
    vectors = embed_readings(guard.translator, [w for ws in per_text for w in ws], progress=True)
    found, _ = ann.search(guard.index.translated(guard.translator), vectors, 1)
    out, at = np.zeros(len(texts), np.float32), 0
    for n, ws in enumerate(per_text):
        out[n] = found[at : at + len(ws), 0].max() if ws else 0.0
        at += len(ws)
    return out


def run(data: Path) -> dict[str, Any]:
    from guard.calibrate import FLOORS, benign_scores, joint_thresholds, threshold_at
    from guard.embedding import load_embedder
    from guard.guard import Guard
    from guard.index import build_index

    forget = D.tofu_forget(data)
    embedder = load_embedder()
    items = content_items([r["answer"] for r in forget], "forget") + concept_items(forget)
    # The second stage (guard.rerank, but for its whole-item reading: see the docstring), the perturbed check
    # (guard.detectors.perturbed) and the frame rule (guard.detectors.verbatim) only lower scores, so thresholds
    # set without them bound false blocks with them
    # (with the frame rule on, the verbatim layer's benign scores fall so far that the shared budget moves its
    # threshold from 0.645 to 0.39, where it flags every long phrase a perturbed answer shares); and the second stage was trained on TOFU retain
    # answers that are part of this benign set, so scores with it here would be in-sample (too low) and the
    # thresholds too eager.
    # The translation check is off for the English thresholds and gets its own from text in other languages.
    index = build_index(items, embedder, progress=True)
    guard = Guard(index, embedder, rerank=False, perturbed=False, frames=False, translations=False)
    texts = benign_texts(data)
    scores = benign_scores(guard, texts, progress=True)
    thresholds = {m: round(t, 4) for m, t in joint_thresholds(scores, 0.01).items() if m != "translation"}
    checking = Guard(index, embedder, rerank=False, perturbed=False, frames=False, translations=True)
    scores["translation"] = translation_benign(data, embedder)
    scores["translation, English benign text read in the multilingual space"] = read_through(checking, texts)
    thresholds["translation"] = round(max(FLOORS["translation"], *(
        threshold_at(scores[k], 0.01) for k in scores if k.startswith("translation"))), 4)
    result = {"benign_texts": len(texts), "foreign_benign_texts": len(scores["translation"]), "fpr": 0.01,
              "thresholds": thresholds,
              "quantiles": {m: {q: round(float(np.quantile(s, q)), 4) for q in (0.5, 0.9, 0.99, 0.999)}
                            for m, s in scores.items()}}
    path = write_result("defaults", result)
    print(f"wrote {path}: {thresholds}")
    return result
