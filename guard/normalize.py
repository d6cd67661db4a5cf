"""Normalization of candidate outputs before matching, with a map back to the original text.

Forbidden text can be hidden from matchers by Unicode tricks (fullwidth or mathematical letters,
zero-width and bidi characters, homoglyphs, Zalgo marks), by leetspeak and spacing, or by
encodings (base64, hex, URL escapes, rot13, reversal). Every function here returns a `View`: a
derived text plus, for each of its characters, the span of the ORIGINAL text it came from, so a
matcher can report (and a redactor can cut) the original characters whichever view matched.

Three levels of folding:

* `canonical`: mild, keeps words, spaces, case-folded letters and sentence punctuation, so it
  can be embedded and split into sentences; other languages survive.
* `skeleton`: aggressive, keeps only letters and digits after folding leet and homoglyphs, for
  verbatim n-gram matching where spacing and punctuation noise must not matter.
* `decodings`: texts hidden inside the text (base64, hex, URL escapes) or under it (rot13,
  reversal), each canonicalized.

Bump `NORMALIZATION_VERSION` whenever any output changes: indexes store it and must be rebuilt.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "MAX_VIEWS",
    "NORMALIZATION_VERSION",
    "View",
    "canonical",
    "decodings",
    "language_score",
    "skeleton",
    "views",
]

NORMALIZATION_VERSION = "2"

MAX_VIEWS = 16  # decodings() never returns more views than this, whatever the nesting


# --------------------------------------------------------------------------------------------
# View
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Character tables
# --------------------------------------------------------------------------------------------

_DROP, _MARK, _BASE = 0, 1, 2

# Default-ignorable code points that are not category Cf (variation selectors, fillers...).
_EXTRA_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0000, 0xE0FFF),
)


def _is_extra_ignorable(cp: int) -> bool:
    """Whether a code point is default-ignorable though not of category Cf."""
    return any(lo <= cp <= hi for lo, hi in _EXTRA_IGNORABLE)


@functools.lru_cache(maxsize=65536)
def _char_info(c: str) -> tuple[int, str]:
    """Classify one char: (_DROP, ""), (_MARK, c) or (_BASE, NFKC(c)).

    Dropped: format chars (zero-width, bidi, soft hyphen, BOM), other default-ignorables, lone
    surrogates and control chars that are not whitespace; they are invisible, so they can only
    serve to split words for a matcher.
    """
    cat = unicodedata.category(c)
    if cat in ("Cf", "Cs") or _is_extra_ignorable(ord(c)) or (cat == "Cc" and not c.isspace()):
        return _DROP, ""
    if cat in ("Mn", "Me"):
        return _MARK, c
    return _BASE, unicodedata.normalize("NFKC", c)


# Blocks of script-neutral combining marks, the material of Zalgo text. Marks of a script (Thai
# tone marks, Devanagari vowel signs, Arabic harakat, Hebrew points) legitimately stack.
_GENERIC_MARKS = (
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_GENERIC_MARK_RE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _GENERIC_MARKS) + "]")


def _fold_cluster(cluster: str) -> str:
    """NFKC of a base char with its combining marks, dropping the marks that are Zalgo noise.

    Two or more marks on one base are noise unless they compose into one precomposed letter
    (Vietnamese "ệ" typed decomposed); even then only script-neutral marks are dropped, so
    Thai, Devanagari, Arabic or Hebrew stacks survive. A single mark is an accent and stays.
    """
    return _fold_short_cluster(cluster) if len(cluster) <= 8 else _fold_cluster_uncached(cluster)


@functools.lru_cache(maxsize=8192)
def _fold_short_cluster(cluster: str) -> str:
    """`_fold_cluster`, cached: short clusters (accents, light Zalgo) repeat a lot."""
    return _fold_cluster_uncached(cluster)


def _fold_cluster_uncached(cluster: str) -> str:
    """See `_fold_cluster`."""
    base = "" if _char_info(cluster[0])[0] == _MARK else cluster[0]
    marks = cluster[len(base) :]
    if len(marks) >= 2 and len(unicodedata.normalize("NFC", cluster)) != 1:
        cluster = base + _GENERIC_MARK_RE.sub("", marks)
    return unicodedata.normalize("NFKC", cluster)


@functools.lru_cache(maxsize=1)
def _confusable_table() -> dict[int, str]:
    """Map of non-ASCII char -> the ASCII letter or digit it looks like (built once, lazily).

    Built from the data shipped with ``confusable_homoglyphs``, in both directions (the data
    lists an ASCII prototype's lookalikes under the prototype, and some lookalikes' prototypes
    under the lookalike). Several candidates: same case as the source first, letters before
    digits, so Cyrillic "І" folds to "I" and not to "l" or "1".
    """
    from confusable_homoglyphs import confusables

    candidates: dict[str, set[str]] = {}
    for key, entries in confusables.confusables_data.items():
        key = key.strip("\u200e")
        glyphs = [e["c"].strip("\u200e") for e in entries]
        if _is_ascii_alnum(key):
            for glyph in glyphs:
                if len(glyph) == 1 and not glyph.isascii():
                    candidates.setdefault(glyph, set()).add(key)
        elif len(key) == 1 and not key.isascii():
            for glyph in glyphs:
                if _is_ascii_alnum(glyph):
                    candidates.setdefault(key, set()).add(glyph)
    # A char whose case folding is already ASCII ("ſ" long s -> "s") is left to casefold.
    return {
        ord(c): _pick_prototype(c, opts)
        for c, opts in candidates.items()
        if not _is_ascii_alnum(c.casefold())
    }


def _is_ascii_alnum(s: str) -> bool:
    """Whether s is exactly one ASCII letter or digit."""
    return len(s) == 1 and s.isascii() and s.isalnum()


def _pick_prototype(c: str, options: set[str]) -> str:
    """Choose the ASCII prototype of a lookalike: same case first, then letters, then by value.

    Unicode's prototype for I, l, 1 and | is "l"; an uppercase lookalike of it is an "I".
    """
    want_upper = c.isupper()
    best = min(options, key=lambda o: (o.isupper() != want_upper, o.isdigit(), o))
    return "I" if want_upper and best == "l" else best


_NOT_LETTER, _LATIN, _OTHER = 0, 1, 2


@functools.lru_cache(maxsize=65536)
def _letter_script(c: str) -> int:
    """_LATIN for a Latin-script letter (ASCII or not), _OTHER for another letter, else _NOT_LETTER."""
    if not c.isalpha():
        return _NOT_LETTER
    if c.isascii() or unicodedata.name(c, "").startswith("LATIN"):
        return _LATIN
    return _OTHER


# --------------------------------------------------------------------------------------------
# canonical()
# --------------------------------------------------------------------------------------------

# What the char stage does with a char: keep it, change it (NFKC), fold it with its base as a
# combining mark, or drop it (invisible).
_KIND_PLAIN, _KIND_CHANGE, _KIND_MARK, _KIND_DROP = 0, 1, 2, 3
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _codepoints(text: str) -> np.ndarray:
    """The code points of text as a uint32 array (lone surrogates allowed)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_codepoints(cps: np.ndarray) -> str:
    """Inverse of `_codepoints`."""
    return cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@functools.lru_cache(maxsize=65536)
