"""The two :class:`~plaza.wallet.ports.LedgerGateway` adapters.

* :class:`RemoteGateway` talks to a node over HTTP with a
  :class:`~plaza.client.NodeClient`; the proof of work is done here, at the
  node's difficulty, so the node spends nothing on it.
* :class:`LocalGateway` drives an in-process :class:`~plaza.node.NodeRuntime`
  directly: for device agents that embed a node, and for tests. It also knows
  its parents' issue times, so its transfers are never issued before them.

Each translates its own failures (client errors, ledger and node errors) into
the wallet's :class:`~plaza.wallet.errors.GatewayError` family, so nothing
above this module knows which one it runs on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from plaza.client import (
    ApiError,
    ConfirmationTimeoutError,
    NodeBusyError,
    NodeClient,
    NodeUnreachableError,
    NotFoundError,
    RateLimitedError,
    UnexpectedResponseError,
)
from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.errors import HeldLimitReached, NotFound
from plaza.ledger.errors import LedgerError as LedgerRuleError
from plaza.ledger.model import ConfirmationState, Conflict, MessageMetadata, TransferPayload
from plaza.ledger.ports import Clock, HistoryEntry
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork
from plaza.node import FaucetEmpty, FaucetRateLimited, NodeError, NodeRuntime
from plaza.node import FaucetUnavailable as NodeFaucetUnavailable
from plaza.storage import StorageError
from plaza.wallet.errors import (
    ConfirmationTimeout,
    FaucetUnavailable,
    NodeBusy,
    NodeUnreachable,
    RateLimited,
    RequestRefused,
)
from plaza.wallet.model import Attached, ConfirmedBalance, FaucetGrant, Movement

__all__ = ["LocalGateway", "RemoteGateway", "client_errors"]


@contextmanager
def client_errors(where: str) -> Iterator[None]:
    """Translate what :class:`NodeClient` raises into the wallet's gateway errors."""
    try:
        yield
    except NodeUnreachableError as error:
        raise NodeUnreachable(where, "connection failed or timed out") from error
    except RateLimitedError as error:
        raise RateLimited(error.message, error.retry_after) from error
    except NodeBusyError as error:
        raise NodeBusy(error.message, error.retry_after) from error
    except ApiError as error:
        if error.code == "faucet_unavailable":
            raise FaucetUnavailable() from error
        raise RequestRefused(error.code, error.message) from error
    except UnexpectedResponseError as error:
        raise RequestRefused("unexpected_response", str(error)) from error


