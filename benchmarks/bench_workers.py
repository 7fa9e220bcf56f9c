"""Workers that share their memory: `catalogue serve --workers 4` at scale.

On a generated catalogue (100,000 assets by default; SQLite, and PostgreSQL
with ``--database-url``): `catalogue index rebuild`, then `catalogue serve
--workers 4` as a user starts it. Measured:

- ready after start: seconds from starting the command until /readyz answers
  and every worker has logged that it warmed up (graph caught up, index open),
  and the CPU time the master spent until then (the graph loader it forks
  included: on a busy machine the steadier figure);
- memory of each worker after a spell of traces and asset pages, read from
  ``/proc/PID/smaps_rollup``: RSS (counts every page it maps, shared or not),
  USS (its private pages: what stopping it would free) and PSS (its own pages
  plus its share of those it shares). The sum of PSS over the workers and the
  master is what the service costs the machine.

Targets (#21): each worker ≤ 250 MB (its PSS: RSS counts the shared graph once
per worker), the sum for 4 workers ≤ 1.2 GB, ready ≤ 20 s at 250,000 assets.

    python -m benchmarks.bench_workers [--assets 100000] [--database-url URL]
        [--workers 4] [--duration 10] [--discard] [--keep] [--reuse-index]

A catalogue kept by bench_lineage in the same run is reused (and left for the
next step unless ``--discard``); otherwise one is made and dropped after, or
kept for the next run with ``--keep``. ``--reuse-index`` skips `catalogue index
rebuild` when the kept catalogue's index is there (start-up measured again on
the same 250,000 assets without minutes of rebuilding).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks import catalogues
from benchmarks.bench_http import Server, prepare_requests
from benchmarks.common import WORK, print_table, run_cli, save
from benchmarks.loadgen import drive

WORKER_MB_TARGET = 250.0
SUM_MB_TARGET = 1200.0
READY_S_TARGET = 20.0


def cpu_s(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(ticks) for ticks in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def smaps_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (private clean + dirty) of a process, in MB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "rss_mb": round(fields.get("Rss", 0) / 1024, 1),
        "pss_mb": round(fields.get("Pss", 0) / 1024, 1),
        "uss_mb": round(uss / 1024, 1),
    }


def warmed_workers(log_path: Path) -> set[int]:
    """Process ids of the workers that logged "worker warmed up" so far."""
    pids = set()
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if str(entry.get("message", "")).startswith("worker warmed up"):
            pids.add(entry.get("pid"))
    return pids


def wait_warmed(server: Server, workers: int, timeout: float = 300) -> float:
    """Seconds from start until /readyz answers and every worker has warmed up."""
    server.wait_ready(timeout)
    deadline = time.monotonic() + timeout
    while len(warmed_workers(server.log_path)) < workers:
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise SystemExit(f"the workers did not all warm up; see {server.log_path}")
        time.sleep(0.1)
    return time.perf_counter() - server.started


def bench(
    assets: int,
    server_url: str | None,
    workers: int,
    duration: float,
    discard: bool = False,
    work: Path = WORK,
    keep: bool = False,
    reuse_index: bool = False,
) -> dict[str, Any]:
    """Serve a catalogue (one a previous step kept, else a new one) and measure.
    A catalogue made here is discarded after unless ``keep``; a kept one only
    with ``discard``."""
    found = catalogues.kept(assets, server_url, work)
    built = found or catalogues.build(assets, server_url, work)
    try:
        rebuild_s = None
        if not (found and reuse_index):
            rebuild_s = run_cli(built.env(), "index", "rebuild")
        paths, bearer = prepare_requests(built)
        env = {**built.env(), "CATALOGUE_LOG_FORMAT": "json"}
        server = Server(env, built.folder, workers)
        try:
            ready_s = wait_warmed(server, workers)
            master_cpu_s = cpu_s(server.process.pid)
            # Traces (the auditor) and asset pages (staff) on fresh connections,
            # so every worker walks its graph and renders pages before memory is read.
            outcomes = {}
            for name, role in (("trace", "auditor"), ("asset page", "viewer")):
                headers = {"Authorization": f"Bearer {bearer[role]}"}
                done = drive(server.port, paths[name], workers * 2, duration, headers, False)
                outcomes[name] = done.summary()
            memory = {pid: smaps_mb(pid) for pid in server.workers()}
            master = smaps_mb(server.process.pid)
        finally:
            server.stop()
    finally:
        if discard or not (found or keep):
            built.discard()
        elif keep:
            built.keep()
    return {
        "backend": built.backend,
        "assets": built.assets,
        "edges": built.edges,
        "workers": workers,
        "index_rebuild_s": None if rebuild_s is None else round(rebuild_s, 1),
        "ready_s": round(ready_s, 1),
        "master_cpu_s": round(master_cpu_s, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "worker_memory": list(memory.values()),
        "master_memory": master,
        "pss_sum_mb": round(sum(m["pss_mb"] for m in memory.values()) + master["pss_mb"], 1),
        "load": outcomes,
    }


def rows_for(result: dict[str, Any]) -> list[dict[str, str]]:
    memory = result["worker_memory"]
    worst = {k: max(m[k] for m in memory) for k in ("rss_mb", "pss_mb", "uss_mb")}
    n = result["workers"]
    return [
        {
            "measure": f"`catalogue serve --workers {n}` ready (every worker warmed up)",
            "value": f"{result['ready_s']} s",
            "target": f"≤ {READY_S_TARGET:.0f} s at 250k",
        },
        {
            "measure": "CPU time of the master until then (its graph loader included)",
            "value": f"{result['master_cpu_s']} s",
            "target": "",
        },
        {
            "measure": "each worker's memory, PSS (largest)",
            "value": f"{worst['pss_mb']} MB",
            "target": f"≤ {WORKER_MB_TARGET:.0f} MB",
        },
        {
            "measure": "each worker's private memory, USS (largest)",
            "value": f"{worst['uss_mb']} MB",
            "target": "",
        },
        {
            "measure": "each worker's RSS, shared pages counted in full (largest)",
            "value": f"{worst['rss_mb']} MB",
            "target": "",
        },
        {
            "measure": f"sum of PSS, {n} workers and the master",
            "value": f"{result['pss_sum_mb']} MB",
            "target": f"≤ {SUM_MB_TARGET:.0f} MB",
        },
        {
            "measure": "traces over HTTP during the spell, p50 / p95",
            "value": "{p50_ms} / {p95_ms} ms".format(**result["load"]["trace"]),
            "target": "",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--discard", action="store_true", help="drop a kept catalogue after")
    parser.add_argument("--keep", action="store_true", help="keep the catalogue for a later run")
    parser.add_argument(
        "--reuse-index", action="store_true", help="a kept catalogue's index as it is"
    )
    args = parser.parse_args()
    result = bench(
        args.assets,
        args.database_url,
        args.workers,
        args.duration,
        args.discard,
        keep=args.keep,
        reuse_index=args.reuse_index,
    )
    print_table(
        f"Workers sharing memory, {result['assets']:,} assets / {result['edges']:,} edges "
        f"({result['backend']})",
        rows_for(result),
    )
    save(f"workers-{result['backend']}-{result['assets']}", result)


if __name__ == "__main__":
    main()
