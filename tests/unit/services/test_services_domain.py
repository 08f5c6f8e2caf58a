"""The services domain: descriptions, quotes, requests, keys, sealed texts and call states."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import Address, EncryptionKey, Identity, SigningKey
from plaza.services import (
    CallRequest,
    InvalidCallData,
    InvalidDescription,
    InvalidQuote,
    ProviderState,
    Quote,
    ServiceDescription,
    encode_input,
    may_start,
    next_state,
)
from plaza.services.calls import CONFIRMATION_ALLOWANCE_MS, TRANSITIONS
from plaza.services.sealing import (
    locator,
    open_reason,
    open_result,
    padded,
    result_key,
    seal_reason,
    seal_result,
    unwrap_result_record,
    wrap_result_record,
)

keys32 = st.binary(min_size=32, max_size=32)
call_ids = st.binary(min_size=16, max_size=16)


def description(**changes: object) -> ServiceDescription:
    identity = Identity.generate()
    base = ServiceDescription(
        name="weather",
        title="Weather forecast",
        price=25,
        pay_to=str(Address.from_public_key(identity.public_key.raw)),
        encryption_key=identity.encryption.public_key.raw.hex(),
        endpoint="http://127.0.0.1:8123",
        input_schema={"type": "object", "required": ["place"]},
        output_schema={"type": "object"},
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # changes are fields


def test_a_description_round_trips_through_its_record_and_its_announcement() -> None:
    service = description(description="Tomorrow's weather for a place.")
    assert ServiceDescription.decode(service.encode()) == service
    callable_part = ServiceDescription.from_descriptor_fields(service.descriptor_fields())
    assert callable_part == replace(service, description="", input_schema={}, output_schema={})
    assert ServiceDescription.decode(service.retire().encode()).retired


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"name": "Weather!"}, "name must match"),
        ({"price": 0}, "price must be"),
        ({"price": True}, "price must be"),
        ({"max_input_bytes": 10**6}, "max_input_bytes"),
        ({"time_to_result_ms": 5}, "time_to_result_ms"),
        ({"pay_to": "nobody"}, "pay_to is not an address"),
        ({"encryption_key": "abcd"}, "encryption_key"),
        ({"endpoint": "ftp://x"}, "endpoint"),
        ({"title": " "}, "title"),
    ],
)
def test_a_bad_description_says_what_is_wrong(changes: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidDescription, match=says):
        description(**changes)


def test_a_description_with_unknown_or_mistyped_fields_is_refused() -> None:
    value = description().to_json()
    with pytest.raises(InvalidDescription, match="unknown fields: colour"):
        ServiceDescription.from_json({**value, "colour": "red"})
    with pytest.raises(InvalidDescription, match="retired must be"):
        ServiceDescription.from_json({**value, "retired": "no"})
    with pytest.raises(InvalidDescription, match="not JSON"):
        ServiceDescription.decode(b"{")


def test_a_quote_verifies_only_for_its_signer_call_and_price() -> None:
    signer = SigningKey.generate()
    pay_to = str(Address.from_public_key(signer.public_key.raw))
    call_id, hashlock = secrets.token_bytes(16), secrets.token_bytes(32)
    quote = Quote.make(
        signer, call_id, service="weather", price=25, hashlock=hashlock, deadline_ms=9
    )
    again = Quote.from_json(quote.to_json())
    assert again.verify(call_id=call_id, service="weather", price=25, pay_to=pay_to) == quote
    other = str(Address.from_public_key(SigningKey.generate().public_key.raw))
    cases: list[tuple[dict[str, object], str]] = [
        ({"pay_to": other}, "not signed by the key"),
        ({"call_id": bytes(16)}, "another call"),
        ({"price": 24}, "asks 25"),
    ]
    for kwargs, says in cases:
        asked = {"call_id": call_id, "service": "weather", "price": 25, "pay_to": pay_to, **kwargs}
        with pytest.raises(InvalidQuote, match=says):
            again.verify(**asked)  # type: ignore[arg-type]  # the keywords are verify's
    forged = replace(quote, deadline_ms=10)
    with pytest.raises(InvalidQuote, match="signature"):
        forged.verify(call_id=call_id, service="weather", price=25, pay_to=pay_to)
    with pytest.raises(InvalidQuote, match="malformed"):
        Quote.from_json({**quote.to_json(), "hashlock": "zz"})


@given(call_ids, keys32, st.text(max_size=40), st.binary(max_size=200))
def test_a_request_opens_for_its_provider_only(
    call_id: bytes, side_key: bytes, service: str, data: bytes
) -> None:
    if len(service.encode()) > 255:
        return
    provider, stranger = EncryptionKey.generate(), EncryptionKey.generate()
    request = CallRequest(call_id, side_key, service, data.rstrip(b" "))  # JSON: no space last
    sealed = request.seal(provider.public_key)
    assert CallRequest.open(provider, sealed) == request
    assert call_id not in sealed
    assert side_key not in sealed
    with pytest.raises(InvalidCallData, match="not sealed to this provider"):
        CallRequest.open(stranger, sealed)


@given(st.binary(max_size=64))
def test_any_bytes_decode_to_the_request_they_encode_or_say_why_not(data: bytes) -> None:
    try:
        request = CallRequest.decode(data)
    except InvalidCallData:
        return
    encoded = request.encode()  # the input's trailing spaces are padding
    assert data == encoded + b" " * (len(data) - len(encoded))


def test_padding_fills_a_size_class_within_the_limit_and_never_cuts() -> None:
    assert len(padded(b"{}", limit=10_000)) == 256
    assert len(padded(b"x" * 256, limit=10_000)) == 256
    assert len(padded(b"x" * 257, limit=10_000)) == 512
    assert len(padded(b"x" * 5000, limit=10_000)) == 8192
    assert len(padded(b"x" * 9000, limit=10_000)) == 10_000  # 16384 would not fit
    assert padded(b"x" * 12_000, limit=10_000) == b"x" * 12_000
    assert padded(b'{"a":1}', limit=10_000).rstrip(b" ") == b'{"a":1}'


def test_requests_of_one_size_class_seal_to_one_length() -> None:
    """What a hold's data tells of the input is its size class, not its length."""
    provider = EncryptionKey.generate().public_key
    lengths = {
        len(CallRequest(bytes(16), bytes(32), "weather", encode_input(job)).seal(provider))
        for job in ({"place": "Oslo"}, {"place": "Llanfairpwllgwyngyll, Wales"}, [1] * 40)
    }
    assert len(lengths) == 1


