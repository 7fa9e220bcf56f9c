"""Fixtures for the HTTP API: the app on a fresh (or demo) catalogue of the
test's backend, API tokens made through the identity services and sent as real
headers, a small borough registered through the services, and a live server on
127.0.0.1 for the unmodified openlineage-python and ckanapi clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import create_app
from catalogue.config import Settings
from catalogue.services import accounts, assets, edges, tokens
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.serving import served_in_thread

SEEDER = operator("seeder@thamesbury.gov.uk")

# A small borough: what anonymous callers, stewards and other departments see differs.
BOROUGH: list[dict[str, Any]] = [
    {
        "key": "sys-northgate",
        "kind": "source_system",
        "title": "Northgate housing system",
        "department": "Housing",
    },
    {
        "key": "rent-accounts",
        "kind": "dataset",
        "title": "Rent accounts",
        "description": "Every tenancy's rent account, updated nightly.",
        "department": "Housing",
        "owner": "Joanne Whitaker",
        "owner_email": "joanne.whitaker@thamesbury.gov.uk",
        "access": "internal",
        "classification": "OFFICIAL-SENSITIVE",
        "personal_data": True,
        "lawful_basis": "public_task",
        "tags": ["housing", "rent"],
        "update_frequency": "daily",
    },
    {
        "key": "rent-arrears-summary",
        "kind": "dataset",
        "title": "Rent arrears by ward",
        "description": "Arrears totals per ward, published each quarter.",
        "department": "Housing",
        "owner": "Joanne Whitaker",
        "owner_email": "joanne.whitaker@thamesbury.gov.uk",
        "steward": "Aisha Begum",
        "steward_email": "aisha.begum@thamesbury.gov.uk",
        "contact_email": "housing.data@thamesbury.gov.uk",
        "access": "open",
        "licence": "OGL-UK-3.0",
        "tags": ["arrears", "housing"],
        "update_frequency": "quarterly",
        "last_updated": "2026-10-01",
        "links": [
            {"name": "CSV", "url": "https://data.thamesbury.gov.uk/arrears.csv", "format": "CSV"}
        ],
    },
    {
        "key": "bin-collections",
        "kind": "dataset",
        "title": "Bin collection days",
        "description": "Which day each street's bins are collected.",
        "department": "Environment & Waste",
        "owner": "Kwame Mensah",
        "owner_email": "kwame.mensah@thamesbury.gov.uk",
        "access": "open",
        "licence": "OGL-UK-3.0",
        "tags": ["bins", "waste"],
        "update_frequency": "weekly",
        "location": "https://data.thamesbury.gov.uk/bins",
    },
    {
        "key": "safeguarding-referrals",
        "kind": "dataset",
        "title": "Safeguarding referrals",
        "department": "Children's Services",
        "access": "restricted",
        "classification": "OFFICIAL-SENSITIVE",
        "personal_data": True,
        "special_category": True,
    },
    {
        "key": "rpt-arrears-dashboard",
        "kind": "report",
        "title": "Housing arrears dashboard",
        "description": "Arrears for the housing committee.",
        "department": "Housing",
        "access": "open",
        "tags": ["arrears"],
    },
]
EDGES = [
    ("sys-northgate", "rent-accounts"),
    ("rent-accounts", "rent-arrears-summary"),
    ("rent-arrears-summary", "rpt-arrears-dashboard"),
]


def seed_borough(cat: Catalogue) -> None:
    """Register BOROUGH and its lineage through the services."""
    with cat.write(SEEDER) as writer:
        for record in BOROUGH:
            assets.register(writer, record)
        for upstream, downstream in EDGES:
            edges.add_edge(writer, upstream, downstream)


def _app(settings: Settings) -> Flask:
    app = create_app(settings)
    app.config.update(TESTING=True, SERVICE_NAME="Thamesbury data catalogue")
    app.config["ORGANISATION_NAME"] = "London Borough of Thamesbury"
    return app


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app on an empty catalogue."""
    app = _app(settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def demo_app(demo_settings: Settings) -> Iterator[Flask]:
    """The app on a copy of the demo borough."""
    app = _app(demo_settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def cat(app: Flask) -> Catalogue:
    return app.extensions["catalogue"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def borough(cat: Catalogue) -> Catalogue:
    seed_borough(cat)
    return cat


class Tokens:
    """Makes accounts and API tokens through the identity services."""

    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        self.made: dict[str, str] = {}

    def secret(self, username: str, role: str = "steward", department: str | None = None) -> str:
        if username not in self.made:
            admin = operator("test-admin")
            with self.cat.read() as session:
                if accounts.find_user(session, username) is None:
                    accounts.add_user(
                        session,
                        admin,
                        username,
                        name=username.replace(".", " ").title(),
                        role=role,
                        email=f"{username}@thamesbury.gov.uk",
                        department=department,
                    )
                self.made[username] = tokens.create_token(session, admin, username, "tests").secret
                session.commit()
        return self.made[username]

    def headers(self, username: str, role: str = "steward", department: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.secret(username, role, department)}"}


@pytest.fixture
def tokens_for(cat: Catalogue) -> Tokens:
    return Tokens(cat)


@pytest.fixture
def steward(tokens_for: Tokens) -> dict[str, str]:
    """A Housing steward (Aisha, who stewards rent-arrears-summary)."""
    return tokens_for.headers("aisha.begum", "steward", "Housing")


@pytest.fixture
def admin(tokens_for: Tokens) -> dict[str, str]:
    return tokens_for.headers("peter.ng", "admin", "Digital & Data")


@pytest.fixture
def viewer(tokens_for: Tokens) -> dict[str, str]:
    return tokens_for.headers("ahmed.khan", "viewer", "Housing")


@pytest.fixture
def auditor(tokens_for: Tokens) -> dict[str, str]:
    return tokens_for.headers("fatima.rahman", "auditor", "Finance")


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 (a free port) in a thread: its base URL."""
    with served_in_thread(app) as base:
        yield base


def change_count(cat: Catalogue) -> int:
    """How many changes the catalogue has logged (nothing written: unchanged)."""
    from catalogue.services.changes import count_changes

    with cat.read() as session:
        return count_changes(session)
