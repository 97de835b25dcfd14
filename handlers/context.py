"""The typed callback context every handler receives."""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services

HotlineApplication = Application[ExtBot[None], "HotlineContext", dict, dict, Services, None]  # type: ignore[type-arg]


class HotlineContext(CallbackContext[ExtBot[None], dict, dict, Services]):  # type: ignore[type-arg]
    """``context.services`` instead of an untyped ``bot_data["..."]`` bag."""

    @property
    def services(self) -> Services:
        return self.bot_data
