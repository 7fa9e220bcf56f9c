"""Who hears of each change (#19): the fan-out from the change log to the outbox.

For one batch of changes the people who listen are loaded once (``Audience``);
each piece of news goes to those watching its subject or the subject's
department, to its owner and steward (unless they opted out), and, through the
lineage graph, to everyone watching a report downstream of it, with the path
by which it reaches the report. A person is never told about an asset they may
not see: through a report they may see it is "a restricted asset", otherwise
they are not told at all. One outbox row per change and recipient.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import User
from catalogue.notify_models import NotifyPreference, Watch, Webhook
from catalogue.services.access import Principal, can_read
from catalogue.services.accounts import principal_for
from catalogue.services.grants import granted_by_user
from catalogue.services.news import RESTRICTED, News
from lineage import LineageGraph
from lineage.results import path_between

#: What webhooks may be told: what any signed-in member of staff may see.
WEBHOOK_READER = Principal("webhook", role="viewer")


@dataclass
class Listener:
    user_id: int
    email: str
    name: str
    principal: Principal
    mode: str


@dataclass
class Audience:
    """Everyone listening, loaded once per batch."""

    listeners: dict[int, Listener] = field(default_factory=dict)
    by_email: dict[str, int] = field(default_factory=dict)
    assets: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    departments: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    reports: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    muted: set[tuple[int, str]] = field(default_factory=set)
    webhooks: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session) -> Audience:
        audience = cls()
        query = select(NotifyPreference.user_id, NotifyPreference.email)
        modes = {user_id: mode for user_id, mode in session.execute(query)}
        granted = granted_by_user(session)  # one query, not one a listener
        for user in session.scalars(select(User).where(User.disabled.is_(False))):
            if not user.email or modes.get(user.id) == "off":
                continue
            audience.listeners[user.id] = Listener(
                user.id,
                user.email,
                user.name,
                principal_for(user, granted.get(user.id, frozenset())),
                modes.get(user.id, "immediate"),
            )
            audience.by_email[user.email.lower()] = user.id
        for watch in session.scalars(select(Watch)):
            if watch.user_id not in audience.listeners:
                continue
            if watch.muted:
                audience.muted.add((watch.user_id, watch.target))
            elif watch.target_kind == "department":
                audience.departments[watch.target].add(watch.user_id)
            else:
                audience.assets[watch.target].add(watch.user_id)
                if watch.upstream:
                    audience.reports[watch.target].add(watch.user_id)
        audience.webhooks = list(session.scalars(select(Webhook.id).where(Webhook.active)))
        return audience


@dataclass
class Reach:
    """Why one person hears of one change."""

    reasons: list[tuple[str, str]] = field(default_factory=list)  # (sentence with {}, key)
    reports: dict[str, list[str]] = field(default_factory=dict)


class FanOut:
    """Works out recipients through one graph; caches each subject's downstream."""

    def __init__(self, graph: LineageGraph, audience: Audience, base_url: str) -> None:
        self.graph, self.audience, self.base_url = graph, audience, base_url.rstrip("/")
        self._below: dict[str, dict[str, str]] = {}
        self._seen: dict[tuple[Principal, str], bool] = {}
        self._titles: dict[str, str] = {}
        self._texts: dict[tuple[str, tuple[bool, ...]], str] = {}

    def node(self, key: str) -> dict[str, Any]:
        return self.graph.node(key) if self.graph.has(key) else {"key": key, "access": "restricted"}

    def below(self, key: str) -> dict[str, str]:
        """Each asset downstream of ``key`` with its parent (one hop nearer ``key``)."""
        if key not in self._below:
            hops = self.graph.downstream(key) if self.graph.has(key) else []
            self._below[key] = {h.key: h.parent for h in hops}
        return self._below[key]

    def reach(self, news: News) -> dict[int, Reach]:
        found: dict[int, Reach] = defaultdict(Reach)
        audience = self.audience
        for subject in news.subjects:
            node = self.node(subject)
            for user_id in audience.assets.get(subject, ()):
                found[user_id].reasons.append(("you watch {}", subject))
            for user_id in audience.departments.get(node.get("department") or "", ()):
                found[user_id].reasons.append(
                    (f"you watch the department {node['department']}, which holds {{}}", subject)
                )
            for role in ("owner", "steward"):
                holder = audience.by_email.get((node.get(f"{role}_email") or "").lower())
                if holder is not None and (holder, subject) not in audience.muted:
                    found[holder].reasons.append((f"you are the {role} of {{}}", subject))
            below = self.below(subject) if audience.reports else {}
            for report in audience.reports.keys() & {*below, subject}:
                route = path_between(subject, report, below) if report != subject else [subject]
                for user_id in audience.reports[report]:
                    found[user_id].reports.setdefault(report, route)
        return found

    def sees(self, principal: Principal, key: str) -> bool:
        """can_read, remembered for this batch (the same few keys reach many people)."""
        seen = self._seen.get((principal, key))
        if seen is None:
            seen = self._seen[(principal, key)] = can_read(principal, self.node(key))
        return seen

    def title(self, key: str) -> str:
        if key not in self._titles:
            self._titles[key] = f"{self.node(key).get('title') or key} ({key})"
        return self._titles[key]

    def name_for(self, principal: Principal) -> Any:
        def name(key: str) -> str:
            return self.title(key) if self.sees(principal, key) else RESTRICTED

        return name

    def text(self, news: News, principal: Principal, name: Any) -> str:
        """The sentence for this reader: the same for everyone who sees the same refs."""
        key = (news.event_id, tuple(self.sees(principal, k) for k in news.refs))
        if key not in self._texts:
            self._texts[key] = news.render(name)
        return self._texts[key]

    def message(self, news: News, principal: Principal, reach: Reach) -> dict[str, Any] | None:
        """What one person is told, masked for them; None if nothing they may see."""
        visible = [s for s in news.subjects if self.sees(principal, s)]
        reports = {r: route for r, route in reach.reports.items() if self.sees(principal, r)}
        if not visible and not reports:
            return None
        name = self.name_for(principal)
        reasons = [text.format(name(key)) for text, key in reach.reasons if key in visible]
        return {
            "seq": news.seq,
            "time": news.time,
            "kind": news.kind,
            "actor": news.actor,
            "text": self.text(news, principal, name),
            "subject": visible[0] if visible else None,
            "link": f"{self.base_url}/assets/{visible[0]}" if visible else None,
            "reasons": reasons,
            "reports": [
                {
                    "key": r,
                    "title": name(r),
                    "link": f"{self.base_url}/assets/{r}",
                    "path": [name(k) for k in route],
                }
                for r, route in sorted(reports.items())
            ],
        }


