"""Who may see and change what: role × access level × department × action.

The expectations are written out by hand (not computed with the rules under
test). A refused read must look like "not found", never "forbidden"; a
restricted asset one may not see must leave no trace: no key, no title.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import create_app
from catalogue.config import Settings, load_settings
from catalogue.db import utcnow
from catalogue.errors import CatalogueError, Forbidden, NotFound
from catalogue.services import (
    access_requests,
    accounts,
    assets,
    edges,
    lineage,
    lineage_explorer,
    tokens,
)
from catalogue.services.access import ANONYMOUS, RESTRICTED_PLACEHOLDER, Principal, operator
from catalogue.services.context import Reader
from catalogue.services.search import search_assets, suggest_titles
from catalogue.store import Catalogue
from tests.conftest import BACKENDS, Runner, _postgres_copy


def person(email: str, role: str, department: str | None) -> Principal:
    return Principal(email, role, department, email)


PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "viewer-housing": person("vera.h@example.gov.uk", "viewer", "Housing"),
    "viewer-revenues": person("victor.r@example.gov.uk", "viewer", "Revenues & Benefits"),
    "steward-housing": person("stella.h@example.gov.uk", "steward", "Housing"),
    "steward-revenues": person("stan.r@example.gov.uk", "steward", "Revenues & Benefits"),
    # Finance staff who own or steward one restricted asset of another department.
    "owner-finance": person("olive.owner@example.gov.uk", "viewer", "Finance"),
    "steward-finance": person("sam.steward@example.gov.uk", "steward", "Finance"),
    "auditor": person("audrey.a@example.gov.uk", "auditor", "Legal & Governance"),
    "admin": person("adam.a@example.gov.uk", "admin", "Digital & Data"),
    # Finance staff granted access to one restricted asset of Revenues until a date (#17).
    "granted-finance": Principal(
        "grace.g@example.gov.uk",
        "viewer",
        "Finance",
        "grace.g@example.gov.uk",
        granted=frozenset({"r-restricted"}),
    ),  # fmt: skip
}

ASSETS: dict[str, dict[str, Any]] = {
    "h-open": {"department": "Housing", "access": "open", "title": "Housing stock ledger"},
    "h-internal": {"department": "Housing", "access": "internal", "title": "Voids ledger"},
    "h-restricted": {
        "department": "Housing",
        "access": "restricted",
        "title": "Safeguarding casework ledger",
        "owner": "Olive Owner",
        "owner_email": "olive.owner@example.gov.uk",
    },
    "r-internal": {
        "department": "Revenues & Benefits",
        "access": "internal",
        "title": "Council tax bands ledger",
    },
    "r-restricted": {
        "department": "Revenues & Benefits",
        "access": "restricted",
        "title": "Fraud referrals ledger",
        "steward": "Sam Steward",
        "steward_email": "sam.steward@example.gov.uk",
    },
    "rpt-dashboard": {"department": "Housing", "access": "internal", "title": "Arrears ledger"},
}
FEEDS = [
    ("h-restricted", "h-internal"),
    ("r-restricted", "h-internal"),
    ("h-internal", "rpt-dashboard"),
    ("r-internal", "rpt-dashboard"),
    ("h-open", "rpt-dashboard"),
]
ALL = set(ASSETS)
EVERY_SIGNED_IN = {"h-open", "h-internal", "r-internal", "rpt-dashboard"}
CAN_READ = {
    "anonymous": {"h-open"},
    "viewer-housing": EVERY_SIGNED_IN | {"h-restricted"},
    "viewer-revenues": EVERY_SIGNED_IN | {"r-restricted"},
    "steward-housing": EVERY_SIGNED_IN | {"h-restricted"},
    "steward-revenues": EVERY_SIGNED_IN | {"r-restricted"},
    "owner-finance": EVERY_SIGNED_IN | {"h-restricted"},
    "steward-finance": EVERY_SIGNED_IN | {"r-restricted"},
    "auditor": ALL,
    "admin": ALL,
    "granted-finance": EVERY_SIGNED_IN | {"r-restricted"},
}
CAN_WRITE = {
    "anonymous": set(),
    "viewer-housing": set(),
    "viewer-revenues": set(),
    "steward-housing": {"h-open", "h-internal", "h-restricted", "rpt-dashboard"},
    "steward-revenues": {"r-internal", "r-restricted"},
    "owner-finance": set(),  # owns h-restricted, but a viewer changes nothing
    "steward-finance": {"r-restricted"},  # stewards it, from another department
    "auditor": set(),
    "admin": ALL,
    "granted-finance": set(),  # a grant is to read, never to change
}
CASES = [(who, key) for who in PRINCIPALS for key in ASSETS]


def populate(catalogue: Catalogue) -> Catalogue:
    """Six assets in two departments at each access level, and lineage between them."""
    with catalogue.write(operator("setup@example.gov.uk")) as writer:
        for key, fields in ASSETS.items():
            kind = "report" if key.startswith("rpt-") else "dataset"
            assets.register(writer, {"key": key, "kind": kind, **fields})
        for upstream, downstream in FEEDS:
            edges.add_edge(writer, upstream, downstream)
    return catalogue


@pytest.fixture
def council(catalogue: Catalogue) -> Catalogue:
    """A fresh council catalogue, for tests that change it."""
    return populate(catalogue)


@pytest.fixture(scope="module", params=BACKENDS)
def seen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One council catalogue per backend shared by the read-only tests (a
    database per test would make this table slow)."""
    folder = tmp_path_factory.mktemp("council")
    drop = None
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), folder / "catalogue.db")
        url = f"sqlite:///{folder / 'catalogue.db'}"
    else:
        url, drop = _postgres_copy(request.getfixturevalue("postgres_template"))
    catalogue = Catalogue(load_settings({"instance_path": folder, "database_url": url}))
    yield populate(catalogue)
    catalogue.close()
    if drop is not None:
        drop()


