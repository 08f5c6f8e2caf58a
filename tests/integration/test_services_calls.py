"""Pay-per-call services end to end over a real node's HTTP API and the provider's own.

The provider agent runs in this process (``services_support.providing``); the
customer pays with :func:`plaza.services.customer.call` through the remote ledger
adapter. The node issues a milestone every 0.2 s.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from node_helpers import address_of
from node_server import RunningNode
from services_examples import forecast
from services_support import CLOCK, FUNDS, eventually, funded_key, providing
from typer.testing import CliRunner

from plaza.cli.main import app
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload, HoldPayload, ReleasePayload
from plaza.services import CallRefunded, CallRefused, CallTimedOut
from plaza.services.calls import ProviderState
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook


@pytest.fixture
def customer(node: RunningNode, client: NodeClient) -> SigningKey:
    return funded_key(node, client)


def test_a_paid_call_returns_its_result_and_pays_the_provider_once(
    node: RunningNode, client: NodeClient, customer: SigningKey, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast) as provider:
        described = find_service(provider.ledger, "forecast")
        assert described.pay_to == str(provider.agent.address)
        book = CustomerBook(tmp_path / "calls.sqlite3")
        call_id = bytes(range(16))
        result = call(
            provider.ledger,
            customer,
            described,
            {"place": "Torino"},
            clock=CLOCK,
            book=book,
            call_id=call_id,
        )
        assert result == {"place": "Torino", "forecast": "sun", "max_c": 21}
        again = call(
            provider.ledger,
            customer,
            described,
            {"place": "Torino"},
            clock=CLOCK,
            book=book,
            call_id=call_id,
        )
        assert again == result
        paid = book.require(call_id)
        assert client.balance(address_of(customer)).balance == FUNDS - 25
        assert client.balance(provider.agent.address).balance == 25
        eventually(lambda: provider.agent.book.counts() == {ProviderState.PAID.value: 1})
        assert provider.agent.book.revenue() == 25
        # What the ledger shows of the call: no call id, no input, no service name.
        hold = client.get_message(paid.hold_message_id).payload
        assert isinstance(hold, HoldPayload)
        for secret in (call_id, b"Torino", b"forecast", paid.side_key):
            assert secret not in hold.data
        assert hold.tag == b"plaza-call" + provider.agent.address.raw
        # The release shows the secret and the result record; neither opens the result.
        record = client.hold(paid.hold_id)
        assert record.closed_by is not None
        closing = client.get_message(record.closed_by)
        release = closing.payload
        assert isinstance(release, ReleasePayload)
        assert closing.parents[0] == release.tag  # no milestone confirms it without the result
        result = client.get_message(release.tag).payload
        assert isinstance(result, DataPayload)
        for secret in (call_id, b"Torino", b"sun", paid.side_key):
            assert secret not in result.data
            assert secret not in release.secret + release.tag


def test_a_failing_job_refunds_the_customer_with_the_providers_reason(
    node: RunningNode, client: NodeClient, customer: SigningKey, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast) as provider:
        described = find_service(provider.ledger, "forecast")
        call_id, job = secrets.token_bytes(16), {"place": "Atlantis"}
        for _ in range(2):  # the second is the first's outcome again, with no new hold
            with pytest.raises(CallRefunded, match="no forecast for Atlantis"):
                call(provider.ledger, customer, described, job, clock=CLOCK, call_id=call_id)
        assert client.balance(address_of(customer)).balance == FUNDS
        eventually(lambda: provider.agent.book.counts() == {ProviderState.REFUNDED.value: 1})
        assert len(provider.agent.book.calls_for(call_id)) == 1


def test_a_provider_that_never_answers_leaves_the_customer_refunded_at_the_deadline(
    node: RunningNode, client: NodeClient, customer: SigningKey, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast, run=False, allowance_ms=500) as provider:
        described = provider.agent.description
        with pytest.raises(CallTimedOut, match="no result came by the deadline"):
            call(provider.ledger, customer, described, {"place": "Torino"}, clock=CLOCK)
        assert client.balance(address_of(customer)).balance == FUNDS


def test_a_retired_service_and_oversized_input_are_refused_before_paying(
    node: RunningNode, client: NodeClient, customer: SigningKey, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast, run=False) as provider:
        described = provider.agent.description
        with pytest.raises(CallRefused, match="does not fit the service's schema: input lacks"):
            call(provider.ledger, customer, described, {"town": "Torino"}, clock=CLOCK)
        with pytest.raises(CallRefused, match="over 4096 bytes"):
            call(provider.ledger, customer, described, {"place": "x" * 5000}, clock=CLOCK)
        provider.agent.retire()
        with pytest.raises(CallRefused, match="is retired"):
            call(provider.ledger, customer, described, {"place": "Torino"}, clock=CLOCK)
        with pytest.raises(CallRefused, match="is retired"):
            find_service(provider.ledger, "forecast")
        assert client.balance(address_of(customer)).balance == FUNDS


def test_the_quote_api_answers_one_quote_per_call_and_says_what_is_wrong(
    node: RunningNode, tmp_path: Path
) -> None:
    with providing(node, tmp_path / "provider", forecast, run=False) as provider:
        url = provider.agent.description.endpoint
        call_id = "ab" * 16
        first = httpx.post(f"{url}/quotes", json={"call_id": call_id}).json()
        assert httpx.post(f"{url}/quotes", json={"call_id": call_id}).json() == first
        assert httpx.get(f"{url}/service").json() == provider.agent.description.to_json()
        assert httpx.get(f"{url}/calls/{call_id}").json() == {"call_id": call_id, "calls": []}
        for body, says in [
            (b"nope", 'the body must be JSON: {"call_id": "..."}'),
            (b'{"call_id": "zz"}', "call_id must be 32 hex digits"),
            (b"x" * 2000, "the body is too large"),
        ]:
            refused = httpx.post(f"{url}/quotes", content=body)
            assert refused.status_code == 400
            assert refused.json()["error"] == {"code": "invalid_request", "message": says}
        missing = httpx.get(f"{url}/calls/{'cd' * 16}")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
        provider.agent.retire()
        retired = httpx.post(f"{url}/quotes", json={"call_id": "ef" * 16})
        assert (retired.status_code, retired.json()["error"]["code"]) == (410, "retired")
        # A call quoted before the service retired keeps its quote.
        assert httpx.post(f"{url}/quotes", json={"call_id": call_id}).json() == first


def test_the_call_command_refuses_bad_input_before_touching_anything(tmp_path: Path) -> None:
    runner = CliRunner()
    common = ["--node", "http://127.0.0.1:9", "--calls", str(tmp_path / "calls")]
    bad_json = runner.invoke(app, ["service", "call", "forecast", "{nope", *common])
    assert bad_json.exit_code == 2
    assert "the input is not JSON" in bad_json.output
    bad_id = runner.invoke(app, ["service", "call", "forecast", "{}", "--call-id", "zz", *common])
    assert bad_id.exit_code == 2
    assert "a call id is 32 hex digits" in bad_id.output
    assert not (tmp_path / "calls").exists()
