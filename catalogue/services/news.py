"""What in the change log is news to people who watch (#19), in one sentence.

Pure: a change entry (docs/records.md) in, a ``News`` out (or None when the
change is bookkeeping nobody needs to hear of, such as a new description).
Sentences name assets through numbered slots (``{0}``) so each reader gets the
names they may see and "a restricted asset" for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from catalogue.services.harvest.compare import column_changes

RESTRICTED = "a restricted asset"
RUN_FAILED, RUN_COMPLETED = "run.failed", "run.completed"
#: Change-log actions of OpenLineage run health (written by services.openlineage).
RUN_ACTIONS = {"run.fail": RUN_FAILED, "run.recover": RUN_COMPLETED}
MARKINGS = ("classification", "access")
PEOPLE = ("owner", "owner_email", "steward", "steward_email")


@dataclass(frozen=True)
class News:
    """One change worth telling.

    ``kind`` names it for machines (the CloudEvents type's tail), ``text`` is the
    sentence with ``{0}``-style slots filled from ``refs`` (asset keys), and
    ``subjects`` the assets whose watchers, owners and downstream reports hear.
    """

    seq: int
    time: str
    actor: str
    kind: str
    text: str
    refs: tuple[str, ...]
    subjects: tuple[str, ...]
    #: News that is not a change (an overdue review) names itself; a change is its seq.
    event: str = ""

    @property
    def event_id(self) -> str:
        return self.event or str(self.seq)

    def render(self, name_of: Callable[[str], str]) -> str:
        return self.text.format(*(name_of(k) for k in self.refs))


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def field_news(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(kind, phrases) of the newsworthy differences between two snapshots."""
    phrases: list[str] = []
    kind = "asset.changed"
    for name in MARKINGS:
        if before.get(name) != after.get(name):
            phrases.append(f"{name} {before.get(name)} → {after.get(name)}")
            kind = f"asset.{name}_changed"
    for name, label in (("personal_data", "personal data"), ("special_category", "special")):
        if bool(before.get(name)) != bool(after.get(name)):
            phrases.append(f"{label} {_yes(before.get(name))} → {_yes(after.get(name))}")
            kind = "asset.personal_data_changed"
    if before.get("owner") != after.get("owner") or before.get("owner_email") != after.get(
        "owner_email"
    ):
        phrases.append(
            f"owner {before.get('owner') or '(none)'} → {after.get('owner') or '(none)'}"
        )
        kind = "asset.owner_changed"
    old, new = before.get("columns") or [], after.get("columns") or []
    if _shape(old) != _shape(new):
        phrases.extend(column_changes(old, new))
        kind = "asset.schema_changed"
    if before.get("status") == "retired" and after.get("status") == "active":
        phrases.append("back in use")
    return kind, phrases


def _shape(columns: list[dict[str, Any]]) -> set[tuple[str, Any]]:
    return {(c["name"], c.get("type")) for c in columns}


def news_of(change: Mapping[str, Any]) -> News | None:
    """The news in one change entry, or None."""
    action, key = change["action"], change["key"]
    before, after = change.get("before") or {}, change.get("after") or {}
    base = {"seq": change["seq"], "time": change["time"], "actor": change["actor"]}
    if action == "asset.create":
        kind = (after.get("kind") or "asset").replace("_", " ")
        return News(**base, kind="asset.created", text=f"{{0}} was registered as a {kind}",
                    refs=(key,), subjects=(key,))  # fmt: skip
    if action == "asset.retire":
        return News(**base, kind="asset.retired", text="{0} was retired",
                    refs=(key,), subjects=(key,))  # fmt: skip
    if action.startswith("asset."):
        kind, phrases = field_news(before, after)
        if not phrases:
            return None
        text = "{0} changed: " + "; ".join(p.replace("{", "(").replace("}", ")") for p in phrases)
        return News(**base, kind=kind, text=text, refs=(key,), subjects=(key,))
    if action in ("edge.add", "edge.end"):
        edge = after or before
        verb = "now feeds" if action == "edge.add" else "no longer feeds"
        kind = "lineage.edge_added" if action == "edge.add" else "lineage.edge_ended"
        refs = (edge["upstream"], edge["downstream"])
        return News(**base, kind=kind, text=f"{{0}} {verb} {{1}}", refs=refs,
                    subjects=(edge["downstream"],))  # fmt: skip
    if action in RUN_ACTIONS:
        return _run_news(base, key, after, RUN_ACTIONS[action])
    return None


def _run_news(base: dict[str, Any], job: str, after: Mapping[str, Any], kind: str) -> News:
    outputs = tuple(after.get("outputs") or ())
    slots = ", ".join(f"{{{i + 1}}}" for i in range(len(outputs))) or "nothing it names"
    if kind == RUN_FAILED:
        text = f"a run of {{0}} ended {after.get('state')}: {slots} at risk until a run completes"
    else:
        text = f"{{0}} completed a run again: {slots} no longer at risk"
    return News(**base, kind=kind, text=text, refs=(job, *outputs), subjects=(job, *outputs))
