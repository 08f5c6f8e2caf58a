"""The devnet faucet: coins for anyone who asks, a little at a time.

A devnet's genesis puts the whole supply on the faucet key. The faucet pays a
fixed ``amount`` to a requested address with an ordinary transfer, signed by
that key and attached on the node's own tips, so it confirms like any other.

Two limits keep one requester from draining it: an address is funded at most
once per ``address_interval_s``, and each client host has a token bucket. The
client's token is spent only once the address and the funds are found fine,
and the address is recorded only with the grant, so a refused request spends
nothing of either limit.

Grants are serialised by a lock and never overdraw: the confirmed balance, less
the grants still in flight, must cover each new one (the account model lets
any number of them confirm in any order while it does). Issue times strictly
increase, so two grants never share a signed essence, which the ledger would
treat as a replay, and never precede a parent's, which the ledger would refuse.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.errors import NotFound
from plaza.ledger.model import TRANSFER_TTL_MS, Output, TransferPayload
from plaza.ledger.ports import Clock, FaucetGrant
from plaza.ledger.pow import ProofOfWork
from plaza.ledger.service import Tangle
from plaza.node.errors import FaucetEmpty, FaucetRateLimited
from plaza.node.ratelimit import TokenBucket

__all__ = ["FAUCET_TAG", "FaucetPolicy", "NodeFaucet"]

#: Every grant carries this tag, so explorers and tests can find faucet payments.
FAUCET_TAG = b"plaza-faucet"


@dataclass(frozen=True, slots=True)
class FaucetPolicy:
    """How much one grant pays and how often an address or a client may ask."""

    amount: int = 1_000_000
    address_interval_s: float = 60.0
    requests_per_s: float = 0.1
    burst: int = 5
    max_addresses: int = 10_000  # remembered at once; older ones are forgotten first

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"a faucet grant must be positive, got {self.amount}")


@dataclass(frozen=True, slots=True)
class _InFlight:
    message_id: bytes
    amount: int
    issued_at_ms: int


def _client_limited(retry_after_s: float) -> FaucetRateLimited:
    return FaucetRateLimited(retry_after_s, "client")


class NodeFaucet:
    """Pays ``policy.amount`` from ``key``'s address to whoever asks, within the limits."""

    def __init__(
        self,
        tangle: Tangle,
        key: SigningKey,
        *,
        clock: Clock,
        work: ProofOfWork,
        policy: FaucetPolicy | None = None,
    ) -> None:
        self._tangle = tangle
        self._key = key
        self._clock = clock
        self._work = work
        self.policy = policy or FaucetPolicy()
        self.address = Address.from_public_key(key.public_key.raw)
        self._clients = TokenBucket(
            rate=self.policy.requests_per_s,
            burst=self.policy.burst,
            clock=clock,
            limited=_client_limited,
        )
        self._funded: OrderedDict[bytes, int] = OrderedDict()  # address -> last grant ms
        self._in_flight: list[_InFlight] = []
        self._last_issued_ms = 0
        self._grants = 0
        self._lock = threading.Lock()

    def grant(self, address: Address, *, client: str) -> FaucetGrant:
        """Send one grant to ``address`` for ``client`` (a host), or raise why not."""
        amount = self.policy.amount
        with self._lock:
            now = self._clock.now_ms()
            self._check_address(address, now)
            self._check_funds(now)
            self._clients.take(client)
            parents = self._tangle.select_parents()
            issued_at_ms = max(now, self._last_issued_ms + 1, self._latest_time(parents))
            message = compose(
                self._key,
                network_id=self._tangle.genesis.network_id,
                parents=parents,
                payload=TransferPayload((Output(address.raw, amount),), FAUCET_TAG),
                issued_at_ms=issued_at_ms,
                work=self._work,
            )
            self._tangle.submit(message.raw)
            self._last_issued_ms = issued_at_ms
            self._funded[address.raw] = now
            self._funded.move_to_end(address.raw)
            self._in_flight.append(_InFlight(message.id, amount, issued_at_ms))
            self._grants += 1
        return FaucetGrant(message.id, address, amount)

    def _latest_time(self, parents: list[bytes]) -> int:
        """The latest parent issue time: a tip may come from a clock a little ahead of ours."""
        genesis = self._tangle.genesis
        return max(
            genesis.timestamp_ms if p == genesis.id else self._tangle.get_message(p).issued_at_ms
            for p in parents
        )

    def _check_address(self, address: Address, now_ms: int) -> None:
        """Refuse an address funded within the interval; forget addresses past it."""
        interval_ms = round(self.policy.address_interval_s * 1000)
        funded = self._funded
        while funded:
            oldest, when = next(iter(funded.items()))
            if now_ms - when < interval_ms and len(funded) < self.policy.max_addresses:
                break
            del funded[oldest]
        last = funded.get(address.raw)
        if last is not None and now_ms - last < interval_ms:
            raise FaucetRateLimited((interval_ms - (now_ms - last)) / 1000, "address")

    def _check_funds(self, now_ms: int) -> None:
        """The confirmed balance less grants not yet reflected in it must cover one more."""
        balance, index = self._tangle.balance_at(self.address.raw)
        self._in_flight = [g for g in self._in_flight if self._still_pending(g, index, now_ms)]
        available = balance - sum(grant.amount for grant in self._in_flight)
        if available < self.policy.amount:
            raise FaucetEmpty(available, self.policy.amount)

    def _still_pending(self, grant: _InFlight, index: int, now_ms: int) -> bool:
        """Whether ``grant`` is missing from the balance read at milestone ``index``."""
        if now_ms - grant.issued_at_ms > TRANSFER_TTL_MS:
            return False  # it can only ever confirm as expired now
        try:
            confirmed_at = self._tangle.metadata(grant.message_id).milestone_index
        except NotFound:
            return False
        return confirmed_at is None or confirmed_at > index

    def statistics(self) -> dict[str, int]:
        with self._lock:
            return {
                "faucet_grants": self._grants,
                "faucet_in_flight": len(self._in_flight),
                "faucet_addresses_remembered": len(self._funded),
            }