@given(keys32, keys32, call_ids, st.binary(max_size=500))
def test_the_result_opens_with_both_secrets_and_neither_alone(
    secret: bytes, side_key: bytes, call_id: bytes, result: bytes
) -> None:
    key = result_key(secret, side_key, call_id)
    sealed = seal_result(key, call_id, result)
    assert open_result(key, call_id, sealed) == result
    label, inner = unwrap_result_record(wrap_result_record(locator(side_key, call_id), sealed))
    assert (label, inner) == (locator(side_key, call_id), sealed)
    wrong_side = bytes(b ^ 1 for b in side_key)
    for guess in (secret, side_key, result_key(secret, wrong_side, call_id)):
        with pytest.raises(InvalidCallData):
            open_result(guess, call_id, sealed)
    with pytest.raises(InvalidCallData):
        open_result(key, bytes(16) if call_id != bytes(16) else b"\x01" * 16, sealed)


@given(keys32, call_ids, st.text(max_size=100))
def test_a_reason_opens_with_the_side_key(side_key: bytes, call_id: bytes, reason: str) -> None:
    sealed = seal_reason(side_key, call_id, reason)
    assert open_reason(side_key, call_id, sealed) == reason
    with pytest.raises(InvalidCallData):
        open_reason(bytes(b ^ 1 for b in side_key), call_id, sealed)


events = st.sampled_from(sorted({event for _, event in TRANSITIONS}))


@given(st.lists(events, max_size=8))
def test_every_path_of_a_call_ends_paid_refunded_or_expired_once(path: list[str]) -> None:
    state, finals = ProviderState.ACCEPTED, 0
    for event in path:
        try:
            state = next_state(state, event)
        except ValueError:
            continue
        finals += state.final
    assert finals <= 1
    if state.final:
        for event in ("result", "failure", "release", "confirmed", "settle", "deadline"):
            with pytest.raises(ValueError, match="cannot take"):
                next_state(state, event)


def test_a_job_starts_only_when_it_can_be_released_before_the_deadline() -> None:
    deadline = 100_000
    latest = deadline - 2_000 - CONFIRMATION_ALLOWANCE_MS // 2
    assert may_start(latest, deadline, 2_000)
    assert not may_start(latest + 1, deadline, 2_000)
