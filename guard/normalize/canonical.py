"""`canonical`: the mild fold (Unicode tricks, leetspeak, spacing, whitespace and punctuation runs) that keeps
words, case-folded letters and sentence punctuation, so the text can be embedded and split into sentences."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import numpy as np

from guard.normalize.chars import (
    _DROP,
    _LATIN,
    _MARK,
    _NOT_LETTER,
    _OTHER,
    _char_classes,
    _char_info,
    _codepoints,
    _confusable_keys,
    _confusable_table,
    _fold_cluster,
    _from_codepoints,
    _letter_script,
    _lookup_table,
    _translate,
    _unique_chars,
)
from guard.normalize.view import View, _Buf, _Edits, _identity, _sub, _with_text

# What the char stage does with a char: keep it, change it (NFKC), fold it with its base as a
# combining mark, or drop it (invisible).
_KIND_PLAIN, _KIND_CHANGE, _KIND_MARK, _KIND_DROP = 0, 1, 2, 3
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@functools.lru_cache(maxsize=65536)
def _char_kind(c: str) -> int:
    """The `_KIND_*` of c for the char stage."""
    kind, folded = _char_info(c)
    if kind == _DROP:
        return _KIND_DROP
    if kind == _MARK:
        return _KIND_MARK
    return _KIND_PLAIN if folded == c else _KIND_CHANGE


def _fold_chars(buf: _Buf) -> _Buf:
    """NFKC per grapheme, invisible chars dropped, Zalgo marks stripped; maps kept exact.

    Vectorized: invisible chars are removed with a mask, chars are NFKC'd by one translate with
    maps repeated for expansions ("ﬁ" -> "fi"), and only clusters of a base with combining
    marks are visited one by one in Python.
    """
    if buf.text.isascii() and not _ASCII_CONTROL_RE.search(buf.text):
        return buf
    kinds = _char_classes(buf.text, _char_kind)
    keep = kinds != _KIND_DROP
    if not keep.all():
        kinds = kinds[keep]
        buf = _Buf(_from_codepoints(_codepoints(buf.text)[keep]), buf.starts[keep], buf.ends[keep])
    return _nfkc_chars(_fold_clusters(buf, kinds == _KIND_MARK))


def _fold_clusters(buf: _Buf, is_mark: np.ndarray) -> _Buf:
    """Replace each base char carrying combining marks by `_fold_cluster` of it."""
    marks = np.flatnonzero(is_mark)
    if not len(marks):
        return buf
    bases = np.append(np.flatnonzero(~is_mark), len(is_mark))
    cluster = np.cumsum(~is_mark)  # number of base chars up to here: the cluster's base is bases[c-1]
    first_marks = marks[np.concatenate(([True], np.diff(marks) > 1))]
    ids = cluster[first_marks]
    starts = np.where(ids > 0, bases[np.maximum(ids - 1, 0)], 0)
    ends = bases[ids]
    edits = _Edits()
    for a, b in zip(starts.tolist(), ends.tolist()):
        run = buf.text[a:b]
        out = _fold_cluster(run)
        if out != run:
            edits.add_union(a, b, out)
    return edits.apply(buf)


def _nfkc_chars(buf: _Buf) -> _Buf:
    """NFKC of every char; an expansion ("ﬁ" -> "fi", "…" -> "...") maps to its one char.

    Cluster outputs are already NFKC-normalized, so they pass unchanged.
    """
    chars = _unique_chars(buf.text)
    mapping = {ord(c): _char_info(c)[1] for c in chars if _char_kind(c) == _KIND_CHANGE}
    if not mapping:
        return buf
    if all(len(v) == 1 for v in mapping.values()):
        return _with_text(buf, _translate(buf.text, mapping))
    lengths = _char_classes(buf.text, lambda c: len(mapping.get(ord(c), c)))
    return _Buf(buf.text.translate(mapping), np.repeat(buf.starts, lengths), np.repeat(buf.ends, lengths))


def _fold_confusables(buf: _Buf) -> _Buf:
    """Homoglyphs -> ASCII: in Latin text everywhere but in words of another script, else only inside
    mixed-script tokens.

    A Russian or Greek sentence must stay Russian or Greek for a multilingual embedder, while
    "Неllo" with a Cyrillic Н is an attack on an English word. In mostly Latin text a token of another
    script is folded only when every letter of it looks Latin ("ТОР" for "TOP"): a Russian word with a
    letter that looks like nothing Latin ("родился": "д", "л", "я") stays Russian, even in a sentence whose
    Latin name outweighs it ("Patricia G. Desrosiers родился 28 февраля 1956 года.").
    """
    text = buf.text
    if text.isascii():
        return buf
    table = _confusable_table()
    scripts = _char_classes(text, _letter_script)
    latin = int(np.count_nonzero(scripts == _LATIN))
    other = int(np.count_nonzero(scripts == _OTHER))
    cps = _codepoints(text)
    if latin > other:
        unfoldable = (scripts == _OTHER) & ~np.isin(cps, _confusable_keys())
        if not unfoldable.any():
            return _with_text(buf, _translate(text, table))
        letter = scripts != _NOT_LETTER  # words: runs of letters ("ΣΟΛΕΑΣ,NI,Λευκωσία" is three)
        word = np.cumsum(letter & ~np.concatenate(([False], letter[:-1])))
        has_latin = np.zeros(word[-1] + 1, dtype=bool)
        foreign = np.zeros(word[-1] + 1, dtype=bool)
        has_latin[word[scripts == _LATIN]] = True
        foreign[word[unfoldable]] = True
        mask = ~(foreign & ~has_latin)[word] | ~letter  # every char but the letters of a word of another script
    else:
        mask = _mixed_token_mask(text, scripts)
    if not mask.any():
        return buf
    lookup = _lookup_table(cps, table)
    if lookup is None:
        return buf
    return _with_text(buf, _from_codepoints(np.where(mask, lookup[cps], cps)))


def _mixed_token_mask(text: str, scripts: np.ndarray) -> np.ndarray:
    """Mask of the chars of tokens (runs of non-space chars) mixing Latin and other letters."""
    space = _char_classes(text, str.isspace).astype(bool)
    token = np.cumsum(~space & np.concatenate(([True], space[:-1])))  # token number per char
    latin = np.zeros(token[-1] + 1, dtype=bool)
    other = np.zeros(token[-1] + 1, dtype=bool)
    latin[token[scripts == _LATIN]] = True
    other[token[scripts == _OTHER]] = True
    return (latin & other)[token] & ~space


def _casefold(buf: _Buf) -> _Buf:
    """Case-fold; a char that folds to several ("ß" -> "ss") maps them all to itself."""
    folded = buf.text.casefold()
    if len(folded) == len(buf.text):
        return _with_text(buf, folded)
    expanding = [c for c in _unique_chars(buf.text) if c >= "\x80" and len(c.casefold()) != 1]
    if not expanding:
        return buf
    pattern = re.compile("|".join(map(re.escape, expanding)))
    buf = _sub(buf, pattern, lambda m: m.group().casefold())
    folded = buf.text.casefold()
    return _with_text(buf, folded)


# >= 4 single-char tokens; the first may follow an opening bracket or quote, the last may carry
# closing punctuation ("(t h e  e n d)." joins to "(the end).").
_SPACED_RE = re.compile(
    r"(?<![^\s(\[{\"'])(?:[^\W_]|[@$])(?:(?:[ \t]+/[ \t]+|[ \t]+)(?:[^\W_]|[@$])(?!\S)){2,}"
    r"(?:[ \t]+/[ \t]+|[ \t]+)(?:[^\W_]|[@$])(?=[.,;:!?)\]}\"']*(?:\s|$))"
)
_SPACED_SEP_RE = re.compile(r"[ \t]+/[ \t]+|[ \t]+")


def _join_spaced_letters(buf: _Buf) -> _Buf:
    """Join runs of >= 4 single-char tokens ("t h e  q u i c k" -> "the quick").

    Single spaces join; 2+ spaces or " / " are word boundaries. Digits join too: a spaced-out
    number or ID ("K 4 4 7 1 2 0 3", "5 5 5 0 1 4 3") is the same evasion as spaced letters.
    """
    edits = _Edits()
    for m in _SPACED_RE.finditer(buf.text):
        _add_spaced_join(m.group(), m.start(), edits)
    return edits.apply(buf)


def _add_spaced_join(run: str, offset: int, edits: _Edits) -> None:
    """Add the edit joining one spaced-letters run; each letter keeps its own origin."""
    out: list[str] = []
    lo: list[int] = []
    hi: list[int] = []
    pos = 0
    for sep in _SPACED_SEP_RE.finditer(run):
        out.append(run[pos])
        lo.append(offset + pos)
        hi.append(offset + pos + 1)
        if "/" in sep.group() or len(sep.group()) >= 2:
            out.append(" ")
            lo.append(offset + sep.start())
            hi.append(offset + sep.end())
        pos = sep.end()
    out.append(run[pos])
    lo.append(offset + pos)
    hi.append(offset + pos + 1)
    edits.add(offset, offset + len(run), "".join(out), lo, hi)


# Leetspeak, after zxcvbn's table; "2" -> "z" is left to skeleton() (too many false positives).
_LEET_STRONG = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s",
}  # fmt: skip
_LEET_WEAK = {"|": "i", "!": "i", "+": "t"}  # only between two letters/digits
# A token holding a leet char; anchored at token starts so scanning stays linear.
_LEET_TOKEN_RE = re.compile(r"(?<![^ \n])[^ \n0-9@$|!+]*[0-9@$|!+][^ \n]*")
_MAX_LEET_TOKEN = 40  # longer tokens are identifiers, URLs or encoded blobs, not leet words
_TOKEN_LEAD = frozenset("\"'([{<«“‘¿¡*_")
_TOKEN_TRAIL = frozenset("\"')]}>»”’.,;:?!…*_")
_TOKEN_PART_RE = re.compile(r"[^-./,:;'’_\u3000-\u303f\u30fb]+")  # and CJK punctuation: "、", "。", "「", "・"
_NUMERIC_PART_RE = re.compile(
    r"[$€£¥#]?[0-9]+(?:st|nd|rd|th|s|am|pm|k|m|bn|b|x|d|h|p|px|pt|kb|mb|gb|tb|kg|g|km|cm|mm"
    r"|ml|hz|khz|mhz|ghz|fps|mph|kph|yo|min|sec|ms|v|w|kw|mw)?"
)
_WORD_THEN_NUMBER_RE = re.compile(r"[^\W\d_]+[0-9]{2,}")  # covid19, win10, b12
_URLISH_RE = re.compile(r"://|^www\.|[^\s@]@[^\s@]+\.[a-z]{2,}")


def _deleet(buf: _Buf) -> _Buf:
    """Map leet digits and symbols to letters inside tokens that also contain letters.

    Runs after whitespace collapsing, so tokens are delimited by " " and "\\n" only.
    """
    return _with_text(buf, _LEET_TOKEN_RE.sub(lambda m: _deleet_token(m.group()), buf.text))


def _deleet_token(token: str) -> str:
    """`_deleet_short_token` for tokens short enough to be words; longer ones are left alone."""
    return token if len(token) > _MAX_LEET_TOKEN else _deleet_short_token(token)


@functools.lru_cache(maxsize=65536)
def _deleet_short_token(token: str) -> str:
    """Fold the leet chars of one token (same length), or return it unchanged.

    Numbers ("1990", "42"), numbers with a suffix ("3rd", "1990s", "5pm"), words ending in a
    number ("covid19"), URLs, e-mails, tokens over 40 chars and trailing sentence punctuation
    are left alone.
    """
    if not any(c.isalpha() for c in token) or _URLISH_RE.search(token):
        return token
    i, j = 0, len(token)
    while i < j and token[i] in _TOKEN_LEAD:
        i += 1
    while j > i and token[j - 1] in _TOKEN_TRAIL:
        j -= 1
    chars = list(token)
    strong = False
    for a, b in _latin_parts(token, i, j):
        strong |= _deleet_part(token, a, b, chars)
    if strong and i == 1 and token[0] == "(" and token[1].isalpha():
        chars[0] = "c"  # "(r4ck" -> "crack"; only with other leet, "(see" stays a parenthesis
    return "".join(chars)


def _latin_parts(token: str, i: int, j: int) -> Iterator[tuple[int, int]]:
    """The parts of token[i:j] that leet is read in: split at separators ("-", ".", "/", ...) and at letters
    of other scripts. A Chinese or Japanese sentence is one token (no spaces): its digits are numbers
    ("20代", "6月18号", "Windows 2000、Windows XP"), not leet, and "！" between two characters is no "i"."""
    for part in _TOKEN_PART_RE.finditer(token, i, j):
        start = part.start()
        for k in range(part.start(), part.end()):
            if _letter_script(token[k]) == _OTHER:
                if k > start:
                    yield start, k
                start = k + 1
        if part.end() > start:
            yield start, part.end()


def _deleet_part(token: str, a: int, b: int, chars: list[str]) -> bool:
    """Fold the leet chars of token[a:b] into chars; return whether a strong leet char was found."""
    part = token[a:b]
    if not any(c.isalpha() for c in part):
        return False
    if _NUMERIC_PART_RE.fullmatch(part) or _WORD_THEN_NUMBER_RE.fullmatch(part):
        return False
    strong = [k for k in range(a, b) if token[k] in _LEET_STRONG]
    if strong == [a] and token[a] == "@":
        strong = []  # "@" opening a word is a mention unless the word has other leet
    for k in strong:
        chars[k] = _LEET_STRONG[token[k]]
    for k in range(a + 1, b - 1):
        if token[k] in _LEET_WEAK and token[k - 1].isalnum() and token[k + 1].isalnum():
            chars[k] = _LEET_WEAK[token[k]]
    return bool(strong)


_SPACE_RUN_RE = re.compile(r"\s{2,}")
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_PARAGRAPH = "\x00"  # placeholder for a paragraph break; control chars are gone by now
_SPACES_TO_BLANK = {cp: " " for cp in range(0x3001) if chr(cp).isspace()} | {0: "\n"}


def _collapse_whitespace(buf: _Buf) -> _Buf:
    """One space per whitespace run, "\\n" for a run with 2+ line breaks; strip both ends.

    A blank line is a paragraph break, which sentence splitting downstream treats as a boundary.
    Runs are collapsed first (a paragraph becomes a placeholder), then every remaining
    whitespace char becomes a space by one translate.
    """
    text = buf.text
    a = len(text) - len(text.lstrip())
    b = len(text.rstrip())
    if a or b < len(text):
        buf = _Buf(text[a:b] if a < b else "", buf.starts[a : max(a, b)], buf.ends[a : max(a, b)])

    def repl(m: re.Match[str]) -> str:
        return _PARAGRAPH if len(_LINE_BREAK_RE.findall(m.group())) >= 2 else " "

    buf = _sub(buf, _SPACE_RUN_RE, repl)
    return _with_text(buf, buf.text.translate(_SPACES_TO_BLANK))


_REPEATED_PUNCT_RE = re.compile(r"([^\w\s]|_)\1+")


def _collapse_punctuation(buf: _Buf) -> _Buf:
    """Collapse runs of one punctuation char ("!!!" -> "!", "...." -> ".")."""
    return _sub(buf, _REPEATED_PUNCT_RE, lambda m: m.group(1))


def _canonical_buf(text: str) -> _Buf:
    """The canonical text of ``text`` with maps into it (see `canonical`)."""
    buf = _fold_chars(_identity(text))
    buf = _fold_confusables(buf)
    buf = _casefold(buf)
    buf = _join_spaced_letters(buf)
    buf = _collapse_whitespace(buf)
    buf = _deleet(buf)
    return _collapse_punctuation(buf)


def canonical(text: str) -> View:
    """Mildly normalized text for embedding and sentence splitting (label "plain").

    In order: NFKC per grapheme; invisible chars dropped; Zalgo marks stripped (single accents
    kept); homoglyphs folded to ASCII (in Latin text, or in mixed-script tokens); casefold;
    spaced-out letters and digits joined; whitespace collapsed (blank lines kept as "\\n");
    leetspeak folded inside words; repeated punctuation collapsed.

    Args:
        text: the original text.

    Returns:
        The canonical view; its maps point into ``text``.
    """
    return View(*_canonical_buf(text), label="plain")
