"""Accounts as the council's directory says: what a single sign-on does to an
account, and why one is refused.

The web layer checks the provider's answer (state, signature, issuer,
audience, expiry, nonce: ``catalogue.web.single_sign_on``) and hands over the
ID token's claims; this module decides who that is. On a first sign-in an
account is made from the claims (just in time); at every sign-in the role and
department are read again from the groups, so a mover or a leaver changes with
the directory. A disabled account stays disabled whatever the provider says.

Every sign-in, refusal and change is an auth event (the audit trail), never
with a token in it. Functions commit: a refusal must leave its trace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import CatalogueError
from catalogue.models import User
from catalogue.services.accounts import (
    EMAIL,
    end_user_sessions,
    find_user,
    record_event,
)
from catalogue.single_sign_on import OpenIDProvider

#: Groups the directory left out because the person is in too many (Entra ID's
#: "group overage": ``_claim_names`` points to Microsoft Graph instead, or
#: ``hasgroups`` is true).
OVERAGE = "_claim_names"


class SignInRefused(CatalogueError):
    """The provider's answer signs nobody in; ``reason`` is the audit's word for why."""

    status = 403
    title = "You cannot sign in"

    def __init__(self, reason: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class DirectoryPerson:
    """Who the ID token says signed in, as the catalogue reads its claims."""

    issuer: str
    subject: str
    email: str | None
    name: str
    groups: tuple[str, ...] | None  # None: the token did not list them (overage)
    tenant: str | None = None


def read_claims(claims: Mapping[str, Any], provider: OpenIDProvider) -> DirectoryPerson:
    """The person in validated ID token claims, read as the settings say."""
    email = None
    for name in provider.email_claims:
        value = str(claims.get(name) or "").strip().lower()
        if EMAIL.match(value):
            email = value
            break
    overage = bool(claims.get("hasgroups")) or any(
        group_claim in (claims.get(OVERAGE) or {}) for group_claim in provider.group_claims
    )
    groups: list[str] = []
    for group_claim in provider.group_claims:
        claimed = claims.get(group_claim)
        if isinstance(claimed, str):
            groups.append(claimed)
        elif isinstance(claimed, list):
            groups.extend(str(v) for v in claimed)
    name = str(claims.get(provider.name_claim) or "").strip() or (email or "")
    return DirectoryPerson(
        issuer=str(claims.get("iss") or ""),
        subject=str(claims.get(provider.subject_claim) or ""),
        email=email,
        name=name[:200],
        groups=None if overage and not groups else tuple(groups),
        tenant=str(claims["tid"]) if claims.get("tid") else None,
    )


def refuse(
    session: Session,
    reason: str,
    message: str,
    who: str | None = None,
    remote_addr: str | None = None,
    status: int = 403,
) -> SignInRefused:
    """Record a refused single sign-on (committed) and return the error to raise."""
    record_event(session, "sso_refused", who or "unknown", reason, remote_addr)
    session.commit()
    return SignInRefused(reason, message, status)


#: What a person refused at sign-in is told, by the audit's word for why.
REFUSALS = {
    "wrong tenant": "Your account belongs to another organisation's directory.",
    "email claim missing": (
        "Your council account did not tell the catalogue your email address. "
        "Ask the catalogue's administrators to check the single sign-on set-up."
    ),
    "group overage": (
        "Your council account is in too many groups for the catalogue to see which "
        "apply. Ask the catalogue's administrators to send app roles or only the "
        "groups assigned to the catalogue."
    ),
    "unmapped and refused": (
        "Your council account is in none of the groups that may use the catalogue. "
        "Ask your manager or the catalogue's administrators for access."
    ),
    "disabled": "This account is disabled in the catalogue: ask its administrators.",
}


def sign_in_from_directory(
    session: Session,
    person: DirectoryPerson,
    provider: OpenIDProvider,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> User:
    """The account ``person`` signs in as, made or brought up to date. Commits.

    Raises SignInRefused (recorded) for a token without a subject or email, a
    tenant other than the council's, groups the token could not list (overage),
    no mapped group when unmapped people are refused, or a disabled account.
    """
    now = now or utcnow()
    reason = _claims_refused(person, provider)
    role, department = None, None
    if reason is None:  # the groups are listed
        role, department = provider.mapping.resolve(person.groups or ())
    if role is None:
        reason = reason or "unmapped and refused"
        who = person.email or person.subject or None
        raise refuse(session, reason, REFUSALS[reason], who, remote_addr)
    user = _account_for(session, person)
    if user is not None and user.disabled:
        raise refuse(session, "disabled", REFUSALS["disabled"], user.username, remote_addr)
    if user is None:
        user = _new_account(session, person, role, department, now)
    else:
        _follow_directory(session, user, person, role, department, now)
    user.last_sign_in_at = now
    record_event(session, "sso_sign_in", user.username, f"as {role}", remote_addr, now)
    session.commit()
    return user


def _claims_refused(person: DirectoryPerson, provider: OpenIDProvider) -> str | None:
    """Why the token's claims alone refuse ``person`` (a REFUSALS key), or None."""
    if provider.tenant_id and person.tenant != provider.tenant_id:
        return "wrong tenant"
    if not person.subject or not person.email:
        return "email claim missing"
    if person.groups is None:
        return "group overage"
    return None


def _account_for(session: Session, person: DirectoryPerson) -> User | None:
    """The account linked to this identity; else a local account with the same
    email, not yet linked to another identity (an admin made it before sign-on)."""
    linked = session.scalar(
        select(User).where(
            and_(User.sso_issuer == person.issuer, User.sso_subject == person.subject)
        )
    )
    if linked is not None:
        return linked
    assert person.email
    user = find_user(session, person.email)
    if user is None or user.sso_subject is not None:
        return None
    return user


def _new_account(
    session: Session,
    person: DirectoryPerson,
    role: str,
    department: str | None,
    now: datetime,
) -> User:
    assert person.email
    user = User(
        username=_free_username(session, person.email),
        email=person.email,
        name=person.name or person.email,
        role=role,
        department=department,
        password_hash=None,
        disabled=False,
        created_at=now,
        source="sso",
        sso_issuer=person.issuer,
        sso_subject=person.subject,
    )
    session.add(user)
    detail = f"from single sign-on: role {role}, department {department or 'none'}"
    record_event(session, "user_added", user.username, detail, now=now)
    session.flush()
    return user


def _follow_directory(
    session: Session,
    user: User,
    person: DirectoryPerson,
    role: str,
    department: str | None,
    now: datetime,
) -> None:
    """Role and department as the directory says now; the identity linked."""
    if user.sso_subject is None:
        user.sso_issuer, user.sso_subject = person.issuer, person.subject
        record_event(session, "sso_linked", user.username, "by single sign-on", now=now)
    if user.role != role:
        detail = f"from the directory: {user.role} → {role}"
        record_event(session, "role_changed", user.username, detail, now=now)
        end_user_sessions(session, user.id, "role changed", now)
        user.role = role
    if user.department != department:
        detail = f"from the directory: {user.department or 'none'} → {department or 'none'}"
        record_event(session, "department_changed", user.username, detail, now=now)
        user.department = department
    if person.name and user.name != person.name:
        user.name = person.name


def _free_username(session: Session, email: str) -> str:
    """A username from the email's local part (a-z 0-9 . _ -), unused."""
    base = re.sub(r"[^a-z0-9._-]+", "-", email.split("@")[0].lower()).strip("-._")[:90]
    base = base or "user"
    candidate, n = base, 1
    while find_user(session, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
