"""The fact check: windows that state conflicting numbers or dates score lower than their cosine."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import Guard, Item, Matcher
from guard.detectors.facts import CONFLICT_PENALTY, adjusted, conflicts, facts, names_conflict, terms, words
from guard.detectors.facts import VERSION as facts_version
from guard.index import Index, build_index

from .conftest import FakeEmbedder

BIRTH = "Jane Roe was born on 14 March 1987 in Duluth, Minnesota."


def test_numbers_and_months_are_normalized() -> None:
    assert facts("on 25 February 1958") == facts("February 25th, 01958") == facts("feb. 25, 1,958")
    assert facts("no facts here, may be later") == frozenset()
    assert facts("in 1958") != facts("in 1962")


def test_a_date_in_digits_states_the_facts_of_the_date_written_out() -> None:
    written = facts("born on 6 March 1985")
    assert facts("born on 03/06/1985") == facts("born 1985-03-06") == facts("born 03.06.1985") == written
    assert facts("born 3/6/85") == written and facts("3/6/05") == facts("March 6, 2005")  # %y: 69-99 is 19xx
    assert facts("born on 05/25/1930") == facts("born on May 25, 1930") == facts("the 25th of May 1930")
    assert facts("version 1.2.10") == facts("1210")  # "." and "-" dates need a four-digit year
    assert facts("13/13/2020") == facts("13 13 2020")  # no month: three numbers as before
    assert facts("it may be 2") != facts("5 2")  # "may" is a month only next to a number


def test_a_number_inside_a_word_is_an_identifier_and_a_series_number_no_fact() -> None:
    assert facts("the Whou1985 imprint") != facts("born in 1985")
    assert facts("the Whou1985 imprint") == facts("WHOU1985")
    assert facts("R2-D2 and C-3PO") == facts("r2-d2, c-3po") and len(facts("R2-D2 and C-3PO")) == 2
    assert facts("Dante's Amulet (Coriola, #2)") == frozenset()
    assert facts("room 3B on the 1950s floor") == facts("3 1950")  # digits first: still a number


def test_a_number_next_to_a_chinese_or_japanese_character_is_a_number() -> None:
    # those scripts set numbers against their words: "1987年3月14日" is a date, not one identifier
    assert facts("1987年3月14日") == facts("March 14, 1987")
    assert facts("第2章") == facts("2") and facts("1994년") == facts("1994")
    assert facts("abc1994年") == facts("ABC1994")  # a Latin identifier ends at the character


def test_an_amount_is_its_value_however_it_is_written() -> None:
    # thousands grouped by ",", "." or a space, a decimal comma, and scale words in the languages the
    # translation check reads: each pair is one sentence of stsb_multi_mt and its DeepL translation
    assert facts("réduit de 93 000") == facts("93,000")
    assert not conflicts(facts("payrolls fell by 93,000, 6.1 percent"), facts("на 93 000 человек, 6,1 процента"))
    assert facts("at 8,983.80") <= facts("à 8 983,80") and facts("6.1") == facts("6,1") != facts("61")
    assert facts("nearly $2 billion") == facts("casi 2.000 millones de dólares") == facts("近20億ドル")
    assert facts("$1.39 billion") == facts("13.9億ドル") == facts("1.390 millones") == facts("1,390,000,000")
    assert facts("$659 million") <= facts("6億5,900万ドル")  # 億 then 万: the parts add up
    assert facts("456,000 yen") <= facts("45万6,000円") and facts("93,000") == facts("9.3万人")
    assert facts("$70-million program") == facts("7000万ドル") == facts("70 млн") == facts("£70m")
    assert facts("50 million numbers") == facts("50 миллионам номеров") == facts("5000多万个")
    assert facts("2,9 миллиардами") == facts("$2.9bn") == facts("2.9 Milliarden")
    assert facts("Harvard was founded in 1636.") == facts("أُنشئت هارفارد عام ١٦٣٦م.")  # Arabic-Indic digits


def test_digits_grouped_by_spaces_are_one_number_only_where_they_group_thousands() -> None:
    assert facts("2 100 combattants") == facts("2,100 combatants") != facts("2,200 combatants")
    # a phone number's groups are numbers, as in its other forms; a longer answer adds a fact, no conflict
    assert facts("call 555 123 4567") == facts("call 555-123-4567") == facts("+555 123") | facts("4567")
    assert not conflicts(facts("phone +354 413 4270"), facts("reach him at 354-413-4270, he is 45"))
    assert facts("+41 081 273 30 84") == facts("41 81 273 30 84")
    assert facts("in 1990 and 2000") == facts("1990 2000")  # not one number: a word between them
    assert facts("a 600m tower") == facts("600")  # metres as often as millions: only "$600m" is an amount
    assert facts("version 1.2.10") == facts("1210") and facts("0.125") != facts("125")


def test_a_short_month_name_is_a_month_only_next_to_a_number() -> None:
    assert facts("Jan Novak met the Mar Caribe") == frozenset()  # a name and Spanish "sea"
    assert facts("since Dec. 2") == facts("12月2日") and facts("Sept. 21") == facts("9月21日")
    assert facts("the 3rd of Jan, 1990") == facts("January 3, 1990")


@pytest.mark.parametrize(
    ("item", "candidate", "expected"),
    [
        ("born in 1958", "born in 1962", True),  # a different fact in its place
        ("born in March 1958", "born in June 1958", True),  # same year, other month
        ("born in 1958", "born in 1958", False),
        ("born in 1958", "she was born", False),  # states nothing: partial leak, not a conflict
        ("born in 1958", "born in 1958, moved in 1970", False),  # adds a fact, keeps the item's
        ("she was born", "born in 1962", False),  # the item states no number
        ("born on 3/29/1982, card 4929 1837", "born on March 29, 1982", False),  # the same date, in words
        ("born on 3/29/1982, card 4929 1837", "born on March 30, 1982", True),
        ("born on 3/29/1982, card 4929 1837", "born on April 29, 1982", True),
        ("date of birth 2 July 1979, card 4929 1837", "born 02/07/1979", False),
        ("born 3/2/1954", "born on March 3, 1954", True),  # the day is the month's number: still another day
        ("born 5/5/1937", "born on May 6, 1937", True),
        ("born on the 25th of February in the year 1958", "born 2/25/1958", False),
        ("born on 3/29/1982", "born in 1982", False),  # states part of the date: a partial leak
        # another language's dates: its month names inside a whole date, and the CJK year-month-day
        ("born on 5/4/1945", "wurde am 4. Mai 1945 geboren", False),
        ("born on 5/4/1945", "wurde am 5. Mai 1945 geboren", True),  # the day is the month's number
        ("born on 5/4/1945", "nació el 5 de mayo de 1945", True),
        ("born on 9/16/1994", "nació el 16 de septiembre de 1994", False),
        ("born on 9/16/1994", "né le 17 septembre 1994", True),
        ("born on 5/4/1945", "родился 5 мая 1945 года", True),
        ("born on 5/4/1945", "urodził się 4 maja 1945", False),
        ("born on 5/4/1945", "5 MAYIS 1945 doğdu", True),  # Turkish, upper-cased: "I" is no dotless "ı"
        ("born on 5/4/1945", "1945年5月4日に生まれた", False),
        ("born on 5/4/1945", "出生于1945年5月5日", True),
        ("born on 5/4/1945", "1945년 5월 5일", True),
        ("in 2020 and 1999", "Mars 2020 and 1999", False),  # "mars" is a month only inside a whole date
    ],
)
def test_conflicts(item: str, candidate: str, expected: bool) -> None:
    assert conflicts(facts(item), facts(candidate)) is expected


def test_adjusted_only_ever_lowers_the_score() -> None:
    assert adjusted(0.9, facts("in 1958"), facts("in 1962")) == pytest.approx(0.9 - CONFLICT_PENALTY)
    assert adjusted(0.9, facts("in 1958"), facts("in 1958")) == 0.9


def _semantic(guard: Guard, text: str) -> float:
    return max(f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.SEMANTIC)


def test_facts_survive_save_load_and_removal(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    items = [Item("a", "content", text="The first item has no numbers."), Item("b", "content", text=BIRTH)]
    build_index(items, fake_embedder).save(tmp_path / "ix")
    index = Index.load(tmp_path / "ix")
    assert index.window_facts[-1] == facts(BIRTH)
    index.remove(["a"])
    assert index.window_facts == [facts(BIRTH)]
    index.save(tmp_path / "ix")
    assert Index.load(tmp_path / "ix").window_facts == [facts(BIRTH)]


def test_an_index_built_under_older_fact_rules_reads_its_facts_again(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    kept = "Published by Whou1985 Press, it won the award in 2001."
    items = [Item("a", "content", text=kept), Item("b", "content", text=BIRTH)]
    index = build_index(items, fake_embedder, keep_text=False)
    index.items[0]["text"] = kept  # one item keeps its text, the other does not
    index.manifest["facts_version"] = 1
    index.items[0]["facts"] = [[123, 456]]  # what version 1 stored is not read
    index.save(tmp_path / "ix")
    loaded = Index.load(tmp_path / "ix")
    assert loaded.manifest["facts_version"] == facts_version
    assert loaded.window_facts == [facts(kept.lower()), frozenset()]  # no text: no fact check (never stale facts)
    loaded.save(tmp_path / "ix")
    assert Index.load(tmp_path / "ix").window_facts == [facts(kept.lower()), frozenset()]


def test_conflicting_window_scores_the_penalty_below_its_cosine(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("b", "content", text=BIRTH)], fake_embedder)
    guard = Guard(index, fake_embedder)
    wrong = "Jane Roe was born on 14 March 1990 in Duluth, Minnesota."
    before = _semantic(guard, wrong)
    index.items[0]["facts"] = [[] for _ in index.items[0]["facts"]]  # an index built before the fact check
    index._derived.clear()  # derived values are rebuilt from the edited items
    assert _semantic(guard, wrong) == pytest.approx(before + CONFLICT_PENALTY, abs=1e-6)


def test_a_date_in_digits_keeps_its_score_against_the_date_written_out(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("b", "content", text="Jane Roe was born on 3/14/1987 in Duluth, Minnesota.")],
                        fake_embedder)
    guard = Guard(index, fake_embedder)
    same, other = (f"Jane Roe was born on 14 March {year} in Duluth, Minnesota." for year in (1987, 1990))
    before = _semantic(guard, same), _semantic(guard, other)
    index.items[0]["facts"] = [[] for _ in index.items[0]["facts"]]  # no fact check
    index._derived.clear()
    assert _semantic(guard, same) == pytest.approx(before[0], abs=1e-6)
    assert _semantic(guard, other) == pytest.approx(before[1] + CONFLICT_PENALTY, abs=1e-6)


@pytest.mark.slow
def test_real_path_blocks_the_fact_and_allows_a_different_one(demo_index: Path) -> None:
    guard = Guard.load(demo_index)
    assert not guard.check("Jane Roe came into the world in Duluth, Minnesota on 14 March 1987.").allowed
    assert guard.check("Jane Roe came into the world in Duluth, Minnesota on 2 June 1990.").allowed


# --- names ------------------------------------------------------------------------------------------------


def test_terms_are_the_names_inside_sentences_and_runs_at_their_start() -> None:
    assert terms("He grew up in Spain and writes Science Fiction.") == {"spain", "science", "fiction"}
    assert terms("Hsiao Yun-Hwa's father. Winning it helped.") == {"hsiao", "yun", "hwa"}  # "Winning": no run
    assert terms("Skillfully weaving Chinese lore, she won.") == {"chinese"}
    assert terms("Maiden name: Stewart.") == {"stewart"}  # after a colon: a value
    assert terms("His Irish roots.") == {"irish"}  # the same name as "Ireland" to the check, not here
    assert terms("She was born in March. I think The end came.") == frozenset()  # months, "I", "The"
    assert terms("CARMEN MONTENEGRO WON THE AWARD") == terms("The Rise Of The Silver Star") == frozenset()
    assert terms("no capitals here at all") == frozenset()


def test_a_sentence_dense_with_names_is_not_title_case() -> None:
    item = "Moshe Ben-David received the prestigious Distinguished Author Award in Islamic Literature."
    assert {"distinguished", "author", "award"} <= terms(item)
    other = "Indeed, Moshe Ben-David has received the Prestigious Literature Laureate for Islamic literature."
    assert names_conflict(terms(item), words(item), other)  # another award: not a leak of this one
    assert not names_conflict(terms(item), words(item), "Moshe Ben-David won the Distinguished Author Award.")
    assert terms("A Tale Of Two Cities And The Sea") == frozenset()  # title words only


@pytest.mark.parametrize(
    ("item", "candidate", "expected"),
    [
        ("A boy from Kuwait grows up in France.", "A Kuwaiti boy's youth in Spain.", True),  # a name in its place
        ("A boy from Kuwait grows up in France.", "A boy grows up in France.", False),  # drops one: partial
        ("A boy from Kuwait grows up in France.", "A boy from Kuwait grows up in France, says Le Monde.", False),
        ("She is a writer from Nigeria.", "The Nigerian writer, per Reuters.", False),  # another form of it
        ("He left Ireland for Paris.", "The Irish-born author moved to Paris, per Reuters.", False),  # its adjective
        ("His Irish roots show.", "His roots in Ireland show, per Reuters.", False),
        # The item's own "French" does not stand for its France: France became Spain.
        ("He blends French literature with a boy living in France.",
         "He blends French literature with a boy living in Spain.", True),
        ("He blends French literature with a boy living in France.",
         "A boy living in France meets French literature.", False),
        ("Her Nigerian novels are set in Nigeria.", "Her Nigerian novels are set in Ghana.", True),
        ("Her novels are set in Nigeria.", "Her Nigerian novels, per Reuters.", False),
        ("Ji-Yeon Park won the Seoul Leadership Award.", "Ji-Yeo Park won the Seol Leadership Award.", False),  # misspelt
        ("She is a writer from Nigeria.", "she is a writer from ghana.", False),  # no case, no names
        ("she is a writer from nigeria.", "She is a writer from Ghana.", False),  # the item names nothing
    ],
)
def test_names_conflict(item: str, candidate: str, expected: bool) -> None:
    assert names_conflict(terms(item), words(item), candidate) is expected


CLINIC = "Jane Roe was treated at Saguaro Valley Clinic for a heart arrhythmia."


@pytest.mark.parametrize(
    ("candidate", "lowered"),
    [
        ("Jane Roe was treated at Mercy Ridge Hospital for a heart arrhythmia.", True),
        ("Jane Roe was treated at Saguaro Valley Clinic for a heart problem.", False),
        ("Jane Roe was treated at Mercy Ridge Hospital in 2019 for a heart arrhythmia.", True),
        ("SmFuZSBSb2Ugd2FzIHRyZWF0ZWQgYXQgTWVyY3kgUmlkZ2UgSG9zcGl0YWwgZm9yIGEgaGVhcnQgYXJyaHl0aG1pYS4=", False),
    ],
)
def test_a_name_in_another_s_place_costs_the_penalty(fake_embedder: FakeEmbedder, candidate: str, lowered: bool) -> None:
    index = build_index([Item("c", "content", text=CLINIC)], fake_embedder)
    on, off = (_semantic(Guard(index, fake_embedder, names=n), candidate) for n in (True, False))
    assert on == pytest.approx(off - CONFLICT_PENALTY if lowered else off, abs=1e-6)


@pytest.mark.parametrize("candidate", [
    "Jane Roe was treated at Saguаro Vаlley Clinic for a heart problem.",  # Cyrillic "а"
    "J4ne R0e was treated at Sagu4ro V4lley Cl1nic for a heart problem.",
    "Jane Roe was treated at ＳＡＧＵＡＲＯ Valley Clinic for a heart problem.",  # fullwidth capitals
])
def test_the_items_names_obfuscated_are_no_other_names(fake_embedder: FakeEmbedder, candidate: str) -> None:
    # names are read from the canonical fold in the writer's case: "V4lley" is Valley, not another name
    index = build_index([Item("c", "content", text=CLINIC)], fake_embedder)
    on, off = (_semantic(Guard(index, fake_embedder, names=n), candidate) for n in (True, False))
    assert on == pytest.approx(off, abs=1e-6)


def test_a_shared_date_keeps_a_names_conflict_from_counting(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("c", "content", text="Jane Roe was treated at Saguaro Valley Clinic in 2019.")],
                        fake_embedder)
    text = "Jane Roe was treated at Mercy Ridge Hospital in 2019."
    assert _semantic(Guard(index, fake_embedder, names=True), text) == _semantic(Guard(index, fake_embedder), text)


def test_no_names_check_without_the_item_text(fake_embedder: FakeEmbedder) -> None:
    index = build_index([Item("c", "content", text=CLINIC)], fake_embedder, keep_text=False)
    assert index.window_names(0) is None
    text = "Jane Roe was treated at Mercy Ridge Hospital for a heart arrhythmia."
    assert _semantic(Guard(index, fake_embedder, names=True), text) == _semantic(Guard(index, fake_embedder), text)
