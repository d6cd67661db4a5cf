"""The verbatim layer's frame rule: a short run copied out of a sentence that states other names or facts."""

from __future__ import annotations

import base64

from guard import Guard, Item, Matcher
from guard.embedding import DEFAULT_MODEL_NAME
from guard.index import build_index

from .conftest import FakeEmbedder

NAME = "The author's full name is Hsiao Yun-Hwa."
AWARD = ('Nikolai Abilov has been honored with the prestigious "Tolstoy Literary Award" for his significant '
         "contribution to African American literature.")
RECORD = "Jane Roe was born on 12 March 1961 in Springfield."
TITLE = "Her favourite book is 'Reading Like a Writer: A Guide for People Who Love Books and for Those Who Want to Write Them'."


def _verbatim(fake_embedder: FakeEmbedder, item: str, text: str, *, frames: bool = True) -> float:
    """The verbatim layer's score for the one item against ``text`` (0 when it finds nothing)."""
    guard = Guard(build_index([Item("x", "content", text=item)], fake_embedder), fake_embedder, frames=frames,
                  rerank=False, perturbed=False)
    return max((f.score for f in guard.evidence([text])[0] if f.matcher is Matcher.VERBATIM), default=0.0)


def test_another_authors_record_in_the_same_frame_does_not_count(fake_embedder: FakeEmbedder) -> None:
    text = "The author's full name is Brenda Lai."
    assert _verbatim(fake_embedder, NAME, text, frames=False) >= 0.6  # the frame is 20 of the item's 31 characters
    assert _verbatim(fake_embedder, NAME, text) == 0.0


def test_runs_of_a_longer_item_in_another_sentence_frame_do_not_count(fake_embedder: FakeEmbedder) -> None:
    text = ("Yes, Nguyen Thanh Phong has been honored with the prestigious Fiction Writers' Mastery Award for his "
            "significant contributions to writing and education.")
    assert _verbatim(fake_embedder, AWARD, text, frames=False) >= 0.6
    assert _verbatim(fake_embedder, AWARD, text) == 0.0


def test_the_item_copied_or_its_names_kept_still_counts(fake_embedder: FakeEmbedder) -> None:
    assert _verbatim(fake_embedder, NAME, "The author's full name is Hsiao Yun-Hwa, born in Taipei.") == 1.0
    # the frame and part of the name: the sentence names nothing the item does not
    assert _verbatim(fake_embedder, NAME, "The author's full name is Hsiao.") >= 0.8
    # a frame that names the item's subject elsewhere in the sentence is no other record
    assert _verbatim(fake_embedder, AWARD, "Nikolai Abilov has been honored with the prestigious prize.") >= 0.3


def test_a_run_holding_one_of_the_items_dates_counts(fake_embedder: FakeEmbedder) -> None:
    text = "John Smith was born on 12 March 1961 in Shelbyville."
    assert _verbatim(fake_embedder, RECORD, text) > 0.0
    assert _verbatim(fake_embedder, RECORD, text) == _verbatim(fake_embedder, RECORD, text, frames=False)


def test_a_long_run_is_a_passage_whatever_surrounds_it(fake_embedder: FakeEmbedder) -> None:
    text = ("Tom Baker's favourite book is 'Reading Like a Writer: A Guide for People Who Love Books and for Those "
            "Who Want to Write Them'.")
    assert _verbatim(fake_embedder, TITLE, text) == _verbatim(fake_embedder, TITLE, text, frames=False) >= 0.7


def test_a_decoded_view_has_no_case_to_read_names_from(fake_embedder: FakeEmbedder) -> None:
    encoded = base64.b64encode(b"The author's full name is Brenda Lai.").decode()
    assert _verbatim(fake_embedder, NAME, encoded) >= 0.6


def test_the_items_name_in_leetspeak_or_homoglyphs_is_no_other_name(fake_embedder: FakeEmbedder) -> None:
    for text in ("The author's full name is Hs14o Yun-Hw4.", "The author's full name is Hsiаo Yun-Hwа."):  # Cyrillic а
        assert _verbatim(fake_embedder, NAME, text) == _verbatim(fake_embedder, NAME, text, frames=False) >= 0.9


def test_a_run_holding_the_items_rare_name_is_no_frame(fake_embedder: FakeEmbedder) -> None:
    item = "Kalkidan Abera primarily writes in the genre of Health."
    text = "Kalkidan Abera primarily writes in the genre of Wellness."  # a word substituted, a names conflict
    assert _verbatim(fake_embedder, item, text) == _verbatim(fake_embedder, item, text, frames=False) >= 0.7
    assert _verbatim(fake_embedder, item, "Helena Kowalski primarily writes in the genre of Historical Fiction.") == 0.0


def test_the_items_own_record_with_a_word_changed_is_no_frame(fake_embedder: FakeEmbedder) -> None:
    # a word substitution inside a name ("Book" -> "Volume") is a names conflict, but the sentence still
    # names most of what the item names (its subject's common-word name included): a copy, not another record
    item = "Tae-ho Park has been honored with the Seoul Architecture Book of the Year."
    text = "Tae-ho Park has been honored with the Seoul Architecture Volume of the Year."
    assert _verbatim(fake_embedder, item, text) == _verbatim(fake_embedder, item, text, frames=False) >= 0.6
    assert _verbatim(fake_embedder, item, "Mina Cho has been honored with the Busan Poetry Book of the Year.") == 0.0


def test_the_rule_is_on_by_default_with_the_bundled_english_embedder_only(fake_embedder: FakeEmbedder) -> None:
    # it reads names by their case, as the names check does: with another embedder the index may hold any language
    index = build_index([Item("x", "content", text=NAME)], fake_embedder)
    assert not Guard(index, fake_embedder, rerank=False).frames
    index.manifest["embedder"]["name"] = DEFAULT_MODEL_NAME
    assert Guard(index, fake_embedder, rerank=False, translations=False).frames
    assert not Guard(index, fake_embedder, rerank=False, translations=False, frames=False).frames
