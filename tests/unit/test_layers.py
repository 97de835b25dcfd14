"""The shape of the house, checked: below the composition root nothing in ``bot/`` knows
Telegram (a service takes and returns plain values; handlers and the front doors translate),
and no two of ``bot/``'s folders (sub-packages and top-level modules) import each other, even
through others: every arrow between them points one way, down."""

from __future__ import annotations

import ast
import itertools
import re
from collections import deque
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


Graph = dict[str, dict[str, set[str]]]


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, with each
    ``from m import n`` also as ``m.n`` (``n`` may be a module) and relative imports resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return names


def folder_of(module: str) -> str | None:
    """``bot.kb.loader`` → ``bot/kb``, ``bot.config`` → ``bot/config.py``; None outside bot/."""
    parts = module.split(".")
    if parts[0] != "bot" or len(parts) < 2:
        return None
    if (BOT / parts[1] / "__init__.py").exists():
        return f"bot/{parts[1]}"
    if (BOT / f"{parts[1]}.py").exists():
        return f"bot/{parts[1]}.py"
    return None


def folder_imports() -> Graph:
    """folder → the folders it imports → which file imports which module, as evidence."""
    graph: Graph = {}
    for path in sorted(BOT.rglob("*.py")):
        source = folder_of(module_name(path))
        if source is None:
            continue
        arrows = graph.setdefault(source, {})
        for name in imported_names(path):
            target = folder_of(name)
            if target is not None and target != source:
                arrows.setdefault(target, set()).add(f"{path.relative_to(PROJECT_ROOT)}: {name}")
    return graph


def shortest_path(graph: Graph, start: str, goal: str) -> list[str] | None:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(graph.get(here, {})):
            if there == goal:
                path = [here, there]
                while path[0] != start:
                    path.insert(0, came_from[path[0]])
                return path
            if there not in came_from and there != start:
                came_from[there] = here
                queue.append(there)
    return None


def import_loops(graph: Graph) -> list[list[str]]:
    """One shortest loop through each arrow that is part of one (``[a, b, a]``), each loop once."""
    loops: dict[frozenset[str], list[str]] = {}
    for source in sorted(graph):
        for target in sorted(graph[source]):
            back = shortest_path(graph, target, source)
            if back is not None:
                loop = [source, *back]
                loops.setdefault(frozenset(loop), loop)
    return list(loops.values())


def described(graph: Graph, loop: list[str]) -> str:
    steps = [f"  {a} -> {b} ({min(graph[a][b])})" for a, b in itertools.pairwise(loop)]
    return " -> ".join(loop) + "\n" + "\n".join(steps)


def test_no_two_folders_import_each_other() -> None:
    graph = folder_imports()
    loops = import_loops(graph)
    assert not loops, "folders that import each other:\n" + "\n".join(
        described(graph, loop) for loop in loops
    )
    # The check itself sees imports inside functions (cli imports the clock only there).
    assert "bot/cli.py: bot.clock.utc_now" in graph["bot/cli.py"]["bot/clock.py"]


def test_each_feature_owns_its_settings() -> None:
    """The features' settings live in their own ``settings.py``; only ``bot/config.py`` (and
    modules beside it) compose them, so no package imports the whole config. ``bench`` builds
    and runs whole bots from a config, as the CLI does."""
    graph = folder_imports()
    importing = {f for f, arrows in graph.items() if "bot/config.py" in arrows}
    packages = {f for f in importing if not f.endswith(".py")}
    assert packages <= {"bot/bench"}, packages - {"bot/bench"}
    assert "bot/app.py" in importing


def test_a_loop_through_several_folders_is_named() -> None:
    graph: Graph = {
        "bot/a": {"bot/b": {"bot/a/x.py: bot.b.y"}},
        "bot/b": {"bot/c.py": {"bot/b/y.py: bot.c"}},
        "bot/c.py": {"bot/a": {"bot/c.py: bot.a.x"}, "bot/d": {"bot/c.py: bot.d"}},
    }
    assert import_loops(graph) == [["bot/a", "bot/b", "bot/c.py", "bot/a"]]
    assert described(graph, ["bot/a", "bot/b", "bot/c.py", "bot/a"]).splitlines() == [
        "bot/a -> bot/b -> bot/c.py -> bot/a",
        "  bot/a -> bot/b (bot/a/x.py: bot.b.y)",
        "  bot/b -> bot/c.py (bot/b/y.py: bot.c)",
        "  bot/c.py -> bot/a (bot/c.py: bot.a.x)",
    ]


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


def test_the_readme_layout_names_every_part_of_bot() -> None:
    """A newcomer finds each folder and module of ``bot/`` in the README's Layout section."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"[\w/]+(?:\.py|/)", layout))
    parts = {p.name + "/" for p in BOT.iterdir() if (p / "__init__.py").exists()}
    parts |= {p.name for p in BOT.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    missing = {part for part in parts if not any(n.endswith(part) for n in named)}
    assert not missing, f"README Layout does not name: {sorted(missing)}"
