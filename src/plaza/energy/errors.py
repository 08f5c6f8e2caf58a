"""Why an energy module refused a message.

Every refusal carries a stable ``code`` and an HTTP ``status``; the HTTP layer
answers ``{"success": false, "error": "<message>", "code": "<code>"}`` with that
status, as the energy seed's replies ask, and a refused message changes nothing.
A refusal may also carry ``details``, facts a peer can act on without reading the
message (the marketplace names the dead bids of a refused ``/match`` as
``{"dead": ["offer:<id>", "request:<id>"]}``); the reply then has ``"details"`` too.

    EnergyError
    ├── InvalidMessage        the payload breaks a rule of the protocol (400)
    ├── NotAuthenticated      the envelope cannot be opened or its signature is wrong (401)
    ├── EnergyForbidden       the sender may not do this (403)
    │   ├── FundingRefused    a /fund its owner's rules do not allow (funding_refused)
    │   ├── NotOnboarded      a registration its owner did not onboard (not_onboarded)
    │   └── AssetInactive     an order of a paused or deleted asset (asset_inactive)
    ├── UnknownRecord         no asset, transaction, contract or device by that id (404)
    ├── WrongState            the record's status forbids the step (409)
    ├── NotConfigured         the module has not been initialised yet (409)
    ├── PeerFailed            another module refused or could not be reached (502)
    └── EnergyUnavailable     not yet: the sender should try again later (503)
"""

from __future__ import annotations

from types import MappingProxyType

from plaza.market.auth.errors import NO_DETAILS, DeliveryFailed, Details, copy_details

__all__ = [
    "NO_DETAILS",
    "AssetInactive",
    "Details",
    "EnergyError",
    "EnergyForbidden",
    "EnergyUnavailable",
    "FundingRefused",
    "InvalidMessage",
    "NotAuthenticated",
    "NotConfigured",
    "NotOnboarded",
    "PeerFailed",
    "UnknownRecord",
    "WrongState",
]


class EnergyError(Exception):
    """Base of the energy modules' refusals."""

    code = "energy_error"
    status = 400

    def __init__(self, message: str, *, details: Details = NO_DETAILS) -> None:
        super().__init__(message)
        self.message = message
        self.details: Details = MappingProxyType(copy_details(details))


class InvalidMessage(EnergyError):
    code = "invalid_message"
    status = 400


class NotAuthenticated(EnergyError):
    code = "not_authenticated"
    status = 401


class EnergyForbidden(EnergyError):
    code = "forbidden"
    status = 403


class FundingRefused(EnergyForbidden):
    """A ``/fund`` the owner's rules do not allow; ``details["rule"]`` names the rule."""

    code = "funding_refused"


class NotOnboarded(EnergyForbidden):
    """A registration of an asset its owner did not onboard with that key."""

    code = "not_onboarded"


class AssetInactive(EnergyForbidden):
    """An offer or request of an asset its owner paused or deleted."""

    code = "asset_inactive"


class UnknownRecord(EnergyError):
    code = "not_found"
    status = 404


class WrongState(EnergyError):
    code = "wrong_state"
    status = 409


class NotConfigured(EnergyError):
    code = "not_configured"
    status = 409


class PeerFailed(DeliveryFailed, EnergyError):
    """Another module answered ``success: false`` (``refused``) or not at all.

    The market's :class:`~plaza.market.auth.errors.DeliveryFailed` (what the letters'
    outbox retries or gives up on) in the energy replies' code. :attr:`peer_details` are
    the peer's, from its refusal (empty when it gave none). They are not this error's own
    ``details``: a module that fails because a peer refused answers its own caller
    without repeating what the peer said of itself.
    """

    code = "peer_failed"
    status = 502


class EnergyUnavailable(EnergyError):
    """Not now: a fact the answer needs is on its way (a letter's sender retries it)."""

    code = "unavailable"
    status = 503
