"""Obfuscations of a forbidden text, as an attacker (or a prompt asking the model to "encode it") would
apply them. Deterministic: each takes the text and a seeded `random.Random`."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "A": "Α",
               "B": "Β", "E": "Ε", "H": "Η", "K": "Κ", "M": "Μ", "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ"}  # fmt: skip
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "A": "4", "E": "3", "I": "1", "O": "0",
         "S": "5", "T": "7"}  # fmt: skip
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def caps(text: str, rng: random.Random) -> str:
    return text.upper()


def spacing(text: str, rng: random.Random) -> str:
    """Every letter spaced out, words separated by three spaces."""
    return "   ".join(" ".join(word) for word in text.split())


def homoglyphs(text: str, rng: random.Random) -> str:
    """Half of the letters that have a Cyrillic/Greek look-alike replaced by it."""
    return "".join(_HOMOGLYPHS[c] if c in _HOMOGLYPHS and rng.random() < 0.5 else c for c in text)


def zero_width(text: str, rng: random.Random) -> str:
    """An invisible character after every visible one."""
    return "".join(c + rng.choice(_ZERO_WIDTH) for c in text)


def leetspeak(text: str, rng: random.Random) -> str:
    return "".join(_LEET.get(c, c) for c in text)


def b64(text: str, rng: random.Random) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def reversed_text(text: str, rng: random.Random) -> str:
    return text[::-1]


OBFUSCATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "all_caps": caps,
    "spacing": spacing,
    "homoglyphs": homoglyphs,
    "zero_width": zero_width,
    "leetspeak": leetspeak,
    "base64": b64,
    "reversed": reversed_text,
}
