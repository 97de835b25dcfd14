"""Configuration: YAML -> frozen, validated objects.

Every key is documented in ``config.example.yaml``; the defaults below are the same values, so
running with no config file behaves exactly like running with the example. Secrets may come from
environment variables and are never part of ``repr``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from bot.inspection.settings import InspectionSettings
from bot.registry.settings import RegistrySettings
from bot.schema import bind
from bot.store.settings import StorageSettings
from bot.store.throttle import RateLimit
from bot.tickets.form import FormSettings
from bot.tickets.settings import FollowupSettings, TicketSettings
from bot.yamlfile import YamlFileError, read_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = PROJECT_ROOT / "config.example.yaml"
DEFAULT_CONFIG = Path("config.yaml")
DEFAULT_KEYS_FILE = "privacy-keys.json"
DEFAULT_DATABASE_FILE = "hotline.sqlite3"

ConfigError = YamlFileError


@dataclass(frozen=True)
class WebhookConfig:
    listen: str = "127.0.0.1"
    port: int = 8443
    url: str = ""
    path: str = "telegram"
    secret_token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {self.port}")


@dataclass(frozen=True)
class RateLimitConfig:
    overall_per_second: float = 30
    group_per_minute: float = 20
    max_retries: int = 3

    def __post_init__(self) -> None:
        if self.overall_per_second < 0 or self.group_per_minute < 0 or self.max_retries < 0:
            raise ValueError("rate limits and retries cannot be negative")


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(default="", repr=False)
    base_url: str = ""
    base_file_url: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    concurrent_updates: int = 8
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Updates one person may send per window before the bot stops answering them for a moment.
    flood_limit: RateLimit = field(default_factory=lambda: RateLimit(20, 10))
    # An update recorded but still unfinished this long after it was handed to a handler is
    # handled again by whichever instance finds it (its own instance stopped or crashed).
    replay_after_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.concurrent_updates < 1:
            raise ValueError("concurrent_updates must be at least 1")
        if self.replay_after_seconds <= 0:
            raise ValueError("replay_after_seconds must be positive")


@dataclass(frozen=True)
class KnowledgeConfig:
    paths: tuple[str, ...] = ("knowledge/national", "knowledge/local")

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("paths must list at least one knowledge folder or file")


@dataclass(frozen=True)
class MatchingConfig:
    answer_score: float = 50.0
    suggest_score: float = 48.0
    answer_margin: float = 3.0
    # Below answer_score, a question is still answered from this score up when its top entry
    # knows several of its words, is spelled most like it and the classifier agrees (100: never).
    corroborated_score: float = 36.0
    max_suggestions: int = 3
    # Where instances share the database: how often each reads whether staff taught a phrasing
    # on another instance (a phrasing taught here is answered at once).
    taught_refresh_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.suggest_score <= self.answer_score <= 100:
            raise ValueError("need 0 <= suggest_score <= answer_score <= 100")
        if not 0 <= self.corroborated_score <= 100:
            raise ValueError("corroborated_score must be between 0 and 100")
        if not 1 <= self.max_suggestions <= 5:
            raise ValueError("max_suggestions must be between 1 and 5")
        if not 0 < self.taught_refresh_seconds <= 3600:
            raise ValueError("taught_refresh_seconds must be between 0 and 3600")


@dataclass(frozen=True)
class PrivacyConfig:
    # Where the reporter pepper and sealing keys are kept when REPORTER_PEPPER / SEALING_KEYS are
    # not set; created (readable by the owner only) on first start. Empty: privacy-keys.json in
    # the data folder.
    keys_file: str = ""


@dataclass(frozen=True)
class MonitoringConfig:
    # /healthz, /readyz and /metrics. In webhook mode they are served on the webhook's own
    # port as well; in polling mode only here. Port 0: no port of its own.
    listen: str = "127.0.0.1"
    port: int = 0
    # /readyz says "not ready" while a message due this long ago is still unsent.
    outbox_stuck_seconds: int = 600

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65536:
            raise ValueError(f"port must be between 0 (none) and 65535, got {self.port}")
        if self.outbox_stuck_seconds < 1:
            raise ValueError("outbox_stuck_seconds must be at least 1")


@dataclass(frozen=True)
class LoggingConfig:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    # Locally set facts (hotline numbers, service hours ...) used as {placeholders} in answers.
    local: dict[str, str] = field(default_factory=dict)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    storage: StorageSettings = field(default_factory=StorageSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    report_form: FormSettings = field(default_factory=FormSettings)
    # 回访: asking reporters whether they are satisfied once their ticket is resolved.
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    # The folder the bot writes in (the SQLite database and the keys file by default).
    data_dir: str = "data"
    # The inspection organisation: departments, queues, staff, routing, deadlines.
    inspection: InspectionSettings = field(default_factory=InspectionSettings)
    # The registry of tutoring institutions (白名单 / 黑名单).
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    # Where relative paths in this config are resolved from: the config file's folder.
    base_dir: Path = field(default=PROJECT_ROOT, compare=False, metadata={"internal": True})
    # The file it was read from ("" for the built-in defaults), for messages.
    file: str = field(default="", compare=False, metadata={"internal": True})

    def resolve(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def district_names(self) -> dict[str, str]:
        """Every name a district goes by (its id too) → its id."""
        return {
            name: district.id
            for district in self.inspection.districts
            for name in (district.id, *district.names)
        }

    @property
    def knowledge_paths(self) -> tuple[Path, ...]:
        return tuple(self.resolve(p) for p in self.knowledge.paths)

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data_dir)

    @property
    def keys_path(self) -> Path:
        """The privacy keys file (used only when the environment does not hold the keys)."""
        if not self.privacy.keys_file:
            return self.data_path / DEFAULT_KEYS_FILE
        return self.resolve(self.privacy.keys_file)


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Load ``path``; with none, ``config.yaml`` if present, else the example's defaults."""
    env = os.environ if environ is None else environ
    if path is None:
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None
    if path is None:
        config = Config(local=_example_local())
    else:
        source = read_yaml(path)
        config = bind(Config, source)
        config = replace(config, base_dir=Path(path).resolve().parent, file=str(path))
        if not _names_database(source.data):
            config = _database_in_data_dir(config)
    return _apply_environment(config, env)


def _names_database(data: object) -> bool:
    storage = data.get("storage") if isinstance(data, dict) else None
    return isinstance(storage, dict) and "url" in storage


def _database_in_data_dir(config: Config) -> Config:
    """Without ``storage.url``, the SQLite file is written in the data folder like the rest."""
    url = f"sqlite:///{config.data_path / DEFAULT_DATABASE_FILE}"
    return replace(config, storage=replace(config.storage, url=url))


def _example_local() -> dict[str, str]:
    # The example's placeholders say "set this locally" instead of inventing a number.
    if not EXAMPLE_CONFIG.exists():
        return {}
    return dict(bind(Config, read_yaml(EXAMPLE_CONFIG)).local)


def _apply_environment(config: Config, env: os._Environ[str] | dict[str, str]) -> Config:
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    telegram = config.telegram
    if token:
        telegram = replace(telegram, token=token)
    if secret:
        telegram = replace(telegram, webhook=replace(telegram.webhook, secret_token=secret))
    return replace(config, telegram=telegram)
