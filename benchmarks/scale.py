"""Search cost, recall and memory against index size: exact, HNSW and IVF-PQ, 1k to 1M windows (issue 5).

    python -m benchmarks scale [--sizes 1000,10000,100000,1000000] [--kinds exact,hnsw,ivfpq] [--quick] [--fresh]

Writes ``benchmarks/results/scale.json`` and ``scale.png`` (``scale-quick.*`` with ``--quick``: sizes up to
100k unless ``--sizes`` is given, fewer timed calls). Each finished (size, kind) cell is stored at once in
``benchmarks/.cache/scale-partial.json``; a rerun skips finished cells (``--fresh`` starts over). HNSW at 1M
takes many minutes to build on a small machine; set ``OMP_NUM_THREADS`` to bound FAISS's threads.

**Vectors.** Embedding a million real windows would take about an hour on a 2-core machine (~300
windows/s), so: 2,000 real windows (1-3 sentences, cut by `guard.windows` as the index cuts content) of
four Gutenberg books (Alice, Frankenstein, Pride and Prejudice, Dracula) are embedded with the bundled
MiniLM (384-d, cached in ``benchmarks/.cache``), shuffled, and grown to N rows by jittered copies: a copy
of row ``i % 2000`` plus Gaussian noise of ``SIGMA`` per coordinate, re-normalized (the result file states
the mean cosine of a copy to its source). The sets are nested: each size's rows are a prefix of the next.
The noise is isotropic, which is harder for approximate search than real text, so approximate recall
here is on the pessimistic side; search cost does not depend on what the vectors hold.

**Queries.** 200 real windows of a book not in the base (Sherlock Holmes) and 200 near-duplicates
(base rows plus noise of ``QUERY_SIGMA``, so true close hits exist). Recall@10 (and @1) of each
approximate index against exact search over the same rows, for all 400 and per group; also the error of
the top-1 score, because guard compares that score to its threshold (IVF-PQ scores are approximate).

**Cost.** As guard searches: one call per check with the windows of one 200-word output (their count is
the median over Sherlock Holmes passages, ~30), top-`guard.detectors.semantic.TOP_K`, random batches of
the 400 queries; p50/p95 per call. Timing stops after ``CELL_SECONDS`` of searching (at least 5 calls).

**Indexes** are built by `guard.index.ann.new`, guard's own constructor and defaults: exact =
``IndexFlatIP``; HNSW = ``IndexHNSWFlat`` (inner product, M=32, efConstruction=80, efSearch=64);
IVF-PQ = guard's ``ivf`` kind with ``pq=48`` (``IndexIVFPQ``, nlist = 4*sqrt(N), 48 sub-quantizers of
8 bits, nprobe=16; trained on all N vectors). Guard refuses IVF below 39*nlist windows (~24k at the
default nlist); such cells are recorded as skipped with guard's message. HNSW vectors are added in chunks
of 100k to show progress (HNSW inserts one vector at a time either way). Build time covers training and
adding. Memory: the serialized index (``faiss.serialize_index``), the process RSS growth over the build
(meaningful for large indexes only: below tens of MB the allocator reuses memory freed earlier and the
growth reads 0), and ``in_guard_bytes``: the index plus the float32 vectors guard keeps in memory beside
any structure (for exact search that is two copies of the vectors).

The ``advice`` field is computed from the cells: where exact search passes ``LATENCY_BUDGET_MS`` per
check, what each kind costs per million windows, how many fit this machine, and what to do past that.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CACHE, RESULTS, log, percentiles, write_result
from guard.detectors.semantic import TOP_K
from guard.exceptions import GuardIndexError
from guard.index import ann

BASE_BOOKS = ("alice", "frankenstein", "pride", "dracula")
QUERY_BOOK = "sherlock"
BASE_WINDOWS = 2000
REAL_QUERIES = 200
DUP_QUERIES = 200
SIGMA = 0.05  # jitter per coordinate of the copies that grow the base
QUERY_SIGMA = 0.02  # jitter per coordinate of the near-duplicate queries
K = 10  # recall@K against exact search
KINDS: dict[str, tuple[str, dict[str, Any]]] = {  # benchmark name -> (guard's ann kind, params over guard's defaults)
    "exact": ("flat", {}),
    "hnsw": ("hnsw", {}),
    "ivfpq": ("ivf", {"pq": 48}),
}
SIZES = (1000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1000, 10_000, 100_000)
CALLS, QUICK_CALLS = 100, 20  # timed search calls per cell
CELL_SECONDS = 30.0  # ...or fewer, once this much time went into searching
MIN_CALLS = 5
LATENCY_BUDGET_MS = 50.0
HNSW_CHUNK = 100_000

Progress = Callable[[str], None]


# --- vectors ---------------------------------------------------------------------------------------
def jitter(rows: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``rows`` plus Gaussian noise of ``sigma`` per coordinate, each row re-normalized to unit length."""
    out = rows.astype(np.float32) + rng.standard_normal(rows.shape, dtype=np.float32) * np.float32(sigma)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def grow(base: np.ndarray, n: int, sigma: float = SIGMA, *, seed: int = 0, chunk: int = 65_536) -> np.ndarray:
    """The first ``n`` rows of: ``base``, then jittered copies of its rows in turn (row ``i`` copies ``i % len(base)``).

    Chunks have their own seeds, so a smaller size is a prefix of a larger one.
    """
    out = np.empty((n, base.shape[1]), np.float32)
    head = min(n, len(base))
    out[:head] = base[:head]
    for c, start in enumerate(range(head, n, chunk)):
        stop = min(start + chunk, n)
        out[start:stop] = jitter(base[np.arange(start, stop) % len(base)], sigma, np.random.default_rng([seed, c]))
    return out


