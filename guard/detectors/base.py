"""What every detector sees: a candidate text, prepared once and shared by all detectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guard.normalize import View
from guard.types import Finding, Matcher
from guard.windows import Window


@dataclass(frozen=True)
class Candidate:
    """A text to check, with its views, windows and window vectors.

    Attributes:
        text: the original text; every span in a finding indexes into it.
        views: ``views[0]`` is the canonical text; the rest are decodings (base64, reversed...).
        windows: ``(view position, window)`` pairs, the windows that were embedded.
        vectors: shape ``(len(windows), dim)``, float32, unit rows, in the order of ``windows``.
        foreign: positions in ``windows`` of those that read as another language than English (only when
            the guard checks translations: `guard.detectors.translation`).
        foreign_vectors: their vectors in the multilingual embedder's space, in the order of ``foreign``.
    """

    text: str
    views: tuple[View, ...]
    windows: tuple[tuple[int, Window], ...]
    vectors: np.ndarray
    foreign: tuple[int, ...] = ()
    foreign_vectors: np.ndarray | None = None

    def window_span(self, position: int) -> tuple[int, int, str]:
        """Original span and view label of window number ``position``."""
        view_pos, window = self.windows[position]
        view = self.views[view_pos]
        start, end = view.span(window.start, window.end)
        return start, end, view.label

    def window_cased(self, position: int) -> str:
        """Window number ``position``'s text in the case the writer gave it (`guard.normalize.View.cased`): what
        names are read from ("Hs14o" reads "Hsiao")."""
        view_pos, window = self.windows[position]
        return self.views[view_pos].cased(self.text, window.start, window.end)


def window_findings(
    best: dict[tuple[int, int], tuple[float, int]],
    candidate: Candidate,
    item_meta: list[tuple[str, str]],
    threshold: float,
    matcher: Matcher,
) -> list[Finding]:
    """Keep flagged pairs and, per item, the best unflagged one; drop spans inside a better one."""
    out: list[Finding] = []
    seen: set[int] = set()  # items with a finding already (the best pair comes first)
    for (w, item), (score, row) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        if score < threshold and item in seen:
            continue
        start, end, label = candidate.window_span(w)
        if any(f.item_id == item_meta[item][0] and f.start <= start and end <= f.end for f in out):
            continue
        seen.add(item)
        item_id, kind = item_meta[item]
        clipped = float(min(1.0, max(0.0, score)))
        out.append(Finding(item_id, kind, matcher, clipped, threshold, start, end, label, {"window": row}))
    return out
