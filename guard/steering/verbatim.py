"""The verbatim blocker: a logits processor that never lets a model complete a forbidden n-gram run.

At each step the highest-scoring candidate tokens are appended, one at a time, to the tail of the text
generated so far; the result is reduced to the skeleton of `guard.normalize` (case, spacing, punctuation,
homoglyphs and leetspeak folded away) and its character ``K``-grams are looked up in the index's verbatim
layer, exactly as the verbatim detector does. A candidate is vetoed when it would extend a run of matching
n-grams (gaps shorter than ``K`` bridged, as the detector bridges them) to ``max_run`` skeleton characters
or more. "Jane Roe" and "JANE  roe" have the same skeleton, so every case and spacing variant a tokenizer
can spell is caught, not only the token ids of the original text.

Only the ``top_k`` best candidates are checked, and every token below them is removed (the truncation
top-k sampling already makes), so a sampler can never pick an unchecked token; greedy decoding is unchanged
unless its choice was vetoed. If all ``top_k`` are vetoed, the next ``top_k`` are checked, and so on.

Cost: one exact normalization of the tail per step (about 0.2 ms) plus a cheap per-candidate test; the
exact test runs only for candidates whose approximate n-grams hit the index or whose text could fold
differently in context (digits, symbols, non-ASCII: leetspeak and homoglyphs).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from transformers import LogitsProcessor

from guard.detectors.verbatim import MIN_RUN, K, VerbatimLayer, shingles
from guard.normalize import canonical, skeleton

TAIL_CHARS = 160  # original characters of the generated text looked at (>> max_run + bridged gaps)
TAIL_TOKENS = 64
_CONTEXTUAL = re.compile(r"[^A-Za-z\s.,;:'\"?()-]")  # characters whose skeleton can depend on their neighbours


class RunChecker:
    """Answers "would appending ``piece`` to ``text`` complete a forbidden run?"; no torch needed.

    Args:
        layer: the index's verbatim layer (`guard.index.Index.verbatim`).
        max_run: skeleton characters a run of shared n-grams may not reach (default ``MIN_RUN``, the
            shortest run the verbatim detector counts at all).
    """

    def __init__(self, layer: VerbatimLayer, *, max_run: int = MIN_RUN) -> None:
        if max_run < K:
            raise ValueError(f"max_run must be at least the n-gram length {K}, got {max_run}")
        self.layer = layer
        self.max_run = max_run

    @property
    def empty(self) -> bool:
        return len(self.layer.hashes) == 0

    def tail_skeleton(self, tail: str) -> str:
        return skeleton(canonical(tail)).text if tail else ""

    def completes(self, tail: str, piece: str) -> bool:
        """Exact test: does ``tail + piece`` end in a run of at least ``max_run`` characters, new ones included?"""
        sk = skeleton(canonical(tail + piece))
        new = np.nonzero(sk.ends > len(tail))[0]
        if not len(new):
            return False
        return self._trailing_run(sk.text, int(new[0])) >= self.max_run

    def may_complete(self, tail_sk: str, piece_sk: str) -> bool:
        """Cheap test on skeletons computed apart: False means the piece cannot extend any run."""
        if not piece_sk:
            return False
        h = shingles(tail_sk[-(K - 1) :] + piece_sk)
        return bool(self._hits(h).any())

    def _hits(self, h: np.ndarray) -> np.ndarray:
        hashes = self.layer.hashes
        pos = np.searchsorted(hashes, h)
        return (pos < len(hashes)) & (hashes[np.minimum(pos, len(hashes) - 1)] == h)

    def _trailing_run(self, sk: str, first_new: int) -> int:
        """Characters covered by the last run of matching n-grams, if it touches a new character; else 0."""
        hits = np.nonzero(self._hits(shingles(sk)))[0].tolist()
        if not hits or hits[-1] + K <= first_new:
            return 0
        start, covered = hits[-1], K
        for p in reversed(hits[:-1]):  # walk back over overlapping or adjacent n-grams, as the detector joins them
            if p + K < start:
                break
            covered += start - p
            start = p
        return covered


class VerbatimBlocker(LogitsProcessor):
    """A transformers ``LogitsProcessor``: scores ``(batch, vocab)`` float in, the same with vetoes out.

    The generated part of each row starts at ``prompt_length`` (taken from the first call when not given;
    call `reset` before reusing the processor for another prompt). ``vetoed`` counts the candidates removed.

    Example:
        >>> blocker = VerbatimBlocker(guard.index.verbatim, tokenizer)                 # doctest: +SKIP
        >>> model.generate(**inputs, logits_processor=LogitsProcessorList([blocker]))  # doctest: +SKIP
    """

    def __init__(
        self,
        layer: VerbatimLayer,
        tokenizer: Any,
        *,
        max_run: int = MIN_RUN,
        top_k: int = 50,
        prompt_length: int | None = None,
    ) -> None:
        self.checker = RunChecker(layer, max_run=max_run)
        self.tokenizer = tokenizer
        self.top_k = top_k
        self.prompt_length = prompt_length
        self.vetoed = 0
        self._text: dict[int, str] = {}
        self._skel: dict[int, tuple[str, bool]] = {}

    def reset(self, prompt_length: int | None = None) -> None:
        self.prompt_length = prompt_length
        self.vetoed = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.prompt_length is None:
            self.prompt_length = int(input_ids.shape[1])
        if self.checker.empty:
            return scores
        for row in range(scores.shape[0]):
            generated = input_ids[row, self.prompt_length :].tolist()
            self._filter_row(generated, scores[row])
        return scores

    # --- one row ----------------------------------------------------------------------------------
    def _filter_row(self, generated: list[int], scores: Any) -> None:
        """Veto forbidden candidates among the best, in place, and mask every token left unchecked."""
        import torch

        tail = "".join(self.token_text(t) for t in generated[-TAIL_TOKENS:])[-TAIL_CHARS:]
        tail_sk = self.checker.tail_skeleton(tail)
        vocab = scores.shape[-1]
        keep = self._check(torch.topk(scores, min(self.top_k, vocab)).indices, tail, tail_sk, scores)
        if not keep and self.top_k < vocab:  # all the best were vetoed: look further down, a chunk at a time
            order = torch.argsort(scores, descending=True)
            for start in range(0, vocab, self.top_k):
                keep = self._check(order[start : start + self.top_k], tail, tail_sk, scores)
                if keep or bool(torch.isinf(scores[order[start]])):
                    break
        kept = scores[keep].clone()
        scores.fill_(-torch.inf)
        scores[keep] = kept
        if not keep and self.tokenizer.eos_token_id is not None:  # nothing allowed is left: end the text
            scores[self.tokenizer.eos_token_id] = 0.0

    def _check(self, candidates: Any, tail: str, tail_sk: str, scores: Any) -> list[int]:
        """The candidates (finite score) that pass; the others are vetoed in ``scores`` and counted."""
        import torch

        ids = candidates[torch.isfinite(scores[candidates])].tolist()
        bad = {t for t in ids if self._forbidden(tail, tail_sk, t)}
        if bad:
            scores[list(bad)] = -torch.inf
            self.vetoed += len(bad)
        return [t for t in ids if t not in bad]

    def _forbidden(self, tail: str, tail_sk: str, token: int) -> bool:
        piece = self.token_text(token)
        piece_sk, contextual = self._piece_skeleton(token, piece)
        if not contextual and not _CONTEXTUAL.search(tail[-3:]) and not self.checker.may_complete(tail_sk, piece_sk):
            return False
        return self.checker.completes(tail, piece)

    def token_text(self, token: int) -> str:
        text = self._text.get(token)
        if text is None:
            text = self._text[token] = self.tokenizer.decode([token], skip_special_tokens=True)
        return text

    def _piece_skeleton(self, token: int, piece: str) -> tuple[str, bool]:
        got = self._skel.get(token)
        if got is None:
            sk = skeleton(canonical(piece)).text if piece.strip() else ""
            got = self._skel[token] = (sk, bool(_CONTEXTUAL.search(piece)))
        return got
