"""Authentication over HTTP: signed requests, their replays, stale clocks, API keys.

Replayed and stale signed requests are refused with 401 and their own codes
(``replayed_request``, ``stale_request``): the caller's identity is not
established for *this* request, and the fix is to sign a new one.
"""

from __future__ import annotations

import httpx
import pytest
from market_server import MarketWorld

from plaza.clients.node import AuthenticationError, ForbiddenError, InvalidRequestError
from plaza.crypto import Identity
from plaza.market.auth import Scope
from plaza.testing import FakeClock

PREFIX = "/api/v1/market"


def _signed_request(world: MarketWorld, path: str) -> httpx.Request:
    """A request signed by the provider, built but not sent (so it can be sent twice)."""
    return world.provider.prepare("GET", path)


def _send(world: MarketWorld, request: httpx.Request) -> httpx.Response:
    with httpx.Client(base_url=world.market.url) as raw:
        return raw.send(request)


def test_a_replayed_signed_request_is_refused(world: MarketWorld) -> None:
    request = _signed_request(world, "/participants/me")
    assert _send(world, request).status_code == 200
    replayed = _send(world, request)
    assert replayed.status_code == 401
    assert replayed.json()["error"]["code"] == "replayed_request"


def test_a_stale_signed_request_is_refused(world: MarketWorld) -> None:
    late = FakeClock(world.provider.info().time_ms - 10 * 60 * 1000)  # ten minutes behind
    identity = world.provider.identity
    with (
        world.market.client(identity, clock=late) as behind,
        pytest.raises(AuthenticationError) as refused,
    ):
        behind.me()
    assert (refused.value.status, refused.value.code) == (401, "stale_request")


def test_a_signature_covers_path_query_and_body(world: MarketWorld) -> None:
    request = world.provider.prepare("POST", "/offers", body={"kind": "energy"}, params={"a": "1"})
    for tamper in (
        lambda r: httpx.Request(
            "POST", str(r.url).replace("/offers", "/requests"), content=r.content, headers=r.headers
        ),
        lambda r: httpx.Request(
            "POST", str(r.url).replace("a=1", "a=2"), content=r.content, headers=r.headers
        ),
        lambda r: httpx.Request(
            "POST",
            r.url,
            content=b'{"kind":"gas"}',
            headers={k: v for k, v in r.headers.items() if k.lower() != "content-length"},
        ),
    ):
        answer = _send(world, tamper(request))
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "bad_request_signature"


def test_an_unknown_participant_and_mixed_credentials_are_refused(world: MarketWorld) -> None:
    with (
        world.market.client(Identity.generate()) as stranger,
        pytest.raises(AuthenticationError) as refused,
    ):
        stranger.me()
    assert refused.value.code == "unknown_participant"
    request = _signed_request(world, "/participants/me")
    request.headers["authorization"] = "Bearer plz_x"
    assert _send(world, request).status_code == 400
    answer = httpx.get(
        world.market.url + PREFIX + "/participants/me", headers={"authorization": "Basic abc"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "malformed_api_key")


def test_api_keys_act_for_their_owner_until_revoked(world: MarketWorld) -> None:
    issued = world.provider.create_api_key("trading bot", [Scope.MARKET_READ, Scope.MARKET_WRITE])
    assert "plz_" not in repr(issued)  # the secret stays out of logs and tracebacks
    listed = {key.id: key for key in world.provider.api_keys()}
    assert listed[issued.key.id].scopes == {Scope.MARKET_READ, Scope.MARKET_WRITE}
    with world.market.client(api_key=issued.secret) as bot:
        assert bot.me().id == world.provider.me().id
        order = bot.offer(world.terms(world.fresh_kind(), 1, 1)).order
        assert order.owner == world.provider.me().id
        with pytest.raises(ForbiddenError):
            bot.create_api_key("another", [Scope.MARKET_READ])  # keys cannot mint keys
        world.provider.revoke_api_key(issued.key.id)
        with pytest.raises(AuthenticationError) as refused:
            bot.me()
    assert refused.value.code == "revoked_api_key"


def test_a_key_cannot_hold_scopes_its_owner_lacks(world: MarketWorld) -> None:
    with pytest.raises(ForbiddenError) as refused:
        world.provider.create_api_key("auditing", [Scope.AUDIT_READ])
    assert refused.value.code == "scope_not_allowed"
    with pytest.raises(InvalidRequestError):
        world.provider.create_api_key("\x00bad", [Scope.MARKET_READ])


def test_the_secret_is_shown_once(world: MarketWorld) -> None:
    issued = world.provider.create_api_key("once", [Scope.MARKET_READ])
    with httpx.Client(base_url=world.market.url) as raw:
        listing = raw.send(world.provider.prepare("GET", "/api-keys")).text
    assert issued.key.id in listing
    assert issued.secret.split("_")[2] not in listing
