"""Readiness (/readyz brings this worker's views up to the change log and says
so) and the structured request log (one JSON line per request, never a secret)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from catalogue import create_app
from catalogue.config import Settings, load_settings
from catalogue.request_log import JsonFormatter
from tests.conftest import Runner
from tests.serving import CATALOGUE, fetch, start_server

QUERY_SECRET = "query-secret-7d1c0b3a"
BOGUS_TOKEN = "bogus-token-5e2f9a41"
DEMO_PASSWORD = "demo-password-123"


# -- /readyz -------------------------------------------------------------------------
def test_readyz_catches_the_views_up_with_a_write_made_by_another_process(
    demo_settings: Settings, demo_run: Runner
) -> None:
    client = create_app(demo_settings).test_client()
    before = client.get("/readyz")
    assert before.status_code == 200, before.json
    head = before.json["database"]["change_log_head"]
    assert before.json["views"]["lineage_graph"] == {"applied_seq": head, "lag": 0}

    # A steward changes an asset from the command line: another process, so this
    # app's graph knows nothing of it until it looks at the change log.
    subprocess.run(
        [CATALOGUE, "update", "bin-collection-rounds", "--title", "Bin rounds (weekly)"],
        env={**os.environ, **demo_run.env},
        check=True,
        capture_output=True,
    )
    after = client.get("/readyz")
    assert after.status_code == 200, after.json
    report = after.json
    assert report["status"] == "ready" and report["database"]["ok"] is True
    new_head = report["database"]["change_log_head"]
    assert new_head > head
    for view in ("lineage_graph", "search_index"):
        assert report["views"][view] == {"applied_seq": new_head, "lag": 0}, report


def _unreachable(tmp_path: Path) -> dict[str, Any]:
    # Nothing listens on port 1: the connection is refused at once.
    return {"database_url": "postgresql+psycopg://catalogue@127.0.0.1:1/catalogue"}


def _uninitialised(tmp_path: Path) -> dict[str, Any]:
    return {"database_url": f"sqlite:///{tmp_path / 'empty.db'}"}


def _index_unusable(tmp_path: Path) -> dict[str, Any]:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("the index folder's path is taken by a file")
    return {"index_dir": blocker}


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (_unreachable, "database unreachable (OperationalError)"),
        (_uninitialised, "database not initialised"),
        (_index_unusable, "search index cannot catch up"),
    ],
    ids=["database-gone", "not-initialised", "index-unusable"],
)
def test_readyz_is_503_naming_the_reason(
    broken: Any, reason: str, demo_settings: Settings, tmp_path: Path
) -> None:
    settings = load_settings(
        {
            "instance_path": tmp_path / "instance",
            "database_url": demo_settings.resolved_database_url,
            "secret_key": "test",
            **broken(tmp_path),
        }
    )
    client = create_app(settings).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.is_json and response.headers["Retry-After"]
    assert response.json["status"] == "unavailable"
    assert response.json["reason"].startswith(reason), response.json
    assert "Traceback" not in response.get_data(as_text=True)
    # The process itself is up.
    assert client.get("/healthz").status_code == 200


def test_a_database_that_never_answers_fails_within_the_connect_timeout(tmp_path: Path) -> None:
    # A socket that accepts connections and never says a word: a server that
    # hangs, or a firewall that swallows the reply.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        settings = load_settings(
            {
                "instance_path": tmp_path / "instance",
                "database_url": f"postgresql+psycopg://catalogue@127.0.0.1:{port}/catalogue",
                "database_connect_timeout": 2,
            }
        )
        client = create_app(settings).test_client()
        for path in ("/readyz", "/api/v1/assets/rent-accounts", "/assets/rent-accounts"):
            # 8 s: the connect timeout, and room for a busy machine.
            response = _get_within(client, path, seconds=8)
            assert response.status_code == 503 and response.headers["Retry-After"]


def _get_within(client: Any, path: str, seconds: float) -> Any:
    """GET ``path``, failing the test (not hanging it) if no answer comes in time."""
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(client.get(path)), daemon=True)
    asking.start()
    asking.join(timeout=seconds)
    assert not asking.is_alive(), f"{path} still waiting for the database after {seconds} s"
    return answers[0]


# -- the request log, in process -----------------------------------------------------------
@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The catalogue's log records as JSON lines in a string (the logger is restored after)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("catalogue")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _app_that_fails(settings: Settings) -> Flask:
    app = create_app(settings)

    def fail() -> str:
        raise RuntimeError("a bug the user must never see")

    app.add_url_rule("/fail-on-purpose", "fail_on_purpose", fail)
    return app


def test_an_unexpected_error_is_one_log_line_with_its_traceback_never_shown(
    demo_settings: Settings, log_stream: io.StringIO
) -> None:
    client = _app_that_fails(demo_settings).test_client()
    page = client.get("/fail-on-purpose?token=" + QUERY_SECRET)
    assert page.status_code == 500
    shown = page.get_data(as_text=True)
    assert "Traceback" not in shown and "a bug the user must never see" not in shown
    api = client.get("/fail-on-purpose", headers={"Accept": "application/json"})
    assert api.status_code == 500 and "Traceback" not in api.get_data(as_text=True)

    lines = [line for line in _lines(log_stream.getvalue()) if line["path"] == "/fail-on-purpose"]
    assert len(lines) == 2, "one line per request, the error in it (no second message)"
    line = lines[0]
    assert line["level"] == "ERROR" and line["status"] == 500 and line["query"] is True
    assert line["error_type"] == "RuntimeError"
    assert "a bug the user must never see" in line["traceback"]
    assert QUERY_SECRET not in log_stream.getvalue()


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite says "no such table" as OperationalError
def test_a_missing_table_is_a_fault_logged_as_one_not_an_outage_to_retry(
    demo_settings: Settings, log_stream: io.StringIO
) -> None:
    app = create_app(demo_settings)
    client = app.test_client()
    assert client.get("/api/v1/assets/ev-charge-points").status_code == 200
    with app.extensions["catalogue"].engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE asset_tags")  # a database the code does not match
    for accept in ("application/json", "text/html"):
        answer = client.get("/assets/ev-charge-points", headers={"Accept": accept})
        assert answer.status_code == 500, answer.status_code
        assert "Retry-After" not in answer.headers  # not "try again in a moment"
        shown = answer.get_data(as_text=True)
        assert "Something went wrong in the catalogue" in shown and "asset_tags" not in shown
    line = [x for x in _lines(log_stream.getvalue()) if x["path"] == "/assets/ev-charge-points"][-1]
    assert line["status"] == 500 and "no such table: asset_tags" in line["traceback"]


# -- the request log, under `catalogue serve` --------------------------------------------------
def _token_for(run: Runner, username: str) -> str:
    result = run("token", "create", username, "--label", "log test", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["token"]


def test_serve_logs_one_json_line_per_request_and_no_secret(
    demo_run: Runner, tmp_path: Path
) -> None:
    token = _token_for(demo_run, "aisha.begum")
    server = start_server(demo_run.env, tmp_path)
    try:
        base = server.base
        sent = [
            fetch(f"{base}/healthz", headers={"X-Request-Id": "edge-1234.abcd"}),
            fetch(f"{base}/search?q=council+tax&token={QUERY_SECRET}"),
            fetch(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
            fetch(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {BOGUS_TOKEN}"}),
            fetch(f"{base}/api/v1/assets/no-such-asset", headers={"X-Request-Id": "a b<c>"}),
            fetch(
                f"{base}/sign-in",
                method="POST",
                body=f"username=aisha.begum&password={DEMO_PASSWORD}".encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
        ]
    finally:
        log = server.stop()
    assert [a.status for a in sent] == [200, 200, 200, 401, 404, 400]
    assert sent[0].headers["x-request-id"] == "edge-1234.abcd"
    assert re.fullmatch(r"[0-9a-f]{32}", sent[4].headers["x-request-id"]), "insane id replaced"

    entries = _lines(log)  # every line on stderr is JSON, gunicorn's own too
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    requests = [e for e in entries if e["logger"] == "catalogue.requests"]
    assert len(requests) >= len(sent)
    by_id = {e["request_id"]: e for e in requests}
    for answer in sent:
        entry = by_id[answer.headers["x-request-id"]]
        assert entry["status"] == answer.status
        assert entry["timestamp"].endswith("Z") and entry["duration_ms"] >= 0
        assert entry["bytes"] == len(answer.body) and entry["remote_addr"] == "127.0.0.1"
    search = by_id[sent[1].headers["x-request-id"]]
    assert search["path"] == "/search" and search["query"] is True and search["user"] is None
    assert by_id[sent[2].headers["x-request-id"]]["user"] == "aisha.begum@thamesbury.gov.uk"
    assert by_id[sent[3].headers["x-request-id"]]["user"] is None
    for secret in (token, QUERY_SECRET, BOGUS_TOKEN, DEMO_PASSWORD):
        assert secret not in log
    # Both workers loaded their lineage graph and index before serving anyone.
    warmed = {e["pid"] for e in entries if e["message"].startswith("worker warmed up")}
    assert len(warmed) == 2 and {e["pid"] for e in requests} <= warmed, warmed


def test_an_unusable_search_index_is_503_and_writes_still_land(
    demo_settings: Settings, demo_run: Runner, tmp_path: Path
) -> None:
    broken = _index_unusable(tmp_path)
    settings = load_settings(
        {
            "instance_path": tmp_path / "instance",
            "database_url": demo_settings.resolved_database_url,
            "secret_key": "test",
            **broken,
        }
    )
    client = create_app(settings).test_client()
    for url in ("/api/v1/search?q=bins", "/api/3/action/package_search?q=bins", "/search?q=bins"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 503, (url, text[:300])
        assert "search index cannot be opened" in text
        assert "Traceback" not in text
    # Pages that do not search still answer.
    assert client.get("/assets/ev-charge-points").status_code == 200
    env = {**demo_run.env, "CATALOGUE_INDEX_DIR": str(broken["index_dir"])}
    searched = Runner(env)("search", "bins")
    assert searched.exit_code == 1 and "search index cannot be opened" in searched.output
    # The database is the truth: a change is saved even though the index cannot
    # follow it, and the command says it succeeded.
    changed = Runner(env)("update", "bin-collection-rounds", "--title", "Bin rounds (weekly)")
    assert changed.exit_code == 0, changed.output
    shown = json.loads(demo_run("show", "bin-collection-rounds", "--format", "json").output)
    assert shown["title"] == "Bin rounds (weekly)"
