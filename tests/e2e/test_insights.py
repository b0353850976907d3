"""GET /api/v1/insights and `likely insights` against the running stack: an account whose
history holds a real best time and a real hashtag lift (tests/e2e/insights_accounts.py) is told
so, in the time zone asked; an account of 12 posts is told "not enough evidence"; Instagram's
online_followers beside them where granted, a plain word where not; the answers match
/openapi.json."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from services.cli.client import ApiError
from tests.e2e.insights_accounts import write_timely


@pytest.fixture(scope="module")
def timely(sandbox, stack):
    write_timely(sandbox.accounts_dir)
    from sandbox.instagram.testing import sample_account

    sample_account(sandbox.accounts_dir, "brief", n_posts=12, insights={"granted": False})


def trained(make_client, account: str):
    client = make_client(account)
    run = client.wait_for_run(client.train()["run_id"], timeout=180)
    assert run["state"] == "done", run
    return client


def insights(client, tz: str) -> dict:
    return client.request("GET", "/api/v1/insights?tz=" + tz.replace("/", "%2F"))


def by_name(items):
    return {e["name"]: e for e in items}


def likely(stack, client, tmp_path, *args) -> str:
    session = tmp_path / f"session-{id(client)}.json"
    session.write_text(json.dumps({"url": stack.gateway_url, "token": client.token}))
    out = subprocess.run([str(Path(sys.executable).parent / "likely"), "--url", stack.gateway_url, "insights", *args],
                         env={**os.environ, "LIKELY_CLI_SESSION": str(session)}, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_evidence_in_the_zone_asked_and_by_the_cli(timely, stack, make_client, mongo_db, tmp_path):
    client = trained(make_client, "timely")
    tokyo = insights(client, "Asia/Tokyo")
    timing = tokyo["timing"]
    assert timing["verdict"] == "evidence" and tokyo["time_zone"] == "Asia/Tokyo"
    top = timing["best"][0]
    assert (top["weekday"], top["hour"], top["evidence"]) == (1, 18, True), timing["best"]
    assert top["slot"] == "Tuesday 18:00–19:00" and top["posts"] == 20 and top["factor_low"] > 1.0
    assert "Tuesday 18:00–19:00" in timing["message"]
    assert len(timing["cells"]) == 168 and sum(c["posts"] for c in timing["cells"]) == 60
    # the same history in UTC: the slot moves, nothing else does
    utc = insights(client, "UTC")
    assert (utc["timing"]["best"][0]["weekday"], utc["timing"]["best"][0]["hour"]) == (1, 9)
    assert utc["effects"] == tokyo["effects"]
    # what works: the hashtag that lifts, and the one that does not, said as such
    items = by_name(tokyo["effects"]["items"])
    assert items["#golden"]["evidence"] and items["#golden"]["factor"] > 1.3 and items["#golden"]["posts"] == 20
    assert not items["#flat"]["evidence"] and items["#flat"]["factor_low"] < 1 < items["#flat"]["factor_high"]
    assert tokyo["effects"]["verdict"] == "evidence"
    # Instagram's online followers, granted: by Tokyo hour (the sandbox's curve peaks at 18:00 UTC)
    online = tokyo["online_followers"]
    assert online["status"] == "shown" and len(online["hours"]) == 24 and online["peak_hour"] == 3
    # the answers are what /openapi.json says
    schema = client.request("GET", "/openapi.json")["paths"]["/api/v1/insights"]["get"]["responses"]["200"]
    spec = client.request("GET", "/openapi.json")
    validator = Draft202012Validator({**schema["content"]["application/json"]["schema"],
                                      "components": spec["components"]})
    for answer in (tokyo, utc):
        assert not list(validator.iter_errors(answer)), [e.message for e in validator.iter_errors(answer)][:5]

    # the CLI says the same in words, with the heatmap as text
    text = likely(stack, client, tmp_path, "--tz", "Asia/Tokyo")
    assert any(line.strip().startswith("Tuesday 18:00–19:00") and line.rstrip().endswith("yes")
               for line in text.splitlines()), text
    assert "#golden" in text and "not enough evidence" in text  # #flat's line
    assert json.loads(likely(stack, client, tmp_path, "--tz", "UTC", "--json"))["timing"]["best"][0]["hour"] == 9

    # a rebuild recomputes them and stores them with the new model
    version = tokyo["model_version"]
    client.request("POST", "/api/v1/model/rebuild")
    deadline = time.monotonic() + 120
    while insights(client, "Asia/Tokyo")["model_version"] == version and time.monotonic() < deadline:
        time.sleep(0.2)
    again = insights(client, "Asia/Tokyo")
    assert again["model_version"] == version + 1 and again["timing"]["best"][0]["slot"] == top["slot"]

    # a model from before insights: said, not a 500
    user_id = client.request("GET", "/api/v1/me")["user_id"]
    mongo_db.models.update_many({"user_id": user_id}, {"$unset": {"insights": ""}})
    with pytest.raises(ApiError) as exc:
        insights(client, "Asia/Tokyo")
    assert (exc.value.status, exc.value.code) == (409, "insights_not_computed")


def test_not_enough_evidence_and_no_permission(timely, stack, make_client, tmp_path):
    client = trained(make_client, "brief")
    answer = insights(client, "Europe/Athens")
    assert answer["timing"]["verdict"] == "not_enough_evidence"
    assert answer["timing"]["message"].startswith("Not enough evidence: 12 posts are too few")
    assert not any(c["evidence"] for c in answer["timing"]["cells"])
    assert not any(b["evidence"] for b in answer["timing"]["best"])
    assert answer["online_followers"]["status"] == "not_granted" and answer["online_followers"]["hours"] is None
    text = likely(stack, client, tmp_path, "--tz", "Europe/Athens")
    assert "Not enough evidence: 12 posts are too few" in text and "reconnect and allow them" in text


def test_refusals(timely, make_client):
    client = make_client()
    with pytest.raises(ApiError) as exc:
        insights(client, "UTC")
    assert (exc.value.status, exc.value.code) == (404, "model_not_trained")
    client = trained(make_client, "brief")
    for bad in ("Mars/Olympus", "..%2F..%2Fetc%2Fpasswd"):
        with pytest.raises(ApiError) as exc:
            client.request("GET", "/api/v1/insights?tz=" + bad)
        assert (exc.value.status, exc.value.code) == (400, "invalid_time_zone")


def test_the_demo_account(stack, make_client, tmp_path):
    """The demo account (make demo): its insights as the page, the API and the CLI give them,
    whatever its labels turn out: every statement a verdict with its words, every item with an
    interval that holds its point, evidence only where the interval excludes no effect."""
    client = trained(make_client, "demo")
    answer = insights(client, "Europe/Athens")
    timing, works = answer["timing"], answer["effects"]
    for verdict in (timing, works):
        assert verdict["message"].startswith("Not enough evidence") == (verdict["verdict"] == "not_enough_evidence")
    assert works["items"] and any(not e["evidence"] for e in works["items"])  # "not enough evidence" shown
    for e in works["items"] + timing["cells"]:
        assert e["factor_low"] <= e["factor"] <= e["factor_high"]
        judged = e["posts"] >= 3  # a slot tried less often is drawn, not judged
        assert e["evidence"] == ((e["factor_low"] > 1 or e["factor_high"] < 1) and judged)
    text = likely(stack, client, tmp_path, "--tz", "Europe/Athens")
    assert timing["message"] in text and works["message"] in text
