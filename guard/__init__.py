"""guard: inference-time suppression of forbidden content in generative model outputs.

``import guard`` is light: the embedder, FAISS and torch are imported only when an index is built or
loaded.
"""

from guard.exceptions import (
    DependencyError,
    EmbedderMismatchError,
    GuardError,
    GuardIndexError,
    InputError,
    PolicyError,
)
from guard.guard import Guard
from guard.policy import Item, Policy, load_policy
from guard.streaming import hold_back
from guard.types import Action, Finding, GenerationResult, Matcher, Verdict, redact
from guard.wrap import wrap

__version__ = "0.1.0"

__all__ = [
    "Action",
    "DependencyError",
    "EmbedderMismatchError",
    "Finding",
    "GenerationResult",
    "Guard",
    "GuardError",
    "GuardIndexError",
    "InputError",
    "Item",
    "Matcher",
    "Policy",
    "PolicyError",
    "Verdict",
    "hold_back",
    "load_policy",
    "redact",
    "wrap",
]
