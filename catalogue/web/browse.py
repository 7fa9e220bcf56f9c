"""Finding data: the home page, search, autocomplete, departments, people, and
the accessibility statement. Search is ``services.search`` — the same call the
API and the CLI make — and lists come from ``services.assets.list_assets``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from catalogue.api.base import load_query
from catalogue.api.schemas import SearchQuery
from catalogue.errors import Invalid, Problem
from catalogue.http import current_principal, reading
from catalogue.services import assets, glossary, run_health
from catalogue.services.record_types import AssetRecord
from catalogue.services.search import search_assets, search_with, suggest_titles
from catalogue.web.blueprint import bp
from catalogue.web.presenters import department_slug, kind_label, sentence_case, signed_in
from search import FACET_FIELDS, SearchResults

PER_PAGE = 20
#: Facet values shown per field (values already chosen are always shown too).
FACET_VALUES_SHOWN = {"department": 50, "kind": 20, "classification": 10, "access": 10}
FACET_VALUES_DEFAULT = 10
SORT_LABELS = {"relevance": "Best match", "title": "Title (A to Z)", "updated": "Recently updated"}


def _browse(sort: str = "title", per_page: int = 1) -> SearchResults:
    """Everything the caller may see, as the search service counts it."""
    with reading() as reader:
        return search_assets(reader, "", per_page=per_page, sort=sort)


@bp.get("/")
def home() -> str:
    """A search box, browsing by department and by kind, what changed lately, counts."""
    everything = _browse()
    recent = _browse(sort="updated", per_page=6)
    return render_template(
        "web/home.html",
        total=everything.total,
        departments=everything.facets.get("department", []),
        kinds=everything.facets.get("kind", []),
        recent=recent.hits,
    )


def _search_request() -> tuple[dict[str, Any], list[Problem]]:
    """The search page's address read as the search API reads its query (one
    parser, ``SearchQuery``), except that parameters not its own are ignored. A bad
    value is not silently replaced: it is reported, and the search runs without it."""
    args = request.args.copy()
    args.setdefault("per_page", str(PER_PAGE))
    try:
        return load_query(SearchQuery, args, ignore_unknown=True), []
    except Invalid as error:
        problems = error.problems
    for bad in {p.field for p in problems if p.field}:
        args.poplist(bad)
    args.setdefault("per_page", str(PER_PAGE))
    return load_query(SearchQuery, args, ignore_unknown=True), problems


#: Where each search parameter is on the page, for the error summary's links.
_FIELD_ON_PAGE = {"q": "#search-q", "sort": "#sort"}


def _facet_groups(results: SearchResults, chosen: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each facet as checkbox items: the commonest values, plus any already chosen."""
    groups = []
    for name in FACET_FIELDS:
        counts = results.facets.get(name, [])
        shown = counts[: FACET_VALUES_SHOWN.get(name, FACET_VALUES_DEFAULT)]
        values = {value for value, _ in shown}
        shown += [(v, 0) for v in chosen.get(name, []) if v not in values]
        if not shown:
            continue
        groups.append(
            {
                "name": name,
                "items": shown,
                "chosen": chosen.get(name, []),
                "more": max(0, len(counts) - len(shown)),
            }
        )
    return groups


def _pagination(results: SearchResults, args: dict[str, Any]) -> dict[str, Any] | None:
    """The GOV.UK pagination component's options for these results."""
    if results.pages <= 1:
        return None

    def href(page: int) -> str:
        return url_for("web.search", **{**args, "page": page})

    pages = sorted({1, results.pages, *range(results.page - 2, results.page + 3)})
    items: list[dict[str, Any]] = []
    for number in (p for p in pages if 1 <= p <= results.pages):
        if items and number - items[-1].get("number", number) > 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append({"number": number, "href": href(number), "current": number == results.page})
    for item in items:
        if item.get("ellipsis"):
            item.pop("number")
    options: dict[str, Any] = {"items": items, "landmarkLabel": "Results pages"}
    if results.page > 1:
        options["previous"] = {"href": href(results.page - 1)}
    if results.page < results.pages:
        options["next"] = {"href": href(results.page + 1)}
    return options


