"""Generated catalogues for the CKAN tests: every kind, access level and
department, licences, links, tags, a harvested (dotted) key, retired assets, and
four callers (anonymous, a viewer, a steward, a viewer holding a grant to a
restricted asset of another department), each as CKAN clients send them."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from catalogue.db import utcnow
from catalogue.services import access_requests, accounts, assets
from catalogue.store import Catalogue
from tests.api.conftest import SEEDER, Tokens

KINDS = ("dataset", "report", "source_system", "pipeline")
ACCESS = ("open", "internal", "restricted")
DEPARTMENTS = ("Housing", "Finance", "Environment & Waste", None)
LICENCES = ("OGL-UK-3.0", "CC-BY-4.0", "Council terms", None)
TAGS = ("rent", "arrears", "bins", "housing", "waste", "budget")
WORDS = ("rent arrears", "council tax", "bin collections", "rent accounts", "budget")
#: the restricted dataset the grantee is granted (Environment & Waste's; the grantee
#: is a Housing viewer)
GRANTED = "gen-004"


def record(i: int, rng: random.Random) -> dict[str, Any]:
    """The ``i``th generated asset record."""
    words = WORDS[i % len(WORDS)]
    links = []
    if i % 3 == 0:
        links.append({"url": f"https://data.example.gov.uk/{i}.csv", "format": "CSV"})
    if i % 5 == 0:
        links.append({"url": f"https://data.example.gov.uk/{i}.json", "format": "json"})
    if i % 11 == 0:
        links.append({"url": "mailto:data@example.gov.uk", "format": "Email"})
    department = DEPARTMENTS[(i // 2) % len(DEPARTMENTS)]
    return {
        "key": f"gen-{i:03d}" if i % 17 else f"db-{i}.public.table_{i}",
        "kind": KINDS[i % len(KINDS)] if i % 9 else "dataset",
        "title": f"{words.title()} {rng.choice(['north', 'south', 'ward'])} {i}",
        "description": f"Figures on **{WORDS[(i // 3) % len(WORDS)]}**, number {i}.",
        "department": department,
        "access": ACCESS[(i // 3) % len(ACCESS)] if i != 4 else "restricted",
        "licence": LICENCES[i % len(LICENCES)],
        "tags": sorted(set(rng.sample(TAGS, i % 3))),
        "links": links,
        "owner": "Joanne Whitaker" if i % 4 == 0 else None,
        "owner_email": "joanne.whitaker@thamesbury.gov.uk" if i % 4 == 0 else None,
        "steward": "Aisha Begum" if i % 6 == 1 else None,
        "steward_email": "aisha.begum@thamesbury.gov.uk" if i % 6 == 1 else None,
        "update_frequency": ("monthly", "weekly", None)[i % 3],
        "source_modified": f"2025-0{1 + i % 9}-1{i % 10}T10:00:00Z" if i % 10 == 3 else None,
    }


def seed(cat: Catalogue, count: int = 90, seed_value: int = 12) -> list[str]:
    """Register ``count`` generated assets (a few retired); return their keys."""
    rng = random.Random(seed_value)
    keys = []
    for first in range(0, count, 15):  # several writes: several change times
        with cat.write(SEEDER) as writer:
            for i in range(first, min(first + 15, count)):
                values = record(i, rng)
                assets.register(writer, values)
                keys.append(values["key"])
    with cat.write(SEEDER) as writer:
        for key in keys[7::13]:
            assets.retire(writer, key)
    return keys


def callers(cat: Catalogue, tokens_for: Tokens) -> dict[str, dict[str, str]]:
    """Request headers of anonymous, a viewer, a steward and a grantee; the grantee
    (a Housing viewer) asked for and was granted read access to GRANTED."""
    headers = {
        "anonymous": {},
        "viewer": tokens_for.headers("ahmed.khan", "viewer", "Housing"),
        "steward": tokens_for.headers("aisha.begum", "steward", "Housing"),
        "grantee": tokens_for.headers("grace.obi", "viewer", "Housing"),
    }
    with cat.read() as session:
        grantee = accounts.principal_for(accounts.get_user(session, "grace.obi"))
    until = utcnow().date() + timedelta(days=30)
    with cat.write(grantee) as writer:
        asked = access_requests.request_access(
            writer, GRANTED, "for the equivalence tests", until, max_days=365, base_url="http://x"
        )
    with cat.write(SEEDER) as writer:
        access_requests.decide(writer, asked["id"], True, "agreed", base_url="http://x")
    return headers
