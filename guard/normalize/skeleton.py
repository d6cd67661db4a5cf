"""`skeleton`: the aggressive fold for verbatim n-gram matching: only letters and digits, leet and homoglyphs
folded, so spacing and punctuation noise do not matter."""

from __future__ import annotations

import functools
import re
import unicodedata

from guard.normalize.chars import _char_classes, _codepoints, _confusable_table, _from_codepoints, _unique_chars
from guard.normalize.view import View

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
