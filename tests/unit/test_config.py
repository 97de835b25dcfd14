"""Config loading: defaults equal the documented example; mistakes name file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import EXAMPLE_CONFIG, Config, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_documents_exactly_the_defaults() -> None:
    example = load_config(EXAMPLE_CONFIG, environ={})
    assert example == Config(local=example.local)
    assert example.local["claim_hours"] == "24"


def test_every_example_key_has_a_comment() -> None:
    lines = EXAMPLE_CONFIG.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if ":" in line and not line.lstrip().startswith(("#", "-")):
            above = lines[number - 1].strip()
            assert above.startswith("#") or line.rstrip().endswith(":"), (
                f"line {number + 1}: {line}"
            )


def test_unknown_key_names_file_line_and_known_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  mode: polling\n  tokn: abc\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    message = str(error.value)
    assert message.startswith(f"{path}:3: telegram.tokn: unknown key")
    assert "token" in message


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  webhook:\n    port: eighty\n")
    with pytest.raises(ConfigError, match=r":3: telegram.webhook.port: expected a whole number"):
        load_config(path, environ={})


def test_wrong_choice_lists_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  mode: push\n")
    with pytest.raises(
        ConfigError, match=r":2: telegram.mode: expected one of 'polling', 'webhook'"
    ):
        load_config(path, environ={})


def test_missing_required_value(tmp_path: Path) -> None:
    path = write(tmp_path, "knowledge:\n  paths: []\n")
    with pytest.raises(ConfigError, match=r":1: knowledge: paths must list at least one"):
        load_config(path, environ={})


def test_unreadable_yaml_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  mode: polling\n  token: [unclosed\nlogging: {}\n")
    with pytest.raises(ConfigError, match=r"config.yaml:4: unreadable YAML"):
        load_config(path, environ={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_out_of_range_value(tmp_path: Path) -> None:
    path = write(tmp_path, "matching:\n  answer_score: 30\n  suggest_score: 50\n")
    with pytest.raises(ConfigError, match="suggest_score <= answer_score"):
        load_config(path, environ={})


def test_token_from_environment_is_never_printed(tmp_path: Path) -> None:
    path = write(tmp_path, "telegram:\n  mode: polling\n")
    config = load_config(path, environ={"TELEGRAM_BOT_TOKEN": "123:SECRET"})
    assert config.telegram.token == "123:SECRET"
    assert "SECRET" not in repr(config)
    assert "SECRET" not in str(config.telegram)


def test_relative_paths_resolve_from_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "knowledge:\n  paths: [kb]\n")
    assert load_config(path, environ={}).knowledge_paths == (tmp_path / "kb",)


def test_storage_url_chooses_the_database(tmp_path: Path) -> None:
    path = write(tmp_path, "storage:\n  url: postgresql://bot:pw@db.local:5432/hotline\n")
    storage = load_config(path, environ={}).storage
    assert storage.is_postgresql and not storage.is_sqlite
    assert storage.safe_url == "postgresql://bot:***@db.local:5432/hotline"
    assert "pw" not in repr(load_config(path, environ={}))
    sqlite = load_config(write(tmp_path, "storage:\n  url: sqlite:///data/x.db\n"), environ={})
    assert sqlite.storage.is_sqlite and str(sqlite.storage.sqlite_path) == "data/x.db"


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "/data/hotline.sqlite3"])
def test_a_storage_url_the_bot_cannot_use_is_refused(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f"storage:\n  url: '{url}'\n")
    with pytest.raises(ConfigError, match=r"config.yaml:1: storage: url must (start|name)"):
        load_config(path, environ={})
