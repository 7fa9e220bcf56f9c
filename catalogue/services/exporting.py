"""`catalogue export`: the catalogue as a file that `catalogue apply` reads back.

Export, apply to an empty catalogue, export again: the two files are identical.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Asset
from catalogue.services.catalogue_file import dump_records, file_record
from catalogue.services.edges import upstream_of
from catalogue.services.records import asset_record


def export_records(session: Session, keys: set[str] | None = None) -> list[dict[str, Any]]:
    """Every asset (or those in ``keys``) in file form, by key, with current upstream."""
    current = upstream_of(session)
    out = []
    for asset in session.scalars(select(Asset).order_by(Asset.key)):
        if keys is not None and asset.key not in keys:
            continue
        upstream: list[Any] = []
        for edge in sorted(current.get(asset.key, []), key=lambda e: e["upstream"]):
            if edge["via"] is None and not edge["description"]:
                upstream.append(edge["upstream"])
            else:
                ref: dict[str, Any] = {"key": edge["upstream"]}
                if edge["via"] is not None:
                    ref["via"] = edge["via"]
                if edge["description"]:
                    ref["description"] = edge["description"]
                upstream.append(ref)
        out.append(file_record(asset_record(asset), upstream))
    return out


def export_text(session: Session, fmt: str, keys: set[str] | None = None) -> str:
    """The catalogue file; a whole YAML export carries the glossary too, in a
    ``terms:`` section beside ``assets:`` (JSON and CSV files hold assets only)."""
    records = export_records(session, keys)
    if fmt == "yaml" and keys is None:
        from catalogue.services.glossary_files import dump_with_terms, term_file_records

        terms = term_file_records(session)
        if terms:
            return dump_with_terms(records, terms)
    return dump_records(records, fmt)
