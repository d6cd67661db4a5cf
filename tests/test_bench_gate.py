"""The gate benchmark's counting: windows read as another language, with examples of both kinds."""

from __future__ import annotations

from benchmarks.gate import _count, _windows


def test_windows_are_counted_as_read_in_another_language_or_not() -> None:
    windows = _windows(["Tom asked Mary to close the door.", "¿Realmente piensas vencer?", "Wir brauchen mehr Zeit."])
    counted = _count(windows)
    assert (counted["windows"], counted["read_as_foreign"]) == (3, 2)
    assert counted["read"] == ["¿realmente piensas vencer?", "wir brauchen mehr zeit."]
    assert counted["not_read"] == ["tom asked mary to close the door."]
    assert counted["share"] == round(2 / 3, 4)
