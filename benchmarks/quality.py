"""Detection quality (issue 6): hard negatives, concepts, translations, and what the second stage costs.

    python -m benchmarks quality [--data ../shared/data] [--translations-only | --dev]

1. Hard negatives. Index: the 400 TOFU forget10 answers. Positives: their ``paraphrased_answer``. Hard
   negatives: the 2,000 ``perturbed_answer`` (the paraphrase with a fact changed). Easy negatives: the
   answers of retain90's last 90 authors (1,800). Share of positives caught at the threshold blocking at
   most 1/5/10% of the negatives, for word 3-gram overlap, whole-text MiniLM cosine, and guard's verdict
   score six ways: first stage only (windowed cosine: the core engine); with the fact check
   (`guard.detectors.facts`); with the cross-encoder too (`guard.rerank`, its doubt only); with the perturbed
   check as well (`guard.detectors.perturbed`); with the verbatim layer's frame rule as well
   (`guard.detectors.verbatim`); and whole (the cross-encoder's reading of each item's whole text as well:
   the restatement bonus of `guard.rerank.adjusted`). The checks were tuned or trained on ``tofu__retain_perturbed.json``
   (retain90's first 20 authors) and retain90 answers of authors 21-90, never on forget10 or the easy
   negatives here. (The frame rule was written after reading forget10's easy negatives at the 1% point:
   template runs such as "The author's full name is"; it has no setting to tune.)
2. Concepts. Each of the 20 forget10 authors is a concept with 5 of their answers as examples; positives:
   the paraphrases of their other 15 answers (300); negatives: the 1,800 held-out retain90 answers. The
   name anchors (`guard.detectors.names`) were chosen with retain90's first 20 authors as concepts.
3. Translations. Tatoeba: the first 100 English sentences of each language's file indexed (600); positives:
   their German, Spanish, French, Russian, Chinese and Japanese translations; negatives: the translations of
   the file's other 900 sentences, less those whose English original is indexed or is blocked in English by
   guard with the bundled MiniLM (a paraphrase of an indexed sentence; the figure with every negative kept
   is reported beside it). Guard three ways: an index built with the bundled MiniLM and the translation
   check off; an index built with USE multilingual v3 (`guard.multilingual`); and as shipped, the MiniLM
   index with the translation check (`guard.detectors.translation`: windows in another language embedded
   again with USE). The same on stsb_multi_mt (DeepL translations of the STS-B test split, first sentence
   of each pair, rows aligned across languages): the first 100 English sentences indexed, their six
   translations the positives, the translations of the other 1,279 the negatives, by the same rules.
   ``--translations-only`` reruns this part and keeps the others from the last run.
4. Cost. ``Guard.check`` p50/p95 on 40 texts against the forget10 index (20 Sherlock Holmes passages of
   200 words, 20 TOFU paraphrase + perturbed pairs, which come near items and so reach the second stage),
   guard whole against the first stage alone, embedding cache off.

``--dev`` runs part 1 on ``tofu__retain_perturbed.json`` instead, the split the checks were chosen on
(``results/quality-dev.json``), and nothing else.

Embeddings are cached in ``benchmarks/.cache`` (see `benchmarks._cache`); a rerun embeds nothing twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import data as D
from benchmarks.baselines import NgramOverlap, PlainCosine
from benchmarks.common import RESULTS, auroc, content_items, percentiles, tpr_at_fpr, verdict_scores, write_result
from benchmarks.common import log as _log
from guard.windows import sentences

LANGUAGES = {"de": "deu", "es": "spa", "fr": "fra", "ru": "rus", "zh": "cmn", "ja": "jpn"}
_PER_LANGUAGE = 100  # indexed sentences (and as many negatives) per language: the machine is small
RATES = (0.01, 0.05, 0.10)
_PREMISE = 0.8  # a flagged part this close to the row's question restates its premise (`_top_negatives`)


def _row(pos: np.ndarray, neg: np.ndarray, easy: np.ndarray | None = None,
         single: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float]:
    """``single``: masks of the positives and hard negatives that come from one-sentence answers."""
    out = {f"caught_at_{round(r * 100)}pct": round(tpr_at_fpr(pos, neg, r)[0], 4) for r in RATES}
    out["auroc"] = round(auroc(pos, neg), 4)
    if easy is not None:
        out["easy_caught_at_1pct"] = round(tpr_at_fpr(pos, easy, 0.01)[0], 4)
    if single is not None:
        out["one_sentence_caught_at_1pct"] = round(tpr_at_fpr(pos[single[0]], neg[single[1]], 0.01)[0], 4)
    return out


CORE, FACTS, GUARD = "guard, first stage only", "guard, first stage + fact check", "guard"
UNALIGNED = "guard without the perturbed check"  # the fact check and the cross-encoder; not `guard.detectors.perturbed`
UNFRAMED = "guard without the frame rule"  # `Guard(frames=False)`, `guard.detectors.verbatim`
UNREAD = "guard without the whole-item reading"  # the cross-encoder's restatement bonus, `guard.rerank.adjusted`


def _variant(guard: Any, *, facts: bool, rerank: bool, perturbed: bool = False, frames: bool = False,
             whole: bool = False) -> Any:
    """The same guard with the fact check (numbers, dates and names), the second stage (`guard.rerank`), its
    reading of the item's whole text (``whole``: the restatement bonus), the perturbed-restatement check
    (`guard.detectors.perturbed`) and/or the verbatim layer's frame rule off.

    None of them: the core engine's plain check (windowed cosine).
    """
    from guard.guard import Guard
    from guard.index import Index

    class Unread(Index):
        def whole_row(self, item: int) -> int | None:
            return None  # no item's whole text is read: no restatement bonus

    items = guard.index.items if facts else [{k: v for k, v in it.items() if k != "facts"} for it in guard.index.items]
    index = (Index if whole else Unread)(guard.index.manifest, items, guard.index.arrays, guard.index.ann_index)
    return Guard(index, guard.embedder, rerank=rerank, names=facts, perturbed=perturbed, frames=frames)


def hard_negatives(embedder: Any, forget: list[dict[str, Any]], easy: list[str]) -> dict[str, Any]:
    from guard.guard import Guard
    from guard.index import build_index

    answers = [r["answer"] for r in forget]
    positives = [r["paraphrased_answer"] for r in forget]
    hard = [p for r in forget for p in r["perturbed_answer"]]
    # A perturbed answer of several sentences changes one fact and restates the rest: guard, which counts a
    # restated part as a leak, blocks those. On one-sentence answers the whole text carries the changed fact.
    one = [len(sentences(r["answer"])) == 1 for r in forget]
    single = (np.array(one), np.array([o for o, r in zip(one, forget) for _ in r["perturbed_answer"]]))
    guard = Guard(build_index(content_items(answers, "forget"), embedder), embedder)
    ngram, cosine = NgramOverlap(answers), PlainCosine(answers, embedder)
    out: dict[str, Any] = {"positives": len(positives), "hard_negatives": len(hard), "easy_negatives": len(easy),
                           "tuned_on": "tofu__retain_perturbed.json (retain90 authors 1-20), not forget10"}
    out["one_sentence_answers"] = int(single[0].sum())
    overlap = [np.array([ngram.score(t) for t in ts]) for ts in (positives, hard, easy)]
    out["word 3-gram overlap (MemFree-style)"] = _row(overlap[0], overlap[1], overlap[2], single=single)
    out["all-MiniLM-L6-v2 cosine"] = _row(cosine.scores(positives), cosine.scores(hard), cosine.scores(easy), single=single)
    variants = ((CORE, _variant(guard, facts=False, rerank=False)), (FACTS, _variant(guard, facts=True, rerank=False)),
                (UNALIGNED, _variant(guard, facts=True, rerank=True)),
                (UNFRAMED, _variant(guard, facts=True, rerank=True, perturbed=True)),
                (UNREAD, _variant(guard, facts=True, rerank=True, perturbed=True, frames=True)), (GUARD, guard))
    hard_scores: dict[str, np.ndarray] = {}
    for name, g in variants:
        _log(f"  {name}...")
        (p, pb), (h, hb), (e, eb) = (verdict_scores(g, ts) for ts in (positives, hard, easy))
        out[name] = {**_row(p, h, e, single), "at_default_thresholds": {
            "caught": round(float(pb.mean()), 4), "hard_false_blocks": round(float(hb.mean()), 4),
            "easy_false_blocks": round(float(eb.mean()), 4)}}
        hard_scores[name] = h
    out["guard_top_hard_negatives"] = _top_negatives(guard, forget, hard, hard_scores[GUARD])
    return out


def _top_negatives(guard: Any, forget: list[dict[str, Any]], hard: list[str], scores: np.ndarray) -> dict[str, Any]:
    """What the perturbed answers that set guard's 1% point are: for each at or above it, whether guard's
    strongest finding covers under 80% of the text (a part restated, the changed fact elsewhere), whether
    it is the verbatim layer's, whether the answer it perturbs has several sentences, and whether the finding
    names another forget10 answer than that one (TOFU has rows whose perturbed answers rework another
    question's answer: ``another_item`` lists them as [perturbed answer's index, item flagged]), and whether
    the part flagged (under 80% of the text) restates the row's question: MiniLM cosine to it at least
    `_PREMISE` ("The influence of Hina Ameen's parents on her career was notable.")."""
    from guard.guard import leak_score

    at = float(np.quantile(scores, 0.99, method="higher"))
    rows = [k for k in range(len(hard)) if scores[k] >= at]
    owner = [n for n, r in enumerate(forget) for _ in r["perturbed_answer"]]
    out: dict[str, Any] = {"at_or_above_1pct_threshold": len(rows), "strongest_span_under_80pct": 0, "verbatim": 0,
                           "from_multi_sentence_answers": 0, "part_restates_question": 0}
    another: list[list[Any]] = []
    parts: list[tuple[str, str]] = []  # (flagged part, its row's question)
    for k, verdict in zip(rows, guard.check_batch([hard[k] for k in rows])):
        f = max([*verdict.findings, verdict.near_miss] if verdict.near_miss else verdict.findings, key=leak_score)
        if (f.end - f.start) < 0.8 * len(hard[k]):
            parts.append((hard[k][f.start : f.end], forget[owner[k]]["question"]))
        out["verbatim"] += f.matcher.value == "verbatim"
        out["from_multi_sentence_answers"] += len(sentences(forget[owner[k]]["answer"])) > 1
        if f.item_id != f"forget-{owner[k]}":
            another.append([int(k), f.item_id])
    out["another_item"] = another
    out["strongest_span_under_80pct"] = len(parts)
    if parts:
        vectors = guard.embedder.embed([t for pair in parts for t in pair])
        out["part_restates_question"] = int(((vectors[0::2] * vectors[1::2]).sum(1) >= _PREMISE).sum())
    return out


def concepts(embedder: Any, forget: list[dict[str, Any]], negatives: list[str]) -> dict[str, Any]:
    from guard.guard import Guard
    from guard.index import build_index
    from guard.policy import Item

    authors = len(forget) // 20
    items = [Item(f"author-{k}", "concept", examples=tuple(r["answer"] for r in forget[20 * k : 20 * k + 5]))
             for k in range(authors)]
    positives = [r["paraphrased_answer"] for k in range(authors) for r in forget[20 * k + 5 : 20 * k + 20]]
    guard = Guard(build_index(items, embedder), embedder)
    (p, pb), (n, nb) = verdict_scores(guard, positives), verdict_scores(guard, negatives)
    return {"concepts": authors, "examples_each": 5, "positives": len(positives), "negatives": len(negatives),
            "guard": {**_row(p, n), "at_default_thresholds": {"caught": round(float(pb.mean()), 4),
                                                              "false_blocks": round(float(nb.mean()), 4)}}}


def translations(source: str, pairs: Callable[[str], tuple[list[str], list[str]]], systems: dict[str, tuple[Any, Any]],
                 english: Any) -> dict[str, Any]:
    """``pairs(lang)``: the aligned English sentences and their translations into ``lang`` in ``source``;
    ``systems``: name -> (the index's embedder, the translation check's embedder or None); ``english``: the
    bundled English embedder, which judges the negatives' English originals (below)."""
    from guard.guard import Guard
    from guard.index import build_index

    indexed: list[str] = []
    positives: dict[str, list[str]] = {}
    rest: dict[str, list[tuple[str, str]]] = {}
    for lang in LANGUAGES:
        eng, other = pairs(lang)
        indexed += [e for e in eng[:_PER_LANGUAGE] if e not in indexed]  # stsb_multi_mt: one English for all
        positives[lang] = other[:_PER_LANGUAGE]
        rest[lang] = list(zip(eng[_PER_LANGUAGE:], other[_PER_LANGUAGE:]))
    # Negatives: the translations of every other sentence in the file, except those whose English original is
    # indexed (they are positives), and, for the headline figure, those whose English original guard blocks in
    # English (a paraphrase of an indexed sentence: "We live in a very complicated world." for the indexed "We
    # live in a complicated world."): blocking their translation is the guard working, not a false block.
    english_guard = Guard(build_index(content_items(indexed, "en"), english), english)
    out: dict[str, Any] = {"data": source, "indexed_english": len(indexed), "per_language": _PER_LANGUAGE,
                           "negatives": {}, "dropped_indexed_english": {}, "dropped_flagged_in_english": {}}
    negatives: dict[str, list[str]] = {}  # every one, with (below) which of their English originals guard blocks
    restated: dict[str, np.ndarray] = {}
    seen = set(indexed)
    for lang in LANGUAGES:
        keep = [(e, o) for e, o in rest[lang] if e not in seen]
        restated[lang] = verdict_scores(english_guard, [e for e, _ in keep])[1]
        negatives[lang] = [o for _, o in keep]
        out["dropped_indexed_english"][lang] = len(rest[lang]) - len(keep)
        out["dropped_flagged_in_english"][lang] = int(restated[lang].sum())
        out["negatives"][lang] = int((~restated[lang]).sum())
    for name, (embedder, translator) in systems.items():
        _log(f"  {source} translations with {name}...")
        guard = Guard(build_index(content_items(indexed, "en"), embedder), embedder, translations=translator or False)
        rows, allp, alln, alle = {}, [], [], []
        for lang in LANGUAGES:
            p, e = verdict_scores(guard, positives[lang])[0], verdict_scores(guard, negatives[lang])[0]
            n = e[~restated[lang]]
            rows[lang] = round(tpr_at_fpr(p, n, 0.01)[0], 4)
            allp.append(p)
            alln.append(n)
            alle.append(e)
        rows["all"] = round(tpr_at_fpr(np.concatenate(allp), np.concatenate(alln), 0.01)[0], 4)
        out[name] = {"caught_at_1pct": rows, "caught_at_1pct_every_negative": round(
            tpr_at_fpr(np.concatenate(allp), np.concatenate(alle), 0.01)[0], 4)}
    return out


