"""An observer of the whole ledger cannot link a call to its customer (issue 13, item 2).

Two customers call one service on a real node, with inputs (and so results) of
different lengths. The observer then reads every message the node has, walking
the tangle from its tips and latest milestone back to genesis, as anyone with the
node's public API can. It finds each call's hold (its payer is public, as a
transfer's is) and what closed it, but:

* no call's id, side key, input or result appears in any message, in any form the
  customers sent or received it;
* the two calls look the same on the ledger but for who paid: the same tag, amount,
  sizes of the sealed request, the release and the result record, so nothing tells
  which customer's call was which job, or what either contained.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from node_server import RunningNode
from services_examples import forecast
from services_support import CLOCK, funded_key, providing

from plaza.clients.errors import NotFoundError
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload, HoldPayload, Message, ReleasePayload
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook, PaidCall
from plaza.services.request import HOLD_TAG_PREFIX, encode_input
from plaza.wallet.holds import hold_id_of

JOBS = ({"place": "Oslo"}, {"place": "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"})


def _whole_ledger(client: NodeClient) -> dict[bytes, Message]:
    """Every message reachable from the tips and the latest milestone, by id (the roots'
    parent, the network's genesis id, is no message)."""
    start = [*client.tips(8), client.latest_milestone().message_id]
    seen: dict[bytes, Message] = {}
    roots: set[bytes] = set()
    queue = deque(start)
    while queue:
        message_id = queue.popleft()
        if message_id in seen or message_id in roots:
            continue
        try:
            message = client.get_message(message_id)
        except NotFoundError:
            roots.add(message_id)
            continue
        seen[message_id] = message
        queue.extend(parent for parent in message.parents if parent not in seen)
    assert len(roots) == 1, "one genesis id, every other parent is a message"
    return seen


def _trail(ledger: dict[bytes, Message], hold: Message) -> dict[str, Any]:
    """What the observer sees of one call, but for its payer: the hold, what closed it,
    and the record the release names."""
    payload = hold.payload
    assert isinstance(payload, HoldPayload)
    hold_id = hold_id_of(hold)
    releases = [
        m.payload
        for m in ledger.values()
        if isinstance(m.payload, ReleasePayload) and m.payload.hold_id == hold_id
    ]
    assert len(releases) == 1
    release = releases[0]
    record = ledger[release.tag].payload
    assert isinstance(record, DataPayload)
    return {
        "payee": payload.payee,
        "amount": payload.amount,
        "tag": payload.tag,
        "request_size": len(payload.data),
        "secret_size": len(release.secret),
        "record_tag_size": len(record.tag),  # each record has its own address
        "record_size": len(record.data),
    }


def test_an_observer_of_the_ledger_cannot_link_a_call_to_its_customer(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    customers: list[SigningKey] = [funded_key(node, client) for _ in JOBS]
    paid: list[PaidCall] = []
    results: list[Any] = []
    with providing(node, tmp_path / "provider", forecast) as provider:
        described = find_service(provider.ledger, "forecast")
        for number, (customer, job) in enumerate(zip(customers, JOBS, strict=True)):
            book = CustomerBook(tmp_path / f"calls-{number}.sqlite3")
            results.append(call(provider.ledger, customer, described, job, clock=CLOCK, book=book))
            paid.append(book.calls()[0])
            book.close()
    assert [result["place"] for result in results] == [job["place"] for job in JOBS]

    ledger = _whole_ledger(client)
    everything = b"".join(message.raw for message in ledger.values())
    for job, result, made in zip(JOBS, results, paid, strict=True):
        for secret in (
            made.call_id,
            made.call_id.hex().encode(),
            made.side_key,
            made.side_key.hex().encode(),
            job["place"].encode(),
            encode_input(job),
            encode_input(result),
        ):
            assert secret not in everything

    holds = [
        message
        for message in ledger.values()
        if isinstance(message.payload, HoldPayload)
        and message.payload.tag.startswith(HOLD_TAG_PREFIX)
    ]
    assert sorted(hold_id_of(h) for h in holds) == sorted(made.hold_id for made in paid)
    first, second = (_trail(ledger, hold) for hold in holds)
    assert first == second  # the same to the byte count, whoever paid for whichever job
    assert {hold.issuer for hold in holds} == {c.public_key.raw for c in customers}