def hidden_from(who: str) -> set[str]:
    return ALL - CAN_READ[who]


def leaks(text: str, who: str) -> list[str]:
    """Keys or titles of assets ``who`` may not see that appear in ``text``."""
    return [
        found for key in hidden_from(who) for found in (key, ASSETS[key]["title"]) if found in text
    ]


# -- read ------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "key"), CASES)
def test_get(seen: Catalogue, who: str, key: str) -> None:
    with seen.reading(PRINCIPALS[who]) as reader:
        if key in CAN_READ[who]:
            assert assets.get(reader, key)["title"] == ASSETS[key]["title"]
        else:
            with pytest.raises(NotFound, match=f"no asset with key '{key}'"):
                assets.get(reader, key)
            with pytest.raises(NotFound):
                assets.history(reader, key)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_list_search_facets_and_suggestions(seen: Catalogue, who: str) -> None:
    principal = PRINCIPALS[who]
    with seen.reading(principal) as reader:
        listed = {r["key"] for r in assets.list_assets(reader)}
        found = search_assets(reader, q="ledger", per_page=100)
        suggested = suggest_titles(reader, "ledg", limit=20)
        by_title = {k: search_assets(reader, q=ASSETS[k]["title"]) for k in hidden_from(who)}
    assert listed == CAN_READ[who]
    assert {hit.key for hit in found.hits} == CAN_READ[who]
    assert found.total == len(CAN_READ[who])
    for field, counts in found.facets.items():
        if field in ("department", "access", "kind", "classification"):
            assert sum(n for _, n in counts) == len(CAN_READ[who]), field
    assert not leaks(repr(found), who)
    assert {key for key, _ in suggested} <= CAN_READ[who]
    assert not leaks(repr(suggested), who)
    for key, title_words in by_title.items():
        assert key not in {hit.key for hit in title_words.hits}


#: A misspelling of a word found only in one asset's title, and the word.
TYPOS = {
    "h-internal": ("viods", "voids"),
    "h-restricted": ("safegarding", "safeguarding"),
    "r-internal": ("bnads", "bands"),
    "r-restricted": ("referals", "referrals"),
}


@pytest.mark.parametrize("who", PRINCIPALS)
def test_did_you_mean_offers_only_words_the_caller_may_see(seen: Catalogue, who: str) -> None:
    with seen.reading(PRINCIPALS[who]) as reader:
        _did_you_mean(reader, who)


def _did_you_mean(reader: Reader, who: str) -> None:
    for key, (typo, word) in TYPOS.items():
        results = search_assets(reader, q=typo)
        if key in CAN_READ[who]:
            assert results.suggestion == word, f"{who} should be offered {word!r}"
        else:
            assert word not in (results.suggestion or ""), f"{typo!r} -> {word!r} for {who}"
            assert results.total == 0
        # A correctly spelt hidden word is unknown too: no reading of it reveals it.
        if key not in CAN_READ[who]:
            assert search_assets(reader, q=word).total == 0


