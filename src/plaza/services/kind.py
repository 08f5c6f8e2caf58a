"""The ``service`` kind: calls of a pay-per-call service, as the one marketplace lists them.

``quantity`` is a number of calls and ``unit_price`` the price of one, so a
listing reads "N calls at P coins per call". An offer names its service
(``service``: the name it is announced under, which is how ``plaza service call``
finds it) and may name the provider's channel (``channel``, 64 hex digits) so
the listing points at the description; a request may require either. A call is
paid per call by a hold (docs/protocol.md, "Calls"), not by a contract's
settlement: the listing is how services are found on the marketplace's pages and
by search. So the kind matches nothing by itself (``manual``): a request is a
wanted notice, which a provider may answer; no contract is made behind anyone's
back that no hold would pay.
"""

from __future__ import annotations

import re

from plaza.market.errors import InvalidOrder
from plaza.market.kinds import KindRules
from plaza.market.model import NewOrder, Side
from plaza.services.description import NAME

__all__ = ["CHANNEL", "SERVICE", "SERVICE_NAME", "ServiceKind"]

SERVICE_NAME = "service"
CHANNEL = "channel"
_CHANNEL_ID = re.compile(r"[0-9a-f]{64}")
_MAX_CALLS = 1_000_000


class ServiceKind(KindRules):
    """Calls at a price per call; an offer names its service."""

    kind = "service"
    policy = "manual"  # calls are paid by holds: no automatic contract

    def check_order(self, spec: NewOrder) -> None:
        if spec.quantity > _MAX_CALLS:
            raise InvalidOrder(f"quantity is a number of calls, at most {_MAX_CALLS}")
        offered = dict(spec.attributes)
        wanted = dict(spec.requirements.attributes)
        if spec.side is Side.OFFER and SERVICE_NAME not in offered:
            raise InvalidOrder(f"an offer names its service in {SERVICE_NAME!r}")
        for attributes in (offered, wanted):
            name, channel = attributes.get(SERVICE_NAME), attributes.get(CHANNEL)
            if name is not None and not (isinstance(name, str) and NAME.fullmatch(name)):
                raise InvalidOrder(f"{SERVICE_NAME!r} is a service name matching {NAME.pattern}")
            if channel is not None and not (
                isinstance(channel, str) and _CHANNEL_ID.fullmatch(channel)
            ):
                raise InvalidOrder(f"{CHANNEL!r} is a channel id: 64 lower-case hex digits")


#: The service kind.
SERVICE = ServiceKind()
