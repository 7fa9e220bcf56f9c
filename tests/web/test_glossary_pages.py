"""The glossary's pages (#18) on the demo borough, through the test client on
both backends: the A–Z index, a term's page with what it describes (only what
the reader may see) and its history, terms on asset pages, and a search that
names a term showing its definition. Plain HTML: every link and list is there
without a script."""

from __future__ import annotations

from html import unescape

from tests.web.conftest import Pages


def test_the_index_lists_the_terms_a_to_z_for_staff_only(pages: Pages) -> None:
    assert pages.get("/glossary").status_code == 302  # sign in first
    html = unescape(pages.sign_in("viewer").text("/glossary"))
    assert 'href="#letter-L"' in html and 'id="letter-L"' in html
    assert (
        html.index("Adult social care")
        < html.index("Looked after child")
        < html.index("Unique Property Reference Number")
    )
    assert 'href="/glossary/looked-after-child"' in html
    early_help = html[html.index("Early help") :][:200]
    assert "Draft" in early_help


def test_a_terms_page_lists_what_it_describes_and_its_history(pages: Pages) -> None:
    html = unescape(pages.sign_in("auditor").text("/glossary/looked-after-child"))
    assert "A child in the council&#39;s care" in html or "A child in the council's care" in html
    assert "LAC, CLA, looked after children" in html
    assert 'href="/assets/cs-looked-after-children"' in html
    assert "column <code>legal_status</code>" in html
    assert 'href="/glossary/care-leaver"' in html  # a related term
    history = html[html.index('id="history"') :]
    assert "Changed status" in history and "Added" in history


def test_a_term_page_hides_assets_the_reader_may_not_see(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/glossary/looked-after-child")  # a Housing viewer
    assert "cs-looked-after-children" not in html
    assert "No asset you can see is linked to this term." in html
    hra = pages.text("/glossary/housing-revenue-account")
    assert 'href="/assets/rent-accounts"' in hra


def test_an_unknown_term_is_a_404_page(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/glossary/no-such-term", status=404)
    assert "Traceback" not in html


def test_an_asset_page_links_to_its_terms(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/assets/llpg-addresses")
    terms = html[html.index('id="terms"') :][:1500]
    assert 'href="/glossary/unique-property-reference-number"' in terms
    assert "column <code>uprn</code>" in terms


def test_a_search_naming_a_term_shows_its_definition_above_the_results(pages: Pages) -> None:
    html = unescape(pages.sign_in("viewer").text("/search?q=UPRN"))
    definition = html.index('id="glossary-term"')
    assert definition < html.index('id="result-count"')
    assert "identifies one addressable place" in html[definition:]
    assert 'id="glossary-term"' not in pages.text("/search?q=bins")
