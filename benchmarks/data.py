"""Loaders for the public data sets in the shared data folder (default ``../shared/data``).

Each loader reads the files as published (see the folder's README and each set's SOURCES.txt); nothing is
copied into this repository.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

BOOKS = {
    "alice": ("pg11_alice_in_wonderland.txt", "utf-8"),
    "pride": ("pg1342_pride_and_prejudice.txt", "utf-8"),
    "frankenstein": ("pg84_frankenstein.txt", "utf-8"),
    "sherlock": ("pg1661_sherlock_holmes.txt", "latin-1"),
    "dracula": ("pg345_dracula.txt", "latin-1"),
}


def tofu_forget(data: Path, split: str = "forget10") -> list[dict[str, Any]]:
    """TOFU forget set: question, answer, paraphrased_answer, perturbed_answer (5), paraphrased_question..."""
    return json.loads((data / "tofu" / f"{split}_perturbed.json").read_text(encoding="utf-8"))


def tofu_retain_perturbed(data: Path) -> list[dict[str, Any]]:
    """TOFU retain90's first 20 authors (400 questions) with paraphrased and perturbed answers."""
    lines = (data / "tofu" / "tofu__retain_perturbed.json").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def tofu_retain(data: Path) -> list[dict[str, Any]]:
    """TOFU retain90: 3,600 question/answer pairs about other fictitious authors (JSON lines)."""
    lines = (data / "tofu" / "tofu__retain90.json").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def book_text(data: Path, book: str) -> str:
    """The body of a Gutenberg book, licence header and footer removed."""
    name, encoding = BOOKS[book]
    text = (data / "gutenberg" / name).read_text(encoding=encoding)
    start = re.search(r"\*\*\* ?START OF.*?\*\*\*", text)
    end = re.search(r"\*\*\* ?END OF", text)
    return text[start.end() if start else 0 : end.start() if end else len(text)]


def book_passages(data: Path, book: str, *, words: int = 100) -> list[str]:
    """Consecutive, non-overlapping passages of about ``words`` words, built from whole paragraphs."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", book_text(data, book))]
    out: list[str] = []
    current: list[str] = []
    for para in paragraphs:
        if len(para.split()) < 5:  # headings, chapter numbers
            continue
        current.append(para)
        if sum(len(p.split()) for p in current) >= words:
            out.append(" ".join(current))
            current = []
    return out


def stsb_sentences(data: Path, split: str = "test") -> list[str]:
    """Distinct sentences of the STS benchmark split."""
    out: dict[str, None] = {}
    for line in (data / "stsb" / f"sts-{split}.csv").read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) >= 7:
            out.setdefault(cols[5], None)
            out.setdefault(cols[6], None)
    return list(out)


def stsb_multi_mt(data: Path, lang: str) -> list[str]:
    """The first sentence of each stsb_multi_mt test pair in ``lang`` ("en", "de", "zh", ...): DeepL
    translations of the STS-B test split, rows aligned across languages."""
    with (data / "stsb_multi_mt" / f"stsb-{lang}-test.csv").open(encoding="utf-8") as f:
        return [row[0] for row in csv.reader(f) if row]


def tatoeba(data: Path, code: str) -> tuple[list[str], list[str]]:
    """The aligned English and ``code`` ("deu", "jpn", ...) sentences of a Tatoeba file pair."""
    folder = data / "tatoeba"
    eng = (folder / f"tatoeba.{code}-eng.eng").read_text(encoding="utf-8").splitlines()
    other = (folder / f"tatoeba.{code}-eng.{code}").read_text(encoding="utf-8").splitlines()
    return eng, other
