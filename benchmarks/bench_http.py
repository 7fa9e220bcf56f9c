"""The catalogue over HTTP: `catalogue serve --workers 2` under load on loopback.

For each backend (SQLite, and PostgreSQL with ``--database-url``), on a
catalogue of 100,000 generated assets: rebuild the search index with
`catalogue index rebuild`, start `catalogue serve --workers 2`, wait for
/readyz, warm up, then 8 clients (threads, keep-alive connections) send
requests for a fixed time per scenario:

- search page: ``/search?q=…`` as staff use it (a viewer's token), varied
  council terms, half of them narrowed to datasets or reports;
- search API: ``/api/v1/search?q=…``, the same mix, for scripts;
- asset page: ``/assets/KEY``, random assets the viewer may see;
- wide asset page: ``/assets/KEY`` of a dataset with 1,000 columns (registered
  through the services before serving, if the catalogue lacks it);
- trace: ``/api/v1/assets/REPORT/trace``, the auditor's trace of a random report.

Reports requests, requests/s, p50/p95/p99 and errors per scenario, and the
memory (RSS) of each worker after the load. Targets: search page p95 ≤ 100 ms
under 8 clients at 100,000 assets; the wide asset page p95 ≤ 150 ms.

    python -m benchmarks.bench_http [--assets 100000] [--database-url URL]
        [--duration 10] [--clients 8] [--keep]

``--database-url`` names a PostgreSQL server: a catalogue kept there by
bench_lineage in the same run is reused, else one is made; it is dropped at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from benchmarks import catalogues
from benchmarks.bench_datasette import datasette_installed, load_datasette
from benchmarks.bench_search import QUERIES
from benchmarks.catalogues import ADMIN, WIDE_COLUMNS, WIDE_KEY, add_wide_dataset, backend_name
from benchmarks.common import CATALOGUE, WORK, print_table, run_cli, save
from benchmarks.loadgen import drive
from catalogue.models import Asset, Department
from catalogue.services import accounts, tokens
from catalogue.store import Catalogue

SEARCH_P95_TARGET_MS = 100.0
WIDE_P95_TARGET_MS = 150.0
VIEWER_DEPARTMENT = "Housing"
KINDS = ("dataset", "report")
# name: (route as printed, who asks). Staff search and read pages; auditors trace.
SCENARIOS = {
    "search page": ("/search?q=…", "viewer"),
    "search API": ("/api/v1/search?q=…", "viewer"),
    "asset page": ("/assets/KEY", "viewer"),
    "wide asset page": (f"/assets/KEY ({WIDE_COLUMNS:,} columns)", "viewer"),
    "trace": ("/api/v1/assets/REPORT/trace", "auditor"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def search_queries() -> list[str]:
    """The bench_search terms, each alone and narrowed by a kind facet, as
    someone does after a first look (a kind, unlike a department picked at
    random, keeps hits to show)."""
    out = [urlencode({"q": q}) for q in QUERIES]
    out += [urlencode({"q": q, "kind": KINDS[i % 2]}) for i, q in enumerate(QUERIES)]
    return out


def scenario_paths(session: Session, seed: int = 11) -> dict[str, list[str]]:
    """Request paths per scenario, from what is in the database."""
    rows = session.execute(
        select(Asset.key, Asset.kind, Asset.access, Department.name).outerjoin(
            Department, Asset.department_id == Department.id
        )
    ).all()
    rng = random.Random(seed)
    visible = [k for k, _, acc, dept in rows if acc != "restricted" or dept == VIEWER_DEPARTMENT]
    reports = [k for k, kind, _, _ in rows if kind == "report"]
    queries = search_queries()
    return {
        "search page": [f"/search?{q}" for q in queries],
        "search API": [f"/api/v1/search?{q}" for q in queries],
        "asset page": [f"/assets/{quote(k)}" for k in rng.sample(visible, min(500, len(visible)))],
        "wide asset page": [f"/assets/{WIDE_KEY}"],
        "trace": [
            f"/api/v1/assets/{quote(k)}/trace" for k in rng.sample(reports, min(200, len(reports)))
        ],
    }


def bearer_tokens(session: Session) -> dict[str, str]:
    """Tokens of a viewer in Housing (staff searching and reading pages) and of
    an auditor (traces); the accounts are made once, the tokens each run."""
    made = {}
    for role in ("viewer", "auditor"):
        username = f"bench-{role}"
        if accounts.find_user(session, username) is None:
            accounts.add_user(
                session,
                ADMIN,
                username,
                name=f"Bench {role}",
                role=role,
                department=VIEWER_DEPARTMENT,
            )
        made[role] = tokens.create_token(session, ADMIN, username, "benchmark", 1).secret
    return made


Requests = tuple[dict[str, list[str]], dict[str, str]]


def prepare_requests(built: catalogues.BenchCatalogue) -> Requests:
    """The paths each scenario requests and the tokens they are sent with."""
    catalogue = Catalogue(built.settings)
    try:
        add_wide_dataset(catalogue)
        with catalogue.sessions.begin() as session:
            return scenario_paths(session), bearer_tokens(session)
    finally:
        catalogue.close()


class Server:
    """`catalogue serve` as a subprocess, its log in the catalogue's folder."""

    def __init__(self, env: dict[str, str], folder: str, workers: int = 2) -> None:
        self.port = free_port()
        self.log_path = Path(folder) / "serve.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [CATALOGUE, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> float:
        """Seconds from start until /readyz answers 200; fails if it never does."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/readyz"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"catalogue serve exited; see {self.log_path}")
            try:
                # /readyz brings the answering worker's views up to date: at
                # 100,000 assets its first answer waits for the lineage graph.
                with urllib.request.urlopen(url, timeout=120) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"catalogue serve not ready in {timeout:.0f} s; see {self.log_path}")

    def workers(self) -> list[int]:
        """Process ids of the gunicorn workers: the children of the serve process."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def stop(self) -> None:
        """SIGTERM, as a service manager would: gunicorn lets requests finish."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


def warm_up(
    port: int, paths: list[str], headers: dict[str, str], clients: int, seconds: float
) -> float:
    """Requests on fresh connections (so both workers get some) until none takes
    two seconds: the first in each worker loads its lineage graph (seconds at
    100,000 assets) or opens its index. Returns the slowest warm-up request in
    ms: the wait of the first user after a worker starts."""
    slowest = 0.0
    for _ in range(6):
        outcome = drive(port, paths, clients, seconds, headers, keep_alive=False, seed=99)
        worst = max(outcome.latencies_ms, default=0.0)
        slowest = max(slowest, worst)
        if outcome.latencies_ms and worst < 2000 and not outcome.errors:
            break
    return round(slowest, 1)


def load_scenarios(
    port: int,
    paths: dict[str, list[str]],
    bearer: dict[str, str],
    clients: int,
    duration: float,
    warmup: float,
) -> list[dict[str, Any]]:
    """Warm up, then load each scenario in turn; one row per scenario."""
    rows = []
    for name, (route, role) in SCENARIOS.items():
        headers = {"Authorization": f"Bearer {bearer[role]}"}
        cold_ms = warm_up(port, paths[name], headers, clients, warmup)
        outcome = drive(port, paths[name], clients, duration, headers)
        row = {"scenario": name, "route": route, "as": role, "clients": clients}
        rows.append({**row, **outcome.summary(), "warmup_slowest_ms": cold_ms})
    return rows


def bench_backend(
    assets: int,
    server_url: str | None,
    duration: float,
    warmup: float,
    clients: int,
    work: Path = WORK,
    keep: bool = False,
) -> dict[str, Any]:
    """Serve one catalogue and load it; the catalogue is discarded unless ``keep``."""
    found = catalogues.kept(assets, server_url, work)
    if not found:
        print(
            f"[http] building a {backend_name(server_url)} catalogue of {assets:,} assets",
            file=sys.stderr,
            flush=True,
        )
    built = found or catalogues.build(assets, server_url, work)
    try:
        progress(built, "index rebuild")
        rebuild_s = run_cli(built.env(), "index", "rebuild")
        paths, bearer = prepare_requests(built)
        progress(built, "serve and load")
        server = Server(built.env(), built.folder)
        try:
            ready_s = server.wait_ready()
            rows = load_scenarios(server.port, paths, bearer, clients, duration, warmup)
            workers = {pid: memory_mb(pid) for pid in server.workers()}
        finally:
            server.stop()
        if built.backend == "sqlite" and datasette_installed():  # the same assets and load
            with Session(create_engine(built.database_url)) as session:
                args = (free_port(), search_queries(), clients, duration, warmup)
                rows.append(load_datasette(session, Path(built.folder), *args))
    finally:
        if keep:
            built.keep()
        else:
            built.discard()
    return {
        "backend": built.backend,
        "assets": built.assets,
        "edges": built.edges,
        "catalogue_reused": found is not None,
        "setup_s": None if found else built.setup_s,
        "index_rebuild_s": round(rebuild_s, 1),
        "ready_s": round(ready_s, 1),
        "workers": list(workers.values()),
        "server_log": str(server.log_path),
        "scenarios": [{"backend": built.backend, **row} for row in rows],
    }


def progress(built: catalogues.BenchCatalogue, what: str) -> None:
    print(f"[http {built.backend}, {built.assets:,} assets] {what}", file=sys.stderr, flush=True)


def verdict(row: dict[str, Any]) -> str:
    limit = {"search page": SEARCH_P95_TARGET_MS, "wide asset page": WIDE_P95_TARGET_MS}
    if row["scenario"] not in limit:
        return ""
    met = row["errors"] == 0 and row["p95_ms"] <= limit[row["scenario"]]
    return f"p95 ≤ {limit[row['scenario']]:.0f} ms: {'met' if met else 'NOT met'}"


def report(results: list[dict[str, Any]], duration: float) -> None:
    columns = (
        "backend",
        "scenario",
        "route",
        "requests",
        "req_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "errors",
    )
    rows = [
        {**{c: row[c] for c in columns}, "target": verdict(row)}
        for result in results
        for row in result["scenarios"]
    ]
    assets = results[0]["assets"] if results else 0
    clients = results[0]["scenarios"][0]["clients"] if results else 0
    print_table(
        f"HTTP, catalogue serve --workers 2, {assets:,} assets, {clients} clients, "
        f"{duration:.0f} s per scenario",
        rows,
    )
    print_table(
        "Serving: start-up and worker memory after the load",
        [
            {
                "backend": r["backend"],
                "index rebuild s": r["index_rebuild_s"],
                "serve to /readyz s": r["ready_s"],
                "slowest warm-up request ms": max(s["warmup_slowest_ms"] for s in r["scenarios"]),
                "worker RSS MB": " / ".join(str(w["rss_mb"]) for w in r["workers"]),
                "worker peak RSS MB": " / ".join(str(w["peak_rss_mb"]) for w in r["workers"]),
            }
            for r in results
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per scenario")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the catalogues for another run")
    args = parser.parse_args()
    servers = [None] + ([args.database_url] if args.database_url else [])
    results = [
        bench_backend(args.assets, server, args.duration, args.warmup, args.clients, keep=args.keep)
        for server in servers
    ]
    report(results, args.duration)
    save(
        "http",
        {
            "duration_s": args.duration,
            "target_search_p95_ms": SEARCH_P95_TARGET_MS,
            "target_wide_p95_ms": WIDE_P95_TARGET_MS,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
