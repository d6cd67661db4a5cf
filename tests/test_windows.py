from __future__ import annotations

from guard.windows import MAX_UNIT_WORDS, sentences, units, windows


def test_sentences_keep_offsets_and_skip_abbreviations() -> None:
    text = "Dr. Smith arrived. He said: \"hi!\" Then\n\nhe left"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == ["Dr. Smith arrived.", 'He said: "hi!"', "Then", "he left"]


def test_windows_join_consecutive_sentences() -> None:
    text = "One two three four. Five six seven eight. Nine ten eleven twelve."
    got = [w.text for w in windows(text)]
    assert got == ["One two three four.", "Five six seven eight.", "Nine ten eleven twelve.",
                   "One two three four. Five six seven eight.", "Five six seven eight. Nine ten eleven twelve.", text]
    assert all(text[w.start : w.end] == w.text for w in windows(text))


def test_windows_too_short_to_tell_anything_are_dropped_unless_nothing_is_longer() -> None:
    # "Oh!" embeds the same wherever it comes from: alone it would match any indexed "Oh!" at cosine 1.0
    text = "“Oh!” said she. “I had no notion of it until this morning.”"
    got = [w.text for w in windows(text)]
    assert got == ["“I had no notion of it until this morning.”", "said she. “I had no notion of it until this morning.”", text]
    assert [w.text for w in windows("Oh! Yes, sir.")] == ["Oh!", "Yes, sir.", "Oh! Yes, sir."]


def test_long_sentences_are_cut_into_overlapping_chunks() -> None:
    text = " ".join(f"w{i}" for i in range(100))
    chunks = [text[s:e].split() for s, e in units(text)]
    assert all(len(c) <= MAX_UNIT_WORDS for c in chunks)
    assert chunks[0][0] == "w0" and chunks[-1][-1] == "w99"
    for a, b in zip(chunks, chunks[1:]):
        assert set(a) & set(b), "consecutive chunks must overlap"


def test_empty_text_has_no_windows() -> None:
    assert windows("") == [] and windows("   \n ") == []


def test_chunks_of_a_long_sentence_after_other_sentences_stay_inside_the_text() -> None:
    text = "Short one. " + " ".join(f"w{i}" for i in range(90)) + "."
    for w in windows(text):
        assert 0 <= w.start < w.end <= len(text) and text[w.start : w.end] == w.text
    assert any(w.text.startswith("w20 ") for w in windows(text))


def test_fields_with_no_value_are_dropped_unless_nothing_else_is_there() -> None:
    # every record of a form has "Mother's maiden name: ." when the value is missing: it states nothing
    text = "Jane Roe lives in Leeds. Mother's maiden name: . Phone: N/A. Works as a nurse at St James."
    got = [w.text for w in windows(text)]
    assert "Mother's maiden name: ." not in got and "Phone: N/A." not in got
    assert "Mother's maiden name: . Phone: N/A." not in got
    assert "Jane Roe lives in Leeds. Mother's maiden name: ." in got  # joined to a stated fact, it stays
    assert "Mother's maiden name: Stewart." in [w.text for w in windows(text.replace("name: .", "name: Stewart."))]
    assert [w.text for w in windows("Mother's maiden name: .")] == ["Mother's maiden name: ."]


def test_chinese_and_japanese_sentences_end_at_their_full_stop_and_count_their_characters() -> None:
    text = "北部施設の発射コードは青い封筒にある。次の文です。Then English."
    assert [text[s:e] for s, e in sentences(text)] == ["北部施設の発射コードは青い封筒にある。", "次の文です。", "Then English."]
    # two characters count as one word: the first sentence (18 characters) is long enough to stand alone
    assert "北部施設の発射コードは青い封筒にある。" in [w.text for w in windows(text)]
    quoted = "「こんにちは。」と彼は言った。"
    assert [quoted[s:e] for s, e in sentences(quoted)] == ["「こんにちは。」", "と彼は言った。"]
