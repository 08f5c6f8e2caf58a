"""The customer's side of a call: find the service, get a quote, hold, wait, decrypt.

:func:`call` pays for one call and returns its result, or raises one clear error:
:class:`CallRefused` (nothing was paid: the provider did not quote, the service is
retired, the input is too large, the quote is not acceptable, the hold did not
apply), :class:`CallRefunded` (the job failed; the provider's reason, which only
this customer can read) or :class:`CallTimedOut` (no result by the deadline; the
ledger refunded the hold). A call is idempotent by its call id: the hold is saved
in the :class:`CustomerBook` before it is submitted, and calling again with the
same id waits for that hold instead of paying twice.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

from plaza.channels import find_announcements
from plaza.clock import Clock
from plaza.crypto import Address, SigningKey
from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.ledger.model import ConfirmationState
from plaza.ledger.ports import Composer, LedgerReader, MilestoneWaiter, Submitter
from plaza.services.calls import CustomerState
from plaza.services.customer_book import CustomerBook, PaidCall
from plaza.services.description import SERVICES_TAG, ServiceDescription
from plaza.services.errors import (
    CallFailed,
    CallRefunded,
    CallRefused,
    CallTimedOut,
    InvalidDescription,
    InvalidQuote,
)
from plaza.services.quote import Quote
from plaza.services.request import CallRequest, encode_input, hold_tag
from plaza.services.results import read_reason, read_result
from plaza.services.schema import schema_problem
from plaza.services.sealing import CALL_ID_SIZE, KEY_SIZE
from plaza.wallet.holds import compose_hold

__all__ = ["MAX_ALLOWANCE_MS", "CustomerLedger", "call", "find_service", "request_quote"]

#: The longest a quote's deadline may exceed the service's time to result.
MAX_ALLOWANCE_MS = 60_000

#: Following milestones, the longest a customer waits before asking for its hold anyway.
_RECHECK_S = 2.0


class CustomerLedger(LedgerReader, Composer, Submitter, Protocol):
    """The ledger as a customer uses it: read holds and messages, compose and submit."""


_BOOK_LOCK = threading.Lock()
_BOOK: list[CustomerBook] = []


def _process_book() -> CustomerBook:
    """The book of calls made without one: in memory, shared by the process's calls, so a
    call id is idempotent at least for as long as the process lives."""
    with _BOOK_LOCK:
        if not _BOOK:
            _BOOK.append(CustomerBook(None))
        return _BOOK[0]


def find_service(ledger: LedgerReader, name: str, *, limit: int = 500) -> ServiceDescription:
    """The latest description of service ``name`` announced by the owner of its pay_to
    address; :class:`CallRefused` if none is, or if it is retired."""
    for announcement in find_announcements(ledger, directory=SERVICES_TAG, limit=limit):
        fields = dict(announcement.descriptor.fields)
        if fields.get("service") != name:
            continue
        try:
            found = ServiceDescription.from_descriptor_fields(fields)
        except InvalidDescription:
            continue
        if found.pay_to != str(Address.from_public_key(announcement.owner.raw)):
            continue  # announced by someone who is not paid by it
        if found.retired:
            raise CallRefused(bytes(CALL_ID_SIZE), f"the service {name} is retired")
        return found
    raise CallRefused(bytes(CALL_ID_SIZE), f"no service called {name} is announced")


def request_quote(
    http: httpx.Client, service: ServiceDescription, call_id: bytes, *, now_ms: int
) -> Quote:
    """The provider's quote for ``call_id``, checked; :class:`CallRefused` if there is none
    or it is not one to pay."""
    try:
        response = http.post(f"{service.endpoint}/quotes", json={"call_id": call_id.hex()})
    except httpx.HTTPError as error:
        raise CallRefused(call_id, f"the provider did not answer: {error}") from None
    if response.status_code != 200:
        raise CallRefused(call_id, f"the provider refused: {_message(response)}")
    try:
        quote = Quote.from_json(response.json()).verify(
            call_id=call_id, service=service.name, price=service.price, pay_to=service.pay_to
        )
    except (InvalidQuote, ValueError) as error:
        raise CallRefused(call_id, str(error)) from None
    latest = now_ms + service.time_to_result_ms + MAX_ALLOWANCE_MS
    if not now_ms < quote.deadline_ms <= latest:
        raise CallRefused(call_id, "the quote's deadline has passed or is too far away")
    return quote


def _with_schemas(http: httpx.Client, service: ServiceDescription) -> ServiceDescription:
    """``service`` with its schemas: an announcement carries none, so they are asked of the
    provider, and used only if the rest of what it answers is what was announced."""
    if service.input_schema:
        return service
    try:
        full = ServiceDescription.from_json(http.get(f"{service.endpoint}/service").json())
    except (httpx.HTTPError, ValueError, InvalidDescription):
        return service
    announced = replace(full, description="", input_schema={}, output_schema={})
    return full if announced == service else service


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def call(
    ledger: CustomerLedger,
    payer: SigningKey,
    service: ServiceDescription,
    job: Any,
    *,
    clock: Clock,
    book: CustomerBook | None = None,
    call_id: bytes | None = None,
    http: httpx.Client | None = None,
    poll_s: float = 0.1,
    grace_s: float = 30.0,
    milestones: MilestoneWaiter | None = None,
) -> Any:
    """Pay ``service`` for one call on ``job`` from ``payer``'s address and return its
    result; see the module for the errors. ``grace_s`` is how long past the deadline to
    wait for the ledger to show the hold closed.

    A hold closes only at a milestone: with ``milestones`` the customer asks for its
    hold once after each (at least every few seconds), else every ``poll_s``."""
    book = book if book is not None else _process_book()
    call_id = call_id if call_id is not None else secrets.token_bytes(CALL_ID_SIZE)
    paid = book.get(call_id)
    if paid is None:
        with _client(http) as client:
            paid = _pay(
                ledger, payer, service, job, call_id=call_id, book=book, http=client, clock=clock
            )
    if paid.state is CustomerState.DONE:
        return paid.result_value()
    if paid.state is CustomerState.REFUNDED:
        raise CallRefunded(call_id, paid.detail)
    if paid.state is CustomerState.EXPIRED:
        raise CallTimedOut(call_id, paid.detail)
    ledger.submit(paid.hold_raw)  # the same bytes: "known" if the node has them
    waiting = _Waiting(poll_s, grace_s, milestones)
    return _wait(ledger, book, paid, waiting, clock=clock)


@contextmanager
def _client(http: httpx.Client | None) -> Iterator[httpx.Client]:
    """``http``, or a client of the call's own, closed after: a customer calling once
    needs none, one calling often passes its own to keep its connections."""
    if http is not None:
        yield http
        return
    with httpx.Client(timeout=10.0) as client:
        yield client


def _pay(
    ledger: CustomerLedger,
    payer: SigningKey,
    service: ServiceDescription,
    job: Any,
    *,
    call_id: bytes,
    book: CustomerBook,
    http: httpx.Client,
    clock: Clock,
) -> PaidCall:
    data = encode_input(job)
    if len(data) > service.max_input_bytes:
        raise CallRefused(call_id, f"the input is over {service.max_input_bytes} bytes")
    problem = schema_problem(job, _with_schemas(http, service).input_schema)
    if problem:
        raise CallRefused(call_id, f"the input does not fit the service's schema: {problem}")
    quote = request_quote(http, service, call_id, now_ms=clock.now_ms())
    side_key = secrets.token_bytes(KEY_SIZE)
    request = CallRequest(call_id, side_key, service.name, data)
    held = compose_hold(
        ledger,
        payer,
        service.pay_to,
        quote.price,
        expires_at_ms=quote.deadline_ms,
        hashlock=quote.hashlock,
        tag=hold_tag(service.payment_address().raw),
        data=request.seal(service.public_key()),
    )
    paid = PaidCall(
        call_id,
        service.name,
        side_key,
        held.hold_id,
        held.message.raw,
        quote.deadline_ms,
        CustomerState.HELD,
    )
    return book.save(paid)


@dataclass(frozen=True, slots=True)
class _Waiting:
    """How a call waits for its hold to close: polled, or woken by milestones."""

    poll_s: float
    grace_s: float
    milestones: MilestoneWaiter | None

    def seen(self) -> int | None:
        return None if self.milestones is None else self.milestones.latest

    def pause(self, seen: int | None) -> int | None:
        """Until the next milestone after ``seen`` (or ``poll_s``); the milestone seen then."""
        if self.milestones is None:
            time.sleep(self.poll_s)
            return None
        return self.milestones.wait_past(seen, timeout_s=_RECHECK_S)


def _wait(
    ledger: CustomerLedger, book: CustomerBook, paid: PaidCall, waiting: _Waiting, *, clock: Clock
) -> Any:
    hold_message_id = paid.hold_message_id
    seen = waiting.seen()  # noted before the read: a milestone after it wakes the pause
    while True:
        record = ledger.hold(paid.hold_id)
        if record is not None and record.status is not HoldStatus.OPEN:
            return _closed(ledger, book, paid, record)
        if record is None:
            _check_hold_applied(ledger, paid, hold_message_id)
        if clock.now_ms() > paid.deadline_ms + waiting.grace_s * 1000:
            raise CallTimedOut(paid.call_id, "the ledger shows no end to the hold yet")
        seen = waiting.pause(seen)


def _check_hold_applied(ledger: LedgerReader, paid: PaidCall, message_id: bytes) -> None:
    metadata = ledger.metadata(message_id)
    if metadata is not None and metadata.state is ConfirmationState.CONFLICTING:
        raise CallRefused(paid.call_id, f"the hold did not apply: {metadata.conflict.name.lower()}")


def _closed(ledger: LedgerReader, book: CustomerBook, paid: PaidCall, record: HoldRecord) -> Any:
    failure: CallFailed
    if record.status is HoldStatus.RELEASED:
        result = read_result(ledger, record, paid.call_id, paid.side_key)
        book.finish(paid.call_id, CustomerState.DONE, result=result)
        return book.require(paid.call_id).result_value()
    if record.status is HoldStatus.EXPIRED:
        failure = CallTimedOut(paid.call_id, "no result came by the deadline")
        book.finish(paid.call_id, CustomerState.EXPIRED, detail=failure.reason)
    else:
        reason = read_reason(ledger, record, paid.call_id, paid.side_key)
        failure = CallRefunded(paid.call_id, reason)
        book.finish(paid.call_id, CustomerState.REFUNDED, detail=reason)
    raise failure
