"""NodeClient against canned HTTP answers: odd bodies, dead nodes, lying nodes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from plaza.clients.node import (
    ApiError,
    NodeClient,
    NodeUnreachableError,
    RateLimitedError,
    UnexpectedResponseError,
)
from plaza.testing import build_tangle

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> NodeClient:
    return NodeClient("http://node.invalid", transport=httpx.MockTransport(handler))


def test_error_body_becomes_api_error_with_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "pow_rate_limited", "message": "slow down"}}
        return httpx.Response(429, json=body, headers={"Retry-After": "3"})

    with _client(handler) as client, pytest.raises(RateLimitedError) as raised:
        client.tips()

    assert (raised.value.status, raised.value.code, raised.value.retry_after) == (
        429,
        "pow_rate_limited",
        3.0,
    )


def test_a_proxy_page_keeps_its_status() -> None:
    with (
        _client(lambda request: httpx.Response(502, text="<html>bad gateway</html>")) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.info()

    assert (raised.value.status, raised.value.code) == (502, "http_502")


def test_a_body_of_the_wrong_shape_is_unexpected() -> None:
    with (
        _client(lambda request: httpx.Response(200, json={"tips": "nope"})) as client,
        pytest.raises(UnexpectedResponseError),
    ):
        client.tips()


def test_bytes_of_another_message_are_refused() -> None:
    kit = build_tangle()
    message = kit.data(b"tag")

    with (
        _client(lambda request: httpx.Response(200, content=message.raw)) as client,
        pytest.raises(UnexpectedResponseError),
    ):
        client.get_message(b"\x01" * 32)


def test_a_dead_node_is_unreachable_and_unhealthy() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _client(handler) as client:
        assert client.health() is False
        with pytest.raises(NodeUnreachableError):
            client.latest_milestone()
