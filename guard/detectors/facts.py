"""Fact agreement: a candidate window that states a *different* number or date than the item is not a leak.

Embedding cosine cannot tell "born on February 25, 1958" from "born on March 10, 1962": the sentences
share their shape, and the facts are a few tokens. This second stage looks at those tokens. From each
content window (at build time) and each candidate window (at check time) it takes the *facts*: numbers
(digits, separators dropped, leading zeros dropped: "1,958" and "01958" are "1958") and month names. A
pair of windows *conflicts* when the candidate states a fact the item window does not, and the item
window states one the candidate does not: both name a date, and not the same one. A conflicting pair's
semantic score is its cosine less `CONFLICT_PENALTY`.

A candidate that states no number at all is left alone (it may be a partial leak, or a paraphrase that
writes "two" for "2"); so is one that adds a number to all of the item's (a longer answer). The score only
ever goes down, so thresholds calibrated on cosine still bound the false-block rate.

Tuned on TOFU ``tofu__retain_perturbed.json`` (other authors than the forget10 set it is measured on);
see ``python -m benchmarks quality``.

Example:
    >>> conflicts(facts("born on 25 February 1958"), facts("entered the world on March 10, 1962"))
    True
    >>> conflicts(facts("born on 25 February 1958"), facts("his birthday: February 25th, 1958"))
    False
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

CONFLICT_PENALTY = 0.25  # below the default semantic threshold for any cosine under ~1.0

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "may" is left out: as a verb it is far more common than the month
_MONTHS = ("january", "february", "march", "april", "june", "july", "august", "september", "october",
           "november", "december")  # fmt: skip
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + "|" + "|".join(m[:3] for m in _MONTHS) + r")\b", re.I)


def facts(text: str) -> frozenset[int]:
    """The facts stated in ``text``, as stable 32-bit hashes (numbers and month names)."""
    found = [_number(m.group()) for m in _NUMBER.finditer(text)]
    found += [f"month:{m.group().lower()[:3]}" for m in _MONTH.finditer(text)]
    return frozenset(_hash(f) for f in found if f)


def conflicts(item: frozenset[int], candidate: frozenset[int]) -> bool:
    """True when each side states a fact the other does not (see the module docstring)."""
    return bool(item - candidate) and bool(candidate - item)


def adjusted(cosine: float, item: frozenset[int], candidate: frozenset[int]) -> float:
    """The semantic score of a window pair: ``cosine``, less `CONFLICT_PENALTY` when their facts conflict."""
    return cosine - CONFLICT_PENALTY if conflicts(item, candidate) else cosine


def encode(windows: Iterable[frozenset[int]]) -> list[list[int]]:
    """Per-window fact hashes as JSON-ready sorted lists (stored in ``items.json``)."""
    return [sorted(f) for f in windows]


def _number(token: str) -> str:
    digits = token.replace(",", "").replace(".", "")
    return "#" + (digits.lstrip("0") or "0")


def _hash(fact: str) -> int:
    return zlib.crc32(fact.encode("utf-8"))
