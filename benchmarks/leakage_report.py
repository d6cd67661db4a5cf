"""The leakage report: ``benchmarks/results/leakage.md`` and its PNG plots, from the results files.

    python -m benchmarks report      # renders this report too, once attacks.json exists

Reads ``attacks.json`` (`benchmarks.attack_matrix`), ``memorize.json`` (`benchmarks.memorize`) and
``scale.json`` (`benchmarks.scale`); a missing one leaves its section saying which command writes it.
Every figure in the report comes from those files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS

BASELINES = ("exact substring", "n-gram Bloom filter (MemFree-style)", "plain MiniLM cosine (windows)")
def risks(a: dict[str, Any] | None, m: dict[str, Any] | None) -> str:
    """The residual risks in plain words, with this run's numbers where they exist."""
    out = ["**What an output filter cannot do.** guard suppresses text on its way out; it removes nothing from "
           "the model. Anyone who can reach the model without the guard (copied weights, another endpoint, a debug "
           "path) gets everything it memorized. Unlearning promises something else; this is suppression, and the "
           "report measures what gets through it."]
    if m is not None:
        n = m["not_removed"]
        same = n["weights_sha256_before"] == n["weights_sha256_after"]
        out[0] += (f" Here: the fine-tuned model's weights hash {'the same' if same else 'DIFFERENTLY'} before and "
                   f"after wrapping, its loss on the forget answers is {n['forget_loss_before']:.4f} before and "
                   f"{n['forget_loss_after']:.4f} after, and called directly it still answers "
                   f"{n['unwrapped_probe_identical']} probe questions exactly as before (ROUGE-L "
                   f"{n['unwrapped_probe_rouge_l_recall']:.2f} of the forget answers).")
    out += ["", "**What gets through** (leak rates at the operating point that blocks 1% of benign text):"]
    if a is not None:
        g = a["systems"]["guard"]
        if "translation" in g["families"]:
            out.append(f"- translations (de, es, fr, ru, zh, ja): {_pct(g['families']['translation']['leak_rate'])} pass")
        rates = g.get("attacks_by_set") or g["attacks"]
        worst = sorted(((k, v) for k, v in rates.items() if not k.startswith("to_")), key=lambda kv: -kv[1])
        notes = {"partial_copy / tofu": " (a third of a TOFU answer is about 12 words: often one fact, too little "
                                        "text for either matcher at this operating point)"}
        out += [f"- {name.replace('_', ' ')}: {_pct(rate)} of attacked texts pass{notes.get(name, '')}"
                for name, rate in worst if rate > 0]
    out += ["- meaning carried in another language that the translation check reads weakly (Japanese above "
            "all) or not at all, and single facts said in new words: a birth date or one address alone "
            "carries too little text to match;",
            "- content the policy never listed, encodings guard does not decode (it reads base64, hex, URL "
            "encoding, rot13 and reversed text, two layers deep), and a leak the user reassembles from many "
            "innocuous answers."]
    out += ["", "**What it costs.**"]
    if a is not None:
        g = a["systems"]["guard"]
        out.append("- False blocks on text shaped like the forbidden content: " + ", ".join(
            f"{k.replace('_', ' ')} {_pct(v)}" for k, v in g["false_blocks_hard"].items())
            + " of these hard negatives are blocked at the 1% operating point. Embeddings see the shape of a "
            "sentence more than its facts; formulaic records (one template, other people) need field-level "
            "matching, which guard does not do yet (issue 6).")
    out.append("- Streamed text is held back until checked, and every check embeds the output (latency above).")
    return "\n".join(out) + "\n"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def summary(a: dict[str, Any] | None, m: dict[str, Any] | None, s: dict[str, Any] | None) -> str:
    """The one-page summary (also copied into the README)."""
    out = []
    if a is None:
        out.append("_Attack matrix not run yet: `python -m benchmarks attacks`._")
    else:
        sy = a["systems"]
        g = sy["guard"]
        out += [f"**Leak rate per attack family** ({a['attacked_texts']:,} attacked texts from {a['forbidden_items']:,} "
                "forbidden items; every system at the threshold that blocks 1% of benign text):", "",
                "| attack family | no guard | strongest baseline | its leak rate | guard | guard AUROC |",
                "|---|---|---|---|---|---|"]
        for family, cell in g["families"].items():
            best = min(BASELINES, key=lambda b: sy[b]["families"][family]["leak_rate"])
            out.append(f"| {family} ({cell['cases']}) | 100% | {best} | {_pct(sy[best]['families'][family]['leak_rate'])} | "
                       f"**{_pct(cell['leak_rate'])}** | {cell['auroc']:.3f} |")
        hard = ", ".join(f"{k.replace('_', ' ')} {_pct(v)}" for k, v in g["false_blocks_hard"].items())
        d = a["guard at default thresholds"]
        out += ["", f"False blocks at that point: {_pct(g['false_blocks_benign_held_out'])} of held-out benign text; "
                f"hard negatives: {hard}. As shipped (default thresholds, no calibration) guard lets "
                f"{_pct(d['leak_rate'])} of attacked texts through and blocks {_pct(d['false_blocks_benign'])} of "
                "benign text."]
        q = _load("quality")
        tr = (q or {}).get("translations", {})
        shipped, alone = tr.get("all-MiniLM-L6-v2 + translation check"), tr.get("all-MiniLM-L6-v2 alone")
        mt = (q or {}).get("translations_stsb_multi_mt", {}).get("all-MiniLM-L6-v2 + translation check")
        if shipped and alone:
            machine = f" and {_pct(mt['caught_at_1pct']['all'])} of stsb_multi_mt's machine translations" if mt else ""
            out += ["", "Translations: guard checks windows in another language again with USE multilingual v3 (the "
                    f"translation check); it catches {_pct(shipped['caught_at_1pct']['all'])} of Tatoeba's translations"
                    f"{machine} at 1% false blocks, the bundled MiniLM alone {_pct(alone['caught_at_1pct']['all'])} "
                    "of Tatoeba's (`python -m benchmarks quality`)."]
        lat = a["latency"]
        out += ["", "Check latency per text (p50): " + ", ".join(f"{k} {v['p50_ms']:.1f} ms" for k, v in lat.items()) + "."]
    out.append("")
    if m is None:
        out.append("_Memorize-then-suppress not run yet: `python -m benchmarks finetune && python -m benchmarks memorize`._")
    else:
        t = m["table"]
        f = t["forget, original questions"]
        r = t["retain (held out)"]
        st = m["steered"]
        out += [f"**The real generator** (SmolLM2-135M fine-tuned on TOFU forget10 until it leaks): on the original "
                f"questions the raw model recalls {f['raw']['rouge_l_recall']:.2f} of each forget answer (ROUGE-L), "
                f"with guard as a filter what gets out recalls {f['guarded (filter)']['rouge_l_recall']:.2f}; steered decoding "
                f"{st['forget, original questions']['guarded (steered)']['rouge_l_recall']:.2f} "
                f"(on {st['forget, original questions']['questions']} questions). Utility on held-out retain questions: "
                f"ROUGE-L {r['raw']['rouge_l_recall']:.2f} raw → {r['guarded (filter)']['rouge_l_recall']:.2f} guarded, "
                f"{_pct(r['guarded (filter)']['refused'])} refused"
                + (f" ({_pct(r['refused answers reusing a forget answer'])} of the refused answers recall at least half "
                   "of some forget answer)"
                   if r.get("refused answers reusing a forget answer") is not None else "")
                + ". Weights, loss and raw answers are unchanged by "
                "wrapping: nothing was removed (see \"Not removed\" in the report)."]
    out.append("")
    if s is None:
        out.append("_Scale not run yet: `python -m benchmarks scale`._")
    else:
        out += ["**Scale**: " + " ".join(s["advice"]["text"][:2])]
    return "\n".join(out)


