"""Scripted and random failures of Bot API methods, for testing how the bot copes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["429", "500", "502", "503", "504", "timeout", "delay"]
SERVER_ERROR_TEXTS = {
    "500": "Internal Server Error",
    "502": "Bad Gateway",
    "503": "Service Unavailable",
    "504": "Gateway Timeout",
}
_KINDS = frozenset({"429", "timeout", "delay", *SERVER_ERROR_TEXTS})


@dataclass(frozen=True)
class Fault:
    """What happens to one request instead of (or before) normal handling.

    - ``"429"``: Too Many Requests with ``retry_after``; nothing is delivered.
    - ``"500"``/``"502"``/``"503"``/``"504"``: a server error; nothing is delivered.
    - ``"timeout"``: no answer for ``delay`` seconds (longer than the client waits), then 504;
      nothing is delivered.
    - ``"delay"``: answers after ``delay`` seconds and *is* delivered: a client that gave up
      earlier sees a timeout for a message that arrived, as happens with the real server.
    """

    kind: FaultKind
    retry_after: int = 1
    delay: float = 6.0  # python-telegram-bot's default read timeout is 5 s

    @property
    def skips_delivery(self) -> bool:
        return self.kind != "delay"


@dataclass
class _ScriptedFaults:
    fault: Fault
    remaining: int


@dataclass
class _FaultRates:
    rate_429: float
    rate_5xx: float
    retry_after: int
    rng: random.Random


class FaultPlan:
    """Which requests fail, and a tally of the failures injected so far."""

    def __init__(self) -> None:
        self._scripted: dict[str, list[_ScriptedFaults]] = {}
        self._rates: dict[str, _FaultRates] = {}
        self.count: Counter[str] = Counter()
        self.injected: list[tuple[str, FaultKind]] = []

    def fail_next(
        self,
        method: str,
        kind: FaultKind = "429",
        *,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 6.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``kind``."""
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_KINDS)}")
        fault = Fault(kind, retry_after=retry_after, delay=delay)
        self._scripted.setdefault(method.lower(), []).append(_ScriptedFaults(fault, times))

    def set_rate(
        self,
        method: str | Collection[str] = "sendMessage",
        *,
        rate_429: float = 0.0,
        rate_5xx: float = 0.0,
        retry_after: int = 1,
        seed: int | None = None,
    ) -> None:
        """Fail a random share of calls: 429 with ``rate_429``, 502 with ``rate_5xx``."""
        methods = [method] if isinstance(method, str) else list(method)
        rng = random.Random(seed)
        for name in methods:
            self._rates[name.lower()] = _FaultRates(rate_429, rate_5xx, retry_after, rng)

    def clear(self) -> None:
        self._scripted.clear()
        self._rates.clear()

    def take(self, method: str) -> Fault | None:
        """The fault for this call of ``method``, if any, counted as injected."""
        key = method.lower()
        fault = self._take_scripted(key) or self._draw_random(key)
        if fault is not None:
            self.count[fault.kind] += 1
            self.injected.append((method, fault.kind))
        return fault

    def _take_scripted(self, key: str) -> Fault | None:
        queue = self._scripted.get(key)
        if not queue:
            return None
        head = queue[0]
        head.remaining -= 1
        if head.remaining <= 0:
            queue.pop(0)
        return head.fault

    def _draw_random(self, key: str) -> Fault | None:
        rates = self._rates.get(key)
        if rates is None:
            return None
        draw = rates.rng.random()
        if draw < rates.rate_429:
            return Fault("429", retry_after=rates.retry_after)
        if draw < rates.rate_429 + rates.rate_5xx:
            return Fault("502")
        return None
