"""The marketplace over HTTP, end to end: register, offer, request, contract, settle.

A real server on SQLite, driven by ``MarketClient`` exactly as an agent would.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from market_server import HOUR_MS, MarketWorld, RunningMarket, serve_market

from plaza.bootstrap import SystemClock
from plaza.clients.market import OrderTerms
from plaza.clients.node import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from plaza.crypto import Identity
from plaza.market import BidManager
from plaza.market.auth import Role, sign_registration
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.model import NewOrder, OrderStatus, Side
from plaza.market.settlement import Phase

PREFIX = "/api/v1/market"


def test_the_cast_is_registered_with_its_roles(world: MarketWorld) -> None:
    assert world.provider.me().roles == {Role.PROVIDER}
    assert world.auditor.me().roles == {Role.AUDITOR}  # admitted by the operator's signature
    everyone = {p.id for p in world.auditor.participants()}
    assert {world.provider.me().id, world.operator.me().id} <= everyone


def test_a_matched_offer_and_request_become_a_signed_contract(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    offered = world.provider.offer(world.terms(kind, 50, 9))
    assert (offered.order.status, offered.contracts) == (OrderStatus.ACTIVE, ())
    bought = world.consumer.request(world.terms(kind, 20, 10))
    [record] = bought.contracts
    record.signed.check_signature()
    assert record.signed.marketplace_key == world.provider.info().signing_key.raw
    match = record.signed.match
    assert (match.offer_id, match.request_id) == (offered.order.id, bought.order.id)
    assert (match.quantity, match.unit_price, match.total) == (20, 9, 180)  # the offer's price
    assert record.settlement is not None
    assert record.settlement.phase is Phase.CONTRACT_CREATED
    assert world.provider.order(offered.order.id).remaining == 30
    assert bought.order.status is OrderStatus.FILLED


def test_settlement_steps_by_the_parties(world: MarketWorld) -> None:
    record = world.contract()
    with pytest.raises(ConflictError) as refused:
        world.provider.request_payment(record.id)  # nothing delivered yet
    assert refused.value.code == "invalid_transition"
    delivered = world.consumer.report_delivery(record.id)
    assert delivered.settlement is not None
    assert delivered.settlement.phase is Phase.PROVISION_FINISHED
    requested = world.provider.request_payment(record.id)
    assert requested.settlement is not None
    assert requested.settlement.phase is Phase.PAYMENT_REQUESTED
    assert world.provider.report_delivery(record.id).settlement == requested.settlement  # no-op
    for party in (world.provider, world.consumer):
        assert record.id in {c.id for c in party.contracts()}
        party.contract(record.id).signed.check_signature()
    assert world.auditor.contract(record.id).settlement == requested.settlement
    audit = world.auditor.audit_contract(record.id)  # this world has no node: nothing to verify
    assert not audit.clean
    assert "this marketplace records no twins: no ledger node is configured" in audit.problems


def test_the_public_marketplace_page_needs_no_credentials(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    mine = world.provider.offer(world.terms(kind, 5, 7)).order
    assert [o.id for o in world.anonymous.orders(kind=kind)] == [mine.id]
    assert world.anonymous.orders(kind=kind, side=Side.REQUEST) == []
    assert world.anonymous.order(mine.id) == mine


def test_a_retried_submission_with_its_idempotency_key_makes_one_order(
    world: MarketWorld,
) -> None:
    terms = world.terms(world.fresh_kind(), 5, 7)
    first = world.provider.offer(terms, idempotency_key="retry-1")
    again = world.provider.offer(terms, idempotency_key="retry-1")
    assert (again.order.id, again.replayed) == (first.order.id, True)
    with pytest.raises(ConflictError) as refused:
        world.provider.offer(world.terms(terms.kind, 6, 7), idempotency_key="retry-1")
    assert refused.value.code == "idempotency_conflict"


def test_manual_matching_confirms_a_suggested_counterpart(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    offer = world.provider.offer(world.terms(kind, 10, 5)).order
    request = world.consumer.request(world.terms(kind, 20, 6)).order  # never split: rests
    [suggestion] = world.consumer.suggestions(request.id)
    assert suggestion.order.id == offer.id
    record = world.consumer.confirm(request.id, offer.id, quantity=10)
    record.signed.check_signature()
    assert (record.signed.match.quantity, record.signed.match.policy) == (10, "manual")


def test_a_sealed_body_is_opened_and_its_signature_checked(world: MarketWorld) -> None:
    with world.market.client(Identity.generate(), seal=True) as sealed:
        sealed.register("sealed device", roles=[Role.PROVIDER])  # unsigned, sealed
        order = sealed.offer(world.terms(world.fresh_kind(), 3, 4)).order  # signed, sealed
        assert order.owner == sealed.me().id


def test_bad_input_is_a_400_never_a_500(world: MarketWorld, market: RunningMarket) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        world.provider.offer(world.terms("Not A Kind!", 5, 7))
    assert refused.value.code == "invalid_order"
    cases = [
        ("POST", "/offers", b"{not json"),
        ("POST", "/offers", b'{"kind": "energy", "quantity": 5.0}'),
        ("POST", "/participants", b'{"signing_key": "zz"}'),
        ("GET", "/orders?lat=1", b""),
        ("GET", "/orders?limit=0", b""),
        ("POST", "/hub", b'{"callback": "ftp://x", "query": ""}'),
    ]
    for method, path, body in cases:
        answer = httpx.request(
            method,
            market.url + PREFIX + path,
            content=body,
            headers={"content-type": "application/json"},
        )
        assert answer.status_code in {400, 401}, (path, answer.text)
        assert "code" in answer.json()["error"]
    with pytest.raises(NotFoundError):
        world.provider.order("ord-999999")
    with pytest.raises(ForbiddenError):
        world.provider.participants()


def test_bodies_are_bounded(market: RunningMarket) -> None:
    answer = httpx.post(market.url + PREFIX + "/offers", content=b"x" * 70_000)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"


def test_privileged_roles_need_an_operator_sponsor(world: MarketWorld) -> None:
    candidate = Identity.generate()
    with world.market.client(candidate) as client:
        with pytest.raises(InvalidRequestError) as refused:
            client.register("self-made auditor", roles=[Role.AUDITOR])
        assert refused.value.code == "privileged_role_requested"
        signed = sign_registration(
            candidate.signing,
            candidate.encryption.public_key,
            display_name="auditor 2",
            roles=[Role.AUDITOR],
            audience=client.info().audience,
            clock=SystemClock(),
        )
    with pytest.raises(ForbiddenError):
        world.provider.sponsor(signed)  # a provider is no operator
    assert world.operator.sponsor(signed).roles == {Role.AUDITOR}
    with pytest.raises(ConflictError) as again:
        world.operator.sponsor(signed)
    assert again.value.code == "participant_exists"


def test_a_restarted_marketplace_keeps_its_keys_participants_and_contracts(
    tmp_path: Path,
) -> None:
    provider, consumer = Identity.generate(), Identity.generate()
    terms = OrderTerms("energy", 10, 3, SystemClock().now_ms(), SystemClock().now_ms() + HOUR_MS)
    with serve_market(tmp_path) as first, first.client(provider) as seller:
        with first.client(consumer) as buyer:
            seller.register("solar", roles=[Role.PROVIDER])
            buyer.register("ev", roles=[Role.CONSUMER])
            seller.offer(terms)
            [record] = buyer.request(terms).contracts
        key = seller.info().signing_key
    with serve_market(tmp_path) as second, second.client(consumer) as buyer:
        assert buyer.info().signing_key == key
        again = buyer.contract(record.id)
        assert again.signed == record.signed
        again.signed.check_signature()
        assert [c.id for c in buyer.contracts()] == [record.id]


def test_a_journal_file_of_an_older_version_moves_into_the_market_database(
    tmp_path: Path,
) -> None:
    """Before the journal joined the market's database it was ``book.sqlite3``: a marketplace
    started on such a data directory keeps every order of it, and reads the file only once."""
    old = SqliteBookStore(tmp_path / "book.sqlite3")
    now = SystemClock().now_ms()
    spec = NewOrder(Side.OFFER, "alice", "parking-lot", 5, 7, now, now + HOUR_MS)
    order = BidManager(old, clock=SystemClock()).submit_order(spec).order
    old.close()
    with serve_market(tmp_path) as market:
        found = httpx.get(f"{market.url}{PREFIX}/orders/{order.id}").json()
    assert (found["id"], found["quantity"]) == (order.id, 5)
    assert not (tmp_path / "book.sqlite3").exists()
    assert (tmp_path / "book.sqlite3.moved").exists()
    with serve_market(tmp_path) as market:  # a second start finds it in the database alone
        assert httpx.get(f"{market.url}{PREFIX}/orders/{order.id}").status_code == 200
