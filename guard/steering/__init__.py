"""Decoding-time steering for local models: the verbatim blocker, the guarded decode loop with
roll-back, and the glue that composes them with outlines' structured generation.

Nothing heavy is imported here: ``guard.steering.verbatim`` and ``guard.steering.decode`` import torch and
transformers themselves.
"""
