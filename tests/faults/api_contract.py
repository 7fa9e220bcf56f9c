"""Schemathesis' engine (as `st run` drives it) over the catalogue's OpenAPI
document with every check it has, against the app served over real HTTP.

What is configured, and why:

- All checks, including ``positive_data_acceptance`` (a request the document
  allows is not refused as bad input) and ``negative_data_rejection`` (a request
  it forbids is refused). Their accepted statuses add 412 to schemathesis'
  defaults: a stale ``If-Match`` is refused for the state of the asset, not the
  shape of the request, like the 409 they already allow. ``missing_required_header``
  accepts 428 (Precondition Required), which is what a missing ``If-Match`` is.
- Generated strings hold no NUL. The document says so of every string (each
  route refuses one with 400), but OpenAPI 3.0 cannot say it of the *names* of
  an open object's properties (an OpenLineage facet), which would otherwise
  make accepted-looking events that are refused. NUL is tested on its own in
  ``tests/api/test_openapi.py``.
- The stateful phase is off: the catalogue's links between operations are not
  in the document, so it would only repeat the fuzzing phase.

One answer the document cannot predict is allowed, and counted: a 422 whose
every problem is a reference to something that does not exist (an asset named
by ``upstream``, ``via`` or ``source_system``; a glossary term's related term or
department) or a date before today (an access request's ``until``). Which keys,
terms and departments exist, and which day it is, are the catalogue's state,
not rules a schema can state.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

# No cache: it would carry state from one run to the next (and write into the tree).
CONFIG = """
seed = 13
[cache]
enabled = false
[generation]
max-examples = {examples}
deterministic = true
allow-x00 = false
[phases]
stateful.enabled = false
[checks]
positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412"]
negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429",
]
missing_required_header.expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
"""
#: The words of a 422 problem that only the catalogue's state decides.
UNKNOWN_REFERENCE = ("no asset with key", "no glossary term", "unknown department", "from today")


@dataclass
class ContractRun:
    """What one run saw: failures by (operation, check, title), answers by status."""

    failures: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    answered: Counter[tuple[str, int]] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    unknown_references: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def operations(self) -> set[str]:
        return {label for label, _ in self.answered}

    @property
    def succeeded(self) -> set[str]:
        return {label for (label, status) in self.answered if status < 300}

    def report(self) -> str:
        return "\n\n".join(
            f"{' / '.join(key)} ({len(seen)}×)\n" + "\n".join(seen[:3])
            for key, seen in sorted(self.failures.items())
        )


def only_unknown_references(status: int, body: bytes) -> bool:
    """A 422 saying only that what it names does not exist (or a date has passed)."""
    if status != 422:
        return False
    try:
        problems = json.loads(body).get("problems") or []
    except (ValueError, AttributeError):
        return False
    return bool(problems) and all(
        any(words in str(p.get("message", "")) for words in UNKNOWN_REFERENCE) for p in problems
    )


def real_names(pools: dict[str, list[str]]) -> Any:
    """A ``map_case`` hook: half the positive cases name something that exists
    (a demo asset, a CKAN action), chosen from the generated value so a run
    repeats, and the 200s are checked too, not only the 404s."""

    def map_case(context: Any, case: Any) -> Any:
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive:
            return case
        for name, value in list((case.path_parameters or {}).items()):
            pool = pools.get(name)
            digest = zlib.crc32(str(value).encode())
            if pool and digest % 2:
                case.path_parameters[name] = pool[digest // 2 % len(pool)]
        return case

    return map_case


def describe(case: Any, status: int | None, body: bytes, message: str) -> str:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    sent = f"{case.method} {case.formatted_path} query={case.query} headers={headers}"
    got = f"-> {status} {body[:300]!r}" if status is not None else "-> no answer"
    return f"  {sent}\n    body={str(case.body)[:300]}\n    {message[:400]} {got}"


def run_contract(
    base_url: str, headers: dict[str, str], pools: dict[str, list[str]], examples: int
) -> ContractRun:
    """Every phase but the stateful one, every check, every operation."""
    config = SchemathesisConfig.from_str(CONFIG.format(examples=examples))
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    schema.config.update(headers=headers, base_url=base_url)
    schema.hook("map_case")(real_names(pools))
    run = ContractRun()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(run, event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.failures.setdefault((event.label, "error", type(event.value).__name__), []).append(
                str(event.value)[:1000]
            )
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            run.seconds = event.running_time
    return run


def _record(run: ContractRun, recorder: Any) -> None:
    label = recorder.label
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            run.answered[(label, interaction.response.status_code)] += 1
    for case_id, checks in recorder.checks.items():
        for node in checks:
            run.checks[node.name] += 1
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction else None
            status = response.status_code if response else None
            body = (response.content or b"") if response else b""
            if node.name == "positive_data_acceptance" and only_unknown_references(
                status or 0, body
            ):
                run.unknown_references[label] += 1
                continue
            case = recorder.cases[case_id].value
            run.failures.setdefault((label, node.name, failure.title), []).append(
                describe(case, status, body, str(failure.message))
            )
