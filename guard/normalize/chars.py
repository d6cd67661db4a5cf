"""Character tables: what counts as invisible, a combining mark, a confusable (homoglyph) of which letter,
and which script a letter belongs to."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

import numpy as np

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


# Code point arrays: per-char work done once per distinct char, fast on big texts of many scripts.


def _codepoints(text: str) -> np.ndarray:
    """The code points of text as a uint32 array (lone surrogates allowed)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_codepoints(cps: np.ndarray) -> str:
    """Inverse of `_codepoints`."""
    return cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


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


@functools.lru_cache(maxsize=1)
def _confusable_keys() -> np.ndarray:
    """The code points `_confusable_table` folds, as an array (for ``np.isin``)."""
    return np.fromiter(_confusable_table(), np.uint32)


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
