"""Checks a decoded message must pass before the node stores it.

Checks run cheapest first, so spam costs the node as little as possible: network
and time are comparisons, proof of work is one hash, the signature is the
expensive part (about 54 µs with PyNaCl) and runs last. A carrier's carried
messages are signed by their own issuers: their signatures join the same batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from plaza.crypto import verify_signature
from plaza.ledger.carriers import signature_error, signed_items
from plaza.ledger.codec import milestone_signing_bytes
from plaza.ledger.errors import (
    InsufficientProofOfWork,
    InvalidMilestone,
    MessageRejected,
    TimestampBeforeParent,
    TimestampInFuture,
    WrongNetwork,
)
from plaza.ledger.model import NONCE_SIZE, Message, MilestonePayload
from plaza.ledger.pow import ProofOfWork, pow_base, pow_score

__all__ = [
    "MessageValidator",
    "SerialVerifier",
    "SignatureVerifier",
    "SignedItem",
    "ValidationRules",
    "check_parent_times",
]


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """What a network requires of every message."""

    network_id: int
    work: ProofOfWork
    coordinator_keys: frozenset[bytes]
    milestone_threshold: int = 1
    max_future_ms: int = 30_000


SignedItem = tuple[bytes, bytes, bytes]  # public key, signed bytes, signature


class SignatureVerifier(Protocol):
    """How a batch of Ed25519 signatures is verified: serially here, on threads in a node."""

    def verify_many(self, items: Sequence[SignedItem]) -> list[bool]:
        """One verdict per item, in order; never raises for a bad signature or key."""
        ...


class SerialVerifier:
    def verify_many(self, items: Sequence[SignedItem]) -> list[bool]:
        return [verify_signature(*item) for item in items]


class MessageValidator:
    """Stateless validation of messages against the network's rules."""

    def __init__(self, rules: ValidationRules, verifier: SignatureVerifier | None = None) -> None:
        self._rules = rules
        self._verifier = verifier or SerialVerifier()

    @property
    def rules(self) -> ValidationRules:
        return self._rules

    def check(self, message: Message, now_ms: int) -> None:
        """Raise the specific :class:`MessageRejected` for the first rule ``message`` breaks."""
        [error] = self.check_many([message], now_ms)
        if error is not None:
            raise error

    def check_many(self, messages: Sequence[Message], now_ms: int) -> list[MessageRejected | None]:
        """The first broken rule of each message, or None; signatures verified as one batch
        (a carrier's and those of the messages it carries alike)."""
        errors = [self._first_cheap_error(message, now_ms) for message in messages]
        candidates = [i for i, error in enumerate(errors) if error is None]
        items = [signed_items(messages[i]) for i in candidates]
        verdicts = iter(self._verifier.verify_many([item for each in items for item in each]))
        for i, each in zip(candidates, items, strict=True):
            payload = messages[i].payload
            errors[i] = signature_error([next(verdicts) for _ in each])
            if errors[i] is None and isinstance(payload, MilestonePayload):
                errors[i] = self._milestone_error(messages[i], payload)
        return errors

    def _first_cheap_error(self, message: Message, now_ms: int) -> MessageRejected | None:
        rules = self._rules
        if message.network_id != rules.network_id:
            return WrongNetwork(rules.network_id, message.network_id)
        if message.issued_at_ms > now_ms + rules.max_future_ms:
            return TimestampInFuture(message.issued_at_ms, now_ms, rules.max_future_ms)
        try:
            self.check_work(message)
        except MessageRejected as error:
            return error
        return None

    def _milestone_error(
        self, message: Message, payload: MilestonePayload
    ) -> MessageRejected | None:
        try:
            self.check_milestone_signatures(message, payload)
        except MessageRejected as error:
            return error
        return None

    def check_work(self, message: Message) -> None:
        work = self._rules.work
        if work.difficulty == 0:
            return
        base = pow_base(message.raw[:-NONCE_SIZE])
        if not work.is_sufficient(base, message.nonce):
            raise InsufficientProofOfWork(work.difficulty, pow_score(base, message.nonce))

    def check_milestone_signatures(self, message: Message, payload: MilestonePayload) -> None:
        """A milestone needs its issuer and ``threshold`` distinct signers from the coordinator."""
        keys = self._rules.coordinator_keys
        if message.issuer not in keys:
            raise InvalidMilestone("issuer is not a coordinator key")
        signed = milestone_signing_bytes(
            message.network_id, message.parents, message.issued_at_ms, payload
        )
        signers = {
            cosignature.public_key
            for cosignature in payload.signatures
            if cosignature.public_key in keys
            and verify_signature(cosignature.public_key, signed, cosignature.signature)
        }
        if len(signers) < self._rules.milestone_threshold:
            raise InvalidMilestone(
                f"{len(signers)} valid coordinator signatures, "
                f"{self._rules.milestone_threshold} required"
            )


def check_parent_times(message: Message, parent_times: Mapping[bytes, int]) -> None:
    """A message may not claim to be older than what it approves."""
    for parent in message.parents:
        parent_time = parent_times.get(parent, 0)
        if message.issued_at_ms < parent_time:
            raise TimestampBeforeParent(message.issued_at_ms, parent, parent_time)