def outbox_rows(
    fan: FanOut, news_items: Iterable[News], now: datetime, digest_at: datetime
) -> list[dict[str, Any]]:
    """The outbox rows of a batch of news: one per change and person, and one
    per change and webhook."""
    rows: list[dict[str, Any]] = []
    for news in news_items:
        for user_id, reach in sorted(fan.reach(news).items()):
            listener = fan.audience.listeners[user_id]
            told = fan.message(news, listener.principal, reach)
            if told is None:
                continue
            channel = "digest" if listener.mode == "daily" else "email"
            rows.append(
                _row(
                    news,
                    channel,
                    listener.email,
                    None,
                    told,
                    now,
                    digest_at if channel == "digest" else now,
                )  # fmt: skip
            )
        if fan.audience.webhooks:
            hooked = fan.message(news, WEBHOOK_READER, Reach())
            if hooked:
                for hook in fan.audience.webhooks:
                    rows.append(_row(news, "webhook", f"webhook:{hook}", hook, hooked, now, now))
    return rows


def _row(
    news: News,
    channel: str,
    recipient: str,
    webhook_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    due: datetime,
) -> dict[str, Any]:
    return {
        "idempotency_key": f"{news.event_id}:{channel}:{recipient}"[:200],
        "seq": news.seq,
        "channel": channel,
        "recipient": recipient,
        "webhook_id": webhook_id,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "due_at": due,
    }
