"""The registry's vocabulary: statuses, kinds and forms, the words bureaus publish for them,
and what a lookup returns."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.store.base import InstitutionRecord


class InstitutionStatus(StrEnum):
    APPROVED = "approved"  # 白名单: licensed and in good standing
    SUSPENDED = "suspended"  # 暂停办学 / 停业整改
    REVOKED = "revoked"  # 吊销 / 注销 / 终止办学
    BLACKLISTED = "blacklisted"  # 黑名单 / 取缔
    UNDER_INVESTIGATION = "under_investigation"  # 立案调查


# What a ticket records when no registry entry was matched.
NOT_FOUND = "not_found"  # nothing in the registry matched the name
UNCONFIRMED = "unconfirmed"  # close names were offered and the reporter was not sure
# Every word a ticket may record of the registry (what routing rules' ``registry:`` name).
TICKET_REGISTRY_WORDS = (*(s.value for s in InstitutionStatus), NOT_FOUND, UNCONFIRMED)
# Statuses a parent should be warned about before paying.
WARNING_STATUSES = frozenset(
    {InstitutionStatus.SUSPENDED, InstitutionStatus.REVOKED, InstitutionStatus.BLACKLISTED}
)


class InstitutionKind(StrEnum):
    SUBJECT = "subject"  # 学科类
    ARTS = "arts"  # 文化艺术类
    SPORTS = "sports"  # 体育类
    SCIENCE = "science"  # 科技类
    OTHER_NON_SUBJECT = "other_non_subject"  # 其他非学科类 (综合实践 ...)
    UNKNOWN = "unknown"


class InstitutionForm(StrEnum):
    FOR_PROFIT = "for_profit"  # 营利性
    NON_PROFIT = "non_profit"  # 非营利性
    UNKNOWN = "unknown"


# The words bureaus' lists use, folded to one status. The first word of each is what exports
# write (so an export imports again unchanged).
STATUS_WORDS: dict[InstitutionStatus, tuple[str, ...]] = {
    InstitutionStatus.APPROVED: (
        "白名单", "正常", "正常办学", "审批通过", "已审批", "在册", "合规", "approved",
    ),
    InstitutionStatus.SUSPENDED: (
        "暂停办学", "暂停", "停业整改", "整改", "停止招生", "suspended",
    ),
    InstitutionStatus.REVOKED: (
        "吊销", "吊销许可证", "注销", "撤销", "终止办学", "关停", "revoked", "closed",
    ),
    InstitutionStatus.BLACKLISTED: (
        "黑名单", "列入黑名单", "取缔", "已取缔", "失信", "blacklisted",
    ),
    InstitutionStatus.UNDER_INVESTIGATION: (
        "立案调查", "调查中", "核查中", "立案", "under_investigation",
    ),
}  # fmt: skip
KIND_WORDS: dict[InstitutionKind, tuple[str, ...]] = {
    InstitutionKind.SUBJECT: ("学科类", "学科", "subject"),
    InstitutionKind.ARTS: (
        "文化艺术类", "艺术类", "艺术", "文化艺术", "音乐", "美术", "舞蹈", "书法", "arts",
    ),
    InstitutionKind.SPORTS: ("体育类", "体育", "sports"),
    InstitutionKind.SCIENCE: ("科技类", "科技", "科学", "编程", "science"),
    InstitutionKind.OTHER_NON_SUBJECT: (
        "非学科类", "其他非学科类", "综合实践", "综合", "其他", "other_non_subject",
    ),
    InstitutionKind.UNKNOWN: ("未分类", "unknown"),
}  # fmt: skip
FORM_WORDS: dict[InstitutionForm, tuple[str, ...]] = {
    InstitutionForm.FOR_PROFIT: ("营利性", "营利", "企业", "公司", "for_profit"),
    InstitutionForm.NON_PROFIT: (
        "非营利性", "非营利", "民办非企业", "民非", "non_profit",
    ),
    InstitutionForm.UNKNOWN: ("未知", "unknown"),
}  # fmt: skip


def status_from_word(word: str) -> InstitutionStatus | None:
    """A status from the bureau's words or the English ids: "黑名单", "吊销", "blacklisted"."""
    folded = word.strip().lower().replace("-", "_")
    return next((s for s, words in STATUS_WORDS.items() if folded in words), None)


# An inspector's resolution may name the institution's new status: "机构:黑名单" (a
# full-width colon folds to this one).
RESOLUTION_PREFIXES = ("机构:", "institution:", "inst:")


def resolution_status(word: str) -> InstitutionStatus | None:
    """``机构:黑名单`` → blacklisted; None when ``word`` is not of that form."""
    folded = unicodedata.normalize("NFKC", word).strip().lower()
    for prefix in RESOLUTION_PREFIXES:
        if folded.startswith(prefix):
            return status_from_word(folded.removeprefix(prefix))
    return None


@dataclass(frozen=True)
class Match:
    institution: InstitutionRecord
    score: float  # 0-100
    matched_name: str  # the name or alias that matched


@dataclass(frozen=True)
class LookupResult:
    """What the registry says of a name: ``sure`` is set only for one clear match; otherwise
    ``candidates`` are the close ones (possibly none)."""

    query: str
    sure: Match | None
    candidates: tuple[Match, ...]
    registry_size: int  # 0: no list has been imported, so "not found" says nothing
    listed_on: str | None  # the newest list date in the registry

    @property
    def found_nothing(self) -> bool:
        return self.sure is None and not self.candidates


@dataclass(frozen=True)
class InstitutionHistory:
    """One institution as the registry holds it, with its changes and the tickets about it."""

    institution: InstitutionRecord
    changes: tuple[ChangeItem, ...]
    tickets: tuple[TicketItem, ...]


@dataclass(frozen=True)
class ChangeItem:
    at: datetime
    actor: str  # "import:<file name>", or the staff member's "inspector:<id>"
    change: str
    status: str
    reason: str
    ticket_number: str | None


@dataclass(frozen=True)
class TicketItem:
    ticket_number: str
    received_at: datetime
    status: str
    disposition: str | None
    queue: str


@dataclass(frozen=True)
class RegistryNote:
    """What a ticket recorded of the registry when it came in, for its card and details."""

    institution_id: int | None
    status: str  # an InstitutionStatus, NOT_FOUND or UNCONFIRMED
    name: str = ""
    since: str = ""
    reason: str = ""
    kind: str = ""
    licence: str = ""
    offered: tuple[str, ...] = ()  # names offered to a reporter who was not sure
    earlier: tuple[str, ...] = ()  # other tickets about the same institution (numbers)
