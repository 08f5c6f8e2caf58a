"""Browser tests: pytest-playwright driving Debian's Chromium, headless, against the web app.

Playwright cannot download its own browser here, so it launches the system's
(``/usr/bin/chromium``, or ``$PLAZA_CHROMIUM``) with ``--no-sandbox`` (we run as
root). Every test here is marked ``browser``. Where Chromium is missing they skip
with the reason, except in CI (``CI=true``), where they must run: the launch then
fails and says so. ``make test`` installs Chromium when it can (root).

The site they browse is ``plaza demo``'s, for real: a node on SQLite issuing
milestones, the energy marketplace backend, bid manager, user module and six
simulated devices, and the web app, each a uvicorn server on loopback
(:class:`plaza.bootstrap.energy_demo.EnergyDemo`, on a temporary data directory
and free ports, devices ticking every 0.2 s).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from browser_launch import CHROMIUM, LAUNCH_ARGS
from playwright.sync_api import ConsoleMessage, Page, Request, Route

from plaza.bootstrap import SystemClock
from plaza.bootstrap.energy_demo import DemoSettings, EnergyDemo
from plaza.testing import FakeClock
from plaza.web.oidc import OidcProvider

_HERE = Path(__file__).parent
# The integration tests' servers (node_server, web_server) serve the browser tests' other sites.
sys.path.insert(0, str(_HERE.parent / "integration"))
from node_server import node_settings, serve_node  # noqa: E402
from oidc_provider import CLIENT_ID, CLIENT_SECRET, LoopbackProvider, serve_provider  # noqa: E402
from web_server import RunningWeb, memory_accounts, serve_web_app  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this directory's tests ``browser``; skip them without Chromium, but not in CI;
    and run them after every other test of the session.

    Playwright's sync API keeps an event loop running in the main thread from its first
    test to the end of the session, and ``asyncio.run`` refuses to start under it: any
    test after the first browser test that runs a loop of its own would fail.
    """
    missing = not CHROMIUM.exists() and os.environ.get("CI") != "true"
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    browser = [item for item in items if _HERE in item.path.parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
        if missing:
            item.add_marker(skip)
    chosen = set(browser)
    items[:] = [item for item in items if item not in chosen] + browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def _wait_for(url: str, text: str, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if text in httpx.get(url, timeout=5).text:
            return
        time.sleep(0.3)
    raise TimeoutError(f"{url} never showed {text!r}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnergyDemo]:
    """The demo, running until its listings have twins with states on them; for one module
    (the other modules' servers count the errors logged while they run)."""
    settings = DemoSettings(
        data_dir=tmp_path_factory.mktemp("demo"), node_port=0, web_port=0, tick_s=0.2
    )
    running = EnergyDemo(settings)
    running.start()
    try:
        _wait_for(running.web_url + "/market?side=offer", "coins per kWh")
        yield running
    finally:
        running.stop()


@pytest.fixture
def problems() -> list[str]:
    """The console's errors during a test (a test expecting a 4xx answer removes its own)."""
    return []


@pytest.fixture
def visit(page: Page, problems: list[str]) -> Iterator[Page]:
    """``page``, refusing every request off loopback and failing on console errors."""
    foreign: list[str] = []

    def only_loopback(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            foreign.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.route("**/*", only_loopback)
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    assert foreign == [], "pages must need no network beyond loopback"
    assert problems == [], "no CSP violation or script error"


@pytest.fixture(scope="module")
def site_clock() -> FakeClock:
    """The clock of ``site``'s accounts (a test moves it to expire a session)."""
    return FakeClock(SystemClock().now_ms())


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[LoopbackProvider]:
    """The tests' OpenID Connect provider (``tests/support``), on loopback."""
    with serve_provider() as provider:
        yield provider


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, site_clock: FakeClock, oidc_provider: LoopbackProvider
) -> Iterator[RunningWeb]:
    """A node and the web app over the 24 listings of ``web_server.py`` (8 of them placed),
    with accounts in memory and ``oidc_provider`` as "Test ID"."""
    test_id = OidcProvider("test", "Test ID", oidc_provider.issuer, CLIENT_ID, CLIENT_SECRET)
    accounts = memory_accounts(site_clock, providers=[test_id], oidc_clock=SystemClock())
    with serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node:
        with node.client() as client:
            genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis, accounts=accounts) as web:
            yield web
    assert accounts.oidc is not None
    accounts.oidc.close()
