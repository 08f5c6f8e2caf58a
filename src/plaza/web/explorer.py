"""The explorer's reads from a node: milestones, a message and its neighbours, an address,
a tag. Each one checks its argument before asking (a bad id is :class:`BadInput`,
never a request) and turns the node's answers into the web's errors: missing is
:class:`PageNotFound`, refused :class:`BadInput`, unreachable :class:`Unavailable`.

It reads through :class:`plaza.clients.node.NodeClient`, the node's public HTTP API,
so the explorer shows exactly what anyone holding a node's address can check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from plaza.clients.errors import ClientError, InvalidRequestError, NotFoundError
from plaza.clients.node import NodeClient
from plaza.clients.node.models import Balance, HistoryItem
from plaza.crypto import Address
from plaza.crypto.errors import InvalidAddress
from plaza.ledger.model import (
    CarrierPayload,
    DataPayload,
    Message,
    MessageMetadata,
    MilestonePayload,
    MilestoneRecord,
    TransferPayload,
)
from plaza.web.errors import BadInput, PageNotFound, Unavailable

__all__ = [
    "AddressView",
    "Explorer",
    "MessagePage",
    "TagView",
    "describe_payload",
    "parse_message_id",
]

T = TypeVar("T")
_HEX_ID = re.compile(r"[0-9a-fA-F]{64}")
_MAX_TAG = 64
#: How many milestones the front page lists.
LATEST = 10


def parse_message_id(text: str) -> str:
    """A message id as 64 hex characters (lower case); anything else is BadInput."""
    if not _HEX_ID.fullmatch(text):
        raise BadInput("message id", "must be 64 hexadecimal characters")
    return text.lower()


def _parse_address(text: str) -> Address:
    try:
        return Address.parse(text)
    except (InvalidAddress, ValueError) as error:
        raise BadInput("address", f"not a Plaza address (plz1…): {error}") from None


def describe_payload(message: Message) -> dict[str, object]:
    """What a person reads of a payload: its kind, tag, text when it is text, outputs."""
    payload = message.payload
    if isinstance(payload, MilestonePayload):
        return {"kind": "milestone", "index": payload.index, "tag": ""}
    if isinstance(payload, TransferPayload):
        outputs = [(str(Address(o.address)), o.amount) for o in payload.outputs]
        return {"kind": "transfer", "outputs": outputs, "tag": _text(payload.tag)}
    if isinstance(payload, CarrierPayload):  # each carried message has a page of its own
        carried = [(m.id.hex(), _text(m.tag)) for m in payload.messages]
        return {"kind": "carrier", "carried": carried, "tag": ""}
    if not isinstance(payload, DataPayload):  # a hold, release or settlement
        return {"kind": payload.KIND.name.lower(), "tag": _text(payload.tag)}
    return {
        "kind": "data",
        "tag": _text(payload.tag),
        "size": len(payload.data),
        "preview": _preview(payload.data),
    }


def _preview(data: bytes, limit: int = 400) -> str:
    """The data as text when it is short printable UTF-8, else its first bytes in hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and len(text) <= limit and all(c.isprintable() or c in "\n\t" for c in text):
        return text
    head = data[:64].hex()
    return f"{head}… (hex)" if len(data) > 64 else f"{head} (hex)"


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()
    return text if text.isprintable() else raw.hex()


@dataclass(frozen=True, slots=True)
class MessagePage:
    message: Message
    metadata: MessageMetadata
    children: tuple[str, ...]
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class AddressView:
    address: str
    balance: Balance
    history: tuple[HistoryItem, ...]


@dataclass(frozen=True, slots=True)
class TagView:
    tag: str
    ids: tuple[str, ...]
    next_cursor: int | None


class Explorer:
    """Reads for the explorer's pages, over one node client."""

    def __init__(self, node: NodeClient) -> None:
        self._node = node

    @property
    def node_url(self) -> str:
        return self._node.base_url

    def latest(self, count: int = LATEST) -> list[MilestoneRecord]:
        """The newest milestones, newest first."""
        with _answers("milestone"):
            newest = self._node.latest_milestone()
            older = [self._node.milestone(i) for i in range(newest.index - 1, 0, -1)[: count - 1]]
        return [newest, *older]

    def milestone(self, index_text: str) -> MilestoneRecord:
        if not re.fullmatch(r"[0-9]{1,12}", index_text):
            raise BadInput("milestone", "must be a milestone index: a whole number")
        with _answers(f"milestone {index_text}"):
            return self._node.milestone(int(index_text))

    def message(self, id_text: str) -> MessagePage:
        message_id = parse_message_id(id_text)
        with _answers(f"message {message_id}"):
            message = self._node.get_message(message_id)
            metadata = self._node.metadata(message_id)
            children = self._node.children(message_id, limit=50)
        return MessagePage(
            message=message,
            metadata=metadata,
            children=tuple(child.hex() for child in children),
            payload=describe_payload(message),
        )

    def address(self, text: str) -> AddressView:
        address = _parse_address(text)
        with _answers(f"address {address}"):
            balance = self._node.balance(address)
            history = self._node.history(address, limit=50)
        return AddressView(address=str(address), balance=balance, history=tuple(history))

    def tag(self, text: str, cursor_text: str = "") -> TagView:
        if not 1 <= len(text.encode()) <= _MAX_TAG:
            raise BadInput("tag", f"must be 1 to {_MAX_TAG} bytes of text")
        cursor = None
        if cursor_text:
            if not re.fullmatch(r"[0-9]{1,18}", cursor_text):
                raise BadInput("cursor", "must be a whole number")
            cursor = int(cursor_text)
        with _answers(f"tag {text!r}"):
            page = self._node.find_by_tag(text, limit=50, cursor=cursor)
        return TagView(tag=text, ids=tuple(i.hex() for i in page.ids), next_cursor=page.next_cursor)

    def read(self, call: Callable[[NodeClient], T], what: str) -> T:
        """Any other read, with the same error translation."""
        with _answers(what):
            return call(self._node)


@contextmanager
def _answers(what: str) -> Iterator[None]:
    try:
        yield
    except NotFoundError:
        raise PageNotFound(f"the node knows no {what}") from None
    except InvalidRequestError as error:
        raise BadInput(what, str(error)) from None
    except ClientError as error:
        raise Unavailable(f"the node could not be asked for {what}: {error}") from None
