"""The shipped deployment files as an administrator uses them: the systemd unit's command line,
user-independent settings and environment, the example configs with this machine's paths, the
README's commands. Parsed from the files themselves, so a test runs what is documented."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "hotline-bot@.service"
README = PROJECT_ROOT / "README.md"
# Where the deployment files assume things are, and where a test keeps them instead.
CHECKOUT = "/opt/hotline"
VENV_PYTHON = f"{CHECKOUT}/.venv/bin/python"
DATA = "/var/lib/hotline"
SHIPPED_DATABASE = "postgresql://hotline@127.0.0.1:5432/hotline"
SHIPPED_WEBHOOK_URL = "https://bot.example.gov.cn/telegram"


def unit_settings(unit: Path = UNIT) -> dict[str, list[str]]:
    """``Key=value`` lines of the unit's [Service] section, every value of repeated keys."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def unit_command(config: Path, instance: str) -> list[str]:
    """The unit's ExecStart for ``hotline-bot@instance``, with this checkout's Python and
    ``config`` where the unit reads /etc/hotline/INSTANCE.yaml."""
    [exec_start] = unit_settings()["ExecStart"]
    argv = shlex.split(exec_start.replace("%i", instance))
    expected_config = f"/etc/hotline/{instance}.yaml"
    assert argv[0] == VENV_PYTHON and expected_config in argv, argv
    return [sys.executable, *(str(config) if a == expected_config else a for a in argv[1:])]


def unit_environment(secrets: dict[str, str], cache: Path) -> dict[str, str]:
    """What systemd gives the process: the unit's Environment= lines and its EnvironmentFile,
    on top of a minimal PATH (and the test's PostgreSQL settings, if any)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PTB_TIMEDELTA": "1"}
    for assignment in unit_settings()["Environment"]:
        key, _, value = assignment.partition("=")
        env[key] = str(cache) if key == "MPLCONFIGDIR" else value
    return {**env, **secrets}


def working_directory() -> Path:
    [folder] = unit_settings()["WorkingDirectory"]
    assert folder == CHECKOUT
    return PROJECT_ROOT


def generated_secrets() -> dict[str, str]:
    """What ``python -m bot keys generate`` prints for secrets.env, as KEY=value pairs."""
    printed = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "generate"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout
    return secrets_env(printed)


def secrets_env(text: str) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads them (comments and blanks skipped)."""
    pairs = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def shipped_config(name: str, folder: Path, replacements: dict[str, str], telegram: str) -> Path:
    """deploy/config/NAME.yaml as an administrator copies it to /etc/hotline, with this
    machine's paths (``replacements``, text for text) and ``telegram`` (indented YAML lines)
    added to its telegram: section: the shipped local: and inspection: stay as they are."""
    text = (DEPLOY / "config" / name).read_text(encoding="utf-8")
    for shipped, here in {CHECKOUT: str(PROJECT_ROOT), **replacements}.items():
        assert shipped in text, f"{name} no longer mentions {shipped}"
        text = text.replace(shipped, here)
    text = re.sub(r"^telegram:\n", lambda _: f"telegram:\n{telegram}", text, count=1, flags=re.M)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_text(text, encoding="utf-8")
    return target


def emulator_lines(base_url: str, base_file_url: str) -> str:
    """telegram: keys pointing the bot at the emulator instead of Telegram."""
    return (
        f'  base_url: "{base_url}"\n'
        f'  base_file_url: "{base_file_url}"\n'
        "  rate_limits: {overall_per_second: 0, group_per_minute: 0, max_retries: 5}\n"
    )
