"""A closed-loop HTTP load generator for loopback benchmarks.

N client threads each keep one HTTP/1.1 connection open (as a browser or a
script with a session does) and send GET requests one after another for a fixed
time, each picking its next path at random from the scenario's list. A request's
latency is from sending it to having read the whole body. Errors are answers
outside 2xx and requests that failed on the connection; only successful
requests count towards the latency percentiles, so an error page served fast
cannot flatter them.

The standard library is enough here: http.client spends a few tens of
microseconds per request, small beside a page that takes milliseconds.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.common import percentile


@dataclass
class Outcome:
    """What the clients saw during one run."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)  # successful requests only
    errors: Counter[str] = field(default_factory=Counter)  # "503", "connection", …

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    def merge(self, other: Outcome) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors.update(other.errors)

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        ok = self.latencies_ms
        return {
            "requests": self.requests,
            "req_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ok, 50), 1),
            "p95_ms": round(percentile(ok, 95), 1),
            "p99_ms": round(percentile(ok, 99), 1),
            "max_ms": round(max(ok), 1) if ok else float("nan"),
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
        }


def _client(
    port: int,
    paths: list[str],
    headers: dict[str, str],
    deadline: float,
    keep_alive: bool,
    seed: int,
    out: Outcome,
) -> None:
    rng = random.Random(seed)
    headers = {**headers, "Connection": "keep-alive" if keep_alive else "close"}
    conn: http.client.HTTPConnection | None = None
    while time.monotonic() < deadline:
        path = rng.choice(paths)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            out.errors[f"connection: {type(error).__name__}"] += 1
            conn.close()
            conn = None
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if 200 <= response.status < 300:
            out.latencies_ms.append(elapsed_ms)
        else:
            out.errors[str(response.status)] += 1
        if not keep_alive or response.will_close:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def drive(
    port: int,
    paths: list[str],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    keep_alive: bool = True,
    seed: int = 1,
) -> Outcome:
    """``clients`` threads sending requests for ``seconds`` to 127.0.0.1:``port``.

    Each thread records into its own Outcome (no lock on the hot path); they are
    merged at the end. The run's length is until the last thread has its last
    answer, so requests/s counts every request in it.
    """
    parts = [Outcome() for _ in range(clients)]
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(port, paths, headers or {}, deadline, keep_alive, seed * 1000 + i, parts[i]),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Outcome(seconds=time.monotonic() - started)
    for part in parts:
        total.merge(part)
    return total
