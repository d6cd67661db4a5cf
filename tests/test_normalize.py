"""Normalization: each obfuscation trick is undone, and every view maps back to the original."""

from __future__ import annotations

import base64
import codecs
import json
import random
import time
import urllib.parse

import numpy as np
import pytest

from guard.normalize import (
    MAX_VIEWS,
    NORMALIZATION_VERSION,
    View,
    canonical,
    decodings,
    language_score,
    skeleton,
    views,
)

CLEAN = "The quick brown fox jumps over the lazy dog."
SECRET = "The secret password is hunter2, tell nobody about it."


def assert_maps_ok(view: View, original: str) -> None:
    """Every view char maps to a non-empty span inside the original text."""
    n = len(view.text)
    assert view.starts.dtype == np.int32 and view.ends.dtype == np.int32
    assert view.starts.shape == view.ends.shape == (n,)
    if n:
        assert (view.starts >= 0).all() and (view.starts < view.ends).all()
        assert (view.ends <= len(original)).all()


def original_of(view: View, original: str, needle: str) -> str:
    """The original characters behind the first occurrence of needle in the view."""
    i = view.text.index(needle)
    start, end = view.span(i, i + len(needle))
    return original[start:end]


def by_label(text: str, label: str) -> View:
    """The decoding of text with that label."""
    found = [v for v in decodings(text) if v.label == label]
    assert found, f"no {label!r} view among {[v.label for v in decodings(text)]}"
    return found[0]


# ---------------------------------------------------------------------------------- interface


def test_version_and_view_basics() -> None:
    assert NORMALIZATION_VERSION == "4"
    v = canonical("Hi there")
    assert v.label == "plain" and v == canonical("Hi there") and v != canonical("Hi")
    assert not v.starts.flags.writeable
    with pytest.raises(ValueError):
        v.span(3, 3)
    with pytest.raises(ValueError):
        v.span(0, 99)


def test_views_puts_canonical_first() -> None:
    vs = views("Hello world")
    assert vs[0] == canonical("Hello world")
    assert [v.label for v in vs[1:]] == ["rot13", "reversed"]


# ---------------------------------------------------------------------------------- canonical


def test_nfkc_folds_fullwidth_math_circled_and_ligatures() -> None:
    assert canonical("ＴＨＥ ｆｏｘ").text == "the fox"
    assert canonical("𝐓𝐡𝐞 𝕗𝕠𝕩 𝘫𝘶𝘮𝘱𝘴").text == "the fox jumps"
    assert canonical("ⓣⓗⓔ ⓕⓞⓧ").text == "the fox"
    v = canonical("ﬁne")
    assert v.text == "fine" and v.span(0, 1) == (0, 1) and v.span(1, 2) == (0, 1)


def test_zero_width_chars_are_dropped_and_map_back() -> None:
    text = "Hello\u200bWorld"
    v = canonical(text)
    assert v.text == "helloworld"
    assert original_of(v, text, "world") == "World"
    assert canonical("f\u200co\u200dx\u2060 \ufeffs\u200bay").text == "fox say"


def test_bidi_controls_and_soft_hyphen_are_dropped() -> None:
    assert canonical("\u202eforbidden\u202c \u2067text\u2069").text == "forbidden text"
    assert canonical("for\u00adbid\u00adden").text == "forbidden"
    assert canonical("fox\ufe0f and\U000e0041 dog").text == "fox and dog"  # variation selector, tag


def test_zalgo_marks_are_stripped_but_single_accents_kept() -> None:
    zalgo = "".join(c + "\u0301\u0316\u0334\u035c" for c in "hello")
    assert canonical(zalgo).text == "hello"
    assert canonical("café naïve").text == "café naïve"
    decomposed = canonical("cafe\u0301")
    assert decomposed.text == "café" and decomposed.span(3, 4) == (3, 5)
    assert canonical("Vie\u0323\u0302t").text == "việt"  # two marks composing into one letter
    for text in ("นี้คือภาษาไทย", "कुँआ और हिन्दी", "مُحَمَّد"):  # stacked marks of a script stay
        assert canonical(text).text == text


def test_homoglyphs_are_folded_in_english_text() -> None:
    text = "Thе quісk brоwn fох"  # Cyrillic е, і, с, о, х
    v = canonical(text)
    assert v.text == "the quick brown fox"
    assert original_of(v, text, "quick") == "quісk"
    assert canonical("Τhe Αpple").text == "the apple"  # Greek capitals


def test_genuine_russian_and_greek_are_kept() -> None:
    ru = "Привет, как дела? Это обычный текст."
    assert canonical(ru).text == ru.lower()
    el = "Καλημέρα, τι κάνεις;"
    assert canonical(el).text == el.casefold()


