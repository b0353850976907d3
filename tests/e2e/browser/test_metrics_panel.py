"""Reach, views, saves and shares in a real browser: the model card's figures and chart for each
metric, the "Rank several images by" choice, each card's metrics; and an account that did not
grant insights, whose page says why instead."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from sandbox.instagram.accounts import format_timestamp
from tests.e2e.browser.conftest import log_in, shoot, token_of, trained_by_api

START = format_timestamp(datetime.now(timezone.utc) - timedelta(days=40))


@pytest.fixture(scope="module")
def insight_accounts(sandbox):
    from sandbox.instagram.testing import sample_account

    sample_account(sandbox.accounts_dir, "omar", n_posts=15, start=START)
    sample_account(sandbox.accounts_dir, "pia", n_posts=12, start=START, insights={"granted": False})


def latest(base: str, token: str, n: int) -> list[dict]:
    resp = requests.get(f"{base}/api/v1/predictions?per_page={n}", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)
    return resp.json()["predictions"]


def upload(page, *paths) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files([str(p) for p in paths])


def whole(text: str) -> int:
    return int(text.replace(",", ""))


def test_a_granted_account_sees_each_metric_and_ranks_by_reach(page, stack, photo, insight_accounts):
    base = stack.gateway_url
    _, email, _ = trained_by_api(base, "omar")
    log_in(page, base, email)
    figures = page.locator("#model-metrics")
    figures.wait_for()
    rows = figures.locator("tbody tr")
    assert rows.count() == 4 and [r.get_attribute("data-metric") for r in rows.all()] == [
        "reach", "views", "saves", "shares"]
    assert all(re.fullmatch(r"×[\d.]+", r.locator("td").nth(1).inner_text()) for r in rows.all())
    # the accuracy chart of reach, in its own words
    page.get_by_label("Show the chart of").select_option("reach")
    assert page.get_by_role("heading", name="Your reach through time, and the model against them").is_visible()
    assert "reach" in page.locator("#chart-summary").inner_text()

    choice = page.get_by_label("Rank several images by")
    assert [o for o in choice.locator("option").all_inner_texts()] == ["likes", "reach", "views", "saves", "shares"]
    choice.select_option("reach")
    upload(page, photo("chelsea", "cat.jpg"), photo("coffee", "coffee.jpg"), photo("rocket", "rocket.jpg"))
    page.get_by_test_id("ranking-title").filter(has_text="Ranking by predicted reach").wait_for(timeout=30_000)
    answers = {p["filename"]: p for p in latest(base, token_of(page), 3)}
    cards = page.locator(".result")
    shown = [(c.locator(".result-title").inner_text(), whole(c.get_by_test_id("metric-reach").inner_text()))
             for c in cards.all()]
    expected = sorted(((name, round(p["metrics"]["reach"]["value"])) for name, p in answers.items()),
                      key=lambda x: -x[1])
    assert [(re.sub(r"^#\d+ ", "", t), v) for t, v in shown] == expected
    assert [t.split()[0] for t, _ in shown] == ["#1", "#2", "#3"]
    first = cards.first.get_by_test_id("metrics")
    assert first.get_by_role("heading", name="Beyond likes: reach, views, saves, shares").is_visible()
    shoot(page, "metrics-ranked-by-reach", cards.first)
    # the history keeps each one's metrics beside its likes
    newest = page.locator("#history .history-numbers").first
    newest.filter(has_text="reach").wait_for()
    assert re.search(r"likes · [\d,]+ comments · [\d,]+ reach · [\d,]+ views · [\d,]+ saves · [\d,]+ shares$",
                     newest.inner_text()), newest.inner_text()


def test_an_account_that_did_not_grant_insights_is_told_why(page, stack, photo, insight_accounts):
    base = stack.gateway_url
    _, email, _ = trained_by_api(base, "pia")
    log_in(page, base, email)
    page.locator("#model-metrics").wait_for()
    assert "grant" in page.locator("#model-metrics").inner_text()
    options = page.get_by_label("Rank several images by").locator("option")
    assert [o.is_disabled() for o in options.all()] == [False, True, True, True, True]
    assert "does not predict reach, views, saves, shares" in page.locator("#rank-by-hint").inner_text()
    upload(page, photo("chelsea", "cat.jpg"))
    card = page.locator(".result").first
    card.get_by_test_id("likes").wait_for(timeout=30_000)
    why = card.get_by_test_id("metrics-why")  # one reason for the four: said once
    assert why.inner_text() == ("Not predicted: your account did not grant Likely its insights (reconnect Instagram "
                                "and allow them).")
    assert "reach: 0 of your posts have it" in why.get_attribute("title")
    shoot(page, "metrics-not-granted", card)
