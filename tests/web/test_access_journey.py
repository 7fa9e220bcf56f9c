"""Access requested and granted in a real browser (#17): Ahmed (a viewer in
Housing) asks for the restricted housing benefit claims of Revenues & Benefits,
which he has been told the key of; Daniel, its steward, approves it on his page
of requests; Ahmed then sees it, and after the last day he asked for (on a clock
the test moves) it is hidden again."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from catalogue.db import utcnow
from catalogue.services.demo import DEMO_PASSWORD
from tests.conftest import long_date
from tests.web.test_accessibility import assert_accessible

pytestmark = pytest.mark.calendar

#: One restricted asset of Revenues & Benefits (Daniel stewards both) per screen width.
ASKED = {
    1280: ("hb-claims", "Housing benefit claims"),
    375: ("ctr-claims", "Council tax reduction claims"),
}


def sign_in_as(page: Any, username: str) -> None:
    page.goto("/sign-in")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def shown(page: Any, path: str) -> bool:
    return page.goto(path).status == 200


@pytest.mark.parametrize("width", [1280, 375])
def test_request_approval_sight_and_expiry(browser: Any, live_server: str, width: int) -> None:
    contexts = [
        browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
        for _ in range(2)
    ]
    ahmed, daniel = (context.new_page() for context in contexts)
    key, title = ASKED[width]
    try:
        sign_in_as(ahmed, "ahmed.khan")
        assert not shown(ahmed, f"/assets/{key}")
        ahmed.goto("/access")
        ahmed.get_by_label("The asset's key").fill(key)
        ahmed.get_by_role("button", name="Continue").click()
        expect(ahmed.locator("h1")).to_have_text(f"Request access to {key}")  # no title shown
        ahmed.get_by_role("button", name="Send request").click()  # nothing filled in
        expect(ahmed.locator(".govuk-error-summary")).to_contain_text("Say why you need it")
        assert_accessible(ahmed, f"access-request-errors-{width}")
        last_day = utcnow().date() + timedelta(days=7)
        ahmed.get_by_label("Why do you need it?").fill("Checking rent arrears cases for the review")
        ahmed.get_by_label("Until when?").fill(last_day.isoformat())
        ahmed.get_by_role("button", name="Send request").click()
        ahmed.wait_for_url("**/access")
        row = ahmed.locator(f"#mine tbody tr:has-text('{key}')")
        expect(row).to_contain_text("Waiting")
        assert_accessible(ahmed, f"access-requests-{width}")
        assert not shown(ahmed, f"/assets/{key}")

        sign_in_as(daniel, "daniel.whitlock")
        daniel.goto("/access")
        waiting = daniel.locator("#to-decide tbody tr", has_text="ahmed.khan")
        expect(waiting).to_contain_text(title)
        waiting.last.get_by_role("link").click()
        daniel.wait_for_url(re.compile(r"/access/requests/\d+$"))
        daniel.get_by_role("radio", name=re.compile("Approve")).check()
        daniel.get_by_label("Your reason").fill("Agreed for the arrears review")
        assert_accessible(daniel, f"access-request-decide-{width}")
        daniel.get_by_role("button", name="Send answer").click()
        daniel.wait_for_url("**/access")
        expect(daniel.locator(".govuk-notification-banner")).to_contain_text("You approved")

        assert shown(ahmed, f"/assets/{key}")
        expect(ahmed.locator("h1")).to_have_text(title)
        expect(ahmed.locator("#access-yours")).to_contain_text(long_date(last_day))
        assert_accessible(ahmed, f"access-granted-asset-{width}")
        ahmed.goto("/search?q=" + title.replace(" ", "+"))
        expect(ahmed.locator(f"a[href='/assets/{key}']").first).to_be_visible()

        after = datetime.combine(last_day + timedelta(days=1), time(9, 0))
        with time_machine.travel(after, tick=True):
            sign_in_as(ahmed, "ahmed.khan")  # the session from a week ago has ended
            assert shown(ahmed, "/assets/housing-register"), "signed in as Housing staff"
            assert not shown(ahmed, f"/assets/{key}"), "shown after its last day"
            ahmed.goto("/search?q=" + title.replace(" ", "+"))
            expect(ahmed.locator(f"a[href='/assets/{key}']")).to_have_count(0)
            ahmed.goto("/access")
            expect(ahmed.locator(f"#mine tbody tr:has-text('{key}')").first).to_contain_text(
                "Ended"
            )
    finally:
        for context in contexts:
            context.close()
