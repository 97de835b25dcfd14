"""What a parent says that is not a policy question, and questions that lean on the last one.

- Small talk: a greeting, thanks, goodbye, "人工/转人工", "你是谁" get a reply of their own
  instead of the knowledge base's nearest entry; a greeting in front of a question
  ("你好，周末能补课吗") is dropped and the question answered.
- Follow-ups: "那初中呢?" or "寒假也一样吗?" a few minutes after an answer is read together with
  the question that answer was for. The context lives in the store's chat state (any instance
  may take the next message) and expires after ``FOLLOW_UP_WINDOW``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.matching.normalize import normalize

SmallTalk = Literal["greeting", "thanks", "bye", "human", "who"]

# How long an answer stays the context of a short follow-up question.
FOLLOW_UP_WINDOW = timedelta(minutes=5)
FOLLOW_UP_KEY = "faq_context"
# A follow-up is short; a long message is a question of its own.
FOLLOW_UP_MAX_CHARS = 16

_PHRASES: dict[SmallTalk, tuple[str, ...]] = {
    "greeting": (
        "你好",
        "您好",
        "你好呀",
        "你好啊",
        "在吗",
        "在不在",
        "有人吗",
        "哈喽",
        "嗨",
        "早上好",
        "上午好",
        "中午好",
        "下午好",
        "晚上好",
        "老师好",
        "早",
        "早安",
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
    ),
    "thanks": (
        "谢谢",
        "谢谢你",
        "谢谢您",
        "多谢",
        "感谢",
        "非常感谢",
        "谢啦",
        "好的谢谢",
        "明白了谢谢",
        "收到谢谢",
        "辛苦了",
        "thanks",
        "thank you",
        "thank you very much",
        "thx",
        "ok thanks",
    ),
    "bye": ("再见", "拜拜", "bye", "goodbye", "see you"),
    "human": (
        "人工",
        "转人工",
        "找人工",
        "人工服务",
        "人工客服",
        "转人工服务",
        "我要人工",
        "要人工",
        "真人",
        "找真人",
        "客服",
        "找客服",
        "human",
        "agent",
        "operator",
        "real person",
        "talk to a human",
        "talk to a person",
    ),
    "who": (
        "你是谁",
        "你是什么",
        "你是机器人吗",
        "你是真人吗",
        "你是人吗",
        "你叫什么",
        "这是什么",
        "who are you",
        "what are you",
        "are you a bot",
        "are you human",
    ),
}
_LOOKUP = {normalize(p): kind for kind, phrases in _PHRASES.items() for p in phrases}
_GREETING_FIRST = re.compile(
    "^(?:" + "|".join(re.escape(normalize(p)) for p in _PHRASES["greeting"]) + r")(?:\s+|$)"
)
# Words a follow-up leans on the previous question with.
_FOLLOW_UP = re.compile(
    r"^(?:那|那么|那如果|如果是|要是|换成|还有|也|那要是)|(?:呢|也一样|一样吗|也是吗|也行吗|也可以吗"
    r"|也算吗|同样吗|也这样吗)$|^(?:what about|how about|and for|and |same for)"
)


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk ``text`` is, if it is nothing else."""
    return _LOOKUP.get(normalize(text))


def without_greeting(text: str) -> str:
    """The question after a greeting in front of it ("你好 周末能补课吗" -> "周末能补课吗")."""
    normalized = normalize(text)
    match = _GREETING_FIRST.match(normalized)
    return normalized[match.end() :] if match and match.end() < len(normalized) else text


def is_follow_up(text: str) -> bool:
    """A short question that leans on the one before ("那初中呢", "寒假也一样吗")."""
    normalized = normalize(text)
    return 0 < len(normalized) <= FOLLOW_UP_MAX_CHARS and bool(_FOLLOW_UP.search(normalized))


@dataclass(frozen=True)
class Context:
    """The question the last answer was for, the entry that answered it, and when."""

    question: str
    entry_id: str
    at: datetime

    def encode(self) -> str:
        data = {"q": self.question, "id": self.entry_id, "at": self.at.isoformat()}
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str | None, now: datetime) -> Context | None:
        """The context in ``raw``, if it is still recent at ``now`` (the store's row expires
        too; the services' clock decides, so a test clock moves it)."""
        try:
            data = json.loads(raw) if raw else None
            if not isinstance(data, dict):
                return None
            question, entry_id = data.get("q"), data.get("id")
            at = datetime.fromisoformat(str(data.get("at")))
        except ValueError:
            return None
        if not isinstance(question, str) or not isinstance(entry_id, str):
            return None
        if at.tzinfo is None or not timedelta() <= now - at <= FOLLOW_UP_WINDOW:
            return None
        return cls(question, entry_id, at)
