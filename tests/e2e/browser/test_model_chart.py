"""The model card's accuracy chart (static/chart.js) in a real browser: what it draws for each
shape of GET /api/v1/model's "chart" (held-out posts with and without ranges, too few posts to
hold any out, likes of 0, one post, none), at phone and desktop widths; then on a model the
real stack trained, and on an older model document that has no chart."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from shared.model import TrainingPost, build_model
from tests.e2e.browser.conftest import DESKTOP, PHONE, log_in, shoot, trained_by_api
from tests.support.stack import ROOT

STATIC = ROOT / "services" / "gateway" / "web" / "static"


def chart_of(n: int, zero_at: int | None = None) -> dict:
    """The chart data shared.model builds for n posts of an account whose cat photos do better."""
    t0 = datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
    posts = []
    for i in range(n):
        labels = (("Cat", 95.0),) if i % 3 == 0 else (("Coffee", 90.0),)
        likes = 0 if i == zero_at else int(40 * (1.01 ** i) * (1.8 if i % 3 == 0 else 1.0) * (1 + 0.3 * math.sin(i)))
        posts.append(TrainingPost(f"m{i}", t0 + timedelta(days=2 * i, hours=i % 5), likes, i % 4, labels))
    return build_model(posts)["chart"]


@pytest.fixture
def card(page):
    """A page with the site's stylesheet, api.js and chart.js (from disk: no server needed);
    draw(chart) puts the chart's section in a model card and returns a locator for it."""
    page.set_content(
        '<main class="wrap"><section class="card wide" id="model-card"><div id="model-body"></div></section></main>'
    )
    page.add_style_tag(path=str(STATIC / "likely.css"))
    for name in ("api.js", "chart_scale.js", "chart.js"):
        page.add_script_tag(path=str(STATIC / name))

    def draw(chart: dict):
        page.evaluate("c => document.getElementById('model-body').replaceChildren(LikelyChart.render(c))", chart)
        section = page.locator("#model-chart")
        section.wait_for()
        return section

    return draw


def drawn(section, which: str = "chart-main") -> dict:
    """What an SVG of the chart (chart-main: every post; chart-held: the held-out posts alone)
    holds: marks counted, every number of every attribute, texts past its edges."""
    section.locator(f"svg.{which}").wait_for()  # drawn once the plot has a width (a ResizeObserver's callback)
    return section.evaluate(
        """(s, which) => {
        const svg = s.querySelector('svg.' + which);
        const count = (sel) => svg.querySelectorAll(sel).length;
        const numbers = [...svg.querySelectorAll('*')].flatMap((n) =>
            ['x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'width', 'height', 'points', 'd']
              .map((a) => n.getAttribute(a)).filter((v) => v !== null));
        return {
            role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
            title: svg.querySelector(':scope > title').textContent,
            describedby: svg.getAttribute('aria-describedby'),
            width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')),
            plot: svg.parentElement.clientWidth,
            posts: count('.c-posts circle'), held: count('.c-held-out circle'), predicted: count('.c-held-out path'),
            ranges: count('g.c-range > g'), band: count('.c-band'),
            level: (svg.querySelector('polyline.c-level')?.getAttribute('points') || '')
                .trim().split(/\\s+/).filter(Boolean).length,
            axis: [...svg.querySelectorAll('.c-axis-label')].map((t) => t.textContent),
            yTicks: [...svg.querySelectorAll('.c-y text')].map((t) => t.textContent),
            xTicks: [...svg.querySelectorAll('.c-x text')].map((t) => t.textContent),
            bad: numbers.filter((v) => /NaN|Infinity|undefined/.test(v)),
            cy: [...svg.querySelectorAll('.c-posts circle')].map((c) => Number(c.getAttribute('cy'))),
            outside: [...svg.querySelectorAll('text')].filter((t) => {
                const b = t.getBBox();
                return b.x < -0.5 || b.x + b.width > Number(svg.getAttribute('width')) + 0.5;
            }).map((t) => t.textContent),
        };
    }""",
        which,
    )


