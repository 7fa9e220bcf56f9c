"""What the catalogue publishes to portals and harvesters, shared by the CKAN
Action API and DCAT so the two always agree.

- A *package* (CKAN) or ``dcat:Dataset`` is an active ``dataset`` or ``report``
  asset the caller may see: anonymous callers see ``open`` assets only. Source
  systems and pipelines are internal machinery, not publications.
- Its organisation / publisher is its department; its one theme (CKAN group,
  ``dcat:theme``) comes from the department's name, from the EU data-theme list
  (a council's Housing is "Population and society"); "Government and public
  sector" when nothing matches.
- Its distributions (CKAN resources) are its links, or its location when that is
  a web address.
- Ids are UUIDs derived from keys (stable, so harvesters can compare runs); a
  package's ``name`` is its key.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from catalogue.errors import NotFound
from catalogue.services import assets
from catalogue.services.context import Reader
from catalogue.services.record_types import AssetRecord

PUBLISHED_KINDS = ("dataset", "report")
OGL3_URL = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
#: licence name in the catalogue -> (CKAN id, title, URL, open?)
LICENCES: dict[str, tuple[str, str, str, bool]] = {
    "OGL-UK-3.0": ("uk-ogl", "UK Open Government Licence (OGL)", OGL3_URL, True),
    "OGL-UK-2.0": (
        "ogl-uk-2.0",
        "UK Open Government Licence v2.0",
        "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
        True,
    ),
    "CC-BY-4.0": (
        "cc-by",
        "Creative Commons Attribution",
        "https://creativecommons.org/licenses/by/4.0/",
        True,
    ),
    "CC-BY-SA-4.0": (
        "cc-by-sa",
        "Creative Commons Attribution Share-Alike",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        True,
    ),
    "CC0-1.0": (
        "cc-zero",
        "Creative Commons CCZero",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        True,
    ),
    "ODbL-1.0": (
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        True,
    ),
}
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
THEMES: dict[str, str] = {
    "SOCI": "Population and society",
    "EDUC": "Education, culture and sport",
    "HEAL": "Health",
    "ENVI": "Environment",
    "TRAN": "Transport",
    "ECON": "Economy and finance",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "ENER": "Energy",
    "TECH": "Science and technology",
    "GOVE": "Government and public sector",
}
#: words in a department's name -> theme (first match wins)
THEME_WORDS: tuple[tuple[str, str], ...] = (
    ("HEAL", "health|adult social care|public health|care"),
    ("EDUC", "education|school|librar|culture|leisure|sport|learning"),
    ("SOCI", "housing|homeless|children|famil|community|communities|social|neighbourhood"),
    ("TRAN", "transport|highway|parking|road|traffic"),
    ("ENVI", "environment|waste|recycl|bins|street|parks|green|climate"),
    ("ECON", "financ|revenue|benefit|council tax|business|economic|procurement|commercial"),
    ("JUST", "legal|licensing|safety|enforcement|trading standards|crime"),
    ("REGI", "planning|regeneration|place|building control"),
    ("ENER", "energy"),
    ("TECH", "digital|technology|data|ict|it services"),
)
#: Dublin Core frequency code -> EU frequency authority code (DCAT-AP)
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    "continuous": "CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "fortnightly": "BIWEEKLY",
    "monthly": "MONTHLY",
    "bimonthly": "BIMONTHLY",
    "quarterly": "QUARTERLY",
    "biannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "biennial": "BIENNIAL",
    "irregular": "IRREG",
    "never": "NEVER",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "pdf": "application/pdf",
    "xml": "application/xml",
    "html": "text/html",
    "zip": "application/zip",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def stable_id(kind: str, value: str) -> str:
    """A UUID that is always the same for the same thing."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:council-catalogue:{kind}:{value}"))


#: What CKAN accepts as a package name (its name_validator).
CKAN_NAME = re.compile(r"[a-z0-9_-]{2,100}")


def package_name(key: str) -> str:
    """The package's CKAN name: its key where CKAN would accept that, else the key
    with what CKAN refuses (the dots of harvested keys such as
    ``housing-db.public.rent_accounts``, or over 100 characters) made into dashes
    and eight characters of the key's hash added, so names stay unique and the
    same on every run."""
    if CKAN_NAME.fullmatch(key):
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    base = re.sub(r"[^a-z0-9_-]+", "-", key)[:91].strip("-")
    return f"{base}-{digest}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "none"


def theme(record: Mapping[str, Any]) -> str:
    """The EU data-theme code of a record (see the module docstring)."""
    name = (record.get("department") or "").lower()
    for code, words in THEME_WORDS:
        if name and re.search(words, name):
            return code
    return "GOVE"


def licence(record: Mapping[str, Any]) -> tuple[str, str, str | None, bool] | None:
    """(CKAN id, title, URL or None, open?) of a record's licence; None without one."""
    name = record.get("licence")
    if not name:
        return None
    if name in LICENCES:
        return LICENCES[name]
    return (slug(name), name, None, False)


def distributions(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's links (or its web location) as downloadable distributions."""
    links = [
        link for link in record.get("links") or [] if re.match(r"[a-z][a-z0-9+.-]*://", link["url"])
    ]
    location = record.get("location") or ""
    if not links and re.match(r"https?://", location):
        links = [{"url": location, "name": record["title"], "format": None}]
    out = []
    for position, link in enumerate(links):
        fmt = (link.get("format") or "").strip() or None
        out.append(
            {
                "id": stable_id("resource", f"{record['key']}\0{position}\0{link['url']}"),
                "url": link["url"],
                "name": link.get("name") or link["url"],
                "format": fmt,
                "mimetype": MEDIA_TYPES.get((fmt or "").lower()),
                "position": position,
            }
        )
    return out


def published(records: Iterable[AssetRecord]) -> list[AssetRecord]:
    return [r for r in records if r["kind"] in PUBLISHED_KINDS]


def published_records(reader: Reader, include_retired: bool = False) -> list[AssetRecord]:
    """Every package ``principal`` may see, by key (one data function for CKAN and DCAT)."""
    return published(assets.list_assets(reader, include_retired=include_retired))


def published_record(reader: Reader, key: str) -> AssetRecord:
    """One package; NotFound (as for any invisible asset) if it is not published."""
    record = assets.get(reader, key)
    if record["kind"] not in PUBLISHED_KINDS:
        raise NotFound(f"no dataset with key {key!r}")
    return record
