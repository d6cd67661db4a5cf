"""The policy file: what must not be emitted.

A policy is YAML::

    embedder: default            # the bundled all-MiniLM-L6-v2, or a local sentence-transformers folder
    items:
      - id: jane-record
        kind: content            # content | concept
        text: "..."              # or source: a .txt file, or a .jsonl file of {"id", "text"} lines
        action: block            # block | redact | regenerate
      - id: spiderman
        kind: concept
        description: "..."
        examples: ["...", "..."]
        allow: ["...", "..."]    # near-misses that must stay allowed

Every problem is reported with the file, the item and the field, and nothing is loaded half-way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guard.exceptions import PolicyError
from guard.types import Action

KINDS = ("content", "concept")
ACTIONS = ("block", "redact", "regenerate")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$")
_CONTENT_FIELDS = {"id", "kind", "text", "source", "action", "metadata"}
_CONCEPT_FIELDS = {"id", "kind", "description", "examples", "allow", "action", "metadata"}


@dataclass(frozen=True)
class Item:
    """One forbidden thing. Content items have ``text``; concepts have a description and examples."""

    id: str
    kind: str
    action: Action = Action.BLOCK
    text: str = ""
    description: str = ""
    examples: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    embedder: str
    items: tuple[Item, ...]


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise `PolicyError` naming what is wrong."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc}") from None
    return parse_policy(_parse_yaml(raw, path), base_dir=path.parent, where=str(path))


def _parse_yaml(raw: str, path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None


def parse_policy(data: Any, *, base_dir: Path = Path("."), where: str = "policy") -> Policy:
    """Validate an already-parsed policy mapping (as read from YAML or sent to the admin API)."""
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping with 'items', got {type(data).__name__}")
    unknown = set(data) - {"embedder", "items"}
    if unknown:
        raise PolicyError(f"{where}: unknown top-level field(s) {sorted(unknown)}; expected 'embedder' and 'items'")
    embedder = data.get("embedder", "default")
    if not isinstance(embedder, str) or not embedder:
        raise PolicyError(f"{where}: 'embedder' must be 'default' or a folder path")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise PolicyError(f"{where}: 'items' must be a list of items")
    items = [item for i, d in enumerate(raw_items) for item in parse_item(d, base_dir=base_dir, where=f"{where}: items[{i}]")]
    check_unique(items, where=where)
    return Policy(embedder=embedder, items=tuple(items))


def check_unique(items: Iterable[Item], *, where: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise PolicyError(f"{where}: duplicate item id {item.id!r}")
        seen.add(item.id)


def parse_item(data: Any, *, base_dir: Path = Path("."), where: str = "item") -> list[Item]:
    """Validate one item; a ``source: x.jsonl`` item expands into one item per line."""
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping, got {type(data).__name__}")
    item_id = _require_id(data.get("id"), where)
    where = f"{where} (id {item_id!r})"
    kind = data.get("kind", "content")
    if kind not in KINDS:
        raise PolicyError(f"{where}: field 'kind' must be one of {list(KINDS)}, got {kind!r}")
    allowed = _CONTENT_FIELDS if kind == "content" else _CONCEPT_FIELDS
    unknown = set(data) - allowed
    if unknown:
        raise PolicyError(f"{where}: unknown field(s) {sorted(unknown)} for a {kind} item; allowed: {sorted(allowed)}")
    action = _action(data.get("action", "block"), where)
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise PolicyError(f"{where}: field 'metadata' must be a mapping")
    if kind == "concept":
        return [_concept(data, item_id, action, metadata, where)]
    return _content(data, item_id, action, metadata, base_dir, where)


def _require_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise PolicyError(
            f"{where}: field 'id' must be a string of letters, digits and ._:/@+- (at most 200), got {value!r}"
        )
    return value


def _action(value: Any, where: str) -> Action:
    if value not in ACTIONS:
        raise PolicyError(f"{where}: field 'action' must be one of {list(ACTIONS)}, got {value!r}")
    return Action(value)


def _text(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: field '{name}' must be a non-empty string")
    return value


def _texts(value: Any, where: str, name: str, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise PolicyError(f"{where}: field '{name}' must be a {'non-empty ' if required else ''}list of strings")
    return tuple(_text(v, where, f"{name}[{i}]") for i, v in enumerate(value))


def _concept(data: dict[str, Any], item_id: str, action: Action, metadata: dict[str, Any], where: str) -> Item:
    description = _text(data["description"], where, "description") if "description" in data else ""
    examples = _texts(data.get("examples"), where, "examples", required=True)
    allow = _texts(data.get("allow"), where, "allow", required=False)
    return Item(item_id, "concept", action, description=description, examples=examples, allow=allow, metadata=metadata)


def _content(
    data: dict[str, Any], item_id: str, action: Action, metadata: dict[str, Any], base_dir: Path, where: str
) -> list[Item]:
    if ("text" in data) == ("source" in data):
        raise PolicyError(f"{where}: a content item needs exactly one of 'text' or 'source'")
    if "text" in data:
        return [Item(item_id, "content", action, text=_text(data["text"], where, "text"), metadata=metadata)]
    source = base_dir / _text(data["source"], where, "source")
    if source.suffix == ".jsonl":
        return [
            Item(line_id, "content", action, text=text, metadata={**metadata, "source": item_id})
            for line_id, text in _read_jsonl(source, where)
        ]
    return [Item(item_id, "content", action, text=_read_source(source, where), metadata=metadata)]


def _read_source(path: Path, where: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{where}: source file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{where}: source {path} is not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read source {path}: {exc.strerror}") from None
    if not text.strip():
        raise PolicyError(f"{where}: source {path} is empty")
    return text


def _read_jsonl(path: Path, where: str) -> list[tuple[str, str]]:
    out = []
    for n, line in enumerate(_read_source(path, where).splitlines(), start=1):
        if not line.strip():
            continue
        at = f"{where}: {path}:{n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"{at}: not valid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise PolicyError(f"{at}: expected an object with 'id' and 'text'")
        out.append((_require_id(record.get("id"), at), _text(record.get("text"), at, "text")))
    return out
