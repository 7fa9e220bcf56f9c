"""The watch button on asset and department pages, and run health on pages (#19).

Pages ask ``watch_state(kind, target)`` (a template helper) whether the person
watches; the button posts here, which calls the same services as the CLI and
the API, and returns to the page with a message.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import NotFound
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import run_health, watches, webhooks
from catalogue.services.access import Principal
from catalogue.services.sight import Sight, sight_name
from catalogue.web.blueprint import bp
from catalogue.web.presenters import department_slug, signed_in


def watch_state(kind: str, target: str) -> dict[str, Any] | None:
    """Whether the signed-in person watches; None for someone without an account."""
    principal = current_principal()
    if not principal.signed_in:
        return None
    with catalogue().read() as session:
        return watch_state_in(session, principal, kind, target)


def watch_state_in(
    session: Session, principal: Principal, kind: str, target: str
) -> dict[str, Any] | None:
    """``watch_state`` in a session the caller holds (an asset page reads
    everything it shows in one: #21)."""
    if not principal.signed_in:
        return None
    try:
        user = watches.account_of(session, principal)
    except NotFound:
        return None
    return {"watching": watches.is_watching(session, user, watches.Target(kind, target))}


def _back(kind: str, target: str) -> Any:
    if kind == "asset":
        return redirect(url_for("web.asset", key=target))
    return redirect(url_for("web.department", slug=department_slug(target)))


# A department's name may hold "/" ("Planning / Building Control"): the rest of
# the path is the target, whole.
@bp.post("/watches/<kind>/<path:target>", merge_slashes=False)
@signed_in
def change_watch(kind: str, target: str) -> Any:
    """Watch or stop watching (``action`` = watch, watch-upstream or stop)."""
    action = request.form.get("action", "watch")
    target_ = watches.Target(kind, target)
    with catalogue().sessions() as session, session.begin():
        user = watches.account_of(session, current_principal())
        if action == "stop":
            watches.remove_watch(session, user, target_)
            flash(f"You no longer watch {target}.", "success")
        else:
            upstream = action == "watch-upstream"
            watches.add_watch(session, user, target_, upstream)
            extra = " and everything upstream of it" if upstream else ""
            flash(f"You now watch {target}{extra}: you will be told of changes.", "success")
    return _back(kind, target)


@bp.get("/notify/log")
@signed_in
def delivery_log() -> str:
    """The delivery log of e-mails and webhook calls (admins; 403 for others)."""
    with reading() as reader:
        rows = webhooks.delivery_log(reader, limit=200)
    return render_template("web/delivery_log.html", rows=rows)


@bp.post("/notify/log/<int:delivery>/resend")
@signed_in
def resend_delivery(delivery: int) -> Any:
    """Send a delivery again on the worker's next pass (admins)."""
    with catalogue().sessions() as session, session.begin():
        webhooks.send_again(session, current_principal(), delivery, utcnow())
    flash(f"Delivery {delivery} will be sent again on the worker's next pass.", "success")
    return redirect(url_for("web.delivery_log"))


def risk_sentence(sight: Sight, key: str, risks: dict[str, run_health.Risk]) -> str | None:
    """Why ``key`` is at risk from a failed pipeline run, in words (None if it is
    not), from risks the caller has read (``run_health.at_risk``), named as
    ``sight``'s caller may see them."""
    risk = risks.get(key)
    if risk is None:
        return None
    return run_health.sentence(key, risk, sight_name(sight))


def last_write_in(sight: Sight, key: str) -> dict[str, Any] | None:
    """A dataset's last successful write (the latest COMPLETE run that output it):
    its time, run and job, the job named as ``sight``'s caller may see it (None
    when they may not)."""
    run = run_health.last_successful_write(sight.reader.session, key)
    if run is None:
        return None
    return {"at": run.state_at, "run_id": run.run_id, "job": sight.name(run.job_key)}


def register_watch_helpers(app: Flask) -> None:
    """The helper the watch button calls on every page that has one: watch_state."""
    app.jinja_env.globals["watch_state"] = watch_state
