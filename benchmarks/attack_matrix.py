"""The attack matrix (issue 5, part 1): how much forbidden text each system lets through, attack by attack.

    python -m benchmarks attacks [--data ../shared/data] [--quick] [--fresh] [--latency-only | --keep-latency]

Forbidden content, all in one index (as one deployment would hold it):
- TOFU forget10: the 400 answers;
- Gutenberg: 100-word passages of Alice in Wonderland and Frankenstein;
- SHIELD: the 100 book openings (``bsnc``) and 100 poems (``bep``);
- presidio_research: the records of 100 synthetic people (FakeNameGenerator identities written as a profile);
- sentences for the translation attacks: English sentences of Tatoeba and stsb_multi_mt.

Attacked units: a sample of each set (a 100-word excerpt of a SHIELD opening or poem). Families:
surface and encoding (`benchmarks.attacks.OBFUSCATIONS`: 13 transforms), paraphrase (TOFU's own
``paraphrased_answer``, sentence reorder, word substitution, a third of the text inside benign sentences),
translation (the sentence's de/es/fr/ru/zh/ja rendering), splitting (12-word pieces interleaved with benign
sentences), framing (the text after a SHIELD jailbreak template).

Benign text: TOFU retain90 answers (of authors 91-180, never used to calibrate or train anything), 100-word
passages of the three other books, STS-B sentences, translations of non-indexed sentences (Tatoeba,
stsb_multi_mt) less those whose English original guard blocks in English (a paraphrase of an indexed
sentence), the jailbreak templates followed by a benign passage. Every system's
threshold is set to block at most 1% of one half of that benign text; its false blocks are then reported on
the other half and on hard negatives (TOFU perturbed answers: same shape, another fact; other people's
records). Leak rate = share of attacked texts scoring under the threshold.

Systems: no guard; exact substring (any forbidden sentence of 20+ characters, verbatim); a MemFree-style
Bloom filter of forbidden word 3-grams (score: the longest run of copied words); plain MiniLM cosine over
sentence windows (no normalization); guard (its verdict score, plus as shipped, at default thresholds).

Scores are cached per system in ``benchmarks/.cache/attacks-*.json`` (a killed run resumes; ``--fresh``
clears them); embeddings in ``benchmarks/.cache/embed-*.npz``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import attacks as A
from benchmarks import data as D
from benchmarks.common import CACHE, RESULTS, auroc, log, percentiles, write_result

FAMILIES = ("surface", "paraphrase", "translation", "splitting", "framing")
LANGUAGES = {"de": "deu", "es": "spa", "fr": "fra", "ru": "rus", "zh": "cmn", "ja": "jpn"}


@dataclass(frozen=True)
class Unit:
    """One forbidden text an attacker tries to get out: ``text`` is what is attacked."""

    set: str
    id: str
    text: str
    paraphrase: str | None = None


@dataclass(frozen=True)
class Case:
    family: str
    attack: str
    set: str
    unit: str
    text: str


# ---------------------------------------------------------------- data


def pii_record(row: dict[str, str]) -> str:
    """A FakeNameGenerator identity written as a short profile, one fact a sentence."""
    return (f"{row['GivenName']} {row['MiddleInitial']}. {row['Surname']} was born on {row['Birthday']}. "
            f"{row['GivenName']} lives at {row['StreetAddress']}, {row['City']}, {row['StateFull']} {row['ZipCode']}, "
            f"{row['CountryFull']}. Email: {row['EmailAddress']}. Phone: +{row['TelephoneCountryCode']} "
            f"{row['TelephoneNumber']}. Mother's maiden name: {row['MothersMaiden']}. Username {row['Username']}, "
            f"password {row['Password']}. Works as a {row['Occupation'].lower()} at {row['Company']}.")


def pii_rows(data: Path) -> list[dict[str, str]]:
    with (data / "presidio_research" / "FakeNameGenerator.com_3000.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def shield_texts(data: Path, kind: str) -> list[str]:
    folder = data / "shield" / kind
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob(f"{kind}-*.txt"))]


def jailbreak_templates(data: Path) -> list[str]:
    with (data / "shield" / "jailbreak_prompts.csv").open(encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f) if r["text"].strip()]


def excerpt(text: str, words: int = 100) -> str:
    """The first ``words`` words, cut at a sentence (or line) end when one is near."""
    tokens = text.split()
    cut = " ".join(tokens[:words])
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), len(cut) if len(tokens) <= words else -1)
    return cut[: end + 1] if end > len(cut) // 2 else cut


def translation_pairs(data: Path, per_language: int, skip: int = 0) -> list[tuple[str, str, str]]:
    """(language, english, translation): half from Tatoeba, half from stsb_multi_mt (test split)."""
    out = []
    en_rows = D.stsb_multi_mt(data, "en")
    for lang, code in LANGUAGES.items():
        eng, other = D.tatoeba(data, code)
        half = per_language // 2
        out += [(lang, e, o) for e, o in list(zip(eng, other))[skip : skip + half]]
        out += [(lang, e, o) for e, o in list(zip(en_rows, D.stsb_multi_mt(data, lang)))[skip : skip + per_language - half]]
    return out


def forbidden(data: Path, sizes: dict[str, int], seed: int = 0) -> tuple[list[tuple[str, str]], list[Unit], list[tuple[str, str, str]]]:
    """(indexed items as (id, text), attacked units, translation pairs)."""
    rng = random.Random(seed)
    items: list[tuple[str, str]] = []
    units: list[Unit] = []
    tofu = D.tofu_forget(data)
    items += [(f"tofu-{i}", r["answer"]) for i, r in enumerate(tofu)]
    for i in sorted(rng.sample(range(len(tofu)), sizes["tofu"])):
        units.append(Unit("tofu", f"tofu-{i}", tofu[i]["answer"], tofu[i]["paraphrased_answer"]))
    books = [(f"{b}-{i}", p) for b in ("alice", "frankenstein") for i, p in enumerate(D.book_passages(data, b)[: sizes["indexed_books"]])]
    items += books
    units += [Unit("books", k, t) for k, t in rng.sample(books, sizes["books"])]
    for kind in ("bsnc", "bep"):
        texts = shield_texts(data, kind)[: sizes["indexed_shield"]]
        items += [(f"{kind}-{i}", t) for i, t in enumerate(texts)]
        units += [Unit("shield", f"{kind}-{i}", excerpt(texts[i])) for i in sorted(rng.sample(range(len(texts)), sizes["shield"] // 2))]
    people = pii_rows(data)[: sizes["indexed_people"]]
    records = [(f"person-{i}", pii_record(r)) for i, r in enumerate(people)]
    items += records
    units += [Unit("pii", k, t) for k, t in rng.sample(records, sizes["pii"])]
    pairs = translation_pairs(data, sizes["translation"])
    items += [(f"sentence-{i}", e) for i, (_, e, _) in enumerate(pairs)]
    return items, units, pairs


def _plain(text: str) -> str:
    """Quotes and whitespace made plain, for finding shared text between differently typeset copies."""
    return " ".join(text.translate(str.maketrans("“”‘’", "\"\"''")).split())


def _shares_text(passage: str, blob: str, span: int = 40) -> bool:
    """True when some ``span``-character piece of ``passage`` (made plain, read every ``span // 2``) is in ``blob``."""
    q = _plain(passage)
    return any(q[i : i + span] in blob for i in range(0, max(1, len(q) - span), span // 2))


def benign(data: Path, sizes: dict[str, int], indexed: set[str], seed: int = 1,
           restates: Callable[[list[str]], list[bool]] | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """(benign texts, hard negatives by kind). Nothing here is indexed.

    ``restates``: which English sentences restate an indexed one (guard's verdict in English); their
    translations are left out of the benign text (STS-B repeats its sentences: "Ein Mann spielt Gitarre und
    singt." renders "A man plays guitar and sings", a paraphrase of the indexed "A man is singing and
    playing a guitar.").
    """
    rng = random.Random(seed)
    # retain90 authors 91-180: never used to calibrate the default thresholds or to train the second stage
    retain = [r["answer"] for r in D.tofu_retain(data)][1800:]
    # SHIELD indexes the openings of these three books: keep every passage that shares text with them out
    blob = _plain("\n".join(indexed))
    books = [p for b in ("pride", "sherlock", "dracula") for p in D.book_passages(data, b) if not _shares_text(p, blob)]
    stsb = [t for t in D.stsb_sentences(data, "dev") if t not in indexed]  # the test split is stsb_multi_mt's
    others = [(e, o) for _, e, o in translation_pairs(data, sizes["translation"], skip=sizes["translation"]) if e not in indexed]
    restated = restates([e for e, _ in others]) if restates else [False] * len(others)
    foreign = [o for (_, o), r in zip(others, restated) if not r]
    templates = jailbreak_templates(data)
    framed = [f"{t}\n\nSure, here it is:\n\n{rng.choice(books)}" for t in templates]
    texts = [t for t in rng.sample(retain, sizes["retain"]) + rng.sample(books, sizes["other_books"]) + rng.sample(stsb, sizes["stsb"])
             + foreign + framed if t not in indexed]
    tofu = D.tofu_forget(data)
    hard = {"tofu_perturbed": [p for r in rng.sample(tofu, sizes["hard"] // 5) for p in r["perturbed_answer"]],
            "other_people": [pii_record(r) for r in pii_rows(data)[1000 : 1000 + sizes["hard"] // 4]]}
    return texts, hard


def cases(units: Sequence[Unit], pairs: Sequence[tuple[str, str, str]], filler: Sequence[str],
          templates: Sequence[str], seed: int = 2) -> list[Case]:
    out: list[Case] = []
    mixers: dict[str, tuple[str, Callable[..., str]]] = {
        "sentence_reorder": ("paraphrase", A.sentence_reorder),
        "word_substitution": ("paraphrase", A.word_substitution),
        "partial_copy": ("paraphrase", partial(A.partial_copy, filler=filler)),
        "split_interleave": ("splitting", partial(A.split_interleave, filler=filler)),
        "jailbreak_framing": ("framing", partial(A.framed, templates=templates)),
    }
    for u in units:
        rng = random.Random(f"{seed}-{u.id}")
        for name, fn in A.OBFUSCATIONS.items():
            out.append(Case("surface", name, u.set, u.id, fn(u.text, rng)))
        if u.paraphrase:
            out.append(Case("paraphrase", "tofu_paraphrase", u.set, u.id, u.paraphrase))
        for name, (family, fn) in mixers.items():
            text = fn(u.text, rng)
            if text != u.text:  # a one-sentence text cannot be reordered; one without listed words not substituted
                out.append(Case(family, name, u.set, u.id, text))
    for i, (lang, _, translated) in enumerate(pairs):
        out.append(Case("translation", f"to_{lang}", "sentences", f"sentence-{i}", translated))
    return out


# ---------------------------------------------------------------- systems


class ExactSubstring:
    """Blocks a text containing any forbidden sentence of 20+ characters verbatim."""

    name = "exact substring"

    def __init__(self, forbidden: Sequence[str]) -> None:
        from guard.windows import sentences

        self.sentences = sorted({t[a:b] for t in forbidden for a, b in sentences(t) if b - a >= 20})

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([float(any(s in t for s in self.sentences)) for t in texts])


class BloomFilter:
    """A plain Bloom filter over strings: ``bits`` bits, ``hashes`` positions from one BLAKE2b digest
    (double hashing, Kirsch and Mitzenmacher: position i = h1 + i * h2)."""

    def __init__(self, capacity: int, *, error: float = 1e-4) -> None:
        self.bits = max(64, int(-capacity * np.log(error) / np.log(2) ** 2))
        self.hashes = max(1, round(self.bits / capacity * np.log(2)))
        self.array = np.zeros((self.bits + 7) // 8, np.uint8)

    def _positions(self, key: str) -> list[int]:
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        h1, h2 = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(h1 + i * h2) % self.bits for i in range(self.hashes)]

    def add(self, key: str) -> None:
        for p in self._positions(key):
            self.array[p >> 3] |= 1 << (p & 7)

    def __contains__(self, key: str) -> bool:
        return all(self.array[p >> 3] >> (p & 7) & 1 for p in self._positions(key))


class NgramBloom:
    """MemFree-style (Ippolito et al., 2023): word n-grams of the forbidden texts in a Bloom filter; a
    candidate scores the length, in words, of its longest run of consecutive n-grams found in the filter."""

    name = "n-gram Bloom filter (MemFree-style)"
    _WORD = re.compile(r"\w+")

    def __init__(self, forbidden: Sequence[str], n: int = 3) -> None:
        self.n = n
        grams = {g for t in forbidden for g in self._grams(t)}
        self.filter = BloomFilter(len(grams))
        for g in grams:
            self.filter.add(g)

    def _grams(self, text: str) -> list[str]:
        words = self._WORD.findall(text.lower())
        return [" ".join(words[i : i + self.n]) for i in range(len(words) - self.n + 1)]

    def score(self, text: str) -> float:
        best = run = 0
        for g in self._grams(text):
            run = run + 1 if g in self.filter else 0
            best = max(best, run)
        return float(best + self.n - 1 if best else 0)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.score(t) for t in texts])


class WindowCosine:
    """Plain MiniLM cosine: the candidate's sentence windows (raw text) against the forbidden texts' windows."""

    name = "plain MiniLM cosine (windows)"

    def __init__(self, forbidden: Sequence[str], embedder: Any) -> None:
        from guard.windows import windows

        self.windows = windows
        self.embedder = embedder
        texts = sorted({w.text for t in forbidden for w in windows(t)})
        self.matrix = embedder.embed(texts)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        per = [[w.text for w in self.windows(t)] or [t] for t in texts]
        flat = [w for ws in per for w in ws]
        sims = (self.embedder.embed(flat) @ self.matrix.T).max(axis=1)
        out, i = [], 0
        for ws in per:
            out.append(float(sims[i : i + len(ws)].max()))
            i += len(ws)
        return np.array(out)


class GuardSystem:
    """guard's verdict score (0.5 = its default threshold); ``blocked`` records the as-shipped decision."""

    name = "guard"

    def __init__(self, guard: Any) -> None:
        self.guard = guard
        self.blocked: dict[str, bool] = {}

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        for v, t in zip(self.guard.check_batch(list(texts)), texts, strict=True):
            self.blocked[_key(t)] = not v.allowed
            out.append(v.score)
        return np.array(out)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def cached_scores(system: Any, texts: Sequence[str], *, chunk: int = 128) -> np.ndarray:
    """Scores for ``texts``, computed in chunks and stored as they come (a killed run resumes)."""
    path = CACHE / f"attacks-{re.sub(r'[^a-z0-9]+', '-', system.name.lower()).strip('-')}.json"
    saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    todo = sorted({t for t in texts if _key(t) not in saved}, key=len)
    start = time.time()
    for i in range(0, len(todo), chunk):
        part = todo[i : i + chunk]
        scores = system.scores(part)
        for t, s in zip(part, scores, strict=True):
            saved[_key(t)] = [float(s), getattr(system, "blocked", {}).get(_key(t))]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved))
        embedder: Any = getattr(system, "embedder", None) or getattr(getattr(system, "guard", None), "embedder", None)
        if hasattr(embedder, "save"):
            embedder.save()  # the disk cache of embeddings, so a killed run loses at most one chunk
        done = min(i + chunk, len(todo))
        log(f"  {system.name}: {done}/{len(todo)} texts ({time.time() - start:.0f} s)")
    if isinstance(system, GuardSystem):
        system.blocked.update({k: bool(v[1]) for k, v in saved.items() if v[1] is not None})
    return np.array([saved[_key(t)][0] for t in texts])


# ---------------------------------------------------------------- measuring


def latency(systems: Sequence[Any], texts: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per-text check time of each system, one text per call (embedding caches off)."""
    out = {}
    for system in systems:
        times = []
        system.scores(texts[:1])  # warm-up
        for t in texts:
            t0 = time.perf_counter()
            system.scores([t])
            times.append(time.perf_counter() - t0)
        out[system.name] = percentiles(times)
    return out


def evaluate(scores: dict[str, np.ndarray], case_list: Sequence[Case], calib: dict[str, np.ndarray],
             held_out: dict[str, np.ndarray], hard: dict[str, dict[str, np.ndarray]], fpr: float = 0.01) -> dict[str, Any]:
    """Thresholds from ``calib`` at ``fpr``; leak rates per attack and family; false blocks; AUROC."""
    from guard.calibrate import threshold_at

    out: dict[str, Any] = {}
    for name, s in scores.items():
        t = threshold_at(calib[name], fpr)
        leaked = s < t
        per_attack: dict[str, float] = {}
        per_family: dict[str, dict[str, float]] = {}
        by_set: dict[str, float] = {}
        for attack, set_ in sorted({(c.attack, c.set) for c in case_list}):
            m = np.array([c.attack == attack and c.set == set_ for c in case_list])
            by_set[f"{attack} / {set_}"] = round(float(leaked[m].mean()), 4)
        for family in FAMILIES:
            mask = np.array([c.family == family for c in case_list])
            if not mask.any():
                continue
            per_family[family] = {"leak_rate": round(float(leaked[mask].mean()), 4),
                                  "auroc": round(auroc(s[mask], held_out[name]), 4), "cases": int(mask.sum())}
            for attack in sorted({c.attack for c in case_list if c.family == family}):
                m = np.array([c.attack == attack for c in case_list])
                per_attack[attack] = round(float(leaked[m].mean()), 4)
        out[name] = {"threshold": round(float(t), 4), "leak_rate": round(float(leaked.mean()), 4),
                     "false_blocks_benign_held_out": round(float((held_out[name] >= t).mean()), 4),
                     "false_blocks_hard": {k: round(float((v[name] >= t).mean()), 4) for k, v in hard.items()},
                     "families": per_family, "attacks": per_attack, "attacks_by_set": by_set}
    return out


def score_all(items: list[tuple[str, str]], units: list[Unit], case_list: list[Case], benign_texts: list[str],
              hard: dict[str, list[str]], sizes: dict[str, int], index: Any, embedder: Any, cosine: WindowCosine) -> dict[str, Any]:
    """Every system's scores on every text (cached), then the leak rates at the calibrated thresholds."""
    from guard.guard import Guard

    texts = [t for _, t in items]
    guard_system = GuardSystem(Guard(index, embedder))
    systems: list[Any] = [ExactSubstring(texts), NgramBloom(texts), cosine, guard_system]
    everything = [c.text for c in case_list] + benign_texts + [t for v in hard.values() for t in v]
    scores: dict[str, np.ndarray] = {}
    calib: dict[str, np.ndarray] = {}
    held_out: dict[str, np.ndarray] = {}
    hard_scores: dict[str, dict[str, np.ndarray]] = {k: {} for k in hard}
    for system in systems:
        log(f"scoring with {system.name}...")
        s = cached_scores(system, everything)
        n, b = len(case_list), len(benign_texts)
        scores[system.name], bs = s[:n], s[n : n + b]
        calib[system.name], held_out[system.name] = bs[0::2], bs[1::2]
        offset = n + b
        for k, v in hard.items():
            hard_scores[k][system.name] = s[offset : offset + len(v)]
            offset += len(v)
    embedder.save()
    result: dict[str, Any] = {
        "data": "TOFU forget10/retain90, Gutenberg, SHIELD (bsnc, bep, jailbreak templates), presidio_research "
                "FakeNameGenerator identities, Tatoeba, stsb_multi_mt, STS-B",
        "sizes": sizes, "forbidden_items": len(items), "attacked_units": {s: sum(u.set == s for u in units) for s in
                                                                          ("tofu", "books", "shield", "pii")},
        "attacked_texts": len(case_list), "benign_texts": len(benign_texts),
        "hard_negatives": {k: len(v) for k, v in hard.items()},
        "word_substitution_rate": round(float(np.mean([A.substitution_rate(u.text) for u in units])), 3),
        "operating_point": "each system's threshold blocks at most 1% of the even-numbered benign texts; false "
                           "blocks are measured on the odd-numbered ones and on the hard negatives",
    }
    result["systems"] = evaluate(scores, case_list, calib, held_out, hard_scores)
    result["systems"]["no guard"] = {"leak_rate": 1.0, "families": {f: {"leak_rate": 1.0} for f in FAMILIES}}
    shipped = np.array([guard_system.blocked[_key(c.text)] for c in case_list])
    benign_blocked = np.array([guard_system.blocked[_key(t)] for t in benign_texts])
    result["guard at default thresholds"] = {
        "leak_rate": round(float(1 - shipped.mean()), 4),
        "families": {f: round(float(1 - shipped[[c.family == f for c in case_list]].mean()), 4) for f in FAMILIES},
        "false_blocks_benign": round(float(benign_blocked.mean()), 4),
        "false_blocks_hard": {k: round(float(np.mean([guard_system.blocked[_key(t)] for t in v])), 4) for k, v in hard.items()}}
    return result


SIZES = {"tofu": 60, "books": 30, "shield": 30, "pii": 30, "translation": 50,
         "indexed_books": 50, "indexed_shield": 100, "indexed_people": 100,
         "retain": 400, "other_books": 150, "stsb": 300, "hard": 400}
QUICK = {"tofu": 10, "books": 6, "shield": 6, "pii": 6, "translation": 10,
         "indexed_books": 10, "indexed_shield": 10, "indexed_people": 20,
         "retain": 100, "other_books": 30, "stsb": 60, "hard": 100}


def run(data: Path, *args: str) -> dict[str, Any]:
    from benchmarks._cache import DiskCachedEmbedder
    from guard.embedding import load_embedder
    from guard.guard import Guard
    from guard.index import build_index
    from guard.policy import Item

    quick = "--quick" in args
    sizes = QUICK if quick else SIZES
    if "--fresh" in args:
        for p in CACHE.glob("attacks-*.json"):
            p.unlink()
    items, units, pairs = forbidden(data, sizes)
    indexed = {t for _, t in items}
    embedder = DiskCachedEmbedder(load_embedder())
    texts = [t for _, t in items]
    name = "attacks-quick" if quick else "attacks"
    log("building guard's index...")
    index = build_index([Item(k, "content", text=t) for k, t in items], embedder, progress=True)
    embedder.save()
    english = Guard(index, embedder, translations=False)
    restated: list[bool] = []

    def restates(sentences: list[str]) -> list[bool]:
        verdicts = [not v.allowed for v in english.check_batch(sentences)]
        restated.extend(verdicts)
        return verdicts

    benign_texts, hard = benign(data, sizes, indexed, restates=restates)
    filler = D.stsb_sentences(data, "train")[:2000]
    case_list = cases(units, pairs, filler, jailbreak_templates(data))
    log(f"attacks: {len(items)} forbidden items, {len(units)} attacked units, {len(case_list)} attacked texts, "
        f"{len(benign_texts)} benign and {sum(map(len, hard.values()))} hard-negative texts")
    cosine = WindowCosine(texts, embedder)
    if "--latency-only" in args:  # rerun only the timing (e.g. on a quiet machine), keep the rest
        result = json.loads((RESULTS / f"{name}.json").read_text())
        for key in ("benchmark", "written", "machine"):
            result.pop(key, None)
    else:
        result = score_all(items, units, case_list, benign_texts, hard, sizes, index, embedder, cosine)
        result["benign_translations_left_out"] = {"restating_an_indexed_sentence": sum(restated), "of": len(restated)}
    previous = RESULTS / f"{name}.json"
    if "--keep-latency" in args and previous.exists():  # re-evaluate cached scores, keep the earlier timing
        result["latency"] = json.loads(previous.read_text())["latency"]
        log(f"wrote {write_result(name, result)}")
        return result
    log("latency...")
    fresh = load_embedder()
    fresh._cache_size = 0
    sample = random.Random(3).sample([c.text for c in case_list] + benign_texts, 20 if quick else 60)
    cosine.embedder = fresh
    timed = [ExactSubstring(texts), NgramBloom(texts), cosine, GuardSystem(Guard(index, fresh))]
    result["latency"] = latency(timed, sample)
    log(f"wrote {write_result(name, result)}")
    return result
