"""Browser tests: Playwright (sync API) driving Debian's Chromium against the real stack and
the Instagram sandbox. Screenshots of every page at phone and desktop sizes go to
test-artifacts/browser/ (gitignored)."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.conftest import new_email
from tests.e2e.conftest import PASSWORD
from tests.support.stack import ROOT

CHROMIUM = os.environ.get("LIKELY_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

# Fresh sandbox accounts of the browser tests alone (the sandbox reads account folders on demand).
ACCOUNTS = {"hana": 12, "ivan": 12, "judy": 12, "kate": 8, "lena": 12}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-system.sh (Debian `chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def browser_accounts(sandbox):
    from sandbox.instagram.testing import sample_account

    for name, n in ACCOUNTS.items():
        sample_account(sandbox.accounts_dir, name, n_posts=n)
    return sorted(ACCOUNTS)


def shoot(page, name: str, element=None) -> None:
    """Screenshots at phone and desktop sizes, of the full page or of one element (a locator):
    test-artifacts/browser/NAME-{phone,desktop}.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        path = str(ARTIFACTS / f"{name}-{label}.png")
        if element is not None:
            element.screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=True)
    page.set_viewport_size(before or DESKTOP)


@pytest.fixture
def photo(tmp_path):
    """Write one of scikit-image's sample photographs as a JPEG; returns its path."""
    def make(name: str = "chelsea", filename: str | None = None) -> Path:
        from PIL import Image
        from skimage import data

        img = Image.fromarray(getattr(data, name)())
        if img.mode != "RGB":
            img = img.convert("RGB")
        path = tmp_path / (filename or f"{name}.jpg")
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        path.write_bytes(buf.getvalue())
        return path

    return make


def sign_up(page, base_url: str, email: str | None = None) -> str:
    email = email or new_email()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base_url}/")
    page.get_by_role("button", name="Log out").wait_for()
    page.locator('#app[aria-busy="false"]').wait_for()
    return email


def trained_by_api(base_url: str, account: str):
    """A new user made through the API, with this sandbox account connected and trained:
    (client, email, the finished run)."""
    from services.cli.client import LikelyClient

    client = LikelyClient(base_url)
    email = new_email()
    client.sign_up(email, PASSWORD)
    client.log_in(email, PASSWORD)
    client.connect_instagram(account)
    run = client.wait_for_run(client.train()["run_id"], timeout=120)
    assert run["state"] == "done", run
    return client, email, run


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(f"{base_url}/")
    page.get_by_role("button", name="Log out").wait_for()
    page.locator('#app[aria-busy="false"]').wait_for()


def connect_instagram(page, account: str, button: str = "Connect Instagram") -> None:
    """Through the sandbox's account picker, as a person would."""
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/oauth/authorize\?.*"))
    page.get_by_role("link", name=account, exact=True).click()
    page.get_by_text(re.compile(r"Connected as @")).wait_for()


def token_of(page) -> str:
    import json

    return json.loads(page.evaluate("sessionStorage.getItem('likely.session')"))["token"]
