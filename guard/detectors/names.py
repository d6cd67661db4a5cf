"""Names: the proper nouns a text shares with a concept, as evidence that it is about that concept.

A concept such as "the author Carmen Montenegro" is given by a description and examples; a new text about
her (her other books, her parents) shares little wording with those examples but names her, or her
books. Embedding cosine weighs a name like any other word; this module picks the names out so the concept
detector can count them (`guard.detectors.concept`).

A *name* is taken from runs of capitalized words: each adjacent pair of a run of two or more words when
at least one of its words is uncommon (Zipf frequency under `RUN_ZIPF` in English: "Carmen Montenegro",
"Nebula Award" but not "New York"), and each single word part that is rare (Zipf under `WORD_ZIPF`, about
one in a million words: "Hsiao", "Mammadov"). Possessive 's is dropped; hyphenated words count by part.
Word frequencies come from the ``wordfreq`` package (its data ship in the wheel).

The thresholds were chosen on TOFU retain90's first 20 authors as concepts (see ``python -m benchmarks
quality``); forget10, which the reported figure uses, was not looked at.

Example:
    >>> sorted(names("Hsiao Yun-Hwa's novel won the Carmen Montenegro Prize in New York City."))
    ['carmen montenegro', 'hsiao', 'hsiao yun-hwa', 'hwa', 'montenegro prize']
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

WORD_ZIPF = 3.0
RUN_ZIPF = 4.0

_RUN = re.compile(r"\b[A-Z][\w-]*(?:['’]s)?(?:\s+[A-Z][\w-]*(?:['’]s)?)*")
_POSSESSIVE = re.compile(r"['’]s\b")


def names(text: str) -> frozenset[str]:
    """The names in ``text``, lower-cased (see the module docstring)."""
    out: set[str] = set()
    for m in _RUN.finditer(text):
        words = [w.lower() for w in _POSSESSIVE.sub("", m.group()).split()]
        parts = [p for w in words for p in w.split("-") if len(p) > 1]
        if not parts:
            continue
        if len(words) >= 2 and min(zipf(p) for p in parts) < RUN_ZIPF:
            out.update(f"{a} {b}" for a, b in zip(words, words[1:]))
        out.update(p for p in parts if len(p) > 2 and zipf(p) < WORD_ZIPF)
    return frozenset(out)


def hashed(text: str) -> frozenset[int]:
    """`names` as stable 32-bit hashes (what an index stores)."""
    return frozenset(zlib.crc32(n.encode("utf-8")) for n in names(text))


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """English word frequency on the Zipf scale (about 7 for "the", under 3 for rare names), cached."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))
