"""The `likely` client's progress bar of a run."""
from services.cli.__main__ import progress_bar


def test_progress_bar():
    assert progress_bar({"state": "running", "total": 4, "done": 1, "failed": 1}, width=8) == \
        "\r[####....] 2/4 running, 1 failed   "
    assert "0/0 listing" in progress_bar({"state": "listing", "total": 0, "done": 0, "failed": 0})
