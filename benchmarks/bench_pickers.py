"""What the steward's form costs to offer its pickers (#17): the departments,
source systems, owners and stewards a steward may see, read by
``services.known`` (three queries that select only those, the read rule in the
database) on a catalogue of N generated assets, beside the full load of every
visible asset that the form made before. Target: p95 ≤ 200 ms at 100,000
assets on SQLite, whoever asks.

    python -m benchmarks.bench_pickers [--assets 100000] [--database-url URL]

It reuses the catalogue an earlier step of `make bench` kept (bench_lineage's).
"""

from __future__ import annotations

import argparse

from benchmarks.catalogues import reuse_or_build
from benchmarks.common import print_table, save, summary_ms, timed
from benchmarks.generate import DEPARTMENTS
from catalogue.services import assets, known
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue

TARGET_MS = 200.0
ASKERS = {
    "steward (Housing)": Principal(
        "s@example.gov.uk", "steward", DEPARTMENTS[3], "s@example.gov.uk"
    ),
    "viewer (Finance)": Principal("v@example.gov.uk", "viewer", DEPARTMENTS[8], "v@example.gov.uk"),
    "admin": operator("bench"),
}


def rows(catalogue: Catalogue, repeat: int) -> tuple[list[dict], float]:
    """A row per asker, and the milliseconds of the full load the form made before."""
    out = []
    for who, principal in ASKERS.items():
        with catalogue.reading(principal) as reader:
            found = known.known(reader)
            ms = timed(lambda r=reader: known.known(r), repeat)
            row = {"who": who, "systems": len(found.systems), "people": len(found.people)}
            out.append({**row, **summary_ms(ms), "target_ms": TARGET_MS})
    # The form before #17, once (it loads every visible asset with its columns).
    with catalogue.reading(ASKERS["steward (Housing)"]) as reader:
        full = timed(lambda: assets.list_assets(reader), 1)
    return out, round(full[0], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on instead of SQLite")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    built = reuse_or_build(args.assets, args.database_url)
    catalogue = Catalogue(built.settings)
    try:
        table, before_ms = rows(catalogue, args.repeat)
    finally:
        catalogue.close()
    print_table(f"The edit form's pickers, {args.assets:,} assets ({built.backend})", table)
    print_table(
        "Before #17: every asset the Housing steward may see, loaded (once)",
        [{"assets": args.assets, "ms": before_ms}],
    )
    save(
        "pickers",
        {"assets": args.assets, "backend": built.backend, "rows": table, "before_ms": before_ms},
    )


if __name__ == "__main__":
    main()