def _char_kind(c: str) -> int:
    """The `_KIND_*` of c for the char stage."""
    kind, folded = _char_info(c)
    if kind == _DROP:
        return _KIND_DROP
    if kind == _MARK:
        return _KIND_MARK
    return _KIND_PLAIN if folded == c else _KIND_CHANGE


def _present(cps: np.ndarray) -> np.ndarray:
    """The distinct code points of a non-empty code point array, in O(n) (no sort)."""
    present = np.zeros(int(cps.max()) + 1, dtype=bool)
    present[cps] = True
    return np.flatnonzero(present)


def _unique_chars(text: str) -> list[str]:
    """The distinct chars of text (``set(text)`` is slow on big texts of many scripts)."""
    if len(text) < 4096:
        return list(set(text))
    return [chr(cp) for cp in _present(_codepoints(text)).tolist()]


def _char_classes(text: str, classify: Callable[[str], int]) -> np.ndarray:
    """``classify`` (a small int) of every char of text, called once per distinct char."""
    cps = _codepoints(text)
    if not len(cps):
        return np.zeros(0, dtype=np.uint8)
    chars = _unique_chars(text)
    table = np.zeros(int(cps.max()) + 1, dtype=np.uint8)
    table[[ord(c) for c in chars]] = [classify(c) for c in chars]
    return table[cps]


def _lookup_table(cps: np.ndarray, mapping: dict[int, str]) -> np.ndarray | None:
    """Code point table applying a one-char-to-one-char mapping to the chars of cps (non-empty)."""
    hits = [cp for cp in _present(cps).tolist() if cp in mapping]
    if not hits:
        return None
    table = np.arange(int(cps.max()) + 1, dtype=np.uint32)
    table[hits] = [ord(mapping[cp]) for cp in hits]
    return table


def _translate(text: str, mapping: dict[int, str]) -> str:
    """``text.translate(mapping)`` for a one-char-to-one-char mapping, fast on big texts."""
    if len(text) < 4096:
        return text.translate(mapping)
    cps = _codepoints(text)
    table = _lookup_table(cps, mapping)
    return text if table is None else _from_codepoints(table[cps])


def _fold_chars(buf: _Buf) -> _Buf:
    """NFKC per grapheme, invisible chars dropped, Zalgo marks stripped; maps kept exact.

    Vectorized: invisible chars are removed with a mask, chars are NFKC'd by one translate with
    maps repeated for expansions ("ﬁ" -> "fi"), and only clusters of a base with combining
    marks are visited one by one in Python.
    """
    if buf.text.isascii() and not _ASCII_CONTROL_RE.search(buf.text):
        return buf
    kinds = _char_classes(buf.text, _char_kind)
    keep = kinds != _KIND_DROP
    if not keep.all():
        kinds = kinds[keep]
        buf = _Buf(_from_codepoints(_codepoints(buf.text)[keep]), buf.starts[keep], buf.ends[keep])
    return _nfkc_chars(_fold_clusters(buf, kinds == _KIND_MARK))


