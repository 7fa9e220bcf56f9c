"""Notifications at scale (#19): 10,000 changes fanned out to 1,000 watchers
through the lineage graph. Target: the fan-out (change log → outbox, one row
per change and recipient) in ≤ 30 s on the 2-core machine.

    python -m benchmarks.bench_notify [--assets 5000] [--watchers 1000]
        [--changes 10000] [--database-url URL]

The catalogue is generated (layers of systems, datasets and reports, as the
other benchmarks), the watchers are accounts of several departments (so
restricted assets are masked for some): 60% watch a report with everything
upstream, 25% a dataset, 15% a department. The changes are classification and
access changes of random datasets, written through the services. Delivery is
not timed here (it is the SMTP relay's speed); the outbox rows are counted.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import time

from sqlalchemy import func, insert, select

from benchmarks import catalogues
from benchmarks.catalogues import ADMIN
from benchmarks.common import print_table, save
from catalogue.db import utcnow
from catalogue.models import Asset, Department, User
from catalogue.notify_models import Notification, Watch
from catalogue.services import assets as asset_service
from catalogue.services.changes import writing
from catalogue.services.notify import fan_out_batch
from catalogue.services.notify_settings import NotifySettings
from catalogue.services.watches import start_listening
from catalogue.store import Catalogue

TARGET_S = 30.0
PROFILE = bool(os.environ.get("BENCH_PROFILE"))
WRITE_BATCH = 500


def add_watchers(cat: Catalogue, watchers: int, rng: random.Random) -> None:
    """``watchers`` accounts and one watch each, written in bulk."""
    with cat.sessions() as session, session.begin():
        departments = list(session.scalars(select(Department.name)))
        kinds = dict(session.execute(select(Asset.key, Asset.kind)).all())
        reports = sorted(k for k, kind in kinds.items() if kind == "report")
        datasets = sorted(k for k, kind in kinds.items() if kind == "dataset")
        now = utcnow()
        session.execute(insert(User), [
            {"username": f"watcher{i}", "email": f"watcher{i}@council.example", "name": f"W {i}",
             "role": "viewer", "department": rng.choice(departments), "disabled": False,
             "created_at": now}
            for i in range(watchers)
        ])  # fmt: skip
        ids = list(session.scalars(select(User.id).where(User.username.like("watcher%"))))
        rows = []
        for user_id in ids:
            roll = rng.random()
            kind, target, upstream = (
                ("asset", rng.choice(reports), True) if roll < 0.6
                else ("asset", rng.choice(datasets), False) if roll < 0.85
                else ("department", rng.choice(departments), False)
            )  # fmt: skip
            rows.append({"user_id": user_id, "target_kind": kind, "target": target,
                         "upstream": upstream, "muted": False, "created_at": now})  # fmt: skip
        session.execute(insert(Watch), rows)
        start_listening(session)


def make_changes(cat: Catalogue, changes: int, rng: random.Random) -> None:
    """``changes`` newsworthy changes to random datasets, through the services."""
    with cat.read() as session:
        datasets = sorted(session.scalars(select(Asset.key).where(Asset.kind == "dataset")))
    done = 0
    while done < changes:
        # The services' write, without the search index catching up after each
        # batch (the index is not what this measures).
        with writing(cat.sessions, ADMIN) as writer:
            for _ in range(min(WRITE_BATCH, changes - done)):
                key = rng.choice(datasets)
                record = asset_service.get(writer, key)
                marking = (
                    {"classification": "OFFICIAL" if record["classification"] != "OFFICIAL"
                     else "OFFICIAL-SENSITIVE"}
                    if rng.random() < 0.5
                    else {"access": "internal" if record["access"] == "open" else "open"}
                )  # fmt: skip
                asset_service.update(writer, key, marking)
                done += 1


def measure(built: catalogues.BenchCatalogue, watchers: int, changes: int) -> dict:
    """Watchers and changes added, then the fan-out timed (wall and CPU seconds:
    the machine is shared, so the load average is recorded beside them)."""
    rng = random.Random(19)
    cat = Catalogue(built.settings)
    try:
        add_watchers(cat, watchers, rng)
        started = time.perf_counter()
        make_changes(cat, changes, rng)
        write_s = time.perf_counter() - started
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        cat.graph()
        graph_s = time.perf_counter() - started
        settings = NotifySettings()
        started, cpu_started = time.perf_counter(), time.process_time()
        handled = 0
        profile = cProfile.Profile() if PROFILE else None
        if profile:
            profile.enable()
        while True:
            n, _queued = fan_out_batch(cat, settings, utcnow())
            handled += n
            if n == 0:
                break
        fan_out_s = time.perf_counter() - started
        fan_out_cpu_s = time.process_time() - cpu_started
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with cat.read() as session:
            rows = session.scalar(select(func.count()).select_from(Notification)) or 0
    finally:
        cat.close()
    return {
        "backend": built.backend,
        "assets": built.assets,
        "edges": built.edges,
        "watchers": watchers,
        "changes": handled,
        "outbox_rows": rows,
        "writing_changes_s": round(write_s, 1),
        "graph_build_s": round(graph_s, 2),
        "fan_out_s": round(fan_out_s, 2),
        "fan_out_cpu_s": round(fan_out_cpu_s, 2),
        "changes_per_s": round(handled / fan_out_s) if fan_out_s else None,
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(max(rss_before, rss_after) / 1024, 1),
        "rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
        "target_s": TARGET_S,
        "met": fan_out_s + graph_s <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--database-url", help="a PostgreSQL server (else SQLite only)")
    args = parser.parse_args()
    built = catalogues.build(args.assets, args.database_url)
    try:
        result = measure(built, args.watchers, args.changes)
    finally:
        built.discard()
    print_table(
        f"Notifications: {args.changes:,} changes to {args.watchers:,} watchers "
        f"(target: graph + fan-out ≤ {TARGET_S:g} s)",
        [result],
    )
    save(f"notify-{result['backend']}", result)


if __name__ == "__main__":
    main()
