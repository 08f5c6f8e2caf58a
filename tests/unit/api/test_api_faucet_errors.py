"""Faucet errors in the one error table, and how the client sorts them."""

from __future__ import annotations

from plaza.api import status_for
from plaza.api.errors import code_for, retry_after_s
from plaza.clients.errors import NodeBusyError, NotFoundError, RateLimitedError, api_error
from plaza.node import FaucetEmpty, FaucetRateLimited, FaucetUnavailable


def test_faucet_errors_have_statuses_codes_and_retry_after() -> None:
    limited = FaucetRateLimited(14.2, "address")
    empty = FaucetEmpty(5, 100)

    assert (status_for(limited), code_for(limited), retry_after_s(limited)) == (
        429,
        "faucet_rate_limited",
        15,
    )
    assert (status_for(FaucetUnavailable()), code_for(FaucetUnavailable())) == (
        404,
        "faucet_unavailable",
    )
    assert (status_for(empty), code_for(empty)) == (503, "faucet_empty")
    assert retry_after_s(empty) is not None


def test_the_client_sorts_faucet_answers() -> None:
    assert type(api_error(429, "faucet_rate_limited", "m", 3.0)) is RateLimitedError
    assert type(api_error(404, "faucet_unavailable", "m", None)) is NotFoundError
    assert type(api_error(503, "faucet_empty", "m", 5.0)) is NodeBusyError
