"""`catalogue serve` answers as `make run` leaves it; the index agrees with the
database after the demo load and after importing a real council catalogue."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.conftest import Runner, package_count, shared_data
from tests.serving import fetch, serving


def test_serve_answers_health_and_pages_under_gunicorn(demo_run: Runner, tmp_path: Path) -> None:
    with serving(demo_run.env, tmp_path) as server:
        base = server.base
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as r:
            assert r.status == 200
        # Not signed in: open data only ("EV" is a council synonym).
        with urllib.request.urlopen(f"{base}/search?q=EV", timeout=30) as r:
            page = r.read().decode()
        assert 'href="/assets/ev-charge-points"' in page
        assert "bin-collection-rounds" not in page
        # Behind a proxy on this host that ends TLS (gunicorn trusts its
        # X-Forwarded-Proto from 127.0.0.1), browsers are told to keep to HTTPS;
        # over plain HTTP they are not (#13).
        https = fetch(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
        assert https.headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" not in fetch(f"{base}/healthz").headers


def test_index_verify_reports_no_difference_after_the_demo_load(demo_run: Runner) -> None:
    assert demo_run("search", "council tax").exit_code == 0
    result = demo_run("index", "verify")
    assert result.exit_code == 0 and "0 difference(s)" in result.output


def test_scottish_import_is_idempotent_and_verified(run: Runner) -> None:
    data = shared_data("catalogues", "opendata-scotland.jsonl")
    path, n = str(data), package_count(data)
    first = run("import", "ckan", path)
    assert first.exit_code == 0 and f"{n} create" in first.output
    again = run("import", "ckan", path)
    assert f"0 create, 0 update, {n} unchanged" in again.output
    result = run("index", "verify")
    assert result.exit_code == 0 and f"Checked {n} assets: 0 difference(s)" in result.output
    status = run("index", "status").output
    assert "up to date" in status


def test_a_worker_started_after_a_write_answers_with_it(demo_run: Runner, tmp_path: Path) -> None:
    """The workers share a lineage graph loaded and a search index warmed in the
    master before they start (#21): one started after a write must still catch
    up from the change log, in both."""
    route = "/api/v1/assets/late-source/paths/late-report"
    (tmp_path / "late.json").write_text(
        '[{"key": "late-source", "kind": "dataset", "title": "Late", "access": "open"},\n'
        ' {"key": "late-report", "kind": "report", "title": "Late report", "access": "open",'
        ' "upstream": ["late-source"]}]\n'
    )
    with serving(demo_run.env, tmp_path) as server:
        assert fetch(server.base + route).status == 404  # not written yet
        assert demo_run("apply", str(tmp_path / "late.json")).exit_code == 0
        first = server.worker_pids()
        for pid in first:  # every worker replaced, forked from the master's graph
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not (len(server.worker_pids()) == 2 and not server.worker_pids() & first):
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(0.1)
        answers = [fetch(server.base + route, timeout=30) for _ in range(8)]
        found = [fetch(server.base + "/api/v1/search?q=late+report", timeout=30) for _ in range(4)]
    assert {a.status for a in answers} == {200}
    assert all(f.json()["hits"][0]["key"] == "late-report" for f in found)
    assert {tuple(map(tuple, a.json()["paths"])) for a in answers} == {
        (("late-source", "late-report"),)
    }


def test_a_reload_with_hup_answers_with_changes_made_since_the_start(
    demo_run: Runner, tmp_path: Path
) -> None:
    """`kill -HUP` on the master (a reload) replaces every worker with one forked
    from the master's graph, which catches up from the change log first (#21):
    lineage written by another process while it served is in every answer after."""
    route = "/api/v1/assets/hup-source/paths/hup-report"
    (tmp_path / "hup.json").write_text(
        '[{"key": "hup-source", "kind": "dataset", "title": "Reloaded", "access": "open"},\n'
        ' {"key": "hup-report", "kind": "report", "title": "Reloaded report", "access": "open",'
        ' "upstream": ["hup-source"]}]\n'
    )
    with serving(demo_run.env, tmp_path) as server:
        assert fetch(server.base + route).status == 404  # not written yet
        first = server.worker_pids()
        assert demo_run("apply", str(tmp_path / "hup.json")).exit_code == 0
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 60
        while not (len(server.worker_pids()) == 2 and not server.worker_pids() & first):
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(0.1)
        answers = [fetch(server.base + route, timeout=30) for _ in range(8)]
        log = server.stderr()
    assert {a.status for a in answers} == {200}, log
    assert {tuple(map(tuple, a.json()["paths"])) for a in answers} == {
        (("hup-source", "hup-report"),)
    }
