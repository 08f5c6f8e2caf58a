"""The provider's side of fairness, over a real node: holds that do not pay for a quoted
call are refunded, a call is paid once, and a provider stopped between accepting a
call and releasing it refunds the call on restart when the deadline leaves no time.

Holds here are composed by hand (what a careless or hostile customer could send),
with the quote the provider's own agent gives.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest
from node_helpers import address_of
from node_server import RunningNode
from services_examples import forecast, slow_forecast
from services_support import CLOCK, FUNDS, Provider, eventually, funded_key, providing

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import Conflict, SettlePayload
from plaza.services import CallFailed, CallRefunded, CallRefused, CallRequest
from plaza.services.calls import ProviderState
from plaza.services.customer import call
from plaza.services.request import hold_tag
from plaza.services.sealing import open_reason
from plaza.wallet.holds import HeldPayment, compose_hold

#: What a hand-made hold changes of its quote's terms: amount, hashlock or data.
Changes = dict[str, int | bytes]


def hold_for(
    provider: Provider,
    payer: SigningKey,
    call_id: bytes,
    side_key: bytes,
    changes: Changes | None = None,
) -> HeldPayment:
    """A hold paying ``provider`` for call ``call_id`` as its quote says, but for ``changes``."""
    agent, changed = provider.agent, changes or {}
    quote = agent.quote(call_id)
    request = CallRequest(call_id, side_key, agent.service.name, b'{"place":"Torino"}')
    return compose_hold(
        provider.ledger,
        payer,
        agent.address,
        int(changed.get("amount", quote.price)),
        expires_at_ms=quote.deadline_ms,
        hashlock=bytes(changed.get("hashlock", quote.hashlock)),
        tag=hold_tag(agent.address.raw),
        data=bytes(changed.get("data", request.seal(agent.identity.encryption.public_key))),
    )


def confirmed(client: NodeClient, held: HeldPayment) -> None:
    client.submit(held.message.raw)
    assert client.wait_for_confirmation(held.message.id, timeout=10).conflict is Conflict.NONE


def refund_reason(client: NodeClient, held: HeldPayment, call_id: bytes, side_key: bytes) -> str:
    eventually(lambda: client.hold(held.hold_id).status is not HoldStatus.OPEN)
    record = client.hold(held.hold_id)
    assert (record.status, record.to_payee) == (HoldStatus.SETTLED, 0)
    assert record.closed_by is not None
    settle = client.get_message(record.closed_by).payload
    assert isinstance(settle, SettlePayload)
    assert b"quote" not in settle.data  # the reason is sealed for the customer
    return open_reason(side_key, call_id, settle.data)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"amount": 24}, "does not match the quote"),
        ({"hashlock": bytes(32)}, "does not match the quote"),
        ({"data": b"not sealed to anyone"}, ""),
    ],
)
def test_a_hold_that_does_not_match_its_quote_is_refunded(
    node: RunningNode,
    client: NodeClient,
    tmp_path: Path,
    changes: Changes,
    says: str,
) -> None:
    payer = funded_key(node, client)
    with providing(node, tmp_path / "provider", forecast) as provider:
        call_id, side_key = secrets.token_bytes(16), secrets.token_bytes(32)
        held = hold_for(provider, payer, call_id, side_key, changes)
        confirmed(client, held)
        if says:
            assert says in refund_reason(client, held, call_id, side_key)
        else:  # a request that does not open: refunded with no reason to seal
            eventually(lambda: client.hold(held.hold_id).status is HoldStatus.SETTLED)
        assert client.balance(address_of(payer)).balance == FUNDS
        assert client.balance(provider.agent.address).balance == 0


def test_an_input_that_does_not_fit_the_schema_is_refunded_not_run(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    payer = funded_key(node, client)
    with providing(node, tmp_path / "provider", forecast) as provider:
        call_id, side_key = secrets.token_bytes(16), secrets.token_bytes(32)
        request = CallRequest(call_id, side_key, "forecast", b'{"town":"Torino"}')
        sealed = request.seal(provider.agent.identity.encryption.public_key)
        held = hold_for(provider, payer, call_id, side_key, {"data": sealed})
        confirmed(client, held)
        reason = refund_reason(client, held, call_id, side_key)
        assert reason == "the input does not fit the service's schema: input lacks 'place'"
        assert client.balance(address_of(payer)).balance == FUNDS


def test_a_second_hold_for_one_call_is_refunded_and_the_call_paid_once(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    payer = funded_key(node, client)
    with providing(node, tmp_path / "provider", forecast) as provider:
        call_id, side_key = secrets.token_bytes(16), secrets.token_bytes(32)
        first = hold_for(provider, payer, call_id, side_key)
        confirmed(client, first)
        second = hold_for(provider, payer, call_id, side_key)
        confirmed(client, second)
        reason = refund_reason(client, second, call_id, side_key)
        assert reason == "this call is paid by an earlier hold already"
        eventually(lambda: client.hold(first.hold_id).status is HoldStatus.RELEASED)
        assert client.balance(address_of(payer)).balance == FUNDS - 25
        assert client.balance(provider.agent.address).balance == 25


def test_a_provider_stopped_mid_call_refunds_it_on_restart_when_time_ran_out(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    payer, data = funded_key(node, client), tmp_path / "provider"
    outcome: dict[str, object] = {}
    with providing(node, data, slow_forecast, allowance_ms=2000) as provider:
        described, call_id = provider.agent.description, secrets.token_bytes(16)

        def customer() -> None:
            with NodeClient(node.url) as own:
                ledger = RemoteLedger(own, clock=CLOCK)
                job = {"place": "Bari", "seconds": 4}
                try:
                    outcome["result"] = call(
                        ledger, payer, described, job, clock=CLOCK, call_id=call_id
                    )
                except CallFailed as error:
                    outcome["error"] = error

        paying = threading.Thread(target=customer)
        paying.start()
        eventually(lambda: provider.agent.book.counts() == {ProviderState.ACCEPTED.value: 1})
        deadline_ms = provider.agent.book.calls_for(call_id)[0].deadline_ms
    # Stopped between acceptance and release; its deadline (6 s + 2 s) passes the point
    # where a 6 s job could still be released (1 s before it) while it is down.
    eventually(lambda: CLOCK.now_ms() > deadline_ms - 6_500, timeout_s=15)
    with providing(node, data, slow_forecast, allowance_ms=2000) as restarted:
        paying.join(timeout=30)
        error = outcome.get("error")
        assert isinstance(error, CallRefunded), outcome
        assert error.reason == "the provider could not start the job in time"
        assert restarted.agent.book.counts() == {ProviderState.REFUNDED.value: 1}
    assert client.balance(address_of(payer)).balance == FUNDS


def test_a_hold_without_the_funds_is_refused(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    refused = pytest.raises(CallRefused, match="the hold did not apply: insufficient_funds")
    with providing(node, tmp_path / "provider", forecast) as provider, refused:
        call(
            provider.ledger,
            SigningKey.generate(),
            provider.agent.description,
            {"place": "Torino"},
            clock=CLOCK,
        )
