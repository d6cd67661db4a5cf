"""Generators guard can drive: local transformers models (steerable) and plain callables (black boxes).

Nothing heavy is imported here; each adapter imports torch/transformers inside the functions that need them.
"""

REFUSAL = "I can't help with that: the answer would contain content I'm not allowed to share."
