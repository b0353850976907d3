"""Deleting an account removes everything stored for it, and only for it."""
from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.photos import jpeg
from services.cli.client import ApiError
from tests.e2e.conftest import PASSWORD


def test_delete_account_removes_everything_and_nothing_else(make_client, mongo_db, tmp_root):
    keep = make_client("erin")
    gone = make_client("erin")
    for c in (keep, gone):
        assert c.wait_for_run(c.train()["run_id"], timeout=120)["state"] == "done"
        c.request("POST", "/api/v1/predictions", files=[("image", ("cat.jpg", jpeg("cat"), "image/jpeg"))])
    gone_id = gone.request("GET", "/api/v1/me")["user_id"]
    keep_id = keep.request("GET", "/api/v1/me")["user_id"]
    images = Path(tmp_root) / "images" / "users"
    assert (images / gone_id).exists()

    gone.request("DELETE", "/api/v1/users/me")

    for collection in ("posts", "models", "predictions", "runs", "sessions"):
        assert mongo_db[collection].count_documents({"user_id": gone_id}) == 0, collection
        assert mongo_db[collection].count_documents({"user_id": keep_id}) > 0, collection
    assert mongo_db.users.count_documents({"_id": gone_id}) == 0
    assert not (images / gone_id).exists() and (images / keep_id).exists()
    with pytest.raises(ApiError) as err:
        gone.model()
    assert err.value.code == "invalid_token"
    gone.sign_up(gone.email, PASSWORD)  # the email is free again
    assert keep.model()["version"] == 1
