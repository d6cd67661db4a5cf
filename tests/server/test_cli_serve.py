"""`guard serve`: argument errors end with a message before anything is loaded or served."""

from __future__ import annotations

import pytest

from guard.cli import main


@pytest.mark.parametrize(("argv", "needle"), [
    (["serve", "--model", "default"], "--index"),
    (["serve", "--no-guard", "--index", "x", "--model", "default"], "not both"),
    (["serve", "--index", "/nonexistent/index", "--upstream", "http://127.0.0.1:9/v1"], "not found"),
])  # fmt: skip
def test_serve_refuses_bad_arguments(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    assert needle in capsys.readouterr().err


def test_serve_needs_one_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--no-guard"])
    assert exit_.value.code == 2