def test_the_chart_draws_each_case_accessibly_at_phone_and_desktop_widths(page, card):
    full = chart_of(60, zero_at=4)
    ho = full["holdout"]
    assert ho and ho["test_posts"] == 12 and all(p["low"] is not None for p in ho["points"])
    section = card(full)
    got = drawn(section)
    assert got["role"] == "img" and "log scale" in got["label"] and got["title"] == got["label"]
    assert got["describedby"] == "chart-summary"
    assert section.locator("#chart-summary").inner_text() == full["summary"]
    assert got["axis"] == ["Likes (log scale; 0 drawn as 1)"]
    assert got["bad"] == []
    assert got["posts"] == 60 - 12 and got["held"] == got["predicted"] == got["ranges"] == 12
    assert got["level"] == len(full["level"]) == 60 and got["band"] == 1
    # the held-out posts again, alone, one beside the next: readable on a phone
    held = drawn(section, "chart-held")
    assert held["role"] == "img" and held["label"].startswith("Chart of the newest 12 posts, held out")
    assert (held["posts"], held["held"], held["predicted"], held["ranges"], held["band"], held["level"]) == (
        0,
        12,
        12,
        12,
        0,
        0,
    )
    assert held["bad"] == [] and held["xTicks"] and held["axis"] == got["axis"]
    assert got["yTicks"] and got["xTicks"], got
    assert all(0 <= y <= got["height"] for y in got["cy"])
    # the post with 0 likes sits on the floor of 1, the lowest point, inside the plot
    assert max(got["cy"]) == got["cy"][4]
    # shapes, not colour alone: the legend names each mark, the table gives the numbers
    legend = section.locator(".chart-legend li").all_inner_texts()
    assert [t.strip() for t in legend] == ["A post's likes (trained on)", "The model's level through time",
                                           "Newest posts, held out", "A held-out post's actual likes",
                                           "What the model predicted for it", "Its 80% range"]
    section.get_by_text("The 12 held-out posts as a table").click()
    rows = section.get_by_role("table", name="Held-out posts: actual and predicted likes").locator("tbody tr")
    assert rows.count() == 12
    inside = [r.locator("td").nth(3).inner_text() for r in rows.all()]
    assert inside.count("yes") == ho["covered"] and inside.count("yes") + inside.count("no") == 12

    # drawn again to the width it has: a phone, then a desktop
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.wait_for_function(
            "() => { const s = document.querySelector('.chart-svg'), p = document.querySelector('.chart-plot');"
            " return Math.abs(Number(s.getAttribute('width')) - p.clientWidth) < 2; }"
        )
        for which in ("chart-main", "chart-held"):
            got = drawn(section, which)
            assert got["width"] <= got["plot"] + 1 and got["bad"] == [] and got["outside"] == []
            assert got["width"] <= size["width"]
    # on a phone the summary is under the chart, on a desktop beside it
    plot, side = section.locator(".chart-main-col").bounding_box(), section.locator(".chart-side").bounding_box()
    assert side["x"] >= plot["x"] + plot["width"] - 1

    # no 80% range (a kind without one): no range marks, the legend does not promise any
    bare = {**full, "holdout": {**ho, "points": [{**p, "low": None, "high": None} for p in ho["points"]]}}
    got = drawn(card(bare))
    assert got["ranges"] == 0 and got["held"] == 12 and got["bad"] == []
    assert drawn(page.locator("#model-chart"), "chart-held")["ranges"] == 0
    assert "Its 80% range" not in page.locator(".chart-legend").inner_text()

    # under 10 posts nothing is held out: posts and level only, and the summary says why
    few = chart_of(8)
    assert few["holdout"] is None
    section = card(few)
    got = drawn(section)
    assert (got["posts"], got["held"], got["band"], got["level"]) == (8, 0, 0, 8)
    assert "Too few posts" in section.locator("#chart-summary").inner_text()
    assert section.locator(".chart-table").count() == 0 and section.locator("svg.chart-held").count() == 0
    assert "held out" not in section.locator(".chart-legend").inner_text()

    # a tick at the very end of the time axis keeps its label inside the picture
    ends = {"posts": [{"t": "2025-01-01T00:00:00Z", "likes": 5}, {"t": "2025-10-01T06:00:00Z", "likes": 5000}],
            "level": [], "holdout": None, "summary": ""}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        got = drawn(card(ends))
        assert got["outside"] == [] and got["level"] == 0 and got["xTicks"], got

    # one post of 0 likes, and no posts at all
    one = {
        "posts": [{"t": "2025-03-01T10:00:00.123456Z", "likes": 0}],
        "level": [{"t": "2025-03-01T10:00:00.123456Z", "likes": 0.0}],
        "holdout": None,
        "summary": "1 post.",
    }
    got = drawn(card(one))
    assert got["posts"] == 1 and got["bad"] == []
    section = card({"posts": [], "level": [], "holdout": None, "summary": "No posts."})
    assert section.get_by_text("No posts to draw.").is_visible() and section.locator("svg").count() == 0


