"""The provider's desk: holds to its address in, results out and releases, or refunds.

:meth:`CallDesk.scan` takes every confirmed hold to the provider's address it has
not seen: it opens the sealed request and checks it against the quote of its call
id (hashlock, price, deadline, service, no arbiter, the first hold of that call,
the input within the limit). A match is saved as ``accepted`` *before* its job
starts; anything else is saved as ``refunding`` with its reason. :meth:`advance`
then moves every open call one step (:mod:`plaza.services.calls`): start its job
when a worker is free and the deadline leaves time for it, publish a finished
job's sealed result, release the hold in a message that follows it, settle a refund,
and note how each hold closed. Each step is saved before the next, so a restart
picks up where a kill left off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from plaza.channels import ChannelLedger, Publisher
from plaza.channels.envelope import MAX_CONTENT_SIZE
from plaza.clock import Clock
from plaza.crypto import Address, Identity
from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.ledger.model import ConfirmationState, HoldPayload, Message, MessageMetadata
from plaza.services.calls import ProviderState, may_start
from plaza.services.errors import InvalidCallData
from plaza.services.provider.book import Call, ProviderBook, StoredQuote
from plaza.services.provider.jobs import Jobs, Outcome
from plaza.services.provider.reads import LedgerReads
from plaza.services.provider.sdk import Service
from plaza.services.request import CallRequest, decode_input, hold_tag
from plaza.services.schema import schema_problem
from plaza.services.sealing import (
    RESULT_OVERHEAD,
    locator,
    padded,
    result_key,
    seal_reason,
    seal_result,
    wrap_result_record,
)
from plaza.wallet.holds import compose_release, compose_settle, hold_id_of

__all__ = ["CallDesk"]

log = logging.getLogger(__name__)

_PAGE = 100
#: A refund's reason is cut to this many characters (it rides sealed on the settlement).
_REASON_CHARS = 500
#: The most result (padding included) a record on the provider's public channel carries.
_RESULT_ROOM = MAX_CONTENT_SIZE - RESULT_OVERHEAD
_DEEP = 1000
_CLOSED = {HoldStatus.RELEASED, HoldStatus.SETTLED, HoldStatus.EXPIRED}


@dataclass(frozen=True, slots=True)
class _Parts:
    gateway: ChannelLedger
    identity: Identity
    book: ProviderBook
    publisher: Publisher


class CallDesk:
    """One service's calls; :meth:`step` as often as wanted, from one thread."""

    def __init__(
        self, parts: _Parts, service: Service, *, clock: Clock, margin_ms: int = 1000
    ) -> None:
        self._gateway, self._identity = parts.gateway, parts.identity
        self.book, self._publisher = parts.book, parts.publisher
        self.service, self._clock = service, clock
        self.jobs = Jobs(service)
        self.reads = LedgerReads(parts.gateway)
        self.address = Address.from_public_key(parts.identity.public_key.raw)
        self._seen: set[bytes] = set()
        #: Holds listed but not open yet, kept so each is fetched once.
        self._pending: dict[bytes, Message] = {}
        #: The latest milestone's time at the last step: holds change only at milestones.
        self._milestone_ms = -1
        #: What a job's result and release need after it, to confirm before the deadline.
        self.margin_ms = margin_ms

    @classmethod
    def of(
        cls,
        gateway: ChannelLedger,
        identity: Identity,
        book: ProviderBook,
        publisher: Publisher,
        service: Service,
        *,
        clock: Clock,
        margin_ms: int,
    ) -> CallDesk:
        parts = _Parts(gateway, identity, book, publisher)
        return cls(parts, service, clock=clock, margin_ms=margin_ms)

    def close(self) -> None:
        self.jobs.close()
        self.reads.close()

    def step(self) -> None:
        """Take the holds confirmed since the last step, then move every open call.

        A hold opens, closes or expires only when a milestone confirms something, so
        what the ledger says of holds already asked about is asked again only once a
        new milestone has come: between milestones a step costs the node two requests
        (the milestone, the holds' tag) and whatever new holds and results need."""
        milestone_ms = self._gateway.ledger_time_ms()
        fresh = milestone_ms != self._milestone_ms
        self._milestone_ms = milestone_ms
        self.scan(recheck=fresh)
        self.advance(recheck=fresh)

    # -- taking holds --------------------------------------------------------------------

    def scan(self, *, recheck: bool = True) -> list[Call]:
        """Take the confirmed holds to this provider not taken yet, oldest first; holds
        known not to be open yet are asked about again only when ``recheck``. The node
        is asked about them all side by side, then each is dealt with in order."""
        tag = hold_tag(self.address.raw)
        found = self._gateway.find_by_tag(tag, limit=_PAGE)
        if len(found) == _PAGE and found[-1] not in self._seen:
            found = self._gateway.find_by_tag(tag, limit=_DEEP)
        wanted = [
            message_id
            for message_id in reversed(found)
            if message_id not in self._seen and (recheck or message_id not in self._pending)
        ]
        messages = self._messages(wanted)
        holds = [m for m in messages.values() if m and isinstance(m.payload, HoldPayload)]
        records = self.reads.holds([hold_id_of(m) for m in holds])
        unapplied = [m.id for m in holds if records[hold_id_of(m)] is None]
        states = self.reads.metadata(unapplied)
        taken = []
        for message_id in wanted:
            call = self._consider(message_id, messages[message_id], records, states)
            if call is not None:
                taken.append(call)
        listed = set(found)  # what left the window is never listed again
        self._seen &= listed
        self._pending = {key: m for key, m in self._pending.items() if key in listed}
        return taken

    def _messages(self, ids: list[bytes]) -> dict[bytes, Message | None]:
        """The messages of ``ids``: those known from an earlier scan, the others asked."""
        fetched = self.reads.messages([i for i in ids if i not in self._pending])
        return {i: self._pending.get(i) or fetched.get(i) for i in ids}

    def _consider(
        self,
        message_id: bytes,
        message: Message | None,
        records: dict[bytes, HoldRecord | None],
        states: dict[bytes, MessageMetadata | None],
    ) -> Call | None:
        """Take the hold of ``message_id`` once it is open on the ledger; remember it as seen
        once there is nothing more to do with it (taken, closed or never applied)."""
        payload = None if message is None else message.payload
        if message is None or not isinstance(payload, HoldPayload):
            self._seen.add(message_id)
            self._pending.pop(message_id, None)
            return None
        self._pending[message_id] = message
        record = records.get(hold_id_of(message))
        if record is None:
            metadata = states.get(message_id)
            if metadata is not None and metadata.state is ConfirmationState.CONFLICTING:
                self._seen.add(message_id)  # it never held anything
                del self._pending[message_id]
            return None
        self._seen.add(message_id)
        del self._pending[message_id]
        return self._take(message) if record.status is HoldStatus.OPEN else None

    def _take(self, message: Message) -> Call | None:
        payload = message.payload
        if not isinstance(payload, HoldPayload) or payload.payee != self.address.raw:
            return None
        hold_id = hold_id_of(message)
        if self.book.call(hold_id) is not None:
            return None
        now = self._clock.now_ms()
        try:
            request = CallRequest.open(self._identity.encryption, payload.data)
        except InvalidCallData as error:
            return self._refuse(_call_of(hold_id, payload, None, now), error.reason)
        call = _call_of(hold_id, payload, request, now)
        problem = self._mismatch(payload, request)
        if problem:
            return self._refuse(call, problem)
        self.book.take(call)
        log.info("accepted call %s (hold %s)", request.call_id.hex(), hold_id.hex())
        return call

    def _mismatch(self, hold: HoldPayload, request: CallRequest) -> str:
        """Why the hold does not pay for a call this provider quoted, or ''."""
        quote = self.book.quote(request.call_id)
        if quote is None or quote.service != request.service:
            return f"no quote for call {request.call_id.hex()} of {request.service!r}"
        if self.book.calls_for(request.call_id):
            return "this call is paid by an earlier hold already"
        if (hold.hashlock, hold.amount, hold.expires_at_ms) != (
            quote.hashlock,
            quote.price,
            quote.deadline_ms,
        ) or hold.arbiter:
            return "the hold does not match the quote (hashlock, price, deadline, no arbiter)"
        if len(request.input) > self.service.max_input_bytes:
            return f"the input is over {self.service.max_input_bytes} bytes"
        return ""

    def _refuse(self, call: Call, reason: str) -> Call:
        refusing = Call(
            call.hold_id,
            call.call_id,
            ProviderState.REFUNDING,
            call.amount,
            call.deadline_ms,
            call.side_key,
            None,
            reason,
            None,
            None,
            call.updated_at_ms,
        )
        if self.book.take(refusing):
            log.info("refunding hold %s: %s", call.hold_id.hex(), reason)
        return refusing

    # -- moving calls on ------------------------------------------------------------------

    def advance(self, *, recheck: bool = True) -> None:
        """Move every open call one step; how released holds ended is asked only when
        ``recheck`` (a new milestone came)."""
        for hold_id, outcome in self.jobs.done():
            call = self.book.call(hold_id)
            if call is not None and call.state is ProviderState.ACCEPTED:
                self._finish_job(call, outcome)
        unfinished = self.book.unfinished()
        released = [c.hold_id for c in unfinished if c.state is ProviderState.RELEASED]
        closings = self.reads.holds(released) if recheck else {}
        for call in unfinished:
            self._advance(call, closings)

    def _advance(self, call: Call, closings: dict[bytes, HoldRecord | None]) -> None:
        match call.state:
            case ProviderState.ACCEPTED:
                self._maybe_start(call)
            case ProviderState.PUBLISHED:
                self._release(call)
            case ProviderState.REFUNDING:
                self._settle(call)
            case ProviderState.RELEASED if call.hold_id in closings:
                self._note_closing(call, closings[call.hold_id])
            case _:
                pass

    def _maybe_start(self, call: Call) -> None:
        if self.jobs.running(call.hold_id) or self.jobs.full:
            return
        limit_ms = round(self.service.limit_s * 1000)
        if not may_start(
            self._clock.now_ms(), call.deadline_ms, limit_ms, margin_ms=self.margin_ms
        ):
            self._fail(call, "the provider could not start the job in time")
            return
        assert call.input is not None
        try:
            job = decode_input(call.input)
        except InvalidCallData as error:
            self._fail(call, error.reason)
            return
        problem = schema_problem(job, self.service.input_schema)
        if problem:
            self._fail(call, f"the input does not fit the service's schema: {problem}")
            return
        self.jobs.start(call.hold_id, job)

    def _finish_job(self, call: Call, outcome: Outcome) -> None:
        if outcome.result is None:
            self._fail(call, outcome.failure)
            return
        quote = self._quote(call)
        assert call.side_key is not None
        assert call.call_id is not None
        key = result_key(quote.secret, call.side_key, call.call_id)
        sealed = seal_result(key, call.call_id, padded(outcome.result, limit=_RESULT_ROOM))
        content = wrap_result_record(locator(call.side_key, call.call_id), sealed)
        published = self._publisher.publish(content)
        self.book.move(call, "result", self._clock.now_ms(), result_id=published.message_id)

    def _fail(self, call: Call, reason: str) -> None:
        """Refund ``call``, its reason cut to what a settlement should carry."""
        log.info("call %s failed: %s", call.hold_id.hex(), reason)
        detail = reason[:_REASON_CHARS]
        self._settle(self.book.move(call, "failure", self._clock.now_ms(), detail=detail))

    def _release(self, call: Call) -> None:
        """Release the hold in a message that follows the result record: a milestone that
        confirms the release confirms the record with it (or before), so the customer
        never sees the secret without the ciphertext, and no milestone is waited for
        between the two. Before its deadline only the provider (or the payer, paying in
        full) closes a hold it took open, so the ledger is asked whether it closed only
        once the deadline is near."""
        assert call.result_id is not None
        near = self._clock.now_ms() >= call.deadline_ms - self.margin_ms
        if near and self._closed(call):
            return
        quote = self._quote(call)
        release = compose_release(
            self._gateway,
            self._identity.signing,
            call.hold_id,
            quote.secret,
            tag=call.result_id,
            first_parents=(call.result_id,),
        )
        self._gateway.submit(release.raw)
        self.book.move(call, "release", self._clock.now_ms(), closing_id=release.id)

    def _settle(self, call: Call) -> None:
        if self._closed(call):
            return
        reason = b""
        if call.side_key is not None and call.call_id is not None:
            reason = seal_reason(call.side_key, call.call_id, call.detail)
        settle = compose_settle(
            self._gateway, self._identity.signing, call.hold_id, 0, reason=reason
        )
        self._gateway.submit(settle.raw)
        self.book.move(call, "settle", self._clock.now_ms(), closing_id=settle.id)

    def _note_closing(self, call: Call, record: HoldRecord | None) -> None:
        if record is None:
            return
        if record.status is HoldStatus.RELEASED:
            self.book.move(call, "confirmed", self._clock.now_ms())
        elif record.status in _CLOSED:
            self.book.move(call, "deadline", self._clock.now_ms())

    def _closed(self, call: Call) -> bool:
        """Whether the hold closed already (expired, say): the call ends as expired."""
        record = self._gateway.hold(call.hold_id)
        if record is None or record.status is HoldStatus.OPEN:
            return False
        self.book.move(call, "deadline", self._clock.now_ms())
        return True

    def _quote(self, call: Call) -> StoredQuote:
        assert call.call_id is not None
        quote = self.book.quote(call.call_id)
        assert quote is not None  # a call is accepted only against its quote
        return quote


def _call_of(hold_id: bytes, hold: HoldPayload, request: CallRequest | None, now_ms: int) -> Call:
    """A newly taken call; without its request (it did not open) it knows no call or key."""
    return Call(
        hold_id=hold_id,
        call_id=None if request is None else request.call_id,
        state=ProviderState.ACCEPTED,
        amount=hold.amount,
        deadline_ms=hold.expires_at_ms,
        side_key=None if request is None else request.side_key,
        input=None if request is None else request.input,
        detail="",
        result_id=None,
        closing_id=None,
        updated_at_ms=now_ms,
    )
