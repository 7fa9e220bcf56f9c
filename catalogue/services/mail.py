"""E-mail through the council's SMTP relay (#19): one message a change, or one
digest a day, each in plain text and HTML.

The Message-ID is made from the outbox row's idempotency key, so a message the
worker had to send again (it was killed between sending and recording) is
recognisably the same message.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment

from catalogue.services.notify_settings import NotifySettings

_html = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
HTML = _html.from_string(
    """<!doctype html>
<html lang="en"><body style="font-family: Arial, sans-serif">
<h1 style="font-size: 20px">{{ heading }}</h1>
{% for item in items %}
<div style="margin-bottom: 16px">
<p>{% if item.link %}<a href="{{ item.link }}">{{ item.text }}</a>
{% else %}{{ item.text }}{% endif %}</p>
{% if item.reasons %}<p>Why you are told: {{ item.reasons | join('; ') }}.</p>{% endif %}
{% for report in item.reports %}
<p>It reaches your report <a href="{{ report.link }}">{{ report.title }}</a>
by {{ report.path | join(' → ') }}.</p>
{% endfor %}
<p style="color: #505a5f">{{ item.time }} by {{ item.actor }}</p>
</div>
{% endfor %}
<p>{{ footer }}</p>
</body></html>
"""
)
FOOTER = "You are told because you watch these in the data catalogue; change what you watch there."


def text_of(item: dict[str, Any]) -> str:
    """One change in plain text: the sentence, the link, why, and which reports it reaches."""
    lines = [item["text"] + "."]
    if item.get("link"):
        lines.append(item["link"])
    if item.get("reasons"):
        lines.append("Why you are told: " + "; ".join(item["reasons"]) + ".")
    for report in item.get("reports", []):
        lines.append(
            f"It reaches your report {report['title']} by {' → '.join(report['path'])}."
            f" {report['link']}"
        )
    lines.append(f"{item['time']} by {item['actor']}")
    return "\n".join(lines)


def message_id(key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "catalogue"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def compose(
    settings: NotifySettings,
    to: str,
    subject: str,
    items: Sequence[dict[str, Any]],
    key: str,
    now: datetime,
) -> EmailMessage:
    heading = subject
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(key, settings.mail_from)
    message["Auto-Submitted"] = "auto-generated"
    text = "\n\n".join(text_of(i) for i in items) + f"\n\n--\n{FOOTER}\n"
    message.set_content(text)
    message.add_alternative(
        HTML.render(heading=heading, items=items, footer=FOOTER), subtype="html"
    )
    return message


def immediate(
    settings: NotifySettings, to: str, item: dict[str, Any], key: str, now: datetime
) -> EmailMessage:
    subject = "Data catalogue: " + item["text"]
    subject = subject if len(subject) <= 150 else subject[:149] + "…"
    return compose(settings, to, subject, [item], key, now)


def digest(
    settings: NotifySettings, to: str, items: Sequence[dict[str, Any]], key: str, now: datetime
) -> EmailMessage:
    count = len(items)
    subject = f"Data catalogue: {count} change{'s' if count != 1 else ''} you watch"
    return compose(settings, to, subject, items, key, now)


class Relay:
    """One connection to the SMTP relay, opened on first use, closed by ``close``.
    Raises OSError or smtplib.SMTPException as smtplib does."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if not s.smtp_host:
            raise smtplib.SMTPException("no SMTP relay is set (CATALOGUE_SMTP_HOST)")
        context = ssl.create_default_context(cafile=s.smtp_ca_file or None)
        if s.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password)
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None
