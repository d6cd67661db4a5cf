"""The scale benchmark's measurement core and the plot helpers, on small random vectors (no model)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("faiss")
pytest.importorskip("matplotlib")

from benchmarks import plots, scale  # noqa: E402

DIM = 384  # IVF-PQ's 48 sub-quantizers need a dimension divisible by 48


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("n", [500, 2000])
def test_measure_size_reports_every_kind(n: int) -> None:
    rng = np.random.default_rng(0)
    vectors = scale.grow(_unit(rng, 100), n)
    queries = np.concatenate([_unit(rng, 20), scale.jitter(vectors[:20], scale.QUERY_SIGMA, rng)])
    groups = {"random": slice(0, 20), "near_duplicates": slice(20, 40)}
    seen: list[str] = []
    cells = scale.measure_size(vectors, queries, list(scale.KINDS), batch=8, calls=3, groups=groups,
                               params={"ivfpq": {"nlist": 4}}, on_cell=lambda kind, _: seen.append(kind))
    assert seen == list(scale.KINDS) == list(cells)
    assert cells["exact"]["recall_at_10"] == 1.0
    assert cells["exact"]["top1_score_abs_error"]["mean"] == 0.0
    for kind, cell in cells.items():
        assert 0.0 <= cell["recall_at_10"] <= 1.0 and 0.0 <= cell["recall_at_1"] <= 1.0
        assert set(cell["recall_at_10_by_queries"]) == set(groups)
        assert cell["n"] == n and cell["index_bytes"] > 0 and cell["build_s"] >= 0
        assert cell["in_guard_bytes"] == cell["index_bytes"] + n * DIM * 4
        assert cell["check"]["calls"] == 3 and cell["check"]["batch"] == 8
        assert cell["check"]["p95_ms"] >= cell["check"]["p50_ms"] > 0, kind
    assert cells["ivfpq"]["params"]["pq"] == 48 and cells["ivfpq"]["params"]["nlist"] == 4
    assert cells["hnsw"]["params"]["m"] == 32  # guard's default, not the benchmark's
    assert cells["ivfpq"]["index_bytes"] < cells["exact"]["index_bytes"]

    advice = scale.advice({n: cells}, dim=DIM, ram_bytes=8 * 2**30)
    assert set(advice["per_kind"]) == set(scale.KINDS) and advice["text"]
    assert advice["one_machine_limit_windows"] > n


def test_finished_cells_are_not_measured_again() -> None:
    rng = np.random.default_rng(1)
    vectors, queries = _unit(rng, 300), _unit(rng, 10)
    done = {"exact": {"marker": True}}
    cells = scale.measure_size(vectors, queries, ["exact", "hnsw"], batch=4, calls=2, done=done)
    assert cells["exact"] == {"marker": True} and "recall_at_10" in cells["hnsw"]


def test_guard_refuses_ivf_on_too_few_vectors() -> None:
    rng = np.random.default_rng(2)
    vectors = _unit(rng, 1000)
    truth = scale.exact_truth(vectors, vectors[:5])
    cell = scale.measure("ivfpq", vectors, vectors[:5], truth, batch=5, calls=2)
    assert "skipped" in cell and "needs at least" in cell["skipped"]


def test_grow_is_nested_and_unit_norm() -> None:
    base = _unit(np.random.default_rng(3), 50)
    small, large = scale.grow(base, 120), scale.grow(base, 400)
    np.testing.assert_array_equal(small, large[:120])
    np.testing.assert_array_equal(large[:50], base)
    np.testing.assert_allclose(np.linalg.norm(large, axis=1), 1.0, atol=1e-5)
    assert scale.grow(base, 20).shape == (20, DIM)


def test_plots_write_pngs(tmp_path) -> None:
    bars = plots.bar_plot(tmp_path / "bars.png", "leak rate per family",
                          {"paraphrase": {"guard": 0.1, "cosine": 0.3}, "base64": {"guard": 0.0}}, "leak rate")
    lines = plots.line_plot(tmp_path / "sub" / "lines.png", [
        plots.Panel("latency", "windows", "ms", {"exact": ([1e3, 1e4], [0.5, 5.0]), "empty": ([], [])}, logx=True, logy=True),
        plots.Panel("memory", "windows", "MB", {"exact": ([1e3, 1e4], [1.5, 15.0])}),
    ])  # fmt: skip
    for path in (bars, lines):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
