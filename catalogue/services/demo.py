"""The demo catalogue: a fictional London borough, with a past.

`borough.yaml` is the register as it stood at its first load; `changes.yaml` is
what happened since (edges ended and added, owners changed, an asset retired),
each at its own time, so auditors can look at the lineage "as of" a past date.

The files describe the borough as it stood on ``WRITTEN_ON``. Every date in them
is moved by the same number of days so that ``WRITTEN_ON`` becomes the day the
demo is loaded: loaded on any day, the demo looks as it did the day it was
written (the same datasets fresh, the same stale, the same history behind them).

The past is kept consistent: a record loaded at the start carries the
``last_updated`` it would have had then (as old, at that moment, as it is in the
file on ``WRITTEN_ON``), and each dataset's newer ``last_updated`` arrives as a
change at the time it says, so a trace "as of" a date never shows a value that
was recorded after it.

The demo also has a few accounts of each role, all with DEMO_PASSWORD.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select

from catalogue.db import utcnow
from catalogue.governance import ReviewPolicy
from catalogue.models import Asset
from catalogue.schemas import load_asset
from catalogue.services import accounts, assets, edges, reviews
from catalogue.services.access import Principal, operator
from catalogue.services.apply import execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import Writer
from catalogue.services.demo_history import (
    batched,
    history_days,
    inactive_keys,
    refresh_change,
    refresh_updates,
    reviews_in_history,
)
from catalogue.services.publishing import slug as slug_of
from catalogue.services.records import Resolver, asset_record

if TYPE_CHECKING:
    from catalogue.store import Catalogue

#: The day the demo's files describe. It becomes the day the demo is loaded.
WRITTEN_ON = date(2026, 11, 25)
#: When the register in borough.yaml was first loaded, in the files' calendar.
FIRST_LOADED = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
#: The time of day at which a dataset's newer ``last_updated`` is recorded: the
#: start of that day, so that a demo loaded at any hour has no change in the future.
REFRESHED_AT = time(0, 0, tzinfo=UTC)
DEMO_ACTOR = "demo-loader"
# Demo only (documented in the README): never a password a real account may have.
DEMO_PASSWORD = "demo-password-123"
DEMO_EMAIL_DOMAIN = "thamesbury.gov.uk"
# username, name, role, department. The stewards look after demo assets under
# the same email addresses, so their edits are allowed and attributed to them.
DEMO_USERS = (
    ("ahmed.khan", "Ahmed Khan", "viewer", "Housing"),
    ("sarah.okoro", "Sarah Okoro", "viewer", "Adult Social Care"),
    ("aisha.begum", "Aisha Begum", "steward", "Housing"),
    ("daniel.whitlock", "Daniel Whitlock", "steward", "Revenues & Benefits"),
    ("kwame.mensah", "Kwame Mensah", "steward", "Environment & Waste"),
    ("fatima.rahman", "Fatima Rahman", "auditor", "Finance"),
    ("george.whitfield", "George Whitfield", "auditor", "Legal & Governance"),
    ("peter.ng", "Peter Ng", "admin", "Digital & Data"),
)

#: What each role may see and do, in the words the demo's pages use to introduce
#: the demo users (the rules themselves are in services/access.py).
DEMO_ROLE_SIGHT = {
    "viewer": "sees open and internal data, and the restricted data of their own department",
    "steward": "sees what a viewer sees, and registers and edits their department's assets",
    "auditor": "sees everything, restricted data included, traces reports and reads the audit log",
    "admin": "sees and may change everything",
}


def demo_accounts() -> list[dict[str, str]]:
    """The demo users as the demo's sign-in and no-results pages introduce them."""
    return [
        {
            "username": username,
            "name": name,
            "role": role,
            "department": department,
            "sees": DEMO_ROLE_SIGHT[role],
        }
        for username, name, role, department in DEMO_USERS
    ]


def _demo_text(name: str) -> str:
    return resources.files("catalogue.demo").joinpath(name).read_text(encoding="utf-8")


