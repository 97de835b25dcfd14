"""Memory while cleaning evidence: large images are decoded at the size kept, one at a time."""

from __future__ import annotations

import asyncio
import io
import threading

import pytest
from PIL import Image

from bot.tickets import evidence
from bot.tickets.evidence import EvidenceCleaner, MemoryBudget, inspect_evidence, processing_cost
from bot.tickets.settings import EvidenceSettings

SETTINGS = EvidenceSettings()


def encoded(size: tuple[int, int], fmt: str) -> bytes:
    image = Image.new("RGB", size, (240, 240, 240))
    image.paste((20, 20, 20), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def stored_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_a_large_photo_is_kept_at_a_readable_size_and_a_long_screenshot_keeps_its_width() -> None:
    camera = inspect_evidence(encoded((8000, 6000), "JPEG"), "IMG_0001.jpg", SETTINGS)
    assert camera.file is not None  # 48 megapixels, but decoded at half size: not refused
    assert stored_size(camera.file.data) == (3413, 2560)
    smaller = EvidenceSettings(stored_short_side=600)
    scan = inspect_evidence(encoded((1800, 1200), "PNG"), "scan.png", smaller)
    assert scan.file is not None and stored_size(scan.file.data) == (900, 600)
    screenshot = inspect_evidence(encoded((540, 12000), "PNG"), "chat.png", smaller)
    assert screenshot.file is not None and stored_size(screenshot.file.data) == (540, 12000)


def test_the_cost_of_a_jpeg_counts_the_pixels_decoded_at_reduced_size() -> None:
    jpeg, png = encoded((4000, 3000), "JPEG"), encoded((4000, 3000), "PNG")
    full = 4000 * 3000 * 4
    settings = EvidenceSettings(stored_short_side=750)
    assert processing_cost(png, settings) > full
    assert processing_cost(jpeg, settings) < full / 4  # decoded as 1000 x 750
    assert processing_cost(b"%PDF-1.7\n%%EOF", SETTINGS) == 4 * len(b"%PDF-1.7\n%%EOF")


async def test_large_images_are_decoded_one_at_a_time_and_small_files_alongside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    active, most = 0, 0
    lock = threading.Lock()
    inspect = evidence.inspect_evidence
    # Small files meet here in pairs: only two decoded at the same time get past it, so files
    # kept one at a time would fail the test instead of passing whenever a thread is quick.
    pairs: threading.Barrier | None = None

    def counted(data: bytes, name: str, settings: EvidenceSettings) -> evidence.EvidenceResult:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            if pairs is not None:
                pairs.wait(timeout=30)
            return inspect(data, name, settings)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(evidence, "inspect_evidence", counted)
    large = encoded((2400, 1800), "PNG")  # 4.3 Mpx: 17 MB decoded, more than half the budget
    cleaner = EvidenceCleaner(EvidenceSettings(processing_memory_mb=16))
    assert processing_cost(large, cleaner.settings) > cleaner.budget.capacity / 2

    results = await asyncio.gather(*(cleaner.clean(large, f"{n}.png") for n in range(4)))

    assert all(r.accepted for r in results) and most == 1
    most = 0
    pairs = threading.Barrier(2)
    small = [encoded((400 + n, 300), "PNG") for n in range(6)]
    results = await asyncio.gather(*(cleaner.clean(data, "s.png") for data in small))
    assert all(r.accepted for r in results) and most > 1
    assert cleaner.budget.in_use == 0


async def test_the_budget_serves_in_order_and_a_cancelled_wait_frees_its_place() -> None:
    budget = MemoryBudget(100)
    order: list[str] = []
    release = asyncio.Event()

    async def job(name: str, amount: int) -> None:
        async with budget.hold(amount):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(job("first", 60))
    await asyncio.sleep(0)
    large = asyncio.create_task(job("large", 500))  # more than all: alone, in its turn
    small = asyncio.create_task(job("small", 10))  # fits now, but waits behind "large"
    given_up = asyncio.create_task(job("given up", 10))
    await asyncio.sleep(0.01)
    assert order == ["first"] and budget.in_use == 60
    given_up.cancel()
    release.set()
    await asyncio.gather(first, large, small)
    assert order == ["first", "large", "small"] and budget.in_use == 0
    assert given_up.cancelled()