# -- write -----------------------------------------------------------------------------
@pytest.mark.parametrize("who", PRINCIPALS)
def test_edit(council: Catalogue, who: str) -> None:
    principal = PRINCIPALS[who]
    for key in ASSETS:
        case = f"{who} editing {key}"
        if not principal.signed_in:
            with pytest.raises(ValueError, match="signed-in"), council.write(principal) as writer:
                assets.update(writer, key, {"title": "Changed"})
            continue
        if key in CAN_WRITE[who]:
            with council.write(principal) as writer:
                assert assets.update(writer, key, {"title": "Changed"})["version"] == 2, case
            continue
        refusal = Forbidden if key in CAN_READ[who] else NotFound
        with pytest.raises(CatalogueError) as caught, council.write(principal) as writer:
            assets.update(writer, key, {"title": "Changed"})
        assert type(caught.value) is refusal, case
        if refusal is NotFound:
            assert ASSETS[key]["title"] not in caught.value.message, case
    with council.reading(PRINCIPALS["admin"]) as reader:
        changed = {r["key"] for r in assets.list_assets(reader)
                   if r["version"] == 2}  # fmt: skip
    assert changed == CAN_WRITE[who]


@pytest.mark.parametrize(
    ("who", "key", "change"),
    [
        ("steward-housing", "h-internal", {"department": "Finance"}),
        ("steward-finance", "r-restricted", {"steward": "Else", "steward_email": "e@x.gov.uk"}),
    ],
)
def test_a_steward_cannot_move_an_asset_out_of_their_reach(
    council: Catalogue, who: str, key: str, change: dict[str, str]
) -> None:
    with pytest.raises(Forbidden), council.write(PRINCIPALS[who]) as writer:
        assets.update(writer, key, change)


# -- lineage ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", PRINCIPALS)
def test_lineage_shows_placeholders_for_what_one_may_not_see(seen: Catalogue, who: str) -> None:
    principal = PRINCIPALS[who]
    with seen.reading(principal) as reader:
        if "rpt-dashboard" not in CAN_READ[who]:
            with pytest.raises(NotFound):
                lineage.trace(reader, "rpt-dashboard")
            with pytest.raises(NotFound):
                lineage.neighbours(reader, "rpt-dashboard", "upstream")
            return
        trace = lineage.trace(reader, "rpt-dashboard").as_dict()
        upstream = lineage.neighbours(reader, "h-internal", "upstream")
    # The shape stays honest: every asset upstream is a row, hidden ones as placeholders.
    assert len(trace["upstream"]) == 5 and len(upstream) == 2
    for row in trace["upstream"] + upstream:
        if row["restricted"]:
            assert row["key"] is None and row["title"] == RESTRICTED_PLACEHOLDER
        else:
            assert row["key"] in CAN_READ[who]
    shown = {row["key"] for row in trace["upstream"] if not row["restricted"]}
    assert shown == CAN_READ[who] - {"rpt-dashboard"}
    assert not leaks(json.dumps(trace, default=str) + json.dumps(upstream, default=str), who)
    hidden = hidden_from(who)
    with seen.reading(principal) as reader:
        for key in hidden:
            with pytest.raises(NotFound):
                lineage.paths(reader, key, "rpt-dashboard")


@pytest.mark.parametrize("who", PRINCIPALS)
def test_the_explorers_neighbourhood_keeps_hidden_assets_anonymous(
    seen: Catalogue, who: str
) -> None:
    """What the lineage explorer draws: one node per row, edges only between drawn
    nodes, and a hidden asset only as an opaque ``restricted-N``."""
    principal = PRINCIPALS[who]
    if "rpt-dashboard" not in CAN_READ[who]:
        with pytest.raises(NotFound), seen.reading(principal) as reader:
            lineage_explorer.neighbourhood(reader, "rpt-dashboard")
        return
    with seen.reading(principal) as reader:
        around = lineage_explorer.neighbourhood(reader, "rpt-dashboard")
    assert len(around.nodes) == len(around.upstream) == 5 and around.downstream == []
    ids = {node_id for node_id, _, _ in around.nodes} | {"rpt-dashboard"}
    for node_id, side, row in around.nodes:
        assert side == "upstream"
        assert node_id == (f"restricted-{node_id[11:]}" if row["restricted"] else row["key"])
    # Every feed among the six is drawn, hidden ends included, between drawn nodes.
    assert len(around.edges) == len(FEEDS)
    assert all(e["source"] in ids and e["target"] in ids for e in around.edges)
    hidden = sum(1 for _, _, row in around.nodes if row["restricted"])
    assert hidden == len(hidden_from(who))
    assert not leaks(json.dumps([around.nodes, around.edges], default=str), who)