@bp.get("/search")
def search() -> str | tuple[str, int]:
    """Search results with facets as checkbox filters, highlights, "did you mean",
    sorting and pagination."""
    params, problems = _search_request()
    params["q"] = q = params["q"].strip()
    chosen = {f: params[f] for f in FACET_FIELDS if params.get(f)}
    sort = params["sort"]
    with reading() as reader:
        results = search_with(reader, params)
        if results.pages and params["page"] > results.pages:  # an old link past the end
            results = search_with(reader, {**params, "page": results.pages})
        term = glossary.term_named(reader, q)
        # One read of the failed runs for the whole page, its tags beside each result.
        at_risk = run_health.at_risk(reader) if results.hits else {}
    args: dict[str, Any] = {"q": q, "sort": sort, **chosen}
    errors = [
        {"text": f"{sentence_case(p.field or 'search')}: {p.message}",
         "href": _FIELD_ON_PAGE.get(p.field or "", "#search-q")}
        for p in problems
    ]  # fmt: skip
    page = render_template(
        "web/search.html",
        term=term,
        at_risk=at_risk,
        errors=errors,
        q=q,
        sort=sort,
        sorts=SORT_LABELS,
        chosen=chosen,
        results=results,
        facets=_facet_groups(results, chosen),
        pagination=_pagination(results, {k: v for k, v in args.items() if v}),
        first=(results.page - 1) * results.per_page + 1,
        last=(results.page - 1) * results.per_page + len(results.hits),
    )
    return (page, 400) if problems else page


@bp.get("/search/suggest.json")
def suggest() -> Response:
    """Titles for the search box's autocomplete (only what the caller may see)."""
    prefix = request.args.get("q", "")
    pairs: list[tuple[str, str]] = []
    if prefix.strip():
        with reading() as reader:
            pairs = suggest_titles(reader, prefix)
    return jsonify(
        suggestions=[
            {"key": key, "title": title, "url": url_for("web.asset", key=key)}
            for key, title in pairs
        ]
    )


@bp.get("/departments")
def departments() -> str:
    """Every department with the number of assets the caller may see."""
    return render_template(
        "web/departments.html", departments=_browse().facets.get("department", [])
    )


@bp.get("/departments/<slug>")
def department(slug: str) -> str:
    """One department's assets by kind, and the people who own and steward them."""
    names = {department_slug(name): name for name, _ in _browse().facets.get("department", [])}
    if slug not in names:
        abort(404, description="There is no department at this address.")
    name = names[slug]
    with reading() as reader:
        records = assets.list_assets(reader, department=name)
    by_kind: dict[str, list[AssetRecord]] = {}
    for record in sorted(records, key=lambda r: r["title"].lower()):
        by_kind.setdefault(record["kind"], []).append(record)
    people = people_of(records)
    return render_template(
        "web/department.html",
        name=name,
        by_kind=sorted(by_kind.items(), key=lambda item: kind_label(item[0])),
        total=len(records),
        people=people,
    )


def people_of(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Owners and stewards named by ``records``, with how many assets each holds."""
    found: dict[str, dict[str, Any]] = {}
    for record in records:
        for role in ("owner", "steward"):
            email = record.get(f"{role}_email")
            if not email:
                continue
            person = found.setdefault(
                email, {"name": record.get(role) or email, "email": email, "owner": 0, "steward": 0}
            )
            person[role] += 1
    return sorted(found.values(), key=lambda p: p["name"].lower())


@bp.get("/people/<email>")
def person(email: str) -> str:
    """What one person owns and stewards, among the assets the caller may see."""
    email = email.strip().lower()
    with reading() as reader:
        records = assets.list_assets(reader)
    owns = [r for r in records if (r.get("owner_email") or "").lower() == email]
    stewards = [r for r in records if (r.get("steward_email") or "").lower() == email]
    me = (current_principal().email or "").lower() == email
    if not owns and not stewards and not me:
        abort(
            404, description="No one with that email address owns or stewards an asset you can see."
        )
    named = owns[0]["owner"] if owns else stewards[0]["steward"] if stewards else None
    if named is None and me:
        named = current_principal().name
    return render_template(
        "web/person.html",
        name=named or email,
        email=email,
        owns=sorted(owns, key=lambda r: r["title"].lower()),
        stewards=sorted(stewards, key=lambda r: r["title"].lower()),
        me=me,
    )


@bp.get("/me")
@signed_in
def me() -> Response:
    """The signed-in person's own page: what they own and steward."""
    principal = current_principal()
    if not principal.email:
        abort(404, description="Your account has no email address, so no asset names you.")
    return redirect(url_for("web.person", email=principal.email))


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement the 2018 regulations require."""
    return render_template("web/accessibility.html")
