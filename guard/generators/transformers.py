"""`GuardedModel`: a transformers causal LM whose ``generate`` output passes the guard.

``GuardedModel.generate`` is called like ``model.generate`` (``input_ids``, ``attention_mask``,
``max_new_tokens``, ``do_sample``, ``temperature``, ``top_k``, ``top_p``, ``streamer``) and returns the same
shape: prompt ids followed by the generated ids, rows padded on the right with ``pad_token_id``. It runs the
guarded decode loop (`guard.steering.decode`), which can roll back, so a batch is decoded **one row at a
time** (same output as a batch, slower than batched decoding). Options it cannot honour (beam search...)
are refused, not ignored. When a row's output is blocked or redacted its ids are those of the refusal or of
the redacted text. ``last_results`` holds one `GenerationResult` per row of the last call.

``complete`` and ``stream`` take a prompt string (or chat messages) and apply the chat template.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch

from guard.guard import Guard
from guard.steering.decode import Decoder, Sampling, Steering
from guard.streaming import stream_decode
from guard.types import Action, GenerationResult

_SUPPORTED = {"input_ids", "attention_mask", "max_new_tokens", "do_sample", "temperature", "top_k", "top_p",
              "streamer", "pad_token_id", "eos_token_id", "generation_config"}  # fmt: skip
_STREAM_CHECK_EVERY = 8  # tokens between checks while streaming (time to first text ~ 8 tokens)


class GuardedModel:
    """``model.generate``, guarded. Build it with `guard.wrap(model, tokenizer, guard)`.

    Example:
        >>> guarded = guard.wrap(model, tokenizer, g)                            # doctest: +SKIP
        >>> out = guarded.generate(**tokenizer("Hi", return_tensors="pt"), max_new_tokens=20)  # doctest: +SKIP
        >>> guarded.last_results[0].backtracks                                   # doctest: +SKIP
        0
    """

    def __init__(self, model: Any, tokenizer: Any, guard: Guard | None, *, steering: Steering | None = None,
                 processors: Sequence[Any] = ()) -> None:  # fmt: skip
        self.model = model
        self.tokenizer = tokenizer
        self.guard = guard
        self.steering = steering = steering or Steering()
        self.decoder = Decoder(model, tokenizer, guard, steering=steering, processors=processors)
        self.last_results: list[GenerationResult] = []

    # --- model.generate's shape -------------------------------------------------------------------
    def generate(self, input_ids: Any = None, attention_mask: Any = None, **kwargs: Any) -> torch.Tensor:
        """Like ``model.generate``: ``(batch, prompt + new)`` long tensor; see the module docstring."""
        unknown = sorted(set(kwargs) - _SUPPORTED)
        if unknown:
            raise TypeError(
                f"guarded generate does not support {unknown}; supported: {sorted(_SUPPORTED - {'generation_config'})}"
            )
        if input_ids is None:
            raise TypeError("guarded generate needs input_ids (a (batch, length) tensor)")
        input_ids = torch.as_tensor(input_ids).reshape(-1, torch.as_tensor(input_ids).shape[-1])
        mask = torch.ones_like(input_ids) if attention_mask is None else torch.as_tensor(attention_mask)
        sampling, max_new = self._options(kwargs)
        streamer = kwargs.get("streamer")
        if streamer is not None and input_ids.shape[0] != 1:
            raise ValueError("a streamer needs a batch of one row, as with model.generate")
        self.last_results = []
        rows = []
        for row, row_mask in zip(input_ids, mask):
            prompt = row[row_mask.bool()].tolist()
            new = (
                self._stream_row(prompt, max_new, sampling, row, streamer)
                if streamer
                else self._row(prompt, max_new, sampling)
            )
            rows.append(torch.cat([row, torch.tensor(new, dtype=row.dtype)]))
        return _pad_right(rows, self._pad_id(kwargs))

    def _row(self, prompt: list[int], max_new: int, sampling: Sampling) -> list[int]:
        result = self.decoder.generate(prompt, max_new_tokens=max_new, sampling=sampling)
        self.last_results.append(result)
        return self._output_ids(result)

    def _stream_row(self, prompt: list[int], max_new: int, sampling: Sampling, row: Any, streamer: Any) -> list[int]:
        streamer.put(row.unsqueeze(0))
        for piece in self._stream(prompt, max_new, sampling):
            streamer.put(torch.tensor(self.tokenizer.encode(piece, add_special_tokens=False)))
        streamer.end()
        return self._output_ids(self.last_results[-1])

    def _output_ids(self, result: GenerationResult) -> list[int]:
        if result.action is not Action.ALLOW:
            return list(self.tokenizer.encode(result.text, add_special_tokens=False))
        eos = [min(self.decoder.eos)] if result.finish_reason == "stop" and self.decoder.eos else []
        return list(result.token_ids) + eos

    def _options(self, kwargs: dict[str, Any]) -> tuple[Sampling, int]:
        config = kwargs.get("generation_config") or self.model.generation_config
        pick = lambda name: kwargs[name] if kwargs.get(name) is not None else getattr(config, name, None)  # noqa: E731
        max_new = pick("max_new_tokens") or 256
        do_sample = bool(pick("do_sample"))
        sampling = Sampling(do_sample, pick("temperature") or 1.0, pick("top_k"), pick("top_p"))
        return sampling, int(max_new)

    def _pad_id(self, kwargs: dict[str, Any]) -> int:
        for value in (kwargs.get("pad_token_id"), self.model.generation_config.pad_token_id,
                      self.tokenizer.pad_token_id, self.tokenizer.eos_token_id):  # fmt: skip
            if value is not None:
                return int(value)
        return 0

    # --- text in, text out ------------------------------------------------------------------------
    def complete(self, prompt: str | list[dict[str, str]], *, max_new_tokens: int = 256, chat: bool = True,
                 **sampling: Any) -> GenerationResult:  # fmt: skip
        """Generate a reply to ``prompt`` (chat template applied when the tokenizer has one and ``chat``)."""
        result = self.decoder.generate(self.encode(prompt, chat=chat), max_new_tokens=max_new_tokens,
                                       sampling=Sampling(**sampling))  # fmt: skip
        self.last_results = [result]
        return result

    def stream(self, prompt: str | list[dict[str, str]], *, max_new_tokens: int = 256, chat: bool = True,
               **sampling: Any) -> Iterator[str]:  # fmt: skip
        """Yield the reply's text as it passes the checks (see `guard.streaming`); result in ``last_results``."""
        self.last_results = []
        yield from self._stream(self.encode(prompt, chat=chat), max_new_tokens, Sampling(**sampling))

    def _stream(self, prompt: list[int], max_new: int, sampling: Sampling) -> Iterator[str]:
        decoder = self.decoder
        every = self.steering.check_every
        if self.guard is not None and self.steering.semantic and (every is None or every > _STREAM_CHECK_EVERY):
            from dataclasses import replace

            decoder = Decoder(self.model, self.tokenizer, self.guard, processors=self.decoder.processors,
                              steering=replace(self.steering, check_every=_STREAM_CHECK_EVERY))  # fmt: skip
        yield from stream_decode(decoder, prompt, max_new_tokens=max_new, sampling=sampling, results=self.last_results)

    def encode(self, prompt: str | list[dict[str, str]], *, chat: bool = True) -> list[int]:
        """Token ids of a prompt; a string becomes one user message when the chat template is used."""
        if chat and getattr(self.tokenizer, "chat_template", None):
            messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
            encoded = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
            return list(encoded["input_ids"])
        if not isinstance(prompt, str):
            raise TypeError("chat messages need a tokenizer with a chat template")
        return list(self.tokenizer.encode(prompt))


def _pad_right(rows: list[torch.Tensor], pad: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), pad, dtype=rows[0].dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out
