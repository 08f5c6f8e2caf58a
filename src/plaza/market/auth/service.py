"""Participant use cases: register, look up, list, exclude, reinstate, change roles and keys.

Each use case checks the policy, loads, acts and saves through the
:class:`~plaza.market.auth.ports.ParticipantStore` port; none touches a database
or a web framework. Exclusion is how a claim's outcome bars a participant:
an excluded participant's signed requests and API keys are refused until an
operator reinstates it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from plaza.crypto import EncryptionPublicKey, verify_signature
from plaza.market.auth.errors import (
    InvalidProofOfPossession,
    ParticipantNotFound,
    PrivilegedRoleRequested,
    StaleRegistration,
)
from plaza.market.auth.model import SELF_ASSIGNABLE_ROLES, Participant, Principal, Role
from plaza.market.auth.policy import check_can_audit, check_can_operate, check_is_self
from plaza.market.auth.ports import Clock, ParticipantStore
from plaza.market.auth.registration import SignedRegistration
from plaza.market.auth.signing import DEFAULT_WINDOW_MS

__all__ = ["ParticipantRegistry"]


class ParticipantRegistry:
    """The participants of one marketplace, named ``audience`` in what they sign."""

    def __init__(
        self,
        store: ParticipantStore,
        clock: Clock,
        *,
        audience: str,
        window_ms: int = DEFAULT_WINDOW_MS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._audience = audience
        self._window_ms = window_ms

    def register(
        self, signed: SignedRegistration, *, sponsor: Principal | None = None
    ) -> Participant:
        """Admit a participant that proved it holds its signing key.

        Providers and consumers register themselves; auditor and operator roles
        need an operator ``sponsor`` (the first operator is sponsored by
        :meth:`Principal.system` in the composition root).
        """
        registration = signed.registration
        now_ms = self._clock.now_ms()
        if abs(registration.issued_at_ms - now_ms) > self._window_ms:
            raise StaleRegistration(registration.issued_at_ms, now_ms, self._window_ms)
        message = registration.canonical(self._audience)
        if not verify_signature(registration.signing_key.raw, message, signed.signature):
            raise InvalidProofOfPossession
        privileged = registration.roles - SELF_ASSIGNABLE_ROLES
        if privileged and sponsor is None:
            raise PrivilegedRoleRequested(privileged)
        if privileged:
            check_can_operate(sponsor)
        participant = Participant(
            id=registration.participant_id,
            signing_key=registration.signing_key,
            encryption_key=registration.encryption_key,
            display_name=registration.display_name,
            roles=registration.roles,
            registered_at_ms=now_ms,
        )
        self._store.add(participant)
        return participant

    def get(self, participant_id: str) -> Participant:
        """A participant's public record (keys, name, roles); public so anyone can verify."""
        participant = self._store.get(participant_id)
        if participant is None:
            raise ParticipantNotFound(participant_id)
        return participant

    def list(self, actor: Principal, *, limit: int = 100, offset: int = 0) -> Sequence[Participant]:
        """All participants, a page at a time: for auditors and operators only."""
        check_can_audit(actor)
        return self._store.list(limit=limit, offset=offset)

    def exclude(self, actor: Principal, participant_id: str) -> Participant:
        """Bar a participant from acting (after a claim); excluding twice changes nothing."""
        check_can_operate(actor)
        return self._change(participant_id, lambda p: dataclasses.replace(p, excluded=True))

    def reinstate(self, actor: Principal, participant_id: str) -> Participant:
        check_can_operate(actor)
        return self._change(participant_id, lambda p: dataclasses.replace(p, excluded=False))

    def set_roles(
        self, actor: Principal, participant_id: str, roles: Iterable[Role]
    ) -> Participant:
        """Replace a participant's roles; the model refuses combining auditor with others."""
        check_can_operate(actor)
        wanted = frozenset(roles)
        return self._change(participant_id, lambda p: dataclasses.replace(p, roles=wanted))

    def rotate_encryption_key(
        self, actor: Principal, participant_id: str, new_key: EncryptionPublicKey
    ) -> Participant:
        """Seal future replies to ``new_key``; only the participant's own signed request may."""
        check_is_self(actor, participant_id)
        return self._change(
            participant_id, lambda p: dataclasses.replace(p, encryption_key=new_key)
        )

    def _change(
        self, participant_id: str, change: Callable[[Participant], Participant]
    ) -> Participant:
        """Load, change, and save only if something changed (repeat calls are no-ops)."""
        current = self.get(participant_id)
        changed = change(current)
        if changed != current:
            self._store.update(changed)
        return changed
