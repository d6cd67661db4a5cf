"""Train the second-stage reranker (`guard.rerank`) and write ``guard/models/rerank-minilm-lora.safetensors``.

    python -m benchmarks rerank [--data ../shared/data] [--holdout N | --folds K [--only 3,5] [--report]] [--epochs 3] [--seed 0]
                                [--made-up] [--all-perturbed] [--full]

Training data, all held apart from TOFU forget10 (which ``python -m benchmarks quality`` measures) and from
retain90 authors 91-180 (its easy negatives):

- ``tofu__retain_perturbed.json`` (retain90's first 20 authors, 400 questions): positives are (answer,
  paraphrase), (paraphrase, answer) and, for half the rows, (answer, answer); hard negatives are
  (answer, each of the 5 perturbed answers) and (paraphrase, one perturbed answer; all five with
  ``--all-perturbed``, measured worse on forget10 and off): the same sentence with a fact changed.
- easy negatives: 700 answers of retain90 authors 21-90 (even rows 400-1800), each paired with the
  training answer nearest to it by MiniLM cosine.
- with ``--made-up`` (off by default: measured not to help, benchmarks/README.md), made-up pairs
  (`benchmarks.rerank_data`) from each paraphrase above and from the 700 odd rows 401-1799 (restated by
  themselves, and for a third of them an (answer, answer) positive): the restatement with one fact swapped
  (a name, number, month, title, genre or noun: negative), one of its sentences (positive: a partial
  restatement is still one) and, for half, that sentence with a fact swapped (negative).

LoRA rank 8 on every layer's query, value and feed-forward projections plus a linear head; base weights
frozen; AdamW lr 5e-4, batch 16, positive weight 3, 3 epochs, seed 0; ~20 min on 2 CPU cores.

``--holdout N`` trains on all but the last N questions (their authors unseen) and reports, on those, the
share of paraphrases caught at 1% false blocks on the perturbed answers for several values of
`guard.rerank.PENALTY`; that is how the shipped value was chosen. Its 80 questions are 4 authors (1% = 4
perturbed answers), too few to choose between two training recipes (benchmarks/README.md, "rerank").
``--folds K`` trains K models, each with every K-th author held out, and reports the held-out figures pooled
over all 400 questions (1% = 20 perturbed answers, forget10's size) and per fold: ~K x 17 min here (~23 with
``--full``). ``--only 3,5`` runs those folds; each fold's held-out scores are kept in
``results/rerank-folds/{recipe}-k{K}-fold{N}.npz`` (a few KB) and ``results/rerank-folds-{recipe}.json`` pools
every fold kept, so runs of a few folds add up across sessions; ``--report`` rewrites it from the kept scores
without training. The recipe is ``shipped`` or the options that differ (``full``, ``all-perturbed-seed1``),
so a variant never overwrites its baseline. Every figure comes twice: as the model alone reads the whole
texts, and after guard's fact check (``fact_check_*``: numbers, dates and names, `guard.detectors.facts`),
which is the order guard scores in and the figure a recipe has to move. (``results/rerank-folds.json`` is
the first run, 2026-11-30, before the fact check was read.) Without ``--holdout`` or ``--folds``, the weights
are written. ``--full`` (with ``--folds`` or ``--holdout`` only: the shipped loader reads adapters) trains
every base weight too, at `FULL_LR`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import data as D
from benchmarks.common import RESULTS, log, tpr_at_fpr, write_result

PENALTIES = (0.1, 0.2, 0.3, 0.5, 1.0)
BOOSTS = (0.05, 0.1, 0.2, 0.3, 0.5)
SCORES = RESULTS / "rerank-folds"  # each fold's held-out scores, per recipe (`_run_folds`)
FULL_LR = 3e-5  # the base weights' learning rate with --full (a throwaway holdout run, NOTES "Cross-encoder capacity")


def training_pairs(rows: list[dict[str, Any]], easy: list[str], embedder: Any, made_up: list[str] | None = None,
                   seed: int = 0, all_perturbed: bool = False) -> list[tuple[str, str, int]]:
    """(item text, candidate text, label) pairs. With ``made_up`` (answers), made-up pairs
    (`benchmarks.rerank_data`) from those and from each paraphrase are added (``--made-up``); with
    ``all_perturbed``, every perturbed answer against the paraphrase, not one (``--all-perturbed``)."""
    from benchmarks.rerank_data import Pool

    rng = random.Random(seed)
    pool = Pool([r["answer"] for r in rows] + [r["paraphrased_answer"] for r in rows] + easy + made_up) if made_up else None
    out: list[tuple[str, str, int]] = []
    for n, r in enumerate(rows):
        a, p = r["answer"], r["paraphrased_answer"]
        out += [(a, p, 1), (p, a, 1)] + ([(a, a, 1)] if n % 2 == 0 else [])
        out += [(a, q, 0) for q in r["perturbed_answer"]]
        if all_perturbed:
            out += [(p, q, 0) for q in r["perturbed_answer"]]
        else:
            out.append((p, rng.choice(r["perturbed_answer"]), 0))
        if pool:
            out += _made_up(a, p, pool, rng)
    answers = [r["answer"] for r in rows]
    nearest = (embedder.embed(easy) @ embedder.embed(answers).T).argmax(axis=1)
    out += [(answers[int(i)], e, 0) for e, i in zip(easy, nearest)]
    for n, x in enumerate(made_up or []):
        out += _made_up(x, x, pool, rng) + ([(x, x, 1)] if n % 3 == 0 else [])
    return out


def _made_up(item: str, restated: str, pool: Any, rng: random.Random) -> list[tuple[str, str, int]]:
    """A swapped fact in the restatement (negative); one of its sentences (positive), and that sentence with a
    swapped fact (negative)."""
    from benchmarks.rerank_data import parts, swapped

    out: list[tuple[str, str, int]] = []
    changed = swapped(restated, pool, rng)
    if changed and changed != restated:
        out.append((item, changed, 0))
    pieces = parts(restated)
    if pieces:
        piece = rng.choice(pieces)
        out.append((item, piece, 1))
        changed = swapped(piece, pool, rng)
        if changed and changed != piece and rng.random() < 0.5:
            out.append((item, changed, 0))
    return out


def train(pairs: list[tuple[str, str, int]], epochs: int, seed: int = 0,
          full: bool = False) -> tuple[Any, Any, Any, list[float]]:
    """Adapters and head at lr 5e-4; with ``full``, every base weight too, at `FULL_LR` (``--full``)."""
    import torch

    from guard.rerank import build_model, logits

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer, encoder, head = build_model()
    params = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    groups: list[dict[str, Any]] = [{"params": params, "lr": 5e-4}]
    if full:
        base = [p for p in encoder.parameters() if not p.requires_grad]
        for p in base:
            p.requires_grad_(True)
        groups.append({"params": base, "lr": FULL_LR})
        params = params + base
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    batch, losses = 16, []
    steps = epochs * math.ceil(len(pairs) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps))
    pos_weight = torch.tensor(3.0)
    log(f"training on {len(pairs)} pairs ({sum(y for *_, y in pairs)} positive), {sum(p.numel() for p in params):,} "
        f"trainable parameters, {epochs} epochs")
    for epoch in range(epochs):
        encoder.train()
        order = pairs[:]
        rng.shuffle(order)
        t0, total = time.perf_counter(), 0.0
        for at in range(0, len(order), batch):
            chunk = order[at : at + batch]
            raw = logits(tokenizer, encoder, head, [(a, b) for a, b, _ in chunk])
            y = torch.tensor([float(lab) for *_, lab in chunk])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(raw, y, pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(chunk)
            if (at // batch) % 50 == 0:
                log(f"  epoch {epoch + 1} step {at // batch}/{math.ceil(len(order) / batch)} loss {loss.item():.3f}")
        losses.append(round(total / len(order), 4))
        log(f"epoch {epoch + 1}: mean loss {losses[-1]} ({time.perf_counter() - t0:.0f} s)")
    encoder.eval()
    return tokenizer, encoder, head, losses


def held_pairs(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each row's (answer, paraphrase) pair, then its (answer, perturbed answer) pairs: the held-out order."""
    return [(r["answer"], t) for r in rows for t in [r["paraphrased_answer"], *r["perturbed_answer"]]]


