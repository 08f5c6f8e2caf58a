"""Accounts over real HTTP: sign up, log in, wrong passwords and the lockout, CSRF refused,
sessions that expire, API keys that work on the market API until revoked.

The web app (uvicorn) keeps its accounts in a real marketplace's SQLite database, whose
API (uvicorn too) checks the keys; time is a FakeClock the tests move.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from account_site import (
    PASSWORD,
    AccountSite,
    csrf_of,
    log_in,
    problem_beside,
    serve_account_site,
    sign_up,
)
from market_server import RunningMarket, serve_market
from oidc_provider import LoopbackProvider, serve_provider

from plaza.market.accounts import LoginPolicy, session_hash
from plaza.market.auth import Role
from plaza.market.sql import SqlSessionStore

MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market")) as running:
        yield running


@pytest.fixture(scope="module")
def provider() -> Iterator[LoopbackProvider]:
    with serve_provider() as running:
        yield running


@pytest.fixture
def site(market: RunningMarket, provider: LoopbackProvider) -> Iterator[AccountSite]:
    with serve_account_site(market, provider) as running:
        yield running


@pytest.fixture
def http(site: AccountSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        yield client


def _email(request: pytest.FixtureRequest, tag: str = "") -> str:
    """An email no other test uses (they share the market's database), the same each call."""
    name = request.node.name.removeprefix("test_")[:40].replace("_", "-")
    return f"{name}{tag}@example.org".lower()


def test_sign_up_logs_in_with_a_hashed_session(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    email = _email(request)
    signed = sign_up(http, email)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/account"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("plaza_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http; over https it would be
    token = http.cookies["plaza_session"]
    page = http.get("/account")
    assert page.status_code == 200
    assert email in page.text
    assert "Logged in as" in page.text
    account = site.accounts.service.accounts.by_email(email)
    assert account is not None
    assert account.user_id in page.text
    assert account.participant_id in page.text
    assert '<dd id="roles">consumer, provider</dd>' in page.text
    assert page.headers["cache-control"] == "no-store"
    sessions = SqlSessionStore(site.accounts.service.accounts._engine)  # type: ignore[attr-defined]
    assert sessions.get(token.encode()) is None  # the token is not what is stored
    assert sessions.get(session_hash(token)) is not None


@pytest.mark.parametrize(
    ("email", "password", "confirm", "field", "message"),
    [
        ("not-an-email", PASSWORD, PASSWORD, "email", "enter an email address like"),
        ("", PASSWORD, PASSWORD, "email", "enter your email address"),
        ("short@example.org", "short", "short", "password", "use at least 10 characters"),
        ("mismatch@example.org", PASSWORD, PASSWORD + "!", "confirm", "type the same password"),
    ],
)
def test_bad_sign_up_input_is_named_beside_its_field_and_stores_nothing(
    site: AccountSite,
    http: httpx.Client,
    email: str,
    password: str,
    confirm: str,
    field: str,
    message: str,
) -> None:
    answer = sign_up(http, email, password, confirm)
    assert answer.status_code == 400
    assert message in problem_beside(answer.text, field)
    assert 'aria-invalid="true"' in answer.text
    assert "plaza_session" not in http.cookies
    assert email == "" or site.accounts.service.accounts.by_email(email) is None


def test_an_email_signs_up_once(http: httpx.Client, request: pytest.FixtureRequest) -> None:
    email = _email(request)
    assert sign_up(http, email).status_code == 303
    http.cookies.clear()
    again = sign_up(http, email.upper())
    assert again.status_code == 400
    assert "an account with this email exists" in problem_beside(again.text, "email")


def test_log_in_wrong_password_and_log_out(
    http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    email = _email(request)
    sign_up(http, email)
    http.cookies.clear()
    wrong = log_in(http, email, PASSWORD + "?")
    assert wrong.status_code == 401
    assert "The email or the password is wrong." in wrong.text
    assert http.get("/account").status_code == 303
    assert log_in(http, email).status_code == 303
    assert email in http.get("/account").text
    logout = http.post("/logout", data={"csrf": csrf_of(http.get("/account").text)})
    assert logout.status_code == 303
    assert http.get("/account").headers["location"] == "/login"
    assert "Log in" in http.get("/").text


@pytest.mark.parametrize(
    ("wanted", "lands"),
    [
        ("/streams/" + "ab" * 32, "/streams/" + "ab" * 32),
        ("/market?kind=stream", "/market?kind=stream"),
        ("//elsewhere.example/x", "/account"),
        ("/\\elsewhere.example", "/account"),
        ("https://elsewhere.example/", "/account"),
        ("/a page", "/account"),
    ],
)
def test_a_login_goes_on_to_the_page_that_asked_for_it_on_this_site_only(
    http: httpx.Client, request: pytest.FixtureRequest, wanted: str, lands: str
) -> None:
    email = _email(request, str(request.node.callspec.indices["wanted"]))
    sign_up(http, email)
    http.cookies.clear()
    page = http.get("/login", params={"next": wanted})
    kept = 'name="next" value="' in page.text
    assert kept == (lands != "/account")  # the form carries a local page only
    form = {"csrf": csrf_of(page.text), "email": email, "password": PASSWORD, "next": wanted}
    wrong = http.post("/login", data={**form, "password": PASSWORD + "?"})
    assert wrong.status_code == 401
    assert ('name="next" value="' in wrong.text) == kept  # a second try goes there too
    answer = http.post("/login", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == lands
    again = http.get("/login", params={"next": wanted})  # logged in already: straight there
    assert again.headers["location"] == lands


def test_five_wrong_passwords_lock_the_account_for_15_minutes(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    email = _email(request)
    sign_up(http, email)
    http.cookies.clear()
    for _ in range(4):
        assert log_in(http, email, "wrong password!").status_code == 401
    locked = log_in(http, email, "wrong password!")
    assert locked.status_code == 429
    assert "This account is locked after too many wrong passwords. Try again after" in locked.text
    assert log_in(http, email).status_code == 429  # the right password, while locked
    site.clock.advance(ms=15 * MINUTE_MS)
    assert log_in(http, email).status_code == 303


def test_forms_without_this_browsers_token_are_refused_and_change_nothing(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    email = _email(request)
    form = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
    refused = http.post("/signup", data=form)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert "Nothing was changed" in refused.text
    assert site.accounts.service.accounts.by_email(email) is None
    sign_up(http, email)
    account_page = http.get("/account").text
    mine = csrf_of(account_page)
    with httpx.Client(base_url=site.url) as stranger:  # another browser's token is no good
        theirs = csrf_of(stranger.get("/login").text)
        assert stranger.post("/login", data={"csrf": mine, "email": email}).status_code == 403
    altered = mine[:-1] + ("1" if mine.endswith("0") else "0")  # one digit other than mine
    for token in ("", theirs, altered):
        assert http.post("/account/keys", data={"csrf": token, "name": "k"}).status_code == 403
        assert http.post("/logout", data={"csrf": token}).status_code == 403
    assert "You have no API keys yet." in http.get("/account").text  # still logged in


def test_a_post_that_is_not_a_form_is_a_clear_400(http: httpx.Client) -> None:
    answer = http.post("/login", content=b'{"email": "x"}', headers={"content-type": "text/json"})
    assert answer.status_code == 400
    assert "application/x-www-form-urlencoded" in answer.text
    big = http.post("/login", data={"csrf": "x" * 20_000})
    assert big.status_code == 400


def test_an_expired_session_sends_to_login_with_a_clear_message(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    sign_up(http, _email(request))
    assert http.get("/account").status_code == 200
    site.clock.advance(ms=site.accounts.service.policy.session_ms)
    expired = http.get("/account")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/login?expired=1"
    assert 'plaza_session=""' in expired.headers["set-cookie"]
    login = http.get(expired.headers["location"])
    assert "Your session has expired: please log in again." in login.text


def test_a_key_made_on_the_web_works_on_the_market_api_until_revoked(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    sign_up(http, _email(request))
    token = csrf_of(http.get("/account").text)
    made = http.post("/account/keys", data={"csrf": token, "name": "my meter script"})
    assert made.status_code == 201
    assert "shown only this once" in made.text
    secret = made.text.split('<code id="new-key">')[1].split("<")[0]
    assert secret.startswith("plz_")
    me = f"{site.market.url}/api/v1/market/participants/me"
    bearer = {"authorization": f"Bearer {secret}"}
    answer = httpx.get(me, headers=bearer)
    assert answer.status_code == 200
    account = site.accounts.service.accounts.by_email(_email(request))
    assert account is not None
    assert account.participant_id in answer.text
    listed = http.get("/account").text
    assert "my meter script" in listed
    assert secret not in listed  # shown once only
    key_id = secret.split("_")[1]
    revoked = http.post(f"/account/keys/{key_id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert "revoked" in http.get("/account").text
    assert httpx.get(me, headers=bearer).status_code == 401


def test_a_bad_key_name_and_another_accounts_key(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    sign_up(http, _email(request))
    token = csrf_of(http.get("/account").text)
    bad = http.post("/account/keys", data={"csrf": token, "name": "   "})
    assert bad.status_code == 400
    assert "give the key a name" in problem_beside(bad.text, "name")
    assert "You have no API keys yet." in bad.text
    with httpx.Client(base_url=site.url) as other:
        sign_up(other, _email(request, "-other"))
        their_token = csrf_of(other.get("/account").text)
        made = other.post("/account/keys", data={"csrf": their_token, "name": "theirs"})
        key_id = made.text.split('<code id="new-key">plz_')[1].split("_")[0]
    answer = http.post(f"/account/keys/{key_id}/revoke", data={"csrf": token})
    assert answer.status_code == 404


def test_one_address_gets_a_few_attempts_then_429(
    market: RunningMarket, provider: LoopbackProvider, request: pytest.FixtureRequest
) -> None:
    policy = LoginPolicy(attempts_per_address=3, address_window_ms=MINUTE_MS)
    with (
        serve_account_site(market, provider, policy) as site,
        httpx.Client(base_url=site.url, timeout=10) as http,
    ):
        sign_up(http, _email(request))  # one attempt
        http.cookies.clear()
        for n in range(2):
            assert log_in(http, f"nobody{n}@example.org").status_code == 401
        refused = log_in(http, _email(request))  # the right password, but a fourth attempt
        assert refused.status_code == 429
        assert "Too many attempts from your address. Try again after" in refused.text
        site.clock.advance(ms=MINUTE_MS)
        assert log_in(http, _email(request)).status_code == 303


def test_a_login_ends_the_session_the_browser_had(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    sign_up(http, _email(request))
    earlier = http.cookies["plaza_session"]
    token = csrf_of(http.get("/account").text)
    form = {"csrf": token, "email": _email(request), "password": PASSWORD}
    assert http.post("/login", data=form).status_code == 303
    assert http.cookies["plaza_session"] != earlier
    assert site.accounts.service.session(earlier) is None
    assert site.accounts.service.session(http.cookies["plaza_session"]) is not None


def test_an_operator_makes_an_auditor_on_the_web_and_the_market_api_sees_one(
    site: AccountSite, http: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """Issue 16 item 8 from the web app: the operator names an account, which becomes an
    auditor at the market itself; a trader's try is a 403 that changes nothing."""
    auditor_email, operator_email = _email(request, "-auditor"), _email(request, "-operator")
    sign_up(http, auditor_email)
    token = csrf_of(http.get("/account").text)
    made = http.post("/account/keys", data={"csrf": token, "name": "audit script"})
    secret = made.text.split('<code id="new-key">')[1].split("<")[0]
    refused = http.post("/account/auditors", data={"csrf": token, "email": auditor_email})
    assert refused.status_code == 403
    assert "Only an operator may make auditors. Nothing was changed." in refused.text
    me = f"{site.market.url}/api/v1/market/participants/me"
    bearer = {"authorization": f"Bearer {secret}"}
    assert httpx.get(me, headers=bearer).json()["roles"] == ["consumer", "provider"]

    site.accounts.service.create(operator_email, PASSWORD, roles=(Role.OPERATOR,))
    with httpx.Client(base_url=site.url, timeout=10) as operator:
        log_in(operator, operator_email)
        page = operator.get("/account").text
        assert "Make an auditor" in page
        token = csrf_of(page)
        unknown = operator.post("/account/auditors", data={"csrf": token, "email": "x@y.org"})
        assert unknown.status_code == 400
        assert problem_beside(unknown.text, "email") == (
            "Email of their account: no account has this email: they sign up first"
        )
        forged = operator.post("/account/auditors", data={"email": auditor_email})
        assert forged.status_code == 403
        done = operator.post("/account/auditors", data={"csrf": token, "email": auditor_email})
        assert done.status_code == 200
        assert f"{auditor_email} is now an auditor." in done.text
    assert httpx.get(me, headers=bearer).json()["roles"] == ["auditor"]
    assert "Make an auditor" not in http.get("/account").text
