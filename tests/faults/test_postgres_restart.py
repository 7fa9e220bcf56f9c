"""PostgreSQL restarted under load: while it is down every request is answered
at once, either from the views or with a clean 503 (problem+json for the API,
a GOV.UK page for people, Retry-After on both), never a 500, a hang or a
traceback; when it is back, the same workers serve again by themselves, and a restart
while no one is asking goes unnoticed.

The restart is of a private, throwaway cluster made for this test (the shared
test server stays up for the other tests). Without PostgreSQL's binaries or
``runuser`` the test is skipped on a developer's machine and FAILS in CI.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import NoReturn

import pytest

from tests.conftest import Runner, missing_service
from tests.serving import Answer, Server, fetch, free_port, start_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENT_TIMEOUT = 10  # seconds: longer than this is a hang
#: Bounds on waiting for a state (ready, an outage noticed, recovered): never how
#: fast it must happen, only how long before the test gives up on a stuck server.
PATIENCE = 120
REPORT = "rpt-housing-arrears-dashboard"
# name: (path, sent with the steward's API token?)
REQUESTS = {
    "search api": ("/api/v1/search?q=council+tax", False),
    "asset page": ("/assets/ev-charge-points", False),
    "trace api": (f"/api/v1/assets/{REPORT}/trace", True),
    "readyz": ("/readyz", False),
}
#: Answers each phase waits for: enough that every kind of request was asked.
ANSWERS = 2 * len(REQUESTS)


def _missing(what: str) -> NoReturn:
    missing_service(f"cannot run a private PostgreSQL for the restart test: {what}")


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own: initdb'd in a temporary folder, trust
    authentication on 127.0.0.1 for the role ``catalogue``."""

    bin: Path
    folder: Path
    port: int
    as_owner: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://catalogue@127.0.0.1:{self.port}/catalogue"

    def pg_ctl(self, *args: str) -> None:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args]
        subprocess.run([*self.as_owner, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-w", "-l", str(self.folder / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-w", "-m", mode, "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb") or ""]
    if not found:
        _missing("no initdb (install the postgresql package)")
    bin_dir = Path(found[-1]).parent
    as_owner: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="catalogue-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to `postgres`
        if not shutil.which("runuser"):
            _missing("runuser is not installed")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing("no `postgres` OS user")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    initdb = [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "catalogue"]
    subprocess.run(
        [*as_owner, *initdb, "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    db = Cluster(bin_dir, folder, free_port(), as_owner)
    db.start()
    createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(db.port)]
    subprocess.run([*createdb, "-U", "catalogue", "catalogue"], check=True, capture_output=True)
    try:
        yield db
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            db.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Seen:
    name: str
    started: float
    answer: Answer | None
    failure: str | None = None


class Load:
    """Client threads asking for each kind of page in turn until stopped."""

    def __init__(self, base: str, token: str, threads: int = 3) -> None:
        self.base = base
        self.token = token
        self.seen: list[Seen] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, offset: int) -> None:
        names = list(REQUESTS)
        i = offset
        while not self._stop.is_set():
            name = names[i % len(names)]
            i += 1
            started = time.monotonic()
            try:
                answer = ask(self.base, name, self.token)
                self.seen.append(Seen(name, started, answer))
            except (OSError, HTTPException) as error:  # a hang, a reset, a cut-off body
                self.seen.append(Seen(name, started, None, repr(error)))
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def between(self, start: float, end: float = float("inf")) -> list[Seen]:
        """The requests that were sent between ``start`` and ``end``."""
        return [s for s in list(self.seen) if start <= s.started <= end]

    def wait_for(self, what: str, since: float, enough: Callable[[list[Seen]], bool]) -> None:
        """Wait until the requests sent since ``since`` show a state; fail after PATIENCE."""
        deadline = time.monotonic() + PATIENCE
        while not enough(self.between(since)):
            assert time.monotonic() < deadline, f"never saw {what}"
            time.sleep(0.05)


def statuses(seen: list[Seen], status: int) -> int:
    return sum(1 for s in seen if s.answer and s.answer.status == status)


def check_clean(seen: Seen) -> str | None:
    """Why an answer during the outage is not acceptable, or None if it is."""
    if seen.answer is None:
        return f"{seen.name}: no answer ({seen.failure})"
    answer = seen.answer
    text = answer.body.decode("utf-8", "replace")
    if "Traceback" in text or 'File "' in text:
        return f"{seen.name}: a traceback reached the client"
    if answer.status == 200:
        return None
    if answer.status != 503:
        return f"{seen.name}: status {answer.status}"
    if "retry-after" not in answer.headers:
        return f"{seen.name}: 503 without Retry-After"
    if seen.name == "asset page":
        if "text/html" not in answer.content_type or "govuk-" not in text:
            return f"{seen.name}: 503 is not the GOV.UK error page"
        return None
    if "json" not in answer.content_type:
        return f"{seen.name}: 503 is not JSON ({answer.content_type})"
    body = answer.json()
    if seen.name != "readyz" and (body.get("status") != 503 or "title" not in body):
        return f"{seen.name}: 503 is not a problem document"
    return None