def test_a_russian_word_in_mostly_latin_text_is_kept() -> None:
    # a long Latin name outweighs the Russian letters, but "родился" has letters that look like nothing Latin
    text = "Patricia G. Desrosiers родился 28 февраля 1956 года."
    assert canonical(text).text == text.lower()
    assert canonical("Ivan ТОР secret Неllo").text == "ivan top secret hello"  # look-alikes only: an attack


def test_mixed_script_token_in_russian_text_is_folded() -> None:
    assert canonical("Привет Неllo мир").text == "привет hello мир"


def test_all_caps_and_casefold() -> None:
    assert canonical("THE QUICK BROWN FOX").text == "the quick brown fox"
    v = canonical("STRAẞE")
    assert v.text == "strasse" and v.span(4, 6) == (4, 5)


def test_leetspeak_is_folded() -> None:
    assert canonical("Th3 qu1ck br0wn f0x").text == "the quick brown fox"
    assert canonical("pa$$w0rd l@zy h!gh k|ll jump$ (r4ck").text == "password lazy high kill jumps crack"


def test_leet_is_read_in_latin_words_only() -> None:
    # A Chinese or Japanese sentence is one token: its numbers and "！" are not leet in a word.
    assert canonical("今天是６月１８号，也是Muiriel的生日！").text == "今天是6月18号,也是muiriel的生日!"
    assert canonical("不，我不是！你才是！").text == "不,我不是!你才是!"
    assert canonical("トムは2時30分に電話すると言った。").text == "トムは2時30分に電話すると言った。"
    assert canonical("mu1riel的生日").text == "muiriel的生日"  # the Latin part still is
    assert canonical("Windows 2000、Windows XP。").text == "windows 2000、windows xp。"  # "、" ends a word


@pytest.mark.parametrize(
    "text",
    ["born in 1990", "the 3rd", "in the 1990s", "the 5th day", "42", "hello!", "yes!!", "at 5pm", "covid-19",
     "(see below)", "mail me@example.com", "@user hi", "x = 3.14"],
)
def test_numbers_punctuation_and_ordinary_tokens_are_left_alone(text: str) -> None:
    expected = text.lower().replace("!!", "!")
    assert canonical(text).text == expected


def test_spaced_letters_are_joined() -> None:
    assert canonical("t h e q u i c k").text == "thequick"
    assert canonical("t h e  q u i c k  f o x").text == "the quick fox"
    assert canonical("t h e / q u i c k").text == "the quick"
    assert canonical("T H 3  Q U 1 C K").text == "the quick"
    assert canonical("I am a cat").text == "i am a cat"
    assert canonical("passport K 4 4 7 1 2 0 3, call 5 5 5  0 1 4 3").text == "passport k4471203, call 555 0143"
    text = "say t h e  f o x"
    v = canonical(text)
    assert original_of(v, text, "fox") == "f o x"


def test_whitespace_and_paragraphs() -> None:
    assert canonical("  a \t b\n c  ").text == "a b c"
    assert canonical("One.\n\n\nTwo.\r\n\r\nThree.").text == "one.\ntwo.\nthree."
    assert canonical("a\u00a0\u2003b\u3000c").text == "a b c"
    assert canonical(" \n\t ").text == ""


def test_repeated_punctuation_collapses() -> None:
    assert canonical("Wow!!! Really???? Wait.... a,,, b").text == "wow! really? wait. a, b"
    assert canonical("Hi… there").text == "hi. there"
    assert canonical("Dr. Smith. Yes? No!").text == "dr. smith. yes? no!"


def test_canonical_maps_are_monotone_and_inside() -> None:
    text = "ＨＥＬＬＯ\u200b  w0rld!!!\n\n\nt h e  e n d ﬁ" + "e\u0301\u0316\u0334"
    v = canonical(text)
    assert_maps_ok(v, text)
    assert (np.diff(v.starts) >= 0).all() and (np.diff(v.ends) >= 0).all()


def test_maps_stay_exact_with_many_edits() -> None:
    text = "cafe\u0301 \u200b " * 600  # hundreds of clusters, invisible chars and space runs
    v = canonical(text)
    assert v.text == " ".join(["café"] * 600)
    for k in range(600):
        at = 5 * k
        assert v.span(at + 3, at + 4) == (8 * k + 3, 8 * k + 5)  # é <- "e" + combining acute
        if k < 599:
            assert v.span(at + 4, at + 5) == (8 * k + 5, 8 * k + 8)  # " " <- " \u200b "


# ---------------------------------------------------------------------------------- skeleton


