"""The bureau's registry of tutoring institutions (白名单 / 黑名单): imports, lookups by name,
status changes, and the tickets about each institution. Plain Python: nothing here knows
Telegram."""

from bot.registry.importing import ImportPlan, ImportRefused, ListDefaults
from bot.registry.model import (
    NOT_FOUND,
    UNCONFIRMED,
    InstitutionKind,
    InstitutionStatus,
    LookupResult,
    Match,
)
from bot.registry.service import (
    DraftChoice,
    Registry,
    institution_history,
    snapshot,
    ticket_registry,
)

__all__ = [
    "NOT_FOUND",
    "UNCONFIRMED",
    "DraftChoice",
    "ImportPlan",
    "ImportRefused",
    "InstitutionKind",
    "InstitutionStatus",
    "ListDefaults",
    "LookupResult",
    "Match",
    "Registry",
    "institution_history",
    "snapshot",
    "ticket_registry",
]
