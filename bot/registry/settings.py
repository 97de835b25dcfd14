"""The ``registry:`` section of the config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegistrySettings:
    # How often each instance asks whether the registry changed (an import by the CLI or by
    # another instance, a resolution elsewhere), in seconds; one small query each time.
    refresh_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.refresh_seconds <= 3600:
            raise ValueError("refresh_seconds must be between 1 and 3600")
