"""Small PNG plots for benchmark results (matplotlib, Agg backend: no display needed).

``pip install 'guard-suppress[bench]'`` installs matplotlib. Two helpers, both returning the path written:

- `line_plot`: side-by-side panels, one line per series (e.g. latency and memory against index size);
- `bar_plot`: grouped bars, ``groups = {group: {system: value}}`` (e.g. leak rate per attack family).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Panel:
    """One panel of `line_plot`: ``series`` maps a line's label to its ``(xs, ys)``."""

    title: str
    xlabel: str
    ylabel: str
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]] = field(default_factory=dict)
    logx: bool = False
    logy: bool = False


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def line_plot(path: Path, panels: Sequence[Panel], *, title: str | None = None) -> Path:
    """Panels side by side, one line (with markers) per series; a series with no points is left out."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for label, (xs, ys) in panel.series.items():
            if len(xs):
                ax.plot(xs, ys, marker="o", label=label)
        ax.set_xscale("log" if panel.logx else "linear")
        ax.set_yscale("log" if panel.logy else "linear")
        ax.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
        ax.grid(True, which="both", alpha=0.3)
        if panel.series:
            ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, plt, path)


def bar_plot(path: Path, title: str, groups: Mapping[str, Mapping[str, float]], ylabel: str) -> Path:
    """Grouped bars: one group per key of ``groups``, one bar (and colour) per system inside it.

    A system missing from a group leaves a gap there.
    """
    plt = _pyplot()
    systems = list(dict.fromkeys(s for bars in groups.values() for s in bars))
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) * max(len(systems), 1) * 0.6 + 2), 4.5))
    for i, system in enumerate(systems):
        xs = [g + (i - (len(systems) - 1) / 2) * width for g, bars in enumerate(groups.values()) if system in bars]
        ys = [bars[system] for bars in groups.values() if system in bars]
        ax.bar(xs, ys, width, label=system)
    ax.set_xticks(range(len(groups)), list(groups), rotation=30 if len(groups) > 5 else 0, ha="right" if len(groups) > 5 else "center")
    ax.set(title=title, ylabel=ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    if systems:
        ax.legend()
    return _save(fig, plt, path)


def _save(fig: Any, plt: Any, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
