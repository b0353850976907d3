"""Predictions end to end: upload → gateway → inferer (RPC over RabbitMQ) → answer, on a model
trained on the sandbox's demo account."""
from __future__ import annotations

import signal
import time

import pytest
import requests

from sandbox.photos import jpeg as photo
from services.cli.client import ApiError


@pytest.fixture(scope="module")
def trained(stack, sandbox):
    """A user whose model was trained on the demo account (module-wide: training takes ~20 s)."""
    from services.cli.client import LikelyClient
    from tests.conftest import new_email
    from tests.e2e.conftest import PASSWORD

    client = LikelyClient(stack.gateway_url)
    email = new_email()
    client.sign_up(email, PASSWORD)
    client.log_in(email, PASSWORD)
    client.connect_instagram("demo")
    status = client.wait_for_run(client.train()["run_id"], timeout=240)
    assert status["state"] == "done"
    return client


def uploads_of(client) -> list:
    """The user's files in the image store's uploads folder."""
    from pathlib import Path

    from shared.settings import load

    folder = Path(load().image_dir) / "users" / client.request("GET", "/api/v1/me")["user_id"] / "uploads"
    return sorted(folder.glob("*")) if folder.exists() else []


def predict(client, *images, model=None):
    files = [("image", (name, data, "image/jpeg")) for name, data in images]
    path = "/api/v1/predictions" + (f"?model={model}" if model else "")
    return client.request("POST", path, files=files)


def test_the_cat_gets_the_label_mean_formula(trained):
    coef = trained.model(coefficients=True)["coefficients"]
    out = predict(trained, ("cat.jpg", photo("cat")), model="label_mean")
    names = {lab["name"]: lab for lab in out["labels"]}
    assert names["Cat"]["matched"] and "Animal" in names
    matched = [lab for lab in out["labels"] if lab["matched"]]
    assert matched and all(lab["name"] in coef for lab in matched)
    # the report's formula: the plain mean of the matched labels' coefficients
    expected = sum(coef[lab["name"]]["likes"] for lab in matched) / len(matched)
    assert out["likes"] == pytest.approx(expected)
    for lab in matched:
        assert lab["likes"] == pytest.approx(coef[lab["name"]]["likes"])
    assert out["model_version"] == 1 and out["model_kind"] == "label_mean"


def test_the_default_model_answers_with_a_range(trained):
    out = predict(trained, ("cat.jpg", photo("cat")))
    assert out["model_kind"] == trained.model()["kind"]
    lo, hi = out["likes_range"]
    assert lo <= out["likes"] <= hi and out["comments"] is not None


def test_several_images_are_ranked_best_first_and_kept_in_history(trained, stack):
    before = trained.request("GET", "/api/v1/predictions")["total"]
    out = predict(trained, ("cat.jpg", photo("cat")), ("rocket.jpg", photo("rocket")), ("coffee.jpg", photo("coffee")))
    ranked = out["predictions"]
    assert [p["rank"] for p in ranked] == [1, 2, 3]
    assert [p["likes"] for p in ranked] == sorted((p["likes"] for p in ranked), reverse=True)
    history = trained.request("GET", "/api/v1/predictions?per_page=2")
    assert history["total"] == before + 3 and len(history["predictions"]) == 2
    page2 = trained.request("GET", "/api/v1/predictions?per_page=2&page=2")["predictions"]
    times = [p["created_at"] for p in history["predictions"] + page2]
    assert times == sorted(times, reverse=True)
    img = requests.get(stack.gateway_url + history["predictions"][0]["image_url"], timeout=10)
    assert img.status_code == 200 and img.headers["Content-Type"] == "image/jpeg"


def test_no_label_matched_falls_back_to_the_mean_and_says_so(trained):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (128, 128, 128)).save(buf, "JPEG")
    out = predict(trained, ("grey.jpg", buf.getvalue()), model="label_mean")
    assert out["fallback"] is True and all(not lab["matched"] for lab in out["labels"])
    assert out["likes"] == pytest.approx(trained.model()["mean_likes"])


def test_another_user_never_reaches_my_uploads_or_predictions(trained, make_client, stack):
    mine = predict(trained, ("cat.jpg", photo("cat")))
    other = make_client()
    assert other.request("GET", "/api/v1/predictions")["total"] == 0
    with pytest.raises(ApiError) as err:
        other.request("GET", f"/api/v1/predictions/{mine['id']}/image")
    assert err.value.status == 404
    tampered = mine["image_url"].replace("sig=", "sig=0")
    assert requests.get(stack.gateway_url + tampered, timeout=10).status_code == 404
    own = requests.get(f"{stack.gateway_url}/api/v1/predictions/{mine['id']}/image",
                       headers={"Authorization": f"Bearer {trained.token}"}, timeout=10)
    assert own.status_code == 200 and own.content == photo("cat")


@pytest.mark.parametrize("data,code,status", [
    (b"hello, this is text", "not_an_image", 400),  # refused by the gateway from the header
    (photo("cat")[:2000], "truncated_image", 400),  # a good header: refused by the inferer, which decodes it
])
def test_bad_uploads_are_refused_and_nothing_is_kept(trained, data, code, status):
    before = trained.request("GET", "/api/v1/predictions")["total"], uploads_of(trained)
    with pytest.raises(ApiError) as err:
        predict(trained, ("good.jpg", photo("cat")), ("bad.jpg", data))
    assert (err.value.status, err.value.code) == (status, code)
    assert (trained.request("GET", "/api/v1/predictions")["total"], uploads_of(trained)) == before


def test_upload_errors(trained, client):
    with pytest.raises(ApiError) as missing:
        trained.request("POST", "/api/v1/predictions", data={"x": "y"})
    assert missing.value.code == "missing_image"
    with pytest.raises(ApiError) as kind:
        predict(trained, ("cat.jpg", photo("cat")), model="nonsense")
    assert kind.value.code == "unknown_model_kind"
    with pytest.raises(ApiError) as big:
        predict(trained, ("big.jpg", b"\xff\xd8" + b"0" * (21 * 1024 * 1024)))
    assert big.value.status == 413
    with pytest.raises(ApiError) as untrained:
        predict(client, ("cat.jpg", photo("cat")))
    assert (untrained.value.status, untrained.value.code) == (409, "model_not_trained")


def test_an_unresponsive_inferer_gives_503_within_the_timeout(trained, stack):
    inferer = stack.procs["inferer-1"]
    before = uploads_of(trained)
    inferer.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(ApiError) as err:
            predict(trained, ("cat.jpg", photo("cat")))
        assert err.value.status == 503 and err.value.code == "inferer_unavailable"
        assert time.monotonic() - started < 8
        assert uploads_of(trained) == before  # a failed prediction leaves no upload behind
    finally:
        inferer.send_signal(signal.SIGCONT)
    # the stale request is dropped by the inferer; the next one gets its own answer
    out = predict(trained, ("coffee.jpg", photo("coffee")), model="label_mean")
    assert any(lab["name"] in ("Coffee", "Espresso", "Cup") for lab in out["labels"])


def test_a_new_model_version_is_used_without_a_restart(trained, sandbox):
    first = predict(trained, ("cat.jpg", photo("cat")))["model_version"]
    trained.request("POST", "/api/v1/model/rebuild")
    deadline = time.monotonic() + 30
    while trained.model()["version"] == first and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.2)  # the inferer checks for a newer version at most once a second
    assert predict(trained, ("cat.jpg", photo("cat")))["model_version"] == first + 1
