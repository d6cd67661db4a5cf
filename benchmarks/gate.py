"""Which windows the translation check reads (`guard.detectors.translation.foreign`: the gate).

A window the gate passes over is checked in English only, and the bundled MiniLM reads a Spanish sentence
far from its English original, so a translated leak the gate misses goes through. A window it reads as
foreign wrongly costs a second embedding and is judged against the translation threshold, which is set on
English text read that way (`python -m benchmarks defaults`). Counted on the windows guard cuts (canonical,
as content windows are cut), each text's windows once:

- English text, read as foreign (the lower the better): TOFU answers (forget10 and retain90), STS-B test
  sentences, FakeNameGenerator records (written as the attack matrix writes them; their addresses are often
  in another language: "96 rue de penthièvre"), birthday sentences of the dates benchmark, the
  public-domain books, Tatoeba's English sides;
- text in another language, read as foreign (the higher the better): Tatoeba's sides in the eight
  Latin-script languages the gate reads by their words, and stsb_multi_mt's German, Spanish and French
  (non-Latin scripts are read by their letters: every Russian, Chinese and Japanese window is caught).

Text only, no embedder: ~30 s.

    python -m benchmarks gate [--data ../shared/data]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks import data as D
from benchmarks.common import log, write_result

TATOEBA = {"de": "deu", "es": "spa", "fr": "fra", "it": "ita", "nl": "nld", "pl": "pol", "pt": "por", "tr": "tur"}
STSB = ("de", "es", "fr")
_EXAMPLES = 3


def _windows(texts: Iterable[str]) -> list[str]:
    from guard.index.data import content_windows

    return [w.text for t in texts for w in content_windows(t)[1]]


def _count(windows: list[str]) -> dict[str, Any]:
    from guard.detectors.translation import foreign

    read = [foreign(w) for w in windows]
    return {"windows": len(windows), "read_as_foreign": sum(read), "share": round(sum(read) / max(1, len(windows)), 4),
            "read": [w for w, r in zip(windows, read) if r][:_EXAMPLES],
            "not_read": [w for w, r in zip(windows, read) if not r][:_EXAMPLES]}


def run(data: Path, *args: str) -> dict[str, Any]:
    from benchmarks.attack_matrix import pii_record, pii_rows
    from benchmarks.dates import FORMS, NEGATIVES, sentence

    rows = pii_rows(data)
    english = {
        "TOFU answers": [r["answer"] for r in D.tofu_retain(data) + D.tofu_forget(data)],
        "STS-B test sentences": D.stsb_sentences(data),
        "FakeNameGenerator records": [pii_record(r) for r in rows],
        "birthday sentences (dates benchmark)": [sentence(r, f) for r in rows[:300]
                                                 for f in [*FORMS.values(), *NEGATIVES.values()]],
        "public-domain books": [p for book in D.BOOKS for p in D.book_passages(data, book)],
        "Tatoeba, English sides": list(dict.fromkeys(e for code in TATOEBA.values() for e in D.tatoeba(data, code)[0])),
    }
    result: dict[str, Any] = {"data": "TOFU, STS-B, FakeNameGenerator, Gutenberg books, Tatoeba (LASER test set), "
                                      "stsb_multi_mt test", "english": {}, "foreign": {}}
    for name, texts in english.items():
        result["english"][name] = _count(_windows(texts))
    for lang, code in TATOEBA.items():
        result["foreign"][f"Tatoeba {lang}"] = _count(_windows(D.tatoeba(data, code)[1]))
    for lang in STSB:
        result["foreign"][f"stsb_multi_mt {lang}"] = _count(_windows(D.stsb_multi_mt(data, lang)))
    for group in ("english", "foreign"):
        for name, c in result[group].items():
            log(f"{name}: {c['read_as_foreign']} of {c['windows']} windows read as foreign")
    log(f"wrote {write_result('gate', result)}")
    return result
