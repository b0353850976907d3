"""The log-in page's errors and keyboard use, training cancel and reload mid-run, a bad upload,
an expired session, a dead Instagram token."""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timedelta, timezone

from sandbox.instagram.testing import trainable_posts
from services.cli.client import LikelyClient
from tests.conftest import new_email
from tests.e2e.browser.conftest import connect_instagram, log_in, shoot, sign_up, token_of, trained_by_api
from tests.e2e.conftest import PASSWORD


def image_ids(sandbox, account: str) -> list[str]:
    return [p["id"] for p in trainable_posts(sandbox.accounts_dir, account)]


def test_log_in_page_errors_next_to_the_fields_and_keyboard_use(page, stack):
    base = stack.gateway_url
    taken = new_email()
    LikelyClient(base).sign_up(taken, PASSWORD)
    page.goto(f"{base}/login")
    email, password = page.get_by_label("Email"), page.get_by_label("Password")

    email.fill(new_email())
    password.fill("short")
    page.get_by_role("button", name="Sign up").click()
    err = page.locator("#password-error")
    err.filter(has_text="too short").wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    assert "password-error" in password.get_attribute("aria-describedby")
    shoot(page, "08-login-error")

    email.fill(taken)
    password.fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.locator("#email-error").filter(has_text="already exists").wait_for()
    assert email.get_attribute("aria-invalid") == "true"

    password.fill("not the password")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.locator("#password-error").filter(has_text="Wrong email or password").wait_for()
    assert page.locator("#email-error").inner_text() == ""  # the old error went away

    # keyboard only: Tab into the fields, Enter submits (the first button: Log in)
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(taken)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.get_by_role("button", name="Log out").wait_for()


def wait_running(page, timeout: float = 30.0) -> tuple[int, int]:
    button = page.locator("#train")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total = int(button.get_attribute("data-total") or 0)
        if "running" in (button.get_attribute("class") or "") and total > 0:
            return int(button.get_attribute("data-done")), total
        page.wait_for_timeout(100)
    raise AssertionError("the run never showed its total")


def test_cancel_mid_run(page, stack, sandbox, browser_accounts):
    sandbox.fault("hana", image_ids(sandbox, "hana"), mode="slow", seconds=1.0)
    try:
        sign_up(page, stack.gateway_url)
        connect_instagram(page, "hana")
        page.get_by_role("button", name="Train model").click()
        cancel = page.get_by_role("button", name="Cancel training")
        cancel.wait_for()
        done, total = wait_running(page)
        assert total == len(image_ids(sandbox, "hana")) and done < total
        assert re.search(rf"\d+ / {total}", page.locator("#train-count").inner_text())
        cancel.focus()
        page.keyboard.press("Enter")  # keyboard works on the bar-button too
        page.get_by_role("button", name="Train model").wait_for()
        status = page.locator("#train-status").inner_text()
        assert status.startswith("Training cancelled after"), status
        client = LikelyClient(stack.gateway_url, token=token_of(page))
        assert client.run("current")["state"] == "cancelled"
        assert page.locator("#model-none").is_visible()  # no model was built
    finally:
        sandbox.clear_faults("hana")


def test_reload_mid_run_picks_the_run_up_again(page, stack, sandbox, browser_accounts):
    sandbox.fault("ivan", image_ids(sandbox, "ivan"), mode="slow", seconds=0.8)
    try:
        sign_up(page, stack.gateway_url)
        connect_instagram(page, "ivan")
        page.get_by_role("button", name="Train model").click()
        done, total = wait_running(page)
        assert done < total
        page.reload()
        page.get_by_role("button", name="Cancel training").wait_for()  # the bar is back (the seed lost it)
        assert page.locator("#train-status").inner_text() == "Training is in progress."
        again, total2 = wait_running(page)
        assert total2 == total and again >= done
        shoot(page, "10-reload-mid-run")
    finally:
        sandbox.clear_faults("ivan")
    page.get_by_role("button", name="Train model").wait_for(timeout=60_000)
    assert page.locator("#train-status").inner_text().startswith(f"Training finished: {total} of {total}")
    page.locator("#model-posts").filter(has_text=f"{total} posts").wait_for()


