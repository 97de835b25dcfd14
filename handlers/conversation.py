"""Parents' small talk and the context a follow-up question leans on (see bot.conversation)."""

from __future__ import annotations

from telegram import Message

from bot.conversation import FOLLOW_UP_KEY, FOLLOW_UP_WINDOW, Context, small_talk
from bot.faq import FaqReply
from handlers.common import reply_html
from handlers.request import Request


async def reply_to_small_talk(request: Request, message: Message, text: str) -> bool:
    """Answer a greeting, thanks, goodbye or "你是谁" in kind; True if ``text`` was one.
    "人工" is left to the caller, which shows the human contact."""
    kind = small_talk(text)
    if kind is None or kind == "human":
        return False
    await reply_html(message, request.t(f"chat.{kind}"))
    return True


def wants_a_person(text: str) -> bool:
    return small_talk(text) == "human"


def recent_context(request: Request) -> Context | None:
    """The question the person's last answer was for, if it was answered a few minutes ago
    (the row expires in the store; the copy is refilled from it for every update)."""
    return Context.decode(request.state.get(FOLLOW_UP_KEY), request.now)


async def remember_context(request: Request, question: str, reply: FaqReply) -> None:
    """Keep what a follow-up may lean on. After a follow-up the first question stays the
    context ("小学作业多久" → "那初中呢" → "那高中呢")."""
    if reply.entry_id is None:
        return
    previous = recent_context(request)
    if reply.follow_up and previous is not None:
        question = previous.question
    await request.state.set(
        FOLLOW_UP_KEY,
        Context(question, reply.entry_id, request.now).encode(),
        ttl=FOLLOW_UP_WINDOW,
        with_update=True,
    )
