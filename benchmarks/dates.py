"""A person's birthday leaked with the date written another way (issue 6's fact check, `guard.detectors.facts`).

Index: the first 100 FakeNameGenerator records as the attack matrix writes them (`attack_matrix.pii_record`:
"Jan H. Geisler was born on 10/25/2000. Jan lives at ..."). Each person's birthday sentence alone is then
checked at the default thresholds with the date written five ways: as indexed ("10/25/2000"), month first
in words ("October 25, 2000"), day first ("25 October 2000"), ISO ("2000-10-25"), and "the 25th of October
in the year 2000". Two negatives, which a guard that reads dates should let through: another day in words
(the next, "October 26, 2000", or for the 28th to the 31st the 1st to the 4th) and the year before as
indexed ("10/25/1999"). Then the sentence translated (`TRANSLATIONS`: German, Spanish, French, Russian,
Chinese, Japanese), as a leak and with another day as a negative: the translation check and its fact check. Blocked
share per form and guard's mean top score; about two minutes here.

    python -m benchmarks dates [--data ../shared/data]
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.attack_matrix import pii_record, pii_rows
from benchmarks.common import log, write_result

PEOPLE = 100


def _parts(birthday: str) -> tuple[int, int, int]:
    month, day, year = (int(x) for x in birthday.split("/"))
    return month, day, year


def _ordinal(day: int) -> str:
    return f"{day}{'th' if 10 <= day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def _another_day(day: int) -> int:
    """The next day, or for the 28th to the 31st the 1st to the 4th (a day every month has)."""
    return day % 28 + 1


FORMS: dict[str, Callable[[int, int, int], str]] = {
    "as indexed": lambda m, d, y: f"{m}/{d}/{y}",
    "month first, in words": lambda m, d, y: f"{calendar.month_name[m]} {d}, {y}",
    "day first, in words": lambda m, d, y: f"{d} {calendar.month_name[m]} {y}",
    "ISO": lambda m, d, y: f"{y}-{m:02d}-{d:02d}",
    "the Nth of month in the year": lambda m, d, y: f"the {_ordinal(d)} of {calendar.month_name[m]} in the year {y}",
}
NEGATIVES: dict[str, Callable[[int, int, int], str]] = {
    "another day, in words": lambda m, d, y: f"{calendar.month_name[m]} {_another_day(d)}, {y}",
    "the year before, as indexed": lambda m, d, y: f"{m}/{d}/{y - 1}",
}


def sentence(row: dict[str, str], form: Callable[[int, int, int], str]) -> str:
    """The record's birthday sentence with its date written by ``form``."""
    return f"{row['GivenName']} {row['MiddleInitial']}. {row['Surname']} was born on {form(*_parts(row['Birthday']))}."


# The birthday sentence in other languages, as a translator writes it (the translation check's fact check):
# month names in the language's own words (its month facts are not read: only the numbers are).
_MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(),
}
TRANSLATIONS: dict[str, Callable[[str, int, int, int], str]] = {
    "German": lambda name, m, d, y: f"{name} wurde am {d}. {_MONTHS['de'][m - 1]} {y} geboren.",
    "Spanish": lambda name, m, d, y: f"{name} nació el {d} de {_MONTHS['es'][m - 1]} de {y}.",
    "French": lambda name, m, d, y: f"{name} est né le {d} {_MONTHS['fr'][m - 1]} {y}.",
    "Russian": lambda name, m, d, y: f"{name} родился {d} {_MONTHS['ru'][m - 1]} {y} года.",
    "Chinese": lambda name, m, d, y: f"{name}出生于{y}年{m}月{d}日。",
    "Japanese": lambda name, m, d, y: f"{name}は{y}年{m}月{d}日に生まれました。",
}


def translated(row: dict[str, str], language: str, *, next_day: bool = False) -> str:
    """The record's birthday sentence in ``language`` (`TRANSLATIONS`), or stating another day (as the negative
    "another day, in words" does)."""
    month, day, year = _parts(row["Birthday"])
    name = f"{row['GivenName']} {row['MiddleInitial']}. {row['Surname']}"
    return TRANSLATIONS[language](name, month, _another_day(day) if next_day else day, year)


def run(data: Path, *args: str) -> dict[str, Any]:
    from guard import Guard, Item
    from guard.embedding import load_embedder
    from guard.index import build_index

    rows = pii_rows(data)[:PEOPLE]
    embedder = load_embedder()
    log(f"indexing {len(rows)} records...")
    guard = Guard(build_index([Item(f"person-{i}", "content", text=pii_record(r)) for i, r in enumerate(rows)], embedder),
                  embedder)
    result: dict[str, Any] = {"people": len(rows), "data": "presidio_research FakeNameGenerator.com_3000.csv, rows 1-100"}
    sets = {"leaks": {name: [sentence(r, form) for r in rows] for name, form in FORMS.items()},
            "negatives": {name: [sentence(r, form) for r in rows] for name, form in NEGATIVES.items()},
            "translated": {language: [translated(r, language) for r in rows] for language in TRANSLATIONS},
            "translated_negatives": {language: [translated(r, language, next_day=True) for r in rows]
                                     for language in TRANSLATIONS}}
    for key, named in sets.items():
        result[key] = {}
        for name, texts in named.items():
            blocked = sum(not v.allowed for v in guard.check_batch(texts))
            top = [max((f.score for f in found), default=0.0) for found in guard.evidence(texts)]
            result[key][name] = {"blocked": round(blocked / len(texts), 3), "mean_top_score": round(sum(top) / len(top), 3),
                                 "example": texts[0]}
            log(f"{key}: {name}: blocked {blocked} of {len(texts)}")
    log(f"wrote {write_result('dates', result)}")
    return result
