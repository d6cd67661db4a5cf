"""Fact agreement: a candidate window that states a *different* number, date or name than the item is not a leak.

Embedding cosine cannot tell "born on February 25, 1958" from "born on March 10, 1962": the sentences
share their shape, and the facts are a few tokens. This second stage looks at those tokens. From each
content window (at build time) and each candidate window (at check time) it takes the *facts*: numbers,
read as their values in either convention ("1,958", "01958" and "1 958" are 1958, "6.1" and "6,1" are 6.1),
with the scale words after them in the languages the translation check reads ("$2 billion", "2.000
millones de dólares", "20億ドル" and "2,000,000,000" are one number), and months, read as their numbers,
so that a date in digits states what the same date written out does ("03/06/1985", "1985-03-06" and "6
March 1985" all state 3, 6 and 1985, and a whole date is one more fact, its year with its day and month in
either order, so "March 3, 1954" is not "3/2/1954"; the order is not read, so "3 June 1985" is no conflict
with 03/06/1985: the check only ever misses a conflict that way, it never makes one). A
pair of windows *conflicts* when the candidate states a fact the item window does not, and the item
window states one the candidate does not: both name a date, and not the same one. A conflicting pair's
semantic score is its cosine less `CONFLICT_PENALTY`.

A number written inside a word is part of a name, not a number: an identifier ("Whou1985", "B2B", "R2-D2")
is one fact, the whole word, so "Whou1985" and "born in 1985" share nothing; a number after "#" belongs
to the title before it ("Dante's Amulet (Coriola, #2)": a series number) and is no fact. Facts are
stored in the index: `VERSION` names these rules, and an index built under other rules reads its facts
again from the item text it keeps (`guard.index.Index.load`).

A candidate in another language (`guard.detectors.translation`) gets the same check: digits are digits, a
number set against a Chinese, Japanese or Korean character is a number ("1987年3月14日" states 1987, 3 and
14, and is a whole date), and a day, month name and year in German, Spanish, French, Italian, Dutch,
Polish, Portuguese, Russian or Turkish ("5. Mai 1945", "5 de mayo de 1945") is a whole date. A month name of
those languages alone is not read ("Mars 2020"); a number written in words in any language is not either, nor
are a short month name without a number next to it ("Jan Novak", "Mar Caribe"), a fraction ("1 1/2") or a
time of day ("2:30 p.m." is 2 and 30, "14:30" 14 and 30). `python -m benchmarks facts` counts how often a text
and its translation are read as conflicting.

A candidate that states no number at all is left alone (it may be a partial leak, or a paraphrase that
writes "two" for "2"); so is one that adds a number to all of the item's (a longer answer). The score only
ever goes down, so thresholds calibrated on cosine still bound the false-block rate.

Names get the same check (`terms`): the proper nouns of a window, words capitalized inside a sentence
("living in Spain", "the Science Fiction genre") and at its start when the next word is capitalized too
("Hsiao Yun-Hwa was", not "Winning the"). A pair conflicts on names when the item window names
something the candidate never mentions *and* the candidate names something the whole item never
mentions, in any case or position ("France" became "Spain"; "Contemporary Romance" became "Science
Fiction"); a word that differs only in its last letters ("Nigeria", "Nigerian"), a country adjective
("Irish", "Ireland") or a misspelling ("Seoul", "Seol") counts as the same name, unless the item uses that
word itself: then it stands only for itself ("French literature ... in France" against "French literature
... in Spain" is a conflict, not an echo of France). Dropping a name is not a conflict (a partial leak),
nor is adding one (context), and a candidate that states one of the item window's numbers or dates has no names
conflict with it ("treated at another clinic in 2019" still says when). Text in title case or ALL CAPS
(most words capitalized, and no lower-case word but those titles leave lower-case: "of", "the") has no
names: case says nothing there; a sentence dense with names still has lower-case words of its own.
Names need the window's original text: they are read from the item text an index keeps, and are skipped
for items indexed without it and for decoded views of a candidate.

Tuned on TOFU ``tofu__retain_perturbed.json`` (other authors than the forget10 set it is measured on);
see ``python -m benchmarks quality``. Two rules of the names check (a sentence's first word needs a
capitalized word after it; the country adjectives in `_SAME`) came from reading forget10 paraphrases it
wrongly doubted. On TOFU the names check leaves the figures about where they were; it is for records:
other people's profiles, falsely blocked a fifth less often (``python -m benchmarks attacks``).

Example:
    >>> conflicts(facts("born on 25 February 1958"), facts("entered the world on March 10, 1962"))
    True
    >>> conflicts(facts("born on 25 February 1958"), facts("his birthday: February 25th, 1958"))
    False
    >>> conflicts(facts("date of birth: 2/25/1958"), facts("his birthday: February 25th, 1958"))
    False
    >>> item = "He writes about a boy from Kuwait who grows up in France."
    >>> names_conflict(terms(item), words(item), "A Kuwaiti boy's youth in Spain is his subject.")
    True
    >>> names_conflict(terms(item), words(item), "His novels follow a Kuwait-born boy raised in France.")
    False
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib
from collections.abc import Iterable
from decimal import Decimal

from guard.detectors.names import zipf
from guard.windows import CJK_LETTER

VERSION = 5  # of what `facts` reads; stored in every index manifest (1: every digit run was a number; 2: no numeric
# dates; 3: a Chinese or Japanese character before a number made it an identifier, no dates in other languages;
# 4: a number's digits were its fact, "2,100" was not "2 100" nor "2.5 million" "2,500,000", "Mar" was March)
CONFLICT_PENALTY = 0.25  # below the default semantic threshold for any cosine under ~1.0

# A number: digits with "." or "," between groups, or a space before a group of three ("93 000": French,
# Russian and Polish write thousands so). `_amount` reads its value and any scale after it (`_SCALES`).
_SPACES = " \u00a0\u2009\u202f"  # a space, no-break and thin ones
_NUMBER = re.compile(rf"\d+(?:[.,]\d+|[{_SPACES}]\d{{3}}(?!\d))*")
_SPACE = re.compile(f"[{_SPACES}]")
# Words that multiply the number before them, in English and the languages the translation check reads: "$2
# billion", "2.000 millones" and "20億" are one amount. A run of them multiplies ("mil millones", "3千万").
# German "Billion(en)" and Polish "bilion" are 10^12, as "trillion" is; French "billion" (also 10^12) is left
# to read as the English word.
_SCALES = {  # a word ending in "*" stands for every ending (Russian and Polish decline them: "миллионам")
    3: "thousand thousands tausend mille mil mila duizend tysi* тысяч* тыс",
    6: "million millions mio millionen millón millon millones milione milioni miljoen miljoenen milion* milhão"
       " milhões milhao milhoes миллион* млн milyon mln",
    9: "billion billions bn milliarde milliarden mrd milliard milliards miliardo miliardi miljard miljarden"
       " miliard* bilhão bilhões bilhao bilhoes миллиард* млрд milyar",
    12: "trillion trillions billionen bilion biliony bilionów триллион*",
}
# After a currency sign, a letter: "$356M", "£600m", "$55B" ("600m" alone is as often metres).
_CURRENCY_SCALE = re.compile(r"(m|b|k)\b", re.I)
_CURRENCY_POWERS = {"m": 6, "b": 9, "k": 3}
_CJK_SCALES = {"百": 2, "千": 3, "万": 4, "萬": 4, "億": 8, "亿": 8}
_CJK_SCALE = re.compile(r"\s*多?([百千万萬億亿]+)")  # "500多万": more than 5 million
_LETTERS = re.compile(r"[^\W\d_]+")
_CALENDAR = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")  # fmt: skip  (not `calendar.month_name`: it follows the locale)
_MONTH_NUMBER = {m[:3]: n for n, m in enumerate(_CALENDAR, 1)}  # "mar": 3
# "may" is left out: as a verb it is far more common than the month (`_SHORT_MONTH` reads it next to a number)
_MONTHS = tuple(m for m in _CALENDAR if m != "may")
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b", re.I)
# Short forms, like "may", are read only next to a number ("Mar 3", "Sept. 21", "3rd of Jan"): "mar" is a verb and
# Spanish for "sea", "Jan" a first name.
_SHORT = "|".join(sorted({"may", "sept", *(m[:3] for m in _MONTHS)}, key=len, reverse=True))
_SHORT_MONTH = re.compile(rf"\b({_SHORT})(?=\.?\s+\d)|(?<=\d)(?:st|nd|rd|th)?\s+(?:of\s+)?({_SHORT})\b", re.I)
_ANY_MONTH = r"(" + "|".join(sorted({*_MONTHS, *_SHORT.split("|")}, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r",?\s+(?:in\s+(?:the\s+year\s+)?)?(0?\d{4}|\d,\d{3})\b"  # read as numbers are: "01958", "1,958"
# A whole date written with its month's name: "March 6, 1985" or "6 March 1985", "the 6th of March, 1985".
_WRITTEN_DATE = re.compile(rf"\b{_ANY_MONTH}\s+{_DAY}{_YEAR}|\b{_DAY}\s+(?:of\s+)?{_ANY_MONTH}{_YEAR}", re.I)
# Whole dates in the other languages the translation check reads (`guard.detectors.translation`), day first:
# "5. März 1945", "5 de mayo de 1945", "1er mai 1945", "5 мая 1945". Their month names are read only inside
# such a date: "mars", "mart" and "mai" are words of English text too. Polish and Russian months are in the
# genitive a date uses; the canonical view's forms (`guard.normalize.canonical` folds Cyrillic letters that
# look Latin: "мaя") are added on first use.
_FOREIGN_MONTHS = {
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "tr": "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık",
}
# Chinese, Japanese and Korean dates: "1945年5月5日", "1945년 5월 5일" (year, month, day).
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})")
# A date in digits: three numbers joined by one of "/", "." or "-" ("03/06/1985", "1985-03-06"); `_date_facts`
# says which are dates.
_NUMERIC_DATE = re.compile(r"(?<![\w.,/-])(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?![\w/-]|[.,]\d)")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s$")
_OPENERS = " \t\n\"'“‘([{*-–—"  # skipped when looking for what precedes a word
# Months and weekdays are dates (numbers' kind), "I" is a pronoun; words as common as "the" are not names.
_NOT_NAMES = frozenset((*_MONTHS, "may", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                        "sunday", "i"))
# Adjectives that share fewer letters with their country than `_mentioned` asks ("Irish", "Ireland").
_SAME = {"irish": "ireland", "danish": "denmark", "french": "france", "spanish": "spain", "dutch": "netherlands",
         "swiss": "switzerland", "british": "britain", "welsh": "wales", "scottish": "scotland",
         "english": "england", "polish": "poland", "finnish": "finland", "filipino": "philippines"}
# Words a title leaves lower-case ("The Lord of the Rings", "Wind in the Willows").
_TITLE_LOWER = frozenset("a an and as at but by for from in into nor of on or over the to upon via vs with".split())
COMMON_ZIPF = 6.0  # "The", "In", "And": capitalized in titles, never names
MIN_STEM = 4  # letters two forms of a name share at least ("Drama", "dramas")


def facts(text: str) -> frozenset[int]:
    """The facts stated in ``text``, as stable 32-bit hashes (numbers, identifiers and months as numbers)."""
    found: list[str] = []
    dates = []  # spans of numeric dates, whose numbers are read with them
    for m in _NUMERIC_DATE.finditer(text):
        if read := _date_facts(m):
            found += read
            dates.append((m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if any(start <= m.start() < end for start, end in dates):
            continue
        before = text[m.start() - 1] if m.start() else ""
        if before == "#":  # a series or issue number belongs to its title
            continue
        if before.isalpha() and not CJK_LETTER.match(before):  # letters then digits: an identifier, the whole word one fact
            start, end = m.start(), m.end()  # ("whou1985", "r2-d2")
            while start and _in_word(text[start - 1]):
                start -= 1
            while end < len(text) and _in_word(text[end]):
                end += 1
            found.append("id:" + text[start:end].strip("-_").lower())
        else:
            found += _amount(text, m)
    months = [*_MONTH.finditer(text), *_SHORT_MONTH.finditer(text)]  # a month is its number: "6 March" is 3/6
    found += [_number(str(_MONTH_NUMBER[m.group(m.lastindex or 0).lower()[:3]])) for m in months]
    for m in _WRITTEN_DATE.finditer(text) if months else ():  # "March 6, 1985", "the 6th of March in the year 1985"
        month, day, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(4), m.group(6))
        found.append(_whole_date(str(_MONTH_NUMBER[month.lower()[:3]]), day, year))
    if len(found) - len(months) >= 2:  # a day and a year at least: a date in another language?
        found += _foreign_dates(text)
    return frozenset(_hash(f) for f in found if f)


def _in_word(c: str) -> bool:
    """Whether ``c`` continues an identifier: a letter, digit, "-" or "_", but not a Chinese, Japanese or Korean
    letter (`guard.windows.CJK_LETTER`: those scripts set numbers against their words, so "1987年3月14日" is a
    date, three numbers, and "1994년" a year)."""
    return (c.isalnum() and not CJK_LETTER.match(c)) or c in "-_"


def conflicts(item: frozenset[int], candidate: frozenset[int]) -> bool:
    """True when each side states a fact the other does not (see the module docstring)."""
    return bool(item - candidate) and bool(candidate - item)


Names = tuple[frozenset[str], frozenset[str]]  # a text's names (`terms`) and every word in it (`words`)


def adjusted(cosine: float, item: frozenset[int], candidate: frozenset[int],
             item_names: Names | None = None, candidate_names: Names | None = None) -> float:
    """The semantic score of a window pair: ``cosine``, less `CONFLICT_PENALTY` when their facts conflict,
    or, given both sides' names (the item's words: its whole text's) and no number or date shared, their
    names do."""
    if conflicts(item, candidate):
        return cosine - CONFLICT_PENALTY
    if item_names is None or candidate_names is None or item & candidate:  # a shared date still leaks
        return cosine
    return cosine - CONFLICT_PENALTY if _names_conflict(item_names, candidate_names) else cosine


def named(text: str) -> Names:
    """``(terms(text), words(text))``: what the names check reads of one side."""
    return terms(text), words(text)


def terms(text: str) -> frozenset[str]:
    """The names in ``text``, lower-cased, possessive dropped (see the module docstring)."""
    found = list(_WORD.finditer(text))
    capitalized = [m for m in found if m.group()[0].isupper()]
    if not found or _title_case(found, capitalized):  # case says nothing
        return frozenset()
    out: set[str] = set()
    starts_run = {a.start() for a, b in zip(found, found[1:])
                  if b.group()[0].isupper() and not text[a.end() : b.start()].strip()}
    for m in capitalized:
        before = text[: m.start()].rstrip(_OPENERS)
        # A sentence's first word is a name only when a capitalized word follows ("Hina Ameen was", not
        # "Skillfully weaving"); after a colon comes a value ("Maiden name: Stewart").
        if (not before or before[-1] in ".!?") and m.start() not in starts_run:
            continue
        for part in _POSSESSIVE.sub("", m.group()).split("-"):  # "Al-Kuwaiti", "Kuwait-born"
            word = part.lower().strip("'’")
            if part[:1].isupper() and len(word) > 1 and word not in _NOT_NAMES and zipf(word) < COMMON_ZIPF:
                out.add(word)
    return frozenset(out)


def _title_case(found: list[re.Match[str]], capitalized: list[re.Match[str]]) -> bool:
    """Title case or ALL CAPS: most words capitalized and every lower-case one a word titles leave lower-case.
    A sentence dense with names still has lower-case words of its own ("Moshe Ben-David received the
    prestigious Distinguished Author Award in Islamic Literature.")."""
    return 2 * len(capitalized) > len(found) + 2 and all(
        m.group()[0].isupper() or m.group().lower() in _TITLE_LOWER for m in found)


def words(text: str) -> frozenset[str]:
    """Every word of ``text`` and each part of a hyphenated one, lower-cased, possessive dropped: where a name
    is looked up."""
    out: set[str] = set()
    for m in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", m.group()).lower().strip("'’-")
        out.update((word, *word.split("-")))
    return frozenset(out)


def names_conflict(item_terms: frozenset[str], item_words: frozenset[str], candidate: str) -> bool:
    """True when the item window names something ``candidate`` never mentions and ``candidate`` names
    something the item never mentions (``item_words``: every word of the whole item)."""
    return _names_conflict((item_terms, item_words), named(candidate))


def _names_conflict(item: Names, candidate: Names) -> bool:
    (item_terms, item_words), (candidate_terms, said) = item, candidate
    return (bool(item_terms) and any(not _mentioned(n, item_words) for n in candidate_terms)
            and any(not _mentioned(n, said, item_words) for n in item_terms))


def _mentioned(name: str, said: frozenset[str], own: frozenset[str] = frozenset()) -> bool:
    """``name`` is in ``said``, or a word that stands for it: its country adjective (`_SAME`), a word sharing
    all but its last letters with it ("Nigeria", "Nigerian"; "Biology", "biologist") or a misspelling of it
    (one edit, two for names of 7 letters or more: "Seoul", "Seol"), so a misspelled name does not read as
    another name. A word that is in ``own`` too (the words of the text ``name`` comes from) stands only for
    itself: an item that says "French literature ... in France" is not echoed on France by a candidate's
    "French literature ... in Spain"."""
    if name in said:
        return True
    country = _SAME.get(name)  # "irish" -> "ireland"; None for a name that is no country adjective
    return any(w == country or _SAME.get(w) == name
               or _shared(name, w) >= max(MIN_STEM, min(len(name), len(w)) - 2)
               or _within(name, w, 1 if min(len(name), len(w)) < 7 else 2) for w in said if w not in own)


def _within(a: str, b: str, k: int) -> bool:
    """Levenshtein distance of ``a`` and ``b`` at most ``k`` (words of three letters or more)."""
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > k:
        return False
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
        if min(row) > k:
            return False
    return row[-1] <= k


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def encode(windows: Iterable[frozenset[int]]) -> list[list[int]]:
    """Per-window fact hashes as JSON-ready sorted lists (stored in ``items.json``)."""
    return [sorted(f) for f in windows]


def _date_facts(m: re.Match[str]) -> list[str]:
    """A numeric date's facts: its three numbers, read as numbers like a month name is (03/06/1985 states 3, 6
    and 1985, as "6 March 1985" does, and as "3 June 1985" does: the order is not read), and the whole date
    (`_whole_date`). A two-digit year ("3/6/85", with "/" only) is read as 19xx from 69, else 20xx (as POSIX
    ``strptime`` reads ``%y``). Nothing when no reading is a date ("13/13/2020", a version "1.2.10")."""
    first, sep, middle, last = m.groups()
    if len(first) == 4 and len(last) <= 2:  # year first: y-m-d
        year, (a, b), readings = first, (middle, last), 1
    elif len(first) <= 2 and (len(last) == 4 or (len(last) == 2 and sep == "/")):
        year, (a, b), readings = last, (first, middle), 2  # m/d/y and d/m/y
    else:
        return []
    pairs = [(int(a), int(b)), (int(b), int(a))][:readings]
    if not any(1 <= month <= 12 and 1 <= day <= 31 for month, day in pairs):
        return []
    if len(year) == 2:
        year = ("19" if int(year) >= 69 else "20") + year
    return [_number(a), _number(b), _number(year), _whole_date(a, b, year)]


def _foreign_dates(text: str) -> list[str]:
    """The month numbers and whole dates of the dates ``text`` writes in another language (`_FOREIGN_MONTHS`,
    `_CJK_DATE`)."""
    found = []
    numbers, written = _foreign_months()
    for m in written.finditer(text):
        if (number := numbers.get(m.group(2).lower())) is None:  # matched in a case whose lower case differs
            continue
        found += [_number(str(number)), _whole_date(str(number), m.group(1), m.group(3))]
    for m in _CJK_DATE.finditer(text):
        found.append(_whole_date(m.group(2), m.group(3), m.group(1)))
    return found


@functools.lru_cache(maxsize=1)
def _foreign_months() -> tuple[dict[str, int], re.Pattern[str]]:
    """Each month name of `_FOREIGN_MONTHS` (and its canonical form) with its number, and the pattern of a
    whole date written with one, day first."""
    numbers = _with_canonical((name, n) for names in _FOREIGN_MONTHS.values() for n, name in enumerate(names.split(), 1))
    names = "|".join(sorted(numbers, key=len, reverse=True))
    return numbers, re.compile(rf"\b(\d{{1,2}})(?:\.|er|º)?\s+(?:de\s+)?({names})\s+(?:de\s+)?(\d{{4}})\b", re.I)


def _whole_date(a: str, b: str, year: str) -> str:
    """One fact for a whole date: its year and its day and month in either order, so a changed day is a changed
    fact even where the day is a number the date states anyway ("3/2/1954" and "March 3, 1954" both state 3)."""
    x, y = sorted((int(a), int(b)))
    return f"date:{_number(year)[1:]}:{x}-{y}"


def _amount(text: str, m: re.Match[str]) -> list[str]:
    """The facts of the number ``m`` of ``text``: its value, times any scale words after it ("2.5 million" and
    "2,500,000" are one fact; "6億5,900万" states 659,000,000 and its parts). Digits grouped by spaces are one
    number where they group thousands (`_thousands`), else each group is one ("+354 413 4270" states 354, 413
    and 4270, as "354-413-4270" does)."""
    value = _value(m.group())
    if value is not None and (cjk := _CJK_SCALE.match(text, m.end())):  # 万, 億: the parts that follow add up
        total = value.scaleb(_cjk_power(cjk.group(1)))
        found = [_format(total)]
        while (part := _NUMBER.match(text, cjk.end())) and (more := _value(part.group())) is not None:
            cjk = _CJK_SCALE.match(text, part.end())
            total += more.scaleb(_cjk_power(cjk.group(1)) if cjk else 0)
            found.append(_format(total))
            if not cjk:
                break
        return found
    if value is not None and (words := _scale_words().match(text, m.end())):
        return [_format(value.scaleb(sum(_scale_power(w) for w in _LETTERS.findall(words.group(1)))))]
    if value is not None and m.start() and text[m.start() - 1] in "$£€¥" and (
            letter := _CURRENCY_SCALE.match(text, m.end())):
        return [_format(value.scaleb(_CURRENCY_POWERS[letter.group(1).lower()]))]
    if _SPACE.search(m.group()) and not _thousands(text, m):
        return [_number(part) for part in _SPACE.split(m.group())]
    return [_format(value) if value is not None else _number(m.group())]


def _thousands(text: str, m: re.Match[str]) -> bool:
    """Whether the spaces of the number ``m`` group thousands ("2 100 combattants"), not the digits of a phone
    number ("+354 413 4270", "555 123 4567"): nothing but a word or a sign before it, no digit group after it."""
    before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 2]
    return not (re.search(rf"[\d+][{_SPACES}]?$", before) or re.match(rf"[-./{_SPACES}]?\d", after))