def ask(base: str, name: str, token: str) -> Answer:
    path, with_token = REQUESTS[name]
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    return fetch(base + path, headers=headers, timeout=CLIENT_TIMEOUT)


def all_succeed(base: str, token: str) -> bool:
    try:
        return all(ask(base, name, token).status == 200 for name in REQUESTS)
    except (OSError, HTTPException):
        return False


def wait_until_all_succeed(base: str, token: str, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not all_succeed(base, token):
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.2)


def has_every_kind(seen: list[Seen]) -> bool:
    """Each kind of request has been answered at least twice since the outage began."""
    return all(sum(1 for s in seen if s.name == name) >= 2 for name in REQUESTS)


def etag_of(base: str, token: str) -> str:
    """The version of rent-accounts a client read, for If-Match."""
    answer = fetch(
        f"{base}/api/v1/assets/rent-accounts",
        headers={"Authorization": f"Bearer {token}"},
        timeout=CLIENT_TIMEOUT,
    )
    assert answer.status == 200, answer.body
    return answer.headers["etag"]


def retitle(base: str, token: str, title: str, etag: str) -> Answer:
    return fetch(
        f"{base}/api/v1/assets/rent-accounts",
        method="PATCH",
        body=json.dumps({"title": title}).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "If-Match": etag,
        },
        timeout=CLIENT_TIMEOUT,
    )


def test_postgres_restart_under_load_fails_cleanly_and_recovers(
    cluster: Cluster, tmp_path: Path
) -> None:
    run = Runner(
        {
            "CATALOGUE_DATABASE_URL": cluster.url,
            "CATALOGUE_INSTANCE_PATH": str(tmp_path / "instance"),
            "CATALOGUE_ACTOR": "restart-test",
        }
    )
    for step in (["init"], ["demo"], ["index", "rebuild"]):
        result = run(*step)
        assert result.exit_code == 0, result.output
    made = run("token", "create", "aisha.begum", "--label", "restart", "--format", "json")
    token = json.loads(made.output)["token"]

    server = start_server(run.env, tmp_path, workers=2)
    try:
        _restart_under_load(server, cluster, token)
    finally:
        log = server.stop()
    # Every log line is JSON, and none carries a traceback: the outage was an
    # expected condition (503 lines name the error), nothing failed unexpectedly.
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert not [e for e in entries if "traceback" in e], "an unexpected error during the restart"
    assert any(e.get("status") == 503 and e.get("error_type") for e in entries)


def _restart_under_load(server: Server, cluster: Cluster, token: str) -> None:
    base = server.base
    workers = server.worker_pids()
    assert len(workers) == 2
    wait_until_all_succeed(base, token, "the catalogue ready before the restart")
    read_before = etag_of(base, token)

    with Load(base, token) as load:
        load.wait_for("answers before the outage", 0, lambda seen: statuses(seen, 200) >= ANSWERS)
        down_at = time.monotonic()
        cluster.stop("fast")
        load.wait_for("a 503 during the outage", down_at, lambda seen: statuses(seen, 503) > 0)
        during = retitle(
            base, token, "Rent accounts (written while the database was down)", read_before
        )
        load.wait_for("every kind of request during the outage", down_at, has_every_kind)
        cluster.start()
        up_at = time.monotonic()
        wait_until_all_succeed(base, token, "the catalogue recovered after the restart")
        recovered_at = time.monotonic()
        load.wait_for("answers after recovery", recovered_at, lambda seen: len(seen) >= ANSWERS)
    after = retitle(base, token, "Rent accounts (written after the restart)", etag_of(base, token))

    outage = load.between(down_at, up_at)
    problems = [p for p in (check_clean(s) for s in load.seen) if p]
    assert not problems, problems[:10]
    assert any(s.answer and s.answer.status == 503 for s in outage), (
        "no 503 while the database was down: the test proved nothing"
    )
    slowest = max((s.answer.seconds for s in load.seen if s.answer), default=0)
    assert slowest < CLIENT_TIMEOUT
    settled = load.between(recovered_at)
    assert len(settled) >= ANSWERS and statuses(settled, 200) == len(settled)

    assert during.status == 503 and during.json()["status"] == 503
    assert after.status == 200, after.body
    assert after.json()["title"] == "Rent accounts (written after the restart)"
    history = fetch(
        f"{base}/api/v1/assets/rent-accounts/history",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert history.status == 200
    assert b"written after the restart" in history.body
    assert b"written while the database was down" not in history.body
    assert server.worker_pids() == workers, "the workers were restarted"

    # A restart while nobody is asking goes unnoticed: the pooled connections it
    # killed are found dead and replaced as they are checked out.
    cluster.stop("fast")
    cluster.start()
    quiet = [ask(base, name, token) for _ in range(4) for name in REQUESTS]
    assert [a.status for a in quiet] == [200] * len(quiet)
    readyz = fetch(base + "/readyz").json()
    assert readyz["status"] == "ready"
    assert all(view["lag"] == 0 for view in readyz["views"].values())
