"""A synchronous client of a node's HTTP API (``/api/v1``).

It returns the ledger's own values where they exist (a message is fetched as
raw bytes and decoded here, so the client checks its id instead of trusting
the node's JSON), and turns every error answer into an :class:`ApiError`
subclass carrying the node's stable ``code``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from plaza.clients.errors import (
    ClientError,
    ConfirmationTimeoutError,
    NodeUnreachableError,
    UnexpectedResponseError,
    api_error,
)
from plaza.clients.node.events import EventStreamReader
from plaza.clients.node.models import (
    Balance,
    FaucetGrant,
    HistoryItem,
    NodeInfo,
    SubmitResult,
    parse_balance,
    parse_faucet_grant,
    parse_history,
    parse_hold,
    parse_ids,
    parse_info,
    parse_metadata,
    parse_milestone,
    parse_page,
    parse_submit,
)
from plaza.clock import SystemClock
from plaza.crypto import Address, SigningKey
from plaza.ledger.codec import decode_message
from plaza.ledger.compose import compose
from plaza.ledger.errors import MessageRejected
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import Message, MessageMetadata, MilestoneRecord, Payload
from plaza.ledger.ports import Page
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork

__all__ = ["API_PREFIX", "MessageId", "NodeClient"]

API_PREFIX = "/api/v1"

#: An id as bytes, or as the hex text the API prints.
MessageId = bytes | str

T = TypeVar("T")

_MAX_POLL_INTERVAL_S = 1.0


def _id_segment(message_id: MessageId) -> str:
    """A path segment the node validates; quoted so no id can reach another route."""
    text = message_id.hex() if isinstance(message_id, bytes) else message_id
    return quote(text, safe="")


def _address_segment(address: Address | str) -> str:
    return quote(str(address), safe="")


_WALL_CLOCK = SystemClock()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def _error_from(response: httpx.Response) -> ClientError:
    """The node's ``{"error": {...}}`` body as an exception; other bodies keep their status."""
    try:
        detail = response.json()["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.text[:200]
    return api_error(response.status_code, code, message, _retry_after(response))


class NodeClient:
    """Talks to one node; use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self._network: tuple[int, int] | None = None  # (network id, pow difficulty)

    @property
    def base_url(self) -> str:
        """The node's URL, as given (without a trailing slash)."""
        return str(self._http.base_url).rstrip("/")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            response = self._http.send(request, stream=stream)
        except httpx.TransportError as error:
            raise NodeUnreachableError(f"{request.method} {request.url}: {error!r}") from error
        if response.is_success:
            return response
        try:
            response.read()
        finally:
            response.close()
        raise _error_from(response)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._send(self._http.build_request(method, API_PREFIX + path, **kwargs))

    def _get(self, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        response = self._request("GET", path, **kwargs)
        try:
            return parse(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise UnexpectedResponseError(f"GET {path}: {error!r}") from error

    # -- writing -------------------------------------------------------------------------

    def submit(self, message_or_raw: Message | bytes, *, pow: bool = False) -> SubmitResult:
        """Submit canonical bytes; with ``pow`` the node redoes the proof of work (new id)."""
        raw = message_or_raw.raw if isinstance(message_or_raw, Message) else message_or_raw
        response = self._request(
            "POST",
            "/messages",
            content=raw,
            params={"pow": "true"} if pow else None,
            headers={"content-type": "application/octet-stream"},
        )
        try:
            return parse_submit(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise UnexpectedResponseError(f"POST /messages: {error!r}") from error

    def compose_and_submit(
        self,
        signer: SigningKey,
        payload: Payload,
        *,
        pow: bool = False,
        issued_at_ms: int | None = None,
    ) -> SubmitResult:
        """Build a message on the node's tips and submit it.

        Without ``pow`` the work is done here at the node's difficulty; with it
        the nonce is left unsolved and the node does the work. ``issued_at_ms``
        defaults to this machine's clock, which must not lag the node's by more
        than the time since the tips were issued.
        """
        network_id, difficulty = self._network_parameters()
        work: ProofOfWork = NoWork() if pow or not difficulty else Blake2bWork(difficulty)
        message = compose(
            signer,
            network_id=network_id,
            parents=self.tips(),
            payload=payload,
            issued_at_ms=_WALL_CLOCK.now_ms() if issued_at_ms is None else issued_at_ms,
            work=work,
        )
        return self.submit(message, pow=pow)

    def _network_parameters(self) -> tuple[int, int]:
        """Network id and difficulty, fetched once: a running node never changes them."""
        if self._network is None:
            info = self.info()
            self._network = (info.network_id, info.pow_difficulty)
        return self._network

    def faucet(self, address: Address | str) -> FaucetGrant:
        """Ask a devnet node's faucet to fund ``address`` (rate limited per address and client)."""
        response = self._request("POST", "/faucet", json={"address": str(address)})
        try:
            return parse_faucet_grant(response.json())
        except (ValueError, KeyError, TypeError) as error:
            raise UnexpectedResponseError(f"POST /faucet: {error!r}") from error

    # -- messages ------------------------------------------------------------------------

    def get_message(self, message_id: MessageId) -> Message:
        """The message, decoded from its raw bytes and checked to have the asked-for id."""
        response = self._request("GET", f"/messages/{_id_segment(message_id)}/raw")
        try:
            message = decode_message(response.content)
        except MessageRejected as error:
            raise UnexpectedResponseError(f"the node sent undecodable bytes: {error}") from error
        wanted = message_id.hex() if isinstance(message_id, bytes) else message_id.lower()
        if message.id.hex() != wanted:
            raise UnexpectedResponseError(f"asked for {wanted}, got {message.id.hex()}")
        return message

    def metadata(self, message_id: MessageId) -> MessageMetadata:
        return self._get(f"/messages/{_id_segment(message_id)}/metadata", parse_metadata)

    def children(self, message_id: MessageId, *, limit: int = 100) -> list[bytes]:
        path = f"/messages/{_id_segment(message_id)}/children"
        return self._get(path, lambda body: parse_ids(body["ids"]), params={"limit": limit})

    def find_by_tag(self, tag: bytes | str, *, limit: int = 100, cursor: int | None = None) -> Page:
        """Ids of messages with ``tag`` (text, or bytes sent as hex), newest first."""
        key = {"tag_hex": tag.hex()} if isinstance(tag, bytes) else {"tag": tag}
        return self._get("/messages", parse_page, params=_page_params(key, limit, cursor))

    def find_by_address(
        self, address: Address | str, *, limit: int = 100, cursor: int | None = None
    ) -> Page:
        """Ids of transfers paying from or to ``address``, newest first."""
        key = {"address": str(address)}
        return self._get("/messages", parse_page, params=_page_params(key, limit, cursor))

    def wait_for_confirmation(
        self, message_id: MessageId, timeout: float = 30.0, *, poll_interval: float = 0.05
    ) -> MessageMetadata:
        """Poll until a milestone confirms the message (applied or conflicting).

        Polling, backing off to one second, rather than the event stream: a
        confirmation that lands before a subscription opens would be missed.
        """
        deadline = time.monotonic() + timeout
        delay = poll_interval
        while True:
            metadata = self.metadata(message_id)
            if metadata.milestone_index is not None:
                return metadata
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmationTimeoutError(f"not confirmed within {timeout} s")
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL_INTERVAL_S)

    # -- ledger --------------------------------------------------------------------------

    def tips(self, count: int = 4) -> list[bytes]:
        return self._get("/tips", lambda body: parse_ids(body["tips"]), params={"count": count})

    def milestone(self, index: int) -> MilestoneRecord:
        return self._get(f"/milestones/{int(index)}", parse_milestone)

    def latest_milestone(self) -> MilestoneRecord:
        return self._get("/milestones/latest", parse_milestone)

    def balance(self, address: Address | str) -> Balance:
        return self._get(f"/addresses/{_address_segment(address)}/balance", parse_balance)

    def history(
        self, address: Address | str, *, limit: int = 100, offset: int = 0
    ) -> list[HistoryItem]:
        path = f"/addresses/{_address_segment(address)}/history"
        return self._get(path, parse_history, params={"limit": limit, "offset": offset})

    # -- node ----------------------------------------------------------------------------

    def hold(self, hold_id: bytes | str) -> HoldRecord:
        """A held payment, open or closed (``GET /holds/{id}``); NotFoundError if unknown."""
        return self._get(f"/holds/{_id_segment(hold_id)}", parse_hold)

    def info(self) -> NodeInfo:
        return self._get("/info", parse_info)

    def health(self) -> bool:
        """Whether the node answers its liveness check; never raises."""
        try:
            return self._http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def events(
        self,
        *,
        kinds: Iterable[str] | str | None = None,
        tag: bytes | str | None = None,
        tags: Iterable[bytes] | None = None,
        address: Address | str | None = None,
        read_timeout: float | None = 60.0,
    ) -> EventStreamReader:
        """Open the live event stream; the node is subscribed when this returns.

        ``kinds`` is any of message, confirmed, milestone (all by default);
        ``tag`` follows one tag, ``tags`` any of up to 64.
        ``read_timeout`` bounds the wait for the next event or keepalive (the
        node sends one every 15 s), so a dead connection is noticed; ``None``
        waits forever.
        """
        params: dict[str, str] = {}
        if kinds is not None:
            params["kinds"] = kinds if isinstance(kinds, str) else ",".join(kinds)
        if isinstance(tag, bytes):
            params["tag_hex"] = tag.hex()
        elif tag is not None:
            params["tag"] = tag
        if tags is not None:
            params["tags_hex"] = ",".join(sorted(t.hex() for t in tags))
        if address is not None:
            params["address"] = str(address)
        request = self._http.build_request(
            "GET",
            API_PREFIX + "/events",
            params=params,
            headers={"accept": "text/event-stream"},
            timeout=httpx.Timeout(self._timeout, read=read_timeout),
        )
        return EventStreamReader(self._send(request, stream=True))


def _page_params(key: Mapping[str, str], limit: int, cursor: int | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {**key, "limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    return params