def _cjk_power(scales: str) -> int:
    return sum(_CJK_SCALES[c] for c in scales)  # "千万" is 10^7


@functools.lru_cache(maxsize=1)
def _scale_powers() -> dict[str, int]:
    """Each scale word of `_SCALES` (and its canonical form) with its power of ten; a stem keeps its "*"."""
    return _with_canonical((name, power) for power, names in _SCALES.items() for name in names.split())


def _with_canonical(words: Iterable[tuple[str, int]]) -> dict[str, int]:
    """``words`` as a table, each also under its canonical form (`guard.normalize.canonical` folds a Cyrillic
    letter that looks Latin in a Latin sentence: "мaя"), the text the facts are read from."""
    from guard.normalize import canonical

    table = {}
    for word, n in words:
        table[word] = table[canonical(word).text] = n
    return table


def _scale_power(word: str) -> int:
    powers, word = _scale_powers(), word.lower()
    if word in powers:
        return powers[word]
    return next((p for name, p in powers.items() if name.endswith("*") and word.startswith(name[:-1])), 0)


@functools.lru_cache(maxsize=1)
def _scale_words() -> re.Pattern[str]:
    """The scale words right after a number: "2 million", "$70-million", "$55bn", "2.000 mil millones"."""
    names = "|".join(re.escape(n[:-1]) + r"\w*" if n.endswith("*") else re.escape(n)
                     for n in sorted(_scale_powers(), key=len, reverse=True))
    return re.compile(rf"[\s-]*((?:(?:{names})\.?\s+)*(?:{names})\b)", re.I)


