"""``make screenshots``: a PNG of each main page of the web app, as ``plaza demo`` serves it.

Starts the demo on a temporary data directory and free ports (devices ticking
every 0.2 s), waits until its listings have twins, and has headless Chromium
(Debian's, as the browser tests use it) save each page into the directory given
(``docs/screenshots`` by default), at desktop width and the marketplace also at
phone width. Run: ``.venv/bin/python tests/browser/screenshots.py [DIRECTORY]``.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from browser_launch import CHROMIUM, LAUNCH_ARGS
from playwright.sync_api import Page, sync_playwright

from plaza.bootstrap.demo import Demo, ServicesSettings, StreamsSettings, TelcoSettings
from plaza.bootstrap.energy_demo import DemoSettings, EnergyDemo

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 1600}


def _contracted_listing(web: str, within_s: float = 60.0) -> str:
    """The address of a listing whose twin reaches its contract (the demo makes one soon)."""
    deadline = time.monotonic() + within_s
    with httpx.Client(base_url=web, timeout=5) as http:
        while time.monotonic() < deadline:
            listings = re.findall(r'href="(/market/ord-\d+)"', http.get("/market?status=all").text)
            for path in listings:
                if "contract: " in http.get(path).text:
                    return web + path
            time.sleep(1)
    raise TimeoutError(f"no listing of {web} reached a contract")


def _shoot(page: Page, url: str, path: Path, *, full: bool = False) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path, full_page=full)
    print(f"{path}  ({path.stat().st_size // 1024} KiB)  {url}")


def _shoot_wallet(page: Page, web: str, path: Path) -> None:
    """A wallet made in the browser, funded from the devnet faucet."""
    page.goto(web + "/wallet")
    page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill("screenshots!")
    page.get_by_label("The passphrase again").fill("screenshots!")
    page.get_by_role("button", name="Create a wallet").click()
    page.get_by_role("button", name="I have written them down").click()
    page.get_by_role("button", name="Get coins from the devnet faucet").click()
    page.locator("#wallet-history tr").first.wait_for(timeout=20_000)
    page.screenshot(path=path, full_page=True)
    print(f"{path}  ({path.stat().st_size // 1024} KiB)  {web}/wallet")


def _shoot_dashboard(page: Page, demo: EnergyDemo, path: Path) -> None:
    """Alice's dashboard, with the wallet made by :func:`_shoot_wallet` in this browser
    registered with the marketplace, an offer and a request placed."""
    alice = next(login for login in demo.logins if login.email.startswith("alice"))
    assert alice.password is not None
    page.goto(demo.web_url + "/login")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(alice.password)
    page.get_by_role("button", name="Log in").click()
    page.goto(demo.web_url + "/dashboard")
    page.get_by_label("Wallet passphrase").fill("screenshots!")
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Register with the marketplace").click()
    page.locator("#live").get_by_text("(live updates: on)").wait_for()
    for side, quantity, price in (("offer", "5000", "18"), ("request", "2000", "15")):
        page.get_by_label("I want to").select_option(side)
        page.get_by_label("Energy (Wh)").fill(quantity)
        page.get_by_label("Price (coins per kWh)").fill(price)
        page.get_by_role("button", name="Sign and place").click()
        page.locator("#dash-status").get_by_text("is on the market").wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=path, full_page=True)
    print(f"{path}  ({path.stat().st_size // 1024} KiB)  {demo.web_url}/dashboard")


def _first_link(web: str, page: str, pattern: str, within_s: float = 60.0) -> str:
    """The first link matching ``pattern`` on ``page`` once it shows one (the verticals'
    agents announce themselves within seconds of the demo's start)."""
    deadline = time.monotonic() + within_s
    with httpx.Client(base_url=web, timeout=5) as http:
        while time.monotonic() < deadline:
            found = re.search(pattern, http.get(page).text)
            if found:
                return web + found.group(1)
            time.sleep(1)
    raise TimeoutError(f"{web}{page} showed no link like {pattern}")


def _shoot_verticals(page: Page, web: str, directory: Path) -> None:
    """Each vertical's own page and one of its listings' pages."""
    for name, path, link in (
        ("streams", "/streams", r'href="(/streams/[0-9a-f]{64})"'),
        ("services", "/services", r'href="(/services/(?!my/)[a-z][a-z0-9-]*)"'),
        ("telco", "/telco", r'href="(/telco/assets/[^"]+)"'),
    ):
        listing = _first_link(web, path, link)
        if name == "streams":  # the map's markers come from its script
            page.goto(web + path)
            page.wait_for_selector(".leaflet-marker-icon, .leaflet-interactive")
            page.screenshot(path=directory / f"{name}.png", full_page=True)
            print(f"{directory / f'{name}.png'}  {web}{path}")
        else:
            _shoot(page, web + path, directory / f"{name}.png", full=True)
        _shoot(page, listing, directory / f"{name}-listing.png", full=True)


def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    logging.getLogger().addHandler(logging.NullHandler())  # the demo's log is not the point
    with tempfile.TemporaryDirectory() as root:
        settings = DemoSettings(data_dir=Path(root), node_port=0, web_port=0, tick_s=0.2)
        whole = Demo(
            settings,
            streams=StreamsSettings(interval_s=2.0),
            services=ServicesSettings(),
            telco=TelcoSettings(),
        )
        demo = whole.energy
        whole.start()
        try:
            web = demo.web_url
            listing_url = _contracted_listing(web)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=LAUNCH_ARGS
                )
                page = browser.new_page(viewport=DESKTOP)
                _shoot(page, web + "/", directory / "home.png")
                _shoot(page, web + "/market", directory / "marketplace.png")
                _shoot(page, listing_url, directory / "listing.png", full=True)
                page.get_by_role("button", name="Verify against the ledger").click()
                page.locator("#verification h3").wait_for()
                page.screenshot(path=directory / "verify.png", full_page=True)
                _shoot_wallet(page, web, directory / "wallet.png")
                _shoot_dashboard(page, demo, directory / "dashboard.png")
                _shoot(page, web + "/login", directory / "login.png")
                _shoot(page, web + "/explorer", directory / "explorer.png")
                page.locator("table.milestones a").first.click()
                page.wait_for_load_state("networkidle")
                _shoot(page, page.url, directory / "message.png")
                _shoot(page, web + "/energy", directory / "energy.png")
                _shoot_verticals(page, web, directory)
                _shoot(page, demo.node_url + "/docs", directory / "node-docs.png")
                page.goto(web + "/market/map?status=all")
                page.wait_for_selector("#map[data-outlines_ready][data-markers]")
                page.wait_for_timeout(500)  # Leaflet's last redraw
                page.screenshot(path=directory / "map.png")
                print(f"{directory / 'map.png'}  {web}/market/map?status=all")
                phone = browser.new_page(viewport=PHONE)
                _shoot(phone, web + "/market", directory / "marketplace-phone.png")
                browser.close()
        finally:
            whole.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
