"""The demo catalogue: a fictional London borough, with a past.

`borough.yaml` is the register as it stood on 1 April 2025; `changes.yaml` is
what happened since (edges ended and added, owners changed, an asset retired),
each at its own time, so auditors can look at the lineage "as of" a past date.
The demo also has a few accounts of each role, all with DEMO_PASSWORD.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import yaml

from catalogue.services import accounts, assets, edges
from catalogue.services.access import operator
from catalogue.services.apply import execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord
from catalogue.store import Catalogue

LOADED_AT = datetime.fromisoformat("2025-04-01T09:00:00+00:00")
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


def _demo_text(name: str) -> str:
    return resources.files("catalogue.demo").joinpath(name).read_text(encoding="utf-8")


def load_demo(catalogue: Catalogue) -> dict[str, int]:
    """Load the demo register and replay its history. Returns counts of what was done."""
    records = yaml.safe_load(_demo_text("borough.yaml"))
    with catalogue.write(DEMO_ACTOR, now=LOADED_AT) as writer:
        source = [SourceRecord(f"borough.yaml record {i + 1}", r) for i, r in enumerate(records)]
        plan = plan_apply(writer.session, source, catalogue.graph_for(writer), writer.principal)
        execute_plan(writer, plan)
    counts = plan.counts()
    counts["history"] = replay_changes(catalogue, yaml.safe_load(_demo_text("changes.yaml")))
    counts["users"] = add_demo_users(catalogue)
    return counts


def add_demo_users(catalogue: Catalogue) -> int:
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
                now=LOADED_AT,
            )
            added += 1
    return added


def replay_changes(catalogue: Catalogue, changes: list[dict[str, Any]]) -> int:
    """Apply timestamped operations (lineage_add, lineage_end, update, retire)."""
    for change in changes:
        at = change["at"]
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        with catalogue.write(change.get("actor", DEMO_ACTOR), now=at) as writer:
            if "lineage_end" in change:
                op = change["lineage_end"]
                edges.end_edge(writer, op["upstream"], op["downstream"])
            if "lineage_add" in change:
                op = change["lineage_add"]
                edges.add_edge(
                    writer,
                    op["upstream"],
                    op["downstream"],
                    catalogue.graph_for(writer),
                    via=op.get("via"),
                    description=op.get("description"),
                )
            if "update" in change:
                assets.update(writer, change["update"]["key"], change["update"]["fields"])
            if "retire" in change:
                assets.retire(writer, change["retire"]["key"])
    return len(changes)
