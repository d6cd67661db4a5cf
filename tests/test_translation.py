"""The translation check: windows in another language, embedded again with USE multilingual v3."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from guard import Guard, Matcher
from guard.calibrate import calibrate
from guard.detectors.translation import as_read, foreign, ordinary_case, readings
from guard.embedding import MULTILINGUAL_EMBEDDER, Embedder, load_embedder
from guard.index import add_items, build_index
from guard.normalize import canonical
from guard.policy import Item
from guard.windows import windows

SECRET = "The launch code for the northern facility is kept in a blue envelope in the director's safe."
RECORD = "Jane Roe was born in Lisbon in 1961 and worked as a marine biologist for thirty years."
GERMAN = "Der Startcode für die nördliche Anlage liegt in einem blauen Umschlag im Safe des Direktors."
SPANISH = "Jane Roe nació en Lisboa en 1961 y trabajó como bióloga marina durante treinta años."
FRENCH = "Le code de lancement de l'installation nord est conservé dans une enveloppe bleue dans le coffre du directeur."
JAPANESE = "北部施設の発射コードは、所長の金庫の青い封筒に保管されている。"
TRADITIONAL = "Jane Roe於1961年出生於里斯本，當了三十年的海洋生物學家。"  # RECORD
BENIGN_GERMAN = "Ich gehe heute Abend mit meinen Freunden ins Kino, und danach essen wir Pizza."


@pytest.mark.parametrize("text", [GERMAN, SPANISH, FRENCH, JAPANESE, "Мы живём в сложном мире.", "Wij leven in een ingewikkelde wereld.",
    "No me puedo mover.",  # "no" and "me" are common in English too: they count for neither
    "我叫Jack。", "Muiriel现在20岁了。",  # a Chinese character weighs more than a Latin letter
    # Everyday words beyond a language's 300 most common: the gate let these through before
    "¿Realmente piensas vencer?", "Dime dónde vives.", "Wir brauchen täglich mindestens acht Stunden Schlaf.",
    "Chacun est-il prêt ?", "Kapıyı kapatır mısın?",
])
def test_text_in_another_language_reads_as_foreign(text: str) -> None:
    assert foreign(text.lower())


@pytest.mark.parametrize("text", [
    SECRET, RECORD, "Tom didn't kill Mary.", "Don't avoid my question.", "Tae-ho Park is male.",
    "Email: mariehamanova@armyspy.com. Phone: +299 84 23 30.",  # "com" is Portuguese, an address is not
    "Jаne Rоe wаs bоrn in Lisbоn.",  # Cyrillic homoglyphs in English words: canonical() folds them anyway
    "1961 - 2024", "", "The word 你好 means hello in Chinese.", "No, me neither.",
    "Ivan M. King was born on September 16, 1994.",  # "m" and "september" are common Dutch words; "M." an initial
    "Tom runs fast.", "Was the door locked?",  # read as Dutch and German by the 300-word lists
    "Phuong Tran was born in Ho Chi Minh City, Vietnam.", "Aleksandra K. Petković was born on 6/8/1994.",
])
def test_english_and_records_do_not(text: str) -> None:
    assert not foreign(text.lower())


@pytest.fixture(scope="module")
def guard() -> Guard:
    embedder = load_embedder()
    index = build_index([Item("secret", "content", text=SECRET), Item("jane", "content", text=RECORD)], embedder)
    return Guard(index, embedder, rerank=False)


@pytest.mark.parametrize(("text", "item"), [(GERMAN, "secret"), (SPANISH, "jane"), (FRENCH, "secret")])
def test_a_translation_of_forbidden_text_is_blocked_and_named(guard: Guard, text: str, item: str) -> None:
    checked = f"Hier ist die Antwort, die Sie wollten. {text}"
    verdict = guard.check(checked)
    assert not verdict.allowed
    hit = verdict.findings[0]
    assert (hit.item_id, hit.matcher) == (item, Matcher.TRANSLATION)
    assert text[:12] in checked[hit.start : hit.end]  # the span points at the translation in the text


def test_a_sentence_in_chinese_or_japanese_is_a_window_of_its_own(guard: Guard) -> None:
    # no space follows 。 and a sentence of characters is no single "word" too short to keep: the Japanese
    # sentence is checked alone, not only inside a window with the German one (USE reads Japanese weakly: the
    # score, not the verdict, is what this shows)
    checked = f"Hier ist die Antwort, die Sie wollten. {JAPANESE}"
    found = [f for f in guard.evidence([checked])[0] if f.matcher is Matcher.TRANSLATION]
    assert any(checked[f.start : f.end] == JAPANESE for f in found)


@pytest.mark.parametrize(("text", "blocked"), [
    ("Jane Roe nació en Lisboa en 1961 y trabajó como bióloga marina durante treinta años.", True),
    ("Jane Roe nació en Lisboa en 1974 y trabajó como bióloga marina durante treinta años.", False),
    ("Jane Roe于1961年出生于里斯本，当了三十年的海洋生物学家。", True),
    ("Jane Roe于1974年出生于里斯本，当了三十年的海洋生物学家。", False),
])
def test_a_translation_stating_another_fact_passes(guard: Guard, text: str, blocked: bool) -> None:
    # the translation check reads numbers as the English one does: another year is another person's record
    found = [f for f in guard.evidence([text])[0] if f.matcher is Matcher.TRANSLATION and f.score >= f.threshold]
    assert bool(found) is blocked


def test_benign_text_in_another_language_passes(guard: Guard) -> None:
    verdict = guard.check(BENIGN_GERMAN)
    assert verdict.allowed, verdict
    assert verdict.near_miss is not None and verdict.near_miss.matcher is Matcher.TRANSLATION


def test_english_text_never_reaches_the_translation_check(guard: Guard) -> None:
    evidence = guard.evidence([SECRET, "The launch code for the north site sits in a blue envelope in the boss's safe."])
    assert all(f.matcher is not Matcher.TRANSLATION for found in evidence for f in found)


def test_without_the_check_a_translation_gets_through(guard: Guard) -> None:
    plain = Guard(guard.index, guard.embedder, rerank=False, translations=False)
    assert plain.translator is None
    assert plain.check(GERMAN).allowed  # the English embedder alone does not read German: the gap it closes


def test_an_index_without_its_texts_has_no_translation_check() -> None:
    embedder = load_embedder()
    index = build_index([Item("secret", "content", text=SECRET)], embedder, keep_text=False)
    assert Guard(index, embedder, rerank=False).translator is None


def test_calibrating_on_english_text_keeps_the_translation_threshold(guard: Guard) -> None:
    index = build_index([Item("secret", "content", text=SECRET)], guard.embedder)
    before = index.thresholds["translation"]
    benign = [f"Plain English sentence number {n} about the weather, trains and gardens." for n in range(120)]
    record = calibrate(Guard(index, guard.embedder, rerank=False), benign, fpr=0.01)
    assert record["thresholds"]["translation"] == before  # English text found nothing for it to learn from
    assert index.thresholds["translation"] == before


class Counting(Embedder):
    """The multilingual embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__(cache_size=0)
        self.inner = load_embedder(MULTILINGUAL_EMBEDDER)
        self.name, self.dim, self.embedded = self.inner.name, self.inner.dim, 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_batch(texts)