def mean_cosine_to_source(base: np.ndarray, sigma: float, *, seed: int = 1) -> float:
    copies = jitter(base, sigma, np.random.default_rng(seed))
    return float(np.mean(np.sum(copies * base, axis=1)))


# --- one cell: build, time, recall, memory -----------------------------------------------------------
def rss_bytes() -> int:
    """Resident set size of this process (psutil, else /proc/self/status; 0 if neither is there)."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        status = Path("/proc/self/status")
        for line in status.read_text().splitlines() if status.exists() else []:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def build(kind: str, vectors: np.ndarray, params: Mapping[str, Any] | None = None,
          *, progress: Progress | None = None) -> tuple[Any, float, dict[str, Any]]:
    """(index, seconds, resolved params): ``kind``'s index over ``vectors``, built by `guard.index.ann`."""
    guard_kind, overrides = KINDS[kind]
    used = ann.resolve_params(guard_kind, len(vectors), {**overrides, **(params or {})})
    t0 = time.perf_counter()
    if guard_kind == "hnsw":
        index = ann.new(guard_kind, vectors.shape[1], vectors[:0], params=used)
        for start in range(0, len(vectors), HNSW_CHUNK):
            ann.add(index, vectors[start : start + HNSW_CHUNK])
            if progress and len(vectors) > HNSW_CHUNK:
                done, spent = min(start + HNSW_CHUNK, len(vectors)), time.perf_counter() - t0
                progress(f"    hnsw: {done:,}/{len(vectors):,} added, {spent:.0f} s, ~{spent * (len(vectors) / done - 1):.0f} s left")
    else:
        index = ann.new(guard_kind, vectors.shape[1], vectors, params=used)
    return index, time.perf_counter() - t0, used