def _fold_clusters(buf: _Buf, is_mark: np.ndarray) -> _Buf:
    """Replace each base char carrying combining marks by `_fold_cluster` of it."""
    marks = np.flatnonzero(is_mark)
    if not len(marks):
        return buf
    bases = np.append(np.flatnonzero(~is_mark), len(is_mark))
    cluster = np.cumsum(~is_mark)  # number of base chars up to here: the cluster's base is bases[c-1]
    first_marks = marks[np.concatenate(([True], np.diff(marks) > 1))]
    ids = cluster[first_marks]
    starts = np.where(ids > 0, bases[np.maximum(ids - 1, 0)], 0)
    ends = bases[ids]
    edits = _Edits()
    for a, b in zip(starts.tolist(), ends.tolist()):
        run = buf.text[a:b]
        out = _fold_cluster(run)
        if out != run:
            edits.add_union(a, b, out)
    return edits.apply(buf)


def _nfkc_chars(buf: _Buf) -> _Buf:
    """NFKC of every char; an expansion ("ﬁ" -> "fi", "…" -> "...") maps to its one char.

    Cluster outputs are already NFKC-normalized, so they pass unchanged.
    """
    chars = _unique_chars(buf.text)
    mapping = {ord(c): _char_info(c)[1] for c in chars if _char_kind(c) == _KIND_CHANGE}
    if not mapping:
        return buf
    if all(len(v) == 1 for v in mapping.values()):
        return _with_text(buf, _translate(buf.text, mapping))
    lengths = _char_classes(buf.text, lambda c: len(mapping.get(ord(c), c)))
    return _Buf(buf.text.translate(mapping), np.repeat(buf.starts, lengths), np.repeat(buf.ends, lengths))


def _fold_confusables(buf: _Buf) -> _Buf:
    """Homoglyphs -> ASCII, everywhere in Latin text, else only inside mixed-script tokens.

    A Russian or Greek sentence must stay Russian or Greek for a multilingual embedder, while
    "Неllo" with a Cyrillic Н is an attack on an English word.
    """
    text = buf.text
    if text.isascii():
        return buf
    table = _confusable_table()
    scripts = _char_classes(text, _letter_script)
    latin = int(np.count_nonzero(scripts == _LATIN))
    other = int(np.count_nonzero(scripts == _OTHER))
    if latin > other:
        return _with_text(buf, _translate(text, table))
    mask = _mixed_token_mask(text, scripts)
    if not mask.any():
        return buf
    cps = _codepoints(text)
    lookup = _lookup_table(cps, table)
    if lookup is None:
        return buf
    return _with_text(buf, _from_codepoints(np.where(mask, lookup[cps], cps)))


def _mixed_token_mask(text: str, scripts: np.ndarray) -> np.ndarray:
    """Mask of the chars of tokens (runs of non-space chars) mixing Latin and other letters."""
    space = _char_classes(text, str.isspace).astype(bool)
    token = np.cumsum(~space & np.concatenate(([True], space[:-1])))  # token number per char
    latin = np.zeros(token[-1] + 1, dtype=bool)
    other = np.zeros(token[-1] + 1, dtype=bool)
    latin[token[scripts == _LATIN]] = True
    other[token[scripts == _OTHER]] = True
    return (latin & other)[token] & ~space


def _casefold(buf: _Buf) -> _Buf:
    """Case-fold; a char that folds to several ("ß" -> "ss") maps them all to itself."""
    folded = buf.text.casefold()
    if len(folded) == len(buf.text):
        return _with_text(buf, folded)
    expanding = [c for c in _unique_chars(buf.text) if c >= "\x80" and len(c.casefold()) != 1]
    if not expanding:
        return buf
    pattern = re.compile("|".join(map(re.escape, expanding)))
    buf = _sub(buf, pattern, lambda m: m.group().casefold())
    folded = buf.text.casefold()
    return _with_text(buf, folded)


# >= 4 single-char tokens; the first may follow an opening bracket or quote, the last may carry
# closing punctuation ("(t h e  e n d)." joins to "(the end).").
_SPACED_RE = re.compile(
    r"(?<![^\s(\[{\"'])(?:[^\W_]|[@$])(?:(?:[ \t]+/[ \t]+|[ \t]+)(?:[^\W_]|[@$])(?!\S)){2,}"
    r"(?:[ \t]+/[ \t]+|[ \t]+)(?:[^\W_]|[@$])(?=[.,;:!?)\]}\"']*(?:\s|$))"
)
_SPACED_SEP_RE = re.compile(r"[ \t]+/[ \t]+|[ \t]+")


