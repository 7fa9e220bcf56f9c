"""Fixtures for the catalogue's own tests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from catalogue.services import accounts
from catalogue.services.access import operator
from catalogue.store import Catalogue


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: these tests hash and verify passwords hundreds of
    times, and the cost of a hash is not what they test."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def add_aisha(catalogue: Catalogue, password: str) -> None:
    """The account the identity tests sign in with: Aisha Begum, a Housing steward."""
    with catalogue.sessions.begin() as session:
        accounts.add_user(
            session, operator("admin@example.gov.uk"), "aisha.begum", name="Aisha Begum",
            role="steward", email="aisha.begum@example.gov.uk", department="Housing",
            password=password,
        )  # fmt: skip
