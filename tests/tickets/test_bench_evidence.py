"""``bench evidence`` at toy size, through the command line: every file received in both runs.

Timings and memory on a shared test machine mean nothing, so none are asserted.
"""

from __future__ import annotations

import pytest

from bot.cli import main


def test_the_evidence_benchmark_receives_every_file_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "evidence", "--reporters", "2", "--megapixels", "1"]) == 0

    printed = dict(
        line.strip().rsplit(None, 1) for line in capsys.readouterr().out.splitlines()[1:]
    )
    for run in ("budget", "unbounded"):
        assert printed[f"{run} files received"] == "2"
        assert printed[f"{run} handler errors"] == "0"
        assert float(printed[f"{run} parent questions"]) >= 1
        assert float(printed[f"{run} peak RSS MB"]) >= float(
            printed[f"{run} peak RSS before burst MB"]
        )
    assert printed["budget MB"] == "256"
