"""The SMTP relay over TLS, as councils run them: STARTTLS with a login, and
implicit TLS, each a real aiosmtpd server on loopback with a certificate from
a test CA (trustme) that the catalogue is told to trust."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from catalogue.services import notify
from catalogue.services.notify_settings import NotifySettings
from catalogue.store import Catalogue
from tests.notify.conftest import ANALYST, T0, Mailbox, smtp_server
from tests.notify.test_mail import change, tell, watch


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "council-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca: trustme.CA) -> Any:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def only_relay_user(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"relay", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def starttls_box(ca: trustme.CA, smtp_port: int) -> Iterator[Mailbox]:
    with smtp_server(Mailbox(), smtp_port, tls_context=server_context(ca),
                     require_starttls=True, authenticator=only_relay_user,
                     auth_required=True) as box:  # fmt: skip
        yield box


def test_starttls_with_a_login(
    chain: Catalogue, starttls_box: Mailbox, notify_settings: NotifySettings, ca_file: str
) -> None:
    settings = replace(notify_settings, smtp_security="starttls", smtp_ca_file=ca_file,
                       smtp_username="relay", smtp_password="s3cret")  # fmt: skip
    watch(chain, ANALYST, "arrears-by-ward")
    change(chain, "arrears-by-ward", access="open")
    assert tell(chain, settings).sent == 1
    assert len(starttls_box.to(ANALYST)) == 1


def test_a_wrong_password_or_an_untrusted_certificate_is_retried_not_lost(
    chain: Catalogue, starttls_box: Mailbox, notify_settings: NotifySettings, ca_file: str
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    change(chain, "arrears-by-ward", access="open")
    wrong = replace(notify_settings, smtp_security="starttls", smtp_ca_file=ca_file,
                    smtp_username="relay", smtp_password="guess")  # fmt: skip
    assert tell(chain, wrong).retrying == 1
    untrusted = replace(wrong, smtp_password="s3cret", smtp_ca_file="")
    assert tell(chain, untrusted, T0 + timedelta(minutes=2)).retrying == 1
    assert starttls_box.messages == []
    with chain.reading(notify.webhooks.Principal("a", "admin")) as reader:
        [row] = notify.webhooks.delivery_log(reader)
    assert "certificate verify failed" in row["last_error"]


def test_implicit_tls(
    chain: Catalogue, ca: trustme.CA, smtp_port: int, notify_settings: NotifySettings, ca_file: str
) -> None:
    with smtp_server(Mailbox(), smtp_port, ssl_context=server_context(ca)) as box:
        settings = replace(notify_settings, smtp_security="tls", smtp_ca_file=ca_file)
        watch(chain, ANALYST, "arrears-by-ward")
        change(chain, "arrears-by-ward", access="open")
        assert tell(chain, settings).sent == 1
    assert len(box.to(ANALYST)) == 1
