"""What the templates need besides the data: labels for controlled values, dates
in GOV.UK style, who is signed in, and where sign in and sign out are.

Sign-in and sign-out belong to the identity pages (``catalogue/web/auth.py``);
their URLs are looked up in the app's URL map, so the header links wherever
those routes are (and whether sign out takes a POST or a GET).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, redirect, request, url_for
from markupsafe import Markup, escape

from catalogue import vocab
from catalogue.http import current_principal
from catalogue.services.access import Principal
from catalogue.services.demo import DEMO_PASSWORD, demo_accounts

ACCESS_LABELS = {"open": "Open", "internal": "Internal", "restricted": "Restricted"}
ACCESS_HINTS = {
    "open": "Anyone may see it, signed in or not",
    "internal": "Any member of staff who signs in",
    "restricted": "Only its department, owner and steward, and auditors",
}
ACCESS_TAGS = {
    "open": "govuk-tag--green",
    "internal": "govuk-tag--blue",
    "restricted": "govuk-tag--red",
}
CLASSIFICATION_TAGS = {
    "OFFICIAL": "govuk-tag--grey",
    "OFFICIAL-SENSITIVE": "govuk-tag--orange",
    "SECRET": "govuk-tag--red",
    "TOP SECRET": "govuk-tag--red",
}
LAWFUL_BASES = {
    "consent": "Consent (Article 6(1)(a))",
    "contract": "Contract (Article 6(1)(b))",
    "legal_obligation": "Legal obligation (Article 6(1)(c))",
    "vital_interests": "Vital interests (Article 6(1)(d))",
    "public_task": "Public task (Article 6(1)(e))",
    "legitimate_interests": "Legitimate interests (Article 6(1)(f))",
}
FREQUENCIES = {
    "continuous": "Continuously",
    "daily": "Daily",
    "weekly": "Weekly",
    "fortnightly": "Fortnightly",
    "monthly": "Monthly",
    "bimonthly": "Every two months",
    "quarterly": "Quarterly",
    "biannual": "Twice a year",
    "annual": "Once a year",
    "biennial": "Every two years",
    "irregular": "Irregularly",
    "never": "Never (no longer updated)",
}
ACTIONS = {
    "asset.create": "Registered",
    "asset.update": "Changed",
    "asset.retire": "Retired",
    "asset.schema_change": "Schema change",
    "column_lineage.set": "Column lineage",
    "column_review.dismiss": "Review decided",
    "asset.review": "Reviewed",
    "edge.add": "Feed added",
    "edge.end": "Feed ended",
    "run.fail": "Run failed",
    "run.recover": "Run completed again",
}
FACET_NAMES = {
    "department": "Department",
    "kind": "Kind",
    "tag": "Tag",
    "classification": "Classification",
    "access": "Who can see it",
    "owner": "Owner",
}
SENSITIVE_CLASSIFICATIONS = ("OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def kind_label(kind: str | None) -> str:
    """ "source_system" -> "Source system"; unknown kinds (kinds are data) read the same way."""
    if not kind:
        return ""
    return vocab.DEFAULT_KINDS.get(kind) or kind.replace("_", " ").capitalize()


def facet_value_label(field: str, value: str) -> str:
    if field == "kind":
        return kind_label(value)
    if field == "access":
        return ACCESS_LABELS.get(value, value)
    return value


#: Where a search found someone's words, as the result line names it.
MATCH_PLACES = {
    "key": "key",
    "tags": "tags",
    "columns": "columns",
    "department": "department",
    "owner": "owner",
    "steward": "steward",
    "source system": "source system",
    "title": "title",
    "description": "description",
}


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def match_reasons(reasons: list[str], shown: Sequence[str | None] = ()) -> str:
    """Why a search result matched, in words for people, or '' when the result
    shows it already. ``shown`` names the highlighted parts the result displays
    (its title, its snippet): when one of them matched, where else the words were
    found is noise and left out; otherwise the line says where they are. Words of
    the same meaning that found it are always named (a highlight cannot explain
    them). The corrected spelling is left out: the banner above the results says it."""
    synonyms = [f"‘{r.split(':', 1)[1].strip()}’" for r in reasons if r.startswith("synonym:")]
    sentences = []
    if not any(field in reasons for field in shown if field):
        places = [MATCH_PLACES[r] for r in reasons if r in MATCH_PLACES]
        if places:
            sentences.append(f"Your words are in its {_and_list(list(dict.fromkeys(places)))}.")
    if synonyms:
        verb = "means" if len(set(synonyms)) == 1 else "mean"
        sentences.append(
            f"{_and_list(list(dict.fromkeys(synonyms)))} {verb} the same as what you searched for."
        )
    return " ".join(sentences)


def as_date(value: str | date | datetime | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def nice_date(value: str | date | datetime | None) -> str:
    """ "2025-04-01" -> "1 April 2025" (the GOV.UK style); "" for none."""
    day = as_date(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def nice_time(value: str | datetime | None) -> str:
    """ "2025-05-12T14:20:00+00:00" -> "12 May 2025 at 2:20pm (UTC)"."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    clock = f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"
    return f"{nice_date(moment)} at {clock} (UTC)"