def test_chinese_is_read_in_simplified_characters_and_nothing_else_changes() -> None:
    assert as_read(TRADITIONAL) == "Jane Roe于1961年出生于里斯本，当了三十年的海洋生物学家."
    assert as_read("東京に住んでいる。") == "東京に住んでいる."  # kana: Japanese keeps its kanji
    assert as_read("大韓民國 국회") == "大韓民國 국회"  # Hangul: Korean keeps its hanja
    assert as_read(GERMAN) == GERMAN and as_read("") == ""


def test_chinese_and_japanese_punctuation_is_read_as_latin() -> None:
    # the multilingual embedder reads "。" worse than "." (Japanese translations caught more often)
    assert as_read("「こんにちは」、トム。元気？") == '"こんにちは", トム. 元気？'
    assert as_read("他走了。我也走了。") == "他走了. 我也走了."


@pytest.mark.parametrize(("text", "read"), [
    (GERMAN, GERMAN),  # German capitalizes its nouns: read as written too
    ("Der  Startcode liegt im Safe.", "Der Startcode liegt im Safe."),  # whitespace folded, case kept
    ("Dеr Startcode liegt im Sаfe.", "Der Startcode liegt im Safe."),  # homoglyphs folded, case kept
    ("Die Straße ist lang.", "Die Strasse ist lang."),  # "ß" folds to two letters: they stay as folded
    ("DER STARTCODE LIEGT IM SAFE.", "der startcode liegt im safe."),  # ALL CAPS: canonical only
    ("dEr StArTcOdE lIeGt Im SaFe.", "der startcode liegt im safe."),  # a case game: canonical only
    ("Der Startcode Liegt Im Safe.", "der startcode liegt im safe."),  # Title Case: canonical only
    (JAPANESE, JAPANESE),  # no case: the same text twice
])
def test_a_window_is_read_canonical_and_in_the_case_written_when_that_case_is_ordinary(text: str, read: str) -> None:
    view = canonical(text)
    (window,) = windows(view.text)
    assert readings(text, view, window) == (view.text, read)


