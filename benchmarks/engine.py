"""The core engine on TOFU forget10: paraphrases, obfuscations, and the cost of a check.

    python -m benchmarks engine [--data ../shared/data] [--quick]

1. Paraphrase detection: the 400 forget10 answers are indexed; positives are their
   ``paraphrased_answer``; easy negatives are retain90 answers of 90 authors (1,800). Share of positives
   caught at <= 1% false blocks on the negatives, and AUROC, for word 3-gram overlap (MemFree-style),
   plain MiniLM cosine, and guard's verdict score; then guard as a user runs it: at its shipped default
   thresholds, and after `guard calibrate --fpr 0.01` on the other 90 authors' answers (never the
   negatives).
2. Obfuscations: each forget10 answer, verbatim but obfuscated (see `benchmarks.attacks`), checked at
   the default thresholds.
3. Cost: a 200-word output (Sherlock Holmes passages, not indexed) checked against ~10k and ~100k
   indexed windows, against the floor: embedding the same windows and nothing else.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import data as D
from benchmarks.attacks import OBFUSCATIONS
from benchmarks.baselines import NgramOverlap, PlainCosine
from benchmarks.common import RESULTS, auroc, content_items, percentiles, tpr_at_fpr, verdict_scores, write_result
from benchmarks.common import log as _log


def paraphrase(guard: Any, forget: list[dict[str, Any]], calibration: list[str], retain: list[str]) -> dict[str, Any]:
    """``retain``: held-out negatives; ``calibration``: other authors' answers, for `guard calibrate`."""
    from guard.calibrate import calibrate

    answers = [r["answer"] for r in forget]
    positives = [r["paraphrased_answer"] for r in forget]
    out: dict[str, Any] = {"positives": len(positives), "negatives": len(retain)}
    ngram = NgramOverlap(answers)
    cosine = PlainCosine(answers, guard.embedder)
    systems = {
        "word 3-gram overlap (MemFree-style)": (np.array([ngram.score(t) for t in positives]),
                                                np.array([ngram.score(t) for t in retain])),
        "plain MiniLM cosine": (cosine.scores(positives), cosine.scores(retain)),
    }  # fmt: skip
    _log("checking positives and negatives with guard...")
    pos, pos_blocked = verdict_scores(guard, positives)
    neg, neg_blocked = verdict_scores(guard, retain)
    systems["guard"] = (pos, neg)
    for name, (p, n) in systems.items():
        caught, threshold = tpr_at_fpr(p, n, 0.01)
        out[name] = {"caught_at_1pct_fpr": round(caught, 4), "threshold": round(threshold, 4), "auroc": round(auroc(p, n), 4)}
    out["guard at default thresholds"] = {"caught": round(float(pos_blocked.mean()), 4),
                                          "false_blocks": round(float(neg_blocked.mean()), 4)}
    _log("calibrating on the other authors' answers...")
    record = calibrate(guard, calibration, fpr=0.01)
    _, pos_blocked = verdict_scores(guard, positives)
    _, neg_blocked = verdict_scores(guard, retain)
    out["guard calibrated (guard calibrate --fpr 0.01)"] = {
        "calibration_texts": len(calibration), "thresholds": record["thresholds"],
        "caught": round(float(pos_blocked.mean()), 4), "false_blocks": round(float(neg_blocked.mean()), 4)}
    return out


def obfuscations(guard: Any, forget: list[dict[str, Any]]) -> dict[str, Any]:
    answers = [r["answer"] for r in forget]
    out = {}
    for name, attack in OBFUSCATIONS.items():
        rng = random.Random(0)
        texts = [attack(a, rng) for a in answers]
        _, blocked = verdict_scores(guard, texts)
        out[name] = round(float(blocked.mean()), 4)
        _log(f"  {name}: {out[name]}")
    return out


