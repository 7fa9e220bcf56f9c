"""Run health from OpenLineage, sent with the real openlineage-python client to
a live server: a FAIL marks the job's output and the report downstream at risk
on the asset page, the trace (page, CSV, CLI) and search results, and watchers
are told; a later COMPLETE clears it and they are told again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from catalogue.config import Settings
from catalogue.db import utcnow
from catalogue.services import assets, edges, notify, watches
from catalogue.services.access import operator
from catalogue.services.notify_settings import NotifySettings
from catalogue.services.openlineage_names import suggested_key
from catalogue.store import Catalogue
from tests.api.conftest import Tokens, _app
from tests.conftest import Runner, _cli_env
from tests.notify.conftest import Mailbox, text_of
from tests.serving import served_in_thread

#: Event times are minutes before now: the clock matters (CI reruns a year ahead).
pytestmark = pytest.mark.calendar

NS, JOB = "council-etl", "arrears_nightly"
SOURCE, OUTPUT = ("postgres://warehouse:5432", "finance.ctax"), ("postgres://warehouse:5432",
                                                                  "finance.arrears")  # fmt: skip
OUTPUT_KEY, JOB_KEY = suggested_key(*OUTPUT), suggested_key(NS, JOB)
REPORT = "rpt-arrears-committee"


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = _app(settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def ol(app: Flask) -> Iterator[tuple[OpenLineageClient, Tokens, FlaskClient, Catalogue]]:
    cat = app.extensions["catalogue"]
    tokens = Tokens(cat)
    with served_in_thread(app) as base:
        config = HttpConfig(url=base, auth=ApiKeyTokenProvider(
            {"apiKey": tokens.secret("etl.pipelines", "steward", "Data & Analytics")}))  # fmt: skip
        yield OpenLineageClient(transport=HttpTransport(config)), tokens, app.test_client(), cat


def run(sender: OpenLineageClient, ending: str, minutes_ago: int) -> None:
    """One run of the job: START, then COMPLETE or FAIL a minute later."""
    run_id = str(uuid.uuid4())
    started = utcnow() - timedelta(minutes=minutes_ago)
    for state, at in (("START", started), (ending, started + timedelta(minutes=1))):
        sender.emit(
            RunEvent(
                eventType=RunState(state),
                eventTime=at.isoformat(),
                run=Run(runId=run_id),
                job=Job(namespace=NS, name=JOB),
                inputs=[InputDataset(*SOURCE)],
                outputs=[OutputDataset(*OUTPUT)],
                producer="https://github.com/council/etl",
            )
        )


def test_a_failed_run_puts_the_report_at_risk_until_a_run_completes(
    ol: tuple[OpenLineageClient, Tokens, FlaskClient, Catalogue],
    settings: Settings,
    mailbox: Mailbox,
    notify_settings: NotifySettings,
) -> None:
    sender, tokens, client, cat = ol
    run(sender, "COMPLETE", 30)
    with cat.write(operator("admin@thamesbury.gov.uk")) as writer:
        title = "Arrears committee report"
        record = {"key": REPORT, "kind": "report", "title": title, "department": "Finance"}
        assets.register(writer, record)
        edges.add_edge(writer, OUTPUT_KEY, REPORT)
    auditor = tokens.headers("fatima.rahman", "auditor", "Finance")
    viewer = tokens.headers("priya.shah", "viewer", "Finance")
    with cat.sessions() as session, session.begin():
        priya = watches.account_of(session, watches.Principal("priya.shah@thamesbury.gov.uk"))
        watches.add_watch(session, priya, watches.Target("asset", REPORT), upstream=True)
    cli = Runner(_cli_env(settings))

    def page(path: str) -> str:
        response = client.get(path, headers=viewer)
        assert response.status_code == 200, path
        return response.get_data(as_text=True)

    assert "At risk" not in page(f"/assets/{REPORT}")
    run(sender, "FAIL", 10)
    report_page = page(f"/assets/{REPORT}")
    assert f"At risk: the last run of {JOB_KEY} ended FAIL" in report_page
    assert f"it is fed by {OUTPUT_KEY}" in report_page
    assert "it is an output" in page(f"/assets/{OUTPUT_KEY}")
    runs = page(f"/assets/{JOB_KEY}").split('id="runs"', 1)[1].split("</table>", 1)[0]
    assert [s.split(">")[-1] for s in runs.split("</strong>")[:-1]] == ["FAIL", "COMPLETE"]
    history = page(f"/assets/{JOB_KEY}/history")
    failed = history.split("A run ended FAIL: ", 1)[1].split(" at risk", 1)[0]
    assert "Run failed" in history and f'href="/assets/{OUTPUT_KEY}"' in failed  # linked (#17)
    trace_page = page(f"/assets/{REPORT}/trace")
    assert 'govuk-tag--red">At risk</strong>' in trace_page
    csv = client.get(f"/assets/{REPORT}/trace.csv", headers=auditor).get_data(as_text=True)
    header, *rows = csv.splitlines()
    at = header.split(",").index("at_risk")
    risk = {r.split(",")[1]: r.split(",")[at] for r in rows}
    assert risk[OUTPUT_KEY] == "yes" and risk[suggested_key(*SOURCE)] == "no"
    traced = cli("lineage", "trace", REPORT)
    assert f"Warning: at risk: the last run of {JOB_KEY} ended FAIL" in traced.output
    assert "app-at-risk" in page("/search?q=arrears")
    hits = client.get("/api/v1/search?q=arrears", headers=auditor).json["hits"]
    assert {h["key"]: h["at_risk"] for h in hits}[REPORT] is True
    assert (
        f"[{REPORT}]  AT RISK: a pipeline run that feeds it failed"
        in cli("search", "arrears", "committee").output
    )
    api = client.get(f"/api/v1/assets/{REPORT}/trace", headers=auditor).json
    assert api["subject"]["at_risk"] is True
    notify.run_once(cat, notify_settings)
    [told] = mailbox.messages
    assert f"ended FAIL: {OUTPUT_KEY}" not in text_of(told)  # names, not bare keys
    assert "at risk until a run completes" in text_of(told)
    assert "It reaches your report Arrears committee report" in text_of(told)

    run(sender, "COMPLETE", 5)
    assert "At risk" not in page(f"/assets/{REPORT}")
    assert "At risk" not in page(f"/assets/{REPORT}/trace")
    assert "app-at-risk" not in page("/search?q=arrears")
    assert "AT RISK" not in cli("search", "arrears", "committee").output
    csv = client.get(f"/assets/{REPORT}/trace.csv", headers=auditor).get_data(as_text=True)
    assert ",yes," not in csv.split("\n", 1)[1].replace("personal", "")
    notify.run_once(cat, notify_settings)
    assert len(mailbox.messages) == 2
    assert "completed a run again" in text_of(mailbox.messages[1])
