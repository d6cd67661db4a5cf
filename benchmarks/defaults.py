"""Calibrate the default thresholds that ship in `guard.index.data.DEFAULT_THRESHOLDS`.

Index: the 400 TOFU forget10 answers (content) and four TOFU forget10 authors as concepts (a description
and five answers each). Benign calibration text, none of which is used as a negative in the engine
benchmark's headline figure: STS-B *train* sentences, Gutenberg passages (Alice, Frankenstein), and
the answers of the first half of TOFU retain90's authors. Thresholds at 1% false blocks in all
(`guard.calibrate.joint_thresholds`: the matchers share the budget). Calibrated with the second stage
(`guard.rerank`) off: it only lowers scores, so these thresholds bound false blocks with it on.

    python -m benchmarks defaults [--data ../shared/data]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import data as D
from benchmarks.common import content_items, write_result


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


def run(data: Path) -> dict[str, Any]:
    from guard.calibrate import benign_scores, joint_thresholds
    from guard.embedding import load_embedder
    from guard.guard import Guard
    from guard.index import build_index

    forget = D.tofu_forget(data)
    embedder = load_embedder()
    items = content_items([r["answer"] for r in forget], "forget") + concept_items(forget)
    # The second stage (guard.rerank) only lowers scores, so thresholds set without it bound false blocks with
    # it; and it was trained on TOFU retain answers that are part of this benign set, so scores with it
    # here would be in-sample (too low) and the thresholds too eager.
    guard = Guard(build_index(items, embedder, progress=True), embedder, rerank=False)
    texts = benign_texts(data)
    scores = benign_scores(guard, texts, progress=True)
    thresholds = {m: round(t, 4) for m, t in joint_thresholds(scores, 0.01).items()}
    result = {"benign_texts": len(texts), "fpr": 0.01, "thresholds": thresholds,
              "quantiles": {m: {q: round(float(__import__("numpy").quantile(s, q)), 4) for q in (0.5, 0.9, 0.99, 0.999)}
                            for m, s in scores.items()}}
    path = write_result("defaults", result)
    print(f"wrote {path}: {thresholds}")
    return result
