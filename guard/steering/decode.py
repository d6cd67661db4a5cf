"""The guarded decode loop: one sequence, token by token, with the verbatim blocker and semantic roll-back.

``model.generate`` cannot take back a token, so this small loop drives the model itself (one forward per
token on a ``DynamicCache``), which lets it:

* veto tokens with the verbatim blocker (`guard.steering.verbatim`) before choosing;
* check the newest window with `Guard` at sentence ends (or every ``check_every`` tokens); on a hit, roll
  back to the start of the flagged span by cropping the KV cache (the prompt is never recomputed), forbid
  the token that opened the span at that position, and continue;
* after ``retries`` failed roll-backs at one place, fall back to the item's action (block, or redact and
  stop there).

Greedy decoding with nothing forbidden gives exactly ``model.generate(do_sample=False)``'s tokens (tested).
Sampling uses transformers' own temperature, top-k and top-p warpers and torch's global RNG.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from guard.detectors.verbatim import MIN_RUN
from guard.generators import REFUSAL
from guard.guard import Guard
from guard.steering.verbatim import VerbatimBlocker
from guard.types import Action, GenerationResult, Verdict, redact
from guard.windows import sentences

_SENTENCE_END = re.compile(r"[.!?\n]")
_CHECK_SENTENCES = 3  # windows join at most 3 sentence units: the newest window starts 2 sentences back


@dataclass(frozen=True)
class Steering:
    """How a local model is steered.

    Attributes:
        verbatim: run the verbatim blocker (veto tokens that would complete a forbidden run).
        semantic: check the newest window with the guard while decoding and roll back on a hit.
        check_every: also check every this many tokens (None: at sentence ends only; cheaper).
        retries: roll-backs allowed at one position before falling back to the item's action.
        max_backtracks: roll-backs allowed in one generation, all positions together.
        max_run: skeleton characters of a forbidden run the blocker never lets complete.
        top_k: candidates the blocker checks per step (tokens below them are removed).
        refusal: the text returned when the action is to block.
        suspect_margin: after a roll-back, later checks in the same generation flag any item from a leak
            score of ``0.5 - suspect_margin`` (see `guard.guard.leak_score`), so the model cannot rephrase
            its way just under the threshold; 0 turns this off.
    """

    verbatim: bool = True
    semantic: bool = True
    check_every: int | None = None
    retries: int = 3
    max_backtracks: int = 12
    max_run: int = MIN_RUN
    top_k: int = 50
    refusal: str = REFUSAL
    suspect_margin: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.suspect_margin < 0.5:
            raise ValueError(f"suspect_margin must be in [0, 0.5), got {self.suspect_margin}")
        if self.check_every is not None and self.check_every < 1:
            raise ValueError(f"check_every must be >= 1 or None, got {self.check_every}")
        if self.retries < 0 or self.max_backtracks < 0:
            raise ValueError("retries and max_backtracks must be >= 0")


@dataclass(frozen=True)
class Sampling:
    """Greedy (the default) or sampling with temperature, top-k and top-p, as ``model.generate`` takes them."""

    do_sample: bool = False
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def warpers(self) -> list[Any]:
        from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

        out: list[Any] = []
        if not self.do_sample:
            return out
        if self.temperature != 1.0:
            out.append(TemperatureLogitsWarper(self.temperature))
        if self.top_k:
            out.append(TopKLogitsWarper(self.top_k))
        if self.top_p is not None and self.top_p < 1.0:
            out.append(TopPLogitsWarper(self.top_p))
        return out


@dataclass
class _State:
    """The sequence being decoded; ``ids`` holds prompt + generated tokens, the cache all but the last."""

    ids: list[int]
    prompt_length: int
    cache: Any
    ends: list[int] = field(default_factory=list)  # character end of each generated token in `text`
    text: str = ""
    banned: dict[int, set[int]] = field(default_factory=dict)  # generated position -> forbidden tokens
    retries: dict[int, int] = field(default_factory=dict)
    backtracks: int = 0
    checked_tokens: int = 0  # generated tokens covered by the last passing check
    floor: int = 0  # generated tokens already released (a stream can't take them back)
    finish: str = ""
    fallback: Verdict | None = None
    suspect: bool = False  # rolled back once: from then on every item is held to the stricter bar

    @property
    def generated(self) -> list[int]:
        return self.ids[self.prompt_length :]


class Decoder:
    """Guarded decoding of one sequence at a time for a transformers causal LM.

    Args:
        model: a transformers causal LM (eval mode).
        tokenizer: its tokenizer.
        guard: the guard to check against; None decodes unguarded (the same loop, for comparisons).
        steering: see `Steering`.
        processors: more logits processors applied before the blocker (an outlines processor...).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        guard: Guard | None,
        *,
        steering: Steering = Steering(),
        processors: Sequence[Any] = (),
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.guard = guard
        self.steering = steering
        self.processors = list(processors)
        self.blocker = (
            VerbatimBlocker(guard.index.verbatim, tokenizer, max_run=steering.max_run, top_k=steering.top_k)
            if guard is not None and steering.verbatim
            else None
        )
        params = inspect.signature(model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"  # renamed in transformers 5.x
        self._keep_last = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        eos = (
            model.generation_config.eos_token_id
            if model.generation_config.eos_token_id is not None
            else tokenizer.eos_token_id
        )
        self.eos = set(eos if isinstance(eos, list) else [eos]) - {None}

    # --- public -----------------------------------------------------------------------------------
    def generate(
        self, prompt_ids: Sequence[int], *, max_new_tokens: int = 256, sampling: Sampling = Sampling()
    ) -> GenerationResult:
        """Decode from ``prompt_ids`` (one sequence, no padding) and return the checked result."""
        run = self.start(prompt_ids)
        while not run.finish:
            self.step(run, max_new_tokens=max_new_tokens, sampling=sampling)
        return self.result(run)

    def start(self, prompt_ids: Sequence[int]) -> _State:
        from transformers import DynamicCache

        if not len(prompt_ids):
            raise ValueError("the prompt is empty: give at least one token")
        if self.blocker is not None:
            self.blocker.reset(len(prompt_ids))
        return _State(list(prompt_ids), len(prompt_ids), DynamicCache(config=self.model.config))

    @torch.inference_mode()
    def step(self, run: _State, *, max_new_tokens: int, sampling: Sampling) -> None:
        """Choose and append one token, then check; sets ``run.finish`` when decoding is over."""
        position = len(run.generated)
        scores = self._scores(run, position, sampling)
        token = self._choose(scores, sampling)
        if token in self.eos:
            if not self._check(run, final=True):
                return
            run.finish = "stop"
            return
        run.ids.append(token)
        self._extend_text(run)
        due = self._due(run, token)
        if due and not self._check(run, final=False):
            return
        if len(run.generated) >= max_new_tokens:
            if self._check(run, final=True):
                run.finish = "length"

    def result(self, run: _State) -> GenerationResult:
        """The final check of the whole generated text, and the action it calls for."""
        vetoed = self.blocker.vetoed if self.blocker is not None else 0
        text = self.tokenizer.decode(run.generated, skip_special_tokens=True)
        verdict = run.fallback or self._final_verdict(text, run)
        if verdict.allowed:
            out, action = text, Action.ALLOW
        elif verdict.action is Action.REDACT:
            out, action = redact(text, verdict), Action.REDACT
        else:
            out, action = self.steering.refusal, Action.BLOCK
        finish = "blocked" if action is Action.BLOCK else run.finish
        return GenerationResult(out, verdict, action, vetoed, run.backtracks, tuple(run.generated), finish)

    def _final_verdict(self, text: str, run: _State) -> Verdict:
        if self.guard is None or not text.strip():
            return Verdict(True, Action.ALLOW, 0.0)
        return self._guarded_check(self.guard, text, run)

    def _guarded_check(self, guard: Guard, text: str, run: _State) -> Verdict:
        """``guard.check``, with every item held to the stricter bar once ``run`` has rolled back."""
        suspects = guard.index.item_ids if run.suspect else ()
        return guard.check(text, suspects=suspects, margin=self.steering.suspect_margin)

    # --- decoding ---------------------------------------------------------------------------------
    def _scores(self, run: _State, position: int, sampling: Sampling) -> torch.Tensor:
        cached = run.cache.get_seq_length()
        feed = torch.tensor([run.ids[cached:]], dtype=torch.long)
        out = self.model(input_ids=feed, use_cache=True, **{self._cache_kw: run.cache}, **self._keep_last)
        scores = out.logits[:, -1, :].float()
        ids = torch.tensor([run.ids], dtype=torch.long)
        banned = run.banned.get(position)
        if banned:
            scores[0, list(banned)] = -torch.inf
        for processor in self.processors:
            scores = processor(ids, scores)
        if self.blocker is not None:
            scores = self.blocker(ids, scores)
        for warper in sampling.warpers():
            scores = warper(ids, scores)
        return scores

    @staticmethod
    def _choose(scores: torch.Tensor, sampling: Sampling) -> int:
        if sampling.do_sample:
            probs = torch.softmax(scores, dim=-1)
            return int(torch.multinomial(probs[0], 1))
        return int(torch.argmax(scores[0]))

    def _extend_text(self, run: _State) -> None:
        run.text = self.tokenizer.decode(run.generated, skip_special_tokens=True)
        run.ends.append(len(run.text))

    def _due(self, run: _State, token: int) -> bool:
        if self.guard is None or not self.steering.semantic:
            return False
        every = self.steering.check_every
        if every is not None and len(run.generated) - run.checked_tokens >= every:
            return True
        return bool(_SENTENCE_END.search(self.tokenizer.decode([token], skip_special_tokens=True)))

    # --- checking and rolling back -------------------------------------------------------------------
    def _check(self, run: _State, *, final: bool) -> bool:
        """Check the newest window; on a hit roll back (False) or fall back (finish; False). True: go on."""
        if self.guard is None or not self.steering.semantic or not run.text.strip():
            return True
        if final and run.checked_tokens == len(run.generated):
            return True
        start = _window_start(run.text)
        verdict = self._guarded_check(self.guard, run.text[start:], run)
        if verdict.allowed:
            run.checked_tokens = len(run.generated)
            return True
        shifted = tuple(replace(f, start=f.start + start, end=f.end + start) for f in verdict.findings)
        verdict = replace(verdict, findings=shifted)
        run.suspect = True
        self._roll_back(run, _token_at(run.ends, max(f.start for f in shifted)), verdict)
        return False

    def _roll_back(self, run: _State, position: int, verdict: Verdict) -> None:
        position = max(position, run.floor)
        tries = run.retries.get(position, 0) + 1
        if (
            tries > self.steering.retries
            or run.backtracks >= self.steering.max_backtracks
            or position >= len(run.generated)
        ):
            run.fallback, run.finish = verdict, "fallback"
            return
        run.retries[position] = tries
        run.backtracks += 1
        run.banned = {p: b for p, b in run.banned.items() if p <= position}
        run.banned.setdefault(position, set()).add(run.generated[position])
        del run.ids[run.prompt_length + position :]
        del run.ends[position:]
        run.text = run.text[: run.ends[-1]] if run.ends else ""
        run.checked_tokens = min(run.checked_tokens, position)
        _crop(run.cache, len(run.ids) - 1)


def _window_start(text: str) -> int:
    """Where the newest window (the last ``_CHECK_SENTENCES`` sentences) begins."""
    spans = sentences(text)
    return spans[-_CHECK_SENTENCES][0] if len(spans) >= _CHECK_SENTENCES else 0


def _token_at(ends: list[int], char: int) -> int:
    """The generated position of the token containing character ``char`` (the first ending after it)."""
    import bisect

    return bisect.bisect_right(ends, char)


def _crop(cache: Any, length: int) -> None:
    """Keep the first ``length`` positions of a DynamicCache."""
    remove = cache.get_seq_length() - length
    if remove > 0:
        cache.crop(-remove)
