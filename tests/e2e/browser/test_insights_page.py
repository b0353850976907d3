"""The insights page (templates/insights.html, static/insights.js) in Chromium, on models the
real stack trained: an account with a real best time and a hashtag that lifts likes (evidence)
and one of 12 posts without the insights permission (not enough evidence, said in words); the
heatmap and the lift chart by keyboard, their tables, phone and desktop, screenshots."""
from __future__ import annotations

from tests.e2e.browser.conftest import DESKTOP, PHONE, log_in, shoot, trained_by_api
from tests.e2e.insights_accounts import write_timely


def open_insights(page, base_url: str, tz: str) -> None:
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url(f"{base_url}/insights")
    page.locator('#insights[aria-busy="false"]').wait_for()
    page.get_by_label("Your time zone").fill(tz)
    page.get_by_role("button", name="Show").click()
    page.locator('#insights[aria-busy="false"]').wait_for()


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_evidence_drawn_with_keyboard_access_and_tables(page, stack, sandbox):
    write_timely(sandbox.accounts_dir, "tina")
    _, email, _ = trained_by_api(stack.gateway_url, "tina")
    log_in(page, stack.gateway_url, email)
    open_insights(page, stack.gateway_url, "Asia/Tokyo")
    verdict = page.locator("#timing-verdict")
    assert "Tuesday 18:00–19:00" in verdict.inner_text() and "evidence" in verdict.get_attribute("class")
    cells = page.get_by_role("gridcell")
    assert cells.count() == 168
    tuesday_18 = page.locator('.heat-cell[data-weekday="1"][data-hour="18"]')
    assert tuesday_18.inner_text() == "+" and "evidence" in tuesday_18.get_attribute("class")

    # the keyboard: one cell in the tab order, arrow keys move it, the readout says the cell
    cells.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    readout = page.locator("#heat-readout").inner_text()
    assert readout.startswith("Tuesday 18:00–19:00: ×") and "clearly better" in readout, readout
    assert page.evaluate("document.activeElement.dataset.hour") == "18"
    assert page.locator('.heat-cell[tabindex="0"]').count() == 1

    # the lift chart: each row takes the focus and says itself
    golden = page.locator(".lift-row", has_text="#golden")
    golden.focus()
    assert "lifts likes" in golden.get_attribute("aria-label")
    flat = page.locator(".lift-row", has_text="#flat").get_attribute("aria-label")
    assert "not enough evidence" in flat
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('lift-row')")

    # the text equivalents
    page.get_by_text("The heatmap as a table").click()
    heat = page.locator("#heatmap-table table")
    assert heat.locator("tbody tr").count() == 7 and heat.locator("thead th").count() == 25
    page.get_by_text("The chart as a table").click()
    row = page.locator("#lift-table tr", has_text="#golden")
    assert row.locator("td").last.inner_text() == "yes"

    # Instagram's online followers beside it, by Tokyo hour
    assert page.locator("#online-table tbody tr").count() == 24
    assert page.locator("#online-table tr.peak th").inner_text() == "03:00"

    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert fits_the_width(page), size
    shoot(page, "insights-evidence")
    shoot(page, "insights-heatmap", page.locator("#timing-card"))


def test_not_enough_evidence_said_plainly(page, stack, sandbox):
    from sandbox.instagram.testing import sample_account

    sample_account(sandbox.accounts_dir, "una", n_posts=12, insights={"granted": False})
    _, email, _ = trained_by_api(stack.gateway_url, "una")
    log_in(page, stack.gateway_url, email)
    open_insights(page, stack.gateway_url, "Europe/Athens")
    assert page.locator("#timing-verdict").inner_text().startswith("Not enough evidence: 12 posts are too few")
    assert page.locator(".heat-cell.evidence").count() == 0
    assert "reconnect and allow them" in page.locator("#online-message").inner_text()
    assert page.locator("#online-table tr").count() == 0

    # a time zone that is not one: said at the field
    page.get_by_label("Your time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Show").click()
    page.locator('#tz[aria-invalid="true"]').wait_for()
    assert "not an IANA time zone name" in page.locator("#tz-error").inner_text()
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    shoot(page, "insights-not-enough-evidence")
