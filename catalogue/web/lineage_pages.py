"""The lineage explorer (graph and table), its JSON, and the auditor's trace
with its CSV download. Lineage answers come from ``services.lineage`` only."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import Response, jsonify, render_template, request, url_for

from catalogue.errors import Invalid, Problem
from catalogue.http import catalogue, current_principal
from catalogue.services import lineage
from catalogue.services.lineage import TRACE_COLUMNS, parse_as_of
from catalogue.web.blueprint import bp
from catalogue.web.graph_data import DIRECTIONS, lineage_view

DEPTHS = ("1", "2", "3", "4", "5", "6", "all")
DEFAULT_DEPTH = "3"
#: Spreadsheet programs run cells that start with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_of_from_request() -> tuple[datetime | None, dict[str, str], str | None]:
    """The as-of moment from the GOV.UK date input (``as_of-day`` …) or ``as_of``
    (ISO 8601), the values to show back, and an error message if it is not a date."""
    args = request.args
    parts = {p: args.get(f"as_of-{p}", "").strip() for p in ("day", "month", "year")}
    text = args.get("as_of", "").strip()
    if any(parts.values()):
        if not all(parts.values()):
            missing = [p for p in ("day", "month", "year") if not parts[p]]
            return None, parts, "The date must include a " + " and ".join(missing)
        text = f"{parts['year']:0>4}-{parts['month']:0>2}-{parts['day']:0>2}"
    elif text:
        year, _, rest = text.partition("-")
        month, _, day = rest[:5].partition("-")
        parts = {"day": day.lstrip("0"), "month": month.lstrip("0"), "year": year}
    try:
        return parse_as_of(text or None), parts, None
    except Invalid:
        return None, parts, "The date must be a real date, for example 1 6 2025"


def _depth() -> tuple[int | None, str]:
    chosen = request.args.get("depth", DEFAULT_DEPTH)
    chosen = chosen if chosen in DEPTHS else DEFAULT_DEPTH
    return (None if chosen == "all" else int(chosen)), chosen


def _direction() -> str:
    chosen = request.args.get("direction", "both")
    return chosen if chosen in DIRECTIONS else "both"


def _iso_day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


@bp.get("/assets/<key>/lineage")
def lineage_explorer(key: str) -> str:
    """The graph around one asset (drawn by JavaScript) and the same nodes as tables."""
    as_of, date_parts, date_error = as_of_from_request()
    depth, depth_choice = _depth()
    direction = _direction()
    view = lineage_view(catalogue(), current_principal(), key, direction, depth, as_of)
    data_url = url_for(
        "web.lineage_json",
        key=key,
        direction=direction,
        depth=depth_choice,
        **({"as_of": _iso_day(as_of)} if as_of else {}),
    )
    return render_template(
        "web/lineage.html",
        view=view,
        record=view.centre,
        direction=direction,
        depth=depth_choice,
        depths=DEPTHS,
        as_of=as_of,
        date_parts=date_parts,
        date_error=date_error,
        data_url=data_url,
        titles={n["key"]: n["title"] for n in view.nodes if n["key"]},
    )


@bp.get("/assets/<key>/lineage.json")
def lineage_json(key: str) -> Response:
    """The explorer's graph as JSON: nodes (placeholders for restricted ones) and edges."""
    as_of, _, date_error = as_of_from_request()
    if date_error:
        raise Invalid(date_error, [Problem(date_error, "as_of")])
    depth, _ = _depth()
    view = lineage_view(catalogue(), current_principal(), key, _direction(), depth, as_of)
    return jsonify(view.as_json())


def _trace(key: str, as_of: datetime | None) -> lineage.Trace:
    cat = catalogue()
    with cat.read() as session:
        return lineage.trace(session, cat.graph(), key, current_principal(), as_of)


@bp.get("/assets/<key>/trace")
def trace(key: str) -> str:
    """The auditor's trace: every upstream asset with hops, owner, department,
    handling, personal data and freshness, now or as of a date."""
    as_of, date_parts, date_error = as_of_from_request()
    result = _trace(key, as_of)
    csv_url = url_for("web.trace_csv", key=key, **({"as_of": _iso_day(as_of)} if as_of else {}))
    titles = {r["key"]: r["title"] for r in result.rows if r["key"]}
    titles[key] = result.subject.get("title")
    return render_template(
        "web/trace.html",
        result=result,
        record=result.subject,
        key=key,
        as_of=as_of,
        date_parts=date_parts,
        date_error=date_error,
        csv_url=csv_url,
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


def trace_csv_text(rows: list[dict[str, Any]]) -> str:
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
    as_of, _, date_error = as_of_from_request()
    if date_error:
        raise Invalid(date_error, [Problem(date_error, "as_of")])
    result = _trace(key, as_of)
    when = _iso_day(as_of) or datetime.now().date().isoformat()
    return Response(
        trace_csv_text(result.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="trace-{key}-{when}.csv"'},
    )
