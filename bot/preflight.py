"""What ``python -m bot run`` checks before its first network call, and ``config check``
reports: the token, the webhook secret, the privacy keys, the local facts answers show, and the
folders the bot writes in. Each problem is one line naming the variable, key or folder and what
is expected; none ever shows a secret's value.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.config import Config
from bot.kb.model import KnowledgeBase
from bot.kb.placeholders import placeholder_names
from bot.privacy import (
    PEPPER_VARIABLE,
    SEALING_VARIABLE,
    SecretError,
    load_privacy_keys,
    read_keys_file,
)

TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
SECRET_VARIABLE = "TELEGRAM_WEBHOOK_SECRET"
# @BotFather's tokens: the bot's id, a colon, then letters, digits, "_" and "-".
TOKEN_FORM = re.compile(r"\d+:[A-Za-z0-9_-]+")
# What Telegram accepts as a webhook's secret_token.
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Local facts the bot's own messages show (the privacy notice, /about, the report's opening,
# the out-of-scope reply), besides those the knowledge base's answers name.
MESSAGE_FACTS = ("report_hotline", "citizen_hotline")


def startup_problems(
    config: Config, environ: Mapping[str, str], kb: KnowledgeBase, *, offline: bool
) -> list[str]:
    """Everything that would stop the bot, found before it talks to anyone."""
    problems = [] if offline else telegram_problems(config)
    problems += local_fact_problems(config, kb)
    problems += privacy_problems(config, environ, creating=True)
    problems += folder_problems(config, environ)
    return problems


def telegram_problems(config: Config) -> list[str]:
    telegram = config.telegram
    problems = []
    if not telegram.token:
        problems.append(
            f"{TOKEN_VARIABLE} is not set (nor telegram.token): the bot cannot reach Telegram;"
            " the offline emulator runs only with a terminal on stdin or `run --offline`"
        )
    elif not TOKEN_FORM.fullmatch(telegram.token):
        problems.append(
            f"{TOKEN_VARIABLE}: not a bot token (expected the bot's id, a colon and letters,"
            " digits, '_' or '-', as @BotFather gives it, e.g. 123456789:AAE...)"
        )
    if telegram.mode == "webhook":
        problems += webhook_problems(config)
    return problems


def webhook_problems(config: Config) -> list[str]:
    webhook = config.telegram.webhook
    problems = []
    if not webhook.url:
        problems.append("telegram.webhook.url must be set in webhook mode")
    if not webhook.secret_token:
        # Without it, anyone who finds the URL can post updates "from" any inspector.
        problems.append(
            f"{SECRET_VARIABLE} is not set (nor telegram.webhook.secret_token): webhook mode"
            " refuses to start without it, since anyone could post forged updates"
        )
    elif not SECRET_FORM.fullmatch(webhook.secret_token):
        problems.append(
            f"{SECRET_VARIABLE}: expected 1-256 characters of A-Z, a-z, 0-9, '_' and '-'"
            f" (got {len(webhook.secret_token)} characters, not all of them allowed);"
            " `python -m bot keys generate` prints one"
        )
    return problems


def privacy_problems(config: Config, environ: Mapping[str, str], *, creating: bool) -> list[str]:
    """The pepper and sealing keys, from the environment or the keys file. ``creating``: the
    bot itself, which makes the keys file on first start; a tool only reads it."""
    keys_file = config.keys_path
    if not (environ.get(PEPPER_VARIABLE) or environ.get(SEALING_VARIABLE)):
        if not keys_file.exists():
            return [] if creating else [_no_keys(keys_file)]
        try:
            read_keys_file(keys_file)
        except SecretError as exc:
            return [str(exc)]
        return []
    try:
        load_privacy_keys(keys_file, environ, create=False)
    except SecretError as exc:
        return [str(exc)]
    return []


def _no_keys(keys_file: Path) -> str:
    return (
        f"no privacy keys: {PEPPER_VARIABLE} and {SEALING_VARIABLE} are not set and there is"
        f" no {keys_file} (the bot creates it on first start if neither is given)"
    )


def local_fact_problems(config: Config, kb: KnowledgeBase) -> list[str]:
    """Every local fact an answer or message shows must be set: never braces, never blank."""
    where = f"{config.file}: " if config.file else ""
    problems = []
    for name in sorted(placeholder_names(kb) | set(MESSAGE_FACTS)):
        if not str(config.local.get(name, "")).strip():
            shown = "messages" if name in MESSAGE_FACTS else "answers"
            problems.append(
                f"{where}local.{name} is not set: the bot's {shown} show it; set it to your"
                " district's figure (config.example.yaml lists every local fact)"
            )
    return problems


def folder_problems(config: Config, environ: Mapping[str, str]) -> list[str]:
    """The folders the bot will write in must take a file (a read-only or foreign folder fails
    at start, in one line, instead of a traceback from deep inside)."""
    folders: dict[Path, str] = {}
    if config.storage.is_sqlite:
        folders[_database_file(config).parent] = "the SQLite database's folder, from storage.url"
    keys_from_env = environ.get(PEPPER_VARIABLE) or environ.get(SEALING_VARIABLE)
    if not keys_from_env and not config.keys_path.exists():
        folders.setdefault(config.keys_path.parent, "where the privacy keys file goes, data_dir")
    return [problem for folder, what in folders.items() if (problem := _unwritable(folder, what))]


def _database_file(config: Config) -> Path:
    path = config.storage.sqlite_path
    return path if path.is_absolute() else config.base_dir / path


def _unwritable(folder: Path, what: str) -> str | None:
    # A folder not made yet is made by the bot inside the nearest one that exists.
    existing = next((f for f in (folder, *folder.parents) if f.is_dir()), Path("/"))
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        made_in_it = "" if existing == folder else f", to be made in it: {folder}"
        return (
            f"cannot write in {existing} ({what}{made_in_it}): {reason}; the bot's user needs"
            " a folder it may write (README, Deployment, step 1)"
        )
    return None
