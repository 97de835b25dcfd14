"""Uploads, downloads and media messages in both directions."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from telegram import Bot, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.emulator import BotApiEmulator
from bot.emulator.media import image_size, photo_refusal
from tests.emulator.conftest import png


async def test_uploaded_photo_can_be_downloaded_again(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    image = png(320, 200)
    sent = await bot.send_photo(user.id, image, caption="<b>证据</b>", parse_mode=ParseMode.HTML)

    largest = sent.photo[-1]
    assert (largest.width, largest.height) == (320, 200)
    assert sent.photo[0].width == 90  # a thumbnail comes first, as in Telegram
    assert sent.caption == "证据"
    file = await bot.get_file(largest.file_id)
    assert bytes(await file.download_as_bytearray()) == image
    assert emu.messages(user.id)[0]["photo"][-1]["file_id"] == largest.file_id


async def test_a_file_id_can_be_sent_again(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    first = await bot.send_document(user.id, b"%PDF-1.4", filename="通知.pdf")
    assert first.document is not None
    assert first.document.file_name == "通知.pdf"
    assert first.document.mime_type == "application/pdf"
    again = await bot.send_document(user.id, first.document.file_id)
    assert again.document is not None and again.document.file_id == first.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(user.id, "no-such-file-id")


async def test_caption_limit_is_1024(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_photo(user.id, png(10, 10), caption="字" * 1024)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(user.id, png(10, 10), caption="字" * 1025)


async def test_bot_downloads_a_photo_a_user_sent(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    image = png(640, 480)
    await emu.send_photo(user, image, caption="机构周末上课的照片")

    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.caption == "机构周末上课的照片"
    photo = update.message.photo[-1]
    assert (photo.width, photo.height) == (640, 480)
    data = await (await photo.get_file()).download_as_bytearray()
    assert bytes(data) == image
    assert len(emu.downloads) == 1 and emu.downloads[0].startswith("photos/")


async def test_files_over_20_mb_cannot_be_fetched(emu: BotApiEmulator, bot: Bot) -> None:
    message = await emu.send_document(emu.user(), bytes(20 * 1024 * 1024 + 1), "录像.zip")
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(message["document"]["file_id"])


async def test_media_group_shares_one_group_id(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    album = await bot.send_media_group(
        user.id,
        [InputMediaPhoto(png(20, 20), caption="一"), InputMediaPhoto(png(30, 30))],
    )
    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "一"
    assert album[1].photo[-1].width == 30


async def test_other_user_media_arrive_as_telegram_sends_them(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user()
    await emu.send_sticker(user)
    await emu.send_location(user, 31.23, 121.47)
    await emu.send_contact(user, "+8613800000000", "李四")
    await emu.send_voice(user)
    await emu.send_video(user, caption="视频")
    messages = [u.message for u in await bot.get_updates()]
    assert all(m is not None for m in messages)
    sticker, location, contact, voice, video = messages
    assert sticker and sticker.sticker and sticker.sticker.emoji == "👍"
    assert location and location.location and location.location.latitude == pytest.approx(31.23)
    assert contact and contact.contact and contact.contact.first_name == "李四"
    assert voice and voice.voice and voice.voice.mime_type == "audio/ogg"
    assert video and video.video and video.caption == "视频"


@pytest.mark.parametrize(
    ("width", "height"),
    [(1080, 24000), (6000, 4500), (400, 8100)],  # a long screenshot; too big; ratio over 20
)
async def test_photos_telegram_cannot_show_are_refused_as_photos(
    emu: BotApiEmulator, bot: Bot, width: int, height: int
) -> None:
    user = emu.user()
    image = png(width, height)
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(user.id, image)
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_media_group(user.id, [InputMediaPhoto(png(20, 20)), InputMediaPhoto(image)])
    assert emu.messages(user.id) == []  # nothing of the album was sent either
    sent = await bot.send_document(user.id, image, filename="长截图.png")
    assert sent.document is not None and sent.document.file_size == len(image)


async def test_photos_over_10_mb_are_refused_and_the_limits_are_inclusive(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user()
    with pytest.raises(BadRequest, match="Photo_save_file_invalid"):
        await bot.send_photo(user.id, png(100, 100) + bytes(10 * 1024 * 1024))
    for width, height in ((5000, 5000), (200, 4000)):  # sum 10000; ratio exactly 20
        sent = await bot.send_photo(user.id, png(width, height))
        assert (sent.photo[-1].width, sent.photo[-1].height) == (width, height)


def test_webp_sizes_are_read_from_the_header() -> None:
    for lossless in (False, True):
        out = io.BytesIO()
        Image.new("RGB", (1200, 30), (9, 9, 9)).save(out, "WEBP", lossless=lossless)
        assert image_size(out.getvalue()) == (1200, 30)
    out = io.BytesIO()
    Image.new("RGBA", (640, 16000), (9, 9, 9, 0)).save(out, "WEBP")  # extended header (alpha)
    assert image_size(out.getvalue()) == (640, 16000)
    assert photo_refusal(out.getvalue()) == "PHOTO_INVALID_DIMENSIONS"
