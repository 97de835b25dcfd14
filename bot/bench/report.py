"""Shared figures for the benchmarks: percentiles, peak memory, one printed table."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path


def percentiles(samples: list[float], points: Iterable[int]) -> dict[int, float]:
    """Nearest-rank percentiles (no interpolation: p99 is a latency someone really waited)."""
    ordered = sorted(samples)
    if not ordered:
        return dict.fromkeys(points, 0.0)
    last = len(ordered) - 1
    return {p: ordered[min(last, max(0, round(p / 100 * len(ordered)) - 1))] for p in points}


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    Linux's ``ru_maxrss`` survives fork and exec: a child started by a bigger parent reports
    the parent's peak until it outgrows it. ``VmHWM`` belongs to the process's own address
    space, so it is read where there is one."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # KiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def print_table(title: str, figures: Mapping[str, object]) -> None:
    print(title)
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"  {name:<{width}}  {_shown(value)}")
    sys.stdout.flush()


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
