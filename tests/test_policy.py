from __future__ import annotations

from pathlib import Path

import pytest

from guard.exceptions import PolicyError
from guard.policy import load_policy, parse_policy
from guard.types import Action


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_policy_loads_and_expands_jsonl_sources() -> None:
    policy = load_policy(Path(__file__).parent.parent / "indexes" / "demo" / "policy.yaml")
    ids = [it.id for it in policy.items]
    assert "jane-roe-record" in ids and "customer-1002" in ids and "captain-quasar" in ids
    concept = next(it for it in policy.items if it.kind == "concept")
    assert concept.examples and concept.allow and concept.action is Action.REGENERATE
    passage = next(it for it in policy.items if it.id == "lighthouse-passage")
    assert passage.text.startswith("The keeper") and passage.action is Action.REDACT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a mapping"),
        ({"items": "x"}, "'items' must be a list"),
        ({"items": [], "colour": 1}, "unknown top-level field"),
        ({"items": [{"text": "x"}]}, "field 'id'"),
        ({"items": [{"id": "a b", "text": "x"}]}, "field 'id'"),
        ({"items": [{"id": "a", "kind": "contnet", "text": "x"}]}, "items[0] (id 'a'): field 'kind'"),
        ({"items": [{"id": "a", "text": "x", "action": "delete"}]}, "field 'action'"),
        ({"items": [{"id": "a"}]}, "exactly one of 'text' or 'source'"),
        ({"items": [{"id": "a", "text": "x", "source": "y.txt"}]}, "exactly one of 'text' or 'source'"),
        ({"items": [{"id": "a", "text": "   "}]}, "field 'text' must be a non-empty string"),
        ({"items": [{"id": "a", "text": "x", "examples": ["y"]}]}, "unknown field(s) ['examples']"),
        ({"items": [{"id": "c", "kind": "concept"}]}, "field 'examples'"),
        ({"items": [{"id": "c", "kind": "concept", "examples": ["ok", 3]}]}, "examples[1]"),
        ({"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "duplicate item id 'a'"),
    ],
)
def test_invalid_policies_name_the_problem(data: object, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    assert message in str(err.value)


def test_missing_source_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - id: a\n    source: nowhere.txt\n")
    with pytest.raises(PolicyError, match="source file not found"):
        load_policy(path)


def test_bad_jsonl_line_is_reported_with_its_number(tmp_path: Path) -> None:
    (tmp_path / "r.jsonl").write_text('{"id": "r1", "text": "one"}\n{"id": "r2", "text": \n', encoding="utf-8")
    path = write(tmp_path, "items:\n  - id: recs\n    source: r.jsonl\n")
    with pytest.raises(PolicyError, match=r"r.jsonl:2: not valid JSON"):
        load_policy(path)


def test_non_utf8_source_is_reported(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_bytes(b"caf\xe9 au lait")
    path = write(tmp_path, "items:\n  - id: a\n    source: s.txt\n")
    with pytest.raises(PolicyError, match="not valid UTF-8"):
        load_policy(path)


def test_malformed_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(write(tmp_path, "items: [\n  - id: a\n"))
    with pytest.raises(PolicyError, match="policy file not found"):
        load_policy(tmp_path / "absent.yaml")