def _join_spaced_letters(buf: _Buf) -> _Buf:
    """Join runs of >= 4 single-char tokens ("t h e  q u i c k" -> "the quick").

    Single spaces join; 2+ spaces or " / " are word boundaries. Digits join too: a spaced-out
    number or ID ("K 4 4 7 1 2 0 3", "5 5 5 0 1 4 3") is the same evasion as spaced letters.
    """
    edits = _Edits()
    for m in _SPACED_RE.finditer(buf.text):
        _add_spaced_join(m.group(), m.start(), edits)
    return edits.apply(buf)


def _add_spaced_join(run: str, offset: int, edits: _Edits) -> None:
    """Add the edit joining one spaced-letters run; each letter keeps its own origin."""
    out: list[str] = []
    lo: list[int] = []
    hi: list[int] = []
    pos = 0
    for sep in _SPACED_SEP_RE.finditer(run):
        out.append(run[pos])
        lo.append(offset + pos)
        hi.append(offset + pos + 1)
        if "/" in sep.group() or len(sep.group()) >= 2:
            out.append(" ")
            lo.append(offset + sep.start())
            hi.append(offset + sep.end())
        pos = sep.end()
    out.append(run[pos])
    lo.append(offset + pos)
    hi.append(offset + pos + 1)
    edits.add(offset, offset + len(run), "".join(out), lo, hi)


# Leetspeak, after zxcvbn's table; "2" -> "z" is left to skeleton() (too many false positives).
_LEET_STRONG = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s",
}  # fmt: skip
_LEET_WEAK = {"|": "i", "!": "i", "+": "t"}  # only between two letters/digits
# A token holding a leet char; anchored at token starts so scanning stays linear.
_LEET_TOKEN_RE = re.compile(r"(?<![^ \n])[^ \n0-9@$|!+]*[0-9@$|!+][^ \n]*")
_MAX_LEET_TOKEN = 40  # longer tokens are identifiers, URLs or encoded blobs, not leet words
_TOKEN_LEAD = frozenset("\"'([{<«“‘¿¡*_")
_TOKEN_TRAIL = frozenset("\"')]}>»”’.,;:?!…*_")
_TOKEN_PART_RE = re.compile(r"[^-./,:;'’_]+")
_NUMERIC_PART_RE = re.compile(
    r"[$€£¥#]?[0-9]+(?:st|nd|rd|th|s|am|pm|k|m|bn|b|x|d|h|p|px|pt|kb|mb|gb|tb|kg|g|km|cm|mm"
    r"|ml|hz|khz|mhz|ghz|fps|mph|kph|yo|min|sec|ms|v|w|kw|mw)?"
)
_WORD_THEN_NUMBER_RE = re.compile(r"[^\W\d_]+[0-9]{2,}")  # covid19, win10, b12
_URLISH_RE = re.compile(r"://|^www\.|[^\s@]@[^\s@]+\.[a-z]{2,}")


def _deleet(buf: _Buf) -> _Buf:
    """Map leet digits and symbols to letters inside tokens that also contain letters.

    Runs after whitespace collapsing, so tokens are delimited by " " and "\\n" only.
    """
    return _with_text(buf, _LEET_TOKEN_RE.sub(lambda m: _deleet_token(m.group()), buf.text))


def _deleet_token(token: str) -> str:
    """`_deleet_short_token` for tokens short enough to be words; longer ones are left alone."""
    return token if len(token) > _MAX_LEET_TOKEN else _deleet_short_token(token)


@functools.lru_cache(maxsize=65536)
def _deleet_short_token(token: str) -> str:
    """Fold the leet chars of one token (same length), or return it unchanged.

    Numbers ("1990", "42"), numbers with a suffix ("3rd", "1990s", "5pm"), words ending in a
    number ("covid19"), URLs, e-mails, tokens over 40 chars and trailing sentence punctuation
    are left alone.
    """
    if not any(c.isalpha() for c in token) or _URLISH_RE.search(token):
        return token
    i, j = 0, len(token)
    while i < j and token[i] in _TOKEN_LEAD:
        i += 1
    while j > i and token[j - 1] in _TOKEN_TRAIL:
        j -= 1
    chars = list(token)
    strong = False
    for a, b in _latin_parts(token, i, j):
        strong |= _deleet_part(token, a, b, chars)
    if strong and i == 1 and token[0] == "(" and token[1].isalpha():
        chars[0] = "c"  # "(r4ck" -> "crack"; only with other leet, "(see" stays a parenthesis
    return "".join(chars)


def _latin_parts(token: str, i: int, j: int) -> Iterator[tuple[int, int]]:
    """The parts of token[i:j] that leet is read in: split at separators ("-", ".", "/", ...) and at letters
    of other scripts. A Chinese or Japanese sentence is one token (no spaces): its digits are numbers
    ("20代", "6月18号"), not leet, and "！" between two characters is no "i"."""
    for part in _TOKEN_PART_RE.finditer(token, i, j):
        start = part.start()
        for k in range(part.start(), part.end()):
            if _letter_script(token[k]) == _OTHER:
                if k > start:
                    yield start, k
                start = k + 1
        if part.end() > start:
            yield start, part.end()


