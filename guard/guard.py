"""`Guard`: load an index, check texts against it, and explain every decision."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guard.detectors import concept, semantic, translation, verbatim
from guard.detectors.base import Candidate
from guard.detectors.semantic import Rerank
from guard.embedding import DEFAULT_MODEL_NAME, MULTILINGUAL_EMBEDDER, Embedder, load_embedder
from guard.exceptions import InputError
from guard.index import Index, store
from guard.normalize import View, language_score, views
from guard.types import Action, Finding, Verdict, redact
from guard.windows import Window, windows

MAX_CHARS = 200_000  # refuse longer texts rather than check them slowly; see `Guard(max_chars=...)`
_DECODED = ("base64", "hex", "url")  # decodings whose text is embedded whenever it reads as language
_MIN_LANGUAGE = 0.15


class Guard:
    """Checks candidate outputs against an index of forbidden content and concepts.

    Example:
        >>> guard = Guard.load("build/demo-index")            # doctest: +SKIP
        >>> verdict = guard.check("Jane Roe's SSN is 078-05-1120")  # doctest: +SKIP
        >>> verdict.allowed, verdict.item_ids                 # doctest: +SKIP
        (False, ('jane-record',))
    """

    def __init__(self, index: Index, embedder: Embedder, *, max_chars: int = MAX_CHARS,
                 rerank: Rerank | bool | None = None, names: bool | None = None,
                 perturbed: bool | None = None, frames: bool | None = None,
                 translations: Embedder | bool | None = None) -> None:
        """``rerank``: the second stage (`guard.rerank`). None (default): the reranker when its trained weights
        are present (``make`` trains them) and the index uses the bundled English embedder (the reranker
        reads English only; with a multilingual index it would doubt every translation); True: always;
        False: never; or any callable from ``(item text, candidate window)`` pairs to probabilities.
        ``names``: the names check of `guard.detectors.facts`; None (default): on with the bundled English
        embedder (a translation spells names its own way: "France", "Frankreich").
        ``perturbed``: the check of `guard.detectors.perturbed` (a text that restates part of an item and
        states other facts where the rest was); None (default): on with the bundled English embedder (its
        bar is a MiniLM cosine).
        ``frames``: the verbatim layer's frame rule (`guard.detectors.verbatim`: a short run copied out of a
        sentence that names other people or facts than the item does not count, so another record in the
        same template passes); None (default): on with the bundled English embedder (it reads names by
        their case, as the names check does).
        ``translations``: windows in another language checked in a multilingual space
        (`guard.detectors.translation`). None (default): with USE multilingual v3 when the index uses the
        bundled English embedder, keeps its texts and the ``multilingual`` extra is installed (loaded on the
        first window in another language); True: the same, or an error without the extra; False: never;
        or any multilingual `Embedder`."""
        self.index = index
        self.embedder = embedder
        self.max_chars = max_chars
        english = index.manifest["embedder"].get("name") == DEFAULT_MODEL_NAME
        if rerank is None:
            from guard.rerank import WEIGHTS

            rerank = english and WEIGHTS.is_file()
            if english and not rerank:  # a pip install without `make`: scores hard negatives worse, say so
                warnings.warn(f"guard runs without its second stage: no reranker weights at {WEIGHTS} (`make` or "
                              "`python -m benchmarks rerank` trains them; rerank=False silences this)", stacklevel=2)
        self.rerank: Rerank | None = _reranker(rerank)
        self.names = english if names is None else names
        self.perturbed = english if perturbed is None else perturbed
        self.frames = english if frames is None else frames
        possible = translation.by_default(index.manifest["embedder"].get("name", ""), index.manifest.get("keep_text", True))
        self._translator = _translator(translations, possible)

    @classmethod
    def load(cls, path: str | Path, *, embedder: Embedder | None = None, verify: bool = True, **kwargs: Any) -> Guard:
        """Load the index at ``path`` with the embedder it was built with (or ``embedder``, if it matches)."""
        if embedder is None:
            manifest = store.read_manifest(store.live_version(Path(path)), verify=False)
            embedder = load_embedder(manifest["embedder"].get("spec", "default"))
        index = Index.load(path, embedder=(embedder.name, embedder.dim), verify=verify)
        return cls(index, embedder, **kwargs)

    # --- public API -------------------------------------------------------------------------------
    def check(self, text: str, *, suspects: Collection[str] = (), margin: float = 0.0) -> Verdict:
        """The verdict on one text (see `Verdict`). Raises `InputError` if it is not a str or too long.

        ``suspects``: item ids held to a stricter bar: a finding on one of them flags once its leak score
        (see `leak_score`) reaches ``0.5 - margin`` instead of 0.5. Steering uses it after a roll-back, so
        a model cannot slip a leak just under the threshold by rephrasing it.
        """
        return self.check_batch([text], suspects=suspects, margin=margin)[0]

    def check_batch(self, texts: Sequence[str], *, suspects: Collection[str] = (), margin: float = 0.0) -> list[Verdict]:
        """Verdicts for many texts; their windows are embedded together, which is faster than one by one."""
        if not 0.0 <= margin < 0.5:
            raise ValueError(f"margin must be in [0, 0.5), got {margin}")
        strict = frozenset(suspects) if margin else frozenset()
        return [self._verdict(found, strict, margin) for found in self.evidence(texts)]

    def redact(self, text: str, *, mask: str = "[REDACTED]") -> tuple[str, Verdict]:
        """``text`` with every flagged span replaced by ``mask``, and the verdict."""
        verdict = self.check(text)
        return redact(text, verdict, mask=mask), verdict

    def evidence(self, texts: Sequence[str]) -> list[list[Finding]]:
        """All evidence per text, flagged or not: each matcher's best per item (used by calibration)."""
        candidates = self._prepare(texts)
        return [self._detect(c) for c in candidates]

    # --- internals --------------------------------------------------------------------------------
    @property
    def translator(self) -> Embedder | None:
        """The multilingual embedder of the translation check (loaded on first use), or None when it is off."""
        if self._translator is not None and not isinstance(self._translator, Embedder):
            self._translator = self._translator()
        return self._translator

    def _prepare(self, texts: Sequence[str]) -> list[Candidate]:
        staged: list[tuple[str, tuple[View, ...], list[tuple[int, Window]]]] = []
        for n, text in enumerate(texts):
            self._validate(text, n)
            vs = tuple(views(text)) if text.strip() else ()
            staged.append((text, vs, _windows_to_embed(vs)))
        flat = [w.text for _, _, ws in staged for _, w in ws]
        vectors = self.embedder.embed(flat) if flat else np.zeros((0, self.embedder.dim), np.float32)
        # Windows of the text itself (not of a decoding) that read as another language: the translation check
        foreign = [tuple(k for k, (pos, w) in enumerate(ws) if pos == 0 and translation.foreign(w.text))
                   if self._translator else () for _, _, ws in staged]
        said = [translation.readings(text, vs[0], ws[k][1]) for (text, vs, ws), ks in zip(staged, foreign) for k in ks]
        translator = self.translator if said else None
        translated = translation.embed_readings(translator, said) if translator else None
        out, at, done = [], 0, 0
        for (text, vs, ws), ks in zip(staged, foreign):
            theirs = translated[done : done + len(ks)] if translated is not None else None
            out.append(Candidate(text, vs, tuple(ws), vectors[at : at + len(ws)], ks, theirs))
            at += len(ws)
            done += len(ks)
        return out

    def _validate(self, text: object, n: int) -> None:
        if not isinstance(text, str):
            raise InputError(f"text #{n} is a {type(text).__name__}, expected str")
        if len(text) > self.max_chars:
            raise InputError(
                f"text #{n} has {len(text):,} characters, more than the limit of {self.max_chars:,}; "
                "split it, or raise max_chars"
            )

    def _detect(self, c: Candidate) -> list[Finding]:
        if not c.views:
            return []
        ix, t, meta = self.index, self.index.thresholds, self.index.item_meta
        a = ix.arrays
        found = verbatim.detect(ix.verbatim, c, meta, t["verbatim"], item_facts=ix.item_facts if self.frames else None)
        if len(c.vectors):
            found += semantic.detect(ix.ann_index, a["window_item"], c, meta, t["semantic"], window_facts=ix.window_facts,
                                     rerank=self.rerank, window_texts=ix.window_texts if self.rerank else (),
                                     window_names=ix.window_names if self.names else None, whole_row=ix.whole_row,
                                     perturbed_check=(a["vectors"], ix.unit_rows) if self.perturbed else None)
            found += concept.detect(a["concept_vectors"], a["concept_item"], a["concept_role"], c, meta,
                                    t["concept"], t["concept_margin"], ix.concept_names)
        if c.foreign and self.translator is not None:
            found += translation.detect(ix.translated(self.translator), a["window_item"], c, meta, t["translation"],
                                        window_facts=ix.window_facts)
        return found

    def _verdict(self, found: list[Finding], strict: frozenset[str] = frozenset(), margin: float = 0.0) -> Verdict:
        actions = self.index.actions

        def flags(f: Finding) -> bool:
            return f.score >= f.threshold or (f.item_id in strict and leak_score(f) >= 0.5 - margin)

        flagged = [f for f in found if flags(f)]
        flagged.sort(key=lambda f: (-actions[f.item_id].severity, -leak_score(f)))
        rest = [f for f in found if not flags(f)]
        near = max(rest, key=leak_score, default=None)
        score = max((leak_score(f) for f in found), default=0.0)
        if not flagged:
            return Verdict(True, Action.ALLOW, score, (), near)
        return Verdict(False, actions[flagged[0].item_id], score, tuple(flagged), near)


