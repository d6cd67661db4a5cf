"""How often the fact check reads a true restatement as stating other facts (`guard.detectors.facts`).

A text and its translation state the same numbers and dates; a fact reader that sees "93 000" and "93,000",
or "2.000 millones" and "$2 billion", as different numbers lowers a translated leak by the conflict penalty
(the translation check runs the fact check too). Pairs, each read whole and canonical as guard reads them:

- stsb_multi_mt: each English test sentence (the first of its pair, 1,379) and its DeepL translation into
  German, Spanish, French, Russian, Chinese and Japanese;
- Tatoeba: each English sentence (1,000 per language) and its human translation, in the six languages the
  issue names and the six others the translation check reads;
- TOFU (forget10 and the retain_perturbed split, 800 questions): each answer and its paraphrased answer, the
  English counterpart; and, as the check's other side, each answer and its five perturbed answers, where a
  conflict is the point.

Counted per source: the pairs where either side states a fact, and the pairs read as conflicting
(`facts.conflicts`). Text only, no embedder: seconds.

    python -m benchmarks facts [--data ../shared/data]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import data as D
from benchmarks.common import log, write_result

STSB = ("de", "es", "fr", "ru", "zh", "ja")
TATOEBA = {"de": "deu", "es": "spa", "fr": "fra", "ru": "rus", "zh": "cmn", "ja": "jpn", "it": "ita", "nl": "nld",
           "pl": "pol", "pt": "por", "tr": "tur", "ar": "ara"}


def _count(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    from guard.detectors.facts import conflicts, facts
    from guard.normalize import canonical

    stated = conflicting = 0
    example = None
    for a, b in pairs:
        fa, fb = facts(canonical(a).text), facts(canonical(b).text)
        stated += bool(fa or fb)
        if conflicts(fa, fb):
            conflicting += 1
            example = example or [a, b]
    return {"pairs": len(pairs), "with_a_fact": stated, "conflicting": conflicting,
            "conflicting_share_of_those": round(conflicting / stated, 4) if stated else 0.0, "example": example}


def run(data: Path, *args: str) -> dict[str, Any]:
    english = D.stsb_multi_mt(data, "en")
    result: dict[str, Any] = {"data": "stsb_multi_mt test; Tatoeba (LASER test set); TOFU forget10_perturbed.json, "
                                      "tofu__retain_perturbed.json", "translations": {}, "tofu": {}}
    for lang in STSB:
        result["translations"][f"stsb_multi_mt {lang}"] = _count(list(zip(english, D.stsb_multi_mt(data, lang))))
    for lang, code in TATOEBA.items():
        result["translations"][f"Tatoeba {lang}"] = _count(list(zip(*D.tatoeba(data, code))))
    for name, rows in (("forget10", D.tofu_forget(data)), ("retain_perturbed", D.tofu_retain_perturbed(data))):
        result["tofu"][f"{name}: paraphrased answers"] = _count([(r["answer"], r["paraphrased_answer"]) for r in rows])
        result["tofu"][f"{name}: perturbed answers"] = _count([(r["answer"], p) for r in rows for p in r["perturbed_answer"]])
    for group in ("translations", "tofu"):
        for name, c in result[group].items():
            log(f"{name}: {c['conflicting']} of {c['with_a_fact']} pairs with a fact read as conflicting")
    log(f"wrote {write_result('facts', result)}")
    return result
