"""DCAT-AP 3 with rdflib, where ckanext-dcat puts it so DCAT harvesters find it:
``/catalog.ttl`` and ``/catalog.jsonld`` (100 datasets a page, with Hydra paging
links; ``?page=``, ``?modified_since=``, ``?include_private=true``) and
``/dataset/<key>.ttl`` / ``.jsonld``.

Each published dataset (see ``catalogue.services.publishing``) has title and
description (mandatory), publisher (its department), contact point, keywords,
theme (EU data theme), licence (on the dataset, as the UK metadata model wants,
and on each distribution, as DCAT-AP does), access rights (EU access-right
vocabulary), update frequency as ``dct:accrualPeriodicity`` (EU frequency
vocabulary), issued, modified and distributions with an access URL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalogue.api import file_types
from catalogue.api.base import document, refuse_nul
from catalogue.errors import CatalogueError, Invalid, NotFound, Problem
from catalogue.http import problem, reading
from catalogue.services import publishing

bp = Blueprint("dcat", __name__)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {"open": "PUBLIC", "internal": "NON_PUBLIC", "restricted": "RESTRICTED"}
PER_PAGE = 100
FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json")}
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "hydra": str(HYDRA),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "rdfs": str(RDFS),
}


bp.before_request(refuse_nul)


@bp.errorhandler(CatalogueError)
def rdf_problem(error: CatalogueError) -> Response:
    """Harvesters read JSON better than an HTML page: problems as problem+json."""
    extra = {"errors": error.field_errors()} if isinstance(error, Invalid) else {}
    return problem(error.status, error.title, error.message, **extra)


# -- building the graph ------------------------------------------------------------
def iri(url: str) -> URIRef:
    """A URL as an IRI rdflib will write (spaces and the like escaped)."""
    return URIRef(quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~"))


def base() -> str:
    return request.url_root


def publisher_name() -> str:
    config = current_app.config
    return config.get("ORGANISATION_NAME") or config.get("SERVICE_NAME") or "The council"


def _agent(g: Graph, name: str) -> URIRef:
    node = URIRef(f"{base()}organization/{publishing.slug(name)}")
    g.add((node, RDF.type, FOAF.Organization))
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(name)))
    return node


def _moment(value: str | None) -> Literal | None:
    if not value:
        return None
    if len(value) == 10:
        return Literal(date.fromisoformat(value), datatype=XSD.date)
    return Literal(datetime.fromisoformat(value).astimezone(UTC), datatype=XSD.dateTime)


def _contact(g: Graph, dataset: URIRef, record: Mapping[str, Any]) -> None:
    email = record.get("contact_email") or record.get("steward_email") or record.get("owner_email")
    name = record.get("steward") or record.get("owner") or record.get("department")
    if not (email or name):
        return
    contact = BNode()
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, Literal(name or email)))
    if email:
        g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))


def typed(g: Graph, node: Any, kind: URIRef) -> Any:
    """``node``, stated to be a ``kind``: DCAT-AP's range shapes check the class of
    each value (a licence is a dct:LicenseDocument, a landing page a
    foaf:Document...), and a harvester has no other graph to learn it from."""
    g.add((node, RDF.type, kind))
    return node


def _format(g: Graph, node: URIRef, d: dict[str, Any]) -> None:
    """The distribution's format: an EU file-type term where the vocabulary has
    one, else the portal's words as the label of a dct:MediaTypeOrExtent (see
    `catalogue.api.file_types`)."""
    found = file_types.file_type(d["format"], d["url"], d["mimetype"])
    if found is None:
        return
    if found.code:
        fmt = typed(g, URIRef(file_types.EU_FILE_TYPE + found.code), DCTERMS.MediaTypeOrExtent)
    else:
        fmt = typed(g, BNode(), DCTERMS.MediaTypeOrExtent)
        g.add((fmt, RDFS.label, Literal(found.label)))
    g.add((node, DCTERMS.format, fmt))
    if found.media_type:
        media = URIRef(file_types.IANA_MEDIA_TYPE + found.media_type)
        g.add((node, DCAT.mediaType, typed(g, media, DCTERMS.MediaType)))


def _distributions(g: Graph, dataset: URIRef, record: Mapping[str, Any], lic: Any) -> None:
    for d in publishing.distributions(record):
        node = URIRef(f"{dataset}/resource/{d['id']}")
        g.add((dataset, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCAT.accessURL, iri(d["url"])))
        g.add((node, DCTERMS.title, Literal(d["name"])))
        _format(g, node, d)
        if lic is not None:
            g.add((node, DCTERMS.license, lic))


def add_dataset(g: Graph, record: Mapping[str, Any]) -> URIRef:
    """The DCAT-AP description of one published record."""
    dataset = URIRef(f"{base()}dataset/{record['key']}")
    add = g.add
    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, DCTERMS.identifier, Literal(record["key"])))
    add((dataset, DCTERMS.title, Literal(record["title"])))
    add((dataset, DCTERMS.description, Literal(record.get("description") or record["title"])))
    add((dataset, DCTERMS.publisher, _agent(g, record.get("department") or publisher_name())))
    _contact(g, dataset, record)
    for tag in record.get("tags") or []:
        add((dataset, DCAT.keyword, Literal(tag)))
    code = publishing.theme(record)
    theme = typed(g, URIRef(publishing.EU_THEME + code), SKOS.Concept)
    add((theme, SKOS.prefLabel, Literal(publishing.THEMES[code], lang="en")))
    add((dataset, DCAT.theme, theme))
    licensed = publishing.licence(record)
    lic = iri(licensed[2]) if licensed and licensed[2] else None
    if lic is not None:
        add((dataset, DCTERMS.license, typed(g, lic, DCTERMS.LicenseDocument)))
    rights = URIRef(EU_ACCESS + ACCESS_RIGHTS[record["access"]])
    add((dataset, DCTERMS.accessRights, typed(g, rights, DCTERMS.RightsStatement)))
    frequency = publishing.FREQUENCIES.get(record.get("update_frequency") or "")
    if frequency:
        period = URIRef(publishing.EU_FREQUENCY + frequency)
        add((dataset, DCTERMS.accrualPeriodicity, typed(g, period, DCTERMS.Frequency)))
    for prop, value in (
        (DCTERMS.issued, record.get("source_created") or record.get("created_at")),
        (
            DCTERMS.modified,
            record.get("last_updated") or record.get("source_modified") or record.get("updated_at"),
        ),
    ):
        if (literal := _moment(value)) is not None:
            add((dataset, prop, literal))
    location = record.get("location") or ""
    if location.startswith(("http://", "https://")):
        add((dataset, DCAT.landingPage, typed(g, iri(location), FOAF.Document)))
    _distributions(g, dataset, record, lic)
    return dataset


def _graph() -> Graph:
    g = Graph()
    for prefix, namespace in CONTEXT.items():
        g.bind(prefix, namespace)
    return g


def add_catalog(g: Graph, datasets: list[URIRef]) -> URIRef:
    catalog = URIRef(f"{base()}catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add(
        (
            catalog,
            DCTERMS.title,
            Literal(current_app.config.get("SERVICE_NAME") or "Council data catalogue"),
        )
    )
    g.add((catalog, DCTERMS.description, Literal(f"The open data of {publisher_name()}.")))
    g.add((catalog, DCTERMS.publisher, _agent(g, publisher_name())))
    g.add((catalog, FOAF.homepage, typed(g, URIRef(base()), FOAF.Document)))
    for dataset in datasets:
        g.add((catalog, DCAT.dataset, dataset))
    return catalog


def _paging(g: Graph, total: int, page: int, fmt: str) -> None:
    last = max(1, math.ceil(total / PER_PAGE))

    def page_url(n: int) -> Literal:
        args = {k: v for k, v in request.args.items() if k != "page"}
        return Literal(url_for(f"dcat.catalog_{fmt}", page=n, _external=True, **args))

    node = iri(request.url)
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, HYDRA.totalItems, Literal(total)))
    g.add((node, HYDRA.itemsPerPage, Literal(PER_PAGE)))
    g.add((node, HYDRA.firstPage, page_url(1)))
    g.add((node, HYDRA.lastPage, page_url(last)))
    if page < last:
        g.add((node, HYDRA.nextPage, page_url(page + 1)))
    if page > 1:
        g.add((node, HYDRA.previousPage, page_url(min(page - 1, last))))


# -- data functions and routes --------------------------------------------------------
def _catalog_params() -> tuple[int, datetime | None, bool]:
    problems = []
    page_text = request.args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 0
    if page < 1:
        problems.append(Problem("must be a whole number from 1 to 999999", "page"))
    since = None
    if request.args.get("modified_since"):
        try:
            since = datetime.fromisoformat(request.args["modified_since"].replace("Z", "+00:00"))
        except ValueError:
            problems.append(Problem("use an ISO 8601 date or date-time", "modified_since"))
    if problems:
        raise Invalid("the query parameters are not valid", problems)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return page, since, request.args.get("include_private", "").lower() == "true"


def catalog_graph(fmt: str) -> Graph:
    """One page of the catalogue: what the caller may see (open only unless
    include_private), changed since ``modified_since``, by key."""
    page, since, private = _catalog_params()
    with reading() as reader:
        records = publishing.published_records(reader)
    records = [r for r in records if private or r["access"] == "open"]
    if since is not None:
        records = [
            r
            for r in records
            if r["updated_at"] and datetime.fromisoformat(r["updated_at"]) >= since
        ]
    g = _graph()
    shown = records[(page - 1) * PER_PAGE : page * PER_PAGE]
    add_catalog(g, [add_dataset(g, r) for r in shown])
    _paging(g, len(records), page, fmt)
    return g


def rdf_response(g: Graph, fmt: str) -> Response:
    rdf_format, mimetype = FORMATS[fmt]
    if rdf_format == "json-ld":
        text = g.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        text = g.serialize(format=rdf_format)
    return Response(text, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")


def dataset_graph(key: str) -> Graph:
    """One published dataset the caller may see; NotFound otherwise (or retired)."""
    with reading() as reader:
        record = publishing.published_record(reader, key)
    if record["status"] != "active":
        raise NotFound(f"dataset {key!r} is retired")
    g = _graph()
    add_dataset(g, record)
    return g


def _register(fmt: str) -> None:
    rdf_format, mimetype = FORMATS[fmt]
    responses = {200: f"DCAT-AP 3 ({mimetype})", 404: "no such open dataset"}

    def catalog() -> Response:
        return rdf_response(catalog_graph(fmt), fmt)

    def dataset(key: str) -> Response:
        return rdf_response(dataset_graph(key), fmt)

    catalog.__doc__ = f"The catalogue as DCAT-AP 3 {rdf_format}, 100 datasets a page."
    dataset.__doc__ = f"One dataset as DCAT-AP 3 {rdf_format}."
    catalog.__name__, dataset.__name__ = f"catalog_{fmt}", f"dataset_{fmt}"
    meta: dict[str, Any] = {"tag": "dcat", "produces": mimetype, "responses": responses}
    bp.add_url_rule(
        f"/catalog.{fmt}", view_func=document(f"DCAT catalogue ({fmt})", **meta)(catalog)
    )
    bp.add_url_rule(
        f"/dataset/<key>.{fmt}", view_func=document(f"DCAT dataset ({fmt})", **meta)(dataset)
    )


for _fmt in FORMATS:
    _register(_fmt)
