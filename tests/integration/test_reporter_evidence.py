"""Evidence sent to the bot: cleaned before it is stored, dangerous or broken files refused."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.emulator import BotApiEmulator
from bot.tickets.evidence import EvidenceCleaner, EvidenceResult
from tests.integration.conftest import Harness
from tests.integration.reporting import (
    Reporter,
    bot_running,
    db_path,
    photo,
    query,
    reporting_config,
)
from tests.tickets.test_evidence import CAMERA, jpeg_with_gps, png_claiming
from tests.tickets.test_evidence_documents import AUTHOR, docx_by_author, unpacked
from tests.tickets.test_evidence_embedded import (
    camera_jpeg,
    docx_with_ole_object,
    docx_with_photo,
    pdf_with_image,
    revealing,
)
from tests.tickets.test_evidence_recordings import MODEL, PLACE, opus, video


@pytest.fixture
async def bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    config = reporting_config(tmp_path, emu)
    tickets = replace(config.tickets, limits=replace(config.tickets.limits, max_attachments=3))
    async with bot_running(emu, replace(config, tickets=tickets)) as harness:
        yield harness


async def at_evidence_step(reporter: Reporter) -> None:
    await reporter.begin_report("unlicensed", "haidian")
    for answer in ("星光学堂", "学院路12号", "周六上午", "周末上数学课"):
        await reporter.say(answer)


async def test_a_photo_sent_as_a_document_is_stored_without_exif(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await at_evidence_step(reporter)
    original = jpeg_with_gps()
    assert CAMERA.encode() in original  # Telegram keeps EXIF on files sent as documents

    reply = await reporter.send_and_wait(
        bot.emu.send_document(reporter.user, original, "IMG_0001.JPG", "image/jpeg")
    )

    assert "已收到第 1 个文件" in reply["text"] and "位置和设备信息已删除" in reply["text"]
    [(name, data)] = query(db_path(bot.config), "SELECT filename, data FROM draft_files")
    assert name == "IMG_0001.jpg"
    assert b"Exif" not in data and CAMERA.encode() not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.size == (160, 120) and not stored.getexif()


async def test_dangerous_broken_and_oversized_files_get_clear_answers(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await at_evidence_step(reporter)
    emu, user = bot.emu, reporter.user
    cases = [
        (b"MZ\x90\x00" + b"\x00" * 200, "photo.jpg", "程序或脚本文件"),
        (photo()[:300], "cut.jpg", "不完整或已损坏"),
        (png_claiming(50_000, 50_000), "huge.png", "像素太多"),
        (b"PK\x03\x04" + b"\x00" * 100, "files.zip", "不完整或已损坏"),
    ]
    for data, name, expected in cases:
        reply = await reporter.send_and_wait(emu.send_document(user, data, name))
        assert expected in reply["text"], name
    downloads = len(emu.downloads)
    big = b"\x00" * (20 * 1024 * 1024 + 1)
    reply = await reporter.send_and_wait(emu.send_document(user, big, "video.mp4", "video/mp4"))
    assert "超过 20 MB" in reply["text"]
    assert len(emu.downloads) == downloads  # refused from the size Telegram gave, unfetched
    assert query(db_path(bot.config), "SELECT COUNT(*) FROM draft_files") == [(0,)]


async def test_files_beyond_the_limit_and_repeats_are_refused(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await at_evidence_step(reporter)
    emu, user = bot.emu, reporter.user
    first = photo((10, 200, 10))
    await reporter.send_and_wait(emu.send_photo(user, first))
    again = await reporter.send_and_wait(emu.send_photo(user, first))
    assert "已经收到过了" in again["text"]
    for colour in ((1, 2, 3), (4, 5, 6)):
        await reporter.send_and_wait(emu.send_photo(user, photo(colour)))
    full = await reporter.send_and_wait(emu.send_photo(user, photo((7, 8, 9))))
    assert "文件数量已达上限" in full["text"]
    contact = await reporter.press(":evdone")
    await reporter.press(":nocontact", contact)
    assert "3 个文件" in reporter.last["text"]


async def test_the_reporter_is_told_what_was_removed_and_what_could_not_be(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await at_evidence_step(reporter)
    emu, user = bot.emu, reporter.user
    mp4, _ = video()

    document = await reporter.send_and_wait(
        emu.send_document(user, docx_by_author(), "收费单.docx")
    )
    clip = await reporter.send_and_wait(emu.send_document(user, mp4, "VID_0001.mp4", "video/mp4"))
    tagged = await reporter.send_and_wait(
        emu.send_document(user, opus("ARTIST=王晓明"), "录音.ogg")
    )

    assert (
        "文档中的作者、单位、批注人等属性信息,以及其中图片的位置和设备信息已删除"
        in (document["text"])
    )
    assert "拍摄地点、设备型号等信息已删除" in clip["text"]
    assert "可能仍有作者、地点或设备等信息无法自动删除,会随文件交给核查人员" in tagged["text"]
    stored = dict(query(db_path(bot.config), "SELECT filename, data FROM draft_files"))
    assert AUTHOR.encode() not in unpacked(stored["收费单.docx"])
    assert PLACE not in stored["VID_0001.mp4"] and MODEL not in stored["VID_0001.mp4"]

    contact = await reporter.press(":evdone")
    review = await reporter.press(":nocontact", contact)
    assert "3 个文件\n其中 2 个文件的地点、设备、作者等信息已删除。" in review["text"]
    assert "会随文件交给核查人员:录音.ogg" in review["text"]


async def test_photos_inside_documents_are_cleaned_and_what_is_not_is_named(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await at_evidence_step(reporter)
    emu, user = bot.emu, reporter.user
    scan = pdf_with_image(b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"/JPXDecode")  # JPEG 2000

    document = await reporter.send_and_wait(
        emu.send_document(user, docx_with_photo(camera_jpeg()), "现场照片.docx")
    )
    kept = await reporter.send_and_wait(emu.send_document(user, scan, "扫描件.pdf"))
    refused = await reporter.send_and_wait(
        emu.send_document(user, docx_with_ole_object(), "带附件.docx")
    )

    assert "以及其中图片的位置和设备信息已删除" in document["text"]
    assert "可能仍有作者、地点或设备等信息无法自动删除" in kept["text"]
    assert "附带或嵌入了其他文件" in refused["text"] and "已收到" not in refused["text"]
    stored = dict(query(db_path(bot.config), "SELECT filename, data FROM draft_files"))
    assert set(stored) == {"现场照片.docx", "扫描件.pdf"}
    assert revealing(unpacked(stored["现场照片.docx"])) == []  # GPS, camera, XMP ...

    contact = await reporter.press(":evdone")
    review = await reporter.press(":nocontact", contact)
    assert "2 个文件\n其中 1 个文件的地点、设备、作者等信息已删除。" in review["text"]
    assert "会随文件交给核查人员:扫描件.pdf" in review["text"]


async def test_a_parent_is_answered_while_every_reporter_waits_for_their_file(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As many files at once as the bot handles updates: cleaning them must not hold up a
    question (it did when files took every slot while waiting their turn to be decoded)."""
    reporters = [Reporter(bot, bot.parent()) for _ in range(bot.config.telegram.concurrent_updates)]
    for reporter in reporters:
        await at_evidence_step(reporter)
    release, cleaning_started = asyncio.Event(), asyncio.Event()
    clean = EvidenceCleaner.clean

    async def held(cleaner: EvidenceCleaner, data: bytes, claimed_name: str) -> EvidenceResult:
        cleaning_started.set()
        await release.wait()
        return await clean(cleaner, data, claimed_name)

    monkeypatch.setattr(EvidenceCleaner, "clean", held)
    colours = [(n, 9, 9) for n in range(100, 200, 12)]
    files = [
        asyncio.create_task(reporter.send_and_wait(bot.emu.send_photo(reporter.user, photo(c))))
        for reporter, c in zip(reporters, colours, strict=False)
    ]
    try:
        await asyncio.wait_for(cleaning_started.wait(), timeout=5)

        [answer] = await bot.say(bot.parent(), "周末能上英语补习班吗")

        assert "补习" in answer["text"] or "培训" in answer["text"]
        assert not any(task.done() for task in files)  # the files are all still waiting
    finally:
        release.set()
    replies = await asyncio.gather(*files)
    assert all("已收到第 1 个文件" in reply["text"] for reply in replies)
