"""The stewards' pages: register an asset, edit one, and change what feeds it.

Writes go through the services (``assets.register``/``update``,
``edges.add_edge``/``end_edge``) with the signed-in principal, so the same
validation and permissions apply as for the API and the CLI. An edit carries
the version it started from: if someone changed the asset meanwhile, the
service refuses it and the page says so instead of overwriting their change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from catalogue import vocab
from catalogue.errors import Conflict, Forbidden, Invalid, LineageCycle, NotFound
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import assets, edges, known, lineage
from catalogue.services.access import Principal, can_write
from catalogue.services.record_types import AssetRecord
from catalogue.web.blueprint import bp
from catalogue.web.form_sections import HEADINGS, form_summary
from catalogue.web.forms import LABELS, AssetForm, friendly
from catalogue.web.presenters import sentence_case, signed_in

WRITER_ROLES = ("steward", "admin")


def _choices() -> dict[str, Any]:
    with catalogue().read() as session:
        kinds = assets.known_kinds(session)
    return {
        "kinds": kinds,
        "classifications": vocab.CLASSIFICATIONS,
        "access_levels": vocab.ACCESS_LEVELS,
        "frequency_codes": vocab.FREQUENCIES,
        "lawful_basis_codes": vocab.LAWFUL_BASES,
        "statuses": vocab.STATUSES,
    }


def _known(principal: Principal) -> dict[str, Any]:
    """What the catalogue already knows, offered to the steward as they type
    (a ``<datalist>`` beside each text box, so any other value can still be
    entered): see ``services.known``."""
    with catalogue().reading(principal) as reader:
        found = known.known(reader)
    return {
        "known_departments": found.departments,
        "known_systems": found.systems,
        "known_people": found.people,
    }


def _form_page(form: AssetForm, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("registering", False)
    page = render_template(
        "web/asset_form.html",
        form=form,
        labels=LABELS,
        sections=HEADINGS,
        summary_rows=form_summary(form),
        **_choices(),
        **_known(current_principal()),
        **context,
    )
    return page, status


@bp.route("/register", methods=["GET", "POST"])
@signed_in
def register() -> Any:
    """Register a new asset (stewards for their own department, admins anything)."""
    principal = current_principal()
    if principal.role not in WRITER_ROLES:
        raise Forbidden("only data stewards and admins register assets")
    if request.method == "GET":
        form = AssetForm.from_record(
            {
                "department": principal.department,
                "steward_email": principal.email,
                "classification": "OFFICIAL",
                "access": "internal",
            }
        )
        return _form_page(form, registering=True)
    form = AssetForm.from_request(request.form)
    if form.changing_rows:
        return _form_page(form, registering=True)
    try:
        with catalogue().write(principal) as writer:
            record = assets.register(writer, form.record(with_key=True))
    except Invalid as error:
        form.add_problems(error.problems)
        return _form_page(form, 422, registering=True)
    except Conflict as error:
        form.add_error("key", sentence_case(error.message))
        return _form_page(form, 409, registering=True)
    except Forbidden as error:
        form.add_error("department", sentence_case(error.message))
        return _form_page(form, 403, registering=True)
    flash(f"{record['title']} is registered.", "success")
    return redirect(url_for("web.asset", key=record["key"]))


def _editable(key: str, principal: Principal) -> AssetRecord:
    """The asset's record if ``principal`` may change it: NotFound if they cannot
    see it, Forbidden (a 403 page) if they can see it but not change it."""
    with catalogue().reading(principal) as reader:
        record = assets.get(reader, key)
    if not can_write(principal, record):
        raise Forbidden(
            f"you may not change {record['title']}: stewards change assets of their own "
            "department or that they own or steward"
        )
    return record


@bp.route("/assets/<key>/edit", methods=["GET", "POST"])
@signed_in
def edit_asset(key: str) -> Any:
    """Edit every field of an asset; a stale version is refused with a clear message."""
    principal = current_principal()
    record = _editable(key, principal)
    if request.method == "GET":
        return _form_page(AssetForm.from_record(record), record=record)
    form = AssetForm.from_request(request.form)
    form.values["key"] = key
    if form.changing_rows:
        return _form_page(form, record=record)
    try:
        with catalogue().write(principal) as writer:
            after = assets.update(writer, key, form.record(with_key=False), form.version())
    except Invalid as error:
        form.add_problems(error.problems)
        return _form_page(form, 422, record=record)
    except Conflict as error:
        return _form_page(form, 409, record=record, conflict=error.message)
    except Forbidden as error:
        form.add_error("department", sentence_case(error.message))
        return _form_page(form, 403, record=record)
    if after["version"] == record["version"]:
        flash("You did not change anything.", "info")
    else:
        flash(f"Your changes to {after['title']} are saved.", "success")
    return redirect(url_for("web.asset", key=key))


def _feeds_page(
    record: Mapping[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    with reading() as reader:
        upstream = lineage.neighbours(reader, record["key"], "upstream", depth=1)
    errors = errors or {}
    summary = [{"text": message, "href": f"#{name}"} for name, message in errors.items()]
    return (
        render_template(
            "web/feeds.html",
            record=record,
            upstream=upstream,
            values=values or {},
            errors=errors,
            summary=summary,
        ),
        status,
    )


def _named_asset(text: str, principal: Principal) -> tuple[str, str]:
    """(key, "") of the asset a steward named by its title or its key, or ("",
    a message) when several assets they may see share that title. A text that
    is neither is passed on as a key, for the service to refuse by name."""
    if not text:
        return "", ""
    with catalogue().reading(principal) as reader:
        if assets.find(reader.session, text) is not None:
            return text, ""
        matches = assets.titled(reader, text)
    if len(matches) > 1:
        listed = "; ".join(
            f"{r['key']} ({r.get('department') or 'no department'})" for r in matches
        )
        return (
            "",
            f"{len(matches)} assets are called {text!r}: enter the key of the one you mean "
            f"({listed})",
        )
    return (matches[0]["key"] if matches else text), ""


def _title(key: str, fallback: str) -> str:
    with catalogue().read() as session:
        asset = assets.find(session, key)
        return asset.title if asset is not None else fallback


@bp.route("/assets/<key>/feeds", methods=["GET", "POST"])
@signed_in
def feeds(key: str) -> Any:
    """What feeds an asset: add a feed, or end one (it stays in the history)."""
    principal = current_principal()
    record = _editable(key, principal)
    if request.method == "GET":
        return _feeds_page(record)
    values = {
        name: request.form.get(name, "").strip() for name in ("upstream", "via", "description")
    }
    errors: dict[str, str] = {}
    if not values["upstream"]:
        errors["upstream"] = "Enter the title or key of the asset that feeds it"
        return _feeds_page(record, values, errors, 422)
    named = {name: _named_asset(values[name], principal) for name in ("upstream", "via")}
    errors = {name: found for name, (_, found) in named.items() if found}
    if errors:
        return _feeds_page(record, values, errors, 422)
    errors = _add_feed(principal, named["upstream"][0], key, named["via"][0], values)
    if errors:
        return _feeds_page(record, values, errors, 422)
    flash(
        f"{_title(named['upstream'][0], values['upstream'])} now feeds {record['title']}.",
        "success",
    )
    return redirect(url_for("web.feeds", key=key))


def _add_feed(
    principal: Principal, upstream: str, key: str, via: str | None, values: dict[str, str]
) -> dict[str, str]:
    """Add the feed ``upstream`` → ``key``; what is wrong with it by form field
    (nothing if it was added)."""
    errors: dict[str, str] = {}
    try:
        with catalogue().write(principal) as writer:
            edges.add_edge(
                writer, upstream, key, via=via or None, description=values["description"] or None
            )
    except LineageCycle as error:
        errors["upstream"] = "That would make the lineage go round in a circle: " + " → ".join(
            error.cycle
        )
    except Invalid as error:
        for problem in error.problems:
            name = problem.field if problem.field in ("upstream", "via") else "upstream"
            errors.setdefault(name, friendly(name, problem.message))
    except Conflict as error:
        errors["upstream"] = sentence_case(error.message)
    return errors


@bp.post("/assets/<key>/feeds/end")
@signed_in
def end_feed(key: str) -> Any:
    """End one feed: it no longer counts from now, and stays in the history."""
    principal = current_principal()
    record = _editable(key, principal)
    upstream = request.form.get("upstream", "").strip()
    try:
        with catalogue().write(principal) as writer:
            edges.end_edge(writer, upstream, key)
    except NotFound as error:
        return _feeds_page(record, errors={"upstream": sentence_case(error.message)}, status=404)
    flash(
        f"{upstream} no longer feeds {record['title']}. The feed is kept in the history.", "success"
    )
    return redirect(url_for("web.feeds", key=key))
