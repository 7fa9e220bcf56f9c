"""E-mail to watchers through a real SMTP server on loopback (aiosmtpd): the
right people get the right messages, three hops upstream of a watched report,
with restricted assets masked; daily digests; owners' opt-out; a relay that is
down is tried again, and nothing is sent twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from catalogue.services import assets, notify, watches
from catalogue.services.notify_settings import NotifySettings
from catalogue.store import Catalogue
from tests.notify.conftest import (
    ADMIN,
    ANALYST,
    HOUSING_VIEWER,
    OWNER,
    T0,
    Mailbox,
    html_of,
    smtp_server,
    text_of,
)

REPORT_PATH = (
    "Council tax accounts (council-tax-accounts) → a restricted asset → "
    "Arrears by ward (arrears-by-ward) → Arrears committee report (rpt-arrears)"
)


def watch(cat: Catalogue, email: str, target: str, **options: bool) -> None:
    kind = "department" if options.pop("department", False) else "asset"
    with cat.sessions() as session, session.begin():
        user = watches.account_of(session, watches.Principal(email, "viewer", email=email))
        watches.add_watch(session, user, watches.Target(kind, target), **options)


def change(cat: Catalogue, key: str, **values: object) -> None:
    with cat.write(ADMIN) as writer:
        assets.update(writer, key, values)


def tell(cat: Catalogue, settings: NotifySettings, at: datetime = T0) -> notify.Pass:
    return notify.run_once(cat, settings, now=lambda: at)


def test_a_change_three_hops_up_reaches_the_report_watcher_masked_and_the_owner(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "rpt-arrears", upstream=True)
    watch(chain, HOUSING_VIEWER, "bin-rounds")
    change(chain, "council-tax-accounts", classification="OFFICIAL-SENSITIVE")
    done = tell(chain, notify_settings)
    assert done.sent == 2 and done.failed == 0
    [analyst] = mailbox.to(ANALYST)
    body = text_of(analyst)
    assert "Council tax accounts (council-tax-accounts) changed: classification OFFICIAL" in body
    assert f"It reaches your report Arrears committee report (rpt-arrears) by {REPORT_PATH}" in body
    assert "https://catalogue.thamesbury.gov.uk/assets/council-tax-accounts" in body
    assert "Arrears casework" not in body + html_of(analyst)
    assert "a restricted asset" in html_of(analyst)
    assert analyst["Subject"].startswith("Data catalogue: Council tax accounts")
    [owner] = mailbox.to(OWNER)
    assert "you are the owner of Council tax accounts (council-tax-accounts)" in text_of(owner)
    assert "It reaches your report" not in text_of(owner)
    assert mailbox.to(HOUSING_VIEWER) == []
    # Nothing new: a second pass sends nothing again.
    assert tell(chain, notify_settings).sent == 0
    assert len(mailbox.messages) == 2


def test_a_restricted_asset_is_named_only_to_those_who_may_see_it(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "rpt-arrears", upstream=True)
    watch(chain, HOUSING_VIEWER, "Housing", department=True)
    watch(chain, OWNER, "Housing", department=True)  # Finance: may not see it
    columns = [{"name": "case_ref", "type": "string"}]
    change(chain, "arrears-cases", columns=columns)
    tell(chain, notify_settings)
    [analyst] = mailbox.to(ANALYST)
    assert "a restricted asset changed: column added: case_ref (string)" in text_of(analyst)
    assert "Arrears casework" not in text_of(analyst) + html_of(analyst)
    [housing] = mailbox.to(HOUSING_VIEWER)
    assert "Arrears casework (arrears-cases) changed: column added: case_ref" in text_of(housing)
    assert "you watch the department Housing" in text_of(housing)
    assert mailbox.to(OWNER) == []


def test_a_daily_digest_groups_the_days_changes_into_one_message(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    with chain.sessions() as session, session.begin():
        user = watches.account_of(session, watches.Principal(ANALYST, email=ANALYST))
        watches.set_email_mode(session, user, "daily")
    change(chain, "arrears-by-ward", access="open")
    change(chain, "arrears-by-ward", personal_data=True, lawful_basis="public_task")
    assert tell(chain, notify_settings).sent == 0
    assert mailbox.messages == []
    next_morning = (T0 + timedelta(days=1)).replace(hour=7)
    assert tell(chain, notify_settings, next_morning - timedelta(minutes=1)).sent == 0
    assert tell(chain, notify_settings, next_morning).sent == 1
    [digest] = mailbox.messages
    assert digest["Subject"] == "Data catalogue: 2 changes you watch"
    body = text_of(digest)
    assert "access internal → open" in body and "personal data no → yes" in body
    assert tell(chain, notify_settings, next_morning + timedelta(hours=1)).sent == 0


def test_an_owner_hears_of_their_own_asset_until_they_opt_out(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    with chain.sessions() as session, session.begin():
        owner = watches.account_of(session, watches.Principal(OWNER, email=OWNER))
        listed = watches.list_watches(session, owner)
        assert {"kind": "asset", "target": "council-tax-accounts", "upstream": False,
                "source": "owner", "created_at": None} in listed  # fmt: skip
        watches.remove_watch(session, owner, watches.Target("asset", "council-tax-accounts"))
        assert watches.list_watches(session, owner) == []
    change(chain, "council-tax-accounts", access="open")
    tell(chain, notify_settings)
    assert mailbox.to(OWNER) == []


def test_a_relay_that_is_down_is_tried_again_and_the_message_sent_once(
    chain: Catalogue, smtp_port: int, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    change(chain, "arrears-by-ward", classification="OFFICIAL-SENSITIVE")
    down = tell(chain, notify_settings)
    assert (down.sent, down.retrying) == (0, 1)
    with smtp_server(Mailbox(), smtp_port) as box:
        assert tell(chain, notify_settings, T0 + timedelta(seconds=30)).sent == 0  # backing off
        assert tell(chain, notify_settings, T0 + timedelta(minutes=2)).sent == 1
        assert tell(chain, notify_settings, T0 + timedelta(hours=2)).sent == 0
    assert len(box.to(ANALYST)) == 1


def test_a_relay_down_for_a_day_is_given_up_on_and_the_log_says_why(
    chain: Catalogue, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    change(chain, "arrears-by-ward", classification="OFFICIAL-SENSITIVE")
    settings = replace(notify_settings, give_up_hours=1)
    tries = [tell(chain, settings, T0 + timedelta(minutes=m)) for m in (0, 2, 6, 15, 31, 70)]
    assert [t.retrying for t in tries[:4]] == [1, 1, 1, 1]
    assert sum(t.failed for t in tries) == 1
    with chain.reading(ADMIN) as reader:
        [row] = notify.webhooks.delivery_log(reader)
    assert row["state"] == "failed" and "SMTP relay" in row["last_error"]


def test_an_overdue_review_is_news_once(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    due = T0.date() - timedelta(days=1)
    change(chain, "arrears-by-ward", review_date=due.isoformat())
    assert tell(chain, notify_settings).sent == 1
    [told] = mailbox.to(ANALYST)
    expected = (
        f"Arrears by ward (arrears-by-ward) is overdue for its owner's review (due {due:%-d %B %Y})"
    )
    assert expected in text_of(told)
    assert tell(chain, notify_settings, T0 + timedelta(hours=1)).sent == 0  # the same day
    assert tell(chain, notify_settings, T0 + timedelta(days=1)).sent == 0  # told already
    assert len(mailbox.messages) == 1


def test_without_a_relay_e_mail_waits_until_one_is_set(
    chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    change(chain, "arrears-by-ward", access="open")
    unset = replace(notify_settings, smtp_host="")
    assert tell(chain, unset, T0 + timedelta(days=3)) == notify.Pass(changes=1, queued=1)
    assert tell(chain, notify_settings, T0 + timedelta(days=3)).sent == 1
    assert len(mailbox.to(ANALYST)) == 1
