"""Render results/*.json as Markdown tables, and refresh the README's measured section.

    python -m benchmarks report

The README's figures sit between ``<!-- engine:start -->`` and ``<!-- engine:end -->`` (likewise
``generation``); this command rewrites them from ``benchmarks/results/``, so every number there comes
from a results file written by a runner.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS

README = Path(__file__).resolve().parent.parent / "README.md"


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def engine(r: dict[str, Any]) -> str:
    p = r["paraphrase"]
    rows = [
        "| system | paraphrases caught at ≤ 1% false blocks | AUROC |",
        "|---|---|---|",
    ]
    for name in ("word 3-gram overlap (MemFree-style)", "plain MiniLM cosine", "guard"):
        rows.append(f"| {name} | {p[name]['caught_at_1pct_fpr']:.4f} | {p[name]['auroc']:.4f} |")
    d, c = p["guard at default thresholds"], p["guard calibrated (guard calibrate --fpr 0.01)"]
    out = [
        f"**Paraphrases** (TOFU forget10: {p['positives']} forbidden answers indexed, their paraphrases as "
        f"positives, {p['negatives']} held-out retain90 answers of other authors as negatives):",
        "",
        *rows,
        "",
        f"As deployed: at the shipped default thresholds guard catches {d['caught']:.4f} of paraphrases with "
        f"{_pct(d['false_blocks'])} false blocks; after `guard calibrate --fpr 0.01` on {c['calibration_texts']} "
        f"answers of other authors, {c['caught']:.4f} with {_pct(c['false_blocks'])} false blocks on the held-out "
        "authors.",
        "",
        "**Obfuscated verbatim copies** (each of the 400 answers, share blocked at the default thresholds):",
        "",
        "| " + " | ".join(r["obfuscations"]) + " |",
        "|" + "---|" * len(r["obfuscations"]),
        "| " + " | ".join(f"{v:.4f}" for v in r["obfuscations"].values()) + " |",
        "",
    ]
    cost = r["cost"]
    out += [
        f"**Cost of a check** ({cost['outputs']} outputs of {cost['output_words']} words, 2-core CPU, no cache):",
        "",
        "| indexed windows | check p50 | check p95 | embedding alone p50 (the floor) | check / floor |",
        "|---|---|---|---|---|",
    ]
    for label in ("10k", "100k"):
        x = cost[label]
        out.append(f"| {x['windows']:,} | {x['check']['p50_ms']:.0f} ms | {x['check']['p95_ms']:.0f} ms | "
                   f"{x['embedding_only']['p50_ms']:.0f} ms | {x['ratio_p50']:.2f}× |")
    return "\n".join(out)


def generation(r: dict[str, Any]) -> str:
    t = r["throughput"]
    out = [f"**Generation speed** ({r['model']}, {r['prompts']} prompts × {r['new_tokens']} new tokens, greedy):", "",
           "| decoding | tokens/s | vs unguarded |", "|---|---|---|"]
    for name, row in t.items():
        out.append(f"| {name} | {row['tokens_per_s']:.2f} | {row['ratio']:.3f}× |")
    ttft = r["time_to_first_text_s"]
    out += ["", f"Time to first released text when streaming: {ttft['unguarded']:.2f} s unguarded, "
            f"{ttft['guarded']:.2f} s guarded (the first 8-token check)."]
    return "\n".join(out)


def proxy(r: dict[str, Any]) -> str:
    out = [f"**Proxy overhead** (upstream: {r['upstream']}, {r['max_tokens']} tokens per answer; black-box mode, "
           "streams held back until checked):", "",
           "| requests | concurrency | direct p50 / p99 | through guard p50 / p99 | added p50 | TTFT direct → guard (p50) |",
           "|---|---|---|---|---|---|"]
    for key, cell in r["cells"].items():
        kind, conc = key.split("@")
        d, p = cell["direct"], cell["proxy"]
        out.append(f"| {'streaming' if kind == 'stream' else 'non-streaming'} | {conc} | "
                   f"{d['latency_p50_ms']:.0f} / {d['latency_p99_ms']:.0f} ms | {p['latency_p50_ms']:.0f} / "
                   f"{p['latency_p99_ms']:.0f} ms | {100 * cell['added_p50_share']:+.1f}% | "
                   f"{d['ttft_p50_ms']:.0f} → {p['ttft_p50_ms']:.0f} ms |")
    load = r["load"]
    out += ["", f"Load: {load['clients']} concurrent streaming clients for {load['seconds']:.0f} s (half asking for the "
            f"protected passage): {load['requests']} requests, {load['errors']} errors, {load['leaked']} leaked "
            f"forbidden windows, {load['content_filter']} ended with `content_filter`."]
    return "\n".join(out)


def quality(r: dict[str, Any]) -> str:
    from benchmarks.quality import table

    return table(r)


def dates(r: dict[str, Any]) -> str:
    out = [f"| a person's birthday sentence ({r['people']} people indexed), the date written | example | blocked at the "
           "defaults | guard's mean top score |", "|---|---|---|---|"]
    for key, label in (("leaks", "leak: {}"), ("negatives", "negative: {}"), ("translated", "leak: in {}"),
                       ("translated_negatives", "negative: another day, in {}")):
        out += [f"| {label.format(name)} | {v['example']} | {_pct(v['blocked'])} | {v['mean_top_score']:.3f} |"
                for name, v in r.get(key, {}).items()]
    return "\n".join(out)


def facts(r: dict[str, Any]) -> str:
    out = ["| pairs (a text and its restatement) | pairs with a fact | read as conflicting |", "|---|---|---|"]
    for group in ("translations", "tofu"):
        out += [f"| {name} | {v['with_a_fact']} | {v['conflicting']} ({_pct(v['conflicting_share_of_those'])}) |"
                for name, v in r.get(group, {}).items()]
    return "\n".join(out)


def gate(r: dict[str, Any]) -> str:
    out = ["| windows of | windows | read as another language | example (English: read as another language; "
           "other: read as English) |", "|---|---|---|---|"]
    for group, label, key in (("english", "English: {}", "read"), ("foreign", "{}", "not_read")):
        out += [f"| {label.format(name)} | {v['windows']} | {v['read_as_foreign']} ({_pct(v['share'])}) | "
                f"{(v[key] or [''])[0].replace('|', '/')} |" for name, v in r.get(group, {}).items()]
    return "\n".join(out)


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {"dates": dates, "engine": engine, "facts": facts, "gate": gate,
                                                         "generation": generation, "proxy": proxy, "quality": quality}


def _between(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement that keeps the start and end markers and puts ``text`` between them."""
    return lambda m: m.group(1) + text + "\n" + m.group(2)


def run(data: Path, *args: str) -> None:
    readme = README.read_text(encoding="utf-8")
    for name, render in RENDERERS.items():
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        table = render(json.loads(path.read_text(encoding="utf-8")))
        (RESULTS / f"{name}.md").write_text(table + "\n", encoding="utf-8")
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        readme = pattern.sub(_between(table), readme)
        print(f"wrote {RESULTS / f'{name}.md'}")
    if any((RESULTS / f"{n}.json").exists() for n in ("attacks", "memorize", "scale")):
        from benchmarks.leakage_report import write

        short = write()
        pattern = re.compile(r"(<!-- leakage:start -->\n).*?(<!-- leakage:end -->)", re.S)
        readme = pattern.sub(_between(short), readme)
        print(f"wrote {RESULTS / 'leakage.md'}")
    README.write_text(readme, encoding="utf-8")
