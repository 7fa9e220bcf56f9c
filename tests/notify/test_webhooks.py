"""Webhooks to a real HTTP receiver on loopback: CloudEvents 1.0 in structured
mode, a signature the documented check verifies, retries with backoff that
stop, a delivery log and "send again", and hosts the settings do not allow."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from catalogue.config import SettingError
from catalogue.db import utcnow
from catalogue.errors import Forbidden, Invalid
from catalogue.services import webhooks
from catalogue.services.access import Principal
from catalogue.services.notify_settings import NotifySettings, load_notify_settings
from catalogue.store import Catalogue
from tests.notify.conftest import ADMIN, T0, Receiver
from tests.notify.test_mail import change, tell

SECRET = "a-shared-secret-for-the-test"


def hook(cat: Catalogue, url: str, settings: NotifySettings) -> int:
    with cat.sessions() as session, session.begin():
        return webhooks.add_webhook(session, ADMIN, url, settings, "Teams", SECRET)["id"]


def test_each_change_arrives_as_a_signed_cloudevent(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    hook(chain, receiver.url, notify_settings)
    change(chain, "arrears-by-ward", classification="OFFICIAL-SENSITIVE")
    change(chain, "arrears-cases", access="internal")  # restricted: internal only after
    assert tell(chain, notify_settings).sent == 2
    [(headers, body), _] = receiver.received
    assert headers["Content-Type"] == "application/cloudevents+json; charset=utf-8"
    assert webhooks.verify(SECRET, headers["Catalogue-Signature"], body)
    assert not webhooks.verify("another secret", headers["Catalogue-Signature"], body)
    assert not webhooks.verify(SECRET, headers["Catalogue-Signature"], body + b" ")
    event = json.loads(body)
    assert event["specversion"] == "1.0"
    assert event["type"] == "catalogue.asset.classification_changed"
    assert event["source"] == "https://catalogue.thamesbury.gov.uk/api/v1"
    assert event["subject"] == "arrears-by-ward"
    assert event["id"].endswith(":webhook:webhook:1")
    assert event["data"]["text"].startswith("Arrears by ward (arrears-by-ward) changed")
    assert event["data"]["link"] == "https://catalogue.thamesbury.gov.uk/assets/arrears-by-ward"
    # The signature is over the timestamp too: the documented check, by hand.
    stamp = headers["Catalogue-Signature"].split(",")[0].removeprefix("t=")
    assert abs(int(stamp) - T0.timestamp()) < 5


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    hook(chain, receiver.url, notify_settings)
    receiver.statuses = [500, 503]
    change(chain, "arrears-by-ward", access="open")
    assert tell(chain, notify_settings).retrying == 1
    assert tell(chain, notify_settings, T0 + timedelta(seconds=59)).retrying == 0  # not yet due
    assert tell(chain, notify_settings, T0 + timedelta(seconds=60)).retrying == 1
    assert tell(chain, notify_settings, T0 + timedelta(seconds=179)).sent == 0  # 120 s more
    assert tell(chain, notify_settings, T0 + timedelta(seconds=180)).sent == 1
    assert tell(chain, notify_settings, T0 + timedelta(hours=3)).sent == 0
    ids = {e["id"] for e in receiver.events()}
    assert len(receiver.received) == 3 and len(ids) == 1
    with chain.reading(ADMIN) as reader:
        [row] = webhooks.delivery_log(reader, 1)
    assert (row["state"], row["attempts"], row["last_status"]) == ("sent", 3, 200)


def test_a_refusal_stops_at_once_and_send_again_delivers_the_same_event(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    hook(chain, receiver.url, notify_settings)
    receiver.statuses = [410]
    change(chain, "arrears-by-ward", access="open")
    assert tell(chain, notify_settings).failed == 1
    assert tell(chain, notify_settings, T0 + timedelta(hours=2)).sent == 0
    with chain.reading(ADMIN) as reader:
        [row] = webhooks.delivery_log(reader)
    assert row["last_error"] == "the receiver answered 410 Gone"
    with chain.sessions() as session, session.begin():
        webhooks.send_again(session, ADMIN, row["id"], T0 + timedelta(hours=3))
    assert tell(chain, notify_settings, T0 + timedelta(hours=3)).sent == 1
    first, second = receiver.events()
    assert first["id"] == second["id"]


def test_a_slow_receiver_times_out_and_is_tried_again(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hook(chain, f"http://127.0.0.1:{silent.getsockname()[1]}/hook", notify_settings)
        change(chain, "arrears-by-ward", access="open")
        started = time.monotonic()
        done = tell(chain, replace(notify_settings, webhook_timeout=1))
        assert time.monotonic() - started < 30  # the timeout, not a hang
    assert done.retrying == 1
    with chain.reading(ADMIN) as reader:
        [row] = webhooks.delivery_log(reader)
    assert "could not reach the receiver" in row["last_error"]


def test_webhooks_point_only_where_the_settings_allow(
    chain: Catalogue, notify_settings: NotifySettings
) -> None:
    with chain.sessions() as session, session.begin():
        with pytest.raises(Invalid) as refused:
            webhooks.add_webhook(session, ADMIN, "https://example.org/x", notify_settings)
        assert (
            "CATALOGUE_WEBHOOK_ALLOWED_HOSTS (now: 127.0.0.1)" in refused.value.problems[0].message
        )
        with pytest.raises(Invalid, match="not a web address"):
            webhooks.add_webhook(session, ADMIN, "ftp://127.0.0.1/x", notify_settings)
        with pytest.raises(Forbidden):
            webhooks.add_webhook(
                session, Principal("s", "steward"), "http://127.0.0.1/x", notify_settings
            )
    allowed = load_notify_settings({"CATALOGUE_WEBHOOK_ALLOWED_HOSTS": "*.thamesbury.gov.uk"})
    assert allowed.webhook_allowed("https://teams.thamesbury.gov.uk/hook")
    assert not allowed.webhook_allowed("https://thamesbury.gov.uk.evil.example/hook")
    assert not load_notify_settings({}).webhook_allowed("http://127.0.0.1/hook")


def test_a_webhook_is_not_told_of_a_restricted_asset(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    hook(chain, receiver.url, notify_settings)
    change(chain, "arrears-cases", columns=[{"name": "case_ref", "type": "string"}])
    assert tell(chain, notify_settings).sent == 0
    assert receiver.received == []


def test_the_readmes_signature_check_accepts_a_real_delivery(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    """The check the documentation tells receivers to make, run as printed."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "watching.md").read_text(
        encoding="utf-8"
    )
    section = docs.split("**Checking the signature.**", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation's example
    genuine = namespace["genuine"]
    hook(chain, receiver.url, notify_settings)
    change(chain, "arrears-by-ward", access="open")
    tell(chain, notify_settings, utcnow())  # a fresh timestamp, as a receiver would see
    [(headers, body)] = receiver.received
    assert genuine(SECRET, headers["Catalogue-Signature"], body)
    assert not genuine("wrong", headers["Catalogue-Signature"], body)
    assert not genuine(SECRET, headers["Catalogue-Signature"], body.replace(b"open", b"shut"))
    # A replay later than the tolerance fails the freshness check.
    assert not genuine(SECRET, headers["Catalogue-Signature"], body, tolerance=-1)


def test_sent_deliveries_leave_the_outbox_after_the_days_kept(
    chain: Catalogue, receiver: Receiver, notify_settings: NotifySettings
) -> None:
    """The outbox is pruned: deliveries sent more than CATALOGUE_NOTIFY_KEEP_SENT_DAYS
    ago are deleted on the worker's pass and never sent again; failed ones stay."""
    settings = replace(notify_settings, keep_sent_days=30)
    hook_id = hook(chain, receiver.url, settings)
    change(chain, "arrears-by-ward", access="open")
    assert tell(chain, settings).sent == 1 and len(receiver.received) == 1

    def log() -> list[str]:
        with chain.reading(ADMIN) as reader:
            return [r["state"] for r in webhooks.delivery_log(reader, hook_id)]

    assert log() == ["sent"]
    assert tell(chain, settings, T0 + timedelta(days=29)).pruned == 0 and len(log()) == 1
    receiver.statuses = [410]
    change(chain, "arrears-by-ward", access="internal")
    assert tell(chain, settings, T0 + timedelta(days=31)).pruned >= 1
    assert log() == ["failed"]  # the first one gone, the refused one kept
    assert tell(chain, settings, T0 + timedelta(days=32)).sent == 0  # the pruned one not again
    assert log() == ["failed"] and len(receiver.received) == 2
    assert load_notify_settings({"CATALOGUE_NOTIFY_KEEP_SENT_DAYS": "7"}).keep_sent_days == 7
    with pytest.raises(SettingError, match="CATALOGUE_NOTIFY_KEEP_SENT_DAYS must be a whole"):
        load_notify_settings({"CATALOGUE_NOTIFY_KEEP_SENT_DAYS": "0"})
