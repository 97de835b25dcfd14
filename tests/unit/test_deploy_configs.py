"""The example deployment configs stay loadable as the config evolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, load_config

EXAMPLES = sorted((PROJECT_ROOT / "deploy" / "config").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_configs_load(path: Path) -> None:
    config = load_config(path, environ={})
    if path.name.startswith("instance-"):
        assert config.telegram.mode == "webhook" and config.storage.is_postgresql


def test_instance_configs_differ_only_in_the_port() -> None:
    a, b = (PROJECT_ROOT / "deploy" / "config" / f"instance-{n}.yaml" for n in "ab")
    differing = [
        (x, y)
        for x, y in zip(a.read_text().splitlines(), b.read_text().splitlines(), strict=True)
        if x != y
    ]
    assert differing == [("    port: 8441", "    port: 8442")]
