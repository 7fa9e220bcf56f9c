"""Bad input from every side (#8): whatever a client, a steward's file or a
search box sends, the catalogue answers with a clear error naming what is wrong
(file, line, field, allowed values) and stays as it was. Never a traceback,
never a 5xx.

- Schemathesis' engine drives every operation of ``/api/v1/openapi.json`` over
  real HTTP with a fixed budget of generated requests (valid and invalid),
  signed in as an admin, with every check it has: each answer is as the
  document says, and what it allows is accepted, what it forbids refused.
- Hypothesis writes catalogue files that are subtly wrong and applies them.
- Whoosh-like query syntax goes through the API, the search page and the CLI.
- Bodies over the size limit are refused (413) on every route that takes one.
- OpenLineage events broken in one field at a time are refused naming it.

Budgets are fixed and derandomised: CI runs the same requests every time.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import create_app
from catalogue.config import Settings
from catalogue.services.catalogue_file import FILE_FIELDS, dump_records
from catalogue.services.demo import DEMO_PASSWORD
from tests import forms
from tests.api.conftest import Tokens, change_count
from tests.faults.api_contract import run_contract
from tests.serving import served_in_thread

DEMO = Path(__file__).resolve().parents[2] / "catalogue" / "demo" / "borough.yaml"
DEMO_KEYS = sorted(record["key"] for record in yaml.safe_load(DEMO.read_text(encoding="utf-8")))
CKAN_ACTIONS = ["package_search", "package_show", "package_list", "tag_list", "status_show"]


def fixed_budget(examples: int, *also_suppress: HealthCheck) -> Any:
    """Hypothesis settings for CI: the same examples on every run, no clock."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            *also_suppress,
        ],
    )


