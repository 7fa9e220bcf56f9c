"""CKAN ``package_search`` as harvesters call it (#12): filters, facets, an empty
``q`` sorted by change time, a window deep in the results. Each request is timed
over HTTP (Flask's test client) as the API answers it now (from the search
index, reading only the window's packages), beside the full search it replaced
(every package the caller may see loaded, then filtered, counted and sorted in
Python), which now answers only filters on what the index does not keep.

    python -m benchmarks.bench_ckan [--assets 1000 10000] [--database-url URL]

The answer's cost should follow the window and the distinct values, not the
number of packages: compare the sizes row by row.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flask import Flask

from benchmarks.catalogues import build
from benchmarks.common import WORK, print_table, save, summary_ms, timed
from catalogue import create_app
from catalogue.api import ckan
from catalogue.services.ckan_search import PackageQuery

FACETS = ["organization", "groups", "tags", "res_format", "license_id", "kind", "access"]


def scenarios(department: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("fq + facets", {"fq": f"organization:{department}", "facet.field": FACETS}),
        ("empty q, newest first", {"rows": 100}),
        (
            "changed lately, 2nd page",
            {
                "fq": "metadata_modified:[NOW-30DAYS TO *]",
                "sort": "metadata_modified desc",
                "rows": 100,
                "start": 100,
            },
        ),
        ("text + fq + facets", {"q": "council tax", "fq": "tags:council", "facet.field": FACETS}),
        ("title A-Z, 5th page", {"sort": "title_string asc", "rows": 20, "start": 80}),
    ]


def full_search(app: Flask, params: dict[str, Any]) -> dict[str, Any]:
    """The full search the API used before (every visible package loaded)."""
    query = PackageQuery(
        q=params.get("q", ""),
        filters=[params.get("fq", "")],
        sort=params.get("sort", PackageQuery.sort),
        rows=params.get("rows", 10),
        start=params.get("start", 0),
        facet_fields=params.get("facet.field", []),
    )
    with app.test_request_context("/api/3/action/package_search"):
        return ckan._search_every_package(query, include_private=False)


def measure(
    assets: int, server_url: str | None, rounds: int, full_rounds: int, work: Path = WORK
) -> list[dict]:
    """A row per request on a fresh generated catalogue of ``assets``; fails if
    the index's count is not the full search's."""
    catalogue = build(assets, server_url, work)
    app = create_app(catalogue.settings)
    client = app.test_client()
    rows = []
    try:
        first = client.post("/api/3/action/package_search", json={"rows": 1}).json["result"]
        department = first["results"][0]["organization"]["name"]
        for name, params in scenarios(department):

            def indexed(p: dict[str, Any] = params) -> dict[str, Any]:
                found = client.post("/api/3/action/package_search", json=p)
                assert found.status_code == 200, found.json
                return dict(found.json["result"])

            cold = timed(indexed, 1)[0]  # the first after a change builds sort columns
            answer = indexed()
            full = full_search(app, params)
            assert full["count"] == answer["count"], name
            rows.append(
                {
                    "assets": assets,
                    "backend": catalogue.backend,
                    "request": name,
                    "count": answer["count"],
                    "index_first_ms": round(cold, 1),
                    **{f"index_{k}": v for k, v in summary_ms(timed(indexed, rounds)).items()},
                    "full_p50_ms": summary_ms(
                        timed(lambda p=params: full_search(app, p), full_rounds)
                    )["p50_ms"],
                }
            )
    finally:
        app.extensions["catalogue"].close()
        catalogue.discard()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--full-rounds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for assets in args.assets:
        rows += measure(assets, args.database_url, args.rounds, args.full_rounds)
    print_table("CKAN package_search: from the index vs every package loaded (ms)", rows)
    save("ckan", {"rows": rows})


if __name__ == "__main__":
    main()
