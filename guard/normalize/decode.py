"""`decodings` and `views`: texts hidden inside a text (base64, hex, URL escapes) or under it (rot13,
reversal), each canonicalized, with offsets composed back to the original text."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from guard.normalize.canonical import _canonical_buf, canonical
from guard.normalize.view import View, _Buf, _Edits, _identity

MAX_VIEWS = 16  # decodings() never returns more views than this, whatever the nesting


_B64 = r"[A-Za-z0-9+/_\-]"
_B64_RUN_RE = re.compile(rf"(?<!{_B64}){_B64}{{16,}}(?:[ \t]*\r?\n[ \t]*{_B64}+)*={{0,2}}")
_B64_TO_STD = str.maketrans("-_", "+/")
_HEX_RUN_RE = re.compile(r"(?<![0-9A-Za-z\\])(?:(?:\\x|0[xX])?[0-9A-Fa-f]{2}[ :,]{0,2}){8,}")
_HEX_PAIR_RE = re.compile(r"(?:\\x|0[xX])?([0-9A-Fa-f]{2})")
_PCT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_URL_TOKEN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\+")
_WS_DELETE = str.maketrans("", "", "\n\r\t")
_SURROGATE_ESCAPES = {cp: "\ufffd" for cp in range(0xDC80, 0xDD00)}


def _mostly_printable(text: str) -> bool:
    """Whether text is non-empty and >= 90% printable (newlines and tabs count as printable)."""
    if not text:
        return False
    rest = text.translate(_WS_DELETE)
    if rest.isprintable():
        return True
    bad = sum(1 for c in rest if not c.isprintable())
    return bad <= 0.1 * len(text)


def _bytes_to_chars(raw: bytes, text: str, byte_starts: np.ndarray, byte_ends: np.ndarray) -> _Buf:
    """Maps of the chars of text (raw decoded as UTF-8) from the maps of its bytes."""
    if len(raw) == len(text):
        return _Buf(text, byte_starts, byte_ends)
    b = np.frombuffer(raw, dtype=np.uint8)
    lead = np.flatnonzero((b & 0xC0) != 0x80)
    last = np.append(lead[1:], len(b)) - 1
    return _Buf(text, byte_starts[lead], byte_ends[last])


def _decode_utf8(raw: bytes) -> str | None:
    """Strict UTF-8 text that is mostly printable, else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _mostly_printable(text) else None