def _obfuscations() -> dict[str, str]:
    words = CLEAN.rstrip(".").split()
    return {
        "caps": CLEAN.upper(),
        "spaced": "  ".join(" ".join(w) for w in words),
        "punctuation": "The... quick, - brown * fox; jumps -- over: the ~ lazy / dog!!!",
        "one word per line": "\n".join(words),
        "json string": json.dumps(CLEAN),
        "homoglyphs": "Thе quісk brоwn fох jumрs оvеr thе lаzу dоg.",
        "zero width": "\u200b".join(CLEAN),
        "leet": "Th3 qu!ck br0wn f0x jump$ 0v3r th3 l@zy d0g",
        "leet pipe": "Th3 qu1ck br0wn f0x jumps 0ver th3 |azy d0g",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in CLEAN),
        "zalgo": "".join(c + "\u0336\u0317" if c.isalpha() else c for c in CLEAN),
        "soft hyphens": CLEAN.replace("o", "\u00ado"),
    }


@pytest.mark.parametrize("name", sorted(_obfuscations()))
def test_skeleton_is_the_same_for_every_obfuscation(name: str) -> None:
    expected = skeleton(canonical(CLEAN)).text
    assert expected == "thequickbrownfoxjumpsoverthelazydog".replace("l", "i")
    text = _obfuscations()[name]
    sk = skeleton(canonical(text))
    assert sk.text == expected, name
    assert_maps_ok(sk, text)


def test_skeleton_of_json_object_contains_clean_skeleton() -> None:
    wrapped = json.dumps({"answer": CLEAN, "ok": True})
    assert skeleton(canonical(CLEAN)).text in skeleton(canonical(wrapped)).text


def test_skeleton_folds_digits_symmetrically_and_maps_back() -> None:
    assert skeleton(canonical("born in 1990")).text == "borniniggo"
    text = "Say: T h e  f-o-x!"
    sk = skeleton(canonical(text))
    assert sk.text == "saythefox"
    i = sk.text.index("fox")
    start, end = sk.span(i, i + 3)
    assert text[start:end] == "f-o-x"


def test_skeleton_keeps_non_latin_letters() -> None:
    sk = skeleton(canonical("Привет,  мир! 你好"))
    assert sk.text == "пpивeтмиp你好"  # lookalikes р, е fold to Latin p, e on both sides; others stay
    assert skeleton(canonical("П р и в е т")).text == skeleton(canonical("Привет")).text


# ---------------------------------------------------------------------------------- decodings


def test_base64_of_whole_text() -> None:
    text = base64.b64encode(SECRET.encode()).decode()
    v = by_label(text, "base64")
    assert v.text == canonical(SECRET).text
    assert v.span(0, len(v.text)) == (0, len(text))


def test_base64_embedded_in_benign_text_maps_to_the_run() -> None:
    run = base64.b64encode(SECRET.encode()).decode()
    text = f"Sure! Here is the data you asked for: {run} -- hope it helps."
    v = by_label(text, "base64")
    assert v.text == canonical(SECRET).text
    assert v.span(0, len(v.text)) == (text.index(run), text.index(run) + len(run))
    i = v.text.index("password")
    start, end = v.span(i, i + len("password"))
    assert text.index(run) < start < end < text.index(run) + len(run)


def test_base64_urlsafe_and_wrapped_at_76_columns() -> None:
    long = (SECRET + " ") * 4
    encoded = base64.b64encode(long.encode()).decode()
    block = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    text = f"Attachment:\n{block}\nThanks"
    v = by_label(text, "base64")
    assert v.text == canonical(long).text
    assert v.span(0, len(v.text)) == (text.index(block), text.index(block) + len(block))
    urlsafe = base64.urlsafe_b64encode("¿Qué pasa? ünïcode ✓ fine".encode()).decode().rstrip("=")
    assert by_label(urlsafe, "base64").text == canonical("¿Qué pasa? ünïcode ✓ fine").text


@pytest.mark.parametrize("sep,prefix", [("", ""), (" ", ""), ("", "\\x"), (", ", "0x"), (":", "")])
def test_hex_variants(sep: str, prefix: str) -> None:
    run = sep.join(prefix + f"{b:02x}" for b in SECRET.encode())
    text = f"payload {run} end"
    v = by_label(text, "hex")
    assert v.text == canonical(SECRET).text
    start, end = v.span(0, len(v.text))
    assert text[start:end] == run


def test_url_encoding() -> None:
    text = "https://x.test/?q=" + urllib.parse.quote(SECRET)
    v = by_label(text, "url")
    assert canonical(SECRET).text in v.text
    assert original_of(v, text, "secret password") == urllib.parse.quote("secret password")
    assert "url" not in [x.label for x in decodings("100%25 sure, 50%25 off")]


def test_rot13_view_maps_exactly() -> None:
    text = codecs.encode(SECRET, "rot13")
    v = by_label(text, "rot13")
    assert v.text == canonical(SECRET).text
    assert original_of(v, text, "secret") == codecs.encode("secret", "rot13")


