"""The format and the caption beside the upload, in a real browser: pick Reel with the keyboard,
type a caption with hashtags, upload, and read what the prediction says of both; then a photo
with no caption. At phone and desktop widths."""
from __future__ import annotations

import re

import requests

from tests.e2e.browser.conftest import PHONE, log_in, shoot, token_of, trained_by_api


def latest(base: str, token: str) -> dict:
    resp = requests.get(f"{base}/api/v1/predictions?per_page=1", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)
    return resp.json()["predictions"][0]


def upload(page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files(str(path))


def whole(text: str) -> int:
    return int(text.replace(",", ""))


def times(factor: float) -> str:
    """As the page writes a factor: ×1.4 (two decimals at most, no trailing zeros)."""
    return f"×{float(f'{factor:.2f}'):g}"


def test_a_reel_with_a_caption_then_a_photo_without(page, stack, photo):
    base = stack.gateway_url
    _, email, _ = trained_by_api(base, "demo")  # photos, carousels and reels; hashtags in its captions
    log_in(page, base, email)
    group = page.get_by_role("group", name="Format you will post")
    group.wait_for()
    assert [r.get_attribute("value") for r in group.get_by_role("radio").all()] == ["photo", "carousel", "reel"]
    assert page.get_by_role("radio", name="Photo").is_checked()

    # The keyboard alone: into the group, arrows to Reel; the caption box by its label
    page.get_by_role("radio", name="Photo").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="Reel").is_checked()
    caption = page.get_by_label("Caption")
    caption.click()
    text = "Night launch #Space #bnw #nosuchtagatall @crew"
    caption.type(text)
    assert page.locator("#caption-count").inner_text() == str(len(text))
    upload(page, photo("rocket", "rocket.jpg"))

    result = page.locator(".result").first
    result.get_by_test_id("format").wait_for(timeout=30_000)
    answer = latest(base, token_of(page))
    assert (answer["format"]["media_type"], answer["format"]["product_type"]) == ("VIDEO", "REELS")
    line = result.get_by_test_id("format").inner_text()
    assert re.fullmatch(r"As a reel ×[\d.]+ likes against a photo, ×[\d.]+ comments\.", line), line
    assert line.startswith(f"As a reel {times(answer['format']['likes_factor'])} likes")

    table = result.get_by_role("table", name=re.compile("Photo, carousel or reel"))
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    names = [re.sub(r" \(.*", "", t) for t in rows.locator("th").all_inner_texts()]
    assert names == ["Photo", "Carousel", "Reel"]
    for row, f in zip(rows.all(), answer["formats"], strict=True):
        cells = row.locator("td").all_inner_texts()
        lo, hi = f["likes_range"]
        assert cells[0].split() == [f"{round(f['likes']):,}", f"{round(lo):,}–{round(hi):,}"]
        assert whole(cells[1]) == round(f["comments"])
        assert cells[2] == (f"{f['posts']:,}" if f["posts"] else "none (a general guess)")
    asked = table.locator('tbody tr[aria-current="true"]')
    assert asked.count() == 1 and "Reel (asked)" in asked.locator("th").inner_text()
    assert whole(result.get_by_test_id("likes").inner_text()) == round(answer["likes"])

    explained = result.get_by_test_id("caption")
    assert explained.get_by_role("heading", name="Caption: 3 hashtags").is_visible()
    assert f"{len(text)} characters, 1 mention." in explained.inner_text()
    chips = explained.locator(".chip")
    assert chips.locator(".chip-name").all_inner_texts() == ["#space", "#bnw", "#nosuchtagatall"]
    for chip, h in zip(chips.all(), answer["caption"]["hashtags"], strict=True):
        text = chip.inner_text()
        if h["matched"]:
            assert "match" in chip.get_attribute("class") and times(h["likes_factor"]) in text
        else:
            assert text.endswith("not in your past captions: no effect")
    assert [h["matched"] for h in answer["caption"]["hashtags"]] == [True, True, False]
    shoot(page, "16-analyze-reel-with-caption", page.locator("#analyze-card"))

    # Nothing wider than a phone's screen: the table scrolls inside its box if it must
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})

    # A photo, the caption cleared: said to be the image's alone
    page.get_by_role("radio", name="Photo").check()
    caption.fill("")
    upload(page, photo("rocket", "rocket.jpg"))
    page.get_by_text("No caption given: the prediction is the image's alone.").wait_for(timeout=30_000)
    assert page.locator(".result").first.get_by_test_id("format").inner_text() == \
        "As a photo: the format the others are compared with."
    plain = latest(base, token_of(page))
    assert plain["caption"]["given"] is False and plain["format"]["media_type"] == "IMAGE"
    assert page.locator("#history .history-item").first.filter(has_text="as a photo").count() == 1
    shoot(page, "17-analyze-photo-no-caption", page.locator("#analyze-card"))
