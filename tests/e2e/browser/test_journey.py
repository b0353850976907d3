"""The whole journey in a real browser, as a person: sign up, connect the demo account through
the sandbox's account picker, train and watch the bar reach the end, see the model and the
chart of its accuracy, analyze
the cat photograph, see it in history, rank several photos, log out."""
from __future__ import annotations

import re
import time

from tests.e2e.browser.conftest import shoot, sign_up


def watch_training(page, timeout: float = 240.0) -> list[tuple[int, int, int]]:
    """(done, total, failed) as the button shows them, until it is "Train model" again."""
    seen = []
    button = page.locator("#train")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "running" not in (button.get_attribute("class") or ""):
            if seen or page.get_by_text(re.compile("Training finished")).count():
                return seen
        else:
            d = button.get_attribute("data-done")
            if d is not None:
                sample = (int(d), int(button.get_attribute("data-total")), int(button.get_attribute("data-failed")))
                if not seen or seen[-1] != sample:
                    seen.append(sample)
        page.wait_for_timeout(100)
    raise AssertionError(f"training did not finish in {timeout}s; saw {seen[-5:]}")


def test_the_whole_journey(page, stack, sandbox, photo):
    base = stack.gateway_url
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/login")  # no session: the home page sends people to log in
    shoot(page, "01-login")

    email = sign_up(page, base)
    assert page.get_by_text(email).is_visible()
    assert page.get_by_role("button", name="Connect Instagram").is_visible()
    assert not page.get_by_role("button", name="Train model").is_visible()
    shoot(page, "02-home-new-user")

    # Connect: the OAuth round trip through the sandbox's account picker
    page.get_by_role("button", name="Connect Instagram").click()
    page.wait_for_url(re.compile(r".*/oauth/authorize\?.*"))
    shoot(page, "03-instagram-picker")
    page.get_by_role("link", name="demo", exact=True).click()
    page.get_by_text("Connected as @likely.demo").wait_for()
    assert page.get_by_role("button", name="Disconnect Instagram").is_visible()
    assert page.get_by_role("status").filter(has_text="Instagram connected").is_visible()

    # Train, and watch the button-progress bar go to the end
    page.get_by_role("button", name="Train model").click()
    cancel = page.get_by_role("button", name="Cancel training")
    cancel.wait_for()
    page.get_by_role("progressbar", name="Training progress").wait_for(state="attached")
    for _ in range(100):  # a screenshot with the bar part-way
        d, t = page.locator("#train").get_attribute("data-done"), page.locator("#train").get_attribute("data-total")
        if t and int(t) > 0 and d and int(d) > 0:
            break
        page.wait_for_timeout(100)
    shoot(page, "04-home-training")
    seen = watch_training(page)
    assert seen, "the progress was never shown"
    total = seen[-1][1]
    assert total >= 60
    assert any(0 < d < total for d, t, f in seen), seen  # it moved while we watched
    assert seen[-1][0] + seen[-1][2] == total or page.get_by_text(f"{total} of {total} new posts").count()
    status = page.locator("#train-status")
    assert re.search(rf"Training finished: {total} of {total} new posts processed", status.inner_text())
    assert page.get_by_role("button", name="Train model").is_visible()

    # The model: size, when, top labels, accuracy on the user's own history
    page.locator("#model-posts").filter(has_text=f"{total} posts").wait_for()
    assert page.locator("#model-when").inner_text().strip()
    table = page.get_by_role("table", name="Top labels by likes")
    assert table.locator("tbody tr").count() >= 5
    accuracy = page.locator("#model-accuracy")
    assert re.search(r"Off by [\d,.]+ likes", accuracy.inner_text()), accuracy.inner_text()
    shoot(page, "05-home-trained")

    # The picture of it: likes through time, the model's level, the held-out posts predicted
    chart = page.get_by_role("img", name=re.compile(r"^Chart of the likes of your \d+ posts"))
    chart.wait_for()
    held = page.locator("#model-chart .chart-main .c-held-out circle").count()
    assert held >= 10 and page.locator("#model-chart .chart-main .c-range > g").count() == held
    assert page.get_by_role("img", name=f"Chart of the newest {held} posts, held out").is_visible()
    assert re.search(rf"predicted the newest {held}: typically within x[\d.]+ of the actual likes",
                     page.locator("#chart-summary").inner_text())
    shoot(page, "05-model-card-chart", page.locator("#model-card"))

    # Analyze the cat photograph: preview at once, then numbers and labels
    cat = photo("cat", "cat.jpg")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files(str(cat))
    page.get_by_role("img", name="Preview of cat.jpg").wait_for()
    result = page.locator(".result").first
    result.get_by_test_id("likes").wait_for(timeout=30_000)
    likes = int(result.get_by_test_id("likes").inner_text().replace(",", ""))
    comments = int(result.get_by_test_id("comments").inner_text().replace(",", ""))
    assert likes > 0 and comments >= 0
    matched = result.locator(".labels.matched .chip-name").all_inner_texts()
    assert "Cat" in matched, matched
    assert result.get_by_role("heading", name=re.compile(r"Matched labels \(\d+\)")).is_visible()
    shoot(page, "06-analyze-cat")

    # History: the analysis with its thumbnail
    item = page.locator("#history .history-item").first
    item.wait_for()
    assert f"{likes} likes" in item.inner_text().replace(",", "")
    thumb = item.locator("img.thumb")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle(), timeout=10_000)

    # Several at once give a ranking
    files = [photo("cat", "cat.jpg"), photo("rocket", "rocket.jpg"), photo("coffee", "coffee.jpg")]
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files([str(f) for f in files])
    page.get_by_role("heading", name="Ranking by predicted likes").wait_for(timeout=40_000)
    ranked = page.locator("#result-list .result")
    assert ranked.count() == 3
    values = [int(v.replace(",", "")) for v in ranked.locator("[data-testid=likes]").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    assert ranked.first.locator(".rank").inner_text().strip() == "#1"
    page.locator("#history .history-item").nth(3).wait_for()
    shoot(page, "07-ranking-and-history")

    # Log out: back on the log-in page, and the home page no longer opens
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login\?logged_out"))
    assert page.get_by_text("You have logged out.").is_visible()
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/login")


def test_privacy_page_says_what_is_stored_and_how_to_delete_it(page, stack):
    page.goto(f"{stack.gateway_url}/login")
    page.get_by_role("link", name="Terms of use and privacy").click()
    page.wait_for_url(f"{stack.gateway_url}/privacy")
    assert page.get_by_role("heading", name="What Likely stores").is_visible()
    assert page.get_by_role("heading", name="How to delete it").is_visible()
    text = page.locator("main").inner_text()
    for words in ("password", "encrypted", "Disconnect Instagram", "analyze"):
        assert words in text, words
    shoot(page, "09-privacy")