def test_reversed_view_maps_exactly() -> None:
    text = "Note: " + SECRET[::-1]
    v = by_label(text, "reversed")
    assert canonical(SECRET).text in v.text
    assert original_of(v, text, "secret password") == "drowssap terces"


@pytest.mark.parametrize(("text", "read"), [
    ("Hs14o Yun-Hw4 wrote it.", "Hsiao Yun-Hwa wrote it."),  # leetspeak: the letters it spells, in its case
    ("Аlice met Вob in Straße.", "Alice met Bob in Strasse."),  # Cyrillic capitals; "ß" folds to small letters
    ("ＪＡＮＥ  Roe", "JANE Roe"),  # fullwidth capitals, spacing folded
])
def test_cased_reads_the_fold_in_the_writers_case(text: str, read: str) -> None:
    view = canonical(text)
    assert view.cased(text) == read
    assert view.cased(text, 0, 5) == read[:5]


def test_cased_keeps_rot13_capitals_and_leaves_decoded_letters_small() -> None:
    text = codecs.encode("Alice met Bob.", "rot13")
    assert by_label(text, "rot13").cased(text) == "Alice met Bob."
    encoded = base64.b64encode(b"Alice met Bob.").decode()
    view = by_label(encoded, "base64")
    assert view.cased(encoded) == view.text == "alice met bob."


def test_nested_base64_of_reversed_text() -> None:
    run = base64.b64encode(SECRET[::-1].encode()).decode()
    text = f"decode this: {run}"
    v = by_label(text, "base64+reversed")
    assert v.text == canonical(SECRET).text
    assert v.span(0, len(v.text)) == (text.index(run), len(text))


def test_reversed_base64_is_found() -> None:
    text = base64.b64encode(SECRET.encode()).decode()[::-1]
    assert by_label(text, "reversed+base64").text == canonical(SECRET).text


def test_depth_and_count_are_bounded() -> None:
    text = SECRET
    for _ in range(5):
        text = base64.b64encode(text.encode()).decode()
    vs = decodings(text)
    assert len(vs) <= MAX_VIEWS and all(v.label.count("+") <= 1 for v in vs)
    assert all("+" not in v.label for v in decodings(text, max_depth=1))
    assert decodings(text, max_depth=0) == []


def test_rot13_and_reversed_are_always_there() -> None:
    assert [v.label for v in decodings("")] == ["rot13", "reversed"]
    assert [v.label for v in decodings(CLEAN)] == ["rot13", "reversed"]


# ---------------------------------------------------------------------------------- robustness


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pool = (
        "aZ09 +/=%\\x\n\t.!?|@$" + "\u200b\u202e\u00ad\ufe0f\u0301\u0316\u0334"
        + "ЕеОоΑαﬁ１ＡßİŉǅẞΣς你好" + chr(0xD800) + chr(0x1D41A) + "\x00\x1b\x7f\x85\u2028"
    )
    texts = ["", " ", "\n\n", "!!!...???", "====", "%", "%zz%4", "\\x", "0x"]
    for _ in range(count):
        n = rng.randrange(0, 300)
        if rng.random() < 0.3:
            texts.append(bytes(rng.randrange(256) for _ in range(n)).decode("latin-1"))
        else:
            texts.append("".join(rng.choice(pool) for _ in range(n)))
    return texts


def test_garbage_never_raises_and_maps_stay_inside() -> None:
    for text in _random_texts(seed=1234, count=300):
        for v in views(text):
            assert_maps_ok(v, text)
            assert_maps_ok(skeleton(v), text)
            language_score(v.text)


def test_large_inputs_are_fast_and_safe() -> None:
    rng = random.Random(7)
    word_salad = " ".join(rng.choice(CLEAN.split()) for _ in range(20_000))  # ~120 KB
    blob = base64.b64encode(word_salad.encode()).decode()
    nospace = "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(50_000))
    for text in (word_salad, blob, nospace, "A" * 100_000, "%41" * 30_000):
        t0 = time.perf_counter()
        vs = views(text)
        skeleton(vs[0])
        assert time.perf_counter() - t0 < 10.0
        for v in vs:
            assert_maps_ok(v, text)


# ---------------------------------------------------------------------------------- language_score


def test_language_score_separates_english_from_rot13_and_reversed() -> None:
    english = "It was the best of times, it was the worst of times, and we had everything before us."
    plain = language_score(english)
    assert plain > 0.4
    assert language_score(codecs.encode(english, "rot13")) < 0.1
    assert language_score(english[::-1]) < 0.15
    assert language_score("") == 0.0 and language_score("123 !!! ...") == 0.0
    assert 0.0 <= language_score("the the the") <= 1.0
