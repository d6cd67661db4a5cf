"""Building, loading, updating and searching the on-disk index."""

from guard.index.build import add_items, build_index
from guard.index.data import Index

__all__ = ["Index", "add_items", "build_index"]
