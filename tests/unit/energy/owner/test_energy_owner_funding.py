"""The user module's owner rules: ``/fund`` only for a consumer, up to what its unpaid
contracts still need, under the owner's funding cap; what it tells the marketplace of its
devices (``/asset_status``) and answers it (``/onboarded``).

The world (a real node, real SQLite, fake devices and a fake marketplace behind one link)
is the one of ``test_energy_owner_service``.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_energy_owner_service as kit
from test_energy_owner_service import (
    MARKETPLACE_IDENTITY,
    FakeDevice,
    World,
    form,
    fund_body,
    funded_owner,
)

from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, seal_letter, sign_document, verify_document
from plaza.energy.errors import FundingRefused, NotAuthenticated, PeerFailed, WrongState
from plaza.energy.owner.records import DEFAULT_FUNDING_CAP, Device
from plaza.energy.owner.transfers import TransferState
from plaza.jobs import Worker

world = kit.world  # the fixture, under its own name


def consumer(world: World, **changes: Any) -> tuple[str, Device, FakeDevice]:
    owner_id = funded_owner(world)
    device = world.owners.add_device(owner_id, form(type="consumer", **changes))
    return owner_id, device, world.devices.at("http://device-1")


def fund(
    world: World, owner_id: str, device: Device, fake: FakeDevice, amount: int, reference: str
) -> dict[str, Any]:
    body = fund_body(device.id, fake, amount=amount, reference=f"{device.id}:{reference}")
    return world.owners.receive_fund(world.letter(device.id, body, audience=owner_id, signer=fake))


def refused(
    world: World, owner_id: str, device: Device, fake: FakeDevice, amount: int, reference: str
) -> dict[str, Any]:
    with pytest.raises(FundingRefused) as caught:
        fund(world, owner_id, device, fake, amount, reference)
    assert caught.value.code == "funding_refused"
    return dict(caught.value.details)


def fundings(world: World, owner_id: str) -> list[int]:
    transfers = world.owners.owner_wallet(owner_id)["transfers"]
    return [t["amount"] for t in transfers if t["kind"] == "fund"]


def test_a_provider_is_never_funded_by_letter_and_the_marketplace_is_not_asked(
    world: World,
) -> None:
    owner_id = funded_owner(world)
    device = world.owners.add_device(owner_id, form())
    fake = world.devices.at("http://device-1")
    for i in range(3):
        body = fund_body(device.id, fake, type="provider", amount=200_000, reference=f"p:{i}")
        letter = world.letter(device.id, body, audience=owner_id, signer=fake)
        with pytest.raises(FundingRefused) as caught:
            world.owners.receive_fund(letter)
        assert caught.value.details == {"rule": "consumer_only"}
    assert fundings(world, owner_id) == []
    assert world.devices.asked == []


def test_funding_stops_at_what_the_unpaid_contracts_still_need(world: World) -> None:
    owner_id, device, fake = consumer(world)
    world.devices.unpaid[device.id] = [
        {"contractId": "c-1", "value": 6_000},
        {"contractId": "c-2", "value": 4_000},
    ]
    assert refused(world, owner_id, device, fake, 10_001, "r1") == {
        "rule": "unpaid_contracts",
        "room": "10000",
    }
    assert fund(world, owner_id, device, fake, 6_000, "r2")["amount"] == 6_000
    # the funding on its way counts as held: 4000 more at most
    assert refused(world, owner_id, device, fake, 4_001, "r3")["room"] == "4000"
    world.milestone()  # confirmed: now it is the device's balance that counts
    assert refused(world, owner_id, device, fake, 4_001, "r4")["room"] == "4000"
    assert fund(world, owner_id, device, fake, 4_000, "r5")["amount"] == 4_000
    assert refused(world, owner_id, device, fake, 1, "r6")["room"] == "0"
    # a contract paid leaves the list; what the device holds still covers the rest
    world.devices.unpaid[device.id] = [{"contractId": "c-2", "value": 4_000}]
    world.milestone()
    assert refused(world, owner_id, device, fake, 1, "r7")["room"] == "0"
    assert fundings(world, owner_id) == [4_000, 6_000]
    assert world.devices.asked.count(device.id) == 7  # one question per new reference


def test_a_repeated_reference_is_answered_without_asking_again(world: World) -> None:
    owner_id, device, fake = consumer(world)
    first = fund(world, owner_id, device, fake, 3_000, "r1")
    world.devices.unpaid[device.id] = []  # paid meanwhile: a new need would be refused
    assert fund(world, owner_id, device, fake, 3_000, "r1") == first
    assert world.devices.asked == [device.id]


def test_a_funding_the_ledger_dropped_frees_its_room_and_its_cap(world: World) -> None:
    owner_id, device, fake = consumer(world, fundingCap=10_000)
    first = fund(world, owner_id, device, fake, 10_000, "r1")
    assert refused(world, owner_id, device, fake, 1, "r2")["rule"] == "funding_cap"
    # the ledger decided it moved nothing (the cycle notes it so): neither rule counts it
    world.owners.store.settle_transfer(first["messageId"], TransferState.EXPIRED)
    world.devices.unpaid[device.id] = [{"contractId": "c-1", "value": 20_000}]
    assert fund(world, owner_id, device, fake, 10_000, "r3")["amount"] == 10_000


def test_the_owner_sets_the_cap_and_the_device_is_not_told(world: World) -> None:
    owner_id, device, fake = consumer(world)
    assert device.settings.funding_cap == DEFAULT_FUNDING_CAP
    assert "fundingCap" not in fake.inits[0]
    world.devices.unpaid[device.id] = [{"contractId": "c-1", "value": 50_000}]
    updated = world.owners.update_device(owner_id, device.id, {"fundingCap": 5_000})
    assert updated.to_json()["fundingCap"] == 5_000
    assert len(fake.inits) == 1  # only the owner's rule changed: no /init
    assert refused(world, owner_id, device, fake, 5_001, "r1") == {
        "rule": "funding_cap",
        "cap": "5000",
        "funded": "0",
    }
    fund(world, owner_id, device, fake, 3_000, "r2")
    assert refused(world, owner_id, device, fake, 2_001, "r3")["funded"] == "3000"
    fund(world, owner_id, device, fake, 2_000, "r4")
    world.clock.advance(ms=24 * 3_600_000 + 1)  # a day later the cap has room again
    world.milestone()
    fund(world, owner_id, device, fake, 5_000, "r5")
    world.owners.update_device(owner_id, device.id, {"fundingCap": 0})
    assert refused(world, owner_id, device, fake, 1, "r6")["rule"] == "funding_cap"
    world.owners.fund_device(owner_id, device.id, 1_000)  # by hand: the owner's own act
    assert fundings(world, owner_id) == [1_000, 5_000, 2_000, 3_000]
    for bad in (-1, "5", 2**70, True):
        with pytest.raises(Exception, match="fundingCap"):
            world.owners.update_device(owner_id, device.id, {"fundingCap": bad})


def test_a_marketplace_answer_that_is_not_its_own_moves_nothing(world: World) -> None:
    owner_id, device, fake = consumer(world)
    real = world.devices._marketplace

    def forged(path: str, document: bytes) -> dict[str, Any]:
        reply = real(path, document)
        message = verify_document(reply["answer"], MARKETPLACE_IDENTITY.public_key)
        return {"success": True, "answer": sign_document(message, Identity.generate())}

    world.devices._marketplace = forged  # type: ignore[method-assign]
    with pytest.raises(PeerFailed, match="no valid answer"):
        fund(world, owner_id, device, fake, 1_000, "r1")
    assert fundings(world, owner_id) == []


def test_an_owner_without_coins_is_still_refused_by_its_wallet(world: World) -> None:
    owner_id = world.owners.create_owner("Poor").owner.id
    device = world.owners.add_device(owner_id, form(type="consumer"))
    fake = world.devices.at("http://device-1")
    with pytest.raises(WrongState, match="available"):
        fund(world, owner_id, device, fake, 1_000, "r1")


# -- what the marketplace is told and answered ------------------------------------------


def deliver(world: World) -> None:
    Worker(world.owners.queue, world.owners.handlers()).run_until_idle()


def test_pause_continue_update_and_delete_are_told_to_the_marketplace(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form())
    world.owners.pause_device(owner_id, device.id)
    world.owners.continue_device(owner_id, device.id)
    world.owners.update_device(owner_id, device.id, {"energyPrice": 2100})
    world.owners.delete_device(owner_id, device.id)
    deliver(world)
    told = world.devices.told
    assert [t["status"] for t in told] == ["paused", "running", "running", "deleted"]
    assert {(t["assetId"], t["assetOwner"]) for t in told} == {(device.id, owner_id)}
    times = [t["updatedAt"] for t in told]
    assert times == sorted(set(times))  # each later than the one before, same clock or not


def ask_onboarded(
    world: World,
    asset_id: str,
    *,
    signer: Identity = MARKETPLACE_IDENTITY,
    sender: str = "marketplace",
) -> dict[str, Any]:
    document = seal_letter(
        {"assetId": asset_id, "ask": "ab" * 16},
        sender=sender,
        identity=signer,
        recipient=world.owners.key,
        audience="usermodule",
        now_ms=world.clock.now_ms(),
    )
    reply = world.owners.receive_onboarded(document)
    message = verify_document(reply["answer"], world.owners.key.signing)
    assert message["ask"] == "ab" * 16
    return message


def test_the_marketplace_is_answered_what_was_onboarded(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    during: list[dict[str, Any]] = []
    fake = world.devices.at("http://device-1")
    fake.on_init = lambda: during.append(ask_onboarded(world, fake.inits[-1]["assetId"]))
    device = world.owners.add_device(owner_id, form(type="consumer"))
    assert [d["standing"] for d in during] == ["onboarding"]
    fake.on_init = None
    facts = ask_onboarded(world, device.id)
    assert facts == {
        "assetId": device.id,
        "ask": "ab" * 16,
        "standing": "running",
        "assetOwner": owner_id,
        "publicKey": ModuleKey.of(fake.identity).to_text(),
        "walletAddress": str(fake.address),
        "type": "consumer",
        "updatedAt": device.updated_ms,
    }
    world.owners.pause_device(owner_id, device.id)
    assert ask_onboarded(world, device.id)["standing"] == "paused"
    assert ask_onboarded(world, "a-unknown")["standing"] == "unknown"
    world.owners.delete_device(owner_id, device.id)
    assert ask_onboarded(world, device.id)["standing"] == "unknown"
    with pytest.raises(NotAuthenticated):
        ask_onboarded(world, device.id, signer=Identity.generate())
