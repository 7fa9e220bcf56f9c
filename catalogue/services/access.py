"""Who may see and change what. Enforced here, in the service layer, so the
pages, the API and the CLI cannot disagree.

Read: ``open`` assets are visible to anyone, signed in or not; ``internal`` to
any signed-in user; ``restricted`` only to its department, its owner and
steward, auditors and admins, and anyone its owner or steward has granted
access to it until a date (``Principal.granted``: the keys of the grants in force
today, read when the principal is made, see ``services.access_requests``).
Write: a steward may change assets of their own department or that they own
or steward; admins anything; viewers and auditors nothing. What a caller may
not see is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalogue.errors import Forbidden, NotFound

if TYPE_CHECKING:  # imported when needed: the search index is not every command's business
    from sqlalchemy import ColumnElement

    from search import Visibility

ROLES = ("viewer", "steward", "auditor", "admin")
#: How an asset the viewer may not see is named wherever its place must show
#: (a trace, a path): truthfully, whatever its access level.
RESTRICTED_PLACEHOLDER = "An asset you cannot see"
#: The same, within a sentence.
HIDDEN_ASSET = "an asset you cannot see"


@dataclass(frozen=True)
class Principal:
    """Who is acting: the name recorded in the change log, their role and department.

    ``role`` None is someone not signed in.
    """

    name: str
    role: str | None = None
    department: str | None = None
    email: str | None = None
    #: Keys of assets an owner or steward has granted this person read access to,
    #: in force today (approved access requests not past their date).
    granted: frozenset[str] = frozenset()

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def sees_everything(self) -> bool:
        return self.role in ("auditor", "admin")

    def is_person_of(self, record: Mapping[str, Any]) -> bool:
        mine = self.email or self.name
        return bool(mine) and mine.lower() in {
            (record.get("owner_email") or "").lower(),
            (record.get("steward_email") or "").lower(),
        }

    def in_department(self, record: Mapping[str, Any]) -> bool:
        return self.department is not None and record.get("department") == self.department


ANONYMOUS = Principal("anonymous")


def operator(name: str) -> Principal:
    """Whoever runs the CLI on the catalogue's own database holds its keys: an admin.

    The name is what they gave with ``--as`` (or their login name).
    """
    return Principal(name=name, role="admin", email=name if "@" in name else None)


def can_read(principal: Principal, record: Mapping[str, Any]) -> bool:
    access = record.get("access") or "internal"
    if access == "open" or principal.sees_everything:
        return True
    if not principal.signed_in:
        return False
    if access == "internal":
        return True
    return (
        principal.in_department(record)
        or principal.is_person_of(record)
        or record.get("key") in principal.granted
    )


def can_write(principal: Principal, record: Mapping[str, Any]) -> bool:
    if principal.role == "admin":
        return True
    if principal.role != "steward":
        return False
    return principal.in_department(record) or principal.is_person_of(record)


def require_read(principal: Principal, record: Mapping[str, Any] | None, key: str) -> None:
    """Raise NotFound (never Forbidden) for an asset the caller may not see."""
    if record is None or not can_read(principal, record):
        raise NotFound(f"no asset with key {key!r}")


def require_write(principal: Principal, record: Mapping[str, Any], key: str) -> None:
    """NotFound if they cannot see it; Forbidden if they can see it but not change it."""
    require_read(principal, record, key)
    if not can_write(principal, record):
        raise Forbidden(
            f"you may not change {key!r}: stewards change assets of their own department "
            "or that they own or steward"
        )


def visibility(principal: Principal) -> Visibility:
    """The same read rule, in the form the search index filters by."""
    from search import Visibility

    if principal.sees_everything:
        return Visibility(everything=True)
    if not principal.signed_in:
        return Visibility(access=frozenset({"open"}))
    people = frozenset(p.lower() for p in (principal.email, principal.name) if p and "@" in p)
    departments = frozenset({principal.department}) if principal.department else frozenset()
    return Visibility(
        access=frozenset({"open", "internal"}),
        departments=departments,
        people=people,
        keys=principal.granted,
    )


def readable(principal: Principal) -> ColumnElement[bool]:
    """The same read rule as ``can_read``, as a condition on the ``assets`` table,
    for a query that must not load every asset to filter it (the steward's
    pickers on a catalogue of 100,000 assets)."""
    from sqlalchemy import func, or_, select, true

    from catalogue.models import Asset, Department, Person

    if principal.sees_everything:
        return true()
    if not principal.signed_in:
        return Asset.access == "open"
    # can_read: a missing access level counts as internal.
    allowed = [Asset.access.in_(("open", "internal", ""))]
    if principal.department is not None:
        department = select(Department.id).where(Department.name == principal.department)
        allowed.append(Asset.department_id.in_(department))
    mine = principal.email or principal.name
    if mine:
        person = select(Person.id).where(func.lower(Person.email) == mine.lower())
        allowed += [Asset.owner_id.in_(person), Asset.steward_id.in_(person)]
    if principal.granted:
        allowed.append(Asset.key.in_(sorted(principal.granted)))
    return or_(*allowed)
