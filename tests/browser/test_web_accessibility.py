"""Every main page passes axe-core's WCAG 2 A and AA rules in a real browser: contrast,
labels, landmarks, headings, names of links and buttons, the document's language.

axe-core (npm, a dev dependency in package.json) is read from ``node_modules`` and
evaluated in the page by Playwright, which the page's Content-Security-Policy does
not govern; the site is the tests' book of 24 listings behind a real node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from web_server import RunningWeb

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/market",
    "/market?side=offer&per_page=10&page=2",
    "/market/ord-1",
    "/market/ord-1/verify",
    "/wallet",
    "/market/map",
    "/explorer",
    "/explorer/milestones/1",
    "/explorer/channels",
    "/docs",
    "/energy",
    "/market?min_price=cheap",
    "/signup",
    "/login",
    "/login?expired=1",
]


def _axe_violations(visit: Page) -> list[tuple[Any, Any, Any]]:
    visit.wait_for_load_state("networkidle")
    visit.evaluate(AXE.read_text())
    results: dict[str, Any] = visit.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert results["passes"], "axe ran its rules"
    return [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results["violations"]
    ]


@pytest.mark.parametrize("path", PAGES)
def test_the_page_breaks_no_wcag_a_or_aa_rule(
    visit: Page, site: RunningWeb, problems: list[str], path: str
) -> None:
    visit.goto(site.url + path)
    broken = _axe_violations(visit)
    problems[:] = [p for p in problems if "status of 400" not in p]  # the error page's own
    assert broken == []


def test_the_account_pages_break_no_rule_with_problems_a_key_and_a_login(
    visit: Page, site: RunningWeb, problems: list[str]
) -> None:
    visit.goto(site.url + "/signup")
    visit.get_by_role("button", name="Sign up").click()  # every field empty: each says so
    assert _axe_violations(visit) == []
    visit.get_by_label("Email").fill("accessible@example.org")
    visit.get_by_label("Password", exact=True).fill("a password long enough")
    visit.get_by_label("Password again").fill("a password long enough")
    visit.get_by_role("button", name="Sign up").click()
    visit.get_by_label("Key name").fill("a key")
    visit.get_by_role("button", name="Create key").click()
    assert _axe_violations(visit) == []  # the account page, a key and its secret shown
    problems[:] = [p for p in problems if "status of 400" not in p]


_SHOWN_THOUGH_HIDDEN = """() => {
  for (const [tag, cls] of [["form", "filters"], ["dl", "facts"], ["table", "listings"]]) {
    const probe = document.createElement(tag);
    probe.className = cls;
    probe.hidden = true;
    document.querySelector("main").append(probe);
  }
  return [...document.querySelectorAll("[hidden]")]
    .filter((element) => getComputedStyle(element).display !== "none")
    .map((element) => element.outerHTML.slice(0, 80));
}"""


@pytest.mark.parametrize("path", ["/market", "/wallet"])
def test_an_element_marked_hidden_is_not_shown_whatever_its_class(
    visit: Page, site: RunningWeb, path: str
) -> None:
    """A form the page's script reveals once its handler is attached must not be shown (and
    clicked) before: a class's display (``form.filters`` is a grid) cannot undo ``hidden``."""
    visit.goto(site.url + path)
    assert visit.evaluate(_SHOWN_THOUGH_HIDDEN) == []
