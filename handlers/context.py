"""The typed callback context every handler receives."""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.bot_data import BotData
from bot.services import Services

HotlineApplication = Application[ExtBot[None], "HotlineContext", dict, dict, BotData, None]  # type: ignore[type-arg]


class HotlineContext(CallbackContext[ExtBot[None], dict, dict, BotData]):  # type: ignore[type-arg]
    """``context.services`` instead of an untyped ``bot_data["..."]`` bag."""

    @property
    def services(self) -> Services:
        return self.bot_data.services
