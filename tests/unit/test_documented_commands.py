"""Every `python -m bot` command line of the README and of the systemd unit, as written, is one
the command line accepts; and `--config FILE` is accepted before or after any command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.deployment import README, VENV_PYTHON, unit_settings

# A bot command line, bare or through the wrapper that gives it the service's secrets.
PREFIXES = (
    "python -m bot ",
    ".venv/bin/python -m bot ",
    f"{VENV_PYTHON} -m bot ",
    "/opt/hotline/deploy/hotline-cli.sh ",
)
# What the README's synopses name, as a user would fill it in.
FILLED_IN = {
    "FILE.yaml": "cases.yaml",
    "FILE": "/etc/hotline/instance-a.yaml",
    "PATHS": "knowledge/national",
    "URL": "postgresql://hotline@127.0.0.1:5432/hotline",
    "N": "2",
    "R": "20",
    "S": "30",
    "<command>": "run",
    "USER_ID": "123456789",
    "QUEUE": "edu-haidian",
}


def readme_commands() -> list[str]:
    """Code spans and lines of code blocks that are bot commands, and the first cell of each
    row of the command table (written without the `python -m bot` in front)."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\w*\n(.*?)^```", text, flags=re.M | re.S)
    spans = re.findall(r"`([^`\n]+)`", text) + [
        line.strip() for block in blocks for line in block.splitlines()
    ]
    # "... -m bot ..." stands for any command; the table lists them one by one.
    commands = [s for s in spans if s.startswith(PREFIXES) and not s.endswith("...")]
    table_rows = re.findall(r"^\| `([^`]+)` \|", text, flags=re.M)
    commands += [f"python -m bot {row}" for row in table_rows]
    return list(dict.fromkeys(commands))


def as_argv(command: str) -> list[str]:
    """A synopsis as one command line: optional parts [..] included, the first of a|b."""
    for prefix in PREFIXES:
        if command.startswith(prefix):
            command = command.removeprefix(prefix)
    command = command.replace("[", " ").replace("]", " ").replace("\\|", "|")
    command = re.sub(r"(\S+)\|\S+", r"\1", command)
    return [FILLED_IN.get(word, word) for word in shlex.split(command)]


def unit_argv() -> list[str]:
    [exec_start] = unit_settings()["ExecStart"]
    argv = shlex.split(exec_start.replace("%i", "instance-a"))
    assert argv[:3] == [VENV_PYTHON, "-m", "bot"]
    return argv[3:]


DOCUMENTED = [*readme_commands(), "unit: " + " ".join(unit_argv())]


def test_the_readme_documents_the_operations_commands() -> None:
    documented = " ".join(readme_commands())
    for command in (
        "config check",
        "keys generate",
        "keys rotate",
        "db status",
        "db migrate",
        "hotline-cli.sh export",
        "hotline-cli.sh kb gaps",
    ):
        assert command in documented, command


@pytest.mark.parametrize("command", DOCUMENTED)
def test_a_documented_command_line_is_accepted(command: str) -> None:
    argv = unit_argv() if command.startswith("unit: ") else as_argv(command)
    parsed = build_parser().parse_args(argv)  # argparse exits 2 on anything it refuses
    assert parsed.handler is not None


def every_command() -> list[list[str]]:
    """Each leaf command of the parser, with the arguments it needs."""
    needs = {
        ("eval",): ["cases.yaml"],
        ("registry", "import"): ["list.csv"],
        ("staff", "add"): ["123456789"],
        ("staff", "remove"): ["123456789"],
    }
    found: list[list[str]] = []

    def walk(parser: object, path: list[str]) -> None:
        subparsers = [
            a
            for a in getattr(parser, "_actions", [])
            if a.__class__.__name__ == "_SubParsersAction"
        ]
        if not subparsers:
            found.append([*path, *needs.get(tuple(path), [])])
            return
        for name, child in subparsers[0].choices.items():
            walk(child, [*path, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("argv", every_command(), ids=" ".join)
def test_config_is_accepted_before_and_after_every_command(argv: list[str]) -> None:
    config = Path("/etc/hotline/instance-a.yaml")
    before = build_parser().parse_args(["--config", str(config), *argv])
    after = build_parser().parse_args([*argv, "--config", str(config)])
    assert before.config == after.config == config
