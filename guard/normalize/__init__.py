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

Modules: `view` (the `View` and the edit machinery every step uses to keep the offset map), `chars`
(character tables: invisible, marks, confusables, scripts), `canonical`, `skeleton`, `decode`
(`decodings`, `views`), `language` (`language_score`).
"""

from __future__ import annotations

from guard.normalize.canonical import canonical
from guard.normalize.decode import MAX_VIEWS, decodings, views
from guard.normalize.language import language_score
from guard.normalize.skeleton import skeleton
from guard.normalize.view import View

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

NORMALIZATION_VERSION = "4"