def _deleet_part(token: str, a: int, b: int, chars: list[str]) -> bool:
    """Fold the leet chars of token[a:b] into chars; return whether a strong leet char was found."""
    part = token[a:b]
    if not any(c.isalpha() for c in part):
        return False
    if _NUMERIC_PART_RE.fullmatch(part) or _WORD_THEN_NUMBER_RE.fullmatch(part):
        return False
    strong = [k for k in range(a, b) if token[k] in _LEET_STRONG]
    if strong == [a] and token[a] == "@":
        strong = []  # "@" opening a word is a mention unless the word has other leet
    for k in strong:
        chars[k] = _LEET_STRONG[token[k]]
    for k in range(a + 1, b - 1):
        if token[k] in _LEET_WEAK and token[k - 1].isalnum() and token[k + 1].isalnum():
            chars[k] = _LEET_WEAK[token[k]]
    return bool(strong)


_SPACE_RUN_RE = re.compile(r"\s{2,}")
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_PARAGRAPH = "\x00"  # placeholder for a paragraph break; control chars are gone by now
_SPACES_TO_BLANK = {cp: " " for cp in range(0x3001) if chr(cp).isspace()} | {0: "\n"}


def _collapse_whitespace(buf: _Buf) -> _Buf:
    """One space per whitespace run, "\\n" for a run with 2+ line breaks; strip both ends.

    A blank line is a paragraph break, which sentence splitting downstream treats as a boundary.
    Runs are collapsed first (a paragraph becomes a placeholder), then every remaining
    whitespace char becomes a space by one translate.
    """
    text = buf.text
    a = len(text) - len(text.lstrip())
    b = len(text.rstrip())
    if a or b < len(text):
        buf = _Buf(text[a:b] if a < b else "", buf.starts[a : max(a, b)], buf.ends[a : max(a, b)])

    def repl(m: re.Match[str]) -> str:
        return _PARAGRAPH if len(_LINE_BREAK_RE.findall(m.group())) >= 2 else " "

    buf = _sub(buf, _SPACE_RUN_RE, repl)
    return _with_text(buf, buf.text.translate(_SPACES_TO_BLANK))


_REPEATED_PUNCT_RE = re.compile(r"([^\w\s]|_)\1+")


def _collapse_punctuation(buf: _Buf) -> _Buf:
    """Collapse runs of one punctuation char ("!!!" -> "!", "...." -> ".")."""
    return _sub(buf, _REPEATED_PUNCT_RE, lambda m: m.group(1))


def _canonical_buf(text: str) -> _Buf:
    """The canonical text of ``text`` with maps into it (see `canonical`)."""
    buf = _fold_chars(_identity(text))
    buf = _fold_confusables(buf)
    buf = _casefold(buf)
    buf = _join_spaced_letters(buf)
    buf = _collapse_whitespace(buf)
    buf = _deleet(buf)
    return _collapse_punctuation(buf)


def canonical(text: str) -> View:
    """Mildly normalized text for embedding and sentence splitting (label "plain").

    In order: NFKC per grapheme; invisible chars dropped; Zalgo marks stripped (single accents
    kept); homoglyphs folded to ASCII (in Latin text, or in mixed-script tokens); casefold;
    spaced-out letters and digits joined; whitespace collapsed (blank lines kept as "\\n");
    leetspeak folded inside words; repeated punctuation collapsed.

    Args:
        text: the original text.

    Returns:
        The canonical view; its maps point into ``text``.
    """
    return View(*_canonical_buf(text), label="plain")


# --------------------------------------------------------------------------------------------
# skeleton()
# --------------------------------------------------------------------------------------------

_SKELETON_ASCII = {ord(k): v for k, v in zip("0123456789l", "oizeasgtbgi")}
_SKELETON_ASCII.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_SKELETON_ASCII[ord("L")] = "i"
_SKELETON_SYMBOLS = {"@": "a", "$": "s", "|": "i", "!": "i", "+": "t"}
_SKELETON_SYMBOL_RE = re.compile(r"[@$|!+]")


def _is_skeleton_char(c: str) -> bool:
    """Whether c survives in a skeleton: a lowercase ASCII letter, a digit, or non-ASCII alnum."""
    return c.isalnum() and not ("A" <= c <= "Z")


@functools.lru_cache(maxsize=65536)
def _skeleton_char(c: str) -> str:
    """Skeleton of one non-ASCII char: accents stripped, homoglyph folded, leet applied.

    Returns "\\x00" (dropped later) for a combining mark.
    """
    if unicodedata.category(c) in ("Mn", "Me"):
        return "\x00"
    base = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
    if len(base) != 1:
        base = c
    base = _confusable_table().get(ord(base), base)
    return base.lower().translate(_SKELETON_ASCII) if base.isascii() else base


