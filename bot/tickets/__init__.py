"""Tip-offs: drafts, intake, receipt codes, follow-up, lifecycle and the outbox.

Plain async services over :mod:`bot.store`; none of them knows about Telegram. Import from its
modules (importing the package alone loads none of them).
"""
