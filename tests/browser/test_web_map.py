"""The marketplace map in a real browser: the offline base layer drawn from world-atlas, one
marker per placed listing, the radius filter, a click that picks the place; no request off
loopback (no tile server) and no console error.

The site here is a node and the web app over the 24-listing book of ``web_server.py``,
8 of which have a place (4 near Trondheim, 4 in Oslo).
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from web_server import PLACED, TRONDHEIM, RunningWeb


def test_the_map_draws_its_outlines_and_a_marker_per_placed_listing(
    visit: Page, site: RunningWeb
) -> None:
    visit.goto(site.url + "/market")
    visit.get_by_role("link", name="Show these on the map").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Marketplace map")
    expect(visit.locator("#map")).to_have_attribute("data-outlines_ready", "yes")
    assert visit.locator("#map path.outline").count() > 100, "the countries of the world"
    expect(visit.locator("#map path.listing-marker")).to_have_count(len(PLACED))
    expect(visit.locator("table.placed tbody tr")).to_have_count(len(PLACED))

    # four listings share a place near Trondheim: the one on top takes the click
    visit.locator("#map path.listing-marker").first.click(force=True)
    expect(visit.locator(".leaflet-popup-content a")).to_contain_text("ord-")


def test_a_click_on_the_map_picks_the_place_and_the_radius_keeps_what_is_near(
    visit: Page, site: RunningWeb
) -> None:
    visit.goto(site.url + "/market/map")
    expect(visit.locator("#map")).to_have_attribute("data-markers", str(len(PLACED)))
    visit.locator("#map").click(position={"x": 320, "y": 220})  # clear of the zoom buttons
    expect(visit.get_by_label("Near latitude")).not_to_have_value("")
    expect(visit.get_by_label("Within")).to_have_value("50")
    visit.get_by_label("Near latitude").fill(f"{TRONDHEIM.lat}")
    visit.get_by_label("Near longitude").fill(f"{TRONDHEIM.lon}")
    visit.get_by_role("button", name="Filter").click()
    near = sum(place == TRONDHEIM for place in PLACED.values())
    expect(visit.locator("#map path.listing-marker")).to_have_count(near)
    expect(visit.locator("table.placed tbody tr")).to_have_count(near)


def test_the_map_page_lists_the_places_without_javascript(
    browser: Browser, site: RunningWeb
) -> None:
    """Read pages work without JavaScript: the table says what the map would show."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/market/map?lat={TRONDHEIM.lat}&lon={TRONDHEIM.lon}&radius_km=50")
        near = sum(place == TRONDHEIM for place in PLACED.values())
        expect(page.locator("table.placed tbody tr")).to_have_count(near)
        expect(page.locator("#map path")).to_have_count(0)
    finally:
        context.close()
