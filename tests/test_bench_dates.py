"""The dates benchmark's sentences: every leak form states the indexed date, every negative another one."""

from __future__ import annotations

import pytest

from benchmarks.dates import FORMS, NEGATIVES, _ordinal, sentence
from guard.detectors.facts import conflicts, facts

ROW = {"GivenName": "Jan", "MiddleInitial": "H", "Surname": "Geisler", "Birthday": "10/25/2000"}


def test_the_forms_write_one_date_five_ways() -> None:
    assert [sentence(ROW, form) for form in FORMS.values()] == [
        "Jan H. Geisler was born on 10/25/2000.",
        "Jan H. Geisler was born on October 25, 2000.",
        "Jan H. Geisler was born on 25 October 2000.",
        "Jan H. Geisler was born on 2000-10-25.",
        "Jan H. Geisler was born on the 25th of October in the year 2000.",
    ]
    assert [_ordinal(d) for d in (1, 2, 3, 11, 12, 13, 21, 22, 31)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "22nd", "31st"]  # fmt: skip


@pytest.mark.parametrize("birthday", ["10/25/2000", "3/2/1954", "5/5/1937", "12/31/1969"])
def test_the_fact_check_reads_each_leak_as_the_date_and_each_negative_as_another(birthday: str) -> None:
    row = {**ROW, "Birthday": birthday}
    indexed = facts(sentence(row, FORMS["as indexed"]).lower())
    assert not any(conflicts(indexed, facts(sentence(row, form))) for form in FORMS.values())
    assert all(conflicts(indexed, facts(sentence(row, form))) for form in NEGATIVES.values())


@pytest.mark.parametrize("birthday", ["10/25/2000", "3/2/1954", "5/5/1937", "9/16/1994"])
def test_each_translation_states_the_date_and_its_negative_another(birthday: str) -> None:
    from benchmarks.dates import TRANSLATIONS, translated
    from guard.normalize import canonical

    row = {**ROW, "Birthday": birthday}
    indexed = facts(canonical(sentence(row, FORMS["as indexed"])).text)
    for language in TRANSLATIONS:  # the check reads a candidate's canonical view
        assert not conflicts(indexed, facts(canonical(translated(row, language)).text)), language
        assert conflicts(indexed, facts(canonical(translated(row, language, next_day=True)).text)), language


def test_a_translation_writes_the_month_in_its_language() -> None:
    from benchmarks.dates import translated

    assert translated(ROW, "German") == "Jan H. Geisler wurde am 25. Oktober 2000 geboren."
    assert translated(ROW, "Japanese", next_day=True) == "Jan H. Geislerは2000年10月26日に生まれました。"
