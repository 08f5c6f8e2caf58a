"""The ledger-access ports over a node's HTTP API and its event stream.

Messages are composed here and their proof of work done here, at the node's
difficulty, so the node spends nothing on them. A message is never issued
before its parents: their issue times are asked of the node once and
remembered (a message never changes).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from plaza.adapters.ledger.local import check_followed_tags
from plaza.clients.node import (
    ApiError,
    ClientError,
    ConfirmationTimeoutError,
    EventStreamReader,
    MessageRejectedError,
    NodeBusyError,
    NodeClient,
    NodeUnreachableError,
    NotFoundError,
    RateLimitedError,
)
from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import choose_parents, compose, compose_carried
from plaza.ledger.errors import (
    ConfirmationTimeout,
    LedgerUnavailable,
    MessageRefused,
    NodeBusy,
    NodeUnreachable,
    NoFaucet,
    RateLimited,
    RequestRefused,
)
from plaza.ledger.holds import HoldRecord
from plaza.ledger.model import DataPayload, IssuedPayload, Message, MessageMetadata
from plaza.ledger.ports import Clock, ConfirmedBalance, FaucetGrant, Movement
from plaza.ledger.pow import Blake2bWork, NoWork, ProofOfWork

__all__ = ["RemoteLedger", "client_errors"]

#: Parents' issue times remembered; past this many the memory starts afresh.
_REMEMBERED_TIMES = 4096


@contextmanager
def client_errors(where: str) -> Iterator[None]:
    """What :class:`NodeClient` raises as the ports' :class:`LedgerAccessError` family."""
    try:
        yield
    except ConfirmationTimeoutError:
        raise  # only a wait raises it, and the wait says which message
    except NodeUnreachableError as error:
        raise NodeUnreachable(where, "connection failed or timed out") from error
    except RateLimitedError as error:
        raise RateLimited(error.message, error.retry_after) from error
    except NodeBusyError as error:
        raise NodeBusy(error.message, error.retry_after) from error
    except MessageRejectedError as error:
        raise MessageRefused(error.code, error.message) from error
    except ApiError as error:
        if error.code == "faucet_unavailable":
            raise NoFaucet() from error
        raise RequestRefused(error.code, error.message) from error
    except ClientError as error:  # an answer this API never gives, a broken stream
        raise LedgerUnavailable(f"{where}: {error}") from error