def fact_conflicts(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Whether guard's fact check (`guard.detectors.facts.adjusted`: numbers, dates, names) lowers each pair,
    read on the whole texts: what the first stage already takes off before the second stage reads them."""
    from guard.detectors.facts import adjusted, facts, named

    return np.array([adjusted(1.0, facts(a), facts(b), named(a), named(b)) < 1.0 for a, b in pairs])


def held_scores(rows: list[dict[str, Any]], model: tuple[Any, Any, Any], embedder: Any) -> tuple[np.ndarray, ...]:
    """MiniLM cosine, the model's ``p``, which pairs are paraphrases and which the fact check lowers, for each
    pair of `held_pairs` (whole texts)."""
    import torch

    from guard.rerank import logits

    tokenizer, encoder, head = model
    pairs = held_pairs(rows)
    with torch.inference_mode():
        p = np.concatenate([torch.sigmoid(logits(tokenizer, encoder, head, pairs[i : i + 32])).numpy()
                            for i in range(0, len(pairs), 32)])
    per_row = [1 + len(r["perturbed_answer"]) for r in rows]  # the paraphrase first, then the perturbed answers
    a = np.repeat(embedder.embed([r["answer"] for r in rows]), per_row, axis=0)  # each answer embedded once
    c = embedder.embed([y for _, y in pairs])
    positive = np.array([j == 0 for n in per_row for j in range(n)])
    return (a * c).sum(axis=1), p, positive, fact_conflicts(pairs)


def holdout_report(cosine: np.ndarray, p: np.ndarray, positive: np.ndarray,
                   conflict: np.ndarray | None = None) -> dict[str, Any]:
    """Paraphrases caught at 1% (and 5%) false blocks on the perturbed answers, by cosine alone, with each
    penalty in `PENALTIES`, and with the shipped penalty plus each bonus in `BOOSTS` (as `guard.rerank.adjusted`).
    Given ``conflict`` (`fact_conflicts`), the same after the fact check as well (``fact_check_*``): the
    order guard scores in, and the figure a recipe has to move (the fact check already takes off a perturbed
    answer that only changes a number, whatever the model says)."""
    from guard.detectors.facts import CONFLICT_PENALTY
    from guard.rerank import PENALTY

    def caught(s: np.ndarray, fpr: float) -> float:
        return round(tpr_at_fpr(s[positive], s[~positive], fpr)[0], 4)

    doubt, bonus = np.maximum(0.0, 1.0 - 2.0 * p), np.maximum(0.0, 2.0 * p - 1.0)

    def boosts(prefix: str, shipped: np.ndarray) -> None:
        for boost in BOOSTS:
            out[f"{prefix}boost_{boost}_caught_at_1pct"] = caught(shipped + boost * bonus, 0.01)
            out[f"{prefix}boost_{boost}_caught_at_5pct"] = caught(shipped + boost * bonus, 0.05)

    out: dict[str, Any] = {"questions": int(positive.sum()), "cosine_caught_at_1pct": caught(cosine, 0.01)}
    for penalty in PENALTIES:
        out[f"penalty_{penalty}_caught_at_1pct"] = caught(cosine - penalty * doubt, 0.01)
    boosts("", cosine - PENALTY * doubt)
    if conflict is not None:
        checked = cosine - CONFLICT_PENALTY * conflict
        out["fact_check_lowers"] = {"paraphrases": round(float(conflict[positive].mean()), 4),
                                    "perturbed": round(float(conflict[~positive].mean()), 4)}
        out["fact_check_caught_at_1pct"] = caught(checked, 0.01)
        out[f"fact_check_penalty_{PENALTY}_caught_at_1pct"] = caught(checked - PENALTY * doubt, 0.01)
        boosts("fact_check_", checked - PENALTY * doubt)
    return out


def folds(rows: list[dict[str, Any]], k: int, per_author: int = 20) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(training rows, held-out rows) for each of ``k`` folds; a fold holds out every ``k``-th author
    (TOFU lists ``per_author`` questions per author, in order), so no author is on both sides."""
    if not 2 <= k <= len(rows) // per_author:
        raise ValueError(f"--folds must be between 2 and {len(rows) // per_author} (one author per fold at most)")
    fold_of = [(i // per_author) % k for i in range(len(rows))]
    return [([r for r, g in zip(rows, fold_of) if g != f], [r for r, g in zip(rows, fold_of) if g == f]) for f in range(k)]


def run(data: Path, *args: str) -> dict[str, Any]:
    from guard.embedding import load_embedder

    parser = argparse.ArgumentParser(prog="python -m benchmarks rerank")
    parser.add_argument("--holdout", type=int, default=0, help="keep the last N retain_perturbed questions apart")
    parser.add_argument("--folds", type=int, default=0, help="train K models, each with every K-th author held out, "
                        "and report the held-out figures pooled (writes results/rerank-folds-<recipe>.json, not the weights)")
    parser.add_argument("--only", default="", help="with --folds: the folds to run (1-based, comma-separated, in "
                        "that order), e.g. 3,5")
    parser.add_argument("--report", action="store_true", help="with --folds: train nothing, rewrite the recipe's "
                        "results from the held-out scores kept in results/rerank-folds/ (the fact check read again)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--made-up", action="store_true", help="add made-up pairs (benchmarks/rerank_data.py); "
                        "measured not to help, see benchmarks/README.md")
    parser.add_argument("--full", action="store_true", help="train every base weight too (lr 3e-5); for --folds and "
                        "--holdout only: the shipped loader reads adapters")
    parser.add_argument("--all-perturbed", action="store_true", help="every perturbed answer against the paraphrase, "
                        "not one; measured worse on forget10, see benchmarks/README.md")
    opts = parser.parse_args(args)
    if opts.holdout and opts.folds:
        parser.error("--holdout and --folds are two ways to hold questions apart: pick one")
    if opts.full and not (opts.holdout or opts.folds):
        parser.error("--full trains weights the shipped loader does not read (it reads adapters): use it with --folds or --holdout")
    if (opts.only or opts.report) and not opts.folds:
        parser.error("--only and --report read folds: use them with --folds")
    rows = D.tofu_retain_perturbed(data)
    try:
        splits = folds(rows, opts.folds) if opts.folds else []
        chosen = chosen_folds(opts.only, opts.folds) if opts.folds else []
    except ValueError as e:
        parser.error(str(e))
    retain = [r["answer"] for r in D.tofu_retain(data)]
    embedder = load_embedder()
    data_note = (" (made-up pairs from odd rows)" if opts.made_up else "") + (
        " (every perturbed answer against the paraphrase)" if opts.all_perturbed else "")
    result: dict[str, Any] = {"data": f"TOFU tofu__retain_perturbed.json, tofu__retain90.json rows 400-1800{data_note}",
                              "epochs": opts.epochs, "seed": opts.seed, "trained": "every weight" if opts.full else "adapters"}

    def fit(train_rows: list[dict[str, Any]]) -> tuple[tuple[Any, Any, Any], dict[str, Any]]:
        pairs = training_pairs(train_rows, retain[400:1800:2], embedder, retain[401:1800:2] if opts.made_up else None,
                               seed=opts.seed, all_perturbed=opts.all_perturbed)
        t0 = time.perf_counter()
        tokenizer, encoder, head, losses = train(pairs, opts.epochs, seed=opts.seed, full=opts.full)
        return (tokenizer, encoder, head), {"pairs": len(pairs), "positives": sum(y for *_, y in pairs),
                                            "mean_loss_per_epoch": losses, "train_seconds": round(time.perf_counter() - t0)}

    if splits:
        return _run_folds(splits, [] if opts.report else chosen, fit, embedder, result, recipe(opts))
    model, info = fit(rows[: -opts.holdout] if opts.holdout else rows)
    result.update(info)
    if opts.holdout:
        result["holdout"] = holdout_report(*held_scores(rows[-opts.holdout :], model, embedder))
        path = write_result("rerank-holdout", result)
    else:
        from safetensors.torch import save_file

        from guard.rerank import WEIGHTS, trained_state

        WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
        tmp = WEIGHTS.with_suffix(".tmp")
        _, encoder, head = model
        save_file(trained_state(encoder, head), str(tmp))
        tmp.replace(WEIGHTS)
        result["weights"] = str(WEIGHTS.relative_to(WEIGHTS.parents[2]))
        path = write_result("rerank", result)
    log(f"wrote {path}")
    return result


def chosen_folds(only: str, k: int) -> list[int]:
    """``--only`` read as 0-based fold indices in the order given; every fold when empty."""
    if not only:
        return list(range(k))
    try:
        picked = [int(part) for part in only.split(",")]
    except ValueError:
        raise ValueError(f"--only takes fold numbers separated by commas, e.g. 3,5 (got {only!r})") from None
    if any(not 1 <= f <= k for f in picked) or len(set(picked)) != len(picked):
        raise ValueError(f"--only: each fold once, between 1 and {k} (got {only!r})")
    return [f - 1 for f in picked]


def recipe(opts: argparse.Namespace) -> str:
    """``shipped`` for the shipped training recipe, else the options that differ from it (``full-seed1``)."""
    parts = [flag for flag, on in (("full", opts.full), ("all-perturbed", opts.all_perturbed),
                                   ("made-up", opts.made_up)) if on]
    if opts.seed:
        parts.append(f"seed{opts.seed}")
    if opts.epochs != 3:
        parts.append(f"epochs{opts.epochs}")
    return "-".join(parts) or "shipped"


def stored_scores(name: str, k: int) -> dict[int, tuple[np.ndarray, ...]]:
    """The held-out scores kept for recipe ``name`` under ``k`` folds, by fold (0-based): every fold any run
    has measured, as `held_scores` returned them."""
    out: dict[int, tuple[np.ndarray, ...]] = {}
    for f in range(k):
        path = SCORES / f"{name}-k{k}-fold{f + 1}.npz"
        if path.is_file():
            with np.load(path) as d:
                out[f] = (d["cosine"], d["p"], d["positive"], d["conflict"])
    return out


def _run_folds(splits: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]], chosen: list[int], fit: Any,
               embedder: Any, result: dict[str, Any], name: str) -> dict[str, Any]:
    """Train and score each chosen fold (with ``--report`` none: every kept fold's fact check is read again
    under the current rules, `guard.detectors.facts`), keep its held-out scores in
    ``results/rerank-folds/{name}-k{K}-fold{N}.npz``, and write ``results/rerank-folds-{name}.json``: each
    fold's figures and the figures pooled over every fold whose scores are kept, so runs of a few folds each
    (``--only``) add up. Over all K folds the pooled figure has forget10's size (400 paraphrases, 2,000
    perturbed answers: 1% is 20 of them). Written after each fold, so a stopped run keeps what it measured."""
    SCORES.mkdir(parents=True, exist_ok=True)
    k = len(splits)
    path = RESULTS / f"rerank-folds-{name}.json"
    before = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    info = {entry["fold"]: {key: v for key, v in entry.items() if key != "held_out"} for entry in before.get("folds", [])}

    def keep(f: int, scores: tuple[np.ndarray, ...]) -> None:
        cosine, p, positive, conflict = scores
        np.savez(SCORES / f"{name}-k{k}-fold{f + 1}.npz", cosine=cosine, p=p, positive=positive, conflict=conflict)

    def write() -> Path:
        scores = stored_scores(name, k)
        result["folds"] = [{**info.get(f + 1, {"fold": f + 1}), "held_out": holdout_report(*scores[f])} for f in sorted(scores)]
        if scores:
            result["pooled"] = holdout_report(*(np.concatenate(part) for part in zip(*scores.values())))
        result["pooled_over"] = f"folds {', '.join(str(f + 1) for f in sorted(scores))} of {k}"
        return write_result(f"rerank-folds-{name}", result)

    for done, f in enumerate(chosen):
        train_rows, held = splits[f]
        log(f"fold {f + 1} of {k} ({done + 1}/{len(chosen)} this run): training on {len(train_rows)} questions, "
            f"{len(held)} held out")
        model, trained = fit(train_rows)
        info[f + 1] = {"fold": f + 1, **trained}
        scores = held_scores(held, model, embedder)
        keep(f, scores)
        log(f"fold {f + 1}: {holdout_report(*scores)}; wrote {write()}")
    if not chosen:  # --report: the fact check read again under today's rules (cheap, and it changes with guard)
        for f, (cosine, p, positive, _) in stored_scores(name, k).items():
            keep(f, (cosine, p, positive, fact_conflicts(held_pairs(splits[f][1]))))
        log(f"wrote {write()}")
    return result
