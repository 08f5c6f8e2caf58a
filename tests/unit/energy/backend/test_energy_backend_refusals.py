"""What the marketplace refuses, and that a refused letter changes nothing.

Letters are only accepted from the parties a step belongs to: a stranger cannot
touch a contract, a consumer cannot confirm a payment, an asset cannot play the bid
manager. Each refusal is the specific error of the energy family, and is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from test_energy_backend_kit import World, build_world, contract_transaction, contracted

from plaza.crypto import Identity
from plaza.energy.backend import MarketplaceSettings, seed_bid
from plaza.energy.envelope import ModuleKey, seal_letter
from plaza.energy.errors import (
    EnergyError,
    EnergyForbidden,
    InvalidMessage,
    NotAuthenticated,
    PeerFailed,
    UnknownRecord,
    WrongState,
)
from plaza.energy.model import AssetType, TransactionStatus, TransactionType
from plaza.testing.nodes import InProcessNode, in_process_node


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-backend-refusals") as running:
        yield running


@pytest.fixture
def world(node: InProcessNode) -> Iterator[World]:
    built = build_world(node, settings=MarketplaceSettings(exclude_after_claims=1))
    try:
        yield built
    finally:
        built.market.close()


def refused(world: World, error: type[EnergyError], step: Callable[[], object]) -> EnergyError:
    """Run a step that must be refused with ``error`` and leave every count as it was."""
    world.deliver()
    before = world.market.statistics()
    posts = len(world.link.posts)
    with pytest.raises(error) as caught:
        step()
    world.deliver()
    assert world.market.statistics() == before
    assert len(world.link.posts) == posts
    assert world.market.log_entries(limit=1)[0]["outcome"] == "refused"
    return caught.value


def test_a_stranger_cannot_touch_a_contract(world: World) -> None:
    provider, _, _ = contracted(world)
    stranger = world.asset("mallory", AssetType.PROVIDER)
    terms = contract_transaction(world, provider)
    provided = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    error = refused(
        world,
        EnergyForbidden,
        lambda: world.market.marketplace.settle(
            "/provision", stranger.letter({"transaction": provided.to_json()}, world.key)
        ),
    )
    assert "not a party" in error.message


def test_a_consumer_cannot_confirm_a_payment(world: World) -> None:
    _, consumer, _ = contracted(world)
    terms = contract_transaction(world, consumer)
    confirmed = terms.with_status(
        TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=world.clock.now_ms()
    )
    letter = consumer.step(terms.requesterTransactionId, confirmed, world.key)
    error = refused(
        world,
        EnergyForbidden,
        lambda: world.market.marketplace.settle("/payment_confirmation", letter),
    )
    assert error.message == "the consumer of a contract cannot send /payment_confirmation"


def test_a_provider_cannot_report_the_consumers_payment_or_skip_provision(world: World) -> None:
    provider, _, _ = contracted(world)
    terms = contract_transaction(world, provider)
    now = world.clock.now_ms()
    paid = terms.with_status(
        TransactionStatus.PAYMENT_PROCESSED, timestamp_ms=now, paymentMessageId="00"
    )
    refused(
        world,
        EnergyForbidden,
        lambda: world.market.marketplace.settle(
            "/payment_processing", provider.letter({"transaction": paid.to_json()}, world.key)
        ),
    )
    confirmed = terms.with_status(TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=now)
    refused(
        world,
        WrongState,
        lambda: world.market.marketplace.settle(
            "/payment_confirmation",
            provider.letter({"transaction": confirmed.to_json()}, world.key),
        ),
    )


def test_a_letter_must_match_the_contract_and_its_path(world: World) -> None:
    provider, _, _ = contracted(world)
    terms = contract_transaction(world, provider)
    now = world.clock.now_ms()
    cheaper = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=now, energyPrice=1
    )
    error = refused(
        world,
        InvalidMessage,
        lambda: world.market.marketplace.settle(
            "/provision", provider.letter({"transaction": cheaper.to_json()}, world.key)
        ),
    )
    assert "energyPrice" in error.message
    claimed = terms.with_status(TransactionStatus.CLAIM_ISSUED, timestamp_ms=now)
    refused(
        world,
        InvalidMessage,
        lambda: world.market.marketplace.settle(
            "/provision", provider.letter({"transaction": claimed.to_json()}, world.key)
        ),
    )
    unknown = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=now, contractId="c-nope"
    )
    refused(
        world,
        UnknownRecord,
        lambda: world.market.marketplace.settle(
            "/provision", provider.letter({"transaction": unknown.to_json()}, world.key)
        ),
    )


def test_only_the_bid_manager_may_match(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    offer, request = provider.new(1000, 10), consumer.new(400, 12)
    world.market.marketplace.offer(provider.intake(offer, world.key))
    world.market.marketplace.request(consumer.intake(request, world.key))
    world.deliver()
    body = {"offer": seed_bid(offer), "request": seed_bid(request)}
    forged = provider.letter(body, world.key, sender="bidmanager")
    refused(world, NotAuthenticated, lambda: world.market.marketplace.match(forged))
    own_name = provider.letter(body, world.key)
    refused(world, NotAuthenticated, lambda: world.market.marketplace.match(own_name))
    richer = {**body, "request": {**seed_bid(request), "energyAmount": 999}}
    differs = refused(
        world,
        InvalidMessage,
        lambda: world.market.marketplace.match(
            seal_letter(
                richer,
                sender="bidmanager",
                identity=world.bidmanager,
                recipient=world.key,
                audience="marketplace",
                now_ms=world.clock.now_ms(),
            )
        ),
    )
    assert differs.details == {"dead": [f"request:{request.id}"]}


def test_a_refused_match_names_every_dead_bid_in_its_details(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    market = world.market.marketplace
    offer, request = provider.new(1000, 10), consumer.new(400, 12)
    market.offer(provider.intake(offer, world.key))
    market.request(consumer.intake(request, world.key))
    cancelled = offer.with_status(TransactionStatus.CANCELLED, timestamp_ms=world.clock.now_ms())
    market.settle("/cancel", provider.step(offer.id, cancelled, world.key))
    unknown = consumer.new(300, 12)  # never sent to the marketplace

    one = refused(world, WrongState, lambda: market.match(world.match_letter(offer, request)))
    assert one.message == f"offer:{offer.id} is no longer open (cancelled)"
    assert one.details == {"dead": [f"offer:{offer.id}"]}

    both = refused(world, WrongState, lambda: market.match(world.match_letter(offer, unknown)))
    assert both.message == (
        f"offer:{offer.id} is no longer open (cancelled); no request {unknown.id!r}"
    )
    assert both.details == {"dead": [f"offer:{offer.id}", f"request:{unknown.id}"]}

    other = provider.new(1000, 10)
    market.offer(provider.intake(other, world.key))
    live = refused(world, UnknownRecord, lambda: market.match(world.match_letter(other, unknown)))
    assert live.details == {"dead": [f"request:{unknown.id}"]}, "the live offer is not named"

    malformed = seal_letter(
        {"offer": seed_bid(other), "request": {"energyAmount": 1}},
        sender="bidmanager",
        identity=world.bidmanager,
        recipient=world.key,
        audience="marketplace",
        now_ms=world.clock.now_ms(),
    )
    shapeless = refused(world, InvalidMessage, lambda: market.match(malformed))
    assert shapeless.details == {}, "a bid without its id cannot be named"


def test_registration_binds_the_asset_to_its_first_key(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    impostor = Identity.generate()
    registration = provider.registration(publicKey=ModuleKey.of(impostor).to_text())
    letter = seal_letter(
        registration,
        sender="solar",
        identity=impostor,
        recipient=world.key,
        audience="marketplace",
        now_ms=world.clock.now_ms(),
    )
    refused(world, NotAuthenticated, lambda: world.market.marketplace.register(letter))
    moved = provider.letter(provider.registration(url="http://solar.elsewhere"), world.key)
    world.market.marketplace.register(moved)  # the same key may update its registration
    assert world.market.statistics()["assets"] == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"walletAddress": "not-an-address"}, InvalidMessage),
        ({"type": "prosumer"}, InvalidMessage),
        ({"url": "ftp://solar"}, InvalidMessage),
        ({"assetId": "other"}, InvalidMessage),
        ({"assetId": "bidmanager"}, EnergyForbidden),
        ({"publicKey": "rsa:123"}, InvalidMessage),
    ],
)
def test_a_bad_registration_is_refused(
    world: World, changes: dict[str, str], error: type[EnergyError]
) -> None:
    asset = world.asset("solar", AssetType.PROVIDER, register=False)
    letter = asset.letter(asset.registration(**changes), world.key)
    refused(world, error, lambda: world.market.marketplace.register(letter))


def test_an_offer_must_be_the_senders_own_and_fit_its_registration(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    consumer = world.asset("ev", AssetType.CONSUMER)
    market = world.market.marketplace
    as_consumer = consumer.new(400, 12, side=TransactionType.OFFER)
    refused(world, EnergyForbidden, lambda: market.offer(consumer.intake(as_consumer, world.key)))
    elsewhere = provider.new(500, 10, walletAddress=consumer.wallet)
    refused(world, InvalidMessage, lambda: market.offer(provider.intake(elsewhere, world.key)))
    stranger = world.asset("wind", AssetType.PROVIDER, register=False)
    offer = stranger.new(500, 10)
    refused(world, NotAuthenticated, lambda: market.offer(stranger.intake(offer, world.key)))


def test_an_offer_is_checked_against_its_twin(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    market = world.market.marketplace
    offer = provider.new(500, 10)
    inflated = offer.with_status(offer.status, timestamp_ms=int(offer.timestamp), energyAmount=900)
    body = {"transaction": inflated.to_json(), "twin": provider.twins.reader_key(offer.id)}
    error = refused(world, InvalidMessage, lambda: market.offer(provider.letter(body, world.key)))
    assert "twin" in error.message
    unrecorded = {"transaction": offer.to_json(), "twin": provider.twins.reader_key("empty")}
    refused(world, PeerFailed, lambda: market.offer(provider.letter(unrecorded, world.key)))
    assert (
        refused(
            world,
            InvalidMessage,
            lambda: market.offer(
                provider.letter({"transaction": offer.to_json(), "twin": "!!"}, world.key)
            ),
        ).code
        == "invalid_message"
    )


def test_a_resent_offer_is_one_offer_and_a_changed_one_is_refused(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    market = world.market.marketplace
    offer = provider.new(500, 10)
    market.offer(provider.intake(offer, world.key))
    market.offer(provider.intake(offer, world.key))  # a retry: the same offer, again
    world.deliver()
    assert world.market.statistics()["offers"] == 1
    assert len(world.bids("/offer")) == 1
    changed = offer.with_status(offer.status, timestamp_ms=int(offer.timestamp) + 1)
    refused(world, WrongState, lambda: market.offer(provider.intake(changed, world.key)))


def test_a_replayed_letter_is_refused(world: World) -> None:
    provider = world.asset("solar", AssetType.PROVIDER)
    letter = provider.intake(provider.new(500, 10), world.key)
    world.market.marketplace.offer(letter)
    refused(world, NotAuthenticated, lambda: world.market.marketplace.offer(letter))


def test_a_consumer_is_excluded_after_its_claims(world: World) -> None:
    provider, consumer, _ = contracted(world)
    market = world.market.marketplace
    offer, request = provider.new(1000, 10), consumer.new(100, 20)  # booked before the claim
    market.offer(provider.intake(offer, world.key))
    market.request(consumer.intake(request, world.key))
    terms = contract_transaction(world, provider)
    now = world.clock.now_ms()
    provided = terms.with_status(TransactionStatus.PROVISION_FINISHED, timestamp_ms=now)
    market.settle("/provision", provider.step(terms.providerTransactionId, provided, world.key))
    for count in (1, 2, 3, 4):  # three reminders, each after the consumer's wait, then the claim
        world.clock.advance(ms=MarketplaceSettings().payment_wait_ms)
        status = TransactionStatus.REMINDER_ISSUED if count < 4 else TransactionStatus.CLAIM_ISSUED
        state = provided.with_status(status, timestamp_ms=now + count, reminders=min(count, 3))
        path = "/reminder" if count < 4 else "/claim"
        market.settle(path, provider.step(terms.providerTransactionId, state, world.key))
    world.deliver()
    assert len(world.letters_to(consumer, "/claim")) == 1
    assert world.market.statistics()["claims"] == 1
    error = refused(
        world,
        EnergyForbidden,
        lambda: market.request(consumer.intake(consumer.new(100, 20), world.key)),
    )
    assert "excluded" in error.message
    excluded = refused(
        world, EnergyForbidden, lambda: market.match(world.match_letter(offer, request))
    )
    assert excluded.message == "'ev' is excluded after 1 claims"
    assert excluded.details == {"dead": [f"request:{request.id}"]}, "the offer lives on"
