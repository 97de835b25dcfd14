"""The shape of the house, checked: below the composition root nothing in ``bot/`` knows
Telegram (a service takes and returns plain values; handlers and the front doors translate)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
# The composition root and the front doors updates come in by; and the bare echo bot that
# bench e2e measures the bot against.
MAY_IMPORT_TELEGRAM = {
    "bot/app.py",
    "bot/front_door.py",
    "bot/polling.py",
    "bot/webhook.py",
    "bot/bench/bot_process.py",
}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_only_the_composition_root_imports_telegram() -> None:
    importing = {
        str(path.relative_to(PROJECT_ROOT))
        for path in BOT.rglob("*.py")
        if any(m == "telegram" or m.startswith("telegram.") for m in imported_modules(path))
    }
    assert importing <= MAY_IMPORT_TELEGRAM, importing - MAY_IMPORT_TELEGRAM
    assert "bot/app.py" in importing  # the check itself sees imports


HANDLERS = PROJECT_ROOT / "handlers"
# Where the update's copy of the chat state is read and refilled (behind request.state).
READS_USER_DATA = {"handlers/request.py"}


def attributes_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return names | imported


def test_handlers_reach_chat_state_only_through_the_request() -> None:
    """``context.user_data[k] = v`` would change this instance's copy and nothing else (other
    instances read the store): handlers go through ``request.state``, which writes the store
    and knows the person, the update and the time (never ``services.chat_state`` directly)."""
    touching = {
        str(path.relative_to(PROJECT_ROOT))
        for path in HANDLERS.rglob("*.py")
        if {"user_data", "chat_data", "chat_state"} & attributes_used(path)
    }
    assert touching == READS_USER_DATA


def test_handlers_read_the_time_from_the_one_clock() -> None:
    """The services' clock, through ``request.now``: a test clock moves every handler too."""
    reading_time = {
        str(path.relative_to(PROJECT_ROOT))
        for path in HANDLERS.rglob("*.py")
        if "utc_now" in names_used(path) or {"now", "utcnow", "time"} & _called_on_modules(path)
    }
    assert reading_time == set()


def _called_on_modules(path: Path) -> set[str]:
    """``datetime.now()``, ``time.time()`` and the like: attributes called on a bare name that
    is the datetime or time module (or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("datetime", "time", "date")
    }
