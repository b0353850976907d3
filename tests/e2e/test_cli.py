"""The `likely` command, installed by the project, against the running stack."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sandbox.photos import jpeg as photo
from tests.conftest import new_email


def test_the_cli_journey(stack, tmp_path):
    likely = Path(sys.executable).parent / "likely"
    env = {**os.environ, "LIKELY_CLI_SESSION": str(tmp_path / "session.json"), "LIKELY_PASSWORD": "cli password 123"}

    def run(*args: str) -> str:
        out = subprocess.run([str(likely), "--url", stack.gateway_url, *args], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout

    email = new_email()
    run("signup", email)
    assert "logged in" in run("login", email)
    assert "connected @" in run("connect", "--account", "erin")
    assert "run done" in run("train")
    (tmp_path / "cat.jpg").write_bytes(photo("cat"))
    (tmp_path / "coffee.jpg").write_bytes(photo("coffee"))
    table = run("predict", str(tmp_path / "cat.jpg"), str(tmp_path / "coffee.jpg")).splitlines()
    assert table[0].split()[:4] == ["#", "image", "likes", "comments"]
    assert {row.split()[1] for row in table[1:3]} == {"cat.jpg", "coffee.jpg"}
    assert "no caption given: the prediction is the image's alone" in [line.strip() for line in table]
    # the format intended and a caption: each format's figures, each hashtag's effect
    caption = "Sunday #erin #nosuchtag @ana"
    out = run("predict", str(tmp_path / "cat.jpg"), "--as", "reel", "--caption", caption)
    lines = [line.strip() for line in out.splitlines()]
    assert lines[2] == "#1 cat.jpg" and re.fullmatch(r"as a reel: x[\d.]+ likes against a photo", lines[3]), lines
    assert lines[4].split() == ["format", "likes", "80%", "range", "comments", "your", "posts"]
    rows = {line.split()[0]: line for line in lines[5:8]}
    assert set(rows) == {"photo", "carousel", "reel"} and "<- asked" in rows["reel"], rows
    assert sum("(most likes)" in row for row in rows.values()) <= 1  # none when the best is tied
    assert f"caption: {len(caption)} characters, 1 mention, 2 hashtags" in lines
    assert any(re.fullmatch(r"#nosuchtag +not in your past captions: no effect", line) for line in lines), lines
    bad = subprocess.run([str(likely), "--url", stack.gateway_url, "predict", str(tmp_path / "cat.jpg"), "--caption",
                          "x" * 2201], env=env, capture_output=True, text=True, timeout=60)
    assert (
        bad.returncode == 1
        and "caption: 2,201 characters; Instagram allows at most 2,200. (caption_too_long)" in bad.stderr
    )
    wrong = subprocess.run([str(likely), "--url", stack.gateway_url, "predict", str(tmp_path / "cat.jpg"), "--as",
                            "story"], env=env, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "invalid choice: 'story'" in wrong.stderr
    assert '"version": 1' in run("model")
    run("logout")
    failed = subprocess.run([str(likely), "--url", stack.gateway_url, "model"], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "Log in" in failed.stderr


from tests.e2e.admin_fixtures import admin, admin_gateway, dead_letter, eventually, sink  # noqa: E402,F401


def test_the_operators_commands(admin, admin_gateway, stack, client, tmp_path):  # noqa: F811
    """`likely top --once` and `likely dead-letters` (list, --replay) as an admin; refused to others."""
    from services.cli.client import LikelyClient
    from shared.broker import topology
    from shared.contracts import BuildRequested
    from tests.e2e.conftest import PASSWORD

    likely = Path(sys.executable).parent / "likely"
    env = {
        **os.environ,
        "LIKELY_CLI_SESSION": str(tmp_path / "admin.json"),
        "LIKELY_PASSWORD": PASSWORD,
        "COLUMNS": "200",
    }

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(likely), "--url", admin_gateway.gateway_url, *args], env=env, capture_output=True,
                             text=True, timeout=120)
        assert (out.returncode == 0) == ok, out.stderr
        return out

    run("login", admin.email)
    screen = run("top", "--once").stdout
    assert "likely top" in screen and "labelers: 2" in screen
    assert "Runs in progress" in screen and "Queues" in screen
    for queue in topology.WORK_QUEUES:
        assert queue.name in screen

    user = LikelyClient(admin_gateway.gateway_url, client.token)  # an ordinary account
    user_id = user.request("GET", "/api/v1/me")["user_id"]
    msg = BuildRequested(user_id=user_id, reason="rebuild")  # no posts: the builder has nothing to build
    dl_id = dead_letter(stack, msg, topology.BUILDER_BUILD, "dead-lettered by the CLI test")
    listed = eventually(lambda: dl_id in run("dead-letters", "--limit", "500").stdout, what="the dead letter listed")
    assert listed
    assert run("dead-letters", "--replay", dl_id).stdout.strip() == f"replayed {dl_id}"
    again = run("dead-letters", "--replay", dl_id, ok=False)
    assert "replayed already" in again.stderr and "already_replayed" in again.stderr

    other = {**env, "LIKELY_CLI_SESSION": str(tmp_path / "user.json")}
    (tmp_path / "user.json").write_text(f'{{"url": "{admin_gateway.gateway_url}", "token": "{client.token}"}}')
    refused = subprocess.run([str(likely), "--url", admin_gateway.gateway_url, "top", "--once"], env=other,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "operators" in refused.stderr and "(forbidden)" in refused.stderr
