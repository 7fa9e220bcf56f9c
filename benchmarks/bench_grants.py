"""What access grants (#17) cost: search as a viewer holding 0, 1, 20 or 200
grants (the keys are looked up in the index's key postings once per visibility,
then cached), and reading one person's grants in force (one indexed query,
made whenever a principal is made) among 20,000 requests. Target: a viewer with
grants searches within 10 % of one without (p95), and the grant lookup is
under 1 ms (p95).

    python -m benchmarks.bench_grants [--assets 20000] [--requests 20000]
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from benchmarks.bench_search import QUERIES, as_records
from benchmarks.common import WORK, print_table, save, summary_ms, timed
from catalogue.access_models import AccessRequest
from catalogue.db import Base
from catalogue.models import User
from catalogue.services.grants import granted_keys
from search import SearchIndex, SearchRequest, Visibility


def search_rows(index: SearchIndex, records: list[dict], rounds: int) -> list[dict]:
    restricted = [r["key"] for r in records if r.get("access") == "restricted"]
    department = records[0]["department"]
    rows = []
    for grants in (0, 1, 20, 200):
        seen = Visibility(
            access=frozenset({"open", "internal"}),
            departments=frozenset({department}),
            keys=frozenset(restricted[:grants]),
        )
        first = timed(lambda v=seen: index.search(SearchRequest(q="council tax", visibility=v)), 1)
        warm: list[float] = []
        for _ in range(rounds):
            for q in QUERIES:
                warm += timed(lambda q=q, v=seen: index.search(SearchRequest(q=q, visibility=v)), 1)
        rows.append({"grants": grants, "first_ms": round(first[0], 1), **summary_ms(warm)})
    return rows


def lookup_row(requests: int, folder: str) -> dict:
    engine = create_engine(f"sqlite:///{folder}/grants.db")
    Base.metadata.create_all(engine, tables=[User.__table__, AccessRequest.__table__])
    today, rng = date.today(), random.Random(17)
    people = max(1, requests // 20)
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [{"id": i, "username": f"u{i}", "name": f"U {i}", "role": "viewer",
              "created_at": datetime.now(UTC), "disabled": False, "source": "local"}
             for i in range(1, people + 1)],
        )  # fmt: skip
        conn.execute(
            insert(AccessRequest),
            [{"asset_key": f"asset-{rng.randrange(100_000)}",
              "requester_id": rng.randint(1, people),
              "requester": "x", "reason": "r", "status": rng.choice(["approved", "declined"]),
              "until": today + timedelta(days=rng.randint(-200, 200)),
              "requested_at": datetime.now(UTC)} for _ in range(requests)],
        )  # fmt: skip
    with Session(engine) as session:
        ms = timed(lambda: granted_keys(session, rng.randint(1, people), today), 2000)
    engine.dispose()
    return {"requests": requests, "people": people, **summary_ms(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = WORK / f"grants-{args.assets}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    records = as_records(args.assets)
    index = SearchIndex(folder / "index")
    index.rebuild(records, 1)
    rows = search_rows(index, records, args.rounds)
    index.close()
    base = rows[0]["p95_ms"]
    for row in rows:
        row["vs_none"] = f"{row['p95_ms'] / base:.2f}×"
        row["target"] = "p95 ≤ 1.10×" if row["grants"] else ""
    print_table(f"Search as a viewer with grants, {args.assets:,} assets", rows)
    lookup = lookup_row(args.requests, str(folder))
    print_table(
        "A person's grants in force, read when their principal is made (SQLite)",
        [{**lookup, "target": "p95 ≤ 1 ms"}],
    )
    save("grants", {"assets": args.assets, "search": rows, "lookup": lookup})


if __name__ == "__main__":
    main()