def test_log_and_time_ticks(page, card):
    card({"posts": [], "level": [], "holdout": None, "summary": ""})
    got = page.evaluate("""() => ({
        decades: LikelyChart.logTicks(1, 100000, 6),
        short: LikelyChart.logTicks(20, 300, 6),
        narrow: LikelyChart.logTicks(31, 44, 6),
        long: LikelyChart.logTicks(1, 1e7, 4),
        months: LikelyChart.timeTicks(Date.UTC(2025, 0, 3), Date.UTC(2025, 6, 20), 4)
            .map((t) => new Date(t.t).toISOString().slice(0, 10)),
        years: LikelyChart.timeTicks(Date.UTC(2016, 4, 3), Date.UTC(2025, 6, 20), 4).map((t) => t.label),
        days: LikelyChart.timeTicks(Date.UTC(2025, 0, 3, 12), Date.UTC(2025, 0, 20), 5).length,
    })""")
    assert got["decades"] == [1, 10, 100, 1000, 10000, 100000]
    assert got["short"] == [20, 50, 100, 200]
    assert got["narrow"] == [31, 44]  # no round value inside: the two ends
    assert len(got["long"]) <= 4 and got["long"][0] == 1 and got["long"] == sorted(got["long"])
    assert got["months"] == ["2025-03-01", "2025-05-01", "2025-07-01"]  # every 2nd month fits in 4
    assert got["years"] == ["2019", "2022", "2025"]
    assert 2 <= got["days"] <= 5


def test_the_card_draws_a_trained_model_and_asks_an_older_one_to_retrain(page, stack, mongo_db, browser_accounts):
    client, email, run = trained_by_api(stack.gateway_url, "lena")
    chart = client.model()["chart"]
    assert chart["holdout"]["test_posts"] == 12 - int(0.8 * 12)

    log_in(page, stack.gateway_url, email)
    section = page.locator("#model-chart")
    section.locator("svg.chart-main").wait_for()
    assert page.get_by_role("img", name="Chart of the likes of your 12 posts").is_visible()
    got = drawn(section)
    assert (got["posts"], got["held"], got["level"]) == (12 - 3, 3, 12) and got["bad"] == []
    assert drawn(section, "chart-held")["held"] == 3
    assert section.locator("#chart-summary").inner_text() == chart["summary"]
    kind = page.locator("#model-facts dd[title]").inner_text()
    assert kind and kind != client.model()["kind"], kind  # the kind served, in words (home.js KIND_NAMES)
    shoot(page, "15-model-card-small-account", page.locator("#model-card"))

    # a model document written before the chart existed: the API says null, the card says retrain
    user_id = mongo_db.posts.find_one({"run_id": run["run_id"]})["user_id"]
    mongo_db.models.update_many({"user_id": user_id}, {"$unset": {"chart": ""}})
    assert client.model()["chart"] is None
    page.reload()
    page.locator("#model-posts").filter(has_text="12 posts").wait_for()
    assert page.get_by_text("retrain to see how accurate your model is").is_visible()
    assert page.locator("#model-chart").count() == 0
