"""An account's API keys: the market's own keys, of the participant the account acts as.

The account is logged in (a session the web app checked), so it acts as its
participant with every scope of the participant's roles; a key gets all of them
(capped again by the roles at each use, as every key is), and it works on the
market API like a key made there. The secret is in the :class:`IssuedApiKey` once.
"""

from __future__ import annotations

from collections.abc import Sequence

from plaza.market.accounts.model import Account
from plaza.market.auth import (
    ApiKey,
    ApiKeyNotFound,
    ApiKeyService,
    IssuedApiKey,
    Participant,
    ParticipantNotFound,
    ParticipantStore,
    Principal,
)

__all__ = ["AccountKeys"]


class AccountKeys:
    def __init__(self, keys: ApiKeyService, participants: ParticipantStore) -> None:
        self._keys = keys
        self._participants = participants

    def acting_as(self, account: Account) -> Participant:
        """The participant the account acts as (its roles say what its keys may do)."""
        participant = self._participants.get(account.participant_id)
        if participant is None:
            raise ParticipantNotFound(account.participant_id)
        return participant

    def _acting(self, account: Account) -> Principal:
        return Principal.of_participant(self.acting_as(account))

    def create(self, account: Account, name: str) -> IssuedApiKey:
        """A new key named ``name`` (``InvalidApiKeyName`` if it is not a usable label)."""
        actor = self._acting(account)
        return self._keys.create(
            actor, owner_id=account.participant_id, name=name.strip(), scopes=actor.scopes
        )

    def list(self, account: Account) -> Sequence[ApiKey]:
        """Every key of the account, oldest first, revoked ones included."""
        return self._keys.list_keys(self._acting(account), account.participant_id)

    def revoke(self, account: Account, key_id: str) -> ApiKey:
        """Revoke one of the account's keys; another's is :class:`ApiKeyNotFound` to it."""
        owned = {key.id for key in self.list(account)}
        if key_id not in owned:
            raise ApiKeyNotFound(key_id)
        return self._keys.revoke(self._acting(account), key_id)
