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