def _scaled_index(base: Any, windows: int) -> Any:
    """``base`` grown to ``windows`` rows with jittered copies of its own vectors and n-grams.

    Exact search costs the same whatever the vectors hold, so the copies measure search cost honestly
    without embedding 100k real windows on a 2-core machine; recall is not measured on this index.
    """
    from guard.index import Index

    rng = np.random.default_rng(0)
    reps = int(np.ceil(windows / len(base.arrays["vectors"])))
    a = dict(base.arrays)
    vec = np.concatenate([a["vectors"]] + [a["vectors"] + rng.normal(0, 0.02, a["vectors"].shape).astype(np.float32)
                                          for _ in range(reps - 1)])[:windows]
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    a["vectors"] = vec
    a["window_item"] = np.resize(a["window_item"], windows)
    a["window_span"] = np.resize(a["window_span"], (windows, 2))
    a["ngram_item"] = np.resize(a["ngram_item"], len(a["ngram_item"]) * reps)
    a["ngram_hash"] = np.concatenate([a["ngram_hash"]] + [rng.integers(0, 2**63, len(base.arrays["ngram_hash"]), dtype=np.uint64)
                                                            for _ in range(reps - 1)])
    index = Index(dict(base.manifest), list(base.items), a)
    index.finalize()
    return index


def cost(embedder: Any, data: Path, *, quick: bool) -> dict[str, Any]:
    from guard.guard import Guard, _windows_to_embed
    from guard.index import build_index
    from guard.normalize import views

    passages = [p for p in D.book_passages(data, "alice") + D.book_passages(data, "frankenstein")]
    texts = [" ".join(p.split()[:200]) for p in D.book_passages(data, "sherlock", words=200)][: 15 if quick else 40]
    _log(f"building the ~10k-window index from {len(passages)} book passages...")
    base = build_index(content_items(passages, "book"), embedder, progress=True)
    embedder._cache_size = 0  # no cache: every check pays for its embeddings
    embedder._cache.clear()
    out: dict[str, Any] = {"output_words": 200, "outputs": len(texts)}
    for label, index in (("10k", base), ("100k", _scaled_index(base, 100_000))):
        guard = Guard(index, embedder)
        guard.check(texts[0])  # warm-up
        full, floor = [], []
        for text in texts:
            wins = [w.text for _, w in _windows_to_embed(tuple(views(text)))]
            t0 = time.perf_counter()
            embedder.embed_batch(sorted(wins, key=len))
            t1 = time.perf_counter()
            guard.check(text)
            t2 = time.perf_counter()
            floor.append(t1 - t0)
            full.append(t2 - t1)
        out[label] = {"windows": int(len(index.arrays["vectors"])), "check": percentiles(full),
                      "embedding_only": percentiles(floor),
                      "ratio_p50": round(float(np.median(full) / np.median(floor)), 3)}
        _log(f"  {label}: {out[label]}")
    return out


def run(data: Path, *args: str) -> dict[str, Any]:
    """``--quick``: smaller samples; ``--part cost`` (or obfuscations, paraphrase): rerun one part and
    merge it into the existing results file."""
    import json

    from guard.embedding import load_embedder
    from guard.guard import Guard
    from guard.index import build_index

    quick = "--quick" in args
    parts = {args[i + 1] for i, a in enumerate(args) if a == "--part" and i + 1 < len(args)} or {
        "obfuscations", "paraphrase", "cost"}
    name = "engine-quick" if quick else "engine"
    previous = RESULTS / f"{name}.json"
    result: dict[str, Any] = json.loads(previous.read_text()) if parts != {"obfuscations", "paraphrase", "cost"} and previous.exists() else {}
    for key in ("benchmark", "written", "machine"):
        result.pop(key, None)
    result["data"] = "TOFU forget10_perturbed.json, tofu__retain90.json, Gutenberg"
    forget = D.tofu_forget(data)
    retain = [r["answer"] for r in D.tofu_retain(data)]
    embedder = load_embedder()
    if parts & {"obfuscations", "paraphrase"}:
        _log("indexing the 400 forget10 answers...")
        guard = Guard(build_index(content_items([r["answer"] for r in forget], "forget"), embedder), embedder)
    if "obfuscations" in parts:
        _log("obfuscations...")
        result["obfuscations"] = obfuscations(guard, forget)
    if "paraphrase" in parts:
        _log("paraphrases...")
        # retain90 holds 180 authors x 20 answers: the first 90 authors calibrate, the other 90 are negatives
        calibration, held_out = retain[:1800], retain[1800:]
        result["paraphrase"] = paraphrase(guard, forget, calibration[:600] if quick else calibration,
                                          held_out[:600] if quick else held_out)
    if "cost" in parts:
        _log("cost...")
        result["cost"] = cost(embedder, data, quick=quick)
    path = write_result(name, result)
    _log(f"wrote {path}")
    return result
