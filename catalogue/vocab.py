"""Controlled values of the council's Information Asset Register.

Asset kinds are data (the ``asset_kinds`` table, seeded by the first migration);
the values below are the fixed vocabularies of the standards the catalogue follows.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

#: What an asset key may be (a record's ``key``, and a reference to one).
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")

DEFAULT_KINDS: dict[str, str] = {
    "dataset": "Dataset",
    "report": "Report",
    "source_system": "Source system",
    "pipeline": "Pipeline",
}

# Government Security Classifications: three tiers, plus the SENSITIVE caveat that
# councils use in practice.
CLASSIFICATIONS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
ACCESS_LEVELS = ("open", "internal", "restricted")
STATUSES = ("active", "retired")

# UK GDPR Article 6 lawful bases.
LAWFUL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)

# Dublin Core Collection Description frequency codes, with the age after which a
# dataset counts as stale (the period plus a little grace). None: never stale.
FREQUENCY_MAX_AGE: dict[str, int | None] = {
    "continuous": 2,
    "daily": 3,
    "weekly": 10,
    "fortnightly": 18,
    "monthly": 40,
    "bimonthly": 70,
    "quarterly": 100,
    "biannual": 200,
    "annual": 380,
    "biennial": 760,
    "irregular": None,
    "never": None,
}
FREQUENCIES = tuple(FREQUENCY_MAX_AGE)


def is_stale(update_frequency: str | None, last_updated: date | str | None, today: date) -> bool:
    """True when an asset has not been updated as often as it says it is.

    An asset with no frequency, an irregular one, or no last-updated date is never
    called stale: the catalogue only judges what the steward declared.
    """
    if not update_frequency or not last_updated:
        return False
    max_age = FREQUENCY_MAX_AGE.get(update_frequency)
    if max_age is None:
        return False
    if isinstance(last_updated, str):
        last_updated = date.fromisoformat(last_updated[:10])
    return today - last_updated > timedelta(days=max_age)
