"""services.gateway.accounts.mail: the one rule for email addresses, and sending: through a real SMTP server on
loopback (aiosmtpd), or to the mbox outbox when no SMTP host is set."""
from __future__ import annotations

import mailbox

import pytest

from services.gateway.accounts import mail
from shared.settings import Settings
from tests.support.smtp_sink import SmtpSink


@pytest.mark.parametrize(
    "raw,normal", [(" Ann@Example.COM ", "ann@example.com"), ("a.b+c@sub.example.org", "a.b+c@sub.example.org")]
)
def test_addresses_are_trimmed_and_lower_cased(raw, normal):
    assert mail.normal_address(raw) == normal


@pytest.mark.parametrize("raw", ["", "ann", "ann@example", "@example.com", "ann @example.com", "ann@@example.com",
                                 "ann@.example.com", "ann@example.com.", "a" * 250 + "@example.com"])
def test_what_is_not_an_address(raw):
    with pytest.raises(ValueError):
        mail.normal_address(raw)


def test_mail_goes_through_the_smtp_server():
    with SmtpSink() as sink:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=sink.port, mail_from="Likely <no-reply@likely.test>")
        mail.send(settings, "ann@example.com", "Hello", "Line one\nhttps://x.test/verify-email?token=abc\n")
        msg = sink.wait_for("ann@example.com")
    assert msg["From"] == "Likely <no-reply@likely.test>" and msg["Subject"] == "Hello"
    assert "token=abc" in msg.get_content()


def test_without_an_smtp_host_mail_is_appended_to_the_outbox(tmp_path):
    settings = Settings(smtp_host="", mail_outbox=str(tmp_path / "mail" / "outbox.mbox"))
    mail.send(settings, "ann@example.com", "One", "first")
    mail.send(settings, "bob@example.com", "Two", "second")
    box = mailbox.mbox(settings.mail_outbox)
    assert [(m["To"], m["Subject"]) for m in box] == [("ann@example.com", "One"), ("bob@example.com", "Two")]


def test_a_server_that_cannot_be_reached_raises():
    from tests.conftest import free_port

    with pytest.raises(OSError):
        mail.send(Settings(smtp_host="127.0.0.1", smtp_port=free_port()), "ann@example.com", "x", "y")
