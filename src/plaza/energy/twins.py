"""The energy modules' digital twins: the market's record twins, in the energy documents' domain.

Each module (an asset, the marketplace) keeps one private channel per record
(:mod:`plaza.market.twins.records`); each entry is a
:func:`~plaza.energy.envelope.sign_document` of the state (the domain
``plaza-energy-document-v1``), the seed's "signature of the initial transaction stored in
the MAM channel". This module only names that domain and turns the market's refusals
into the energy replies' codes: a reader key that is not one is ``invalid_message``, a
state the ledger could not take (and that was never saved) ``peer_failed`` (the sender
retries it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plaza.channels import ChannelLedger, CursorStore, ReaderKey
from plaza.clock import Clock
from plaza.crypto import Identity, PublicKey
from plaza.energy.envelope import DOCUMENTS
from plaza.energy.errors import InvalidMessage, PeerFailed
from plaza.market.auth import MalformedSignedRequest
from plaza.market.errors import InvalidTwinKey, TwinUnavailable
from plaza.market.twins import records
from plaza.market.twins.records import (
    Confirmed,
    RecordTwins,
    TwinAudit,
    TwinEntry,
    TwinIndex,
    TwinStep,
)

__all__ = ["Twins", "audit_twin", "parse_reader_key", "read_twin"]


class Twins(RecordTwins):
    """A module's twin recorder, refusing as the energy replies do."""

    def __init__(
        self,
        *,
        identity: Identity,
        gateway: ChannelLedger,
        cursors: CursorStore,
        index: TwinIndex,
        clock: Clock,
        cache_size: int = 128,
    ) -> None:
        super().__init__(
            documents=DOCUMENTS,
            identity=identity,
            gateway=gateway,
            cursors=cursors,
            index=index,
            clock=clock,
            cache_size=cache_size,
        )

    def record(self, record_id: str, state: Mapping[str, Any]) -> TwinStep:
        try:
            return super().record(record_id, state)
        except MalformedSignedRequest as error:
            raise InvalidMessage(error.reason) from None
        except TwinUnavailable as error:
            reason = f"twin not recorded: {error.reason}"
            raise PeerFailed("ledger", "", reason, refused=False) from None


def parse_reader_key(text: object) -> ReaderKey:
    """A twin's reader key from its text; ``invalid_message`` if it is not one."""
    try:
        return records.parse_reader_key(text)
    except InvalidTwinKey as error:
        raise InvalidMessage(error.reason) from None


def read_twin(
    gateway: ChannelLedger, key: ReaderKey, signer: PublicKey, confirmed: Confirmed
) -> tuple[list[TwinEntry], list[str]]:
    """Every state on a twin signed by ``signer``; what could not be read goes to problems."""
    return records.read_twin(gateway, key, signer, confirmed, documents=DOCUMENTS)


def audit_twin(
    gateway: ChannelLedger,
    key: ReaderKey,
    *,
    signer: PublicKey,
    confirmed: Confirmed,
    expected: Sequence[Mapping[str, Any]],
) -> TwinAudit:
    """A twin checked against the states a database recorded (see
    :func:`plaza.market.twins.records.audit_twin`)."""
    return records.audit_twin(
        gateway, key, signer=signer, confirmed=confirmed, expected=expected, documents=DOCUMENTS
    )