def is_stale(record: dict[str, Any], today: date | None = None) -> bool:
    return vocab.is_stale(
        record.get("update_frequency"), record.get("last_updated"), today or date.today()
    )


def is_sensitive(record: Mapping[str, Any]) -> bool:
    """Personal, special category or OFFICIAL-SENSITIVE (or higher) data."""
    return bool(
        record.get("personal_data")
        or record.get("special_category")
        or record.get("classification") in SENSITIVE_CLASSIFICATIONS
    )


def department_slug(name: str) -> str:
    """A department's address: "Revenues & Benefits" -> "revenues-benefits",
    "Children's Services" -> "childrens-services"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def _route(path: str) -> Any:
    for rule in current_app.url_map.iter_rules():
        if rule.rule == path:
            return rule
    return None


def sign_in_url(next_url: str | None = None) -> str:
    """The identity pages' sign-in URL (``/sign-in`` until they are registered)."""
    rule = _route("/sign-in")
    base = url_for(rule.endpoint) if rule is not None else "/sign-in"
    if next_url is None and request:
        next_url = request.full_path.rstrip("?")
    return f"{base}?{_query({'next': next_url})}" if next_url else base


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page for people who have signed in: anyone else is sent to sign in, and
    brought back to the page they asked for afterwards."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_principal().signed_in:
            return redirect(sign_in_url(request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded


def sentence_case(message: str) -> str:
    """A service's message as a sentence on a page: its first letter a capital."""
    return message[:1].upper() + message[1:]


def sign_out() -> dict[str, str]:
    """Where sign out is and how to ask: a POST form (with a CSRF token) when the
    route takes POST, else a link."""
    rule = _route("/sign-out")
    if rule is None:
        return {"url": "/sign-out", "method": "post"}
    method = "post" if "POST" in (rule.methods or ()) else "get"
    return {"url": url_for(rule.endpoint), "method": method}


def _query(values: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in values.items() if v not in (None, "")}, doseq=True)


def navigation(principal: Principal) -> list[dict[str, Any]]:
    """The service navigation, with the current section marked."""
    path = request.path
    accounts = "accounts" in current_app.blueprints
    sections = [  # (endpoint, text, shown to this person, the current section)
        ("web.search", "Search", True, path.startswith("/search")),
        ("web.departments", "Departments", True, path.startswith("/departments")),
        ("web.register", "Register an asset", principal.role in ("steward", "admin"),
         path == "/register"),
        ("web.me", "My assets", principal.signed_in and bool(principal.email), path == "/me"),
        ("web.audit_log", "Audit log", principal.sees_everything, path.startswith("/audit")),
        ("accounts.account_list", "Accounts", principal.role == "admin" and accounts,
         path.startswith("/admin/accounts")),
        ("accounts.own_tokens", "API tokens", principal.signed_in and accounts,
         path == "/account/tokens"),
    ]  # fmt: skip
    return [
        {"href": url_for(endpoint), "text": text, "active": active}
        for endpoint, text, shown, active in sections
        if shown
    ]


def markdown_or_text(text: str | None) -> Markup:
    """The description as the identity engineer's ``markdown`` filter renders it
    (sanitised), or as escaped paragraphs until that filter exists."""
    render = current_app.jinja_env.filters.get("markdown")
    if render is not None:
        return Markup(render(text or ""))
    paragraphs = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    return Markup("\n").join(
        Markup('<p class="govuk-body">{}</p>').format(escape(p)) for p in paragraphs
    )


def template_context() -> dict[str, Any]:
    principal = current_principal()
    return {
        "principal": principal,
        "service_name": current_app.config["SERVICE_NAME"],
        "organisation_name": current_app.config.get("ORGANISATION_NAME"),
        "demo_accounts": demo_accounts() if current_app.config.get("DEMO_HINTS") else [],
        "demo_password": DEMO_PASSWORD,
        "navigation": navigation(principal),
        "sign_in_url": sign_in_url,
        "sign_out": sign_out(),
        "kind_label": kind_label,
        "facet_value_label": facet_value_label,
        "match_reasons": match_reasons,
        "facet_names": FACET_NAMES,
        "access_labels": ACCESS_LABELS,
        "access_tags": ACCESS_TAGS,
        "classification_tags": CLASSIFICATION_TAGS,
        "lawful_bases": LAWFUL_BASES,
        "frequencies": FREQUENCIES,
        "action_labels": ACTIONS,
        "department_slug": department_slug,
        "is_stale": is_stale,
        "is_sensitive": is_sensitive,
        "query_string": _query,
    }


def register_template_helpers(app: Flask) -> None:
    app.context_processor(template_context)
    app.add_template_filter(nice_date, "nice_date")
    app.add_template_filter(nice_time, "nice_time")
    app.add_template_filter(markdown_or_text, "description_html")