def _yaml(text: str) -> Any:
    """Safe loading, with libyaml's C parser where PyYAML was built with it (ten times faster)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def demo_offset(today: date | None = None) -> timedelta:
    """How far the demo's dates move: ``WRITTEN_ON`` becomes ``today`` (the clock's, by default)."""
    return (today or utcnow().date()) - WRITTEN_ON


def load_demo(catalogue: Catalogue, today: date | None = None) -> dict[str, int]:
    """Load the demo register and replay its history, its dates moved so that
    ``WRITTEN_ON`` is ``today``. Returns counts of what was done."""
    offset = demo_offset(today)
    loaded_at = FIRST_LOADED + offset
    records = _yaml(_demo_text("borough.yaml"))
    changes = _yaml(_demo_text("changes.yaml"))
    records, refreshes = _as_first_loaded(records, changes, offset)
    records, owner_reviews = reviews_in_history(
        records, inactive_keys(records, changes), loaded_at.date(), WRITTEN_ON + offset
    )
    with catalogue.write(DEMO_ACTOR, now=loaded_at) as writer:
        source = [SourceRecord(f"borough.yaml record {i + 1}", r) for i, r in enumerate(records)]
        plan = plan_apply(writer, source)
        execute_plan(writer, plan)
    counts = plan.counts()
    counts["terms"], approvals = load_glossary(catalogue, loaded_at, offset)
    history = [{**change, "at": _moment(change["at"]) + offset} for change in changes]
    counts["history"] = replay_changes(
        catalogue, batched(history + refreshes + owner_reviews + approvals)
    )
    counts["users"] = add_demo_users(catalogue, loaded_at)
    return counts


def load_glossary(
    catalogue: Catalogue, loaded_at: datetime, offset: timedelta
) -> tuple[int, list[dict[str, Any]]]:
    """The starter glossary (glossary.yaml), added with the register. A term with
    ``approved_on`` starts as a draft; its approval that day is returned as a
    change for the history, so the glossary has a past too. Returns the number
    of terms and those changes."""
    from catalogue.services.glossary_files import apply_terms

    terms = _yaml(_demo_text("glossary.yaml"))
    later = {t["name"]: _day(t.pop("approved_on")) + offset for t in terms if "approved_on" in t}
    source = [
        SourceRecord(
            f"glossary.yaml term {i + 1}", {**t, "status": "draft"} if t["name"] in later else t
        )
        for i, t in enumerate(terms)
    ]
    with catalogue.write(DEMO_ACTOR, now=loaded_at) as writer:
        added = apply_terms(writer, source).added
    approvals = [
        {
            "at": datetime.combine(day, time(10, 0), UTC),
            "actor": DEMO_ACTOR,
            "glossary": {"slug": slug_of(name), "fields": {"status": "approved"}},
        }
        for name, day in later.items()
    ]
    return len(added), approvals


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_first_loaded(
    records: list[dict[str, Any]], changes: list[dict[str, Any]], offset: timedelta
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records as they stood at the first load, their dates moved by ``offset``,
    and the later changes that bring each active dataset's ``last_updated`` up to
    the value the file gives it on ``WRITTEN_ON``, oldest first for each dataset.

    A dataset with a declared cadence is refreshed on it (see ``demo_history``):
    at the load it has its cadence's newest day, and refreshes on the history
    days move it on, the last on the file's day. One without a cadence is, at the
    load, as old as it is on ``WRITTEN_ON`` and takes the file's value on that
    day. An asset retired (in the file or later in the history) keeps its value
    of the first load: nothing updates a retired asset."""
    first_day = FIRST_LOADED.date()
    load_day, today = first_day + offset, WRITTEN_ON + offset
    inactive = inactive_keys(records, changes)
    days = history_days(load_day, today)
    loaded, refreshes = [], []
    for record in records:
        record = dict(record)
        if record.get("review_date"):
            record["review_date"] = (_day(record["review_date"]) + offset).isoformat()
        if record.get("last_updated"):
            written = _day(record["last_updated"])
            if written > WRITTEN_ON:
                raise ValueError(f"demo record {record['key']}: last_updated after {WRITTEN_ON}")
            newest = written + offset
            record["last_updated"] = newest.isoformat()
            if written > first_day:
                frequency = None if record["key"] in inactive else record.get("update_frequency")
                at_load, updates = refresh_updates(frequency, newest, load_day, today, days)
                record["last_updated"] = at_load.isoformat()
                if record["key"] not in inactive:
                    refreshes += [
                        refresh_change(record["key"], on, value, DEMO_ACTOR)
                        for on, value in updates
                    ]
        loaded.append(record)
    return loaded, refreshes


