"""The shapes of the plain records the services return (docs/records.md).

A record stays a dict: it goes to marshmallow, Jinja, JSON and the change log as
it is, and the pure packages ``lineage/`` and ``search/`` read it as a mapping.
A ``TypedDict`` names its keys and their types for mypy without changing that.
Each class here has a table in docs/records.md (headed with the class's name),
and ``tests/services/test_record_types.py`` fails when the two drift apart.

Values are what JSON carries: dates and times are ISO 8601 strings, except in
``TimedEdge`` and ``RunRecord``, which the services read before rendering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict


class ColumnRecord(TypedDict):
    """One column of a dataset, in order."""

    name: str
    type: str | None
    description: str | None
    personal: bool


class LinkRecord(TypedDict, total=False):
    """A link from an asset to where its data is, or a document about it."""

    url: str
    name: str | None
    format: str | None


class AssetRecord(TypedDict):
    """An asset as the change log keeps it and the services return it."""

    key: str
    kind: str
    title: str
    description: str
    tags: list[str]
    department: str | None
    source_system: str | None
    location: str | None
    owner: str | None
    owner_email: str | None
    steward: str | None
    steward_email: str | None
    contact_email: str | None
    classification: str
    access: str
    licence: str | None
    personal_data: bool
    special_category: bool
    lawful_basis: str | None
    article9_condition: str | None
    retention_period: str | None
    dpia_reference: str | None
    purpose: str | None
    data_subjects: list[str]
    personal_data_categories: list[str]
    recipients: list[str]
    international_transfers: str | None
    update_frequency: str | None
    last_updated: str | None
    review_date: str | None
    last_reviewed: str | None
    last_reviewed_by: str | None
    last_review_note: str | None
    status: str
    columns: list[ColumnRecord]
    links: list[LinkRecord]
    source_created: str | None
    source_modified: str | None
    version: int
    created_at: str | None
    updated_at: str | None


class EdgeRecord(TypedDict):
    """A lineage edge as the change log keeps it: ``upstream`` feeds ``downstream``."""

    id: int
    upstream: str
    downstream: str
    via: str | None
    description: str | None
    valid_from: str
    valid_to: str | None


class TimedEdge(TypedDict):
    """An edge as the services read it from the database, before its times are
    written as ISO strings (``edges.iso_record``)."""

    id: int
    upstream: str
    downstream: str
    via: str | None
    description: str | None
    valid_from: datetime
    valid_to: datetime | None


class ChangeEntry(TypedDict):
    """One change_log row as the views, the history and the audit trail receive it.

    ``before`` and ``after`` are snapshots whose shape depends on ``action``
    (an ``AssetRecord``, an ``EdgeRecord``, a glossary term, a run…), so they stay
    plain dicts."""

    seq: int
    action: str
    key: str
    actor: str
    time: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TraceRow(TypedDict):
    """One asset reached by a trace, upstream or downstream (``lineage.TRACE_COLUMNS``).

    An asset the caller may not see is a placeholder: ``restricted`` true, its
    key and handling None, its title the placeholder's. ``column_paths`` is there
    only in ``catalogue lineage trace --with-columns``."""

    hops: int
    key: str | None
    kind: str | None
    title: str | None
    department: str | None
    owner: str | None
    owner_email: str | None
    steward: str | None
    classification: str | None
    access: str | None
    personal_data: bool | None
    special_category: bool | None
    last_updated: str | None
    update_frequency: str | None
    stale: bool | None
    at_risk: bool | None
    feeds: str | None
    via: list[str]
    status: str | None
    restricted: bool
    column_paths: NotRequired[list[str]]


class RunRecord(TypedDict):
    """One OpenLineage run of a job (a pipeline), newest first in a job's history."""

    run_id: str
    state: str | None
    started_at: datetime
    state_at: datetime
    inputs: list[str]
    outputs: list[str]


class LastWrite(TypedDict):
    """The latest run that completed writing a dataset."""

    at: str
    job: str
    run_id: str


class UserRecord(TypedDict):
    """A person's account (never its password or its hash)."""

    username: str
    email: str | None
    name: str
    role: str
    department: str | None
    disabled: bool
    source: str
    created_at: str
    last_sign_in_at: str | None


class WatchRecord(TypedDict):
    """Something a person watches: an asset or a department."""

    kind: str
    target: str
    upstream: bool
    source: str
    created_at: str | None


class AccessRequestRecord(TypedDict):
    """A request for access to an asset, as the surfaces show it."""

    id: int
    asset: str
    title: str | None
    access: str | None
    requester: str
    reason: str
    until: str
    status: str
    in_force: bool
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None


class GlossaryTermRecord(TypedDict):
    """A business glossary term, as the change log, the API and files hold it."""

    slug: str
    name: str
    definition: str
    synonyms: list[str]
    owner: str | None
    department: str | None
    related: list[str]
    assets: list[str]
    status: str
    version: int
    created_at: str
    updated_at: str


class TokenRecord(TypedDict):
    """An API token as people see it: never its secret or its hash."""

    id: int
    username: str
    label: str
    prefix: str
    state: str
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class WebhookRecord(TypedDict):
    """A webhook the notification worker sends events to."""

    id: int
    url: str
    description: str | None
    active: bool
    created_by: str
    created_at: str


class DeliveryRecord(TypedDict):
    """One notification on its way, or sent, by e-mail or webhook."""

    id: int
    event: str
    channel: str
    recipient: str
    kind: str | None
    text: str | None
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str
    due_at: str
    sent_at: str | None


class NewWebhook(WebhookRecord):
    """A webhook just added, with the secret it signs its deliveries with (shown once)."""

    secret: str


class DueReview(AssetRecord):
    """An asset whose owner's review is due: its record, when, and whether late."""

    due: str
    overdue: bool


class AuditEntry(TypedDict):
    """One line of the audit trail: a change, or a sign-in event (``source``)."""

    time: str
    source: str
    seq: int | None
    actor: str
    action: str
    asset: str | None
    detail: str
    remote_addr: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TermLink(TypedDict):
    """An asset, or one of its columns, that a glossary term describes."""

    key: str
    title: str
    column: str | None


class AssetTerm(TypedDict):
    """A glossary term that describes an asset, or one of its columns (``column``)."""

    slug: str
    name: str
    status: str
    column: str


class HandlingMismatch(TypedDict):
    """An asset whose declared handling is weaker than the sensitivity it inherits."""

    key: str
    title: str | None
    access: str | None
    reasons: list[str]
    explanations: list[str]


class StaleFeed(TypedDict):
    """An active asset overdue for its update frequency that feeds an active report."""

    key: str
    title: str | None
    last_updated: str | None
    update_frequency: str | None
    feeds_reports: list[str]


class RetiredFeed(TypedDict):
    """A retired asset that still feeds an active report."""

    key: str
    title: str | None
    feeds_reports: list[str]


class LineageCheck(TypedDict):
    """What ``catalogue lineage check`` finds for an auditor."""

    mismatches: list[HandlingMismatch]
    stale_feeds: list[StaleFeed]
    retired_feeds: list[RetiredFeed]
