"""Every error `guard` raises, in one tree.

    GuardError                  base class: catch this to catch everything below
    ├── PolicyError             the policy file is malformed (names the item and the field)
    ├── GuardIndexError         the on-disk index is missing, corrupt or of another format
    │   └── EmbedderMismatchError   the index was built with another embedder or dimension
    ├── InputError              a text to check is unusable (too large, not UTF-8, bad JSONL line)
    └── DependencyError         an optional dependency (faiss, sentence-transformers...) is not installed

Errors of the libraries underneath (faiss, yaml, json) are translated where they enter, so callers
only ever need to catch `GuardError`.
"""

from __future__ import annotations


class GuardError(Exception):
    """Base class of every error raised by guard."""


class PolicyError(GuardError):
    """The policy file or a policy item is invalid."""


class GuardIndexError(GuardError):
    """The index folder is missing, corrupt, or was written by an incompatible version."""


class EmbedderMismatchError(GuardIndexError):
    """The index was built with an embedder other than the one asked for."""


class InputError(GuardError):
    """A candidate text (or a file of them) cannot be checked as given."""


class DependencyError(GuardError):
    """An optional dependency is missing; the message says which extra to install."""


__all__ = [
    "DependencyError",
    "EmbedderMismatchError",
    "GuardError",
    "GuardIndexError",
    "InputError",
    "PolicyError",
]
