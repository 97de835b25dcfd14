"""The bot put into service as the README and deploy/ say: the systemd unit's own command line
and environment, the shipped configs (with this machine's paths), no terminal on stdin. A mistake
an administrator can make stops it at once, in one line, before it reaches Telegram."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.emulator import BotApiEmulator
from tests.conftest import POSTGRESQL_URL
from tests.deployment import (
    DATA,
    DEPLOY,
    SHIPPED_DATABASE,
    SHIPPED_WEBHOOK_URL,
    emulator_lines,
    generated_secrets,
    shipped_config,
    unit_command,
    unit_environment,
    working_directory,
)
from tests.integration.conftest import TOKEN
from tests.integration.test_reporter_durability import until
from tests.integration.test_webhook import free_port

QUESTION = "举报电话是多少"


@asynccontextmanager
async def unit_process(
    command: list[str], env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The command as systemd starts it: no terminal on stdin, the unit's working directory."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=working_directory(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.terminate()  # systemctl stop
                await asyncio.wait_for(process.wait(), timeout=60)


def shipped_local(name: str) -> dict[str, str]:
    data = yaml.safe_load((DEPLOY / "config" / name).read_text(encoding="utf-8"))
    return {k: str(v) for k, v in data["local"].items()}


async def ask_and_check_the_hotline(emu: BotApiEmulator, name: str) -> None:
    """A parent's question and the privacy notice show the config's number, no placeholder."""
    hotline = shipped_local(name)["report_hotline"]
    parent = emu.user()
    await emu.send_text(parent, QUESTION)
    [answer] = await emu.wait_for_messages(parent.id, 1, timeout=30)
    assert f"举报电话 {hotline}" in answer["text"] and "{" not in answer["text"]
    await emu.send_text(parent, "/about")
    [_, about] = await emu.wait_for_messages(parent.id, 2, timeout=30)
    assert f"举报电话:{hotline}。" in about["text"].replace("：", ":")


async def test_the_unit_serves_parents_with_the_shipped_single_instance_config(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    data, monitoring = tmp_path / "var-lib-hotline", free_port()
    config = shipped_config(
        "single.yaml",
        tmp_path / "etc-hotline",
        {DATA: str(data), "port: 8440": f"port: {monitoring}"},
        emulator_lines(emu.base_url, emu.base_file_url),
    )
    env = unit_environment({**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")
    async with unit_process(unit_command(config, "single"), env, tmp_path / "bot.log") as bot:
        await until(lambda: bool(emu.calls("getUpdates")), timeout=60)
        await ask_and_check_the_hotline(emu, "single.yaml")
        async with httpx.AsyncClient() as client:
            ready = await client.get(f"http://127.0.0.1:{monitoring}/readyz")
        assert ready.status_code == 200, ready.text
    assert bot.returncode == 0, (tmp_path / "bot.log").read_text()
    assert (data / "hotline.sqlite3").exists()
    assert not (data / "privacy-keys.json").exists()  # the keys came from secrets.env


@pytest.mark.skipif(not POSTGRESQL_URL, reason="needs PostgreSQL (TEST_POSTGRESQL_URL)")
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_unit_serves_parents_with_the_shipped_instance_config(
    emu: BotApiEmulator, tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    config = shipped_config(
        "instance-a.yaml",
        tmp_path / "etc-hotline",
        {
            DATA: str(tmp_path / "var-lib-hotline"),
            SHIPPED_DATABASE: database_url,
            SHIPPED_WEBHOOK_URL: f"http://127.0.0.1:{port}/telegram",
            "port: 8441": f"port: {port}",
        },
        emulator_lines(emu.base_url, emu.base_file_url),
    )
    env = unit_environment({**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")
    command = unit_command(config, "instance-a")
    async with unit_process(command, env, tmp_path / "bot.log") as bot:
        await until(lambda: bool(emu.calls("setWebhook")), timeout=60)
        await ask_and_check_the_hotline(emu, "instance-a.yaml")
    assert bot.returncode == 0, (tmp_path / "bot.log").read_text()


# --- mistakes that stop it at once ------------------------------------------------------------


def polling_config(tmp_path: Path, emu: BotApiEmulator, data: Path | None = None) -> Path:
    return shipped_config(
        "single.yaml",
        tmp_path / "etc-hotline",
        {DATA: str(data or tmp_path / "var-lib-hotline")},
        emulator_lines(emu.base_url, emu.base_file_url),
    )


def webhook_config(tmp_path: Path, emu: BotApiEmulator) -> Path:
    return shipped_config(
        "instance-a.yaml",
        tmp_path / "etc-hotline",
        {DATA: str(tmp_path / "var-lib-hotline")},
        emulator_lines(emu.base_url, emu.base_file_url),
    )


async def stopped_with_one_line(command: list[str], env: dict[str, str], tmp_path: Path) -> str:
    async with unit_process(command, env, tmp_path / "bot.log") as bot:
        await asyncio.wait_for(bot.wait(), timeout=60)
    output = (tmp_path / "bot.log").read_text(encoding="utf-8").strip()
    assert bot.returncode == 2, output
    [line] = output.splitlines()  # no traceback
    assert line.startswith("error: ")
    return line


async def test_without_a_token_or_a_terminal_it_stops_instead_of_going_offline(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    env = unit_environment(generated_secrets(), tmp_path / "cache")
    command = unit_command(polling_config(tmp_path, emu), "single")
    line = await stopped_with_one_line(command, env, tmp_path)
    assert line.startswith("error: TELEGRAM_BOT_TOKEN is not set")
    assert "--offline" in line


def one_bad_character(value: str) -> str:
    return value[:10] + "x" + value[11:]


@pytest.mark.parametrize(
    ("spoil", "variable", "said"),
    [
        (
            lambda s: {**s, "REPORTER_PEPPER": one_bad_character(s["REPORTER_PEPPER"])},
            "REPORTER_PEPPER",
            "1 of its 64 characters are not",
        ),
        (
            lambda s: {**s, "REPORTER_PEPPER": s["REPORTER_PEPPER"][:40]},
            "REPORTER_PEPPER",
            "at least 64 hex digits",
        ),
        (
            lambda s: {**s, "SEALING_KEYS": f"{s['SEALING_KEYS']},{s['SEALING_KEYS'][:-3]}"},
            "SEALING_KEYS",
            "item 2 of 2 is not a Fernet key",
        ),
        (
            lambda s: {**s, "TELEGRAM_BOT_TOKEN": "not a token"},
            "TELEGRAM_BOT_TOKEN",
            "not a bot token",
        ),
    ],
    ids=["pepper-not-hex", "pepper-short", "second-sealing-key", "token"],
)
async def test_a_malformed_secret_stops_it_before_it_reaches_telegram(
    emu: BotApiEmulator, tmp_path: Path, spoil: object, variable: str, said: str
) -> None:
    secrets = spoil({**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN})  # type: ignore[operator]
    env = unit_environment(secrets, tmp_path / "cache")
    line = await stopped_with_one_line(
        unit_command(polling_config(tmp_path, emu), "single"), env, tmp_path
    )
    assert line.startswith(f"error: {variable}") and said in line, line
    assert secrets[variable] not in line  # what is wrong is said, the secret never shown
    assert emu.requests == []


async def test_webhook_mode_without_a_secret_refuses_to_start(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    secrets = {**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN}
    del secrets["TELEGRAM_WEBHOOK_SECRET"]
    env = unit_environment(secrets, tmp_path / "cache")
    command = unit_command(webhook_config(tmp_path, emu), "instance-a")
    line = await stopped_with_one_line(command, env, tmp_path)
    assert line.startswith("error: TELEGRAM_WEBHOOK_SECRET is not set")
    assert emu.requests == []


async def test_a_read_only_data_folder_is_one_clear_line(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """As under ProtectSystem=strict without ReadWritePaths (or a folder of the wrong owner)."""
    data = tmp_path / "var-lib-hotline"
    data.mkdir()
    env = unit_environment({"TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")  # keys file
    command = unit_command(polling_config(tmp_path, emu, data), "single")
    if os.geteuid() == 0:  # root writes anywhere its mode forbids: mount it read-only instead
        mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
        command = ["unshare", "--mount", "--", "sh", "-c", mount, str(data), *command]
    else:
        data.chmod(0o555)
    try:
        line = await stopped_with_one_line(command, env, tmp_path)
    finally:
        data.chmod(0o755)
    assert line.startswith(f"error: cannot write in {data} ")
    assert emu.requests == []


# --- the tools in production ------------------------------------------------------------------


def test_tools_run_with_the_services_secrets_through_the_wrapper(
    tmp_path: Path, emu: BotApiEmulator
) -> None:
    """`config check` and `export` as the README runs them on the server: the secrets of
    secrets.env, the service's user and data folder; no keys file of their own."""
    data = tmp_path / "var-lib-hotline"
    data.mkdir()
    config = polling_config(tmp_path, emu, data)
    secrets = tmp_path / "secrets.env"
    printed = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "generate"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    secrets.write_text(f"{printed}TELEGRAM_BOT_TOKEN={TOKEN}\nPGPASSWORD=\n", encoding="utf-8")
    secrets.chmod(0o600)
    env = {
        "PATH": os.environ["PATH"],
        "HOTLINE_SECRETS": str(secrets),
        "HOTLINE_USER": subprocess.run(
            ["id", "-un"], capture_output=True, text=True
        ).stdout.strip(),
        "HOTLINE_PYTHON": sys.executable,
        "HOTLINE_WORKDIR": str(data),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    wrapper = str(DEPLOY / "hotline-cli.sh")
    checked = subprocess.run(
        [wrapper, "config", "check", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith("0 error(s), 0 warning(s)")
    exported = subprocess.run(
        [wrapper, "export", "--config", str(config), "--output", "tickets.csv"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert exported.returncode == 0, exported.stderr
    assert (data / "tickets.csv").exists()
    assert not (data / "privacy-keys.json").exists()


async def test_a_config_without_its_local_facts_stops_naming_each_key(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """Never "请拨打举报电话:。" or a literal {report_hotline}: the bot does not start."""
    config = polling_config(tmp_path, emu)
    text = config.read_text(encoding="utf-8")
    start, end = text.index("\nlocal:\n"), text.index("\n# The organisation.")
    config.write_text(text[:start] + text[end:], encoding="utf-8")
    env = unit_environment({**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")
    async with unit_process(unit_command(config, "single"), env, tmp_path / "bot.log") as bot:
        await asyncio.wait_for(bot.wait(), timeout=60)
    lines = (tmp_path / "bot.log").read_text(encoding="utf-8").strip().splitlines()
    assert bot.returncode == 2
    for key in ("report_hotline", "citizen_hotline", "service_hours", "claim_hours"):
        assert any(line.startswith(f"error: {config}: local.{key} is not set") for line in lines)
    assert all(line.startswith("error: ") for line in lines)  # no traceback
    assert emu.requests == []


async def test_without_keys_in_the_environment_the_keys_file_goes_in_the_data_folder(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """Not next to the config (/etc/hotline, read-only to the bot): in data_dir."""
    data = tmp_path / "var-lib-hotline"
    config = polling_config(tmp_path, emu, data)
    env = unit_environment({"TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")
    async with unit_process(unit_command(config, "single"), env, tmp_path / "bot.log") as bot:
        await until(lambda: bool(emu.calls("getUpdates")), timeout=60)
    assert bot.returncode == 0, (tmp_path / "bot.log").read_text()
    assert (data / "privacy-keys.json").stat().st_mode & 0o777 == 0o600
    assert not (config.parent / "data").exists()
    assert "created new privacy keys in" in (tmp_path / "bot.log").read_text()


async def test_a_webhook_server_without_a_secret_trusts_no_post(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """Behind the start-up check, the server itself: no secret configured, every post refused."""
    from dataclasses import replace

    from bot.app import build_application
    from bot.webhook import serving_webhook
    from tests.integration.test_webhook import webhook_config as secret_webhook_config

    config = secret_webhook_config(tmp_path, emu)
    webhook = replace(config.telegram.webhook, secret_token="")
    config = replace(config, telegram=replace(config.telegram, webhook=webhook))
    async with serving_webhook(build_application(config), config):
        update = {"update_id": 5, "message": emu.new_message(emu.user(), text="/claim SJ-1")}
        async with httpx.AsyncClient() as client:
            for header in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
                forged = await client.post(webhook.url, json=update, headers=header)
                assert forged.status_code == 403


async def test_an_unreachable_database_is_one_line_and_exit_1_so_systemd_retries(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = polling_config(tmp_path, emu)
    text = config.read_text(encoding="utf-8")
    shipped = "url: sqlite:////"
    start = text.index(shipped)
    end = text.index("\n", start)
    config.write_text(
        text[:start] + "url: postgresql://nobody@127.0.0.1:1/none" + text[end:], encoding="utf-8"
    )
    env = unit_environment({**generated_secrets(), "TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / "cache")
    async with unit_process(unit_command(config, "single"), env, tmp_path / "bot.log") as bot:
        await asyncio.wait_for(bot.wait(), timeout=60)
    output = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert bot.returncode == 1, output  # not 2: the database may be back at the next try
    assert "Traceback" not in output
    assert "error: cannot connect to postgresql://nobody@127.0.0.1:1/none" in output
