"""Participants and their API keys.

Registration is the one write that cannot be a signed request (the key is not
known yet): the registration document is signed instead. A signed request
*around* it names a sponsor, which is how an operator admits an auditor or
another operator. API keys are personal records: only their owner's own signed
request creates, lists or revokes them (an API key cannot mint API keys), and
the secret is in the creation answer only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from plaza.api.errors import error_responses
from plaza.api.market.auth import CallerDep, MaybeCallerDep, ServicesDep
from plaza.api.market.schemas import (
    ID_PATTERN,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyView,
    IssuedApiKeyView,
    ParticipantList,
    ParticipantView,
    RegistrationIn,
)
from plaza.api.market.views import (
    api_key_view,
    participant_view,
    participant_views,
    signed_registration,
)
from plaza.market.auth import InvalidApiKeyExpiry

__all__ = ["router"]

router = APIRouter(tags=["participants"])

_NO_STORE = {"Cache-Control": "no-store"}


def _me(caller_id: str | None) -> str:
    assert caller_id is not None  # principals from requests are always participants
    return caller_id


@router.post("/participants", status_code=201, responses=error_responses(400, 401, 403, 409))
def register(
    body: RegistrationIn, sponsor: MaybeCallerDep, services: ServicesDep
) -> ParticipantView:
    """Register the key that signed the registration; auditor and operator roles need an
    operator's signed request around it."""
    participant = services.registry.register(signed_registration(body), sponsor=sponsor)
    return participant_view(participant)


@router.get("/participants/me", responses=error_responses(401))
def me(caller: CallerDep, services: ServicesDep) -> ParticipantView:
    """The caller's own record."""
    return participant_view(services.registry.get(_me(caller.participant_id)))


@router.get("/participants", responses=error_responses(401, 403))
def list_participants(
    caller: CallerDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> ParticipantList:
    """Every participant, oldest first: auditors and operators only."""
    found = services.registry.list(caller, limit=limit, offset=offset)
    return ParticipantList(items=participant_views(found))


def _expiry(body: ApiKeyIn, now_ms: int) -> int | None:
    """The key's expiry instant from either form; both at once is ambiguous."""
    if body.expires_in_s is not None and body.expires_at_ms is not None:
        raise InvalidApiKeyExpiry("is given once: expires_in_s or expires_at_ms")
    if body.expires_in_s is not None:
        return now_ms + body.expires_in_s * 1000
    return body.expires_at_ms


@router.post("/api-keys", status_code=201, responses=error_responses(400, 401, 403))
def create_api_key(
    body: ApiKeyIn, caller: CallerDep, services: ServicesDep, response: Response
) -> IssuedApiKeyView:
    """A new key for the caller, holding some of the caller's scopes; its secret is
    shown in this answer only."""
    issued = services.api_keys.create(
        caller,
        owner_id=_me(caller.participant_id),
        name=body.name,
        scopes=body.scopes,
        expires_at_ms=_expiry(body, services.clock.now_ms()),
    )
    response.headers.update(_NO_STORE)
    return IssuedApiKeyView(key=api_key_view(issued.key), secret=issued.secret.reveal())


@router.get("/api-keys", responses=error_responses(401, 403))
def list_api_keys(caller: CallerDep, services: ServicesDep) -> ApiKeyList:
    """The caller's keys, revoked ones included (never their secrets)."""
    keys = services.api_keys.list_keys(caller, _me(caller.participant_id))
    return ApiKeyList(items=[api_key_view(key) for key in keys])


@router.delete("/api-keys/{key_id}", responses=error_responses(401, 403, 404))
def revoke_api_key(
    key_id: Annotated[str, Path(pattern=ID_PATTERN)], caller: CallerDep, services: ServicesDep
) -> ApiKeyView:
    """Revoke one of the caller's keys at once and for good; the streams it opened end."""
    revoked = services.api_keys.revoke(caller, key_id)
    services.end_stale_streams()
    return api_key_view(revoked)
