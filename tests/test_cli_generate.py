"""`guard generate`: the embedded model from the command line (in-process, sharing the loaded model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guard.cli import main

from . import generation_fixtures as fx
from .generation_fixtures import REPEAT

smollm = fx.smollm  # a shared fixture


@pytest.mark.slow
def test_generate_json_stream_and_no_guard(
    smollm: tuple[Any, Any], demo_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--index", str(demo_index), "--json", "--max-new-tokens", "30", REPEAT]) == 0
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert record["verdict"]["allowed"] and record["vetoed_tokens"] > 0 and "Gull Rock light" not in record["text"]
    assert "vetoed" in err  # diagnostics on stderr

    assert main(["generate", "--no-guard", "--max-new-tokens", "30", REPEAT]) == 0
    raw, _ = capsys.readouterr()
    assert "Gull Rock" in raw

    assert main(["generate", "--index", str(demo_index), "--stream", "--max-new-tokens", "12", "Say hi."]) == 0
    streamed, _ = capsys.readouterr()
    assert streamed.strip()


def test_generate_needs_an_index_or_no_guard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "hello"]) == 1
    assert "--index" in capsys.readouterr().err
