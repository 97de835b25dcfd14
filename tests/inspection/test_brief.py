"""The /brief PDF: it opens, has the pages it should, draws Chinese as glyphs, names nobody."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

from bot.fonts import FONT_FILE
from bot.inspection.brief import ROWS_PER_PAGE, render_brief_pdf
from bot.inspection.charts import chart_names
from bot.inspection.figures import Period, figure_values
from bot.inspection.model import Disposition
from bot.inspection.reports import BriefData
from bot.inspection.texts import headline_values

from .conftest import ADMIN, ALICE, NOW, REPORTER_ID, Bureau, organisation

H = timedelta(hours=1)
SECRET_DESCRIPTION = "我是李四家长电话13800000000"


async def brief_of(bureau: Bureau, overdue: int = 0) -> tuple[BriefData, bytes, int]:
    desk = bureau.inspection.desk
    first = await bureau.report(description=SECRET_DESCRIPTION, wants_updates=True)
    await desk.claim(ALICE, first)
    await desk.resolve(ALICE, first, Disposition.SUBSTANTIATED, "已责令退费,结果保密")
    for _ in range(overdue):
        await bureau.report("prepaid_fees", "朝阳区", institution="某某教育")
    bureau.clock.advance(days=40)  # every open ticket is now overdue
    data = await bureau.inspection.reports.brief(ADMIN, Period(NOW - H, NOW + H))
    assert isinstance(data, BriefData)
    names = chart_names(organisation(), "zh")
    pdf, pages = render_brief_pdf(data, names, bureau.inspection.calendar.tz, bureau.clock())
    return data, pdf, pages.total


async def test_the_pdf_opens_with_cover_charts_tables_and_overdue_pages(bureau: Bureau) -> None:
    data, pdf, total = await brief_of(bureau, overdue=ROWS_PER_PAGE + 5)
    reader = PdfReader(io.BytesIO(pdf))
    # Cover, two pages of charts, the department tables, two pages of overdue tickets.
    assert len(reader.pages) == total == 6
    cover = reader.pages[0].extract_text()
    assert "双减举报办理情况简报" in cover and "本期" in cover and "上期" in cover
    for value in headline_values(data.figures.headline).values():
        assert value in cover
    assert figure_values(data.figures.headline)["received"] == ROWS_PER_PAGE + 6
    overdue = reader.pages[4].extract_text() + reader.pages[5].extract_text()
    assert all(t.number in overdue for t in data.overdue)
    everything = "".join(page.extract_text() for page in reader.pages)
    for secret in (SECRET_DESCRIPTION, "李四", "结果保密", str(REPORTER_ID)):
        assert secret not in everything
    assert bureau.tickets.reporter_key(REPORTER_ID) not in everything
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
    }
    assert fonts and all("WenQuanYi" in f for f in fonts)  # embedded, no other font needed


async def test_a_rendered_page_shows_chinese_glyphs_not_boxes(bureau: Bureau) -> None:
    _, pdf, _ = await brief_of(bureau)
    page = pdfium.PdfDocument(pdf)[0]
    scale = 3
    image = page.render(scale=scale).to_pil().convert("L")
    text = page.get_textpage()
    title = "双减举报办理情况简报"
    found = text.get_text_range().find(title)
    assert found >= 0
    height = page.get_height()
    glyphs = []
    for index in range(found, found + len(title)):
        left, bottom, right, top = text.get_charbox(index)
        box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
        glyphs.append(image.crop(tuple(int(v) for v in box)).resize((40, 40)))
    # Every character is ink on the page, and no two different characters look alike, as
    # the boxes a missing glyph draws would.
    assert all(ImageStat.Stat(g).mean[0] < 235 for g in glyphs)
    for n, glyph in enumerate(glyphs):
        for other, char in zip(glyphs[n + 1 :], title[n + 1 :], strict=True):
            if char != title[n]:
                difference = ImageStat.Stat(ImageChops.difference(glyph, other)).mean[0]
                assert difference > 8, (title[n], char)
    Image.Image.close(image)


def test_the_font_comes_with_the_code() -> None:
    assert FONT_FILE.is_file() and FONT_FILE.stat().st_size < 4_000_000
    assert (FONT_FILE.parent / "LICENSE-wqy-microhei.txt").is_file()