def attack_tables(a: dict[str, Any]) -> str:
    sy = a["systems"]
    names = [*BASELINES, "guard"]
    out = ["| attack | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for attack in sy["guard"]["attacks"]:
        out.append(f"| {attack} | " + " | ".join(_pct(sy[n]["attacks"].get(attack)) for n in names) + " |")
    families = list(sy["guard"]["families"])
    out += ["", "AUROC per family (attacked texts against held-out benign text):", "",
            "| system | " + " | ".join(families) + " |", "|---|" + "---|" * len(families)]
    for n in names:
        out.append(f"| {n} | " + " | ".join(f"{sy[n]['families'][f]['auroc']:.3f}" for f in families) + " |")
    out += ["", "| system | threshold | leak rate, all attacks | false blocks, held-out benign | "
            + " | ".join(f"false blocks, {k.replace('_', ' ')}" for k in sy["guard"]["false_blocks_hard"]) + " |",
            "|---|---|---|---|" + "---|" * len(sy["guard"]["false_blocks_hard"])]
    for n in names:
        x = sy[n]
        out.append(f"| {n} | {x['threshold']:g} | {_pct(x['leak_rate'])} | {_pct(x['false_blocks_benign_held_out'])} | "
                   + " | ".join(_pct(v) for v in x["false_blocks_hard"].values()) + " |")
    return "\n".join(out)


def memorize_tables(m: dict[str, Any]) -> str:
    out = ["| questions | n | raw ROUGE-L | raw ≥ 0.5 | filter ROUGE-L | filter ≥ 0.5 | refused |",
           "|---|---|---|---|---|---|---|"]
    for name, row in m["table"].items():
        raw, g = row["raw"], row["guarded (filter)"]
        out.append(f"| {name} | {m['questions'][name]} | {raw['rouge_l_recall']:.3f} | {_pct(raw['leak_rate'])} | "
                   f"{g['rouge_l_recall']:.3f} | {_pct(g['leak_rate'])} | {_pct(g['refused'])} |")
    reuse = {k: v for k, v in m["table"].items() if "raw answers reusing a forget answer" in v}
    if reuse:
        out += ["", "Utility answers that recall at least half of some forget answer anyway (so refusing them is "
                "not a false refusal): " + "; ".join(
                    f"{k}: {_pct(v['raw answers reusing a forget answer'])} of raw answers, "
                    f"{_pct(v['refused answers reusing a forget answer'])} of refused ones" for k, v in reuse.items()) + "."]
    out += ["", f"ROUGE-L = recall of the reference answer's words, in order; ≥ {m['leak_threshold']} = share of answers "
            "recalling at least half of it: for forget questions that is the leak rate (lower is better), for the "
            "utility sets the share answered (higher is better). Refused = blocked by the filter.", "",
            "Steered decoding (one row at a time, so on a subset):", "",
            "| questions | n | raw ROUGE-L | filter ROUGE-L | decoding | ROUGE-L | ≥ 0.5 | refused | roll-backs | "
            "vetoed tokens | tokens/s | highest score let through |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, row in m["steered"].items():
        for label, s in row.items():
            if not label.startswith("guarded (steered"):
                continue
            top = s.get("released_verdict_score_max")
            out.append(f"| {name} | {row['questions']} | {row['raw']['rouge_l_recall']:.3f} | "
                       f"{row['guarded (filter)']['rouge_l_recall']:.3f} | {label.removeprefix('guarded (').rstrip(')')} | "
                       f"{s['rouge_l_recall']:.3f} | {_pct(s['leak_rate'])} | {_pct(s['refused'])} | {s['backtracks']} | "
                       f"{s['vetoed_tokens']} | {s['tokens_per_s']:.1f} | {'–' if top is None else f'{top:.4f}'} |")
    tr = m["output_transforms_leak_rate"]
    out += ["", f"Output-side transforms (simulated on the {tr['answers']} raw answers that leaked): share that passes "
            "the filter: " + ", ".join(f"{k} {_pct(v)}" for k, v in tr.items() if k != "answers") + "."]
    n = m["not_removed"]
    out += ["", "**Not removed** (before wrapping vs after every guarded run):", "",
            "| | before | after |", "|---|---|---|",
            f"| weights sha256 | `{n['weights_sha256_before'][:16]}…` | `{n['weights_sha256_after'][:16]}…` |",
            f"| mean loss on forget answers | {n['forget_loss_before']:.6f} | {n['forget_loss_after']:.6f} |",
            f"| unwrapped model, 24 forget questions | — | {n['unwrapped_probe_identical']} answers identical, "
            f"ROUGE-L {n['unwrapped_probe_rouge_l_recall']:.3f} |"]
    ft = m["finetune"]
    out += ["", f"Fine-tuning: {ft['epoch']} epochs, {ft['seconds'] / 60:.0f} min wall time on this 2-core CPU (shared with "
            f"other benchmark runs part of the time), lr {ft['lr']}, "
            f"400 forget + {ft['retain']} retain pairs; probe ROUGE-L by epoch: "
            + ", ".join(f"{h['probe_rouge_l_recall']:.2f}" for h in ft["history"]) + "."]
    return "\n".join(out)


def scale_tables(s: dict[str, Any]) -> str:
    out = ["| windows | kind | build | check p50 / p95 | recall@1 | recall@10 | recall@10, near-duplicate queries | "
           "top-1 score error (mean) | index size |", "|---|---|---|---|---|---|---|---|---|"]
    for n, cells in s["cells"].items():
        for kind, c in cells.items():
            if "skipped" in c:
                out.append(f"| {int(n):,} | {kind} | skipped: {c['skipped']} | | | | | | |")
                continue
            near = c.get("recall_at_10_by_queries", {}).get("near_duplicates")
            out.append(f"| {int(n):,} | {kind} | {c['build_s']:.1f} s | {c['check']['p50_ms']:.1f} / {c['check']['p95_ms']:.1f} ms | "
                       f"{c['recall_at_1']:.3f} | {c['recall_at_10']:.3f} | {'–' if near is None else f'{near:.3f}'} | "
                       f"{c['top1_score_abs_error']['mean']:.4f} | {c['index_bytes'] / 1e6:.1f} MB |")
    out += ["", *[f"- {line}" for line in s["advice"]["text"]], "", f"Vectors: {s['vectors']}. Queries: {s['queries']}. "
            f"Check: {s['check']}."]
    return "\n".join(out)


def plots(a: dict[str, Any] | None, m: dict[str, Any] | None) -> list[str]:
    from benchmarks.plots import bar_plot

    written = []
    if a is not None:
        sy = a["systems"]
        groups = {f: {n: sy[n]["families"][f]["leak_rate"] for n in (*BASELINES, "guard")} for f in sy["guard"]["families"]}
        written.append(bar_plot(RESULTS / "attacks.png", "Leak rate per attack family at 1% false blocks", groups,
                                "leak rate (lower is better)").name)
    if m is not None:
        groups = {k: {"raw": v["raw"]["rouge_l_recall"], "guarded (filter)": v["guarded (filter)"]["rouge_l_recall"]}
                  for k, v in m["table"].items()}
        written.append(bar_plot(RESULTS / "memorize.png", "ROUGE-L recall of the reference answer", groups,
                                "ROUGE-L recall").name)
    return written


def render() -> tuple[str, str]:
    """(report Markdown, summary Markdown); writes the PNGs beside the report."""
    a, m, s = _load("attacks"), _load("memorize"), _load("scale")
    pngs = plots(a, m)
    parts = ["# Leakage benchmark", "", "Reproduce: see `benchmarks/README.md` (every figure here comes from "
             "`benchmarks/results/{attacks,memorize,scale}.json`).", "", "## Summary", "", summary(a, m, s), "",
             "## Residual risks", "", risks(a, m)]
    if a is not None:
        parts += ["## Attack matrix", "", f"Data: {a['data']}. {a['operating_point'][0].upper()}{a['operating_point'][1:]}.", "",
                  "![leak rate per family](attacks.png)" if "attacks.png" in pngs else "", "", attack_tables(a), ""]
    if m is not None:
        parts += ["## Memorize, then suppress", "", "![ROUGE-L raw vs guarded](memorize.png)", "", memorize_tables(m), ""]
    if s is not None:
        parts += ["## Scale", "", "![latency and memory against index size](scale.png)", "", scale_tables(s), ""]
    return "\n".join(parts), summary(a, m, s)


def write(path: Path = RESULTS / "leakage.md") -> str:
    report, short = render()
    path.write_text(report, encoding="utf-8")
    return short
