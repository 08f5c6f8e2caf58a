"""Dependencies the routes share: the runtime, parsed ids and addresses, paging.

Parsing happens here, once, so a route receives ``bytes`` and
:class:`~plaza.crypto.Address` values and never re-validates text; anything
unparsable is refused as a 400 before the ledger is asked. The dependencies
are ``async`` because they never block: FastAPI would otherwise spend a
worker thread on each, and ``/health`` must answer when those are all busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from plaza.api.errors import RequestProblem
from plaza.api.schemas import ID_PATTERN
from plaza.crypto import Address
from plaza.ledger.model import (
    ID_SIZE,
    MAX_PARENTS,
    MAX_PAYLOAD_SIZE,
    MAX_TAG_SIZE,
    NONCE_SIZE,
    SIGNATURE_SIZE,
)
from plaza.node import NodeRuntime

__all__ = [
    "MAX_ADDRESS_TEXT",
    "MAX_MESSAGE_SIZE",
    "AddressPath",
    "ApiConfig",
    "ConfigDep",
    "CursorQuery",
    "HoldIdPath",
    "LimitQuery",
    "MessageIdPath",
    "MilestoneIndexPath",
    "OffsetQuery",
    "RuntimeDep",
    "client_host",
    "parse_address",
    "parse_tag",
]

#: Version, network id, parent count, issuer, issue time, payload kind, payload length.
_FIXED_FIELDS = 1 + 4 + 1 + 32 + 8 + 1 + 4
#: The largest canonical message: fixed fields, eight parents, the largest payload,
#: signature and nonce. Bodies are limited from this.
MAX_MESSAGE_SIZE = (
    _FIXED_FIELDS + MAX_PARENTS * ID_SIZE + MAX_PAYLOAD_SIZE + SIGNATURE_SIZE + NONCE_SIZE
)

#: Bech32m of 32 bytes is 59 characters; anything much longer is not an address.
MAX_ADDRESS_TEXT = 100

_INT64_MAX = 2**63 - 1
_U32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the HTTP layer adds to a node's behaviour.

    ``max_body_bytes`` fits the largest message in its JSON hex form (twice its
    size plus the wrapper), so any valid message is accepted in either form and
    nothing much larger is ever buffered. ``keepalive_s`` keeps idle event streams
    alive through proxies that drop silent connections.
    """

    max_body_bytes: int = 2 * MAX_MESSAGE_SIZE + 1024
    keepalive_s: float = 15.0


async def get_runtime(request: Request) -> NodeRuntime:
    runtime: NodeRuntime = request.app.state.runtime
    return runtime


async def get_config(request: Request) -> ApiConfig:
    config: ApiConfig = request.app.state.api_config
    return config


async def message_id_path(
    message_id: Annotated[str, Path(pattern=ID_PATTERN, description="message id, 64 hex digits")],
) -> bytes:
    return bytes.fromhex(message_id)


async def hold_id_path(
    hold_id: Annotated[str, Path(pattern=ID_PATTERN, description="hold id, 64 hex digits")],
) -> bytes:
    return bytes.fromhex(hold_id)


async def address_path(
    address: Annotated[str, Path(max_length=MAX_ADDRESS_TEXT, description="bech32m, plz1…")],
) -> Address:
    return Address.parse(address)


def parse_address(text: str) -> Address:
    """An address from a query parameter; :class:`InvalidAddress` becomes a 400."""
    return Address.parse(text)


def parse_tag(tag: str | None, tag_hex: str | None) -> bytes | None:
    """A tag given as text or hex (not both), checked against the ledger's tag limit."""
    if tag is not None and tag_hex is not None:
        raise RequestProblem(400, "invalid_request", "give tag or tag_hex, not both")
    if tag_hex is not None:
        try:
            raw = bytes.fromhex(tag_hex)
        except ValueError:
            raise RequestProblem(400, "invalid_request", "tag_hex is not hex") from None
    elif tag is not None:
        raw = tag.encode("utf-8")
    else:
        return None
    if not 1 <= len(raw) <= MAX_TAG_SIZE:
        raise RequestProblem(400, "invalid_request", f"a tag has 1 to {MAX_TAG_SIZE} bytes")
    return raw


def client_host(request: Request) -> str:
    """The key proof-of-work and faucet requests are rate limited by."""
    return request.client.host if request.client else "unknown"


RuntimeDep = Annotated[NodeRuntime, Depends(get_runtime)]
ConfigDep = Annotated[ApiConfig, Depends(get_config)]
MessageIdPath = Annotated[bytes, Depends(message_id_path)]
HoldIdPath = Annotated[bytes, Depends(hold_id_path)]
AddressPath = Annotated[Address, Depends(address_path)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="at most this many results")]
CursorQuery = Annotated[
    int | None, Query(ge=0, le=_INT64_MAX, description="next_cursor of the previous page")
]
OffsetQuery = Annotated[int, Query(ge=0, le=_INT64_MAX, description="skip this many results")]
MilestoneIndexPath = Annotated[int, Path(ge=0, le=_U32_MAX, description="milestone index")]
