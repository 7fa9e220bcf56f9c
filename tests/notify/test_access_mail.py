"""Access requests by e-mail (#17), through the notifications of #19 and a real
SMTP server: the owner is sent the request with a link to decide it, the
requester the answer; and a grant lets its holder hear of the asset they watch
until its date, and not after (on a clock the test moves)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher

from catalogue.db import utcnow
from catalogue.services import access_requests, accounts, assets, notify, watches
from catalogue.services.access import operator
from catalogue.services.accounts import find_user, principal_for
from catalogue.services.notify_settings import NotifySettings
from catalogue.store import Catalogue
from tests.catalogue.test_access_rules import PRINCIPALS, populate
from tests.notify.conftest import Mailbox, text_of

pytestmark = pytest.mark.calendar

VICTOR, VINCE = "victor.r@example.gov.uk", "vince.r@example.gov.uk"
OLIVE = "olive.owner@example.gov.uk"  # owner of h-restricted (Housing, restricted)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def test_request_answer_and_what_a_grant_lets_one_hear(
    catalogue: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    populate(catalogue)
    with catalogue.sessions.begin() as session:
        for email, dept in ((VICTOR, "Revenues & Benefits"), (VINCE, "Revenues & Benefits"),
                            (OLIVE, "Finance")):  # fmt: skip
            accounts.add_user(session, PRINCIPALS["admin"], email.split("@")[0], name=email,
                              role="viewer", email=email, department=dept)  # fmt: skip
    notify.run_once(catalogue, notify_settings)  # the worker starts listening
    with catalogue.sessions.begin() as session:
        victor = principal_for(find_user(session, VICTOR))
    until = utcnow().date() + timedelta(days=5)
    with catalogue.write(victor) as writer:
        asked = access_requests.request_access(
            writer, "h-restricted", "Fraud review", until, max_days=365,
            base_url=notify_settings.base_url,
        )  # fmt: skip
    notify.run_once(catalogue, notify_settings)
    [to_owner] = mailbox.to(OLIVE)
    body = text_of(to_owner)
    assert "Fraud review" in body and "Safeguarding casework ledger" in body
    assert f"{notify_settings.base_url}/access/requests/{asked['id']}" in body

    with catalogue.write(operator("adam.a@example.gov.uk")) as writer:
        access_requests.decide(writer, asked["id"], True, "Agreed",
                               base_url=notify_settings.base_url)  # fmt: skip
    notify.run_once(catalogue, notify_settings)
    [answer] = mailbox.to(VICTOR)
    assert "was approved until" in text_of(answer) and "Agreed" in text_of(answer)

    with catalogue.sessions.begin() as session:  # a grant lets Victor watch it…
        for email in (VICTOR, VINCE):
            watches.add_watch(session, find_user(session, email),
                              watches.Target("department", "Housing"))  # fmt: skip
    with catalogue.write(PRINCIPALS["admin"]) as writer:
        assets.update(writer, "h-restricted", {"access": "restricted", "owner": "Olive O"})
    notify.run_once(catalogue, notify_settings)
    told = [text_of(m) for m in mailbox.to(VICTOR)[1:]]
    assert len(told) == 1 and "Safeguarding casework ledger" in told[0]
    assert mailbox.to(VINCE) == []  # …and his colleague hears nothing of it

    after = datetime.combine(until + timedelta(days=1), time(8, 0))
    with time_machine.travel(after, tick=True):
        with catalogue.write(PRINCIPALS["admin"]) as writer:
            assets.update(writer, "h-restricted", {"owner": "Olive Owner"})
        notify.run_once(catalogue, notify_settings)
    assert len(mailbox.to(VICTOR)) == 2, "told of a change after the grant's date"
    assert mailbox.to(VINCE) == []