class RemoteGateway:
    """A node reached over HTTP. The caller owns (and closes) the client.

    ``clock`` gives issue times; it should agree with the node's clock, which
    refuses messages more than 30 s ahead of it.
    """

    def __init__(self, client: NodeClient, *, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._where = client.base_url
        self._network: tuple[int, ProofOfWork] | None = None

    def submit_transfer(
        self, signer: SigningKey, payload: TransferPayload, *, not_before_ms: int
    ) -> Attached:
        with client_errors(self._where):
            network_id, work = self._network_parameters()
            parents = self._client.tips()
            message = compose(
                signer,
                network_id=network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(self._clock.now_ms(), not_before_ms),
                work=work,
            )
            self._client.submit(message)
        return Attached(message.id, message.issued_at_ms)

    def _network_parameters(self) -> tuple[int, ProofOfWork]:
        """Network id and proof of work, asked once: a running node never changes them."""
        if self._network is None:
            info = self._client.info()
            difficulty = info.pow_difficulty
            self._network = (info.network_id, Blake2bWork(difficulty) if difficulty else NoWork())
        return self._network

    def balance(self, address: Address) -> ConfirmedBalance:
        with client_errors(self._where):
            reply = self._client.balance(address)
        return ConfirmedBalance(address, reply.balance, reply.milestone_index)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        with client_errors(self._where):
            try:
                return self._client.metadata(message_id)
            except NotFoundError:
                return None

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        with client_errors(self._where):
            items = self._client.history(address, limit=limit)
        return [
            Movement(
                item.message_id,
                address,
                item.delta,
                item.issued_at_ms,
                item.milestone_index,
                item.state,
                item.conflict,
            )
            for item in items
        ]

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        try:
            with client_errors(self._where):
                return self._client.wait_for_confirmation(message_id, timeout=timeout_s)
        except ConfirmationTimeoutError:
            raise ConfirmationTimeout(message_id, timeout_s) from None

    def request_faucet(self, address: Address) -> FaucetGrant:
        with client_errors(self._where):
            grant = self._client.faucet(address)
        return FaucetGrant(grant.message_id, grant.address, grant.amount)


@contextmanager
def _runtime_errors() -> Iterator[None]:
    """Translate ledger, node and storage errors into the wallet's gateway errors."""
    try:
        yield
    except (HeldLimitReached, StorageError) as error:
        raise NodeBusy(str(error), None) from error
    except NodeFaucetUnavailable as error:
        raise FaucetUnavailable() from error
    except FaucetRateLimited as error:
        raise RateLimited(str(error), error.retry_after_s) from error
    except (LedgerRuleError, FaucetEmpty, NodeError) as error:
        raise RequestRefused(error.code, str(error)) from error


def _entry_state(runtime: NodeRuntime, entry: HistoryEntry) -> ConfirmationState:
    """A history row's state: from its confirmation, or asked of the tangle while pending."""
    if entry.milestone_index is not None:
        if entry.conflict is Conflict.NONE:
            return ConfirmationState.CONFIRMED
        return ConfirmationState.CONFLICTING
    try:
        return runtime.tangle.metadata(entry.message_id).state
    except NotFound:  # only held messages are ever deleted
        return ConfirmationState.HELD


class LocalGateway:
    """A node running in this process.

    ``pause`` is how waiting passes time (``time.sleep`` by default). Waiting
    counts the pauses it asked for instead of reading a clock, so a test can
    pass a function that issues a milestone and wait deterministically.
    """

    def __init__(
        self,
        runtime: NodeRuntime,
        *,
        pause: Callable[[float], None] = time.sleep,
        poll_interval_s: float = 0.05,
    ) -> None:
        self._runtime = runtime
        self._pause = pause
        self._poll_interval_s = poll_interval_s

    def submit_transfer(
        self, signer: SigningKey, payload: TransferPayload, *, not_before_ms: int
    ) -> Attached:
        runtime = self._runtime
        tangle = runtime.tangle
        with _runtime_errors():
            parents = tangle.select_parents()
            parent_times = (
                tangle.get_message(p).issued_at_ms
                for p in parents
                if p != tangle.genesis.id  # the genesis is no stored message
            )
            message = compose(
                signer,
                network_id=tangle.genesis.network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(runtime.clock.now_ms(), not_before_ms, *parent_times),
                work=runtime.work,
            )
            runtime.submit(message.raw)
        return Attached(message.id, message.issued_at_ms)

    def balance(self, address: Address) -> ConfirmedBalance:
        with _runtime_errors():
            amount, index = self._runtime.tangle.balance_at(address.raw)
        return ConfirmedBalance(address, amount, index)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        with _runtime_errors():
            try:
                return self._runtime.tangle.metadata(message_id)
            except NotFound:
                return None

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        with _runtime_errors():
            entries = self._runtime.tangle.history(address.raw, limit=limit)
            states = [_entry_state(self._runtime, entry) for entry in entries]
        return [
            Movement(
                entry.message_id,
                address,
                entry.delta,
                entry.issued_at_ms,
                entry.milestone_index,
                state,
                entry.conflict,
            )
            for entry, state in zip(entries, states, strict=True)
        ]

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        waited = 0.0
        while True:
            metadata = self.metadata(message_id)
            if metadata is not None and metadata.milestone_index is not None:
                return metadata
            if waited >= timeout_s:
                raise ConfirmationTimeout(message_id, timeout_s)
            self._pause(self._poll_interval_s)
            waited += self._poll_interval_s

    def request_faucet(self, address: Address) -> FaucetGrant:
        with _runtime_errors():
            grant = self._runtime.grant_faucet(address, client="local")
        return FaucetGrant(grant.message_id, grant.address, grant.amount)
