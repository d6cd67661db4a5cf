"""`View`: a derived text with, per character, the span of the original text it came from; and the edit
machinery (`_Buf`, `_Edits`) every normalization step uses to keep that map."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True, eq=False)
class View:
    """A text derived from the original, with a map back to it.

    Attributes:
        text: the derived text.
        starts: int32, shape (len(text),): original index where view char i begins.
        ends: int32, shape (len(text),): original index (exclusive) where view char i ends.
        label: how the text was derived: "plain", "base64", "hex", "url", "rot13", "reversed",
            or a chain such as "reversed+base64" (reversed, then base64-decoded).
    """

    text: str
    starts: np.ndarray
    ends: np.ndarray
    label: str = "plain"

    def __post_init__(self) -> None:
        # Frozen means frozen: the maps are made read-only int32 so views can be shared safely.
        for name in ("starts", "ends"):
            arr = np.array(getattr(self, name), dtype=np.int32)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not (len(self.starts) == len(self.ends) == len(self.text)):
            raise ValueError("View maps must have one entry per character of text")

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) covering view ``text[start:end]``.

        The min of starts and max of ends are used (not the endpoints) because reversed views
        map backwards and decoded characters may cover several original characters.

        Raises:
            ValueError: unless ``0 <= start < end <= len(text)``.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"bad view span [{start}, {end}) for a text of {len(self.text)} chars")
        return int(self.starts[start:end].min()), int(self.ends[start:end].max())

    def cased(self, original: str, start: int = 0, end: int | None = None) -> str:
        """``text[start:end]`` with each small letter that came from one capital character of ``original`` (the
        text this view was derived from) made a capital: the fold in the writer's case, so names can be read
        from it. "Hs14o" reads "Hsiao", a Cyrillic or fullwidth capital "А" reads "A", and a rot13 view keeps
        its capitals; a letter decoded from several characters (base64, hex) stays small."""
        end = len(self.text) if end is None else end
        out = list(self.text[start:end])
        for i, c in enumerate(out):
            s, e = int(self.starts[start + i]), int(self.ends[start + i])
            if e - s == 1 and c.islower() and original[s].isupper():
                out[i] = c.upper()
        return "".join(out)

    def __eq__(self, other: object) -> bool:
        # The dataclass default would compare arrays with ==, which numpy refuses to truth-test.
        if not isinstance(other, View):
            return NotImplemented
        return (
            self.text == other.text
            and self.label == other.label
            and np.array_equal(self.starts, other.starts)
            and np.array_equal(self.ends, other.ends)
        )

    def __hash__(self) -> int:
        return hash((self.text, self.label))


class _Buf(NamedTuple):
    """A work-in-progress text with maps into the text it was derived from (monotone maps)."""

    text: str
    starts: np.ndarray
    ends: np.ndarray


def _identity(text: str) -> _Buf:
    """Wrap a text with the map of each char onto itself."""
    idx = np.arange(len(text), dtype=np.int64)
    return _Buf(text, idx, idx + 1)


def _with_text(buf: _Buf, text: str) -> _Buf:
    """Replace the text of a buffer by one of the same length (per-char substitutions)."""
    return _Buf(text, buf.starts, buf.ends) if len(text) == len(buf.text) else buf


class _Edits:
    """Replacements of disjoint, ordered [a, b) ranges of a buffer, applied at once.

    Each output char of a replacement maps to the union of the input range [lo, hi). Applying is
    vectorized (numpy) so texts with very many edits (a zero-width char between every letter)
    stay fast; only the text pieces are joined in Python.
    """

    __slots__ = ("a", "b", "out", "lo", "hi")

    def __init__(self) -> None:
        self.a: list[int] = []
        self.b: list[int] = []
        self.out: list[str] = []
        self.lo: list[int] = []
        self.hi: list[int] = []

    def add(self, a: int, b: int, out: str, lo: Sequence[int], hi: Sequence[int]) -> None:
        """Replace [a, b) (non-empty, after the previous edit) by out; char k maps to [lo[k], hi[k])."""
        self.a.append(a)
        self.b.append(b)
        self.out.append(out)
        self.lo.extend(lo)
        self.hi.extend(hi)

    def add_union(self, a: int, b: int, out: str) -> None:
        """Replace [a, b) by out, every output char mapping to the whole range."""
        self.add(a, b, out, [a] * len(out), [b] * len(out))

    def apply(self, buf: _Buf) -> _Buf:
        """Return the edited buffer; maps are composed with the buffer's (assumed monotone)."""
        if not self.a:
            return buf
        text = buf.text
        parts: list[str] = []
        pos = 0
        for a, b, out in zip(self.a, self.b, self.out):
            parts.append(text[pos:a])
            parts.append(out)
            pos = b
        parts.append(text[pos:])
        new_text = "".join(parts)
        if len(self.a) <= max(64, len(text) // 256):
            return _Buf(new_text, *self._sliced_maps(buf))
        lo, hi = self._index_maps(len(text), len(new_text))
        return _Buf(new_text, buf.starts[lo], buf.ends[hi - 1])

    def _sliced_maps(self, buf: _Buf) -> tuple[np.ndarray, np.ndarray]:
        """New maps by concatenating slices: fastest when edits are few."""
        edit_starts = buf.starts[np.asarray(self.lo, dtype=np.int64)]
        edit_ends = buf.ends[np.asarray(self.hi, dtype=np.int64) - 1]
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        pos = used = 0
        for a, b, out in zip(self.a, self.b, self.out):
            starts += (buf.starts[pos:a], edit_starts[used : used + len(out)])
            ends += (buf.ends[pos:a], edit_ends[used : used + len(out)])
            used += len(out)
            pos = b
        starts.append(buf.starts[pos:])
        ends.append(buf.ends[pos:])
        return np.concatenate(starts), np.concatenate(ends)

    def _index_maps(self, n: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        """For each output char, the input range [lo, hi) it comes from."""
        a = np.asarray(self.a, dtype=np.int64)
        b = np.asarray(self.b, dtype=np.int64)
        k = np.fromiter((len(o) for o in self.out), dtype=np.int64, count=len(self.out))
        opened = np.zeros(n + 1, dtype=np.int64)
        closed = np.zeros(n + 1, dtype=np.int64)
        opened[a] = 1  # edits are disjoint and non-empty: a (and b) values are unique
        closed[b] = 1
        kept = np.flatnonzero(np.cumsum(opened - closed)[:n] == 0)
        delta = np.zeros(n + 1, dtype=np.int64)
        delta[b] = k - (b - a)
        shift = np.cumsum(delta)
        lo = np.empty(total, dtype=np.int64)
        hi = np.empty(total, dtype=np.int64)
        lo[kept + shift[kept]] = kept
        hi[kept + shift[kept]] = kept + 1
        if k.sum():
            first = np.repeat(a + shift[a], k)
            offset = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
            lo[first + offset] = self.lo
            hi[first + offset] = self.hi
        return lo, hi


def _sub(buf: _Buf, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str | None]) -> _Buf:
    """Regex substitution keeping maps; each replacement maps to the whole match.

    ``repl`` returns None to leave a match alone. Same-length replacements map char by char and
    only touch the text (a "\\n" between words becoming " " costs no map work).
    """
    edits = _Edits()
    parts: list[str] = []
    pos = 0
    for m in pattern.finditer(buf.text):
        out = repl(m)
        if out is None or out == m.group():
            continue
        a, b = m.span()
        if len(out) == b - a:
            parts += (buf.text[pos:a], out)
            pos = b
        else:
            edits.add_union(a, b, out)
    if parts:
        parts.append(buf.text[pos:])
        buf = _with_text(buf, "".join(parts))
    return edits.apply(buf)
