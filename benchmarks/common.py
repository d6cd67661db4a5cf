"""Shared helpers for the benchmark runners: building indexes, timing, writing results."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(__file__).resolve().parent / ".cache"


def content_items(texts: Sequence[str], prefix: str) -> list[Any]:
    from guard.policy import Item

    return [Item(f"{prefix}-{i}", "content", text=t) for i, t in enumerate(texts)]


def tpr_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float) -> tuple[float, float]:
    """(share of positives caught, threshold) at the lowest threshold blocking at most ``fpr`` of negatives."""
    from guard.calibrate import threshold_at

    t = threshold_at(np.asarray(neg, np.float64), fpr)
    return float(np.mean(np.asarray(pos) >= t)), t


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUROC: the chance a positive outscores a negative, ties counting half."""
    pos, neg = np.asarray(pos, np.float64), np.asarray(neg, np.float64)
    scores = np.concatenate([pos, neg])
    ranks = np.empty(len(scores))
    ranks[scores.argsort(kind="mergesort")] = np.arange(1, len(scores) + 1)
    _, group = np.unique(scores, return_inverse=True)
    ranks = (np.bincount(group, ranks) / np.bincount(group))[group]  # tied scores share their mean rank
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    a = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2)}


def machine() -> dict[str, Any]:
    import os

    import torch

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "platform": platform.platform()}


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    result = {"benchmark": name, "written": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **result}
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def log(msg: str) -> None:
    """Progress for people, on stderr (stdout stays for results)."""
    print(msg, file=sys.stderr, flush=True)


def verdict_scores(guard: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(verdict scores in [0, 1], blocked flags) for ``texts``, checked in batches of 64."""
    scores, blocked = [], []
    for start in range(0, len(texts), 64):
        for v in guard.check_batch(list(texts[start : start + 64])):
            scores.append(v.score)
            blocked.append(not v.allowed)
    return np.array(scores), np.array(blocked)
