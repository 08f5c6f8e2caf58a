"""The marketplace API's parts that need no server: event pinning, the error table,
the marketplace's data directory and its refusing payments port."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from plaza.api.market.errors import MARKET_STATUS_BY_ERROR, market_code_for, market_status_for
from plaza.api.market.notifications import pinned_query, subscriber_of
from plaza.bootstrap import MarketDataDir, PaymentsByAgents
from plaza.clients.errors import MARKET_PAYMENT_CODES, PaymentRejectedError, api_error
from plaza.market.auth.errors import AuthError
from plaza.market.errors import MarketError
from plaza.market.settlement import (
    Contract,
    PaymentFailed,
    PaymentRejected,
    Rejection,
    SettlementError,
)
from plaza.notify import InvalidSubscription, Subscription

ME = "plz1me"

#: The only classes allowed to answer 500: they mean a bug or a broken deployment.
BUGS = {
    "MarketError",
    "CorruptJournal",
    "UnknownPolicy",
    "DuplicateKind",
    "AuthError",
    "SettlementError",
}


def _family(root: type[Exception]) -> set[type[Exception]]:
    found, pending = set(), [root]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_of_the_three_families_has_a_status_and_only_bugs_are_500() -> None:
    for cls in _family(MarketError) | _family(AuthError) | _family(SettlementError):
        status = next(MARKET_STATUS_BY_ERROR[c] for c in cls.__mro__ if c in MARKET_STATUS_BY_ERROR)
        assert (status == 500) == (cls.__name__ in BUGS), cls


def test_statuses_follow_the_nearest_listed_class() -> None:
    class NewRefusal(PaymentFailed):
        pass

    assert market_status_for(NewRefusal("c", "r")) == 502
    assert market_status_for(ValueError("x")) == 500


def test_a_rejected_payment_is_a_422_coded_by_its_check_and_the_client_knows_each_code() -> None:
    for rejection in Rejection:
        error = PaymentRejected("mat-1", rejection, "because")
        assert (market_status_for(error), market_code_for(error)) == (422, rejection.value)
        assert isinstance(api_error(422, rejection.value, "m", None), PaymentRejectedError)
    assert {rejection.value for rejection in Rejection} == MARKET_PAYMENT_CODES
    unreachable = PaymentFailed("mat-1", "cannot reach the node")  # retry later: not the caller's
    assert (market_status_for(unreachable), market_code_for(unreachable)) == (502, "payment_failed")


def test_a_subscription_is_pinned_to_its_subscriber() -> None:
    query = pinned_query("eventType=ContractCreateEvent&event.contract.state=Fulfilled", ME)
    assert ("event.recipient", ME) in query.fields
    assert query.event_types == {"ContractCreateEvent"}
    assert pinned_query(f"event.recipient={ME}", ME).fields == (("event.recipient", ME),)
    with pytest.raises(InvalidSubscription):
        pinned_query("event.recipient=plz1someoneelse", ME)
    subscription = Subscription("s", "https://x", query, "0" * 64)
    assert subscriber_of(subscription) == ME


def test_the_data_directory_makes_its_secrets_once_and_private(tmp_path: Path) -> None:
    data = MarketDataDir(tmp_path / "market")
    identity, pepper = data.identity(), data.pepper()
    assert MarketDataDir(tmp_path / "market").identity().public_key == identity.public_key
    assert repr(pepper) == "Pepper(<hidden>)"
    for name in ("marketplace.key", "api-key.pepper"):
        assert stat.S_IMODE((tmp_path / "market" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(data.hub.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "market").stat().st_mode) == 0o700


def test_the_marketplace_pays_nothing_and_says_why() -> None:
    payments = PaymentsByAgents()
    contract = Contract("mat-1", "plz1a", "plz1b", 2, 3, 0)
    with pytest.raises(PaymentFailed, match="made by the consumer's agent"):
        payments.prepare(contract)
    with pytest.raises(PaymentFailed, match="made by the consumer's agent"):
        payments.fund("plz1b", 6, reference="mat-1")
