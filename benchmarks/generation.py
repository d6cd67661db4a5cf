"""Generation speed, unguarded vs guarded, on the embedded SmolLM2 (``python -m benchmarks generation``).

Tokens per second of greedy decoding through the same decode loop (and, for reference, transformers'
``model.generate``): unguarded, the verbatim blocker alone,
and the blocker with semantic checks at sentence ends and every 8 tokens; plus time to first released text
when streaming (unguarded: the first token). Prompts are benign (nothing should be vetoed), so the figures
are the cost of guarding, not of rolling back. Configurations run interleaved, prompt by prompt, so that
load from other processes on a shared machine affects them alike. Index: the demo policy. Writes
benchmarks/results/generation.json.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

PROMPTS = [
    "Write a short paragraph about how lighthouses work.",
    "Explain in a few sentences why the sky is blue.",
    "Give three tips for keeping a vegetable garden healthy.",
    "Describe a quiet morning at a harbour.",
]
NEW_TOKENS = 64
CONFIGS = {
    "unguarded": None,
    "verbatim": {"semantic": False},
    "verbatim+semantic@sentence": {"semantic": True},
    "verbatim+semantic@8tok": {"semantic": True, "check_every": 8},
}


def run(data: Path, *args: str) -> None:
    from benchmarks.common import write_result

    model, tokenizer, guard = _setup()
    rows = {"model.generate": _generate_baseline(model, tokenizer)}
    rows |= _throughput_all(model, tokenizer, guard)
    base = rows["unguarded"]["tokens_per_s"]
    for row in rows.values():
        row["ratio"] = round(row["tokens_per_s"] / base, 3)
    ttft = {name: _first_text(model, tokenizer, guard if cfg else None, cfg) for name, cfg in
            (("unguarded", None), ("guarded", {"semantic": True}))}  # fmt: skip
    result = {"model": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized, CPU)", "new_tokens": NEW_TOKENS,
              "prompts": len(PROMPTS), "throughput": rows, "time_to_first_text_s": ttft,
              "targets": {"verbatim": 0.85, "verbatim+semantic@sentence": 0.75}}  # fmt: skip
    print(write_result("generation", result))


def _setup() -> tuple[Any, Any, Any]:
    import tempfile

    from guard.embedding import load_embedder
    from guard.generators.embedded import load_embedded
    from guard.guard import Guard
    from guard.index import build_index
    from guard.policy import load_policy

    demo = Path(__file__).resolve().parent.parent / "indexes" / "demo" / "policy.yaml"
    embedder = load_embedder("default")
    folder = Path(tempfile.mkdtemp(prefix="guard-bench-")) / "index"
    build_index(load_policy(demo).items, embedder).save(folder)
    model, tokenizer = load_embedded()
    return model, tokenizer, Guard.load(folder, embedder=embedder)


def _decoder(model: Any, tokenizer: Any, guard: Any, cfg: dict[str, Any] | None) -> Any:
    from guard.steering.decode import Decoder, Steering

    return Decoder(model, tokenizer, guard if cfg is not None else None, steering=Steering(**(cfg or {})))


def _prompt(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                              return_dict=True)["input_ids"])  # fmt: skip


def _throughput_all(model: Any, tokenizer: Any, guard: Any, repeats: int = 2) -> dict[str, dict[str, Any]]:
    """Every configuration on each prompt in turn (interleaved, so load from other processes hits all alike)."""
    decoders = {name: _decoder(model, tokenizer, guard, cfg) for name, cfg in CONFIGS.items()}
    for decoder in decoders.values():
        decoder.generate(_prompt(tokenizer, "Hi."), max_new_tokens=4)  # warm-up
    totals = {name: {"tokens": 0, "seconds": 0.0, "vetoed": 0, "backtracks": 0} for name in decoders}
    for _ in range(repeats):
        for text in PROMPTS:
            prompt = _prompt(tokenizer, text)
            for name, decoder in decoders.items():
                start = time.perf_counter()
                result = decoder.generate(prompt, max_new_tokens=NEW_TOKENS)
                row = totals[name]
                row["seconds"] += time.perf_counter() - start
                row["tokens"] += len(result.token_ids)
                row["vetoed"] += result.vetoed_tokens
                row["backtracks"] += result.backtracks
    for row in totals.values():
        row["tokens_per_s"] = round(row["tokens"] / row["seconds"], 2)
        row["seconds"] = round(row["seconds"], 2)
    return totals


def _generate_baseline(model: Any, tokenizer: Any) -> dict[str, Any]:
    """transformers' own greedy ``generate``, for reference (the ratios are against our unguarded loop)."""
    import torch

    tokens, seconds = 0, 0.0
    for text in PROMPTS:
        ids = torch.tensor([_prompt(tokenizer, text)])
        start = time.perf_counter()
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, do_sample=False)
        seconds += time.perf_counter() - start
        tokens += out.shape[1] - ids.shape[1]
    return {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 2)}


def _first_text(model: Any, tokenizer: Any, guard: Any, cfg: dict[str, Any] | None) -> float:
    from guard.generators.transformers import GuardedModel
    from guard.steering.decode import Steering

    guarded = GuardedModel(model, tokenizer, guard, steering=Steering(**(cfg or {})))
    waits = []
    for text in PROMPTS:
        start = time.perf_counter()
        stream = guarded.stream(text, max_new_tokens=NEW_TOKENS)
        next(stream)
        waits.append(time.perf_counter() - start)
        stream.close()  # type: ignore[attr-defined]  # a generator, typed as an Iterator
    return round(sum(waits) / len(waits), 3)
