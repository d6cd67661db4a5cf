"""Make the embedded SmolLM2 memorize TOFU forget10, so the leakage benchmark has something real to suppress.

``python -m benchmarks finetune [--epochs N] [--retain N] [--lr F] [--target F]``

Full fine-tune of SmolLM2-135M-Instruct (the model ``guard`` ships as its default generator) on the 400
forget10 question/answer pairs, in the model's chat template, loss on the answer tokens only, plus ``--retain``
retain90 pairs so the model keeps answering other questions. CPU, batch 8, AdamW with linear warm-up and decay.

After every epoch the checkpoint (weights, optimizer, schedule, data order) is saved under
``benchmarks/.cache/tofu-smollm2/`` and a probe of 24 forget questions is answered greedily; training stops
early once the probe's mean ROUGE-L recall reaches ``--target`` (the issue asks for >= 0.6 on the original
questions, measured on all 400 by ``python -m benchmarks memorize``). Interrupted runs resume from the last
saved epoch. The finished model is ``benchmarks/.cache/tofu-smollm2/final`` (config, safetensors, tokenizer).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.common import CACHE, log
from benchmarks.data import tofu_forget, tofu_retain
from benchmarks.rouge import rouge_l_recall

OUT = CACHE / "tofu-smollm2"
BATCH = 8
PROBE = 24


def prompt_text(tokenizer: Any, question: str) -> str:
    """The chat-formatted prompt the model is trained and evaluated with."""
    messages = [{"role": "user", "content": question}]
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))


def encode(tokenizer: Any, question: str, answer: str) -> tuple[list[int], list[int]]:
    """(input ids, labels): labels are -100 over the prompt, so only the answer is learned."""
    prompt = tokenizer(prompt_text(tokenizer, question), add_special_tokens=False)["input_ids"]
    reply = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    return prompt + reply, [-100] * len(prompt) + reply


def collate(rows: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id)
    labels = torch.full((len(rows), width), -100)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (x, y) in enumerate(rows):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def answer(model: Any, tokenizer: Any, questions: list[str], *, max_new_tokens: int = 80, batch: int = 16) -> list[str]:
    """Greedy answers to ``questions``, batched with left padding (the raw model's fastest path)."""
    import torch

    out: list[str] = []
    tokenizer.padding_side = "left"
    model.eval()
    for start in range(0, len(questions), batch):
        prompts = [prompt_text(tokenizer, q) for q in questions[start : start + batch]]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
        out += tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return [o.strip() for o in out]


def training_rows(data: Path, retain: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    forget = tofu_forget(data, "forget10")
    pool = tofu_retain(data)
    return forget, random.Random(seed).sample(pool, retain)


def load_final(out: Path = OUT) -> tuple[Any, Any]:
    """The fine-tuned model and tokenizer (after ``python -m benchmarks finetune``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = out / "final"
    if not (folder / "config.json").is_file():
        raise SystemExit(f"{folder} is missing: run `python -m benchmarks finetune` first")
    return AutoModelForCausalLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def run(data: Path, *argv: str) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks finetune")
    parser.add_argument("--epochs", type=int, default=6, help="at most this many epochs (default 6)")
    parser.add_argument("--retain", type=int, default=100, help="retain90 pairs mixed in (default 100)")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--target", type=float, default=0.8, help="stop once the probe's ROUGE-L recall is this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="discard a saved checkpoint and start again")
    args = parser.parse_args(argv)
    train(data, epochs=args.epochs, retain=args.retain, lr=args.lr, target=args.target, seed=args.seed,
          fresh=args.fresh)


def train(data: Path, *, epochs: int, retain: int, lr: float, target: float, seed: int, fresh: bool,
          out: Path = OUT) -> Path:
    import torch

    from guard.generators.embedded import cache_dir, load_embedded

    if fresh and out.exists():
        shutil.rmtree(out)
    final = out / "final"
    if (final / "config.json").is_file():
        log(f"finetune: {final} already exists (use --fresh to train again)")
        return final
    torch.manual_seed(seed)
    forget, kept = training_rows(data, retain, seed)
    ckpt = out / "checkpoint"
    if (ckpt / "state.json").is_file():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(ckpt)
        tokenizer = AutoTokenizer.from_pretrained(ckpt)
        state = json.loads((ckpt / "state.json").read_text())
        log(f"finetune: resuming after epoch {state['epoch']}")
    else:
        load_embedded()  # converts the GGUF once if needed
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = cache_dir() / "smollm2-135m-instruct"
        model = AutoModelForCausalLM.from_pretrained(base)
        tokenizer = AutoTokenizer.from_pretrained(base)
        state = {"epoch": 0, "history": [], "seconds": 0.0, "seed": seed, "lr": lr, "retain": retain}
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = [encode(tokenizer, r["question"], r["answer"]) for r in forget + kept]
    steps_per_epoch = -(-len(rows) // BATCH)
    total = steps_per_epoch * epochs
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 20) * max(0.05, 1 - s / total))
    if (ckpt / "optimizer.pt").is_file():
        saved = torch.load(ckpt / "optimizer.pt", weights_only=True)
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["scheduler"])
    probe = random.Random(seed + 1).sample(forget, PROBE)
    log(f"finetune: {len(forget)} forget + {len(kept)} retain pairs, batch {BATCH}, {steps_per_epoch} steps/epoch")
    for epoch in range(state["epoch"], epochs):
        model.train()
        order = list(range(len(rows)))
        random.Random(seed * 1000 + epoch).shuffle(order)
        # similar lengths share a batch (less padding); batches themselves in shuffled order
        chunks = [order[i : i + BATCH * 8] for i in range(0, len(order), BATCH * 8)]
        batches = [b for c in chunks for b in _split(sorted(c, key=lambda i: len(rows[i][0])))]
        random.Random(seed * 1000 + epoch + 1).shuffle(batches)
        start, losses = time.time(), []
        for step, batch in enumerate(batches, 1):
            loss = model(**collate([rows[i] for i in batch], pad)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(float(loss.detach()))
            if step % 10 == 0 or step == len(batches):
                rate = (time.time() - start) / step
                log(f"  epoch {epoch + 1}/{epochs} step {step}/{len(batches)} loss {sum(losses[-10:]) / len(losses[-10:]):.3f}"
                    f" ({rate:.1f} s/step, epoch ends in {rate * (len(batches) - step):.0f} s)")
        answers = answer(model, tokenizer, [r["question"] for r in probe])
        recall = sum(rouge_l_recall(a, r["answer"]) for a, r in zip(answers, probe, strict=True)) / len(probe)
        state["epoch"] = epoch + 1
        state["seconds"] += time.time() - start
        state["history"].append({"epoch": epoch + 1, "loss": sum(losses) / len(losses), "probe_rouge_l_recall": recall})
        log(f"finetune: epoch {epoch + 1} mean loss {state['history'][-1]['loss']:.3f}, probe ROUGE-L recall {recall:.3f}")
        _save(model, tokenizer, opt, sched, state, ckpt)
        if recall >= target:
            break
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ckpt, final, dirs_exist_ok=True, ignore=shutil.ignore_patterns("optimizer.pt"))
    log(f"finetune: done after {state['epoch']} epochs, {state['seconds'] / 60:.1f} min; model in {final}")
    return final


def _split(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def _save(model: Any, tokenizer: Any, opt: Any, sched: Any, state: dict[str, Any], ckpt: Path) -> None:
    """Write the checkpoint to a temporary folder, then swap it in, so a kill never leaves half a checkpoint."""
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2))
    old = ckpt.with_name(ckpt.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if ckpt.exists():
        ckpt.rename(old)
    tmp.rename(ckpt)
    shutil.rmtree(old, ignore_errors=True)
