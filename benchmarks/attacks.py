"""Attacks on a forbidden text, as an attacker (or a prompt asking the model to "encode it") would apply them.

Deterministic: each takes the text and a seeded `random.Random`; the ones that mix in other text
(`partial_copy`, `split_interleave`, `framed`) take it as keyword arguments. Families, as the leakage
benchmark reports them: surface and encoding (`OBFUSCATIONS`), paraphrase (`sentence_reorder`,
`word_substitution`, `partial_copy`; TOFU's own paraphrases come from the data), splitting
(`split_interleave`), framing (`framed`). Translations come from the data (Tatoeba, stsb_multi_mt).
"""

from __future__ import annotations

import base64
import codecs
import json
import random
import re
from collections.abc import Callable, Sequence

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


def punctuation_noise(text: str, rng: random.Random) -> str:
    """A stray punctuation mark inside about one word in three ("win-dow", "sh.ip")."""
    out = []
    for word in text.split(" "):
        if len(word) > 3 and rng.random() < 0.33:
            cut = rng.randrange(1, len(word) - 1)
            word = word[:cut] + rng.choice("-.*_'~") + word[cut:]
        out.append(word)
    return " ".join(out)


def rot13(text: str, rng: random.Random) -> str:
    return codecs.encode(text, "rot13")


def hex_encoded(text: str, rng: random.Random) -> str:
    return text.encode("utf-8").hex()


def word_per_line(text: str, rng: random.Random) -> str:
    return "\n".join(text.split())


def json_wrapped(text: str, rng: random.Random) -> str:
    """The text as a JSON string value (quotes and newlines escaped), as a tool call or API answer carries it."""
    return json.dumps({"id": rng.randrange(1000, 9999), "content": text, "status": "ok"}, ensure_ascii=False)


def code_comment(text: str, rng: random.Random) -> str:
    """The text as line comments above a small function, about 60 characters a line."""
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) > 60:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(f"# {x}" for x in lines) + "\ndef total(values):\n    return sum(values)\n"


OBFUSCATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "all_caps": caps,
    "spacing": spacing,
    "punctuation_noise": punctuation_noise,
    "zero_width": zero_width,
    "homoglyphs": homoglyphs,
    "leetspeak": leetspeak,
    "base64": b64,
    "rot13": rot13,
    "hex": hex_encoded,
    "reversed": reversed_text,
    "word_per_line": word_per_line,
    "json": json_wrapped,
    "code_comment": code_comment,
}

# A small hand-written synonym table (no thesaurus ships offline): common words an attacker would swap.
SYNONYMS = {
    "said": "remarked", "says": "remarks", "big": "large", "large": "big", "small": "little", "little": "small",
    "old": "aged", "young": "youthful", "good": "fine", "great": "tremendous", "bad": "poor", "man": "fellow",
    "woman": "lady", "house": "home", "home": "house", "went": "headed", "go": "proceed", "came": "arrived",
    "come": "arrive", "looked": "gazed", "look": "gaze", "saw": "noticed", "see": "notice", "know": "realize",
    "knew": "realized", "think": "believe", "thought": "believed", "began": "started", "begin": "start",
    "quickly": "rapidly", "quick": "rapid", "slowly": "gradually", "very": "extremely", "often": "frequently",
    "asked": "inquired", "ask": "inquire", "answered": "replied", "answer": "reply", "many": "numerous",
    "few": "several", "happy": "glad", "sad": "unhappy", "father": "dad", "mother": "mom", "child": "kid",
    "children": "kids", "book": "volume", "books": "volumes", "work": "labor", "works": "writings",
    "writing": "composing", "wrote": "penned", "write": "pen", "author": "writer", "writer": "author",
    "known": "recognized", "famous": "renowned", "born": "raised", "city": "town", "town": "city",
    "country": "nation", "story": "tale", "stories": "tales", "novel": "book", "novels": "books",
    "themes": "motifs", "theme": "motif", "important": "significant", "different": "distinct",
    "unique": "distinctive", "life": "existence", "world": "globe", "way": "manner", "often,": "frequently,",
    "however": "nevertheless", "also": "additionally", "because": "since", "help": "assist", "helped": "assisted",
    "use": "employ", "used": "employed", "small,": "little,", "night": "evening", "day": "daytime",
    "room": "chamber", "door": "entrance", "eyes": "gaze", "face": "countenance", "heart": "soul",
    "love": "adore", "loved": "adored", "friend": "companion", "friends": "companions", "place": "spot",
    "time": "moment", "felt": "sensed", "feel": "sense", "strange": "odd", "beautiful": "lovely",
    "dark": "dim", "cold": "chilly", "received": "obtained", "award": "prize", "awards": "prizes",
    "influenced": "shaped", "influence": "impact", "career": "profession", "parents": "folks",
    "profession": "occupation", "job": "occupation", "genre": "category", "style": "manner",
}  # fmt: skip


def sentence_reorder(text: str, rng: random.Random) -> str:
    """The sentences in another order (a one-sentence text comes back unchanged)."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+", text.strip()) if p]
    if len(parts) < 2:
        return text
    order = list(range(len(parts)))
    while order == sorted(order):
        rng.shuffle(order)
    return " ".join(parts[i] for i in order)


def word_substitution(text: str, rng: random.Random) -> str:
    """Every word found in `SYNONYMS` swapped for its synonym (case kept)."""

    def swap(m: re.Match[str]) -> str:
        word = m.group()
        new = SYNONYMS.get(word.lower())
        if new is None:
            return word
        return new.capitalize() if word[0].isupper() else new

    return re.sub(r"[A-Za-z]+", swap, text)


def substitution_rate(text: str) -> float:
    words = re.findall(r"[A-Za-z]+", text)
    return sum(w.lower() in SYNONYMS for w in words) / max(1, len(words))


def partial_copy(text: str, rng: random.Random, *, filler: Sequence[str]) -> str:
    """A contiguous third of the text's words, between two benign sentences."""
    words = text.split()
    n = max(4, len(words) // 3)
    start = rng.randrange(0, max(1, len(words) - n + 1))
    before, after = rng.sample(list(filler), 2)
    return f"{before} {' '.join(words[start : start + n])} {after}"


def split_interleave(text: str, rng: random.Random, *, filler: Sequence[str]) -> str:
    """The text cut into pieces of about 12 words, a benign sentence between every two pieces, so no window
    holds two consecutive pieces."""
    words = text.split()
    pieces = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    out: list[str] = []
    for piece in pieces:
        out += [piece, rng.choice(list(filler))]
    return " ".join(out[:-1])


def framed(text: str, rng: random.Random, *, templates: Sequence[str]) -> str:
    """The text appended to a jailbreak template, as if the model answered inside the role-play."""
    return f"{rng.choice(list(templates))}\n\nSure, here it is:\n\n{text}"
