"""The page of a dataset with 1,000 columns, before and after #21, in one run.

On a generated SQLite catalogue with bench_http's wide dataset, as a viewer in
Housing (an API token), through the app in this process (no network, one
request at a time, so each figure is the work of one request):

- reading the record: mapped objects (``records.asset_record``, as the page and
  the API did) against plain rows (``assets.get``, the API now), and the first
  ``COLUMNS_SHOWN`` columns with a count of the rest (``assets.get_shown``, the
  page now: a LIMIT rather than 1,000 rows read to show 200);
- the page as shown (the first ``COLUMNS_SHOWN`` columns), the page with every
  column (``?columns=all``), the API record and an ordinary asset page.

Each row gives wall-clock p50/p95 and the CPU time of the median request
(process time, which a busy machine disturbs less). bench_http measures the
same page over HTTP under 8 clients against its 150 ms p95 target.

    python -m benchmarks.bench_wide_page [--assets 2000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks import catalogues
from benchmarks.bench_http import prepare_requests
from benchmarks.catalogues import WIDE_COLUMNS, WIDE_KEY
from benchmarks.common import print_table, save, summary_ms
from catalogue import create_app
from catalogue.services import assets
from catalogue.services.records import asset_record
from catalogue.store import Catalogue
from catalogue.web.asset_pages import COLUMNS_SHOWN


def measure(work: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Wall-clock p50/p95 and median CPU milliseconds of ``repeat`` calls (after one)."""
    work()
    wall, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        work()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    found = summary_ms(wall)
    return {"p50_ms": found["p50_ms"], "p95_ms": found["p95_ms"], "cpu_ms": statistics.median(cpu)}


def read_rows(built: catalogues.BenchCatalogue, repeat: int) -> list[dict[str, Any]]:
    """The wide record read both ways, each in a fresh session."""
    catalogue = Catalogue(built.settings)
    admin = catalogues.ADMIN
    try:

        def mapped() -> None:
            with catalogue.read() as session:
                asset_record(assets.get_asset(session, WIDE_KEY))

        def rows() -> None:
            with catalogue.reading(admin) as reader:
                assets.get(reader, WIDE_KEY)

        def shown() -> None:
            with catalogue.reading(admin) as reader:
                assets.get_shown(reader, WIDE_KEY, COLUMNS_SHOWN)

        return [
            {"what": "record, mapped objects (before)", **measure(mapped, repeat)},
            {"what": "record, plain rows, every column (the API)", **measure(rows, repeat)},
            {
                "what": f"record, first {COLUMNS_SHOWN} columns and a count (the page)",
                **measure(shown, repeat),
            },
        ]
    finally:
        catalogue.close()


def page_rows(built: catalogues.BenchCatalogue, repeat: int) -> list[dict[str, Any]]:
    paths, bearer = prepare_requests(built)  # adds the wide dataset if it is missing
    app = create_app(built.settings)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer['viewer']}"}
    asked = {
        f"page, first {COLUMNS_SHOWN} columns shown (now)": f"/assets/{WIDE_KEY}",
        f"page, all {WIDE_COLUMNS:,} columns (?columns=all)": f"/assets/{WIDE_KEY}?columns=all",
        f"API record, {WIDE_COLUMNS:,} columns": f"/api/v1/assets/{WIDE_KEY}",
        "an ordinary asset page": paths["asset page"][0],
    }
    out = []
    try:
        for what, path in asked.items():

            def get(path: str = path) -> None:
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")

            out.append({"what": what, **measure(get, repeat)})
    finally:
        app.extensions["catalogue"].close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    built = catalogues.kept(args.assets, None) or catalogues.build(args.assets, None)
    try:
        pages = page_rows(built, args.repeat)
        rows = read_rows(built, args.repeat) + pages
    finally:
        built.discard()
    print_table(
        f"The {WIDE_COLUMNS:,}-column dataset's page, one request at a time, "
        f"SQLite, {args.assets:,} assets, {args.repeat} requests each (ms)",
        rows,
    )
    save("wide_page", {"assets": args.assets, "repeat": args.repeat, "rows": rows})


if __name__ == "__main__":
    main()