def _b64_run(text: str, a: int, b: int) -> _Buf | None:
    """Decode the base64 run text[a:b] (whitespace inside allowed), mapped per quartet."""
    run = text[a:b]
    codes = np.frombuffer(run.encode("ascii"), dtype=np.uint8)
    pos = np.flatnonzero(~np.isin(codes, (9, 10, 13, 32))) + a
    data = run.translate(_WS_DELETE).replace(" ", "")
    core = data.rstrip("=")
    if len(core) % 4 == 1:
        core = core[:-1]
    if len(core) < 4:
        return None
    try:
        raw = base64.b64decode(core.translate(_B64_TO_STD) + "=" * (-len(core) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    decoded = _decode_utf8(raw)
    if decoded is None:
        return None
    quartets = np.arange((len(core) + 3) // 4)
    q_start = pos[quartets * 4]
    q_end = pos[np.minimum(quartets * 4 + 3, len(core) - 1)] + 1
    q_end[-1] = pos[-1] + 1
    byte_q = np.arange(len(raw)) // 3
    return _bytes_to_chars(raw, decoded, q_start[byte_q], q_end[byte_q])


def _b64_decode(text: str) -> tuple[_Buf | None, bool]:
    """All base64 runs of text, decoded and joined by paragraph breaks; and whether any run was seen.

    A wrapped block followed by a line of prose ("...==\\nThanks") is retried without its last
    line, since the prose line was taken for the block's short last line.
    """
    pieces: list[_Buf] = []
    seen = False
    for m in _B64_RUN_RE.finditer(text):
        seen = True
        a, b = m.span()
        piece = _b64_run(text, a, b)
        if piece is None and "\n" in m.group():
            b = a + len(m.group()[: m.group().rindex("\n")].rstrip())
            piece = _b64_run(text, a, b)
        if piece is not None:
            pieces.append(piece)
    return _join_pieces(pieces), seen


def _hex_run(run: str, offset: int) -> _Buf | None:
    """Decode one hex run ("48656c", "48 65 6c", "\\x48\\x65", "0x48,0x65"), mapped per byte pair."""
    pairs = list(_HEX_PAIR_RE.finditer(run))
    raw = bytes.fromhex("".join(p.group(1) for p in pairs))
    decoded = _decode_utf8(raw)
    if decoded is None:
        return None
    starts = np.fromiter((p.start() + offset for p in pairs), dtype=np.int64, count=len(pairs))
    ends = np.fromiter((p.end() + offset for p in pairs), dtype=np.int64, count=len(pairs))
    return _bytes_to_chars(raw, decoded, starts, ends)


def _hex_decode(text: str) -> tuple[_Buf | None, bool]:
    """All hex runs of text, decoded and joined by paragraph breaks; and whether any run was seen."""
    runs = list(_HEX_RUN_RE.finditer(text))
    pieces = [p for m in runs if (p := _hex_run(m.group(), m.start())) is not None]
    return _join_pieces(pieces), bool(runs)


def _join_pieces(pieces: list[_Buf]) -> _Buf | None:
    """Join decoded pieces with "\\n"; a separator maps to the last char of the piece before it."""
    if not pieces:
        return None
    texts: list[str] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for k, piece in enumerate(pieces):
        if k:
            prev_end = int(pieces[k - 1].ends[-1])
            texts.append("\n")
            starts.append(np.array([prev_end - 1]))
            ends.append(np.array([prev_end]))
        texts.append(piece.text)
        starts.append(np.asarray(piece.starts, dtype=np.int64))
        ends.append(np.asarray(piece.ends, dtype=np.int64))
    return _Buf("".join(texts), np.concatenate(starts), np.concatenate(ends))


def _url_decode(text: str) -> tuple[_Buf | None, bool]:
    """urllib-style unquote_plus of a text with >= 3 %XX escapes, mapped per escape."""
    if len(_PCT_RE.findall(text)) < 3:
        return None, False
    edits = _Edits()
    for m in _URL_TOKEN_RE.finditer(text):
        a, b = m.span()
        if m.group() == "+":
            edits.add(a, b, " ", (a,), (b,))
        else:
            _add_url_escapes(m.group(), a, edits)
    buf = edits.apply(_identity(text))
    return (buf if buf.text != text else None), True


def _add_url_escapes(run: str, a: int, edits: _Edits) -> None:
    """Add the edit decoding one run of %XX escapes; a char maps to the escapes of its bytes."""
    decoded = bytes.fromhex(run.replace("%", "")).decode("utf-8", "surrogateescape")
    lo: list[int] = []
    hi: list[int] = []
    byte = 0
    for c in decoded:
        width = len(c.encode("utf-8", "surrogateescape"))
        lo.append(a + 3 * byte)
        hi.append(a + 3 * (byte + width))
        byte += width
    edits.add(a, a + len(run), decoded.translate(_SURROGATE_ESCAPES), lo, hi)


def _rot13(buf: _Buf) -> _Buf:
    """rot13 of a buffer (exact per-char map)."""
    return _Buf(codecs.encode(buf.text, "rot13"), buf.starts, buf.ends)


def _reverse(buf: _Buf) -> _Buf:
    """The buffer reversed char by char (exact per-char map)."""
    return _Buf(buf.text[::-1], buf.starts[::-1], buf.ends[::-1])


_Decoder = Callable[[str], tuple[_Buf | None, bool]]
_DECODERS: dict[str, _Decoder] = {"base64": _b64_decode, "hex": _hex_decode, "url": _url_decode}
# (name, transform, map orientation sign, decoders worth trying under it). rot13 keeps base64
# runs where they were; reversal keeps base64 and hex runs; URL escapes do not survive either.
_TRANSFORMS: tuple[tuple[str, Callable[[_Buf], _Buf], int, tuple[str, ...]], ...] = (
    ("rot13", _rot13, 1, ("base64",)),
    ("reversed", _reverse, -1, ("base64", "hex")),
)


class _Node(NamedTuple):
    """A raw (not canonicalized) derived text with maps into the original, in the search tree.

    Attributes:
        buf: the text, with maps into the original.
        label: the chain of decodings that produced it ("" for the original).
        depth: the length of that chain.
        decoders: the decoders worth trying on it.
        transforms: whether rot13/reversal may still be applied (never twice in a chain).
        flip: 1 if the maps are the identity, -1 if the reversed identity, 0 otherwise; lets
            composition of the big rot13/reversed views skip fancy indexing.
    """

    buf: _Buf
    label: str
    depth: int
    decoders: tuple[str, ...]
    transforms: bool
    flip: int


def _compose(outer: _Node, inner_starts: np.ndarray, inner_ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """Maps into the original of ranges [inner_starts, inner_ends) of ``outer``'s text.

    Exact for maps that are monotone in either direction (reversed views run backwards).
    """
    if outer.flip == 1 or len(inner_starts) == 0:
        return np.asarray(inner_starts, dtype=np.int64), np.asarray(inner_ends, dtype=np.int64)
    if outer.flip == -1:
        n = len(outer.buf.text)
        return n - np.asarray(inner_ends, dtype=np.int64), n - np.asarray(inner_starts, dtype=np.int64)
    starts, ends = outer.buf.starts, outer.buf.ends
    first_s, last_s = starts[inner_starts], starts[inner_ends - 1]
    first_e, last_e = ends[inner_starts], ends[inner_ends - 1]
    return np.minimum(first_s, last_s), np.maximum(first_e, last_e)


def _view_of(node: _Node) -> View:
    """The canonical view of a node's raw text, mapped into the original."""
    canon = _canonical_buf(node.buf.text)
    starts, ends = _compose(node, canon.starts, canon.ends)
    return View(canon.text, starts, ends, label=node.label)


def _children(node: _Node) -> list[_Node]:
    """Nodes one decoding or transform below ``node``."""
    prefix = f"{node.label}+" if node.label else ""
    out: list[_Node] = []
    seen: set[str] = set()
    for name in node.decoders:
        try:
            decoded, saw_runs = _DECODERS[name](node.buf.text)
        except Exception:  # noqa: BLE001 - a decoder must never break normalization
            decoded, saw_runs = None, False
        if saw_runs:
            seen.add(name)
        if decoded is not None and decoded.text.strip():
            mapped = _Buf(decoded.text, *_compose(node, decoded.starts, decoded.ends))
            out.append(_Node(mapped, prefix + name, node.depth + 1, tuple(_DECODERS), node.transforms, 0))
    if node.transforms:
        for name, transform, sign, under in _TRANSFORMS:
            decoders = tuple(d for d in under if d in seen)
            flip = node.flip * sign
            out.append(_Node(transform(node.buf), prefix + name, node.depth + 1, decoders, False, flip))
    return out


def decodings(text: str, *, max_depth: int = 2) -> list[View]:
    """Views of what the text may hide: base64, hex, URL escapes, rot13 and reversal.

    Decoded texts are searched again, up to ``max_depth`` steps in all (label "base64+rot13":
    base64-decoded, then rot13; "reversed+base64": reversed, then base64-decoded). rot13 and
    reversal are never applied on top of each other. At most `MAX_VIEWS` views, breadth first,
    duplicates dropped. Never raises: a decoding that fails is simply absent.

    Args:
        text: the original text.
        max_depth: the most decoding steps chained in one view.

    Returns:
        The derived views, canonicalized, mapped into ``text``; not the plain view. rot13 and
        reversed of the whole text are always there (for max_depth >= 1).
    """
    root = _Node(_identity(text), "", 0, tuple(_DECODERS), True, 1)
    queue = [root]
    found: list[View] = []
    seen: set[str] = set()
    while queue and len(found) < MAX_VIEWS:
        node = queue.pop(0)
        if node.depth >= max_depth:
            continue
        for child in _children(node):
            view = _safe_view(child)
            if view is None or len(found) >= MAX_VIEWS or (view.text in seen and node.depth):
                continue
            seen.add(view.text)
            found.append(view)
            queue.append(child)
    return found


def _safe_view(node: _Node) -> View | None:
    """The canonical view of a node, or None if anything goes wrong (never raise on input)."""
    try:
        return _view_of(node)
    except Exception:  # noqa: BLE001 - robustness over completeness for hostile input
        return None


def views(text: str) -> list[View]:
    """All views of a text to match: ``[canonical(text)] + decodings(text)``."""
    return [canonical(text), *decodings(text)]
