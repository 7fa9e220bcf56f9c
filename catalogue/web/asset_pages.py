"""One asset: everything recorded about it, what feeds it and what it feeds,
the sensitivity it inherits, and its history.

Everything comes from the services the API and CLI call (``assets.get``,
``assets.history``, ``lineage.neighbours``, ``lineage.trace``), with the caller's
principal, so what a person may not see is not found here either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from markupsafe import Markup

from catalogue.http import current_principal, reading
from catalogue.services import assets, glossary, lineage, run_health
from catalogue.services.access import HIDDEN_ASSET, can_write
from catalogue.services.column_links import by_column, column_links
from catalogue.services.harvest import review as harvest_review
from catalogue.services.harvest.compare import SCHEMA_CHANGE, column_changes
from catalogue.services.openlineage import COLUMN_LINEAGE_ACTION
from catalogue.services.record_types import AssetRecord, ChangeEntry
from catalogue.services.sight import Sight, shown_record
from catalogue.web.blueprint import bp
from catalogue.web.governance_pages import review_state
from catalogue.web.presenters import ACTIONS
from catalogue.web.watch_pages import last_write_in, risk_sentence, watch_state_in

RECENT_CHANGES = 5
#: Columns shown on an asset's page until someone asks for all of them
#: (``?columns=all``): a harvested table of 1,000 columns would otherwise make
#: its page five times an ordinary one's (issue #21).
COLUMNS_SHOWN = 200
BOOKKEEPING = ("version", "created_at", "updated_at")
FIELD_NAMES = {
    "kind": "kind",
    "title": "title",
    "description": "description",
    "tags": "tags",
    "department": "department",
    "source_system": "source system",
    "location": "location",
    "owner": "owner",
    "owner_email": "owner's email",
    "steward": "steward",
    "steward_email": "steward's email",
    "contact_email": "contact email",
    "classification": "classification",
    "access": "access",
    "licence": "licence",
    "personal_data": "personal data",
    "special_category": "special category data",
    "lawful_basis": "lawful basis",
    "article9_condition": "Article 9 condition",
    "retention_period": "retention period",
    "dpia_reference": "DPIA reference",
    "purpose": "purpose of processing",
    "data_subjects": "categories of data subjects",
    "personal_data_categories": "categories of personal data",
    "recipients": "recipients",
    "international_transfers": "international transfers",
    "last_reviewed": "last reviewed",
    "last_reviewed_by": "last reviewed by",
    "last_review_note": "review note",
    "update_frequency": "update frequency",
    "last_updated": "last updated",
    "review_date": "review date",
    "status": "status",
    "columns": "columns",
    "links": "links",
}


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ", ".join(str(v.get("name") or v.get("url") or "") for v in value)
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def asset_link(sight: Sight, key: str | None) -> Markup | str:
    """An asset named in a history line: its title, linked to its page; the
    placeholder for one the caller may not see (its key is not shown either)."""
    if not key or not sight.visible(key):
        return HIDDEN_ASSET
    title = sight.graph.node(key).get("title") or key
    return Markup('<a class="govuk-link" href="{}">{}</a>').format(
        url_for("web.asset", key=key), title
    )


def describe(change: ChangeEntry, sight: Sight) -> list[str | Markup]:
    """What one change did, in lines a person reads. Assets it names appear as
    their titles linked to their pages; those the caller may not see (an edge
    from a restricted asset) are not shown."""
    visible: Callable[[str], bool] = sight.visible
    before, after = change.get("before") or {}, change.get("after") or {}
    if change["action"].startswith("edge."):
        edge = after or before
        name = asset_link(sight, edge.get("upstream"))
        via = edge.get("via")
        via_text = Markup(" via {}").format(asset_link(sight, via)) if via and visible(via) else ""
        verb = "now feeds this" if change["action"] == "edge.add" else "no longer feeds this"
        return [Markup("{} {}{}").format(name, verb, via_text)]
    if change["action"] in ("run.fail", "run.recover"):
        outputs = [asset_link(sight, k) for k in after.get("outputs") or [] if visible(k)]
        what = "at risk" if change["action"] == "run.fail" else "no longer at risk"
        shown = Markup(", ").join(outputs) if outputs else _value(None)
        return [Markup("A run ended {}: {} {}").format(after.get("state"), shown, what)]
    if change["action"] == "asset.review":
        note = after.get("last_review_note")
        return ["Confirmed still correct" + (f": {note}" if note else "")]
    if change["action"] == "asset.create":
        return [f"Registered as a {after.get('kind', 'asset').replace('_', ' ')}"]
    if change["action"] == COLUMN_LINEAGE_ACTION:
        traced = sorted((after.get("column_lineage") or {}).keys())
        return [f"Column lineage recorded for {len(traced)} columns: {_value(traced)}"]
    if change["action"] == harvest_review.DISMISS:
        return [f"Column {after.get('column')}: flag for review dismissed, not personal data"]
    return _field_lines(change["action"], before, after) or ["No field changed"]


def _field_lines(action: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """A line for each field a change to an asset's record changed: before and
    after, or only that it changed for long text and lists."""
    lines: list[str] = []
    for name in after:
        if name in BOOKKEEPING or before.get(name) == after.get(name):
            continue
        label = FIELD_NAMES.get(name, name)
        if name == "columns" and action == SCHEMA_CHANGE:
            lines.extend(
                line[0].upper() + line[1:]
                for line in column_changes(before.get(name) or [], after.get(name) or [])
            )
        elif name in ("description", "columns", "links"):
            lines.append(f"{label.capitalize()} changed")
        else:
            lines.append(
                f"{label.capitalize()}: {_value(before.get(name))} → {_value(after.get(name))}"
            )
    return lines


def presented_history(changes: list[ChangeEntry], sight: Sight) -> list[dict[str, Any]]:
    """Newest first, each with its label and what it changed."""
    return [
        {
            "seq": c["seq"],
            "time": c["time"],
            "actor": c["actor"],
            "action": ACTIONS.get(c["action"], c["action"]),
            "lines": describe(c, sight),
        }
        for c in reversed(changes)
    ]


@bp.get("/assets/<key>")
def asset(key: str) -> str:
    """Every field of one asset, its neighbours, inherited sensitivity and recent history.

    Everything the page shows is read here, in one session: the template asks
    the database nothing. Each session is a connection taken from the pool and
    a transaction begun and rolled back, three round trips on PostgreSQL before
    the first query; the page's helpers (watching, run health, last write)
    each took their own until #21."""
    principal = current_principal()
    with reading() as reader:
        all_columns = request.args.get("columns") == "all"
        record, column_count = assets.get_shown(reader, key, None if all_columns else COLUMNS_SHOWN)
        sight = Sight(reader)
        graph = sight.graph
        upstream = lineage.neighbours(reader, key, "upstream", depth=1)
        downstream = lineage.neighbours(reader, key, "downstream", depth=1)
        risks = run_health.at_risk(reader)
        traced = lineage.trace(reader, key, risks=risks)
        inherited = traced.inherited
        changes, change_count = assets.recent_history(reader, key, RECENT_CHANGES)
        harvested = harvest_review.harvest_info(reader.session, key)
        flags = harvest_review.open_flags(reader.session, key) if harvested else {}
        column_lineage = by_column(column_links(reader.session, key, sight.visible))
        terms = glossary.terms_for_asset(reader, key)
        page_state = _runs_and_watch(sight, record, risks)
    source_system = record.get("source_system")
    shown = shown_record(record, sight)
    return render_template(
        "web/asset.html",
        columns=record["columns"],
        column_count=column_count,
        record=shown,
        hidden_source_system=bool(source_system) and not shown["source_system"],
        upstream=upstream,
        downstream=downstream,
        inherited=inherited,
        hidden_upstream=traced.hidden_upstream,
        titles={k: graph.node(k).get("title") for i in inherited for k in i["path"] if k},
        history=presented_history(changes, sight),
        more_history=max(0, change_count - RECENT_CHANGES),
        can_edit=can_write(principal, record),
        review=review_state(record, principal),
        source_system_link=source_system
        if source_system and sight.visible(source_system)
        else None,
        harvested=harvested,
        flags=flags,
        column_lineage=column_lineage,
        terms=terms,
        **page_state,
    )


def _runs_and_watch(
    sight: Sight, record: AssetRecord, risks: dict[str, run_health.Risk]
) -> dict[str, Any]:
    """What the asset page says of pipeline runs (at risk, the last write, a
    pipeline's runs) and whether the person watches it, read in ``sight``'s session."""
    key, session = record["key"], sight.reader.session
    pipeline = record["kind"] == "pipeline"
    return {
        "risk": risk_sentence(sight, key, risks),
        "write": None if pipeline else last_write_in(sight, key),
        "runs": run_health.run_history(session, key) if pipeline else [],
        "watch": watch_state_in(session, sight.reader.principal, "asset", key),
    }


@bp.get("/assets/<key>/history")
def asset_history(key: str) -> str:
    """Every change to an asset and its lineage: when, who, and what changed."""
    with reading() as reader:
        record = assets.get(reader, key)
        changes = assets.history(reader, key, checked=True)
        sight = Sight(reader)
    return render_template(
        "web/history.html", record=record, history=presented_history(changes, sight)
    )
