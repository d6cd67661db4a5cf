"""`language_score`: a cheap "is this English?" signal."""

from __future__ import annotations

import re

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
