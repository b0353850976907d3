"""The `likely` command, installed by the project, against the running stack."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import new_email
from sandbox.photos import jpeg as photo


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
    assert '"version": 1' in run("model")
    run("logout")
    failed = subprocess.run([str(likely), "--url", stack.gateway_url, "model"], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "Log in" in failed.stderr
