"""The values guard returns: frozen, named, and explicit about what each score means."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Action(str, enum.Enum):
    """What a wrapper does with an output that matched an item.

    Ordered by severity: when several items match, the verdict takes the most severe action.
    """

    ALLOW = "allow"
    REDACT = "redact"  # replace the matched spans
    REGENERATE = "regenerate"  # ask the generator again, steered away; block after N tries
    BLOCK = "block"  # replace the whole output with a refusal

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.REDACT: 1, Action.REGENERATE: 2, Action.BLOCK: 3}


class Matcher(str, enum.Enum):
    """Which detector produced a finding."""

    VERBATIM = "verbatim"  # normalized character n-grams shared with a content item
    SEMANTIC = "semantic"  # embedding cosine between a window and a content window
    CONCEPT = "concept"  # embedding cosine to a concept's examples, net of its allowed near-misses
    TRANSLATION = "translation"  # multilingual embedding cosine between a window in another language and a content window


@dataclass(frozen=True)
class Finding:
    """One piece of evidence that a text leaks one policy item.

    Attributes:
        item_id: the policy item that leaked.
        kind: the item's kind, ``"content"`` or ``"concept"``.
        matcher: the detector that found it.
        score: in [0, 1], higher = more likely a leak. Verbatim: share of the item's normalized
            characters reproduced in one contiguous run (capped at 1 once ``min_chars`` match);
            semantic: cosine similarity of the two windows; concept: cosine to the nearest example.
        threshold: the score at or above which this matcher flags (from the index manifest).
        start, end: character span in the checked text (``text[start:end]``), end exclusive.
        view: how the text was read when it matched: ``"plain"`` or a decoding such as ``"base64"``.
        evidence: the matched item window's id (semantic/concept) or the matched length in
            normalized characters (verbatim), for explanation; never the forbidden text itself.
    """

    item_id: str
    kind: str
    matcher: Matcher
    score: float
    threshold: float
    start: int
    end: int
    view: str = "plain"
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["matcher"] = self.matcher.value
        d["score"] = round(self.score, 4)
        d["threshold"] = round(self.threshold, 4)
        return d


@dataclass(frozen=True)
class Verdict:
    """The decision on one text.

    Attributes:
        allowed: False when at least one finding is at or above its threshold.
        action: the most severe action among the items found (``Action.ALLOW`` when allowed).
        score: in [0, 1], higher = more likely a leak: the highest score any matcher gave this text,
            flagged or not (so an allowed text still shows how close it came).
        findings: the flagged evidence, most severe first.
        near_miss: the best unflagged evidence, for calibration and explanation (may be None).
    """

    allowed: bool
    action: Action
    score: float
    findings: tuple[Finding, ...] = ()
    near_miss: Finding | None = None

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The distinct items found, in order of first appearance."""
        return tuple(dict.fromkeys(f.item_id for f in self.findings))

    def spans(self) -> list[tuple[int, int]]:
        """The flagged character spans, merged where they overlap, sorted.

        Where an item was found verbatim, its verbatim runs are used and its semantic windows (whole
        sentences, coarser) are not: redaction then removes the copied text and keeps the rest.
        """
        verbatim_items = {f.item_id for f in self.findings if f.matcher is Matcher.VERBATIM}
        chosen = [f for f in self.findings if f.matcher is Matcher.VERBATIM or f.item_id not in verbatim_items]
        merged: list[tuple[int, int]] = []
        for start, end in sorted((f.start, f.end) for f in chosen):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "action": self.action.value,
            "score": round(self.score, 4),
            "findings": [f.to_dict() for f in self.findings],
        }


def redact(text: str, verdict: Verdict, *, mask: str = "[REDACTED]") -> str:
    """Return ``text`` with every flagged span replaced by ``mask``."""
    out, pos = [], 0
    for start, end in verdict.spans():
        out.append(text[pos:start])
        out.append(mask)
        pos = end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class GenerationResult:
    """What a guarded generation returned, and what guard did to get there.

    Attributes:
        text: the text to show: the generated text, redacted, or the refusal message when blocked.
        verdict: the check of the generated text before any action (``verdict.allowed`` is True when
            nothing had to be done after decoding).
        action: what was done after decoding: ``ALLOW`` (text as generated), ``REDACT`` or ``BLOCK``;
            ``REGENERATE`` never appears here (a regeneration that keeps failing ends as ``BLOCK``).
        vetoed_tokens: candidate tokens the verbatim blocker removed while decoding (0 for black boxes);
            higher = the model pushed harder toward a forbidden run.
        backtracks: roll-backs of the semantic check (local models) or calls repeated with a steering
            instruction (black boxes).
        token_ids: the generated token ids (local models; empty for black boxes), after roll-backs.
        finish_reason: ``"stop"`` (end of sequence), ``"length"`` (max_new_tokens), ``"blocked"``.
    """

    text: str
    verdict: Verdict
    action: Action = Action.ALLOW
    vetoed_tokens: int = 0
    backtracks: int = 0
    token_ids: tuple[int, ...] = ()
    finish_reason: str = "stop"

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "action": self.action.value,
            "verdict": self.verdict.to_dict(),
            "vetoed_tokens": self.vetoed_tokens,
            "backtracks": self.backtracks,
            "new_tokens": len(self.token_ids),
            "finish_reason": self.finish_reason,
        }