def test_a_bad_upload_is_explained_and_nothing_is_kept(page, stack, browser_accounts, tmp_path):
    client, email, _ = trained_by_api(stack.gateway_url, "judy")
    log_in(page, stack.gateway_url, email)

    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10)
    # dropped on the drop zone (a DataTransfer with a file, as a drag from the desktop gives)
    page.locator("#dropzone").dispatch_event("drop", {"dataTransfer": page.evaluate_handle(
        """() => { const dt = new DataTransfer();
                   dt.items.add(new File(["not a photo"], "notes.txt", { type: "text/plain" }));
                   return dt; }""")})
    page.get_by_role("alert").filter(has_text="notes.txt is not an image").wait_for()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files(str(text))
    page.get_by_role("alert").filter(has_text="notes.txt is not an image").wait_for()

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Analyze image").click()
    chooser.value.set_files(str(broken))
    page.get_by_role("img", name=re.compile(r"(Preview|No preview) of broken\.jpg")).wait_for()
    alert = page.locator(".result").get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert re.search(r"broken\.jpg: .*image", alert.inner_text(), re.I), alert.inner_text()
    assert alert.inner_text().count("broken.jpg") == 1
    assert page.get_by_test_id("likes").count() == 0
    shoot(page, "11-bad-upload")
    assert client.request("GET", "/api/v1/predictions")["total"] == 0
    assert page.locator("#history-empty").is_visible()


def test_an_expired_session_lands_on_the_log_in_page_with_a_message(page, stack, mongo_db, redis_client):
    from services.gateway.accounts.sessions import cache_key

    sign_up(page, stack.gateway_url)
    token_hash = hashlib.sha256(token_of(page).encode()).hexdigest()
    mongo_db.sessions.update_one({"token_hash": token_hash},
                                 {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(minutes=1)}})
    redis_client.delete(cache_key(token_hash))  # time passed: the gateway's cached copy has expired too
    page.get_by_role("button", name="Connect Instagram").click()  # any call now gets a 401
    page.wait_for_url(re.compile(r".*/login\?expired"))
    assert page.get_by_text("Your session has expired. Please log in again.").is_visible()
    assert page.evaluate("sessionStorage.getItem('likely.session')") is None
    shoot(page, "12-session-expired")


def test_a_dead_instagram_token_is_shown_with_a_reconnect_button(page, stack, sandbox, browser_accounts):
    sign_up(page, stack.gateway_url)
    connect_instagram(page, "kate")
    sandbox.reject("kate", before_now=True)  # tokens issued until now are revoked; a reconnect works
    time.sleep(1.1)  # token times are whole seconds: the reconnect's token must be issued after
    try:
        page.reload()
        page.get_by_text("Your Instagram connection has expired or was revoked").wait_for()
        assert not page.get_by_role("button", name="Train model").is_visible()
        shoot(page, "13-instagram-token-dead")
        connect_instagram(page, "kate", button="Reconnect Instagram")
        assert page.get_by_role("button", name="Train model").is_visible()
    finally:
        sandbox.unreject("kate")
    page.locator('#app[aria-busy="false"]').wait_for()
    page.get_by_role("button", name="Disconnect Instagram").click()
    page.get_by_role("status").filter(has_text="Instagram disconnected").wait_for()
    page.get_by_role("button", name="Connect Instagram", exact=True).wait_for()
    assert page.get_by_text("Not connected.").is_visible()


def test_the_callback_page_explains_a_refusal(page, stack):
    sign_up(page, stack.gateway_url)
    page.get_by_role("button", name="Connect Instagram").click()
    page.wait_for_url(re.compile(r".*/oauth/authorize\?.*"))
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("heading", name="Instagram was not connected").wait_for()
    assert "cancelled" in page.get_by_role("alert").inner_text()
    page.get_by_role("link", name="Back to Likely").click()
    page.get_by_role("button", name="Connect Instagram").wait_for()


def test_delete_account_from_the_home_page(page, stack, mongo_db):
    email = sign_up(page, stack.gateway_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete account").click()
    page.wait_for_url(re.compile(r".*/login\?deleted"))
    page.get_by_text("have been deleted").wait_for()
    assert mongo_db.users.count_documents({"email": email}) == 0
