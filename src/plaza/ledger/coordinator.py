"""The coordinator: issues the milestones that confirm the tangle.

It holds ``threshold`` of the network's coordinator keys (one on a devnet). Each
milestone approves up to eight tips, commits to the white-flag result it computed
with :meth:`Tangle.prepare_milestone`, and is submitted like any other message,
so the coordinator's node confirms through the same path as every other node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from plaza.crypto import SigningKey
from plaza.ledger.codec import milestone_signing_bytes
from plaza.ledger.compose import compose
from plaza.ledger.model import MAX_PARENTS, CoSignature, Message, MilestonePayload
from plaza.ledger.ports import Clock
from plaza.ledger.pow import ProofOfWork
from plaza.ledger.service import Tangle

__all__ = ["Coordinator"]


class Coordinator:
    def __init__(
        self, tangle: Tangle, signers: Sequence[SigningKey], *, clock: Clock, work: ProofOfWork
    ) -> None:
        keys = set(tangle.genesis.coordinator_keys)
        threshold = tangle.genesis.milestone_threshold
        usable = [signer for signer in signers if signer.public_key.raw in keys]
        if len(usable) < threshold:
            raise ValueError(f"{len(usable)} coordinator keys given, {threshold} needed")
        self._tangle = tangle
        self._signers = usable[:threshold]
        self._clock = clock
        self._work = work

    def issue_milestone(self) -> Message:
        """Build, sign and submit the next milestone; returns it once applied."""
        tangle = self._tangle
        # Half the oldest tips, so that none waits unpicked until it is too old to confirm.
        parents = sorted(tangle.select_parents(MAX_PARENTS, oldest=MAX_PARENTS // 2))
        outcome, issued_at_ms = tangle.prepare_milestone(parents, self._clock.now_ms())
        payload = MilestonePayload(
            index=outcome.index,
            previous=tangle.latest_milestone.message_id,
            inclusion_root=outcome.inclusion_root,
            state_root=outcome.state_root,
        )
        signed = milestone_signing_bytes(tangle.genesis.network_id, parents, issued_at_ms, payload)
        signatures = sorted(
            (CoSignature(s.public_key.raw, s.sign(signed)) for s in self._signers),
            key=lambda cosignature: cosignature.public_key,
        )
        message = compose(
            self._signers[0],
            network_id=tangle.genesis.network_id,
            parents=parents,
            payload=replace(payload, signatures=tuple(signatures)),
            issued_at_ms=issued_at_ms,
            work=self._work,
        )
        tangle.submit(message.raw)
        return message