def add_demo_users(catalogue: Catalogue, now: datetime | None = None) -> int:
    """Add the demo accounts that are not there yet; returns how many were added."""
    password_hash = accounts.hash_password(DEMO_PASSWORD)  # one hash for all: demo only
    added = 0
    with catalogue.sessions.begin() as session:
        for username, name, role, department in DEMO_USERS:
            if accounts.find_user(session, username) is not None:
                continue
            accounts.add_user(
                session,
                operator(DEMO_ACTOR),
                username,
                name=name,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                role=role,
                department=department,
                password_hash=password_hash,
                now=now,
            )
            added += 1
    return added


def replay_changes(catalogue: Catalogue, changes: list[dict[str, Any]]) -> int:
    """Apply timestamped operations (lineage_add, lineage_end, update, refresh,
    review, retire, glossary) in order, each in its own transaction."""
    for change in changes:
        actor = _actor(catalogue, change)
        # The search index catches up once, after the whole history, not after
        # each of its hundreds of transactions (a Whoosh commit each).
        with catalogue.write(actor, now=_moment(change["at"]), update_index=False) as writer:
            if "lineage_end" in change:
                op = change["lineage_end"]
                edges.end_edge(writer, op["upstream"], op["downstream"])
            if "lineage_add" in change:
                op = change["lineage_add"]
                edges.add_edge(
                    writer,
                    op["upstream"],
                    op["downstream"],
                    via=op.get("via"),
                    description=op.get("description"),
                )
            if "update" in change:
                assets.update(writer, change["update"]["key"], change["update"]["fields"])
            if "refresh" in change:
                _refresh(writer, change["refresh"])
            if "review" in change:
                op = change["review"]
                reviews.record_review(writer, op["key"], ReviewPolicy(), op["note"])
            if "retire" in change:
                assets.retire(writer, change["retire"]["key"])
            if "glossary" in change:
                from catalogue.services.glossary import update_term

                update_term(writer, change["glossary"]["slug"], change["glossary"]["fields"])
    catalogue.views.catch_up_index()
    return len(changes)


def _refresh(writer: Writer, refreshes: list[dict[str, Any]]) -> None:
    """Many datasets' newer ``last_updated`` in one transaction, each logged as
    an update; the assets are read in one query (the demo's history moves
    thousands), and the loader, an operator, may change them all."""
    keys = [refresh["key"] for refresh in refreshes]
    session = writer.session
    found = {a.key: a for a in session.scalars(select(Asset).where(Asset.key.in_(keys)))}
    kinds, resolver = assets.known_kinds(session), Resolver(session)
    with session.no_autoflush:
        for refresh in refreshes:
            values = load_asset({**refresh["fields"], "key": refresh["key"]}, kinds, partial=True)
            assets.update_validated(writer, found[refresh["key"]], values, resolver)


def _actor(catalogue: Catalogue, change: dict[str, Any]) -> Principal:
    """Who makes a change: a review is made by the asset's steward (or its
    owner) as they are on the day, the rest by the actor the history names."""
    if "review" not in change:
        return operator(change.get("actor", DEMO_ACTOR))
    with catalogue.read() as session:
        record = asset_record(assets.get_asset(session, change["review"]["key"]))
    email = record.get("steward_email") or record.get("owner_email")
    if not email:
        raise ValueError(f"the demo's review of {record['key']} names no steward or owner")
    return Principal(email, "steward", record.get("department"), email)