def cost(forget: list[dict[str, Any]], data: Path) -> dict[str, Any]:
    from guard.embedding import load_embedder
    from guard.guard import Guard
    from guard.index import build_index

    embedder = load_embedder()
    texts = [" ".join(p.split()[:200]) for p in D.book_passages(data, "sherlock", words=200)][:20]
    texts += [r["paraphrased_answer"] + " " + r["perturbed_answer"][0] for r in forget[:20]]
    guard = Guard(build_index(content_items([r["answer"] for r in forget], "forget"), embedder), embedder)
    plain = _variant(guard, facts=False, rerank=False)
    embedder._cache_size = 0
    embedder._cache.clear()
    guard.check(texts[0])  # warm-up
    guard.check(texts[-1])  # loads the reranker
    times: dict[str, list[float]] = {GUARD: [], CORE: []}
    for text in texts:
        for name, g in ((CORE, plain), (GUARD, guard)):
            t0 = time.perf_counter()
            g.check(text)
            times[name].append(time.perf_counter() - t0)
    out: dict[str, Any] = {"outputs": len(texts), **{name: percentiles(t) for name, t in times.items()}}
    out["ratio_p50"] = round(float(np.median(times[GUARD]) / np.median(times[CORE])), 3)
    near = texts[len(texts) // 2 :]
    out["near_items"] = {name: percentiles(t[len(texts) // 2 :]) for name, t in times.items()}
    out["near_items"]["texts"] = len(near)
    return out


def hard_table(h: dict[str, Any], split: str = "forget10") -> list[str]:
    """The hard-negatives table and the sentence under it (Markdown lines)."""
    lines = ["| detector | paraphrases caught at 1% false blocks on hard negatives | at 5% | at 10% | at 1% on easy negatives "
             f"| at 1%, the {h['one_sentence_answers']} one-sentence answers |", "|---|---|---|---|---|---|"]
    for name in ("word 3-gram overlap (MemFree-style)", "all-MiniLM-L6-v2 cosine", CORE, FACTS, UNALIGNED, UNFRAMED,
                 UNREAD, GUARD):
        if name not in h:
            continue  # a result written before that row existed
        r = h[name]
        lines.append(f"| {name} | {r['caught_at_1pct']:.3f} | {r['caught_at_5pct']:.3f} | {r['caught_at_10pct']:.3f} | "
                     f"{r['easy_caught_at_1pct']:.3f} | {r['one_sentence_caught_at_1pct']:.3f} |")
    top = h["guard_top_hard_negatives"]
    lines += ["", f"Of the {top['at_or_above_1pct_threshold']} perturbed answers at or above guard's 1% threshold, "
              f"{top['strongest_span_under_80pct']} are flagged on a span under 80% of the text (a part restated, the "
              f"changed fact elsewhere; {top['verbatim']} by the verbatim layer; "
              f"{top.get('part_restates_question', '?')} on a part that restates the question, MiniLM cosine to it "
              f"≥ {_PREMISE}), and {top['from_multi_sentence_answers']} "
              f"perturb an answer of several sentences; {len(top.get('another_item', []))} are flagged as another "
              f"{split} answer than the one they perturb."]
    return lines


def table(result: dict[str, Any]) -> str:
    """The issue's table with guard's rows added (Markdown)."""
    lines = hard_table(result["hard_negatives"])
    c = result["concepts"]["guard"]
    lines += ["", "| concepts (20 TOFU authors, 5 examples each) | caught at 1% false blocks | at 5% | AUROC |",
              "|---|---|---|---|", f"| guard | {c['caught_at_1pct']:.3f} | {c['caught_at_5pct']:.3f} | {c['auroc']:.3f} |"]
    langs = [*LANGUAGES, "all"]
    for key in ("translations", "translations_stsb_multi_mt"):
        if key not in result:
            continue
        t = result[key]
        lines += ["", f"| translations ({t['data']}), caught at 1% false blocks | " + " | ".join(langs)
                  + " | all, every negative |", "|---|" + "---|" * (len(langs) + 1)]
        for name in (k for k in t if isinstance(t[k], dict) and "caught_at_1pct" in t[k]):
            lines.append(f"| guard, {name} | " + " | ".join(f"{t[name]['caught_at_1pct'][lang]:.3f}" for lang in langs)
                         + f" | {t[name]['caught_at_1pct_every_negative']:.3f} |")
        dropped = sum(t["dropped_flagged_in_english"].values())
        lines += ["", f"{t['data']}: {t['indexed_english']} English sentences indexed; negatives: "
                  f"{sum(t['negatives'].values())} translations of non-indexed sentences; {dropped} more were left out "
                  "because guard blocks their English original in English (a paraphrase of an indexed sentence), and the "
                  "last column keeps them."]
    k = result["cost"]
    lines += ["", f"Check cost: p50 {k[GUARD]['p50_ms']} ms for guard, {k[CORE]['p50_ms']} ms for the first stage alone "
              f"(ratio {k['ratio_p50']}); on the {k['near_items']['texts']} texts that come near an item (TOFU paraphrase + "
              f"perturbed answer) {k['near_items'][GUARD]['p50_ms']} vs {k['near_items'][CORE]['p50_ms']} ms."]
    return "\n".join(lines)


def dev(data: Path, embedder: Any, easy: list[str]) -> dict[str, Any]:
    """Part 1 on the split the fact check and the perturbed check were chosen on, and the cross-encoder
    trained on (so the whole guard's row is in-sample there): ``tofu__retain_perturbed.json``."""
    rows = D.tofu_retain_perturbed(data)
    try:
        hard = hard_negatives(embedder, rows, easy)
    finally:
        embedder.save()
    hard["tuned_on"] = "this split: the fact check, the perturbed check and the cross-encoder (in-sample)"
    result = {"data": "TOFU tofu__retain_perturbed.json (retain90 authors 1-20), tofu__retain90.json authors 91-180",
              "hard_negatives": hard, "table": "\n".join(hard_table(hard, "retain_perturbed"))}
    path = write_result("quality-dev", result)
    print(result["table"])
    _log(f"wrote {path}")
    return result


def run(data: Path, *args: str) -> dict[str, Any]:
    from benchmarks._cache import DiskCachedEmbedder
    from guard.embedding import load_embedder
    from guard.multilingual import UniversalSentenceEncoder

    forget = D.tofu_forget(data)
    retain = [r["answer"] for r in D.tofu_retain(data)]
    held_out = retain[1800:]  # retain90's last 90 authors: never used to tune anything
    minilm = DiskCachedEmbedder(load_embedder())
    if "--dev" in args:
        return dev(data, minilm, held_out)
    use = DiskCachedEmbedder(UniversalSentenceEncoder())
    result: dict[str, Any] = {"data": "TOFU forget10_perturbed.json, tofu__retain90.json; Tatoeba; stsb_multi_mt; Gutenberg"}
    only_translations = "--translations-only" in args  # keep the other parts of the last run (they do not read them)
    if only_translations:
        result.update({k: v for k, v in json.loads((RESULTS / "quality.json").read_text()).items()
                       if k in ("hard_negatives", "concepts", "cost")})
    try:
        if not only_translations:
            _log("hard negatives...")
            result["hard_negatives"] = hard_negatives(minilm, forget, held_out)
            _log("concepts...")
            result["concepts"] = concepts(minilm, forget, held_out)
        _log("translations...")
        systems = {"all-MiniLM-L6-v2 alone": (minilm, None), "use-multilingual-v3": (use, None),
                   "all-MiniLM-L6-v2 + translation check": (minilm, use)}
        result["translations"] = translations("Tatoeba", lambda lang: D.tatoeba(data, LANGUAGES[lang]), systems, minilm)
        result["translations_stsb_multi_mt"] = translations(
            "stsb_multi_mt", lambda lang: (D.stsb_multi_mt(data, "en"), D.stsb_multi_mt(data, lang)), systems, minilm)
    finally:
        minilm.save()
        use.save()
    if not only_translations:
        _log("cost...")
        result["cost"] = cost(forget, data)
    result["table"] = table(result)
    path = write_result("quality", result)
    print(result["table"])
    _log(f"wrote {path}")
    return result
