"""The business glossary (#18): add, change, read and trace the council's terms.

A term is versioned like an asset: each change is a ``glossary.create`` or
``glossary.update`` row in ``change_log`` under the key ``glossary:<slug>``,
written in the same transaction as the term. Who may change terms follows the
assets' rule: admins any, stewards those of their own department or that they
own. Any signed-in user reads them, as they read the internal catalogue.

A term's name and synonyms are one namespace across the glossary: no word may
name two terms, so "LAC" always means one thing when search expands it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from catalogue.glossary_models import GlossaryTerm
from catalogue.models import Asset, ChangeLog, Department
from catalogue.services.access import Principal, can_read
from catalogue.services.changes import Writer, change_entry
from catalogue.services.context import Reader
from catalogue.services.publishing import slug as slug_of
from catalogue.services.record_types import AssetTerm, ChangeEntry, GlossaryTermRecord, TermLink
from catalogue.services.records import asset_record

STATUSES = ("draft", "approved")
#: The change log's key of a term: never a valid asset key (":" is not allowed in one).
LOG_PREFIX = "glossary:"
FIELDS = ("name", "definition", "synonyms", "owner", "department", "related", "assets", "status")


def log_key(slug: str) -> str:
    return LOG_PREFIX + slug


def normal(word: str) -> str:
    """How names and synonyms are compared: case and spacing do not matter."""
    return " ".join(word.casefold().split())


def term_record(term: GlossaryTerm) -> GlossaryTermRecord:
    """The plain record of a term, as the change log, the API and files hold it."""
    return {
        "slug": term.slug,
        "name": term.name,
        "definition": term.definition or "",
        "synonyms": list(term.synonyms or []),
        "owner": term.owner,
        "department": term.department.name if term.department else None,
        "related": list(term.related or []),
        "assets": list(term.links or []),
        "status": term.status,
        "version": term.version,
        "created_at": term.created_at.isoformat(),
        "updated_at": term.updated_at.isoformat(),
    }


def require_signed_in(principal: Principal, slug: str | None = None) -> None:
    """Terms are read like the internal catalogue: by anyone signed in."""
    if not principal.signed_in:
        raise NotFound(f"no glossary term {slug!r}" if slug else "the glossary is for staff")


def can_change(principal: Principal, record: Mapping[str, Any]) -> bool:
    """Admins change any term; stewards those of their department or that they own."""
    if principal.role == "admin":
        return True
    if principal.role != "steward":
        return False
    mine = {normal(n) for n in (principal.email, principal.name) if n}
    in_department = principal.department is not None and record.get("department") == (
        principal.department
    )
    return in_department or normal(record.get("owner") or "") in mine


def find_term(session: Session, slug: str) -> GlossaryTerm | None:
    return session.scalar(select(GlossaryTerm).where(GlossaryTerm.slug == slug))


def get_term(reader: Reader, slug: str) -> GlossaryTermRecord:
    """The record of term ``slug``; NotFound naming it (or to someone not signed in)."""
    session, principal = reader.session, reader.principal
    require_signed_in(principal, slug)
    term = find_term(session, slug)
    if term is None:
        raise NotFound(f"no glossary term {slug!r}; `catalogue glossary list` lists them")
    return term_record(term)


def list_terms(
    reader: Reader,
    status: str | None = None,
    department: str | None = None,
) -> list[GlossaryTermRecord]:
    """Terms A–Z by name, optionally only one status or department.
    Raises Invalid (unknown status) or NotFound (unknown department)."""
    session, principal = reader.session, reader.principal
    require_signed_in(principal)
    if status is not None and status not in STATUSES:
        raise Invalid(
            f"unknown status {status!r}",
            [Problem(f"must be one of: {', '.join(STATUSES)}", "status", status)],
        )
    query = select(GlossaryTerm)
    if department is not None:
        _department(session, department)
        query = query.join(GlossaryTerm.department).where(Department.name == department)
    if status is not None:
        query = query.where(GlossaryTerm.status == status)
    records = [term_record(t) for t in session.scalars(query)]
    return sorted(records, key=lambda r: normal(r["name"]))


def history(reader: Reader, slug: str) -> list[ChangeEntry]:
    """Every change to term ``slug``, oldest first."""
    session = reader.session
    get_term(reader, slug)
    rows = session.scalars(
        select(ChangeLog).where(ChangeLog.asset_key == log_key(slug)).order_by(ChangeLog.seq)
    )
    return [change_entry(r) for r in rows]


def add_term(
    writer: Writer,
    data: Mapping[str, Any],
    source: str | None = None,
    coming: Collection[str] = (),
) -> GlossaryTermRecord:
    """Add a term. Raises Invalid (a field, naming it and the allowed values),
    Conflict (its name or a synonym is already another term's word) or
    Forbidden (a steward adding a term for another department). ``coming``:
    slugs of terms the same transaction adds next, which ``related`` may name."""
    values = validate(writer.session, data, partial=False, source=source, coming=coming)
    slug = slug_of(values["name"])
    if find_term(writer.session, slug) is not None:
        raise Conflict(f"a glossary term {slug!r} already exists: change it with update")
    record = {**{f: None for f in FIELDS}, **values}
    if not can_change(writer.principal, record):
        raise Forbidden(
            f"you may not add {values['name']!r}: stewards add terms for their own "
            "department, or name themselves owner"
        )
    check_words(writer.session, slug, values["name"], values.get("synonyms", []))
    term = GlossaryTerm(slug=slug, version=1, created_at=writer.now, updated_at=writer.now)
    _fill(writer.session, term, {"definition": "", "status": "draft", **values})
    writer.session.add(term)
    writer.session.flush()
    after = term_record(term)
    writer.log("glossary.create", log_key(slug), None, after)
    return after


def update_term(
    writer: Writer,
    slug: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    source: str | None = None,
    coming: Collection[str] = (),
) -> GlossaryTermRecord:
    """Change some fields of term ``slug``; a change that changes nothing writes
    nothing. Raises NotFound, Invalid, Conflict (a word of another term, or a
    stale ``expected_version``) or Forbidden."""
    term = find_term(writer.session, slug)
    if term is None:
        raise NotFound(f"no glossary term {slug!r}; `catalogue glossary list` lists them")
    before = term_record(term)
    if not can_change(writer.principal, before):
        raise Forbidden(
            f"you may not change {slug!r}: stewards change terms of their own department "
            "or that they own"
        )
    if expected_version is not None and expected_version != term.version:
        raise Conflict(
            f"term {slug!r} has changed since you read it: you edited version "
            f"{expected_version}, the glossary now holds version {term.version}"
        )
    values = validate(writer.session, changes, partial=True, source=source, coming=coming)
    diff = {k: v for k, v in values.items() if before.get(k) != v}
    if not diff:
        return before
    if not can_change(writer.principal, {**before, **diff}):
        raise Forbidden(f"you may not move {slug!r} out of your own department")
    check_words(
        writer.session, slug, diff.get("name", term.name), diff.get("synonyms", before["synonyms"])
    )
    _fill(writer.session, term, diff)
    term.updated_at = writer.now
    writer.session.flush()
    after = term_record(term)
    writer.log("glossary.update", log_key(slug), before, after)
    return after


def validate(
    session: Session,
    data: Mapping[str, Any],
    partial: bool,
    source: str | None = None,
    coming: Collection[str] = (),
) -> dict[str, Any]:
    """Checked values of a term record; Invalid listing every problem (field,
    allowed values, and where in a file when ``source`` says)."""
    from catalogue.glossary_schema import load_term

    problems: list[Problem] = []
    try:
        values = load_term(data, partial=partial, source=source)
    except Invalid as error:
        # Say everything at once: the department too, if the record names one.
        problems = list(error.problems)
        raw = data.get("department") if isinstance(data, Mapping) else None
        values = {"department": raw} if isinstance(raw, str) else {}
    if values.get("department") is not None:
        known = _department_names(session)
        if values["department"] not in known:
            message = "unknown department; the catalogue knows: " + ", ".join(known)
            problems.append(Problem(message, "department", source=source))
    for slug in values.get("related", []):
        if slug not in coming and find_term(session, slug) is None:
            problems.append(Problem(f"no glossary term {slug!r}", "related", source=source))
    problems += _link_problems(session, values.get("assets", []), source)
    if problems:
        raise Invalid("the glossary term is not valid", problems)
    return values


def _link_problems(session: Session, links: Iterable[str], source: str | None) -> list[Problem]:
    problems = []
    for link in links:
        key, _, column = link.partition(":")
        asset = session.scalar(select(Asset).where(Asset.key == key))
        if asset is None:
            problems.append(Problem(f"no asset with key {key!r}", "assets", source=source))
        elif column and column not in {c.name for c in asset.columns}:
            names = ", ".join(c.name for c in asset.columns) or "none"
            message = f"asset {key!r} has no column {column!r} (its columns: {names})"
            problems.append(Problem(message, "assets", source=source))
    return problems


def check_words(session: Session, slug: str, name: str, synonyms: Iterable[str]) -> None:
    """Conflict naming the other term when the name or a synonym is already a
    word (name or synonym) of another term: nothing is written."""
    taken: dict[str, tuple[str, str]] = {}
    for other in session.scalars(select(GlossaryTerm).where(GlossaryTerm.slug != slug)):
        taken[normal(other.name)] = (other.name, "name")
        for synonym in other.synonyms or []:
            taken.setdefault(normal(synonym), (other.name, "synonym"))
    for role, word in [("name", name), *(("synonym", s) for s in synonyms)]:
        if normal(word) in taken:
            owner, how = taken[normal(word)]
            raise Conflict(
                f"the {role} {word!r} is already the {how} of the term {owner!r}: "
                "a word may name only one term"
            )


def _department_names(session: Session) -> list[str]:
    return list(session.scalars(select(Department.name).order_by(Department.name)))


def _department(session: Session, name: str) -> Department:
    found = session.scalar(select(Department).where(Department.name == name))
    if found is None:
        known = ", ".join(_department_names(session))
        raise NotFound(f"no department called {name!r}; the catalogue knows: {known}")
    return found


def _fill(session: Session, term: GlossaryTerm, values: Mapping[str, Any]) -> None:
    for name in ("name", "definition", "owner", "status"):
        if name in values:
            setattr(term, name, values[name])
    if "synonyms" in values:
        term.synonyms = list(values["synonyms"])
    if "related" in values:
        term.related = list(values["related"])
    if "assets" in values:
        term.links = list(values["assets"])
    if "department" in values:
        department = values["department"]
        term.department = _department(session, department) if department else None


# -- reading the glossary beside the assets -------------------------------------------


def linked_assets(reader: Reader, record: Mapping[str, Any]) -> list[TermLink]:
    """The assets and columns a term describes that ``principal`` may see:
    ``{key, title, column}``, by title."""
    session, principal = reader.session, reader.principal
    wanted: dict[str, list[str | None]] = {}
    for link in record.get("assets", []):
        key, _, column = link.partition(":")
        wanted.setdefault(key, []).append(column or None)
    if not wanted:
        return []
    found = session.scalars(select(Asset).where(Asset.key.in_(wanted)))
    rows: list[TermLink] = []
    for asset in found:
        data = asset_record(asset)
        if can_read(principal, data):
            rows += [
                {"key": asset.key, "title": asset.title, "column": c} for c in wanted[asset.key]
            ]
    return sorted(rows, key=lambda r: (r["title"].lower(), r["column"] or ""))


def terms_for_asset(reader: Reader, key: str) -> list[AssetTerm]:
    """The terms that describe asset ``key`` or one of its columns:
    ``{slug, name, status, column}`` (the glossary is small: read whole)."""
    session, principal = reader.session, reader.principal
    if not principal.signed_in:
        return []
    out: list[AssetTerm] = []
    for term in session.scalars(select(GlossaryTerm)):
        for link in term.links or []:
            linked, _, column = link.partition(":")
            if linked == key:
                out.append(
                    {"slug": term.slug, "name": term.name, "status": term.status, "column": column}
                )
    return sorted(out, key=lambda t: (t["column"] or "", normal(t["name"])))


def synonym_groups(session: Session) -> dict[str, list[str]]:
    """Approved terms' words as search synonym groups: {name: [synonyms]}."""
    query = select(GlossaryTerm.name, GlossaryTerm.synonyms).where(
        GlossaryTerm.status == "approved"
    )
    return {name: list(synonyms or []) for name, synonyms in session.execute(query) if synonyms}


def term_named(reader: Reader, query: str) -> GlossaryTermRecord | None:
    """The approved term whose name or a synonym is exactly ``query`` (case and
    spacing aside), for showing its definition above search results."""
    session, principal = reader.session, reader.principal
    wanted = normal(query)
    if not wanted or not principal.signed_in:
        return None
    for term in session.scalars(select(GlossaryTerm).where(GlossaryTerm.status == "approved")):
        if wanted in {normal(term.name), *(normal(s) for s in term.synonyms or [])}:
            return term_record(term)
    return None
