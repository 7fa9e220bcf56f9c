"""Fixtures for watching and being told (#19): a small chain of assets three hops
above a report, people with accounts, a real SMTP server (aiosmtpd) and a real
HTTP receiver, both on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from catalogue.services import accounts, assets, edges
from catalogue.services.access import operator
from catalogue.services.notify_settings import NotifySettings
from catalogue.store import Catalogue
from tests.serving import free_port

ADMIN = operator("admin@thamesbury.gov.uk")
OWNER = "joanne.whitaker@thamesbury.gov.uk"
ANALYST = "priya.shah@thamesbury.gov.uk"
HOUSING_VIEWER = "ahmed.khan@thamesbury.gov.uk"
#: sys-revenues → council-tax-accounts → arrears-cases (restricted, Housing) →
#: arrears-by-ward → rpt-arrears: the system is four hops above the report.
CHAIN = ["sys-revenues", "council-tax-accounts", "arrears-cases", "arrears-by-ward", "rpt-arrears"]
ASSETS: list[dict[str, Any]] = [
    {"key": "sys-revenues", "kind": "source_system", "title": "Revenues system",
     "department": "Finance"},
    {"key": "council-tax-accounts", "kind": "dataset", "title": "Council tax accounts",
     "department": "Finance", "owner": "Joanne Whitaker", "owner_email": OWNER},
    {"key": "arrears-cases", "kind": "dataset", "title": "Arrears casework",
     "department": "Housing", "access": "restricted", "classification": "OFFICIAL-SENSITIVE"},
    {"key": "arrears-by-ward", "kind": "dataset", "title": "Arrears by ward",
     "department": "Finance"},
    {"key": "rpt-arrears", "kind": "report", "title": "Arrears committee report",
     "department": "Finance"},
    {"key": "bin-rounds", "kind": "dataset", "title": "Bin rounds", "department": "Waste"},
]  # fmt: skip
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def chain(catalogue: Catalogue) -> Catalogue:
    """The chain registered and linked, and three people with accounts."""
    with catalogue.write(ADMIN) as writer:
        for record in ASSETS:
            assets.register(writer, record)
        for up, down in zip(CHAIN, CHAIN[1:], strict=False):
            edges.add_edge(writer, up, down)
    with catalogue.sessions() as session, session.begin():
        for username, email, role, dept in (
            ("joanne.whitaker", OWNER, "steward", "Finance"),
            ("priya.shah", ANALYST, "viewer", "Finance"),
            ("ahmed.khan", HOUSING_VIEWER, "viewer", "Housing"),
        ):
            accounts.add_user(
                session, ADMIN, username, name=username.replace(".", " ").title(),
                role=role, email=email, department=dept,
            )  # fmt: skip
    return catalogue


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@contextmanager
def smtp_server(box: Mailbox, port: int, **options: Any) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:``port`` delivering into ``box``;
    ``options`` go to aiosmtpd (TLS, authentication)."""
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    with smtp_server(Mailbox(), smtp_port) as box:
        yield box


@pytest.fixture
def notify_settings(smtp_port: int) -> NotifySettings:
    return NotifySettings(
        base_url="https://catalogue.thamesbury.gov.uk",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        smtp_timeout=5,
        mail_from="catalogue@thamesbury.gov.uk",
        webhook_allowed_hosts=("127.0.0.1",),
        webhook_timeout=2,
        retry_seconds=60,
    )


@dataclass
class Receiver:
    """A real HTTP server that records each POST and answers with the next
    status of ``statuses`` (then 200)."""

    port: int
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with box.lock:
                box.received.append(({k: v for k, v in self.headers.items()}, body))
                status = box.statuses.pop(0) if box.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", box.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
