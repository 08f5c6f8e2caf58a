"""The ledger as a paying agent needs it: compose a transfer apart from submitting it.

A wallet composes and submits in one call; settlement must keep the exact signed
bytes *before* they reach a node (so a retry after a crash resubmits the same
transfer and never signs a second one). :class:`TransferLedger` therefore splits
the two, and adds the ledger's own time (the latest milestone's), which is what
decides whether an old transfer can still apply. Balances, histories and
metadata come from the wallet gateways, which already answer them.

Adapters: :class:`LocalTransferLedger` over an in-process
:class:`~plaza.node.NodeRuntime`, :class:`RemoteTransferLedger` over a
:class:`~plaza.client.NodeClient`. Both raise the wallet's
:class:`~plaza.wallet.GatewayError` family.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, TypeVar

from plaza.client import (
    NodeClient,
    NotFoundError,
)
from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.errors import HeldLimitReached, LedgerError, NotFound
from plaza.ledger.model import MAX_PARENTS, Message, MessageMetadata, TransferPayload
from plaza.ledger.ports import Clock
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork
from plaza.node import NodeRuntime
from plaza.storage import StorageError
from plaza.wallet import (
    ConfirmedBalance,
    Movement,
    NodeBusy,
    RequestRefused,
)
from plaza.wallet import LocalGateway as WalletLocalGateway
from plaza.wallet import RemoteGateway as WalletRemoteGateway
from plaza.wallet.gateways import client_errors

__all__ = ["LocalTransferLedger", "RemoteTransferLedger", "TransferLedger", "choose_parents"]

T = TypeVar("T")


class TransferLedger(Protocol):
    """Transfers composed here, submitted there, and what the ledger says of them."""

    def balance(self, address: Address) -> ConfirmedBalance:
        """The confirmed balance of ``address`` and the milestone index it was read at."""
        ...

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        """The latest ``limit`` transfers from or to ``address``, newest first."""
        ...

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        """A message's confirmation, or None if the node does not have it."""
        ...

    def message(self, message_id: bytes) -> Message | None:
        """A stored message, decoded (its ``raw`` bytes included), or None if the node
        does not have it: how a payment a consumer reports is read back."""
        ...

    def compose(
        self, signer: SigningKey, payload: TransferPayload, *, first_parents: Sequence[bytes] = ()
    ) -> Message:
        """A signed transfer with its proof of work, NOT submitted.

        Its parents are ``first_parents`` (messages it must come after in the
        ledger's order, such as the funding it spends) then the node's tips; its
        issue time is now, or its latest parent's time if that is later.
        """
        ...

    def submit(self, raw: bytes) -> None:
        """Submit canonical message bytes; a message the node already has is no error."""
        ...

    def ledger_time_ms(self) -> int:
        """The latest milestone's timestamp: the time transfer lifetimes are judged by."""
        ...


def choose_parents(first: Sequence[bytes], tips: Sequence[bytes]) -> list[bytes]:
    """``first`` then ``tips``, each id once, at most :data:`MAX_PARENTS`."""
    return list(dict.fromkeys([*first, *tips]))[:MAX_PARENTS]


@contextmanager
def _runtime_errors() -> Iterator[None]:
    try:
        yield
    except (HeldLimitReached, StorageError) as error:
        raise NodeBusy(str(error), None) from error
    except LedgerError as error:
        raise RequestRefused(error.code, str(error)) from error


class LocalTransferLedger:
    """A node in this process."""

    def __init__(self, runtime: NodeRuntime) -> None:
        self._runtime = runtime
        self._wallet = WalletLocalGateway(runtime)

    def balance(self, address: Address) -> ConfirmedBalance:
        return self._wallet.balance(address)

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        return self._wallet.history(address, limit=limit)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        return self._wallet.metadata(message_id)

    def message(self, message_id: bytes) -> Message | None:
        with _runtime_errors():
            try:
                return self._runtime.tangle.get_message(message_id)
            except NotFound:
                return None

    def compose(
        self, signer: SigningKey, payload: TransferPayload, *, first_parents: Sequence[bytes] = ()
    ) -> Message:
        runtime, tangle = self._runtime, self._runtime.tangle
        with _runtime_errors():
            parents = choose_parents(first_parents, tangle.select_parents())
            times = [self._issued_at(parent) for parent in parents]
            return compose(
                signer,
                network_id=tangle.genesis.network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(runtime.clock.now_ms(), *times),
                work=runtime.work,
            )

    def _issued_at(self, message_id: bytes) -> int:
        tangle = self._runtime.tangle
        if message_id == tangle.genesis.id:
            return tangle.genesis.timestamp_ms
        try:
            return tangle.get_message(message_id).issued_at_ms
        except NotFound:
            return 0

    def submit(self, raw: bytes) -> None:
        with _runtime_errors():
            self._runtime.submit(raw)

    def ledger_time_ms(self) -> int:
        return self._runtime.tangle.latest_milestone.timestamp_ms


class RemoteTransferLedger:
    """A node over HTTP; the proof of work is done here, at the node's difficulty."""

    def __init__(self, client: NodeClient, *, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._wallet = WalletRemoteGateway(client, clock=clock)
        self._network: tuple[int, ProofOfWork] | None = None

    def balance(self, address: Address) -> ConfirmedBalance:
        return self._wallet.balance(address)

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        return self._wallet.history(address, limit=limit)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        return self._wallet.metadata(message_id)

    def message(self, message_id: bytes) -> Message | None:
        with client_errors(self._client.base_url):
            try:
                return self._client.get_message(message_id)
            except NotFoundError:
                return None

    def compose(
        self, signer: SigningKey, payload: TransferPayload, *, first_parents: Sequence[bytes] = ()
    ) -> Message:
        client = self._client
        with client_errors(client.base_url):
            network_id, work = self._parameters()
            parents = choose_parents(first_parents, client.tips())
            times = [self._issued_at(parent) for parent in parents]
            return compose(
                signer,
                network_id=network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(self._clock.now_ms(), *times),
                work=work,
            )

    def _parameters(self) -> tuple[int, ProofOfWork]:
        """Network id and proof of work, asked once: a running node never changes them."""
        if self._network is None:
            info = self._client.info()
            difficulty = info.pow_difficulty
            self._network = (info.network_id, Blake2bWork(difficulty) if difficulty else NoWork())
        return self._network

    def _issued_at(self, message_id: bytes) -> int:
        try:
            return self._client.get_message(message_id).issued_at_ms
        except NotFoundError:  # the genesis is no stored message
            return 0

    def submit(self, raw: bytes) -> None:
        self._call(lambda: self._client.submit(raw))

    def ledger_time_ms(self) -> int:
        return self._call(lambda: self._client.latest_milestone().timestamp_ms)

    def _call(self, action: Callable[[], T]) -> T:
        with client_errors(self._client.base_url):
            return action()
