"""Map CKAN packages (the Action API's package dicts) to catalogue asset records.

Pure: the standard library only, no database and no network. The importer service
reads packages with `read_packages`, maps each with `package_to_record`, and writes
the records through the service layer like any other.

Decisions a reader should know:

- The key is the package's CKAN ``name`` (see `key_for`): unchanged when it is a
  valid CKAN name, so it stays the one a CKAN client uses; otherwise slugged to the
  catalogue's alphabet ``[a-z0-9][a-z0-9._-]*`` with a short hash suffix so that
  names which slug alike stay distinct. CKAN names are unique within a portal, so
  keys are too. Keys are *not* prefixed with the organisation: portals that need it
  already do so (the Scottish aggregator's names begin with the publisher), and a
  prefix would change keys whenever a dataset moves between organisations.
  Importing several portals into one catalogue? Pass ``key_prefix``.
- Records carry one key beyond records.md: ``links``, a list of
  ``{"name", "url", "format"}`` for the package's resources (downloads, APIs).
- author/author_email are the owner, maintainer/maintainer_email the steward, each
  standing in for the other when missing; organization.title is the department;
  tags and group titles together are the tags; metadata_modified is last_updated.
- Access is 'open', classification 'OFFICIAL', status 'active': a published CKAN
  package is open data. A deleted or private package is still mapped; the caller
  decides whether to import it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from catalogue.text import one_line

KEY_MAX = 200
OGL3 = "OGL-UK-3.0"

#: CKAN licence ids and titles (lower-cased) -> the catalogue's licence names.
_LICENCES = {
    "uk-ogl": OGL3,
    "ogl-uk-3.0": OGL3,
    "ogl3": OGL3,
    "ogl": OGL3,
    "uk open government licence (ogl)": OGL3,
    "uk open government licence v3.0": OGL3,
    "open government licence v3.0": OGL3,
    "open government licence": OGL3,
    "ogl-uk-2.0": "OGL-UK-2.0",
    "uk open government licence v2.0": "OGL-UK-2.0",
    "cc-by": "CC-BY-4.0",
    "cc-by-4.0": "CC-BY-4.0",
    "creative commons attribution": "CC-BY-4.0",
    "creative commons attribution 4.0 international": "CC-BY-4.0",
    "cc-by-sa": "CC-BY-SA-4.0",
    "cc-zero": "CC0-1.0",
    "cc0-1.0": "CC0-1.0",
    "creative commons cc0": "CC0-1.0",
    "odc-odbl": "ODbL-1.0",
    "open data commons open database license 1.0": "ODbL-1.0",
    "odc-pddl": "PDDL-1.0",
    "other-pd": "Public Domain",
    "public domain": "Public Domain",
}
_CKAN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,199}")
_OGL_URL = re.compile(r"open-government-licence/version/(\d)", re.IGNORECASE)
_BLOCK_TAG_NAMES = "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre section"
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_HTML_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with line breaks at block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Return the readable text of an HTML (or plain/Markdown) fragment.

    Tags are dropped, entities decoded, runs of spaces collapsed and at most one
    blank line kept between paragraphs. Plain text passes through with only its
    whitespace tidied. Never raises.
    """
    if not markup:
        return ""
    if _HTML_HINT.search(markup):
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        text = html.unescape("".join(parser.parts))
    else:
        text = markup
    lines = [_clean(line) or "" for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def slug(text: str) -> str:
    """Return `text` as a key: URL-decoded, ASCII, lower-case, runs of other
    characters as '-', at most 200 characters. Returns '' if nothing is left."""
    text = unquote_plus(text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9._]+", "-", text.lower())
    text = re.sub(r"-{2,}", "-", text).strip("-._")
    return text[:KEY_MAX].rstrip("-._")


def key_for(name: str) -> str:
    """Return the catalogue key for CKAN package name `name`.

    A name CKAN itself accepts (``[a-z0-9_-]``, as every real CKAN portal's are) is
    the key unchanged. Any other name (some aggregators use titles or file names)
    is slugged and given a 6-hex-digit suffix from a hash of the name, because
    slugging loses distinctions: "polling places (moray)" and "polling places -
    moray" are different datasets. The key is the same on every import.
    """
    if _CKAN_NAME.fullmatch(name):
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    base = slug(name)[: KEY_MAX - 7].rstrip("-._")
    return f"{base}-{digest}" if base else digest


def licence_for(pkg: dict) -> str | None:
    """Return the catalogue licence name for a package's license_id/title/url.

    Known UK and Creative Commons licences map to their short names (every spelling
    of the OGL v3 to 'OGL-UK-3.0'); an unknown licence keeps its CKAN title or id;
    None if the package names none.
    """
    for value in (pkg.get("license_id"), pkg.get("license_title")):
        if isinstance(value, str) and value.strip().lower() in _LICENCES:
            return _LICENCES[value.strip().lower()]
    url = pkg.get("license_url")
    if isinstance(url, str) and (m := _OGL_URL.search(url)):
        return f"OGL-UK-{m.group(1)}.0"
    return _clean(pkg.get("license_title")) or _clean(pkg.get("license_id"))


def _clean(value: Any) -> str | None:
    """One line of text: control characters (another system's stray escape codes
    or tabs) become spaces, runs of spaces one; None for nothing or not text."""
    if not isinstance(value, str):
        return None
    return one_line(value) or None


def _email(value: Any) -> str | None:
    value = _clean(value)
    return value.lower() if value and "@" in value else None


def _date(value: Any) -> str | None:
    value = _clean(value)
    if value and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None


def _time(value: Any) -> str | None:
    """A CKAN time (ISO 8601, UTC without a zone) as ISO 8601 in UTC; None if it is
    not one."""
    value = _clean(value)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _names(items: Any, *fields: str) -> list[str]:
    out = []
    for item in items or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(v for f in fields if isinstance(v := item.get(f), str))
    return out


def _tags(pkg: dict) -> list[str]:
    names = _names(pkg.get("tags"), "name")
    groups = [_first(g, "title", "display_name", "name") for g in pkg.get("groups") or []]
    words = (" ".join(t.split()).lower() for t in names + [g for g in groups if g])
    return sorted({w for w in words if w})


def _first(item: Any, *fields: str) -> str | None:
    if isinstance(item, str):
        return _clean(item)
    if isinstance(item, dict):
        for f in fields:
            if value := _clean(item.get(f)):
                return value
    return None


def _links(pkg: dict) -> list[dict[str, str | None]]:
    links = []
    for res in pkg.get("resources") or []:
        if isinstance(res, dict) and (url := _clean(res.get("url"))):
            links.append(
                {"name": _clean(res.get("name")), "url": url, "format": _clean(res.get("format"))}
            )
    return links


def package_to_record(pkg: dict, key_prefix: str | None = None) -> dict:
    """Return the asset record (docs/records.md, plus ``links``) for CKAN package `pkg`.

    Raises ValueError if the package has neither a usable name nor id, or no title
    and no name to make one from.
    """
    name = _clean(pkg.get("name")) or _clean(pkg.get("id"))
    key = key_for(name) if name else ""
    if key and key_prefix:
        key = f"{slug(key_prefix)}-{key}"[:KEY_MAX].rstrip("-._")
    if not key:
        raise ValueError(f"CKAN package has no usable name: {pkg.get('name')!r}")
    title = _clean(pkg.get("title")) or _clean(pkg.get("name"))
    if not title:
        raise ValueError(f"CKAN package {key!r} has no title")
    notes = pkg.get("notes") if _clean(pkg.get("notes")) else pkg.get("notes_html")
    links = _links(pkg)
    return {
        "key": key,
        "kind": "dataset",
        "title": title,
        "description": html_to_text(notes if isinstance(notes, str) else None),
        "tags": _tags(pkg),
        "department": _first(pkg.get("organization"), "title", "name"),
        "source_system": None,
        "location": _clean(pkg.get("url")) or (links[0]["url"] if links else None),
        **_people(pkg),
        "licence": licence_for(pkg),
        "last_updated": _date(pkg.get("metadata_modified")) or _date(pkg.get("metadata_created")),
        "source_created": _time(pkg.get("metadata_created")),
        "source_modified": _time(pkg.get("metadata_modified")),
        **_OPEN_DATA,
        "columns": [],
        "links": links,
    }


#: What every published CKAN package is: open, OFFICIAL, active, with no personal
#: data and nothing the package itself says about retention or review.
_OPEN_DATA = {
    "classification": "OFFICIAL",
    "access": "open",
    "personal_data": False,
    "special_category": False,
    "lawful_basis": None,
    "article9_condition": None,
    "retention_period": None,
    "dpia_reference": None,
    "update_frequency": None,
    "review_date": None,
    "status": "active",
}


def _people(pkg: dict) -> dict[str, str | None]:
    """Owner from author, steward from maintainer, each standing in for the other."""
    author, maintainer = _clean(pkg.get("author")), _clean(pkg.get("maintainer"))
    author_email = _email(pkg.get("author_email"))
    maintainer_email = _email(pkg.get("maintainer_email"))
    return {
        "owner": author or maintainer,
        "owner_email": author_email or maintainer_email,
        "steward": maintainer or author,
        "steward_email": maintainer_email or author_email,
        "contact_email": maintainer_email or author_email,
    }


#: The (name, email) field pairs of a record that name one person.
PERSON_FIELDS = (("owner", "owner_email"), ("steward", "steward_email"))


def one_name_per_email(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with each e-mail address given one name throughout.

    The catalogue keeps one person per e-mail address, so packages that name one
    address differently (Birmingham's foi.mailbox is "Accounts Payable" on eight
    packages and "foi.mailbox" on another) would rename that person back and
    forth on every import, and a second import of unchanged input would report
    updates. The name most packages use wins; a tie goes to the first in
    alphabetical order, so the choice depends only on the input.
    """
    names: dict[str, Counter[str]] = {}
    for record in records:
        for name_field, email_field in PERSON_FIELDS:
            email, name = record.get(email_field), record.get(name_field)
            if email and name:
                names.setdefault(email, Counter())[name] += 1
    chosen = {email: min(counts, key=lambda n: (-counts[n], n)) for email, counts in names.items()}
    out = []
    for record in records:
        record = dict(record)
        for name_field, email_field in PERSON_FIELDS:
            email = record.get(email_field)
            if email in chosen and record.get(name_field):
                record[name_field] = chosen[email]
        out.append(record)
    return out


def read_packages(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (position, package) for each CKAN package in the file at `path`.

    Accepts a package_search (or package_list-with-resources) response
    ``{"result": {"results": [...]}}``, a ``{"result": [...]}`` response, a JSON list
    of packages, a single package object, or JSON lines (one package per line).
    Position is the 1-based line number for JSON lines and the 1-based index in the
    list otherwise, so an error can point at the package. Raises OSError if the
    file cannot be read and ValueError (with the line number or position) if it is
    neither JSON nor JSON lines, or holds an entry that is not a package.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        yield from _json_lines(text)
        return
    packages = _package_list(data)
    _refuse_non_packages(enumerate(packages, start=1), "item")
    yield from enumerate(packages, start=1)


def _refuse_non_packages(items: Iterable[tuple[int, Any]], where: str) -> None:
    """ValueError naming every entry that is not a package (a JSON object): a
    list of packages with a number or null in it is a broken file, and
    importing the rest without a word would hide it."""
    wrong = [f"{where} {i} ({json.dumps(p)[:40]})" for i, p in items if not isinstance(p, dict)]
    if wrong:
        shown = ", ".join(wrong[:5]) + (f" and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise ValueError(f"not a package (a JSON object): {shown}; nothing was imported")


def _package_list(data: Any) -> list:
    if isinstance(data, dict) and "result" in data:
        data = data["result"]
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return data["results"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("name" in data or "id" in data):
        return [data]
    raise ValueError("JSON holds no CKAN packages (expected result.results, a list or a package)")


def _json_lines(text: str) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pkg = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from exc
        _refuse_non_packages([(number, pkg)], "line")
        yield number, pkg