def _skeleton_symbol(m: re.Match[str]) -> str:
    """Leet symbol -> letter when inside a word, or at a word start before a letter/digit."""
    s, i = m.string, m.start()
    prev = s[i - 1] if i else " "
    nxt = s[i + 1] if i + 1 < len(s) else " "
    prev_in = prev.isalnum() or prev in _SKELETON_SYMBOLS
    next_in = nxt.isalnum() or nxt in _SKELETON_SYMBOLS
    if (prev_in and next_in) or (not prev_in and nxt.isalnum()):
        return _SKELETON_SYMBOLS[m.group()]
    return m.group()


def skeleton(view: View) -> View:
    """Aggressive fold of a canonical view for verbatim n-gram matching.

    Strips combining marks, folds homoglyphs, maps every digit and in-word leet symbols to
    letters, unifies l/1/i/|/! to "i" and 7/+ to "t", then keeps only letters and digits (any
    script). Spacing, punctuation noise, line breaks, JSON quoting, case, homoglyphs, invisible
    chars and leetspeak thus land on the same string as the clean text, on both the index and
    the candidate side. The maps still point into the original text.

    Args:
        view: a view from `canonical` (or any view; the label is kept).

    Returns:
        The skeleton view, e.g. text "thequickbrownfox".
    """
    text = view.text
    table = dict(_SKELETON_ASCII)
    if not text.isascii():
        table.update({ord(c): _skeleton_char(c) for c in _unique_chars(text) if c >= "\x80"})
    text = _SKELETON_SYMBOL_RE.sub(_skeleton_symbol, text.translate(table))
    mask = _char_classes(text, _is_skeleton_char).astype(bool)
    kept = _from_codepoints(_codepoints(text)[mask])
    return View(kept, view.starts[mask], view.ends[mask], label=view.label)


# --------------------------------------------------------------------------------------------
# decodings()
# --------------------------------------------------------------------------------------------

_B64 = r"[A-Za-z0-9+/_\-]"
_B64_RUN_RE = re.compile(rf"(?<!{_B64}){_B64}{{16,}}(?:[ \t]*\r?\n[ \t]*{_B64}+)*={{0,2}}")
_B64_TO_STD = str.maketrans("-_", "+/")
_HEX_RUN_RE = re.compile(r"(?<![0-9A-Za-z\\])(?:(?:\\x|0[xX])?[0-9A-Fa-f]{2}[ :,]{0,2}){8,}")
_HEX_PAIR_RE = re.compile(r"(?:\\x|0[xX])?([0-9A-Fa-f]{2})")
_PCT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_URL_TOKEN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\+")
_WS_DELETE = str.maketrans("", "", "\n\r\t")
_SURROGATE_ESCAPES = {cp: "\ufffd" for cp in range(0xDC80, 0xDD00)}


def _mostly_printable(text: str) -> bool:
    """Whether text is non-empty and >= 90% printable (newlines and tabs count as printable)."""
    if not text:
        return False
    rest = text.translate(_WS_DELETE)
    if rest.isprintable():
        return True
    bad = sum(1 for c in rest if not c.isprintable())
    return bad <= 0.1 * len(text)


def _bytes_to_chars(raw: bytes, text: str, byte_starts: np.ndarray, byte_ends: np.ndarray) -> _Buf:
    """Maps of the chars of text (raw decoded as UTF-8) from the maps of its bytes."""
    if len(raw) == len(text):
        return _Buf(text, byte_starts, byte_ends)
    b = np.frombuffer(raw, dtype=np.uint8)
    lead = np.flatnonzero((b & 0xC0) != 0x80)
    last = np.append(lead[1:], len(b)) - 1
    return _Buf(text, byte_starts[lead], byte_ends[last])


