"""The embedded SmolLM2: found without importing its package, converted once, then loaded from the cache."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from guard.generators import embedded


def test_gguf_is_found_without_importing_the_package() -> None:
    path = embedded.gguf_path()
    assert path.name == embedded.GGUF_NAME and path.stat().st_size > 50_000_000
    assert embedded.PACKAGE not in sys.modules


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GUARD_CACHE", str(tmp_path))
    assert embedded.cache_dir() == tmp_path
    monkeypatch.delenv("GUARD_CACHE")
    assert embedded.cache_dir() == Path.home() / ".cache" / "guard"


@pytest.mark.slow
def test_loaded_model_is_a_chat_model_in_eval_mode(smollm: tuple[Any, Any]) -> None:
    model, tokenizer = smollm
    assert not model.training and tokenizer.chat_template
    assert (embedded.cache_dir() / "smollm2-135m-instruct" / "model.safetensors").is_file()
    assert embedded.load_embedded() is smollm  # loaded once per process
