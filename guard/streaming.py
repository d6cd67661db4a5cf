"""Streaming that yields only checked text: a hold-back buffer for black boxes, release-after-check for
local models.

**Black boxes** (`hold_back`): chunks are appended to a buffer; every ``check_chars`` new characters (and at
sentence ends and at the end) the newest window of the text received so far is checked, and text is
released up to ``hold`` skeleton characters (letters and digits, as the verbatim layer counts them) before
the end of what was checked. Guarantee: every released character was part of a text the guard allowed,
together with at least ``hold`` skeleton characters received after it. Let ``D`` be the number of copied
skeleton characters at which the verbatim layer flags an item (``ceil(threshold * min(100, item
length))``, 65 for a long item at the default threshold). A contiguous copy of forbidden text is flagged
before any of it is released when ``hold >= D``; in general, fewer than ``max(0, D - hold)`` of its
characters can ever be released. The default ``hold`` is ``D`` for the index, so no part of a verbatim copy
is released. A semantic window (one to three sentences) is released only once checked as a whole.
When a check flags, the stream ends with the refusal (block, regenerate) or releases the held text with the
flagged spans masked (redact).

**Local models** (`stream_decode`): the guarded decode loop (`guard.steering.decode`) checks every
``check_every`` tokens and at sentence ends; tokens are released once a check covering them has passed, and
a roll-back never goes below what was released. The verbatim blocker makes runs of ``max_run`` (16)
skeleton characters impossible in the first place, so no hold-back is needed for them: the longest
verbatim run ever released is ``max_run - 1`` characters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from guard.detectors.verbatim import CAP
from guard.generators import REFUSAL
from guard.guard import Guard
from guard.normalize import canonical, skeleton
from guard.types import Action, redact
from guard.windows import sentences

_MASK = "[REDACTED]"


def default_hold(guard: Guard) -> int:
    """``D``: skeleton characters of a contiguous copy at which the verbatim layer flags a long item."""
    return math.ceil(guard.index.thresholds["verbatim"] * CAP)


class HoldBack:
    """The buffer behind `hold_back`; ``push`` a chunk, get back the text it releases (maybe "")."""

    def __init__(self, guard: Guard, *, hold: int | None = None, check_chars: int = 48, refusal: str = REFUSAL) -> None:
        self.guard = guard
        self.hold = default_hold(guard) if hold is None else hold
        self.check_chars = check_chars
        self.refusal = refusal
        self.text = ""
        self.released = 0  # characters of `text` released
        self.checked = 0  # length of `text` at the last passing check
        self.stopped = False

    def push(self, chunk: str) -> str:
        if self.stopped:
            return ""
        self.text += chunk
        ends_sentence = any(c in chunk for c in ".!?\n")
        if len(self.text) - self.checked < self.check_chars and not ends_sentence:
            return ""
        return self._check(final=False)

    def close(self) -> str:
        return "" if self.stopped else self._check(final=True)

    def _check(self, *, final: bool) -> str:
        start = _region_start(self.text, self.released)
        verdict = self.guard.check(self.text[start:]) if self.text[start:].strip() else None
        if verdict is not None and not verdict.allowed:
            self.stopped = True
            if verdict.action is Action.REDACT:
                region = self.text[start:]
                masked = redact(region, verdict, mask=_MASK)
                return masked[_redacted_offset(masked, region, self.released - start) :]
            return ("\n" if self.released else "") + self.refusal
        self.checked = len(self.text)
        upto = len(self.text) if final else _release_point(self.text, self.released, self.hold)
        out = self.text[self.released : upto]
        self.released = max(self.released, upto)
        return out


def hold_back(chunks: Iterable[str], guard: Guard, *, hold: int | None = None, check_chars: int = 48) -> Iterator[str]:
    """Yield the text of ``chunks`` (a black box's stream) once checked; see the module docstring.

    Example:
        >>> for piece in hold_back(api_stream(prompt), guard):   # doctest: +SKIP
        ...     print(piece, end="", flush=True)
    """
    buffer = HoldBack(guard, hold=hold, check_chars=check_chars)
    for chunk in chunks:
        out = buffer.push(chunk)
        if out:
            yield out
        if buffer.stopped:
            return
    out = buffer.close()
    if out:
        yield out


def _region_start(text: str, released: int) -> int:
    """Check from two sentences before the release point, so every window that reaches held text is seen."""
    starts = [s for s, _ in sentences(text) if s <= released]
    return starts[-3] if len(starts) >= 3 else 0


def _release_point(text: str, released: int, hold: int) -> int:
    """The largest offset with at least ``hold`` skeleton characters after it (never below ``released``)."""
    if hold <= 0:
        return len(text)
    sk = skeleton(canonical(text[released:]))
    if len(sk.text) <= hold:
        return released
    return released + int(sk.starts[len(sk.text) - hold])


# --- local models ---------------------------------------------------------------------------------
def stream_decode(decoder: Any, prompt_ids: Sequence[int], *, max_new_tokens: int, sampling: Any,
                  results: list[Any] | None = None) -> Iterator[str]:  # fmt: skip
    """Yield the text of a guarded decode as checks pass; the `GenerationResult` is appended to ``results``.

    ``decoder`` is a `guard.steering.decode.Decoder`; its steering should set ``check_every`` (a few tokens)
    for a short time to first text: with sentence-end checks only, text comes a sentence at a time.
    """
    run = decoder.start(prompt_ids)
    sent = 0  # characters yielded
    while not run.finish:
        decoder.step(run, max_new_tokens=max_new_tokens, sampling=sampling)
        ready = len(run.generated) if decoder.guard is None or not decoder.steering.semantic else run.checked_tokens
        if ready > run.floor and not run.finish:
            run.floor = ready
            upto = run.ends[ready - 1]
            if upto > sent:
                yield run.text[sent:upto]
                sent = upto
    result = decoder.result(run)
    if results is not None:
        results.append(result)
    if result.action is Action.ALLOW:
        if len(result.text) > sent:
            yield result.text[sent:]
    elif result.action is Action.REDACT:
        tail = result.text[_redacted_offset(result.text, run.text, sent) :]
        if tail:
            yield tail
    else:
        yield ("\n" if sent else "") + result.text


def _redacted_offset(redacted: str, text: str, sent: int) -> int:
    """Where the unsent part starts in the redacted text (the common prefix with the original, capped)."""
    n = 0
    while n < min(sent, len(redacted), len(text)) and redacted[n] == text[n]:
        n += 1
    return n
