"""``python -m bot run --offline`` (what ``make run`` starts without a token): the bot against
the built-in emulator, chatting in the terminal; started again on the same data, it still
answers (the emulator's update ids carry on past those the database remembers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT

QUESTION = "周末能上英语补习班吗"
ANSWER = "校外培训机构不得占用国家法定节假日"


def chat_offline(config: Path, lines: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--offline", "--config", str(config)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_offline_chat_answers_and_answers_again_after_a_restart(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    # The documented defaults, the knowledge base read from the project; data beside the file.
    example = (PROJECT_ROOT / "config.example.yaml").read_text(encoding="utf-8")
    layers = "- knowledge/national\n    - knowledge/local"
    assert layers in example
    shipped = f"- {PROJECT_ROOT}/knowledge/national\n    - {PROJECT_ROOT}/knowledge/local"
    config.write_text(example.replace(layers, shipped), encoding="utf-8")
    for _ in range(2):
        said = chat_offline(config, f"{QUESTION}\n/quit\n")
        assert "24小时在线" in said  # the greeting /start gets
        assert ANSWER in said