@pytest.fixture
def demo_app(demo_settings: Settings) -> Iterator[Flask]:
    """The app on a catalogue holding the demo borough."""
    app = create_app(demo_settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["catalogue"].close()


# -- 1. every API operation answers as its document says --------------------------------------

#: Generated cases per operation and phase (fixed and derandomised).
EXAMPLES = 10


def test_every_api_operation_answers_as_its_document_says(demo_app: Flask, backend: str) -> None:
    """Schemathesis with every check it has (``tests/faults/api_contract.py``
    says what is configured and why) over every operation, as an admin so the
    writes are exercised, over real HTTP: no 5xx; every status, content type,
    body and header is one the document declares; what the document allows is
    accepted and what it forbids is refused (formats, patterns, enums, NUL,
    ``If-Match`` → 428, CKAN action names); every 405 says what is allowed."""
    headers = Tokens(demo_app.extensions["catalogue"]).headers("fuzz.admin", "admin")
    pools = {"key": DEMO_KEYS, "upstream": DEMO_KEYS, "to": DEMO_KEYS, "name": CKAN_ACTIONS}
    with served_in_thread(demo_app) as base:
        run = run_contract(base, headers, pools, EXAMPLES)
    assert not run.failures, f"{len(run.failures)} kinds of failure:\n{run.report()}"
    # Not vacuous: every operation was reached with every check, most answered a success.
    assert len(run.operations) >= 28, sorted(run.operations)
    assert len(run.succeeded) >= 20, sorted(run.succeeded)
    assert sum(run.answered.values()) >= len(run.operations) * 20
    for check in ("positive_data_acceptance", "negative_data_rejection", "unsupported_method"):
        assert run.checks[check] >= len(run.operations), (check, run.checks)
    # The allowance is for references only, from the routes that take them.
    assert set(run.unknown_references) <= {
        "POST /api/v1/assets",
        "PATCH /api/v1/assets/{key}",
        "POST /api/v1/assets/{key}/upstream",
        "POST /api/v1/glossary",
        "PATCH /api/v1/glossary/{slug}",
        "POST /api/v1/assets/{key}/access-requests",
    }, run.unknown_references


# -- 2. catalogue files that are subtly wrong -----------------------------------------------

#: What the catalogue holds before each bad file: a source system feeding a dataset.
SEED = [
    {"key": "sys-revenues", "kind": "source_system", "title": "Revenues system"},
    {
        "key": "ctax-accounts",
        "kind": "dataset",
        "title": "Council tax accounts",
        "department": "Finance",
        "classification": "OFFICIAL-SENSITIVE",
        "access": "internal",
        "personal_data": True,
        "lawful_basis": "public_task",
        "upstream": ["sys-revenues"],
    },
]
#: Good changes every bad file also carries: applied partially, they would show.
GOOD = [
    {"key": "ctax-accounts", "kind": "dataset", "title": "Council tax accounts (all bands)"},
    {
        "key": "rpt-ctax-collection",
        "kind": "report",
        "title": "Collection rate",
        "upstream": ["ctax-accounts"],
    },
]
ENUMS = {
    "classification": "OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET",
    "access": "open, internal, restricted",
    "lawful_basis": "consent",
    "update_frequency": "weekly",
    "status": "active, retired",
    "kind": "dataset",
}
WRONG_TYPES: dict[str, st.SearchStrategy] = {
    "title": st.integers() | st.lists(st.text(max_size=3), min_size=1, max_size=2),
    "tags": st.integers() | st.dictionaries(st.just("tag"), st.text(max_size=3), min_size=1),
    "personal_data": st.integers(min_value=2) | st.just("perhaps"),
    "columns": st.just({"name": "tenancy_ref"}) | st.just([{"name": 5}]) | st.just(["x"]),
    "links": st.just("https://data.example/x") | st.just([{"url": None}]),
    "last_updated": st.sampled_from(["yesterday", "31/12/2026", "2026-02-30", "2026-W05"]),
    "owner_email": st.sampled_from(["joanne", "joanne@", "@thamesbury.gov.uk"]),
}
NOT_YAML = ["{unclosed: [", "- key: 'never closed", "\t- tabbed: x", "]]", "key: : :"]
FIELD_NAME = st.from_regex(r"[a-z][a-z_]{2,15}", fullmatch=True)


def yaml_lines(records: list[dict]) -> tuple[str, list[int]]:
    """The records as YAML, and the line each record starts on."""
    text = yaml.safe_dump(records, sort_keys=False, allow_unicode=True)
    starts = [n + 1 for n, line in enumerate(text.splitlines()) if line.startswith("- ")]
    return text, starts


def json_lines(records: list[dict]) -> tuple[str, list[int]]:
    """The records as a JSON list, one record a line (record i on line i + 2)."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return "[\n" + body + "\n]\n", [i + 2 for i in range(len(records))]


@st.composite
def bad_record_files(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    """(suffix, file content, what the message must say) for a file of GOOD
    changes plus one thing wrong. ``{line}`` in what must be said stands for the
    line of the bad record; ``{path}`` for the file."""
    fmt = draw(st.sampled_from(["yaml", "json"]))
    bad: dict[str, Any] = {"key": "bins-collected", "kind": "dataset", "title": "Bins collected"}
    records = [*GOOD, bad]
    wrong = draw(
        st.sampled_from(
            ["enum", "type", "unknown", "same key", "upstream", "cycle", "huge", "nested"]
        )
    )
    if wrong == "enum":
        field = draw(st.sampled_from(sorted(ENUMS)))
        bad[field] = draw(
            st.text(min_size=1, max_size=20).filter(
                lambda v: v.strip() not in ENUMS[field].split(", ")
            )
        )
        must = [f"{{path}}:{{line}} key 'bins-collected' field '{field}'", ENUMS[field]]
    elif wrong == "type":
        field = draw(st.sampled_from(sorted(WRONG_TYPES)))
        bad[field] = draw(WRONG_TYPES[field])
        must = [f"{{path}}:{{line}} key 'bins-collected' field '{field}"]
    elif wrong == "unknown":
        field = draw(FIELD_NAME.filter(lambda name: name not in FILE_FIELDS))
        bad[field] = "x"
        must = [f"{{path}}:{{line}} key 'bins-collected' field '{field}': unknown field"]
    elif wrong == "same key":
        records.append(dict(bad, title="Bins collected again"))
        must = ["field 'key': the same key is also at {path}:{line}"]
    elif wrong == "upstream":
        ghost = draw(FIELD_NAME)
        bad["upstream"] = ["ctax-accounts", f"no-such-{ghost}"]
        must = [
            f"{{path}}:{{line}} key 'bins-collected' field 'upstream': "
            f"no asset with key 'no-such-{ghost}'"
        ]
    elif wrong == "cycle":
        bad.update(key="sys-revenues", kind="source_system", title="Revenues system")
        bad["upstream"] = ["rpt-ctax-collection"]
        must = ["cycle", "sys-revenues"]
    elif wrong == "huge":
        field = draw(st.sampled_from(["title", "key", "owner", "department"]))
        bad[field] = "x" * draw(st.integers(min_value=501, max_value=200_000))
        must = [f"field '{field}'", "{path}:{line}"]
    else:
        depth = draw(st.integers(min_value=50, max_value=20_000))
        bad["tags"] = "DEEP"
        must = ["{path}:"]
    text, starts = (yaml_lines if fmt == "yaml" else json_lines)(records)
    if wrong == "nested":
        open_, close = ("[", "]")
        text = text.replace('"DEEP"' if fmt == "json" else "DEEP", open_ * depth + close * depth)
    line = starts[2]
    return fmt, text.encode(), [m.replace("{line}", str(line)) for m in must]


@st.composite
def broken_files(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    """Files that cannot be read at all: broken YAML, a field given twice,
    an impossible date, bytes that are not UTF-8."""
    text, starts = yaml_lines(
        [*GOOD, {"key": "bins-collected", "kind": "dataset", "title": "Bins"}]
    )
    lines = text.splitlines()
    wrong = draw(st.sampled_from(["syntax", "twice", "date", "garbage"]))
    if wrong == "syntax":
        at = draw(st.integers(min_value=0, max_value=len(lines)))
        lines.insert(at, draw(st.sampled_from(NOT_YAML)))
        return "yaml", "\n".join(lines).encode(), ["{path}:", "not valid YAML"]
    if wrong == "twice":
        field = draw(st.sampled_from(["title", "kind"]))
        lines.insert(starts[2], f"  {field}: written twice")  # the record's second line
        must = ["{path}:", f"field '{field}': given twice, at lines {starts[2] + 1} and "]
        return "yaml", "\n".join(lines).encode(), must
    if wrong == "date":
        day = draw(st.sampled_from(["2026-13-01", "2026-02-30", "2025-00-10", "2026-04-31"]))
        lines.insert(starts[2], f"  review_date: {day}")
        return "yaml", "\n".join(lines).encode(), [f"{{path}}:{starts[2] + 1} field 'review_date'"]
    garbage = draw(st.binary(min_size=1, max_size=2000))
    suffix = draw(st.sampled_from(["yaml", "json", "csv"]))
    return suffix, b"\xff\xfe\xfa" + garbage, ["{path}: not UTF-8 text"]


def catalogue_state(run: Any) -> tuple[str, str]:
    """What a steward would compare: the whole export and the change-log head."""
    exported = run("export", "--format", "json")
    status = run("index", "status", "--format", "json")
    assert exported.exit_code == 0 and status.exit_code == 0
    return exported.output, json.loads(status.output)["head"]


def refused_and_unchanged(run: Any, path: Path, content: bytes, must: list[str]) -> None:
    before = catalogue_state(run)
    path.write_bytes(content)
    result = run("apply", str(path))
    assert result.exit_code == 1, result.output[-3000:]
    assert "Traceback" not in result.output and "nothing was applied" in result.output
    for fragment in must:
        assert fragment.replace("{path}", str(path)) in result.output, (
            fragment,
            result.output[:3000],
        )
    assert catalogue_state(run) == before, "a refused file changed the catalogue"


@pytest.fixture
def seeded(run: Any, tmp_path: Path) -> Any:
    """`catalogue …` on a catalogue holding SEED."""
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(SEED), encoding="utf-8")
    assert run("apply", str(path)).exit_code == 0
    return run


@fixed_budget(60)
@given(case=bad_record_files())
def test_a_wrong_record_is_named_and_nothing_is_applied(
    seeded: Any, tmp_path: Path, case: tuple[str, bytes, list[str]]
) -> None:
    fmt, content, must = case
    refused_and_unchanged(seeded, tmp_path / f"register.{fmt}", content, must)


@fixed_budget(30)
@given(case=broken_files())
def test_an_unreadable_file_is_named_and_nothing_is_applied(
    seeded: Any, tmp_path: Path, case: tuple[str, bytes, list[str]]
) -> None:
    fmt, content, must = case
    refused_and_unchanged(seeded, tmp_path / f"register.{fmt}", content, must)


GOOD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t)


FRESH = itertools.count()


@st.composite
def valid_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few valid records, each key new to the catalogue (examples share it)."""
    names = st.from_regex(r"[a-z][a-z0-9-]{2,20}", fullmatch=True)
    keys = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    keys = [f"g{next(FRESH)}-{key}" for key in keys]
    records = []
    for i, key in enumerate(keys):
        kind = draw(st.sampled_from(["dataset", "report", "pipeline"]))
        record: dict[str, Any] = {"key": key, "kind": kind, "title": draw(GOOD_TEXT)}
        if draw(st.booleans()):
            record["classification"] = draw(st.sampled_from(["OFFICIAL", "OFFICIAL-SENSITIVE"]))
        if draw(st.booleans()):
            tags = draw(st.lists(st.from_regex(r"[a-z]{3,10}", fullmatch=True), min_size=1))
            record["tags"] = sorted(set(tags))[:3]
        if draw(st.booleans()):
            record["description"] = draw(GOOD_TEXT)
        if i and draw(st.booleans()):
            record["upstream"] = [keys[i - 1]]
        records.append(record)
    return records


@fixed_budget(15)
@given(records=valid_records(), fmt=st.sampled_from(["yaml", "json", "csv"]))
def test_valid_generated_files_apply_and_read_back(
    run: Any, tmp_path: Path, records: list[dict[str, Any]], fmt: str
) -> None:
    """The other side of the property: a valid file applies, the export holds
    what it said, and applying the export again changes nothing."""
    path = tmp_path / f"register.{fmt}"
    path.write_text(dump_records(records, fmt), encoding="utf-8")
    applied = run("apply", str(path))
    assert applied.exit_code == 0, applied.output
    exported = {r["key"]: r for r in json.loads(run("export", "--format", "json").output)}
    for record in records:
        held = exported[record["key"]]
        for field, value in record.items():
            if field == "upstream":
                assert [u if isinstance(u, str) else u["key"] for u in held["upstream"]] == value
            else:
                assert held[field] == value, (field, held[field], value)
    again = tmp_path / f"export.{fmt}"
    assert run("export", "--format", fmt, "-o", str(again)).exit_code == 0
    result = run("apply", str(again))
    assert result.exit_code == 0 and " 0 create, 0 update," in result.output, result.output


# -- 3. any search text: results or a clear 400, through API, page and CLI ------------------

NASTY_QUERIES = [
    '"unbalanced',
    'council" tax"',
    "AND",
    "OR OR",
    "NOT",
    "bins AND",
    "title:",
    "key:",
    "*",
    "?",
    "(((",
    ")",
    "field:[a TO",
    "{a TO b}",
    "~",
    "bins~2",
    "^",
    "bins^",
    "\\",
    "\x00",
    "bins\x00tax",
    "\x1b[31m",
    "a" * 100_000,
    "bins " * 20_000,
    "🗑️ bins ♻️",
    "الضريبة المحلية",  # Arabic: right to left
    "ארנונה",  # Hebrew
    "\u202etax\u202c",  # a right-to-left override
    "%00",
    "<script>alert(1)</script>",
]
QUERY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.from_regex(
    r'[ "a-z*?:()\[\]{}\-~^\\ANDORNOT]{0,40}', fullmatch=True
)


def answered_or_refused(api: Any, page: Any, text: str) -> None:
    """The API answers 200 with hits, or 400/422 naming the ``q`` parameter;
    the page answers 200 or 400 as a page; neither a 5xx nor a traceback."""
    response = api.get("/api/v1/search", query_string={"q": text})
    if response.status_code == 200:
        assert isinstance(response.json["hits"], list)
    else:
        assert response.status_code in (400, 422), (text[:50], response.status_code)
        assert response.mimetype == "application/problem+json"
        problem = response.json
        assert "q" in problem.get("errors", {}) or "NUL" in problem["detail"], problem
    page = api.get("/search", query_string={"q": text})
    assert page.status_code in (200, 400), (text[:50], page.status_code)
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and "Traceback" not in html


@pytest.mark.parametrize("text", NASTY_QUERIES, ids=range(len(NASTY_QUERIES)))
def test_nasty_search_text_through_api_and_page(demo_app: Flask, text: str) -> None:
    client = demo_app.test_client()
    answered_or_refused(client, client, text)


@fixed_budget(60)
@given(text=QUERY_TEXT)
def test_any_search_text_through_api_and_page(demo_app: Flask, text: str) -> None:
    client = demo_app.test_client()
    answered_or_refused(client, client, text)


def searched_on_the_command_line(run: Any, text: str) -> None:
    """`catalogue search` answers (exit 0) or says what is wrong (exit 1, an
    "Error:" line; exit 2 for an argument no command takes: a NUL character), in
    text and in JSON."""
    for fmt in ("text", "json"):
        result = run("search", "--format", fmt, "--", text)
        assert result.exit_code in (0, 1, 2), (text[:50], result.output[-2000:])
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            assert "\x00" in text and "contains a NUL character" in result.output
        elif result.exit_code == 1:
            assert result.output.startswith("Error:"), result.output[:300]
        elif fmt == "json":
            assert isinstance(json.loads(result.output)["hits"], list)


@pytest.mark.parametrize("text", NASTY_QUERIES, ids=range(len(NASTY_QUERIES)))
def test_nasty_search_text_on_the_command_line(demo_run: Any, text: str) -> None:
    searched_on_the_command_line(demo_run, text)


@fixed_budget(25)
@given(text=QUERY_TEXT)
def test_any_search_text_on_the_command_line(demo_run: Any, text: str) -> None:
    searched_on_the_command_line(demo_run, text)


# -- 4. bodies over the size limit --------------------------------------------------------

LIMIT = 2048
#: A body that would be a valid write if its size were allowed.
PADDED = {"key": "oversized", "kind": "dataset", "title": "Big", "description": "a" * (3 * LIMIT)}
API_WRITES = [
    ("POST", "/api/v1/assets"),
    ("PATCH", "/api/v1/assets/rent-accounts"),
    ("POST", "/api/v1/assets/rent-accounts/retire"),
    ("POST", "/api/v1/assets/rent-arrears-weekly/upstream"),
    ("DELETE", "/api/v1/assets/rent-arrears-weekly/upstream/rent-accounts"),
    ("POST", "/api/v1/lineage"),
    ("POST", "/api/3/action/package_search"),
    ("POST", "/api/action/package_show"),
]
WEB_FORMS = [
    "/register",
    "/assets/rent-accounts/edit",
    "/assets/rent-arrears-weekly/feeds",
    "/assets/rent-arrears-weekly/feeds/end",
    "/sign-out",
    "/sign-in",
]


@pytest.fixture
def small_app(demo_settings: Settings) -> Iterator[Flask]:
    """The demo app accepting bodies of at most LIMIT bytes."""
    app = create_app(replace(demo_settings, max_content_length=LIMIT))
    app.config.update(TESTING=True)
    yield app
    app.extensions["catalogue"].close()


@pytest.mark.parametrize(("method", "url"), API_WRITES)
def test_an_oversized_api_body_is_413_and_writes_nothing(
    small_app: Flask, method: str, url: str
) -> None:
    cat = small_app.extensions["catalogue"]
    headers = Tokens(cat).headers("fuzz.admin", "admin")
    client = small_app.test_client()
    before = change_count(cat)
    response = client.open(url, method=method, json=PADDED, headers=headers)
    assert response.status_code == 413, response.data[:300]
    assert response.mimetype == "application/problem+json"
    assert f"at most {LIMIT}" in response.json["detail"], response.json
    assert change_count(cat) == before
    # The same request within the limit is read (whatever it then answers).
    small = {k: v for k, v in PADDED.items() if k != "description"}
    assert client.open(url, method=method, json=small, headers=headers).status_code != 413


def test_a_gzip_event_that_inflates_past_the_limit_is_refused(small_app: Flask) -> None:
    cat = small_app.extensions["catalogue"]
    headers = {**Tokens(cat).headers("fuzz.admin", "admin"), "Content-Encoding": "gzip"}
    event = {**OL_EVENT, "job": {"namespace": "etl", "name": "x" * (50 * LIMIT)}}
    body = gzip.compress(json.dumps(event).encode())
    assert len(body) < LIMIT
    before = change_count(cat)
    response = small_app.test_client().post(
        "/api/v1/lineage", data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code in (400, 413) and response.mimetype == "application/problem+json"
    assert f"inflates past {LIMIT} bytes" in response.json["detail"]
    assert change_count(cat) == before


@pytest.mark.parametrize("url", WEB_FORMS)
def test_an_oversized_form_is_413_and_writes_nothing(small_app: Flask, url: str) -> None:
    """A steward's form (signed in as an admin, with its CSRF token) over the
    limit: a 413 page, nothing written, the session untouched."""
    client = small_app.test_client()
    assert forms.sign_in(client, "peter.ng", DEMO_PASSWORD).status_code == 302
    cat = small_app.extensions["catalogue"]
    before = change_count(cat)
    form = {
        "csrf_token": forms.csrf_token(client, "/register"),
        "key": "oversized",
        "kind": "dataset",
        "title": "Big",
        "upstream": "rent-accounts",
        "description": "a" * (3 * LIMIT),
        "username": "peter.ng",
        "password": DEMO_PASSWORD,
    }
    response = client.post(url, data=form)
    assert response.status_code == 413, (url, response.status_code)
    assert response.mimetype == "text/html"
    assert "Too Large" in response.get_data(as_text=True)
    assert change_count(cat) == before
    me = client.get("/api/v1/me").json
    assert me["signed_in"] and me["role"] == "admin"


# -- 5. malformed OpenLineage events --------------------------------------------------------

OL_EVENT: dict[str, Any] = {
    "eventType": "COMPLETE",
    "eventTime": "2026-03-01T02:00:05.123Z",
    "run": {"runId": "0190b7c0-1f2e-7a3b-8c4d-5e6f7a8b9c0d"},
    "job": {"namespace": "council-etl", "name": "housing.load_rents"},
    "inputs": [{"namespace": "postgres://housing", "name": "public.rents"}],
    "outputs": [
        {
            "namespace": "postgres://warehouse",
            "name": "housing.rent_arrears",
            "facets": {
                "schema": {"fields": [{"name": "tenancy_ref", "type": "text"}]},
                "documentation": {"description": "Arrears per tenancy"},
                "ownership": {"owners": [{"name": "Joanne Whitaker"}]},
            },
        }
    ],
    "producer": "https://example.org/etl",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}
WRONG = st.integers() | st.booleans() | st.lists(st.integers(), max_size=2) | st.just({})
#: (where, what to put there, the field the answer must name)
BREAKAGES: list[tuple[tuple[Any, ...], st.SearchStrategy, str]] = [
    (
        ("eventTime",),
        st.sampled_from(["yesterday", "2026-13-01T00:00:00Z", ""]) | WRONG,
        "eventTime",
    ),
    (("eventType",), st.text(max_size=10).filter(lambda t: t not in OL_TYPES) | WRONG, "eventType"),
    (("run",), st.text(max_size=5) | st.integers(), "run"),
    (("run", "runId"), st.text(max_size=40) | WRONG, "run.runId"),
    (("job",), st.text(max_size=5) | st.lists(st.integers(), max_size=2), "job"),
    (("job", "name"), WRONG | st.just(""), "job.name"),
    (("job", "namespace"), WRONG | st.just(""), "job.namespace"),
    (("inputs",), st.text(max_size=5) | st.integers() | st.just({"namespace": "a"}), "inputs"),
    (("inputs", 0), st.text(max_size=5) | st.integers(), "inputs.0"),
    (("inputs", 0, "name"), WRONG | st.just(""), "inputs.0.name"),
    (("outputs", 0, "namespace"), WRONG | st.just(""), "outputs.0.namespace"),
    (("outputs", 0, "facets"), st.text(max_size=5) | st.integers(), "outputs.0.facets"),
    (("outputs", 0, "facets", "schema", "fields"), st.text(max_size=5), "outputs.0.facets.schema"),
    (
        ("outputs", 0, "facets", "ownership", "owners"),
        st.text(min_size=1, max_size=5),
        "outputs.0.facets.ownership",
    ),
    (
        ("outputs", 0, "facets", "documentation", "description"),
        WRONG,
        "outputs.0.facets.documentation",
    ),
]
OL_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}


@st.composite
def broken_events(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """OL_EVENT with one value replaced by something the spec does not allow (or
    removed, where the spec requires it), and the field the answer must name."""
    where, wrong, field = draw(st.sampled_from(BREAKAGES))
    event = copy.deepcopy(OL_EVENT)
    parent = event
    for step in where[:-1]:
        parent = parent[step]
    required = where in {("eventTime",), ("run", "runId"), ("job", "name"), ("inputs", 0, "name")}
    if required and draw(st.booleans()):
        del parent[where[-1]]
    else:
        parent[where[-1]] = draw(wrong)
    return event, field


@fixed_budget(60)
@given(broken=broken_events())
def test_a_malformed_event_is_refused_naming_the_field(
    demo_app: Flask, broken: tuple[dict[str, Any], str]
) -> None:
    event, field = broken
    cat = demo_app.extensions["catalogue"]
    before = change_count(cat)
    response = demo_app.test_client().post(
        "/api/v1/lineage", json=event, headers=Tokens(cat).headers("fuzz.admin", "admin")
    )
    assert response.status_code == 400, (event, response.json)
    assert response.mimetype == "application/problem+json"
    named = [name for name in response.json.get("errors", {}) if name.startswith(field)]
    assert named, (field, response.json)
    assert field in response.json["detail"], response.json["detail"]
    assert change_count(cat) == before


def test_good_and_bad_together_are_refused_together(demo_app: Flask) -> None:
    """One bad output among good ones refuses the event: none of its datasets
    is written. A list of events (a batch) is not an event: refused whole."""
    cat = demo_app.extensions["catalogue"]
    headers = Tokens(cat).headers("fuzz.admin", "admin")
    client = demo_app.test_client()
    before = change_count(cat)
    mixed = copy.deepcopy(OL_EVENT)
    mixed["outputs"].append({"namespace": "postgres://warehouse", "name": 42})
    response = client.post("/api/v1/lineage", json=mixed, headers=headers)
    assert response.status_code == 400 and "outputs.1.name" in response.json["errors"]
    batch = client.post("/api/v1/lineage", json=[OL_EVENT, mixed], headers=headers)
    assert batch.status_code == 400 and "not list" in batch.json["detail"]
    assert change_count(cat) == before
    assert client.post("/api/v1/lineage", json=OL_EVENT, headers=headers).status_code == 201
    assert change_count(cat) > before  # the same event, whole and good, is written