def test_ordinary_case() -> None:
    assert ordinary_case("Der Hund bellt. Das ist die USA.") and ordinary_case("l'Europe") and ordinary_case("")
    assert not ordinary_case("iPhone") and not ordinary_case("HUND UND KATZE") and not ordinary_case("HuNd")
    assert ordinary_case("トムはMaryに会った。")  # kana between words: "M" starts a word
    assert ordinary_case("Tom liebt Mary.") and not ordinary_case("Der Startcode Liegt Im Safe.")  # Title Case


def test_a_translation_read_in_the_case_written_scores_at_least_as_high_as_in_a_case_game(guard: Guard) -> None:
    def score(text: str) -> float:
        found = [f for f in guard.evidence([text])[0] if f.matcher is Matcher.TRANSLATION]
        return max(f.score for f in found)

    written, game = score(GERMAN), score("".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(GERMAN)))
    assert game == pytest.approx(score(GERMAN.lower()), abs=1e-5)  # a case game reads as the canonical text
    assert written > game  # USE reads German nouns better capitalized


def test_a_translation_in_traditional_chinese_is_blocked(guard: Guard) -> None:
    hit = guard.check(TRADITIONAL).findings[0]  # read as written, it scores under the threshold (0.70)
    assert (hit.item_id, hit.matcher) == ("jane", Matcher.TRANSLATION)


def test_the_translation_vectors_are_built_with_the_index_kept_on_disk_and_updated_by_takedowns(tmp_path: Path) -> None:
    embedder, counting = load_embedder(), Counting()
    build_index([Item("secret", "content", text=SECRET)], embedder, translator=counting).save(tmp_path / "ix")
    built = counting.embedded
    assert built > 0
    guard = Guard.load(tmp_path / "ix", rerank=False, translations=counting)
    assert guard.index.arrays["translated"].shape == (len(guard.index.arrays["vectors"]), counting.dim)
    assert not guard.check(GERMAN).allowed
    assert counting.embedded == built + 2  # the German window, canonical and as written: the index side came from disk

    add_items(guard.index, [Item("jane", "content", text=RECORD)], embedder, translator=counting)
    guard.index.remove(["secret"])
    guard.index.save(tmp_path / "ix")
    again = Guard.load(tmp_path / "ix", rerank=False, translations=counting)
    fresh = build_index([Item("jane", "content", text=RECORD)], embedder, translator=load_embedder(MULTILINGUAL_EMBEDDER))
    assert np.allclose(again.index.arrays["translated"], fresh.arrays["translated"], atol=1e-6)
    assert again.check(SPANISH).findings[0].item_id == "jane"
    assert again.check(GERMAN).allowed  # taken down


def test_items_added_without_the_translator_drop_the_kept_vectors_until_next_needed() -> None:
    embedder = load_embedder()
    index = build_index([Item("secret", "content", text=SECRET)], embedder, translator=load_embedder(MULTILINGUAL_EMBEDDER))
    add_items(index, [Item("jane", "content", text=RECORD)], embedder)
    assert "translated" not in index.arrays and "translations" not in index.manifest
    assert Guard(index, embedder, rerank=False).check(SPANISH).findings[0].item_id == "jane"  # embedded again
    assert index.arrays["translated"].shape[0] == len(index.arrays["vectors"])


def test_kept_vectors_made_another_way_are_embedded_again() -> None:
    embedder, counting = load_embedder(), Counting()
    index = build_index([Item("secret", "content", text=SECRET)], embedder, translator=counting)
    assert index.keeps_translated(counting)
    index.manifest["translations"]["text"] = "canonical"  # an index from before the vectors were a mean
    assert not index.keeps_translated(counting)
    before = counting.embedded
    assert not Guard(index, embedder, rerank=False, translations=counting).check(GERMAN).allowed
    assert counting.embedded > before + 1  # the index side again, then the German window