def _decode_utf8(raw: bytes) -> str | None:
    """Strict UTF-8 text that is mostly printable, else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _mostly_printable(text) else None


def _b64_run(text: str, a: int, b: int) -> _Buf | None:
    """Decode the base64 run text[a:b] (whitespace inside allowed), mapped per quartet."""
    run = text[a:b]
    codes = np.frombuffer(run.encode("ascii"), dtype=np.uint8)
    pos = np.flatnonzero(~np.isin(codes, (9, 10, 13, 32))) + a
    data = run.translate(_WS_DELETE).replace(" ", "")
    core = data.rstrip("=")
    if len(core) % 4 == 1:
        core = core[:-1]
    if len(core) < 4:
        return None
    try:
        raw = base64.b64decode(core.translate(_B64_TO_STD) + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    decoded = _decode_utf8(raw)
    if decoded is None:
        return None
    quartets = np.arange((len(core) + 3) // 4)
    q_start = pos[quartets * 4]
    q_end = pos[np.minimum(quartets * 4 + 3, len(core) - 1)] + 1
    q_end[-1] = pos[-1] + 1
    byte_q = np.arange(len(raw)) // 3
    return _bytes_to_chars(raw, decoded, q_start[byte_q], q_end[byte_q])


def _b64_decode(text: str) -> tuple[_Buf | None, bool]:
    """All base64 runs of text, decoded and joined by paragraph breaks; and whether any run was seen.

    A wrapped block followed by a line of prose ("...==\\nThanks") is retried without its last
    line, since the prose line was taken for the block's short last line.
    """
    pieces: list[_Buf] = []
    seen = False
    for m in _B64_RUN_RE.finditer(text):
        seen = True
        a, b = m.span()
        piece = _b64_run(text, a, b)
        if piece is None and "\n" in m.group():
            b = a + len(m.group()[: m.group().rindex("\n")].rstrip())
            piece = _b64_run(text, a, b)
        if piece is not None:
            pieces.append(piece)
    return _join_pieces(pieces), seen


def _hex_run(run: str, offset: int) -> _Buf | None:
    """Decode one hex run ("48656c", "48 65 6c", "\\x48\\x65", "0x48,0x65"), mapped per byte pair."""
    pairs = list(_HEX_PAIR_RE.finditer(run))
    raw = bytes.fromhex("".join(p.group(1) for p in pairs))
    decoded = _decode_utf8(raw)
    if decoded is None:
        return None
    starts = np.fromiter((p.start() + offset for p in pairs), dtype=np.int64, count=len(pairs))
    ends = np.fromiter((p.end() + offset for p in pairs), dtype=np.int64, count=len(pairs))
    return _bytes_to_chars(raw, decoded, starts, ends)


def _hex_decode(text: str) -> tuple[_Buf | None, bool]:
    """All hex runs of text, decoded and joined by paragraph breaks; and whether any run was seen."""
    runs = list(_HEX_RUN_RE.finditer(text))
    pieces = [p for m in runs if (p := _hex_run(m.group(), m.start())) is not None]
    return _join_pieces(pieces), bool(runs)


def _join_pieces(pieces: list[_Buf]) -> _Buf | None:
    """Join decoded pieces with "\\n"; a separator maps to the last char of the piece before it."""
    if not pieces:
        return None
    texts: list[str] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for k, piece in enumerate(pieces):
        if k:
            prev_end = int(pieces[k - 1].ends[-1])
            texts.append("\n")
            starts.append(np.array([prev_end - 1]))
            ends.append(np.array([prev_end]))
        texts.append(piece.text)
        starts.append(np.asarray(piece.starts, dtype=np.int64))
        ends.append(np.asarray(piece.ends, dtype=np.int64))
    return _Buf("".join(texts), np.concatenate(starts), np.concatenate(ends))


def _url_decode(text: str) -> tuple[_Buf | None, bool]:
    """urllib-style unquote_plus of a text with >= 3 %XX escapes, mapped per escape."""
    if len(_PCT_RE.findall(text)) < 3:
        return None, False
    edits = _Edits()
    for m in _URL_TOKEN_RE.finditer(text):
        a, b = m.span()
        if m.group() == "+":
            edits.add(a, b, " ", (a,), (b,))
        else:
            _add_url_escapes(m.group(), a, edits)
    buf = edits.apply(_identity(text))
    return (buf if buf.text != text else None), True


def _add_url_escapes(run: str, a: int, edits: _Edits) -> None:
    """Add the edit decoding one run of %XX escapes; a char maps to the escapes of its bytes."""
    decoded = bytes.fromhex(run.replace("%", "")).decode("utf-8", "surrogateescape")
    lo: list[int] = []
    hi: list[int] = []
    byte = 0
    for c in decoded:
        width = len(c.encode("utf-8", "surrogateescape"))
        lo.append(a + 3 * byte)
        hi.append(a + 3 * (byte + width))
        byte += width
    edits.add(a, a + len(run), decoded.translate(_SURROGATE_ESCAPES), lo, hi)


def _rot13(buf: _Buf) -> _Buf:
    """rot13 of a buffer (exact per-char map)."""
    return _Buf(codecs.encode(buf.text, "rot13"), buf.starts, buf.ends)


def _reverse(buf: _Buf) -> _Buf:
    """The buffer reversed char by char (exact per-char map)."""
    return _Buf(buf.text[::-1], buf.starts[::-1], buf.ends[::-1])


_Decoder = Callable[[str], tuple[_Buf | None, bool]]
_DECODERS: dict[str, _Decoder] = {"base64": _b64_decode, "hex": _hex_decode, "url": _url_decode}
# (name, transform, map orientation sign, decoders worth trying under it). rot13 keeps base64
# runs where they were; reversal keeps base64 and hex runs; URL escapes do not survive either.
_TRANSFORMS: tuple[tuple[str, Callable[[_Buf], _Buf], int, tuple[str, ...]], ...] = (
    ("rot13", _rot13, 1, ("base64",)),
    ("reversed", _reverse, -1, ("base64", "hex")),
)


class _Node(NamedTuple):
    """A raw (not canonicalized) derived text with maps into the original, in the search tree.

    Attributes:
        buf: the text, with maps into the original.
        label: the chain of decodings that produced it ("" for the original).
        depth: the length of that chain.
        decoders: the decoders worth trying on it.
        transforms: whether rot13/reversal may still be applied (never twice in a chain).
        flip: 1 if the maps are the identity, -1 if the reversed identity, 0 otherwise; lets
            composition of the big rot13/reversed views skip fancy indexing.
    """

    buf: _Buf
    label: str
    depth: int
    decoders: tuple[str, ...]
    transforms: bool
    flip: int


def _compose(outer: _Node, inner_starts: np.ndarray, inner_ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Maps into the original of ranges [inner_starts, inner_ends) of ``outer``'s text.

    Exact for maps that are monotone in either direction (reversed views run backwards).
    """
    if outer.flip == 1 or len(inner_starts) == 0:
        return np.asarray(inner_starts, dtype=np.int64), np.asarray(inner_ends, dtype=np.int64)
    if outer.flip == -1:
        n = len(outer.buf.text)
        return n - np.asarray(inner_ends, dtype=np.int64), n - np.asarray(inner_starts, dtype=np.int64)
    starts, ends = outer.buf.starts, outer.buf.ends
    first_s, last_s = starts[inner_starts], starts[inner_ends - 1]
    first_e, last_e = ends[inner_starts], ends[inner_ends - 1]
    return np.minimum(first_s, last_s), np.maximum(first_e, last_e)


