"""What holds the pages together: every page route is exercised and documented,
the front-end files are copied the council's way, and the Makefile builds them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask

from catalogue.web.frontend_files import FILES, PACKAGES, copy_vendor_files, council_css
from tests.test_docs import DOCUMENTATION
from tests.web.conftest import REPO, Pages

#: One URL per page route, who asks, and the status they get.
ROUTES = {
    "web.home": ("/", None, 200),
    "web.search": ("/search?q=bins", None, 200),
    "web.suggest": ("/search/suggest.json?q=air", None, 200),
    "web.asset": ("/assets/rent-accounts", "viewer", 200),
    "web.asset_history": ("/assets/rent-accounts/history", "viewer", 200),
    "web.lineage_explorer": ("/assets/rent-accounts/lineage", "viewer", 200),
    "web.lineage_json": ("/assets/rent-accounts/lineage.json", "viewer", 200),
    "web.lineage_columns": ("/assets/rent-accounts/columns.json", "viewer", 200),
    "web.trace": ("/assets/rpt-housing-arrears-dashboard/trace", "viewer", 200),
    "web.trace_csv": ("/assets/rpt-housing-arrears-dashboard/trace.csv", "viewer", 200),
    "web.register": ("/register", "steward", 200),
    "web.edit_asset": ("/assets/rent-accounts/edit", "steward", 200),
    "web.feeds": ("/assets/rent-accounts/feeds", "steward", 200),
    "web.end_feed": ("/assets/rent-accounts/feeds/end", "steward", 405),  # POST only
    "web.departments": ("/departments", None, 200),
    "web.department": ("/departments/planning", None, 200),
    "web.person": ("/people/aisha.begum@thamesbury.gov.uk", "viewer", 200),
    "web.me": ("/me", "viewer", 302),
    "web.audit_log": ("/audit", "auditor", 200),
    "web.audit_csv": ("/audit.csv", "auditor", 200),
    "web.accessibility": ("/accessibility", None, 200),
    "web.review_asset": ("/assets/rent-accounts/review", "steward", 405),  # POST only
    "web.change_watch": ("/watches/asset/rent-accounts", "viewer", 405),  # POST only
    "web.delivery_log": ("/notify/log", "admin", 200),
    "web.resend_delivery": ("/notify/log/1/resend", "admin", 405),  # POST only
    "web.my_reviews": ("/reviews", "viewer", 302),  # to the person's own reviews
    "web.person_reviews": ("/people/aisha.begum@thamesbury.gov.uk/reviews", "viewer", 200),
    "web.department_reviews": ("/departments/housing/reviews", None, 200),
    "web.governance_home": ("/governance", "auditor", 200),
    "web.iar": ("/governance/iar", "auditor", 200),
    "web.iar_file": ("/governance/iar.csv", "auditor", 200),
    "web.ropa": ("/governance/ropa", "auditor", 200),
    "web.ropa_file": ("/governance/ropa.csv", "auditor", 200),
    "web.glossary_index": ("/glossary", "viewer", 200),
    "web.glossary_term": ("/glossary/unique-property-reference-number", "viewer", 200),
    "web.access_requests_page": ("/access", "viewer", 200),
    "web.access_request_by_key": ("/access/request?key=hb-claims", "viewer", 302),
    "web.request_access_form": ("/assets/hb-claims/request-access", "viewer", 200),
    "web.access_request_page": ("/access/requests/999", "auditor", 404),  # the demo has none
    "web.healthz": ("/healthz", None, 200),
    "web.readyz": ("/readyz", None, 200),
}


#: Form submissions at the address of their form's page: a POST without the
#: form's token is refused (400) and changes nothing.
SUBMISSIONS = {
    "web.request_access": ("/assets/hb-claims/request-access", "viewer"),
    "web.decide_access_request": ("/access/requests/999", "auditor"),
}


def web_rules(app: Flask) -> dict[str, str]:
    return {r.endpoint: r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("web.")}


def test_every_page_route_is_exercised(demo_app: Flask) -> None:
    assert set(web_rules(demo_app)) == set(ROUTES) | set(SUBMISSIONS)


@pytest.mark.parametrize("endpoint", sorted(SUBMISSIONS))
def test_every_form_submission_refuses_a_post_without_its_token(
    pages: Pages, demo_app: Flask, endpoint: str
) -> None:
    path, role = SUBMISSIONS[endpoint]
    pages.sign_in(role)
    assert demo_app.url_map.bind("localhost").match(path, "POST")[0] == endpoint
    assert pages.client.post(path, data={"reason": "to test"}).status_code == 400


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_every_page_route_answers(pages: Pages, demo_app: Flask, endpoint: str) -> None:
    path, role, status = ROUTES[endpoint]
    if role:
        pages.sign_in(role)
    method = "POST" if status == 405 else "GET"
    assert demo_app.url_map.bind("localhost").match(path.split("?")[0], method)[0] == endpoint
    assert pages.get(path).status_code == status


def test_readme_lists_every_page_route(demo_app: Flask) -> None:
    section = DOCUMENTATION.split("## Web pages", 1)[1].split("\n## ", 1)[0]
    for endpoint, rule in web_rules(demo_app).items():
        if endpoint in ("web.healthz", "web.readyz"):
            continue
        documented = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)
        assert f"`{documented}`" in section, rule
    assert "/accessibility" in section and "axe-core" in section


# -- the front-end files ---------------------------------------------------------------
def test_council_css_drops_the_transport_font_and_serves_assets_relatively() -> None:
    css = (
        '@font-face{font-family:"GDS Transport";src:url(/assets/fonts/light.woff2)}'
        "@font-face{font-family:GDS Transport;font-weight:700;src:url(/assets/fonts/bold.woff2)}"
        ".govuk-footer__copyright-logo:before{background-image:url(/assets/images/govuk-crest.svg)}"
        "/*# sourceMappingURL=govuk-frontend.min.css.map */"
    )
    out = council_css(css)
    assert "@font-face" not in out and "fonts/" not in out
    assert "url(assets/images/govuk-crest.svg)" in out and "url(/assets/" not in out
    assert "sourceMappingURL" not in out


def test_copy_vendor_files(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    for name in PACKAGES:
        (modules / name).mkdir(parents=True)
        (modules / name / "package.json").write_text(
            json.dumps({"version": "1.0.0", "license": "MIT"})
        )
    for source in filter(None, FILES.values()):
        (modules / source).parent.mkdir(parents=True, exist_ok=True)
        (modules / source).write_text("@font-face{font-family:GDS Transport;src:url(/assets/f)}x")
    written = copy_vendor_files(modules, tmp_path / "vendor")
    assert len(written) == len(FILES)
    assert (tmp_path / "vendor" / "govuk" / "govuk-frontend.min.css").read_text() == "x"
    assert "govuk-frontend 1.0.0 (MIT)" in (tmp_path / "vendor" / "LICENCES.txt").read_text()
    (modules / "cytoscape" / "package.json").unlink()
    with pytest.raises(FileNotFoundError, match="npm ci"):
        copy_vendor_files(modules, tmp_path / "vendor")


def test_front_end_versions_are_pinned_to_match_the_macros() -> None:
    manifest = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert manifest["dependencies"] == {
        "cytoscape": "3.34.4",
        "cytoscape-dagre": "4.0.1",
        "govuk-frontend": "6.3.0",  # govuk-frontend-jinja 4.1.0 is tested against 6.3.0
    }
    for name, version in manifest["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_make_builds_the_assets_before_run_and_test() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^run: .*\bassets\b", makefile, re.M)
    assert re.search(r"^test: .*\bassets\b", makefile, re.M)
    assert "npm ci" in makefile and "python -m catalogue.web.frontend_files" in makefile
    assert "catalogue/web/static/vendor/" in (REPO / ".gitignore").read_text()
