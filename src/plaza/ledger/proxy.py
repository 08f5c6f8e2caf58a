"""A ledger that hands every call to another: the base of ledgers that change one role.

The carriers' writer (:class:`~plaza.channels.carriers.CarrierWriter`) changes how data
messages are composed and sent and passes the rest on; test doubles that fail on purpose
(a node that drops a submit or refuses to compose) override just that method.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from plaza.crypto import Address, SigningKey
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import DataPayload, IssuedPayload, Message, MessageMetadata
from plaza.ledger.ports import ConfirmedBalance, FaucetGrant, Feed, Ledger, Movement

__all__ = ["LedgerProxy"]


class LedgerProxy:
    """Every :class:`~plaza.ledger.ports.Ledger` role, passed on to ``inner``."""

    def __init__(self, inner: Ledger) -> None:
        self.inner = inner

    def message(self, message_id: bytes) -> Message | None:
        return self.inner.message(message_id)

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        return self.inner.find_by_tag(tag, limit=limit)

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        return self.inner.history(address, limit=limit)

    def balance(self, address: Address) -> ConfirmedBalance:
        return self.inner.balance(address)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        return self.inner.metadata(message_id)

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        return self.inner.hold(hold_id)

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        return self.inner.wait_for_confirmation(message_id, timeout_s=timeout_s)

    def ledger_time_ms(self) -> int:
        return self.inner.ledger_time_ms()

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        return self.inner.compose(
            signer, payload, first_parents=first_parents, not_before_ms=not_before_ms
        )

    def compose_carried(self, signer: SigningKey, payload: DataPayload) -> Message:
        return self.inner.compose_carried(signer, payload)

    def submit(self, raw: bytes) -> bytes:
        return self.inner.submit(raw)

    def follow(self, tags: Collection[bytes]) -> Feed:
        return self.inner.follow(tags)

    def request_faucet(self, address: Address) -> FaucetGrant:
        return self.inner.request_faucet(address)
