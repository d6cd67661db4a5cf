"""The facts benchmark's counting: pairs stating a fact, and pairs the fact check reads as conflicting."""

from __future__ import annotations

from benchmarks.facts import _count


def test_pairs_are_counted_as_stating_a_fact_and_as_conflicting() -> None:
    pairs = [
        ("Payrolls fell by 93,000.", "Les salaires ont baissé de 93 000 personnes."),  # the same number
        ("He paid $2 billion.", "Pagó 2.000 millones de dólares."),  # the same amount
        ("He was born in 1958.", "Er wurde 1962 geboren."),  # a mistranslation: a conflict
        ("A man is playing a guitar.", "Un homme joue de la guitare."),  # no fact
    ]
    counted = _count(pairs)
    assert (counted["pairs"], counted["with_a_fact"], counted["conflicting"]) == (4, 3, 1)
    assert counted["example"] == list(pairs[2]) and counted["conflicting_share_of_those"] == round(1 / 3, 4)
