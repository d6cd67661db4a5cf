"""Print ``guard check --jsonl`` output as a table for people: ``guard check ... | python -m guard.show``."""

from __future__ import annotations

import json
import sys
from typing import TextIO


def table(lines: TextIO) -> str:
    rows = []
    for line in lines:
        if not line.strip():
            continue
        v = json.loads(line)
        best = v["findings"][0] if v["findings"] else None
        found = f"{best['item_id']} via {best['matcher']} ({best['view']}) {best['score']:.2f}" if best else "-"
        rows.append((v.get("label", ""), "ALLOW" if v["allowed"] else v["action"].upper(), f"{v['score']:.2f}", found))
    header = ("input", "verdict", "score", "strongest finding")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


if __name__ == "__main__":
    print(table(sys.stdin))
