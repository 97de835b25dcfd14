"""``bench faq``: question-matching latency, index build time, cold start and peak memory.

Targets: p99 <= 1 ms per question with the shipped knowledge base; p99 <= 10 ms and build
<= 2 s with a generated 5,000-entry base; process start to first answer <= 1.5 s.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from bot.bench.report import peak_rss_mb, percentiles, print_table
from bot.config import Config
from bot.kb.loader import load_knowledge_strict
from bot.kb.model import Entry, KnowledgeBase, Localized, Source
from bot.matching.evaluate import load_cases
from bot.matching.matcher import Matcher

# Questions outside the policy, so the benchmark also times the "none" path.
OFF_TOPIC = (
    "今天天气怎么样",
    "附近有什么好吃的",
    "How do I renew my passport?",
    "你好",
    "🙂🙂🙂",
    "股票明天会涨吗",
)


def run_faq_benchmark(
    config: Config, *, generated_entries: int = 5000, questions_file: Path | None = None
) -> dict[str, float]:
    kb = load_knowledge_strict(list(config.knowledge_paths))
    started = time.perf_counter()
    matcher = Matcher(kb, config.matching)
    shipped_build_ms = (time.perf_counter() - started) * 1000
    questions = _questions(kb, questions_file)
    shipped = _latencies(matcher, questions, rounds=20)

    big_kb = generate_kb(kb, generated_entries, seed=7)
    started = time.perf_counter()
    big_matcher = Matcher(big_kb, config.matching)
    big_build_s = time.perf_counter() - started
    big = _latencies(big_matcher, questions, rounds=3)

    cold_start_s = _cold_start()
    figures = {
        "shipped entries": len(kb.entries),
        "questions": len(questions),
        "shipped build ms": shipped_build_ms,
        "shipped p50 ms": shipped[50],
        "shipped p99 ms": shipped[99],
        f"generated {generated_entries} build s": big_build_s,
        "generated p50 ms": big[50],
        "generated p99 ms": big[99],
        "start to first answer s": cold_start_s,
        "peak RSS MB": peak_rss_mb(),
    }
    print_table("bench faq", figures)
    return figures


def _questions(kb: KnowledgeBase, questions_file: Path | None) -> list[str]:
    if questions_file is not None:
        return [case.q for case in load_cases(questions_file)]
    own = [e.question.zh for e in kb.entries.values()]
    own += [e.question.en for e in kb.entries.values() if e.question.en]
    return own + list(OFF_TOPIC)


def _latencies(matcher: Matcher, questions: list[str], rounds: int) -> dict[int, float]:
    samples: list[float] = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            matcher.match(question)
            samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples, (50, 99))


def _cold_start() -> float:
    """Wall time of a fresh ``python -m bot ask`` process, interpreter start included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "周末能上数学补习班吗"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def generate_kb(base: KnowledgeBase, size: int, *, seed: int) -> KnowledgeBase:
    """A knowledge base of ``size`` entries recombined from the shipped one's own words.

    Reusing real vocabulary keeps posting lists as long as they would be in a real, larger base.
    """
    rng = random.Random(seed)
    templates = list(base.entries.values())
    phrasings = [p for e in templates for p in e.phrasings]
    entries: dict[str, Entry] = {}
    for number in range(size):
        template = templates[number % len(templates)]
        entry_id = f"generated.entry_{number}"
        mixed = tuple(_mix(rng.choice(phrasings), rng.choice(phrasings), rng) for _ in range(8))
        entries[entry_id] = Entry(
            id=entry_id,
            question=Localized(zh=_mix(template.question.zh, rng.choice(phrasings), rng)),
            answer=template.answer,
            source=Source(document=template.source.document, date=template.source.date),
            phrasings=mixed,
            keywords=template.keywords,
        )
    return replace(base, entries=entries)


def _mix(first: str, second: str, rng: random.Random) -> str:
    cut_a = rng.randint(1, max(1, len(first) - 1))
    cut_b = rng.randint(0, max(0, len(second) - 1))
    return first[:cut_a] + second[cut_b:]
