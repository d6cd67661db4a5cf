"""``python -m benchmarks NAME [--data DIR]``: run one benchmark and write benchmarks/results/NAME.json."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from benchmarks.data import DEFAULT_DATA

RUNNERS = {"attacks": "benchmarks.attack_matrix", "dates": "benchmarks.dates", "defaults": "benchmarks.defaults", "facts": "benchmarks.facts", "gate": "benchmarks.gate", "engine": "benchmarks.engine", "finetune": "benchmarks.finetune", "memorize": "benchmarks.memorize", "generation": "benchmarks.generation",
           "proxy": "benchmarks.proxy", "quality": "benchmarks.quality", "report": "benchmarks.report", "rerank": "benchmarks.rerank",
           "scale": "benchmarks.scale"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("name", choices=sorted(RUNNERS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    args, rest = parser.parse_known_args()
    if not (args.data / "tofu").is_dir():
        parser.error(f"{args.data} does not look like the shared data folder (no tofu/)")
    importlib.import_module(RUNNERS[args.name]).run(args.data, *rest)


if __name__ == "__main__":
    main()