# -- every route, over HTTP ------------------------------------------------------------
@pytest.fixture
def http(council: Catalogue, settings: Settings) -> Iterator[tuple[Flask, dict[str, str]]]:
    """The app, and an API token for each signed-in principal of the table."""
    secrets = {}
    with council.sessions.begin() as session:
        for who, p in PRINCIPALS.items():
            if not p.signed_in:
                continue
            username = who.replace("-", ".")
            accounts.add_user(
                session, PRINCIPALS["admin"], username,
                name=who, role=p.role or "viewer", email=p.email, department=p.department,
            )  # fmt: skip
            secrets[who] = tokens.create_token(session, PRINCIPALS["admin"], username, "t").secret
    grant_as_asked(council)
    app = create_app(settings)
    yield app, secrets
    app.extensions["catalogue"].close()


def grant_as_asked(council: Catalogue) -> None:
    """Each grant of the table, made as people make them: asked for, then approved."""
    until = utcnow().date() + timedelta(days=30)
    for p in PRINCIPALS.values():
        for key in p.granted:
            with council.write(replace(p, granted=frozenset())) as writer:  # before the grant
                asked = access_requests.request_access(
                    writer, key, "for the table", until, max_days=365, base_url="http://x"
                )
            with council.write(PRINCIPALS["admin"]) as writer:
                access_requests.decide(writer, asked["id"], True, "agreed", base_url="http://x")


def route_urls(app: Flask, key: str) -> Iterator[tuple[str, str]]:
    """(method, URL) for every route, path arguments filled with ``key`` (or a
    number, or a file name), and a query naming the asset."""
    for rule in app.url_map.iter_rules():
        values: dict[str, Any] = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = (
                1 if converter in ("IntegerConverter", "FloatConverter")
                else "app.css" if name == "filename"
                else key
            )  # fmt: skip
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path


def every_response(
    client: FlaskClient, app: Flask, key: str, headers: dict[str, str], words: str = ""
) -> Iterator[tuple[str, Any]]:
    """Each route's response: GET with a query naming the asset (and searching
    for ``words``), and with only the lineage routes' ``nodeId`` (they refuse
    parameters they do not know); POST etc. with the first query as a JSON body."""
    node = {"nodeId": f"dataset:catalogue:{key}"}
    query = {"q": words or key, "id": key, "key": key, "fq": f"name:{key}"} | node
    for method, path in route_urls(app, key):
        if method == "GET":
            yield path, client.get(path, query_string=query, headers=headers)
            yield path, client.get(path, query_string=node, headers=headers)
        else:
            yield path, client.open(path, method=method, json=query, headers=headers)


@pytest.mark.parametrize(
    "who", ["anonymous", "viewer-revenues", "steward-housing", "granted-finance"]
)
def test_no_route_shows_a_restricted_title_to_those_who_may_not_see_it(
    http: tuple[Flask, dict[str, str]], who: str
) -> None:
    app, secrets = http
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secrets[who]}"} if who in secrets else {}
    checked = 0
    for key in sorted(hidden_from(who)):
        # Search for the title's first word: a page may echo the query, not the title.
        words = ASSETS[key]["title"].split()[0]
        for path, response in every_response(client, app, key, headers, words):
            body = response.get_data(as_text=True)
            assert ASSETS[key]["title"] not in body, f"{path} shows {key!r} to {who}"
            assert not (response.status_code == 403 and key in path), (
                f"{path} says 'forbidden' for {key!r}, which {who} may not know exists"
            )
            checked += 1
        # Hidden answers as unknown: the same status as for a key never registered.
        pairs = zip(
            every_response(client, app, key, headers, words),
            every_response(client, app, "no-such-asset", headers, words),
            strict=True,
        )
        for (path, response), (_, unknown) in pairs:
            assert response.status_code == unknown.status_code, f"{path} tells {who} {key!r} exists"
        if key in TYPOS:  # and no "did you mean" offers a word of its title
            typo, word = TYPOS[key]
            for path, response in every_response(client, app, key, headers, typo):
                body = response.get_data(as_text=True).lower()
                assert word not in body, f"{path} suggests {word!r} to {who}"
    assert checked > len(hidden_from(who))


