"""Benchmarks of guard: run ``python -m benchmarks --help``."""
