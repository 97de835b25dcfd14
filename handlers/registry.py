"""Parents: "这家机构正规吗?" and ``/check 机构名``, answered from the bureau's registry.

The registry lookup itself is :mod:`bot.registry`; here the question is recognised, the name
taken out of it, and the answer rendered: approved (licence, kind), a warning with the date and
reason, "did you mean" buttons, or what "not found" means and what to check before paying.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import text
from bot.registry.model import (
    NOT_FOUND,
    UNCONFIRMED,
    WARNING_STATUSES,
    InstitutionKind,
    InstitutionStatus,
    LookupResult,
    RegistryNote,
)
from bot.registry.service import Registry
from bot.store.base import InstitutionRecord
from handlers.callbacks import Prefix, data, pattern
from handlers.common import answer_press, reply_html
from handlers.request import Request, answering

# "学而思正规吗" "学而思这家机构有没有资质?" "学而思是不是黑机构" "學而思合法嗎"
CHECK_QUESTION = re.compile(
    r"^\s*(?P<name>.{2,60}?)\s*(?:这家|這家|这个|這個)?\s*(?:培训)?(?:机构|機構|学校|學校)?\s*"
    r"(?:是不是|是否|有没有|有沒有|有无|有無|在不在|在|有)?\s*"
    r"(?P<word>正规|正規|合法|靠谱|靠譜|资质|資質|办学许可证?|辦學許可證?|办学资质|证照|證照|"
    r"在白名单|白名单上|上白名单|白名單|黑名单|黑名單|黑机构|黑機構|被取缔|被取締)"
    r"\s*(?:的)?\s*(?:机构|機構)?\s*(?:吗|嗎|么|麼|嘛|呢|不)?\s*[??。.!!]*\s*$"
)
# "合法吗" and "靠谱吗" are asked of practices as often ("周末补课合法吗"): such a question is
# the registry's only when it lists the name, and the FAQ's otherwise.
WEAK_WORDS = frozenset({"合法", "靠谱", "靠譜"})
# Words no institution's name holds but questions do ("怎么查补习班是不是正规的", "给孩子报的班
# 靠谱吗"): the question is the FAQ's.
NOT_A_NAME = re.compile(
    "怎么|怎麼|怎样|怎樣|如何|咋|哪|什么|什麼|为什么|為什麼|能不能|可不可以|是否|孩子|娃|我|你|这|這|"
    "那个|那個|一个|一個|报班|報班|报名|報名|推荐|推薦|旗号|旗號"
)
# Button data: g:<registry id>
BUTTON = re.compile(pattern(Prefix.REGISTRY, r"(\d{1,12})$"))
# Kinds whose unlicensed classes parents are asked to report (subject tutoring, or not known).
REPORTABLE_KINDS = frozenset({InstitutionKind.SUBJECT, InstitutionKind.UNKNOWN})
MAX_NAME_CHARS = 60


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    """Before the parents' free text in the same group: a question about an institution is
    taken here first, any other goes on to the FAQ. New messages only (an edited one is not
    answered again)."""
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("check", answering(check_command), filters=new), group)
    app.add_handler(
        CallbackQueryHandler(answering(check_button), pattern=pattern(Prefix.REGISTRY)), group
    )
    asked = new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    about = _AboutAnInstitution(lambda: app.bot_data.services.registry)
    app.add_handler(MessageHandler(asked & about, answering(check_question)), group)


def institution_asked(text: str, registry: Registry) -> str | None:
    """The institution a parent asks about ("学而思正规吗" → "学而思"), or None when the
    question is about something else ("怎么查补习班是不是正规的", "周末补课合法吗")."""
    match = CHECK_QUESTION.match(text)
    if match is None:
        return None
    name = match["name"].strip()[:MAX_NAME_CHARS]
    if NOT_A_NAME.search(name):
        return None
    if match["word"] in WEAK_WORDS and registry.lookup(name).found_nothing:
        return None
    return name


class _AboutAnInstitution(filters.MessageFilter):
    def __init__(self, registry: Callable[[], Registry]) -> None:
        super().__init__(name="about_an_institution")
        self._registry = registry  # read when a message comes: the services are open by then

    def filter(self, message: Message) -> bool:
        return institution_asked(message.text or "", self._registry()) is not None


async def check_command(request: Request) -> None:
    message = request.message
    if message is None:
        return
    name = " ".join(request.args).strip()
    if not name:
        await reply_html(message, request.t("registry.check_usage"))
        return
    await answer_check(request, name[:MAX_NAME_CHARS])


async def check_question(request: Request) -> None:
    message = request.message
    name = institution_asked(message.text or "", request.services.registry) if message else None
    if name is not None:
        await answer_check(request, name)


async def answer_check(request: Request, name: str) -> None:
    result = request.services.registry.lookup(name)
    body, markup = check_reply(request, result)
    await request.send(body, markup)


async def check_button(request: Request) -> None:
    """One of the "did you mean" buttons: anyone may read the registry, so any press of a
    well-formed button is shown; an id no longer listed says the button is old."""
    query = request.query
    if query is None:
        return
    match = BUTTON.match(query.data or "")
    record = request.services.registry.institution(int(match[1])) if match else None
    if record is None:
        await answer_press(query, request.t("button.expired"), alert=True)
        return
    await answer_press(query)
    result = request.services.registry.lookup(record.name)
    body, markup = institution_reply(request, record, result.listed_on)
    await request.send(body, markup)


def check_reply(request: Request, result: LookupResult) -> tuple[str, InlineKeyboardMarkup | None]:
    if result.registry_size == 0:
        return request.t("registry.empty"), None
    if result.sure is not None:
        return institution_reply(request, result.sure.institution, result.listed_on)
    name = html.escape(result.query)
    if result.candidates:
        rows = [
            [
                InlineKeyboardButton(
                    _label(request, m.institution),
                    callback_data=data(Prefix.REGISTRY, m.institution.id),
                )
            ]
            for m in result.candidates
        ]
        rows.append([_report_button(request)])
        return request.t("registry.candidates", name=name), InlineKeyboardMarkup(rows)
    body = request.t("registry.not_found", name=name)
    return _dated(request, body, result.listed_on), _report_markup(request)


def institution_reply(
    request: Request, record: InstitutionRecord, listed_on: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    values = describe(request.language, record)
    if record.status == InstitutionStatus.APPROVED:
        body = request.t("registry.approved", **values)
        return _dated(request, body, record.listed_on or listed_on), None
    body = request.t(f"registry.warning.{record.status}", **values)
    body = _dated(request, body, record.listed_on or listed_on)
    reportable = record.status in WARNING_STATUSES and record.kind in REPORTABLE_KINDS
    if reportable:
        body += "\n" + request.t("registry.report_hint")
    return body, _report_markup(request) if reportable else None


def describe(language: str, record: InstitutionRecord) -> dict[str, str]:
    """An institution's fields as the catalogs' texts take them, escaped."""
    unknown = text(language, "registry.unknown")
    fees = None
    if record.supervised_fees is not None:
        fees = "registry.fees.yes" if record.supervised_fees else "registry.fees.no"
    issuer = f"({html.escape(record.licence_issuer)})" if record.licence_issuer else ""
    return {
        "id": str(record.id),
        "name": html.escape(record.name),
        "district": html.escape(record.district or unknown),
        "kind": text(language, f"registry.kind.{record.kind}"),
        "form": text(language, f"registry.form.{record.form}"),
        "licence": html.escape(record.licence_number or unknown),
        "issuer": issuer,
        "code": html.escape(record.credit_code or unknown),
        "address": html.escape(record.address or unknown),
        "fees": text(language, fees) if fees else unknown,
        "status": text(language, f"registry.status.{record.status}"),
        "since": html.escape(record.status_since or unknown),
        "reason": html.escape(record.status_reason or text(language, "registry.reason_none")),
        "source": html.escape(record.source or unknown),
        "listed_on": html.escape(record.listed_on or ""),
    }


def _label(request: Request, record: InstitutionRecord) -> str:
    status = request.t(f"registry.status.{record.status}")
    district = f"({record.district})" if record.district else ""
    return f"{record.name}{district} · {status}"[:MAX_NAME_CHARS]


def _dated(request: Request, body: str, listed_on: str | None) -> str:
    if not listed_on:
        return body
    return f"{body}\n{request.t('registry.list_date', date=html.escape(listed_on))}"


def _report_button(request: Request) -> InlineKeyboardButton:
    # The menu's own "report" button: the reporters' handlers start the form from it.
    return InlineKeyboardButton(
        request.t("registry.button.report"), callback_data=data(Prefix.MENU, "report")
    )


def _report_markup(request: Request) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_report_button(request)]])


# --- staff: the registry's word on a ticket --------------------------------------------------


def registry_line(language: str, note: RegistryNote | None) -> str | None:
    """ "未在白名单" / "黑名单:2026-03-12 无证办学" / "白名单:学科类,许可证 …" for a card."""
    if note is None:
        return None
    status = text(language, f"registry.status.{note.status}")
    if note.status == InstitutionStatus.APPROVED:
        shown = text(
            language,
            "card.registry.approved",
            kind=text(language, f"registry.kind.{note.kind or 'unknown'}"),
            licence=html.escape(note.licence or "-"),
        )
    elif note.status == UNCONFIRMED:
        names = "、".join(html.escape(n) for n in note.offered) or "-"
        shown = text(language, "card.registry.offered", names=names)
    elif note.status == NOT_FOUND:
        shown = status
    else:
        shown = text(
            language,
            "card.registry.listed",
            status=status,
            since=html.escape(note.since),
            reason=html.escape(note.reason),
        ).strip()
    if note.institution_id is not None:
        shown += f" · #{note.institution_id}"
    return text(language, "card.registry", status=shown)


def earlier_line(language: str, note: RegistryNote | None) -> str | None:
    if note is None or not note.earlier:
        return None
    numbers = ", ".join(html.escape(n) for n in note.earlier)
    return text(language, "ticket.registry_earlier", tickets=numbers)