# -- what an open asset says about hidden ones ---------------------------------------------
SENSITIVE_WORDS = ("personal data", "special category", "OFFICIAL-SENSITIVE")


@pytest.mark.parametrize(
    "who", ["anonymous", "viewer-revenues", "steward-revenues", "viewer-housing"]
)
def test_an_open_asset_says_nothing_of_hidden_assets_handling_or_keys(
    http: tuple[Flask, dict[str, str]], council: Catalogue, who: str
) -> None:
    """An open report fed by a restricted special-category register of Housing,
    and held in an internal source system: those who may not see the register
    learn neither what it holds nor the system's key; Housing staff see both."""
    with council.write(operator("setup@example.gov.uk")) as writer:
        assets.register(writer, {
            "key": "sys-casework", "kind": "source_system", "title": "Casework system",
            "department": "Housing", "access": "internal",
        })  # fmt: skip
        assets.register(writer, {
            "key": "h-special", "kind": "dataset", "title": "Tenancy support needs",
            "department": "Housing", "access": "restricted", "personal_data": True,
            "special_category": True, "classification": "OFFICIAL-SENSITIVE",
        })  # fmt: skip
        assets.register(writer, {
            "key": "rpt-open", "kind": "report", "title": "Tenancy support summary",
            "department": "Housing", "access": "open", "source_system": "sys-casework",
        })  # fmt: skip
        edges.add_edge(writer, "h-special", "rpt-open")
    app, secrets = http
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secrets[who]}"} if who in secrets else {}
    may_see = who == "viewer-housing"

    page = client.get("/assets/rpt-open", headers=headers).get_data(as_text=True)
    inherited = page.split('id="inherited"')[1].split("Recent changes")[0]
    trace_page = client.get("/assets/rpt-open/trace", headers=headers).get_data(as_text=True)
    trace = client.get("/api/v1/assets/rpt-open/trace", headers=headers).json
    record = client.get("/api/v1/assets/rpt-open", headers=headers).json
    if may_see:
        assert all(word in inherited for word in SENSITIVE_WORDS[:2]), inherited
        assert {i["flag"] for i in trace["inherits"]} >= {"personal_data", "special_category"}
        assert record["source_system"] == "sys-casework"
        return
    for word in SENSITIVE_WORDS:
        assert word not in inherited, (word, inherited)
        assert word not in trace_page.split('id="trace-table"')[0], word
        assert word not in json.dumps(trace["inherits"] + trace["warnings"]), word
    assert "check its handling with the owner" in inherited
    assert any("check its handling with the owner" in w for w in trace["warnings"])
    assert "Restricted asset" not in page + trace_page
    if who == "anonymous":  # an internal system's key, which signed-in staff may open
        assert "sys-casework" not in page and record["source_system"] is None
        assert "An asset you cannot see" in page


# -- lists and exports over HTTP, and the CLI's export ------------------------------------
LISTS_AND_EXPORTS = (
    "/api/v1/assets?per_page=100",
    "/api/v1/search?q=ledger&per_page=100",
    "/api/3/action/package_list",
    "/api/3/action/package_search?q=ledger&rows=100",
    "/catalog.jsonld",
    "/catalog.ttl",
)


def test_lists_and_exports_hold_what_each_caller_may_see(
    http: tuple[Flask, dict[str, str]],
) -> None:
    app, secrets = http
    client = app.test_client()
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    for who in PRINCIPALS:
        headers = {"Authorization": f"Bearer {secrets[who]}"} if who in secrets else {}
        for url in LISTS_AND_EXPORTS:
            if url.split("?")[0] not in routes:
                continue
            response = client.get(url, headers=headers)
            assert response.status_code == 200, f"{url} as {who}: {response.status_code}"
            body = response.get_data(as_text=True)
            shown = [ASSETS[k]["title"] for k in hidden_from(who) if ASSETS[k]["title"] in body]
            assert not shown, f"{url} shows {shown} to {who}"
        listed = client.get(LISTS_AND_EXPORTS[0], headers=headers).get_data(as_text=True)
        assert all(ASSETS[k]["title"] in listed for k in CAN_READ[who]), who


def test_the_cli_export_is_an_admins_and_holds_everything(council: Catalogue, run: Runner) -> None:
    exported = run("export", "--format", "json")
    assert exported.exit_code == 0
    assert {r["key"] for r in json.loads(exported.output)} == ALL
