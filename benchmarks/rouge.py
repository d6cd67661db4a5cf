"""ROUGE-L on lower-cased word tokens, as TOFU reports it (recall of the reference), without a stemmer.

>>> round(rouge_l_recall("The author is Hsiao Yun-Hwa.", "The author's full name is Hsiao Yun-Hwa."), 3)
0.667
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (one row of the table at a time)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l_recall(candidate: str, reference: str) -> float:
    """Share of the reference's words that appear, in order, in the candidate."""
    ref = tokens(reference)
    return lcs(tokens(candidate), ref) / len(ref) if ref else 0.0