class RemoteLedger:
    """A node reached over HTTP. The caller owns (and closes) the client.

    ``clock`` gives issue times; it should agree with the node's clock, which
    refuses messages more than 30 s ahead of it. ``follow_timeout`` bounds the
    wait for the next event or keepalive of a followed stream.

    ``tips_max_age_ms`` (0: off) lets a writer sending many messages in a row
    (the market's twin publisher) skip the node's ``/tips`` round trip, half of
    what each message costs over HTTP: tips asked at most that long ago are used
    again, with the last message this ledger submitted put first among the
    parents, so each new message approves the one before and a milestone
    reaching the latest confirms them all. Only a submitted message is named,
    never one the node might not have, and only one submitted within that age: after
    a quiet spell the last one may be far behind the latest milestone, and a message
    approving it would be born lazy, never to be confirmed.
    """

    def __init__(
        self,
        client: NodeClient,
        *,
        clock: Clock,
        follow_timeout: float = 60.0,
        tips_max_age_ms: int = 0,
    ) -> None:
        self._client = client
        self._clock = clock
        self._follow_timeout = follow_timeout
        self._where = client.base_url
        self._network: tuple[int, ProofOfWork] | None = None
        self._issued: dict[bytes, int] = {}
        self._tips_max_age_ms = tips_max_age_ms
        self._tips: tuple[int, list[bytes]] | None = None
        self._last_submitted: tuple[bytes, int] | None = None  # its id, when it was sent

    # -- read --------------------------------------------------------------------------------

    def message(self, message_id: bytes) -> Message | None:
        with client_errors(self._where):
            try:
                return self._client.get_message(message_id)
            except NotFoundError:
                return None

    def find_by_tag(self, tag: bytes, *, limit: int = 100) -> Sequence[bytes]:
        with client_errors(self._where):
            return self._client.find_by_tag(tag, limit=limit).ids

    def history(self, address: Address, *, limit: int) -> list[Movement]:
        with client_errors(self._where):
            items = self._client.history(address, limit=limit)
        return [
            Movement(
                item.message_id,
                address,
                item.delta,
                item.issued_at_ms,
                item.milestone_index,
                item.state,
                item.conflict,
            )
            for item in items
        ]

    def balance(self, address: Address) -> ConfirmedBalance:
        with client_errors(self._where):
            reply = self._client.balance(address)
        return ConfirmedBalance(address, reply.balance, reply.milestone_index)

    def metadata(self, message_id: bytes) -> MessageMetadata | None:
        with client_errors(self._where):
            try:
                return self._client.metadata(message_id)
            except NotFoundError:
                return None

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        with client_errors(self._where):
            try:
                return self._client.hold(hold_id)
            except NotFoundError:
                return None

    def wait_for_confirmation(self, message_id: bytes, *, timeout_s: float) -> MessageMetadata:
        try:
            with client_errors(self._where):
                return self._client.wait_for_confirmation(message_id, timeout=timeout_s)
        except ConfirmationTimeoutError:
            raise ConfirmationTimeout(message_id, timeout_s) from None

    def ledger_time_ms(self) -> int:
        with client_errors(self._where):
            return self._client.latest_milestone().timestamp_ms

    # -- compose and submit ------------------------------------------------------------------

    def compose(
        self,
        signer: SigningKey,
        payload: IssuedPayload,
        *,
        first_parents: Sequence[bytes] = (),
        not_before_ms: int = 0,
    ) -> Message:
        with client_errors(self._where):
            network_id, work = self._network_parameters()
            parents = choose_parents(first_parents, self._current_tips())
            times = [self._issued_at(parent) for parent in parents]
            message = compose(
                signer,
                network_id=network_id,
                parents=parents,
                payload=payload,
                issued_at_ms=max(self._clock.now_ms(), not_before_ms, *times),
                work=work,
            )
        self._remember(message.id, message.issued_at_ms)
        return message

    def compose_carried(self, signer: SigningKey, payload: DataPayload) -> Message:
        """A carried message, to travel in a carrier: signed, issued now, no work."""
        with client_errors(self._where):
            network_id, _ = self._network_parameters()
        return compose_carried(
            signer, network_id=network_id, payload=payload, issued_at_ms=self._clock.now_ms()
        )

    def _current_tips(self) -> list[bytes]:
        if self._tips_max_age_ms <= 0:
            return self._client.tips()
        now, cached = self._clock.now_ms(), self._tips
        if cached is None or now - cached[0] > self._tips_max_age_ms:
            cached = self._tips = (now, self._client.tips())
        last = self._last_submitted
        if last is None or now - last[1] > self._tips_max_age_ms:
            return cached[1]
        return [last[0], *cached[1]]

    def _network_parameters(self) -> tuple[int, ProofOfWork]:
        """Network id and proof of work, asked once: a running node never changes them."""
        if self._network is None:
            info = self._client.info()
            difficulty = info.pow_difficulty
            self._network = (info.network_id, Blake2bWork(difficulty) if difficulty else NoWork())
        return self._network

    def _issued_at(self, message_id: bytes) -> int:
        known = self._issued.get(message_id)
        if known is None:
            try:
                known = self._client.get_message(message_id).issued_at_ms
            except NotFoundError:  # the genesis is no stored message
                known = 0
            self._remember(message_id, known)
        return known

    def _remember(self, message_id: bytes, issued_at_ms: int) -> None:
        if len(self._issued) >= _REMEMBERED_TIMES:
            self._issued.clear()
        self._issued[message_id] = issued_at_ms

    def submit(self, raw: bytes) -> bytes:
        with client_errors(self._where):
            message_id = self._client.submit(raw).id
        if self._tips_max_age_ms > 0:
            self._last_submitted = (message_id, self._clock.now_ms())
        return message_id

    # -- follow and the faucet ---------------------------------------------------------------

    def follow(self, tags: Collection[bytes]) -> _RemoteFeed:
        check_followed_tags(tags)
        with client_errors(self._where):
            stream = self._client.events(
                kinds=["message"], tags=list(tags), read_timeout=self._follow_timeout
            )
        return _RemoteFeed(stream)

    def request_faucet(self, address: Address) -> FaucetGrant:
        with client_errors(self._where):
            grant = self._client.faucet(address)
        return FaucetGrant(grant.message_id, grant.address, grant.amount)


class _RemoteFeed:
    """Message ids from a node's SSE stream, read in the caller's thread."""

    def __init__(self, stream: EventStreamReader) -> None:
        self._stream = stream

    def __iter__(self) -> _RemoteFeed:
        return self

    def __next__(self) -> bytes:
        while True:
            try:
                event = next(self._stream)
            except StopIteration:
                raise LedgerUnavailable("the node ended the event stream") from None
            except ClientError as error:
                raise LedgerUnavailable(f"event stream: {error}") from error
            if event.kind == "message" and event.message_id is not None:
                return event.message_id

    def close(self) -> None:
        self._stream.close()
