"""Made-up training pairs for the second stage (`guard.rerank`): one fact swapped, or one part kept.

TOFU has paraphrases and perturbed answers for only 400 retain questions; the reranker must also learn
that a text restating *part* of an item is still a restatement, and that the same words with one name,
number, title or term changed are not (as FactCC does for summaries: Kryscinski et al., 2020). From any
answer this module makes

- `swapped`: the text with one fact replaced throughout: a number (by another of as many digits), a month,
  a quoted title, a run of capitalized words with an uncommon word (a person, a place, an award: by another
  such run of as many words seen in the pool), the word or two before "genre", or an uncommon lower-case
  noun (Zipf 2.5-4.5, told by its ending: -er, -ist, -ion...; by a pool word with the same ending and a
  Zipf within 0.7: "research scientist" becomes "research journalist");
- `parts`: its sentences, when it has two or more.

Everything is drawn with a seeded ``random.Random`` so a run is reproducible.

Example:
    >>> pool = Pool(["Maria Okafor wrote 'Silent Rivers' in 1987.", "Chen Wei won the Hugo Award in 2001."])
    >>> swapped("Maria Okafor wrote 'Silent Rivers' in 1987.", pool, random.Random(1)) != None
    True
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable

from guard.detectors.names import zipf
from guard.windows import sentences

_NUMBER = re.compile(r"\b\d+\b")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_TITLE = re.compile(r"[\"“'‘]([A-Z][^\"“”'‘’]{3,60})[\"”'’]")
_RUN = re.compile(r"\b[A-Z][^\W\d_A-Z]+(?:[- ][A-Z][^\W\d_A-Z]+)+")
_WORD = re.compile(r"\b[a-z]{5,}\b")
_GENRE = re.compile(r"\b([a-z]+(?: [a-z]+)?) genre\b")
_GENRE_SEEN = 3  # a genre must come before "genre" this many times in the pool ("true crime", not "primary")
# lower-case words swapped: nouns, mostly (professions, fields, themes), told by their ending
_NOUN_ENDINGS = ("er", "ist", "ian", "ion", "ity", "ism", "ogy", "ure", "ess", "ics", "ment", "ship", "ness")


def _runs(text: str) -> list[str]:
    """Runs of capitalized words with an uncommon word (names, places, awards), outside quoted titles, with
    common leading words ("In", "The") dropped."""
    out = []
    for m in _RUN.finditer(_TITLE.sub(" ", text)):
        words = m.group().split(" ")
        while words and zipf(words[0].lower()) >= 5.0:
            words = words[1:]
        run = " ".join(words)
        pieces = re.split(r"[- ]", run)
        if len(pieces) > 1 and min(zipf(w.lower()) for w in pieces) < 4.0:
            out.append(run)
    return out


def _genre(words: str) -> str:
    """The genre in the one or two words before "genre", common leading words ("the", "his") dropped."""
    kept = words.split()
    while kept and zipf(kept[0]) >= 5.5:
        kept = kept[1:]
    return " ".join(kept)


def _ending(word: str) -> str | None:
    return next((e for e in _NOUN_ENDINGS if word.endswith(e)), None)


class Pool:
    """What swaps draw from: the titles, name runs (by word count), genres and uncommon nouns (by ending) of
    ``texts``, each sorted so that seeded draws are reproducible."""

    def __init__(self, texts: Iterable[str]) -> None:
        titles: set[str] = set()
        runs: dict[int, set[str]] = defaultdict(set)
        genre_count: dict[str, int] = defaultdict(int)
        words: dict[str, set[str]] = defaultdict(set)
        for text in texts:
            titles.update(m.group(1) for m in _TITLE.finditer(text))
            for run in _runs(text):
                runs[len(run.split(" "))].add(run)
            for m in _GENRE.finditer(text):
                genre_count[_genre(m.group(1))] += 1
            for w in _WORD.findall(text):
                if 2.5 <= zipf(w) <= 4.5 and (ending := _ending(w)):
                    words[ending].add(w)
        self.titles = sorted(titles)
        self.runs = {n: sorted(v) for n, v in runs.items()}
        self.genres = sorted(g for g, n in genre_count.items() if n >= _GENRE_SEEN and g)
        self.words = {k: sorted(v) for k, v in words.items()}


def swapped(text: str, pool: Pool, rng: random.Random) -> str | None:
    """``text`` with one fact replaced throughout (see the module docstring); None when it has none.

    The kind of fact (number, month, title, name, genre, noun) is drawn first, so a name that recurs does not
    crowd out the rest."""
    kinds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for m in _NUMBER.finditer(text):
        kinds["number"].append((m.group(), _other_number(m.group(), rng)))
    for m in _MONTH.finditer(text):
        kinds["month"].append((m.group(), rng.choice([x for x in _MONTHS if x != m.group()])))
    for m in _TITLE.finditer(text):
        titles = [t for t in pool.titles if t != m.group(1)]
        if titles:
            kinds["title"].append((m.group(1), rng.choice(titles)))
    for run in sorted(set(_runs(text))):
        runs = [r for r in pool.runs.get(len(run.split(" ")), []) if r != run]
        if runs:
            kinds["name"].append((run, rng.choice(runs)))
    for m in _GENRE.finditer(text):
        genre = _genre(m.group(1))
        genres = [g for g in pool.genres if g != genre]
        if genre in pool.genres and genres:
            kinds["genre"].append((genre, rng.choice(genres)))
    for w in sorted(set(_WORD.findall(text))):
        z = zipf(w)
        if 2.5 <= z <= 4.5 and (ending := _ending(w)):
            words = [x for x in pool.words.get(ending, []) if x[:4] != w[:4] and abs(zipf(x) - z) <= 0.7]
            if words:
                kinds["noun"].append((w, rng.choice(words)))
    if not kinds:
        return None
    old, new = rng.choice(kinds[rng.choice(sorted(kinds))])
    return re.sub(r"(?<!\w)" + re.escape(old) + r"(?!\w)", new, text)


def parts(text: str) -> list[str]:
    """The sentences of ``text`` when it has two or more, else nothing."""
    spans = sentences(text)
    return [text[a:b] for a, b in spans] if len(spans) > 1 else []


def _other_number(token: str, rng: random.Random) -> str:
    n = int(token)
    if len(token) == 4 and 1000 <= n <= 2100:  # a year: a plausible other one
        choices = [y for y in range(max(1000, n - 40), min(2100, n + 40)) if y != n]
    elif n < 10:
        choices = [k for k in range(1, 13) if k != n]
    else:
        lo, hi = 10 ** (len(token) - 1), 10 ** len(token) - 1
        choices = [k for k in range(lo, min(hi, lo + 5000)) if k != n]
    return str(rng.choice(choices))