def _value(token: str) -> Decimal | None:
    """A number's value, reading "." and "," as a reader of either convention would: a separator before a group
    of three digits groups thousands ("93,000", "2.000 millones"), unless it follows a lone 0 ("0.125"); else it is
    the decimal point ("6.1", "6,1"); of two kinds, the last is the decimal point ("8,983.80", "8.983,80"). None
    when no reading fits (a version "1.2.10")."""
    digits = _SPACE.sub("", _ascii(token))
    seps = [c for c in digits if c in ".,"]
    groups = re.split(r"[.,]", digits)
    if not seps:
        return Decimal(digits)
    if len(set(seps)) == 2:  # thousands then a decimal point
        if seps[-1] in seps[:-1] or any(len(g) != 3 for g in groups[1:-1]):
            return None
        return Decimal("".join(groups[:-1]) + "." + groups[-1])
    if all(len(g) == 3 for g in groups[1:]) and (len(seps) > 1 or groups[0] != "0"):
        return Decimal("".join(groups))
    if len(seps) == 1:
        return Decimal(groups[0] + "." + groups[1])
    return None


def _number(token: str) -> str:
    """The fact of a number: its value (`_value`), or its digits when it has none ("1.2.10" is "#1210")."""
    if (value := _value(token)) is not None:
        return _format(value)
    digits = re.sub(r"[.,\s]", "", _ascii(token))
    return "#" + (digits.lstrip("0") or "0")


def _format(value: Decimal) -> str:
    return "#" + format(value.normalize(), "f")


def _ascii(token: str) -> str:
    """``token`` with its digits in ASCII ("١٦٣٦" is 1636)."""
    if token.isascii():
        return token
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in token)


def _hash(fact: str) -> int:
    return zlib.crc32(fact.encode("utf-8"))
