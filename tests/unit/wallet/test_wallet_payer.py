"""Paying from one chosen address, and exporting an address's keys: what a marketplace
consumer needs, whose participant id is one address of its wallet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wallet_support import InProcessNode, in_process_node

from plaza.crypto import Address
from plaza.testing.builders import key_from_number
from plaza.wallet import InsufficientBalance, UnknownAddress, Wallet

STRANGER = Address.from_public_key(key_from_number(99).public_key.raw)


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node() as running:
        yield running


@pytest.fixture
def wallet(node: InProcessNode, tmp_path: Path) -> Wallet:
    """Two addresses: #0 holds 100, #1 holds 1000 (the one a plain send would pick)."""
    opened = node.create_wallet(tmp_path / "w.json")
    node.fund(opened.receive_address().address, 100)
    node.fund(opened.receive_address(new=True).address, 1000)
    return opened


def test_a_payer_pays_alone_even_when_another_address_is_richer(wallet: Wallet) -> None:
    first = wallet.addresses()[0].address
    [transfer] = wallet.send(STRANGER, 60, payer=first).transfers
    assert transfer.payer == first
    [plain] = wallet.send(STRANGER, 60).transfers
    assert plain.payer != first


def test_a_payer_that_cannot_cover_it_is_not_helped_by_the_others(wallet: Wallet) -> None:
    with pytest.raises(InsufficientBalance):
        wallet.send(STRANGER, 500, payer=wallet.addresses()[0].address)


def test_a_payer_outside_the_account_is_refused(wallet: Wallet) -> None:
    with pytest.raises(UnknownAddress, match="no address"):
        wallet.send(STRANGER, 1, payer=STRANGER)


def test_exported_keys_are_those_of_the_address(wallet: Wallet) -> None:
    for entry in wallet.addresses():
        assert wallet.export_identity(index=entry.index).address == entry.address
    with pytest.raises(UnknownAddress):
        wallet.export_identity(index=2)
