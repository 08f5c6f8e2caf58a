"""Conversions between the marketplace's values and the API's wire shapes."""

from __future__ import annotations

from collections.abc import Sequence

from plaza.api.errors import RequestProblem
from plaza.api.market.schemas import (
    ApiKeyView,
    AssetIn,
    AssetUpdateIn,
    AssetView,
    ContractTermsView,
    ContractView,
    LocationModel,
    OrderIn,
    OrderView,
    ParticipantView,
    PaymentView,
    RegistrationIn,
    RequirementsModel,
    SettlementView,
    SuggestionView,
)
from plaza.crypto import EncryptionPublicKey, PublicKey
from plaza.market.assets.model import AssetChange
from plaza.market.auth import ApiKey, Participant, Registration, Role, SignedRegistration
from plaza.market.book.views import Suggestion
from plaza.market.contracts import SignedContract
from plaza.market.model import (
    NO_REQUIREMENTS,
    Asset,
    Location,
    NewAsset,
    NewOrder,
    Order,
    Requirements,
    Side,
    attributes,
)
from plaza.market.settlement import Settlement

__all__ = [
    "api_key_view",
    "asset_change",
    "asset_view",
    "contract_view",
    "near_point",
    "new_asset",
    "new_order",
    "order_view",
    "participant_view",
    "settlement_view",
    "signed_registration",
    "suggestion_view",
]


def _location(model: LocationModel | None) -> Location | None:
    return None if model is None else Location(model.lat, model.lon)


def _requirements(model: RequirementsModel | None) -> Requirements:
    if model is None:
        return NO_REQUIREMENTS
    return Requirements(
        attributes=attributes(model.attributes),
        min_quality=model.min_quality,
        partners=tuple(model.partners),
        max_distance_km=model.max_distance_km,
    )


def new_order(side: Side, owner: str, body: OrderIn) -> NewOrder:
    """The caller's order; the book checks its rules when it is submitted."""
    return NewOrder(
        side,
        owner,
        body.kind,
        body.quantity,
        body.unit_price,
        body.valid_from_ms,
        body.valid_until_ms,
        _location(body.location),
        attributes(body.attributes),
        _requirements(body.requirements),
        body.asset_id,
    )


def new_asset(owner: str, body: AssetIn) -> NewAsset:
    """The caller's asset; the bid manager checks its rules when it is registered."""
    return NewAsset(
        owner, body.kind, body.name, _location(body.location), attributes(body.attributes)
    )


def asset_change(body: AssetUpdateIn) -> AssetChange:
    return AssetChange(body.name, _location(body.location), attributes(body.attributes))


def near_point(lat: float | None, lon: float | None, radius_km: float | None) -> Location | None:
    """A search's centre: ``lat``, ``lon`` and ``radius_km`` come together or not at all."""
    given = [value is not None for value in (lat, lon, radius_km)]
    if any(given) and not all(given):
        raise RequestProblem(400, "invalid_request", "give lat, lon and radius_km together")
    return None if lat is None or lon is None else Location(lat, lon)


def signed_registration(body: RegistrationIn) -> SignedRegistration:
    registration = Registration(
        signing_key=PublicKey(bytes.fromhex(body.signing_key)),
        encryption_key=EncryptionPublicKey(bytes.fromhex(body.encryption_key)),
        display_name=body.display_name,
        roles=frozenset(Role(role) for role in body.roles),
        issued_at_ms=body.issued_at_ms,
    )
    return SignedRegistration(registration, bytes.fromhex(body.signature))


def _location_view(location: Location | None) -> LocationModel | None:
    return None if location is None else LocationModel(lat=location.lat, lon=location.lon)


def order_view(order: Order) -> OrderView:
    requirements = order.requirements
    return OrderView(
        id=order.id,
        side=order.side,
        owner=order.owner,
        kind=order.kind,
        quantity=order.quantity,
        remaining=order.remaining,
        filled=order.filled,
        unit_price=order.unit_price,
        status=order.status,
        valid_from_ms=order.valid_from_ms,
        valid_until_ms=order.valid_until_ms,
        accepted_at_ms=order.accepted_at_ms,
        priority=order.priority,
        location=_location_view(order.location),
        attributes=dict(order.attributes),
        requirements=RequirementsModel(
            attributes=dict(requirements.attributes),
            min_quality=requirements.min_quality,
            partners=list(requirements.partners),
            max_distance_km=requirements.max_distance_km,
        ),
        asset_id=order.asset_id,
    )


def asset_view(asset: Asset) -> AssetView:
    return AssetView(
        id=asset.id,
        owner=asset.owner,
        kind=asset.kind,
        name=asset.name,
        status=asset.status,
        location=_location_view(asset.location),
        attributes=dict(asset.attributes),
        version=asset.version,
        event=asset.event,
        registered_at_ms=asset.registered_at_ms,
        updated_at_ms=asset.updated_at_ms,
    )


def suggestion_view(suggestion: Suggestion) -> SuggestionView:
    return SuggestionView(
        order=order_view(suggestion.order),
        quantity=suggestion.quantity,
        unit_price=suggestion.unit_price,
        distance_km=suggestion.distance_km,
    )


def settlement_view(settlement: Settlement) -> SettlementView:
    payment = settlement.payment
    return SettlementView(
        contract_id=settlement.id,
        phase=settlement.phase.value,
        updated_at_ms=settlement.updated_at_ms,
        deadline_ms=settlement.deadline_ms,
        reminders=settlement.reminders,
        payment=None
        if payment is None
        else PaymentView(message_id=payment.message_id.hex(), amount=payment.amount),
        version=settlement.version,
    )


def contract_view(contract: SignedContract, settlement: Settlement | None) -> ContractView:
    return ContractView(
        contract_id=contract.match.id,
        terms=ContractTermsView.model_validate(contract.terms()),
        signature=contract.signature.hex(),
        settlement=None if settlement is None else settlement_view(settlement),
    )


def participant_view(participant: Participant) -> ParticipantView:
    return ParticipantView(
        id=participant.id,
        signing_key=participant.signing_key.raw.hex(),
        encryption_key=participant.encryption_key.raw.hex(),
        display_name=participant.display_name,
        roles=sorted(participant.roles),
        registered_at_ms=participant.registered_at_ms,
        excluded=participant.excluded,
    )


def api_key_view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=key.id,
        owner_id=key.owner_id,
        name=key.name,
        scopes=sorted(key.scopes),
        created_at_ms=key.created_at_ms,
        revoked_at_ms=key.revoked_at_ms,
        last_used_at_ms=key.last_used_at_ms,
        expires_at_ms=key.expires_at_ms,
    )


def participant_views(participants: Sequence[Participant]) -> list[ParticipantView]:
    return [participant_view(participant) for participant in participants]
