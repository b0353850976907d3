"""Email: the one rule for what an address is, and sending mail (the sign-up verification link).

Mail goes out through an SMTP server (LIKELY_SMTP_HOST, smtplib; STARTTLS and log-in when
configured). With no SMTP host, as in development and `make demo`, each message is appended to
a local mbox file instead (LIKELY_MAIL_OUTBOX, `var/mail/outbox.mbox`): open it with any mail
reader, or `less`, to follow the link. Neither path ever logs a message's body (it holds
single-use tokens)."""
from __future__ import annotations

import logging
import mailbox
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from shared.settings import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10.0  # seconds to connect and for each SMTP command
MAX_ADDRESS = 254  # RFC 5321's limit on a forward path


def normal_address(value: str) -> str:
    """`value` as Likely keeps an email address (trimmed, lower case), or ValueError.

    Deliberately loose (something@domain.tld without spaces): whether an address is real is
    proved by the verification link, not by its syntax."""
    address = str(value or "").strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or "@" in domain or any(c.isspace() for c in address) \
            or len(address) > MAX_ADDRESS or domain.startswith(".") or domain.endswith("."):
        raise ValueError("not an email address")
    return address


def message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def send(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message, or append it to the outbox when no SMTP host is set.
    Raises OSError / smtplib.SMTPException when the server cannot take it."""
    msg = message(settings, to, subject, body)
    if not settings.smtp_host:
        _to_outbox(Path(settings.mail_outbox), msg)
        log.info("mail %r for %s written to %s (no LIKELY_SMTP_HOST)", subject, to, settings.mail_outbox)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
    log.info("mail %r sent to %s through %s", subject, to, settings.smtp_host)


def _to_outbox(path: Path, msg: EmailMessage) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(str(path))
    box.lock()  # several gateway workers append to one file
    try:
        box.add(msg)
        box.flush()
    finally:
        box.unlock()
        box.close()
