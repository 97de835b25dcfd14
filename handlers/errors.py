"""The last resort: log what failed (never the update's contents) and tell the user politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application

from bot.i18n import text
from bot.store.base import StoreError
from handlers.context import HotlineContext
from handlers.request import language_of

log = logging.getLogger(__name__)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)


async def on_error(update: object, context: HotlineContext) -> None:
    # Update ids only: message texts and user ids must never reach the logs.
    update_id = update.update_id if isinstance(update, Update) else None
    context.services.metrics.handler_failed()
    log.error(
        "update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error
    )
    if isinstance(update, Update) and update.effective_message is not None:
        # A database that cannot write (busy, full disk): nothing of it was saved, say so.
        key = "error.not_saved" if isinstance(context.error, StoreError) else "error.generic"
        try:
            await update.effective_message.reply_text(
                text(language_of(update, context), key), do_quote=False
            )
        except Exception:
            log.warning("could not tell update %s about the failure", update_id)