def _view_of(node: _Node) -> View:
    """The canonical view of a node's raw text, mapped into the original."""
    canon = _canonical_buf(node.buf.text)
    starts, ends = _compose(node, canon.starts, canon.ends)
    return View(canon.text, starts, ends, label=node.label)


def _children(node: _Node) -> list[_Node]:
    """Nodes one decoding or transform below ``node``."""
    prefix = f"{node.label}+" if node.label else ""
    out: list[_Node] = []
    seen: set[str] = set()
    for name in node.decoders:
        try:
            decoded, saw_runs = _DECODERS[name](node.buf.text)
        except Exception:  # noqa: BLE001 - a decoder must never break normalization
            decoded, saw_runs = None, False
        if saw_runs:
            seen.add(name)
        if decoded is not None and decoded.text.strip():
            mapped = _Buf(decoded.text, *_compose(node, decoded.starts, decoded.ends))
            out.append(_Node(mapped, prefix + name, node.depth + 1, tuple(_DECODERS), node.transforms, 0))
    if node.transforms:
        for name, transform, sign, under in _TRANSFORMS:
            decoders = tuple(d for d in under if d in seen)
            flip = node.flip * sign
            out.append(_Node(transform(node.buf), prefix + name, node.depth + 1, decoders, False, flip))
    return out


def decodings(text: str, *, max_depth: int = 2) -> list[View]:
    """Views of what the text may hide: base64, hex, URL escapes, rot13 and reversal.

    Decoded texts are searched again, up to ``max_depth`` steps in all (label "base64+rot13":
    base64-decoded, then rot13; "reversed+base64": reversed, then base64-decoded). rot13 and
    reversal are never applied on top of each other. At most `MAX_VIEWS` views, breadth first,
    duplicates dropped. Never raises: a decoding that fails is simply absent.

    Args:
        text: the original text.
        max_depth: the most decoding steps chained in one view.

    Returns:
        The derived views, canonicalized, mapped into ``text``; not the plain view. rot13 and
        reversed of the whole text are always there (for max_depth >= 1).
    """
    root = _Node(_identity(text), "", 0, tuple(_DECODERS), True, 1)
    queue = [root]
    found: list[View] = []
    seen: set[str] = set()
    while queue and len(found) < MAX_VIEWS:
        node = queue.pop(0)
        if node.depth >= max_depth:
            continue
        for child in _children(node):
            view = _safe_view(child)
            if view is None or len(found) >= MAX_VIEWS or (view.text in seen and node.depth):
                continue
            seen.add(view.text)
            found.append(view)
            queue.append(child)
    return found


def _safe_view(node: _Node) -> View | None:
    """The canonical view of a node, or None if anything goes wrong (never raise on input)."""
    try:
        return _view_of(node)
    except Exception:  # noqa: BLE001 - robustness over completeness for hostile input
        return None


def views(text: str) -> list[View]:
    """All views of a text to match: ``[canonical(text)] + decodings(text)``."""
    return [canonical(text), *decodings(text)]


# --------------------------------------------------------------------------------------------
# language_score()
# --------------------------------------------------------------------------------------------

_FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its just me
    might more most must my no nor not now of off on once only or other our ours out over own
    same shall she should so some such than that the their theirs them then there these they
    this those through to too under until up upon very was we were what when where which while
    who whom whose why will with would you your yours
    """.split()
)
_WORD_RE = re.compile(r"[^\W\d_]+")


def language_score(text: str) -> float:
    """Share of word tokens that are common English function words, in [0, 1].

    A cheap "is this English?" signal: rot13 or reversed text scores near 0, so a caller embeds
    a rot13/reversed view only when it scores clearly higher than the plain view.
    """
    words = _WORD_RE.findall(text.lower())
    if not words:
        return 0.0
    return sum(w in _FUNCTION_WORDS for w in words) / len(words)
