"""Asset records as CKAN's dicts: packages, resources, tags, organisations
(departments) and groups (EU data themes). Pure functions of a record; the
fields follow CKAN 2.11's ``package_show`` so harvesters and ``ckanapi`` read
them as they read any CKAN."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from catalogue.services.publishing import (
    THEMES,
    distributions,
    licence,
    package_name,
    slug,
    stable_id,
    theme,
)


def ckan_time(value: str | None) -> str | None:
    """CKAN's timestamps: naive UTC ISO 8601."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def organization_dict(department: str, count: int | None = None) -> dict[str, Any]:
    org: dict[str, Any] = {
        "id": stable_id("organization", department),
        "name": slug(department),
        "title": department,
        "display_name": department,
        "description": "",
        "image_url": "",
        "is_organization": True,
        "state": "active",
        "type": "organization",
        "approval_status": "approved",
    }
    if count is not None:
        org["package_count"] = count
    return org


def group_dict(code: str, count: int | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {
        "id": stable_id("group", code),
        "name": code.lower(),
        "title": THEMES[code],
        "display_name": THEMES[code],
        "description": f"EU data theme {code}",
        "image_url": "",
        "is_organization": False,
        "state": "active",
        "type": "group",
        "approval_status": "approved",
    }
    if count is not None:
        group["package_count"] = count
    return group


def tag_dict(name: str) -> dict[str, Any]:
    return {
        "id": stable_id("tag", name),
        "name": name,
        "display_name": name,
        "state": "active",
        "vocabulary_id": None,
    }


def _resources(record: Mapping[str, Any], package_id: str) -> list[dict[str, Any]]:
    created = ckan_time(record["created_at"])
    return [
        {
            "id": d["id"],
            "package_id": package_id,
            "name": d["name"],
            "description": "",
            "format": d["format"] or "",
            "url": d["url"],
            "mimetype": d["mimetype"],
            "size": None,
            "created": created,
            "last_modified": None,
            "position": d["position"],
            "state": "active",
            "url_type": None,
            "hash": "",
            "resource_type": None,
        }
        for d in distributions(record)
    ]


def _extras(record: Mapping[str, Any], api_url: str) -> list[dict[str, str]]:
    values = {
        "catalogue_key": record["key"],
        "catalogue_url": api_url,
        "kind": record["kind"],
        "classification": record["classification"],
        "access": record["access"],
        "update_frequency": record.get("update_frequency"),
        "last_updated": record.get("last_updated"),
        "theme": theme(record),
    }
    return [{"key": k, "value": str(v)} for k, v in values.items() if v is not None]


def package_dict(record: Mapping[str, Any], api_url: str) -> dict[str, Any]:
    """A CKAN package dict of an asset record (``api_url``: the asset in our API)."""
    package_id = stable_id("asset", record["key"])
    licensed = licence(record)
    department = record.get("department")
    location = record.get("location") or ""
    resources = _resources(record, package_id)
    return {
        "id": package_id,
        "name": package_name(record["key"]),
        "title": record["title"],
        "notes": record.get("description") or "",
        "url": location if location.startswith(("http://", "https://")) else None,
        "version": None,
        "author": record.get("owner"),
        "author_email": record.get("owner_email"),
        "maintainer": record.get("steward") or record.get("owner"),
        "maintainer_email": record.get("contact_email")
        or record.get("steward_email")
        or record.get("owner_email"),
        "license_id": licensed[0] if licensed else None,
        "license_title": licensed[1] if licensed else None,
        "license_url": licensed[2] if licensed else None,
        "isopen": bool(licensed and licensed[3]),
        "state": "active" if record["status"] == "active" else "deleted",
        "type": "dataset",
        "private": record["access"] != "open",
        # An imported package keeps its source's times (#14); ours otherwise.
        "metadata_created": ckan_time(record.get("source_created") or record["created_at"]),
        "metadata_modified": ckan_time(record.get("source_modified") or record["updated_at"]),
        "creator_user_id": None,
        "owner_org": stable_id("organization", department) if department else None,
        "organization": organization_dict(department) if department else None,
        "groups": [group_dict(theme(record))],
        "tags": [tag_dict(t) for t in record.get("tags") or []],
        "num_tags": len(record.get("tags") or []),
        "extras": _extras(record, api_url),
        "resources": resources,
        "num_resources": len(resources),
        "relationships_as_subject": [],
        "relationships_as_object": [],
    }
