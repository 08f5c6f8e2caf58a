"""The wallet's backup kept with the account, over real HTTP: only for the logged-in person,
only with this browser's CSRF token, only in the shape of a locked seed, given back as kept.

Accounts on a real marketplace's SQLite database (``account_site``), the web app on uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from account_site import AccountSite, csrf_of, serve_account_site, sign_up
from market_server import RunningMarket, serve_market
from oidc_provider import LoopbackProvider, serve_provider
from sqlalchemy import select

from plaza.market.sql.account_tables import wallet_backups

LOCKED: dict[str, Any] = {
    "version": 1,
    "kdf": "argon2id13",
    "opslimit": 2,
    "memlimit": 67_108_864,
    "salt": "ab" * 16,
    "nonce": "cd" * 24,
    "box": "ef" * 48,
}
PATH = "/account/wallet-backup"


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


def test_only_a_logged_in_person_keeps_and_gets_a_backup(site: AccountSite) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        refused = http.get(PATH)
        assert refused.status_code == 401
        assert refused.json()["error"].startswith("log in to keep")
        sign_up(http, "backs-up@example.org")
        token = csrf_of(http.get("/account").text)
        assert http.get(PATH).status_code == 404
        forged = http.put(PATH, json={"locked": LOCKED})
        assert forged.status_code == 403
        assert "Nothing was changed" in forged.json()["error"]
        headers = {"x-csrf-token": token}
        kept = http.put(PATH, json={"locked": LOCKED}, headers=headers)
        assert kept.status_code == 200, kept.text
        assert kept.headers["cache-control"] == "no-store"
        again = http.get(PATH)
        assert again.json()["locked"] == LOCKED
        assert again.json()["savedAtMs"] == kept.json()["savedAtMs"]
    with httpx.Client(base_url=site.url, timeout=10) as other:
        sign_up(other, "someone-else@example.org")
        assert other.get(PATH).status_code == 404, "one account's backup is its own"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"locked": {"seed": "00"}}', "a locked seed has exactly the fields"),
        (b'{"locked": []}', "send the locked seed: a JSON object"),
        (b"[" * 3000, "send {"),
        (b"\xff\xfe", "send {"),
        (b'{"locked": ' + b'"x"' * 2000 + b"}", "a backup is at most 4096 bytes"),
    ],
)
def test_anything_but_a_locked_seed_is_refused_and_nothing_kept(
    site: AccountSite, body: bytes, says: str
) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        sign_up(http, f"refused-{len(body)}-{body[:4].hex()}@example.org")
        headers = {"x-csrf-token": csrf_of(http.get("/account").text)}
        refused = http.put(PATH, content=body, headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"].startswith(says)
        assert http.get(PATH).status_code == 404


def test_the_database_holds_the_locked_seed_as_sent(site: AccountSite) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as http:
        sign_up(http, "stored@example.org")
        headers = {"x-csrf-token": csrf_of(http.get("/account").text)}
        http.put(PATH, json={"locked": LOCKED}, headers=headers)
    account = site.accounts.service.accounts.by_email("stored@example.org")
    assert account is not None
    engine = site.accounts.service.accounts._engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        [row] = conn.execute(
            select(wallet_backups).where(wallet_backups.c.user_id == account.user_id)
        ).all()
    assert row.locked.startswith('{"box":"efef')
