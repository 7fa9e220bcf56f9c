"""Settings of the notification worker (#19), from CATALOGUE_* variables.

The SMTP relay's credentials come from the environment only; nothing about them
is stored in the database or printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from urllib.parse import urlsplit

from catalogue.config import SettingError
from catalogue.errors import Invalid, Problem

SMTP_SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class NotifySettings:
    base_url: str = "http://127.0.0.1:5000"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: int = 10
    smtp_ca_file: str = ""  # the council's own CA, if its relay's certificate is signed by it
    mail_from: str = "catalogue@localhost"
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_timeout: int = 10
    digest_hour: int = 7
    retry_seconds: int = 60
    give_up_hours: int = 24
    poll_seconds: int = 30
    keep_sent_days: int = 90  # sent deliveries older than this leave the outbox

    def webhook_allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return bool(host) and any(fnmatch(host, p) for p in self.webhook_allowed_hosts)

    def check_webhook_url(self, url: str) -> None:
        """Invalid naming the URL field and the rule when a webhook may not point there."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(
                f"{url[:200]!r} is not a web address",
                [Problem("must be an http:// or https:// URL with a host name", "url")],
            )
        if not self.webhook_allowed(url):
            allowed = ", ".join(self.webhook_allowed_hosts) or "none"
            raise Invalid(
                f"webhooks may not point at {parts.hostname!r}",
                [
                    Problem(
                        f"the host must match CATALOGUE_WEBHOOK_ALLOWED_HOSTS (now: {allowed})",
                        "url",
                    )
                ],
            )


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingError(f"{name} must be a whole number from {low} to {high} (got {value!r})")
    return int(value)


def load_notify_settings(env: Mapping[str, str] | None = None) -> NotifySettings:
    """Settings from the environment; SettingError naming the variable when one is wrong."""
    env = os.environ if env is None else env
    security = env.get("CATALOGUE_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise SettingError(
            f"CATALOGUE_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)} (got {security!r})"
        )
    hosts = tuple(
        h.strip().lower() for h in env.get("CATALOGUE_WEBHOOK_ALLOWED_HOSTS", "").split(",")
    )
    return NotifySettings(
        base_url=(env.get("CATALOGUE_BASE_URL") or NotifySettings.base_url).rstrip("/"),
        smtp_host=env.get("CATALOGUE_SMTP_HOST", "").strip(),
        smtp_port=_number(env, "CATALOGUE_SMTP_PORT", DEFAULT_PORTS[security], 1, 65535),
        smtp_security=security,
        smtp_username=env.get("CATALOGUE_SMTP_USERNAME", ""),
        smtp_password=env.get("CATALOGUE_SMTP_PASSWORD", ""),
        smtp_timeout=_number(env, "CATALOGUE_SMTP_TIMEOUT", 10, 1, 600),
        smtp_ca_file=env.get("CATALOGUE_SMTP_CA_FILE", "").strip(),
        mail_from=env.get("CATALOGUE_MAIL_FROM", "").strip() or NotifySettings.mail_from,
        webhook_allowed_hosts=tuple(h for h in hosts if h),
        webhook_timeout=_number(env, "CATALOGUE_WEBHOOK_TIMEOUT", 10, 1, 600),
        digest_hour=_number(env, "CATALOGUE_NOTIFY_DIGEST_HOUR", 7, 0, 23),
        retry_seconds=_number(env, "CATALOGUE_NOTIFY_RETRY_SECONDS", 60, 1, 86400),
        give_up_hours=_number(env, "CATALOGUE_NOTIFY_GIVE_UP_HOURS", 24, 1, 24 * 14),
        poll_seconds=_number(env, "CATALOGUE_NOTIFY_POLL_SECONDS", 30, 1, 86400),
        keep_sent_days=_number(env, "CATALOGUE_NOTIFY_KEEP_SENT_DAYS", 90, 1, 3650),
    )
