"""Allowances: a person lets the user module fund their devices from a separate account with
a cap, and revokes it. Funding comes from the active allowance only, never above its cap;
a revoked allowance pays nothing (and the owner's wallet is not used instead); revoking
sends what is left back to the person.

The world (a real node, real SQLite, fake devices and a fake marketplace behind one link)
is the one of ``test_energy_owner_service``.
"""

from __future__ import annotations

import json

import pytest
import test_energy_owner_service as kit
from test_energy_owner_funding import consumer, fund, refused
from test_energy_owner_service import World, funded_owner

from plaza.crypto import Address, SigningKey
from plaza.energy.errors import InvalidMessage, UnknownRecord, WrongState
from plaza.ledger.model import Output, TransferPayload

world = kit.world  # the fixture, under its own name
world_on_disk = kit.world_on_disk


def person_pays(
    world: World, person: SigningKey, payee: str, amount: int, *, faucet: bool = True
) -> None:
    """The person's own wallet (a key the module never sees; the faucet funds it first)
    moves ``amount`` to ``payee``, as the browser does, and a milestone confirms it."""
    if faucet:
        world.ledger.ledger.request_faucet(person.public_key.address)
        world.milestone()
    payload = TransferPayload((Output(Address.parse(payee).raw, amount),), b"", b"")
    message = world.ledger.ledger.compose(person, payload)
    world.ledger.ledger.submit(message.raw)
    world.milestone()


def granted(world: World, owner_id: str, cap: int) -> tuple[SigningKey, dict[str, object]]:
    person = SigningKey.generate()
    allowance = world.owners.allowances.grant(owner_id, cap, str(person.public_key.address))
    (view,) = world.owners.allowances.allowances(owner_id)
    assert view["allowanceId"] == allowance.id
    person_pays(world, person, str(view["address"]), cap)
    return person, view


@pytest.mark.parametrize(
    ("cap", "address", "says"),
    [
        (0, None, "cap must be a positive integer"),
        ("100", None, "cap must be a positive integer"),
        (100, "plz1nothing", "address is not a valid address"),
        (100, 7, "address must be"),
    ],
)
def test_a_bad_grant_is_refused_and_stores_nothing(
    world: World, cap: object, address: object, says: str
) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    to = str(SigningKey.generate().public_key.address) if address is None else address
    with pytest.raises(InvalidMessage, match=says):
        world.owners.allowances.grant(owner_id, cap, to)
    assert world.owners.allowances.allowances(owner_id) == []


def test_devices_are_funded_from_the_allowance_only_and_never_above_its_cap(
    world: World,
) -> None:
    owner_id, device, fake = consumer(world)
    wallet_before = world.owners.owner_wallet(owner_id)["balance"]
    world.devices.unpaid[device.id] = [{"contractId": "c-1", "value": 50_000}]
    _, view = granted(world, owner_id, 8_000)
    with pytest.raises(WrongState, match="active already"):
        world.owners.allowances.grant(owner_id, 1, str(SigningKey.generate().public_key.address))
    assert fund(world, owner_id, device, fake, 5_000, "r1")["amount"] == 5_000
    assert refused(world, owner_id, device, fake, 3_001, "r2") == {
        "rule": "allowance_cap",
        "cap": "8000",
        "paid": "5000",
    }
    assert fund(world, owner_id, device, fake, 3_000, "r3")["amount"] == 3_000
    world.milestone()
    (after,) = world.owners.allowances.allowances(owner_id)
    assert (after["paid"], after["left"], after["balance"]) == (8_000, 0, 0)
    assert [t["amount"] for t in after["transfers"]] == [3_000, 5_000]
    assert world.balance(device.wallet_address) == 8_000
    assert world.owners.owner_wallet(owner_id)["balance"] == wallet_before  # untouched
    assert view["address"] != world.owners.owner_wallet(owner_id)["walletAddress"]


def test_a_revoked_allowance_pays_nothing_and_its_rest_goes_back(world: World) -> None:
    owner_id, device, fake = consumer(world)
    world.devices.unpaid[device.id] = [{"contractId": "c-1", "value": 50_000}]
    person, view = granted(world, owner_id, 10_000)
    fund(world, owner_id, device, fake, 4_000, "r1")
    world.milestone()
    own = world.balance(person.public_key.address)
    sent = world.owners.allowances.revoke(owner_id, str(view["allowanceId"]))
    assert sent is not None
    assert (sent.kind, sent.amount, sent.counterpart) == (
        "return",
        6_000,
        str(person.public_key.address),
    )
    world.milestone()
    assert world.balance(person.public_key.address) == own + 6_000
    assert world.balance(str(view["address"])) == 0
    assert refused(world, owner_id, device, fake, 1, "r2") == {"rule": "allowance_revoked"}
    assert world.balance(device.wallet_address) == 4_000  # nor from the owner's wallet
    (after,) = world.owners.allowances.allowances(owner_id)
    assert after["active"] is False
    assert world.owners.allowances.revoke(owner_id, str(view["allowanceId"])) is None
    with pytest.raises(UnknownRecord):
        world.owners.allowances.revoke(owner_id, "al-not-mine")


def test_coins_arriving_after_revoking_go_back_on_revoking_again(world: World) -> None:
    owner_id = funded_owner(world)
    person, view = granted(world, owner_id, 1_000)
    world.owners.allowances.revoke(owner_id, str(view["allowanceId"]))
    world.milestone()
    late = str(view["address"])  # coins to an allowance already revoked
    person_pays(world, person, late, 700, faucet=False)
    again = world.owners.allowances.revoke(owner_id, str(view["allowanceId"]))
    assert again is not None
    assert again.amount == 700
    # a new allowance may be granted once the old one is revoked: a new account
    fresh = world.owners.allowances.grant(owner_id, 5, str(person.public_key.address))
    views = world.owners.allowances.allowances(owner_id)
    assert [v["allowanceId"] for v in views] == [fresh.id, view["allowanceId"]]
    assert views[0]["address"] != views[1]["address"]


def test_the_allowance_key_is_the_modules_and_stays_out_of_its_files(
    world_on_disk: World,
) -> None:
    owner_id = world_on_disk.owners.create_owner("Ada").owner.id
    person = SigningKey.generate()
    allowance = world_on_disk.owners.allowances.grant(owner_id, 100, str(person.public_key.address))
    key = world_on_disk.owners.allowances.key(allowance)
    assert key.public_key != person.public_key
    shown = json.dumps(world_on_disk.owners.allowances.allowances(owner_id))
    assert key.seed_bytes.hex() not in shown
    assert world_on_disk.data_dir is not None
    for path in world_on_disk.data_dir.rglob("*.db*"):
        content = path.read_bytes()
        assert key.seed_bytes not in content
        assert key.seed_bytes.hex().encode() not in content