def exact_truth(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the exact top-``k`` for every query."""
    index = ann.new("flat", vectors.shape[1], vectors)
    scores, rows = ann.search(index, queries, k)
    del index
    return scores, rows


def check_latency(index: Any, queries: np.ndarray, *, batch: int, calls: int, budget_s: float = CELL_SECONDS,
                  k: int = TOP_K, seed: int = 0) -> list[float]:
    """Seconds per search call, each call a random batch of ``batch`` query windows (one check's worth)."""
    rng = np.random.default_rng(seed)
    batch = min(batch, len(queries))
    ann.search(index, queries[:batch], k)  # warm-up
    times: list[float] = []
    for _ in range(calls):
        q = np.ascontiguousarray(queries[rng.choice(len(queries), size=batch, replace=False)])
        t0 = time.perf_counter()
        ann.search(index, q, k)
        times.append(time.perf_counter() - t0)
        if sum(times) > budget_s and len(times) >= MIN_CALLS:
            break
    return times


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean share of each query's exact top-``k`` rows found in its approximate top-``k``."""
    if len(truth) == 0:
        return float("nan")
    hits = [len(set(f[:k].tolist()) & (set(t[:k].tolist()) - {-1})) for f, t in zip(found, truth)]
    return round(float(np.mean(hits)) / k, 4)


def measure(kind: str, vectors: np.ndarray, queries: np.ndarray, truth: tuple[np.ndarray, np.ndarray], *,
            batch: int, calls: int, params: Mapping[str, Any] | None = None, budget_s: float = CELL_SECONDS,
            groups: Mapping[str, slice] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """One cell: build ``kind`` over ``vectors``, time guard-style searches, recall and memory.

    ``truth``: `exact_truth` of ``queries``; ``groups``: named slices of ``queries`` to report recall for.
    Returns ``{"skipped": reason}`` where guard refuses to build the index (IVF on too few vectors).
    """
    import faiss

    gc.collect()
    rss0 = rss_bytes()
    try:
        index, seconds, used = build(kind, vectors, params, progress=progress)
    except GuardIndexError as exc:
        return {"skipped": str(exc), "params": dict(params or {})}
    rss_growth = rss_bytes() - rss0
    times = check_latency(index, queries, batch=batch, calls=calls, budget_s=budget_s)
    true_scores, true_rows = truth
    k = true_rows.shape[1]
    scores, rows = ann.search(index, queries, k)
    index_bytes = int(faiss.serialize_index(index).nbytes)
    del index
    gc.collect()
    n, dim = vectors.shape
    error = np.abs(scores[:, 0] - true_scores[:, 0])
    return {
        "n": n,
        "params": used,
        "build_s": round(seconds, 6),
        "build_vectors_per_s": round(n / seconds, 1) if seconds > 0 else None,
        "check": {**percentiles(times), "calls": len(times), "batch": min(batch, len(queries)), "top_k": TOP_K},
        f"recall_at_{k}": recall(rows, true_rows, k),
        "recall_at_1": recall(rows, true_rows, 1),
        f"recall_at_{k}_by_queries": {name: recall(rows[s], true_rows[s], k) for name, s in (groups or {}).items()},
        "top1_score_abs_error": {"mean": round(float(error.mean()), 5), "p95": round(float(np.percentile(error, 95)), 5)},
        "index_bytes": index_bytes,
        "index_bytes_per_vector": round(index_bytes / n, 1),
        "rss_growth_bytes": int(rss_growth),
        "in_guard_bytes": index_bytes + n * dim * 4,
    }


def measure_size(vectors: np.ndarray, queries: np.ndarray, kinds: Sequence[str], *, batch: int, calls: int,
                 params: Mapping[str, Mapping[str, Any]] | None = None, budget_s: float = CELL_SECONDS,
                 groups: Mapping[str, slice] | None = None, done: Mapping[str, dict[str, Any]] | None = None,
                 on_cell: Callable[[str, dict[str, Any]], None] | None = None,
                 progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Every kind's cell at this size, ``{kind: cell}``; kinds already in ``done`` are not measured again.

    ``params``: per kind, parameters over guard's defaults; ``on_cell(kind, cell)`` runs as each finishes.
    """
    cells = {kind: done[kind] for kind in kinds if done and kind in done}
    todo = [kind for kind in kinds if kind not in cells]
    if not todo:
        return cells
    truth = exact_truth(vectors, queries)
    for kind in todo:
        t0 = time.perf_counter()
        if progress:
            progress(f"  [{len(vectors):,}] {kind}: building...")
        cells[kind] = measure(kind, vectors, queries, truth, batch=batch, calls=calls, budget_s=budget_s,
                              params=(params or {}).get(kind), groups=groups, progress=progress)
        if progress:
            progress(f"  [{len(vectors):,}] {kind}: {_summary(cells[kind])} ({time.perf_counter() - t0:.0f} s)")
        if on_cell:
            on_cell(kind, cells[kind])
    return {kind: cells[kind] for kind in kinds}


def _summary(cell: dict[str, Any]) -> str:
    if "skipped" in cell:
        return f"skipped: {cell['skipped']}"
    return (f"build {cell['build_s']:.1f} s, check p50 {cell['check']['p50_ms']} ms / p95 {cell['check']['p95_ms']} ms, "
            f"recall@{K} {cell.get(f'recall_at_{K}')}, {cell['index_bytes'] / 1e6:.1f} MB")


# --- advice and plot ---------------------------------------------------------------------------------
def _measured(cells: Mapping[int, Mapping[str, dict[str, Any]]], kind: str) -> list[tuple[int, dict[str, Any]]]:
    return [(n, cells[n][kind]) for n in sorted(cells) if kind in cells[n] and "skipped" not in cells[n][kind]]


def advice(cells: Mapping[int, Mapping[str, dict[str, Any]]], *, dim: int, ram_bytes: int,
           budget_ms: float = LATENCY_BUDGET_MS) -> dict[str, Any]:
    """Figures and sentences computed from ``cells`` (``{size: {kind: cell}}``), nothing typed in."""
    facts: dict[str, Any] = {"latency_budget_ms": budget_ms, "ram_bytes": ram_bytes}
    text: list[str] = []
    exact = _measured(cells, "exact")
    if exact:
        over = next(((n, c) for n, c in exact if c["check"]["p50_ms"] > budget_ms), None)
        n_last, last = exact[-1]
        linear = int(n_last * budget_ms / last["check"]["p50_ms"]) if last["check"]["p50_ms"] > 0 else None
        facts["exact_p50_over_budget_at"] = over[0] if over else None
        facts["exact_budget_windows_if_linear"] = linear
        batch = last["check"]["batch"]
        if over:
            text.append(f"Exact search passes {budget_ms:g} ms p50 per check ({batch} windows per search call) at "
                        f"{over[0]:,} windows ({over[1]['check']['p50_ms']} ms).")
        elif linear:
            text.append(f"Exact search stays under {budget_ms:g} ms p50 per check ({batch} windows per call) up to "
                        f"{n_last:,} windows ({last['check']['p50_ms']} ms); its cost grows linearly, so it would "
                        f"reach {budget_ms:g} ms near {linear:,} windows.")
    per_kind: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        rows = _measured(cells, kind)
        if not rows:
            continue
        n, c = rows[-1]
        per_million = c["index_bytes"] / n * 1e6
        in_guard = c["in_guard_bytes"] / n
        per_kind[kind] = {"at": n, "p50_ms": c["check"]["p50_ms"], f"recall_at_{K}": c.get(f"recall_at_{K}"),
                          "build_s": c["build_s"], "build_vectors_per_s": c["build_vectors_per_s"],
                          "index_gb_per_million": round(per_million / 1e9, 3),
                          "in_guard_gb_per_million": round(in_guard * 1e6 / 1e9, 3),
                          "windows_in_half_ram": int(ram_bytes / 2 / in_guard) if ram_bytes else None,
                          "top1_score_abs_error_mean": c["top1_score_abs_error"]["mean"]}
    facts["per_kind"] = per_kind
    for kind, f in per_kind.items():
        text.append(f"{kind} at {f['at']:,} windows: p50 {f['p50_ms']} ms per check, recall@{K} {f[f'recall_at_{K}']}, "
                    f"built in {f['build_s']:.1f} s ({f['build_vectors_per_s'] or 0:,.0f} vectors/s), "
                    f"{f['index_gb_per_million']:.2f} GB per million windows ({f['in_guard_gb_per_million']:.2f} GB "
                    f"with the float32 vectors guard keeps beside it).")
    fast = {k: f for k, f in per_kind.items() if k != "exact" and f["p50_ms"] <= budget_ms}
    if fast and exact and facts.get("exact_p50_over_budget_at"):
        best = max(fast, key=lambda k: fast[k][f"recall_at_{K}"])
        facts["recommended_past_exact"] = best
        text.append(f"Past that size use {best} (the approximate kind with the best recall under {budget_ms:g} ms).")
    if "hnsw" in per_kind:
        f = per_kind["hnsw"]
        text.append(f"FAISS HNSW cannot delete: removing an item (a takedown) rebuilds it, {f['build_s']:.0f} s at "
                    f"{f['at']:,} windows; adding is incremental.")
    if "ivfpq" in per_kind:
        f = per_kind["ivfpq"]
        raw = dim * 4 * 1e6 / 1e9
        text.append(f"IVF-PQ scores are approximate (mean top-1 cosine error {f['top1_score_abs_error_mean']}) and guard "
                    f"compares them to its thresholds unrefined: calibrate on the index kind you ship. Its own "
                    f"{f['index_gb_per_million']:.2f} GB per million is small, but guard keeps {raw:.2f} GB per million "
                    f"of float32 vectors beside it, so its memory saving needs those vectors memory-mapped or dropped.")
    if ram_bytes and per_kind:
        fits = {k: f["windows_in_half_ram"] for k, f in per_kind.items()}
        largest = max(fits, key=lambda k: fits[k])
        facts["one_machine_limit_windows"] = fits[largest]
        text.append(f"This machine ({ram_bytes / 2**30:.0f} GiB) holds about {fits[largest]:,} windows in half its memory "
                    f"({largest}; " + ", ".join(f"{k} {v:,}" for k, v in fits.items() if k != largest) + "). Past that, or "
                    "when build time or latency outgrows one machine, shard by item: split the policy's items into "
                    "several guard indexes (processes or machines), send each check's windows to every shard and keep "
                    "each item's best score. Findings are per item, so the verdict is the one a single index gives; "
                    "memory and build time divide by the number of shards, and a check waits for the slowest shard.")
    facts["text"] = text
    return facts


def plot(cells: Mapping[int, Mapping[str, dict[str, Any]]], path: Path) -> Path:
    from benchmarks.plots import Panel, line_plot

    latency, memory = {}, {}
    batch = next((c["check"]["batch"] for n in cells for c in cells[n].values() if "check" in c), None)
    for kind in KINDS:
        rows = _measured(cells, kind)
        latency[kind] = ([n for n, _ in rows], [c["check"]["p50_ms"] for _, c in rows])
        memory[kind] = ([n for n, _ in rows], [c["index_bytes"] / 1e6 for _, c in rows])
    return line_plot(path, [
        Panel(f"p50 per check (one search call, {batch} windows)", "index size (windows)", "ms", latency, logx=True, logy=True),
        Panel("index memory (serialized FAISS index)", "index size (windows)", "MB", memory, logx=True, logy=True),
    ])  # fmt: skip


# --- real vectors --------------------------------------------------------------------------------------
def _spread(items: Sequence[str], n: int) -> list[str]:
    unique = list(dict.fromkeys(items))
    if len(unique) <= n:
        return unique
    return [unique[i] for i in np.linspace(0, len(unique) - 1, n).astype(int)]


def _book_windows(data: Path, book: str) -> list[str]:
    from benchmarks.data import book_passages
    from guard.normalize import canonical
    from guard.windows import windows

    return [w.text for p in book_passages(data, book) for w in windows(canonical(p).text)]


def real_vectors(data: Path) -> tuple[np.ndarray, np.ndarray]:
    """(base, queries): ``BASE_WINDOWS`` windows of ``BASE_BOOKS`` (shuffled) and ``REAL_QUERIES`` of ``QUERY_BOOK``."""
    from benchmarks._cache import DiskCachedEmbedder
    from guard.embedding import load_embedder

    base_texts = _spread([t for book in BASE_BOOKS for t in _book_windows(data, book)], BASE_WINDOWS)
    query_texts = _spread(_book_windows(data, QUERY_BOOK), REAL_QUERIES)
    embedder = DiskCachedEmbedder(load_embedder())
    try:
        log(f"embedding {len(base_texts)} base and {len(query_texts)} query windows (cached after the first run)...")
        base = embedder.embed(base_texts, progress=True)
        queries = embedder.embed(query_texts, progress=True)
    finally:
        embedder.save()
    return base[np.random.default_rng(0).permutation(len(base))], queries


def check_batch(data: Path, outputs: int = 40) -> int:
    """Median number of windows guard embeds (and searches in one call) for a 200-word output."""
    from benchmarks.data import book_passages
    from guard.guard import _windows_to_embed
    from guard.normalize import views

    texts = [" ".join(p.split()[:200]) for p in book_passages(data, QUERY_BOOK, words=200)][:outputs]
    return int(np.median([len(_windows_to_embed(tuple(views(t)))) for t in texts]))


# --- runner ----------------------------------------------------------------------------------------------
def _options(args: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks scale")
    p.add_argument("--sizes", help=f"comma-separated index sizes (default {','.join(map(str, SIZES))})")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {','.join(KINDS)}")
    p.add_argument("--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))}, {QUICK_CALLS} calls per cell")
    p.add_argument("--fresh", action="store_true", help="forget the finished cells of an earlier run")
    opts = p.parse_args(list(args))
    opts.sizes = [int(s) for s in opts.sizes.split(",")] if opts.sizes else list(QUICK_SIZES if opts.quick else SIZES)
    opts.kinds = [k.strip() for k in opts.kinds.split(",")]
    unknown = set(opts.kinds) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds {sorted(unknown)}; choose from {list(KINDS)}")
    return opts


def _load_partial(path: Path, config: dict[str, Any], fresh: bool) -> dict[str, dict[str, dict[str, Any]]]:
    if fresh or not path.exists():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("config") != config:
        log(f"{path} was written with other settings; starting afresh")
        return {}
    log(f"resuming: {sum(len(v) for v in stored['cells'].values())} cells already measured ({path})")
    return stored["cells"]


def _save_partial(path: Path, config: dict[str, Any], cells: dict[str, dict[str, dict[str, Any]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"config": config, "cells": cells}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def run(data: Path, *args: str) -> dict[str, Any]:
    import faiss

    opts = _options(args)
    name = "scale-quick" if opts.quick else "scale"
    calls = QUICK_CALLS if opts.quick else CALLS
    budget_s = CELL_SECONDS / 3 if opts.quick else CELL_SECONDS
    t_start = time.perf_counter()
    base, real = real_vectors(data)
    near = jitter(base[:DUP_QUERIES], QUERY_SIGMA, np.random.default_rng(2))
    queries = np.concatenate([real, near])
    groups = {"real_windows": slice(0, len(real)), "near_duplicates": slice(len(real), len(queries))}
    batch = check_batch(data)
    config = {"base": len(base), "sigma": SIGMA, "queries": {k: s.stop - s.start for k, s in groups.items()},
              "query_sigma": QUERY_SIGMA, "k": K, "batch": batch, "calls": calls, "budget_s": budget_s,
              "kinds": {k: list(KINDS[k]) for k in KINDS}, "faiss": faiss.__version__,
              "threads": faiss.omp_get_max_threads()}
    partial = CACHE / f"{name}-partial.json"
    stored = _load_partial(partial, config, opts.fresh)
    cells: dict[int, dict[str, dict[str, Any]]] = {}
    for n in opts.sizes:
        log(f"[{n:,}] growing {len(base):,} real vectors to {n:,}... ({time.perf_counter() - t_start:.0f} s so far)")
        vectors = grow(base, n)

        def keep(kind: str, cell: dict[str, Any], n: int = n) -> None:
            stored.setdefault(str(n), {})[kind] = cell
            _save_partial(partial, config, stored)

        cells[n] = measure_size(vectors, queries, opts.kinds, batch=batch, calls=calls, budget_s=budget_s,
                                groups=groups, done=stored.get(str(n)), on_cell=keep, progress=log)
        del vectors
        gc.collect()
    ram = _ram_bytes()
    result = {
        "vectors": (f"{len(base):,} real windows (bundled MiniLM, 384-d) of {', '.join(BASE_BOOKS)}, grown to each "
                    f"size by copies with Gaussian noise of {SIGMA} per coordinate, re-normalized (mean cosine of a "
                    f"copy to its source {mean_cosine_to_source(base, SIGMA):.3f}); sizes are nested"),
        "queries": (f"{len(real)} real windows of {QUERY_BOOK} and {len(near)} near-duplicates (base rows with noise "
                    f"{QUERY_SIGMA} per coordinate, mean cosine to source {mean_cosine_to_source(base, QUERY_SIGMA):.3f})"),
        "check": (f"one search call per check with {batch} windows (median for a 200-word output), top-{TOP_K} "
                  f"as guard searches; up to {calls} calls or {budget_s:g} s of searching per cell"),
        "indexes": {k: f"guard.index.ann kind {g!r} with {p or 'its defaults'}" for k, (g, p) in KINDS.items()},
        "faiss": {"version": faiss.__version__, "threads": faiss.omp_get_max_threads()},
        "sizes": opts.sizes,
        "cells": {str(n): c for n, c in cells.items()},
        "advice": advice(cells, dim=base.shape[1], ram_bytes=ram),
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    path = write_result(name, result)
    png = plot(cells, RESULTS / f"{name}.png")
    log(f"wrote {path} and {png}")
    for line in result["advice"]["text"]:
        log(f"  {line}")
    return result


def _ram_bytes() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