def leak_score(f: Finding) -> float:
    """A finding's score on one scale for all matchers: 0.5 at its threshold, 1 at the maximum.

    ``s < t`` maps to ``0.5 * s / t``; ``s >= t`` to ``0.5 + 0.5 * (s - t) / (1 - t)``. Monotone in the raw
    score, so a verdict's score is >= 0.5 exactly when the text is blocked.
    """
    s, t = f.score, f.threshold
    if t <= 0:
        return 1.0 if s > 0 else 0.5
    if s < t:
        return 0.5 * s / t
    return 1.0 if t >= 1 else 0.5 + 0.5 * (s - t) / (1 - t)


def _translator(translations: Embedder | bool | None, possible: bool) -> Embedder | Callable[[], Embedder] | None:
    """The translation check's embedder, or a loader for it (USE loads in seconds: only when needed)."""
    if translations is False or isinstance(translations, Embedder):
        return translations or None
    if translations is True:
        return load_embedder(MULTILINGUAL_EMBEDDER)
    return (lambda: load_embedder(MULTILINGUAL_EMBEDDER)) if possible else None


def _reranker(rerank: Rerank | bool) -> Rerank | None:
    return _bundled_reranker if rerank is True else (rerank or None)


def _bundled_reranker(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    from guard.rerank import load_reranker  # loaded on first use: most texts never come near an item

    return load_reranker().probabilities(pairs)


def _windows_to_embed(vs: tuple[View, ...]) -> list[tuple[int, Window]]:
    """Windows of the canonical view, and of each decoding that reads as language.

    rot13 and reversed views are embedded only when they read clearly more like language than the text
    itself, so ordinary text costs one view's windows (their verbatim check runs regardless).
    """
    if not vs:
        return []
    plain_score = language_score(vs[0].text)
    out: list[tuple[int, Window]] = [(0, w) for w in windows(vs[0].text)]
    for pos, view in enumerate(vs[1:], start=1):
        score = language_score(view.text)
        decoded = view.label.split("+")[0] in _DECODED
        if score >= _MIN_LANGUAGE and (decoded or score >= plain_score + _MIN_LANGUAGE):
            out.extend((pos, w) for w in windows(view.text))
    return out
