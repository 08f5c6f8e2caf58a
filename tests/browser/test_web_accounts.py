"""Accounts in a real browser: sign up, log out and in with a password, log in through the
tests' OpenID Connect provider, make and revoke an API key; a wrong password and an expired
session each say so plainly. The site is ``site`` (accounts in memory, a FakeClock)."""

from __future__ import annotations

import re

from oidc_provider import LoopbackProvider, User
from playwright.sync_api import Page, expect
from web_server import RunningWeb

from plaza.testing import FakeClock

PASSWORD = "a browser's long password"


def _allow_statuses(problems: list[str], *statuses: int) -> None:
    """Chromium logs a page answered 4xx as a console error; these ones are expected."""
    expected = tuple(f"status of {status}" for status in statuses)
    problems[:] = [p for p in problems if not any(e in p for e in expected)]


def _sign_up(page: Page, site: RunningWeb, email: str) -> None:
    page.goto(site.url + "/")
    page.get_by_role("banner").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def test_sign_up_log_out_and_log_in_with_a_password(visit: Page, site: RunningWeb) -> None:
    _sign_up(visit, site, "browser.person@example.org")
    expect(visit.locator("#user-id")).to_have_text(re.compile(r"usr_[0-9a-f]{16}"))
    banner = visit.get_by_role("banner")
    expect(banner).to_contain_text("Logged in as browser.person@example.org")
    banner.get_by_role("button", name="Log out").click()
    expect(visit).to_have_url(site.url + "/login")
    expect(banner.get_by_role("link", name="Log in")).to_be_visible()
    visit.get_by_label("Email").fill("Browser.Person@example.org")
    visit.get_by_label("Password").fill(PASSWORD)
    visit.get_by_role("button", name="Log in").click()
    expect(visit).to_have_url(site.url + "/account")
    expect(visit.get_by_role("main")).to_contain_text("browser.person@example.org")


def test_bad_sign_up_input_is_said_beside_the_field(
    visit: Page, site: RunningWeb, problems: list[str]
) -> None:
    visit.goto(site.url + "/signup")
    visit.get_by_label("Email").fill("not an email")
    visit.get_by_label("Password", exact=True).fill("short")
    visit.get_by_label("Password again").fill("short")
    visit.get_by_role("button", name="Sign up").click()
    email = visit.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(visit.locator("#a-email-problem")).to_contain_text("enter an email address like")
    expect(visit.locator("#a-password-problem")).to_contain_text("use at least 10 characters")
    _allow_statuses(problems, 400)


def test_a_wrong_password_says_so(visit: Page, site: RunningWeb, problems: list[str]) -> None:
    _sign_up(visit, site, "forgetful@example.org")
    visit.get_by_role("button", name="Log out").click()
    visit.get_by_label("Email").fill("forgetful@example.org")
    visit.get_by_label("Password").fill("not my password at all")
    visit.get_by_role("button", name="Log in").click()
    expect(visit.get_by_role("alert")).to_have_text("The email or the password is wrong.")
    expect(visit.get_by_label("Email")).to_have_value("forgetful@example.org")
    _allow_statuses(problems, 401)


def test_log_in_through_the_openid_connect_provider(
    visit: Page, site: RunningWeb, oidc_provider: LoopbackProvider
) -> None:
    oidc_provider.user = User("browser-subject", "oidc.browser@example.org")
    visit.goto(site.url + "/login")
    visit.get_by_role("link", name="Test ID").click()
    expect(visit).to_have_url(site.url + "/account")
    expect(visit.get_by_role("main")).to_contain_text("oidc.browser@example.org")
    assert oidc_provider.tokens_issued >= 1


def test_an_expired_session_sends_to_login_saying_why(
    visit: Page, site: RunningWeb, site_clock: FakeClock
) -> None:
    _sign_up(visit, site, "sleepy@example.org")
    assert site.accounts is not None
    site_clock.advance(ms=site.accounts.service.policy.session_ms)
    visit.reload()
    expect(visit).to_have_url(site.url + "/login?expired=1")
    expect(visit.get_by_role("alert")).to_have_text(
        "Your session has expired: please log in again."
    )


def test_make_and_revoke_an_api_key(visit: Page, site: RunningWeb) -> None:
    _sign_up(visit, site, "scripter@example.org")
    visit.get_by_label("Key name").fill("my battery script")
    visit.get_by_role("button", name="Create key").click()
    expect(visit.get_by_role("status")).to_contain_text("shown only this once")
    expect(visit.locator("#new-key")).to_have_text(re.compile(r"plz_[0-9a-f]{16}_[0-9a-f]{64}"))
    row = visit.get_by_role("row", name=re.compile("my battery script"))
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke the key my battery script").click()
    expect(visit.locator("#new-key")).to_have_count(0)
    expect(visit.get_by_role("row", name=re.compile("my battery script"))).to_contain_text(
        "revoked"
    )
