"""The lineage explorer (graph and table), its JSON, and the auditor's trace
with its CSV download. Lineage answers come from ``services.lineage`` only."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from flask import Response, jsonify, render_template, request, url_for

from catalogue.errors import Invalid, Problem
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import lineage
from catalogue.services.lineage import TRACE_COLUMNS, parse_as_of
from catalogue.web.blueprint import bp
from catalogue.web.graph_data import DIRECTIONS, column_view, lineage_view

DEPTHS = ("1", "2", "3", "4", "5", "6", "all")
DEFAULT_DEPTH = "3"
#: Spreadsheet programs run cells that start with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AsOfForm(NamedTuple):
    """The as-of date a lineage page was asked for: the moment (None for now),
    the date input's values to show back, and an error message if not a date."""

    moment: datetime | None
    parts: dict[str, str]
    error: str | None


def as_of_from_request() -> AsOfForm:
    """The as-of moment from the GOV.UK date input (``as_of-day`` …) or ``as_of``
    (ISO 8601), the values to show back, and an error message if it is not a date."""
    args = request.args
    parts = {p: args.get(f"as_of-{p}", "").strip() for p in ("day", "month", "year")}
    text = args.get("as_of", "").strip()
    if any(parts.values()):
        if not all(parts.values()):
            missing = [p for p in ("day", "month", "year") if not parts[p]]
            return AsOfForm(None, parts, "The date must include a " + " and ".join(missing))
        text = f"{parts['year']:0>4}-{parts['month']:0>2}-{parts['day']:0>2}"
    elif text:
        year, _, rest = text.partition("-")
        month, _, day = rest[:5].partition("-")
        parts = {"day": day.lstrip("0"), "month": month.lstrip("0"), "year": year}
    try:
        return AsOfForm(parse_as_of(text or None), parts, None)
    except Invalid:
        return AsOfForm(None, parts, "The date must be a real date, for example 1 6 2025")


def as_of_or_invalid() -> datetime | None:
    """The as-of moment for a download (JSON, CSV); raises Invalid (422) when
    it is not a date, as there is no form to show the error on."""
    moment, _, error = as_of_from_request()
    if error:
        raise Invalid(error, [Problem(error, "as_of")])
    return moment


def _as_of_args(as_of: datetime | None) -> dict[str, Any]:
    """The query arguments that keep a link at the same as-of date."""
    return {"as_of": as_of.date().isoformat()} if as_of else {}


def _render_dated(template: str, record: Mapping[str, Any], form: AsOfForm, **context: Any) -> str:
    """A lineage page of ``record`` with its as-of date input (``_as_of.html``)
    filled in from ``form``."""
    return render_template(
        template,
        record=record,
        as_of=form.moment,
        date_parts=form.parts,
        date_error=form.error,
        **context,
    )


def _depth() -> tuple[int | None, str]:
    chosen = request.args.get("depth", DEFAULT_DEPTH)
    chosen = chosen if chosen in DEPTHS else DEFAULT_DEPTH
    return (None if chosen == "all" else int(chosen)), chosen


def _direction() -> str:
    chosen = request.args.get("direction", "both")
    return chosen if chosen in DIRECTIONS else "both"


@bp.get("/assets/<key>/lineage")
def lineage_explorer(key: str) -> str:
    """The graph around one asset (drawn by JavaScript) and the same nodes as tables."""
    form = as_of_from_request()
    depth, depth_choice = _depth()
    direction = _direction()
    view = lineage_view(catalogue(), current_principal(), key, direction, depth, form.moment)
    data_url = url_for(
        "web.lineage_json",
        key=key,
        direction=direction,
        depth=depth_choice,
        **_as_of_args(form.moment),
    )
    return _render_dated(
        "web/lineage.html",
        view.centre,
        form,
        view=view,
        direction=direction,
        depth=depth_choice,
        depths=DEPTHS,
        data_url=data_url,
        titles={n["key"]: n["title"] for n in view.nodes if n["key"]},
    )


@bp.get("/assets/<key>/lineage.json")
def lineage_json(key: str) -> Response:
    """The explorer's graph as JSON: nodes (placeholders for restricted ones) and edges."""
    depth, _ = _depth()
    view = lineage_view(
        catalogue(), current_principal(), key, _direction(), depth, as_of_or_invalid()
    )
    return jsonify(view.as_json())


@bp.get("/assets/<key>/columns.json")
def lineage_columns(key: str) -> Response:
    """The explorer's side panel: each column's sources and what it feeds (column lineage)."""
    columns = column_view(catalogue(), current_principal(), key, as_of_or_invalid())
    return jsonify({"key": key, "columns": columns})


def _trace(key: str, as_of: datetime | None) -> lineage.Trace:
    with reading() as reader:
        return lineage.trace(reader, key, as_of)


@bp.get("/assets/<key>/trace")
def trace(key: str) -> str:
    """The auditor's trace: every upstream asset with hops, owner, department,
    handling, personal data and freshness, now or as of a date."""
    form = as_of_from_request()
    result = _trace(key, form.moment)
    titles = {r["key"]: r["title"] for r in result.rows if r["key"]}
    titles[key] = result.subject.get("title")
    return _render_dated(
        "web/trace.html",
        result.subject,
        form,
        result=result,
        key=key,
        csv_url=url_for("web.trace_csv", key=key, **_as_of_args(form.moment)),
        titles=titles,
    )


def _cell(value: Any) -> Any:
    """As the CLI writes CSV (lists joined by ';', yes/no), and never a formula."""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    elif value is None:
        value = ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        value = "'" + value
    return value


def trace_csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The trace rows as CSV with the CLI's columns (``lineage trace --format csv``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TRACE_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row.get(name)) for name in TRACE_COLUMNS})
    return out.getvalue()


@bp.get("/assets/<key>/trace.csv")
def trace_csv(key: str) -> Response:
    """The trace as a CSV file to download."""
    as_of = as_of_or_invalid()
    result = _trace(key, as_of)
    when = (as_of or datetime.now()).date().isoformat()
    return Response(
        trace_csv_text(result.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="trace-{key}-{when}.csv"'},
    )
