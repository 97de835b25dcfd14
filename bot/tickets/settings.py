"""Settings for tip-offs (the ``tickets:`` section of the config), defaults included."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.store.throttle import RateLimit

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True)
class ReceiptSettings:
    # Random digits in a receipt code (53 bits at 16): guessing one is hopeless.
    digits: int = 16
    # scrypt cost per code. The code's 53 bits of entropy, not the hash cost, stop guessing; the
    # cost makes a stolen database expensive to search: ~0.3 ms and 128 KiB (n * r * 128 bytes)
    # per try, about 5·10^15 tries per code. Stored with each hash, so it can rise later.
    scrypt_n: int = 2**7
    scrypt_r: int = 8
    scrypt_p: int = 1
    # Hex characters of HMAC(pepper, code) kept as a lookup index (5 = 20 bits): enough to find
    # the ticket without scanning, too few to narrow the search if the pepper ever leaks.
    lookup_chars: int = 5
    # Wrong codes per reporter, and from everyone together (brute force across many accounts).
    wrong_codes_per_reporter: tuple[RateLimit, ...] = (
        RateLimit(5, 15 * MINUTE),
        RateLimit(20, DAY),
    )
    wrong_codes_overall: tuple[RateLimit, ...] = (RateLimit(300, 15 * MINUTE),)
    # The handler shows the code at once; the outbox sends it only if that did not happen.
    delivery_grace_seconds: int = 60

    def __post_init__(self) -> None:
        if not 16 <= self.digits <= 32:
            raise ValueError("digits must be between 16 and 32")
        if self.scrypt_n < 2 or self.scrypt_n & (self.scrypt_n - 1):
            raise ValueError("scrypt_n must be a power of two")
        if not 3 <= self.lookup_chars <= 8:
            raise ValueError("lookup_chars must be between 3 and 8")


@dataclass(frozen=True)
class ReportLimits:
    reports_per_hour: int = 3
    reports_per_day: int = 10
    max_text_chars: int = 3000
    max_attachments: int = 10
    # Including evidence added later with the receipt code.
    max_ticket_attachments: int = 20

    def __post_init__(self) -> None:
        if min(self.reports_per_hour, self.reports_per_day, self.max_attachments) < 1:
            raise ValueError("report limits must be at least 1")
        if self.max_ticket_attachments < self.max_attachments:
            raise ValueError("max_ticket_attachments must be at least max_attachments")
        if self.max_text_chars < 100:
            raise ValueError("max_text_chars must be at least 100")


@dataclass(frozen=True)
class EvidenceSettings:
    # Telegram lets bots download files up to 20 MB.
    max_file_bytes: int = 20 * 1024 * 1024
    # Larger images are refused before decoding (decompression bombs).
    max_image_pixels: int = 40_000_000
    # Images are kept with their shorter side at most this long (long screenshots keep their
    # width, so their text stays readable).
    stored_short_side: int = 2560
    # Memory that cleaning evidence may take at once, across all reporters; the rest wait.
    processing_memory_mb: int = 256
    jpeg_quality: int = 88
    max_filename_chars: int = 80

    def __post_init__(self) -> None:
        if self.max_file_bytes < 1024:
            raise ValueError("max_file_bytes must be at least 1024")
        if self.max_image_pixels < 10_000:
            raise ValueError("max_image_pixels must be at least 10000")
        if self.stored_short_side < 480:
            raise ValueError("stored_short_side must be at least 480")
        if self.processing_memory_mb < 16:
            raise ValueError("processing_memory_mb must be at least 16")
        if not 30 <= self.jpeg_quality <= 95:
            raise ValueError("jpeg_quality must be between 30 and 95")


@dataclass(frozen=True)
class OutboxSettings:
    # Retry after 5 s, 10 s, 20 s ... up to an hour, until Telegram accepts the message.
    retry_first_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    batch_size: int = 20
    # How often the dispatcher looks for due messages when nobody wakes it.
    poll_seconds: float = 2.0
    # How long a message being sent is held for its sender (instances sharing the database).
    lease_seconds: float = 120.0

    def __post_init__(self) -> None:
        if not 0 < self.retry_first_seconds <= self.retry_max_seconds:
            raise ValueError("need 0 < retry_first_seconds <= retry_max_seconds")
        if self.batch_size < 1 or self.poll_seconds <= 0 or self.lease_seconds <= 0:
            raise ValueError("batch_size, poll_seconds and lease_seconds must be positive")


@dataclass(frozen=True)
class FollowupSettings:
    """回访: after a resolution the reporter is asked whether they are satisfied."""

    # Days the reporter has to answer; no answer by then counts as "not reached".
    reply_days: int = 7
    # After answering, this long to add an optional comment; a 不满意 reaches the supervisors
    # with the comment, or without one once this time is up.
    comment_minutes: int = 30
    # The longest comment (a short answer, like the report form's).
    comment_chars: int = 200

    def __post_init__(self) -> None:
        if not 1 <= self.reply_days <= 60:
            raise ValueError("reply_days must be between 1 and 60")
        if not 1 <= self.comment_minutes <= 24 * 60:
            raise ValueError("comment_minutes must be between 1 and 1440")
        if not 20 <= self.comment_chars <= 1000:
            raise ValueError("comment_chars must be between 20 and 1000")


@dataclass(frozen=True)
class TicketSettings:
    number_prefix: str = "SJ"
    # Ticket numbers count per year in Beijing time (UTC+8, no daylight saving).
    utc_offset_hours: int = 8
    # Where new tickets wait until routing rules place them.
    default_queue: str = "intake"
    claim_within_hours: int = 24
    # A staff chat told about each new ticket (number and category only); none if unset.
    duty_chat_id: int | None = None
    # An update that failed this many replays is set aside instead of retried forever.
    max_update_replays: int = 3
    receipts: ReceiptSettings = field(default_factory=ReceiptSettings)
    limits: ReportLimits = field(default_factory=ReportLimits)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)

    def __post_init__(self) -> None:
        if not self.number_prefix.isascii() or not self.number_prefix.isalpha():
            raise ValueError("number_prefix must be ASCII letters, e.g. SJ")
        if not -12 <= self.utc_offset_hours <= 14:
            raise ValueError("utc_offset_hours must be between -12 and 14")
        if self.claim_within_hours < 1 or self.max_update_replays < 1:
            raise ValueError("claim_within_hours and max_update_replays must be at least 1")
