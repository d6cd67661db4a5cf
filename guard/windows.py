"""Sentences and overlapping windows of sentences, with character offsets.

A leak can sit inside one sentence, span two, or be buried in a long answer. Content items and candidate
outputs are cut the same way: sentence units (long sentences split into overlapping word chunks), then
windows of 1, 2 and 3 consecutive units. Each window keeps its ``(start, end)`` offsets into the text it was
cut from, so a finding can name the exact span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace, at a Chinese or
# Japanese full stop (。！？, which no space follows), or at a newline.
_BOUNDARY = re.compile(r"""(?<=[.!?])(["'”’)\]]*)\s+|(?<=[。！？])([」』”’)\]]*)\s*|\n+""")
# Chinese and Japanese write no spaces: two of their characters count as one word (about what one says).
KANA = "\u3040-\u30ff"  # character ranges, for [...] classes
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HANGUL = "\uac00-\ud7af"  # Korean syllables: spaced words, not counted here
# A Chinese, Japanese or Korean letter: numbers are set against them ("1987年3月14日"), and they weigh more than
# a Latin letter (`guard.detectors.facts`, `guard.detectors.translation`).
CJK_LETTER = re.compile(f"[{KANA}{HAN}{HANGUL}]")
_CJK = KANA + HAN
_WORD = re.compile(rf"[{_CJK}]{{1,2}}|[^\s{_CJK}]+")
_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof.", "e.g.", "i.e.", "vs.", "etc."})

MAX_UNIT_WORDS = 40  # a longer sentence is split into chunks of this many words...
UNIT_OVERLAP_WORDS = 20  # ...overlapping by this many, so no phrase is cut in every chunk
MAX_WINDOW_WORDS = 96  # a window never exceeds this (MiniLM reads ~128 word pieces well)
# A window under this many words ("Oh!", "Yes, sir.") says nothing about which text it came from, yet two
# such windows embed identically: it is dropped when its text has a longer window (which holds it anyway).
MIN_WINDOW_WORDS = 4
# A field with no value ("Mother's maiden name: .", "Phone: N/A") states nothing, yet reads the same in every
# record of a form: an indexed one matched other people's filled-in field at cosine 0.75-1.0. A window made
# only of such fields is dropped like a short one. A field: a label of 1-4 words, a colon, then explicitly
# nothing (a null marker, a stop); "and then said:" or "he said:-" before a quotation is not one.
_EMPTY_FIELD = re.compile(
    r"[^\W\d_][\w'’-]*(?:[ \t]+[\w'’-]+){0,3}:"  # the label
    r"(?:(?:[ \t]+(?:-+|–|—)|[ \t]*(?:n/?a|none|null|unknown))[ \t]*[.;,]?|[ \t]*[.;,])",  # no value
    re.I,
)


@dataclass(frozen=True)
class Window:
    """``text[start:end]`` of the text it was cut from; ``units`` is how many sentence units it joins."""

    start: int
    end: int
    text: str
    units: int = 1


def sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans ``(start, end)``, whitespace trimmed, empty ones dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(m.lastindex) if m.lastindex else m.start()  # after closing quotes; a newline run: before it
        if "\n" not in m.group() and _ends_with_abbreviation(text, m.start()):
            continue
        _append_trimmed(text, start, end, spans)
        start = m.end()
    _append_trimmed(text, start, len(text), spans)
    return spans


def _ends_with_abbreviation(text: str, end: int) -> bool:
    last = text[max(0, end - 6) : end].rsplit(" ", 1)[-1].lower()
    return last in _ABBREVIATIONS


def _append_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def units(text: str) -> list[tuple[int, int]]:
    """Sentence spans, with sentences longer than ``MAX_UNIT_WORDS`` cut into overlapping word chunks."""
    out: list[tuple[int, int]] = []
    for start, end in sentences(text):
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
        if len(words) <= MAX_UNIT_WORDS:
            out.append((start, end))
            continue
        step = MAX_UNIT_WORDS - UNIT_OVERLAP_WORDS
        for i in range(0, len(words) - UNIT_OVERLAP_WORDS, step):
            chunk = words[i : i + MAX_UNIT_WORDS]
            out.append((chunk[0][0], chunk[-1][1]))
    return out


def windows(text: str, *, sizes: Sequence[int] = (1, 2, 3)) -> list[Window]:
    """Windows of ``sizes`` consecutive units, each at most ``MAX_WINDOW_WORDS`` words, deduplicated.

    Windows under ``MIN_WINDOW_WORDS`` words, and windows whose every unit is a field with no value ("Email: ."),
    are dropped, unless the text has no other window.

    Example:
        >>> [w.text for w in windows("One two three four. Five six.", sizes=(1, 2))]
        ['One two three four.', 'One two three four. Five six.']
        >>> [w.text for w in windows("One two. Three.", sizes=(1, 2))]
        ['One two.', 'Three.', 'One two. Three.']
    """
    spans = units(text)
    empty = [bool(_EMPTY_FIELD.fullmatch(text, s, e)) for s, e in spans]
    seen: set[tuple[int, int]] = set()
    out: list[tuple[Window, bool]] = []  # with whether it says something on its own
    for size in sizes:
        for i in range(len(spans) - size + 1):
            start, end = spans[i][0], spans[i + size - 1][1]
            if (start, end) in seen:
                continue
            words = _word_count(text, start, end)
            if size > 1 and words > MAX_WINDOW_WORDS:
                continue
            seen.add((start, end))
            says = words >= MIN_WINDOW_WORDS and not all(empty[i : i + size])
            out.append((Window(start, end, text[start:end], size), says))
    informative = [w for w, says in out if says]
    return informative or [w for w, _ in out]


def _word_count(text: str, start: int, end: int) -> int:
    return sum(1 for _ in _WORD.finditer(text, start, end))
