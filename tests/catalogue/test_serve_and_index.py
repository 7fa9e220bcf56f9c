"""`catalogue serve` answers as `make run` leaves it; the index agrees with the
database after the demo load and after importing a real council catalogue."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import Runner, shared_data

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_pages_under_gunicorn(demo_run: Runner) -> None:
    port = free_port()
    server = subprocess.Popen(
        [CATALOGUE, "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **demo_run.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "catalogue serve did not answer in 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as r:
            assert r.status == 200
        # Not signed in: open data only ("EV" is a council synonym).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=EV", timeout=30) as r:
            page = r.read().decode()
        assert 'href="/assets/ev-charge-points"' in page
        assert "bin-collection-rounds" not in page
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_index_verify_reports_no_difference_after_the_demo_load(demo_run: Runner) -> None:
    assert demo_run("search", "council tax").exit_code == 0
    result = demo_run("index", "verify")
    assert result.exit_code == 0 and "0 difference(s)" in result.output


def test_scottish_import_is_idempotent_and_verified(run: Runner) -> None:
    path = str(shared_data("catalogues", "opendata-scotland.jsonl"))
    first = run("import", "ckan", path)
    assert first.exit_code == 0 and "2127 create" in first.output
    again = run("import", "ckan", path)
    assert "0 create, 0 update, 2127 unchanged" in again.output
    result = run("index", "verify")
    assert result.exit_code == 0 and "Checked 2127 assets: 0 difference(s)" in result.output
    status = run("index", "status").output
    assert "up to date" in status
