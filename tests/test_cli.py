"""The command line: one test as a real process (as users run it), the rest in-process through
`guard.cli.main`, which shares the loaded embedder and keeps the suite fast."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guard.cli import main

from .conftest import DEMO


def process(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "guard.cli", *args], capture_output=True, env=env, timeout=300, text=True)


@pytest.fixture
def guard(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def test_check_text_and_jsonl_in_a_real_process(demo_index: Path, tmp_path: Path) -> None:
    guard = process
    out = guard("check", "--index", str(demo_index), "Her phone number is (520) 555-0143 and SSN 078-05-1120.")
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["allowed"] is False and verdict["action"] == "block"
    assert verdict["findings"][0]["item_id"] == "jane-roe-record"
    assert set(verdict) == {"allowed", "action", "score", "findings"}

    out = guard("check", "--index", str(demo_index), "--jsonl", str(DEMO / "examples.jsonl"))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    examples = [line for line in (DEMO / "examples.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == len(examples) == 14 and all("label" in r for r in rows)
    assert [r["allowed"] for r in rows] == [r["label"] in ("benign", "allowed near-miss") for r in rows]


def test_check_redact_prints_the_text(guard, demo_index: Path) -> None:
    text = "Quote: The keeper of the Gull Rock light had not spoken to another person in forty-one days. End."
    out = guard("check", "--index", str(demo_index), "--redact", text)
    assert out.returncode == 0 and out.stdout.startswith("Quote: [REDACTED]") and "Gull" not in out.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "fine"}\n\xff\xfe\n', "not valid UTF-8 (line 2"),
        (b'{"text": "fine"}\n{"text": 3}\n', ':2: expected an object with a string "text"'),
        (b'{"text": "fine"}\n{oops\n', ":2: not valid JSON"),
        (b"\n\n", "no texts to check"),
    ],
)
def test_bad_jsonl_fails_before_printing_anything(guard, demo_index: Path, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    out = guard("check", "--index", str(demo_index), "--jsonl", str(path))
    assert out.returncode == 1 and out.stdout == ""
    assert message in out.stderr and out.stderr.startswith("guard: error:") and out.stderr.count("\n") == 1


def test_bad_single_inputs(guard, demo_index: Path, tmp_path: Path) -> None:
    empty = guard("check", "--index", str(demo_index), "  ")
    assert empty.returncode == 1 and "empty" in empty.stderr
    big = guard("check", "--index", str(demo_index), "-", stdin=b"word " * 210_000)
    assert big.returncode == 1 and "more than the limit" in big.stderr
    missing = guard("check", "--index", str(tmp_path / "nope"), "hello")
    assert missing.returncode == 1 and "index folder not found" in missing.stderr
    usage = guard("check", "--index", str(demo_index))
    assert usage.returncode == 1 and "give either a TEXT" in usage.stderr


def test_build_add_remove_info_and_calibrate(guard, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    built = guard("index", "build", str(DEMO / "policy.yaml"), "--out", str(root), "--quiet")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["items"] == 6

    secret = "The launch password for Project Heron is violet-anchor-2291, kept in the blue binder."
    assert json.loads(guard("check", "--index", str(root), secret).stdout)["allowed"] is True
    added = guard("index", "add", str(root), "--id", "heron", "--text", secret)
    assert added.returncode == 0, added.stderr
    assert json.loads(guard("check", "--index", str(root), secret).stdout)["allowed"] is False

    removed = guard("index", "remove", str(root), "heron")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(guard("check", "--index", str(root), secret).stdout)["allowed"] is True
    assert "no item with id 'ghost'" in guard("index", "remove", str(root), "ghost").stderr

    info = json.loads(guard("index", "info", str(root)).stdout)
    assert info["counts"]["items"] == 6 and "heron" not in [i["id"] for i in info["items"]]

    benign = tmp_path / "benign.txt"
    benign.write_text("\n".join(f"Ordinary sentence number {n} about gardening and the weather." for n in range(120)))
    cal = guard("calibrate", str(root), "--benign", str(benign), "--fpr", "0.01")
    assert cal.returncode == 0, cal.stderr
    record = json.loads(cal.stdout)
    assert record["texts"] == 120 and all(v <= 0.01 for v in record["measured_fpr"].values())
    assert json.loads(guard("index", "info", str(root)).stdout)["calibration"]["texts"] == 120
    few = guard("calibrate", str(root), "--benign", str(benign), "--fpr", "0.001")
    assert few.returncode == 1 and "needs at least 1000" in few.stderr


def test_bad_policy_exits_non_zero_without_writing(guard, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("items:\n  - id: a\n    kind: contnet\n    text: x\n")
    out = guard("index", "build", str(policy), "--out", str(tmp_path / "ix"))
    assert out.returncode == 1 and "field 'kind'" in out.stderr and not (tmp_path / "ix").exists()


def test_bench_runs_the_repository_runners_and_says_where_they_live(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    assert main(["bench", "--help"]) == 0
    assert "attacks" in capsys.readouterr().out
    assert main(["bench", "no-such-benchmark"]) == 2
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p or ".").resolve() != root])
    monkeypatch.delitem(sys.modules, "benchmarks", raising=False)
    monkeypatch.delitem(sys.modules, "benchmarks.__main__", raising=False)
    assert main(["bench", "report"]) == 1
    assert "run `guard bench` from the repository root" in capsys.readouterr().err


def test_build_refuses_pq_without_ivf_and_a_pq_that_does_not_divide_the_dimension(guard, tmp_path: Path) -> None:
    out = str(tmp_path / "ix")
    flat = guard("index", "build", str(DEMO / "policy.yaml"), "--out", out, "--quiet", "--pq", "48")
    assert flat.returncode == 1 and "--pq needs --ann ivf" in flat.stderr
    odd = guard("index", "build", str(DEMO / "policy.yaml"), "--out", out, "--quiet", "--ann", "ivf", "--pq", "7")
    assert odd.returncode == 1 and "must divide the embedding dimension" in odd.stderr
    assert not (tmp_path / "ix").exists()
