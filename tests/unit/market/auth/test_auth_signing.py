"""Signed requests: the canonical form, and every reason a request is refused."""

from __future__ import annotations

import pytest
from auth_support import AUDIENCE, WINDOW_MS, Market, signing_key
from hypothesis import given
from hypothesis import strategies as st

from plaza.market.auth import (
    HEADER_NONCE,
    HEADER_PARTICIPANT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    BadRequestSignature,
    BodyDigest,
    MalformedSignedRequest,
    ParticipantExcluded,
    ReplayedRequest,
    StaleRequest,
    UnknownParticipant,
    canonical_request,
    sign_request,
)
from plaza.market.auth.signing import canonical_path, canonical_query
from plaza.testing import FakeClock

BODY = b'{"energyAmount":250}'
VECTOR_ID = "plz1t80dz8cqq9q0vex6hh23fwng3jfey6ksfh7jr4rv37udunkgdv3sv8aqat"
VECTOR_CANONICAL = f"""plaza-request-v1
plaza-test-market
POST
/offers/new%20one
a=1&a=x%20y&b=2
{VECTOR_ID}
1767225600000
00000000000000000000000000000000
f0a5668ddcc575b2fa21a7d8c1254e1692d4d228388d7c6fe8eb030b8ba71f34"""
VECTOR_SIGNATURE = (
    "2facc4e89f0a26bdae7a74d85f9561f9bd3ac7092a119657112ca5f5fe072a71"
    "74d5aa1bdf3aabfba2dfb6fdbaaae9077513e76321ec1340c16e9d51e7784e0b"
)


@pytest.fixture
def market() -> Market:
    market = Market()
    market.join(1)
    return market


def _signed(market: Market, n: int = 1, **overrides: object) -> dict[str, str]:
    request: dict[str, object] = {"method": "POST", "path": "/offers", "query": "x=1", "body": BODY}
    request.update(overrides)
    return sign_request(signing_key(n), audience=AUDIENCE, clock=market.clock, **request)  # type: ignore[arg-type]


def _verify(market: Market, headers: dict[str, str], **overrides: object) -> str:
    request: dict[str, object] = {"method": "POST", "path": "/offers", "query": "x=1", "body": BODY}
    request.update(overrides)
    return market.verifier.verify_request(headers=headers, **request).id  # type: ignore[arg-type]


def test_the_published_vector() -> None:
    """Another implementation checks itself against these bytes (Ed25519 is deterministic)."""
    headers = sign_request(
        signing_key(1),
        audience=AUDIENCE,
        method="post",
        path="/offers/new%20one",
        query="b=2&a=x+y&a=1",
        body=BODY,
        clock=FakeClock(),
        nonce="00" * 16,
    )
    assert headers == {
        HEADER_PARTICIPANT: VECTOR_ID,
        HEADER_TIMESTAMP: "1767225600000",
        HEADER_NONCE: "00" * 16,
        HEADER_SIGNATURE: VECTOR_SIGNATURE,
    }
    canonical = canonical_request(
        audience=AUDIENCE,
        method="POST",
        path="/offers/new one",
        query=[("b", "2"), ("a", "x y"), ("a", "1")],
        participant_id=VECTOR_ID,
        timestamp_ms=1767225600000,
        nonce="00" * 16,
        body=BODY,
    )
    assert canonical.decode() == VECTOR_CANONICAL


def test_a_signed_request_names_its_participant(market: Market) -> None:
    assert _verify(market, _signed(market)) == VECTOR_ID


def test_header_names_are_case_insensitive(market: Market) -> None:
    headers = {name.lower(): value for name, value in _signed(market).items()}
    assert _verify(market, headers) == VECTOR_ID


def test_equivalent_spellings_of_path_and_query_verify(market: Market) -> None:
    headers = _signed(market, path="/a b/c", query="q=new+one&p=%C3%A9")
    assert _verify(market, headers, path="/a%20b/c", query=[("p", "é"), ("q", "new one")])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "PUT"),
        ("path", "/offers/2"),
        ("query", "x=2"),
        ("query", "x=1&y=1"),
        ("body", BODY + b" "),
        ("body", b""),
    ],
)
def test_changing_any_part_breaks_the_signature(market: Market, field: str, value: object) -> None:
    with pytest.raises(BadRequestSignature) as refused:
        _verify(market, _signed(market), **{field: value})
    assert refused.value.participant_id == VECTOR_ID


def test_a_request_for_another_marketplace_is_refused(market: Market) -> None:
    headers = sign_request(
        signing_key(1),
        audience="other-market",
        method="POST",
        path="/offers",
        query="x=1",
        body=BODY,
        clock=market.clock,
    )
    with pytest.raises(BadRequestSignature):
        _verify(market, headers)


def test_a_signature_by_another_key_is_refused(market: Market) -> None:
    market.join(2)
    headers = _signed(market, n=2) | {HEADER_PARTICIPANT: VECTOR_ID}
    with pytest.raises(BadRequestSignature):
        _verify(market, headers)


def test_changed_headers_break_the_signature(market: Market) -> None:
    headers = _signed(market)
    for name, value in (
        (HEADER_TIMESTAMP, str(market.clock.now_ms() + 1)),
        (HEADER_NONCE, "11" * 16),
    ):
        with pytest.raises(BadRequestSignature):
            _verify(market, headers | {name: value})


def test_an_unknown_participant_is_refused(market: Market) -> None:
    with pytest.raises(UnknownParticipant) as refused:
        _verify(market, _signed(market, n=5))
    assert refused.value.participant_id == str(signing_key(5).public_key.address)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (HEADER_PARTICIPANT, None),
        (HEADER_TIMESTAMP, None),
        (HEADER_NONCE, None),
        (HEADER_SIGNATURE, None),
        (HEADER_PARTICIPANT, "plz1notanaddress"),
        (HEADER_PARTICIPANT, "0xabc"),
        (HEADER_TIMESTAMP, "-5"),
        (HEADER_TIMESTAMP, "1.5e12"),
        (HEADER_TIMESTAMP, "9" * 17),
        (HEADER_NONCE, "ab" * 15),
        (HEADER_NONCE, "AB" * 16),
        (HEADER_NONCE, "ab" * 65),
        (HEADER_NONCE, "abc" * 11),
        (HEADER_SIGNATURE, "00" * 63),
        (HEADER_SIGNATURE, "zz" * 64),
    ],
)
def test_malformed_headers_are_refused(market: Market, header: str, value: str | None) -> None:
    headers = _signed(market)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    with pytest.raises(MalformedSignedRequest):
        _verify(market, headers)


@pytest.mark.parametrize("path", ["offers", "/%ff", "/" + "a" * 2048])
def test_malformed_paths_are_refused(market: Market, path: str) -> None:
    with pytest.raises(MalformedSignedRequest):
        _verify(market, _signed(market), path=path)


def test_the_window_is_inclusive_both_ways(market: Market) -> None:
    early, late = _signed(market), _signed(market)
    market.clock.advance(ms=WINDOW_MS)
    assert _verify(market, early)
    market.clock.advance(ms=-2 * WINDOW_MS)
    assert _verify(market, late)


@pytest.mark.parametrize("skew_ms", [WINDOW_MS + 1, -WINDOW_MS - 1])
def test_stale_and_future_requests_are_refused(market: Market, skew_ms: int) -> None:
    headers = _signed(market)
    market.clock.advance(ms=skew_ms)
    with pytest.raises(StaleRequest) as refused:
        _verify(market, headers)
    assert refused.value.window_ms == WINDOW_MS
    assert refused.value.now_ms - refused.value.timestamp_ms == skew_ms


def test_a_replay_is_refused_within_the_window_and_stale_after(market: Market) -> None:
    headers = _signed(market)
    _verify(market, headers)
    market.clock.advance(ms=WINDOW_MS)
    with pytest.raises(ReplayedRequest) as refused:
        _verify(market, headers)
    assert refused.value.nonce == headers[HEADER_NONCE]
    market.clock.advance(ms=1)
    with pytest.raises(StaleRequest):
        _verify(market, headers)


def test_a_nonce_is_per_participant(market: Market) -> None:
    market.join(2)
    for n in (1, 2):
        headers = _signed(market, n=n, nonce="ab" * 16)
        assert _verify(market, headers) == str(signing_key(n).public_key.address)


def test_a_refused_request_does_not_use_up_its_nonce(market: Market) -> None:
    headers = _signed(market)
    with pytest.raises(BadRequestSignature):
        _verify(market, headers, body=b"forged")
    assert _verify(market, headers) == VECTOR_ID


def test_an_excluded_participant_is_refused_until_reinstated(market: Market) -> None:
    operator = market.operator()
    market.registry.exclude(operator, VECTOR_ID)
    with pytest.raises(ParticipantExcluded) as refused:
        _verify(market, _signed(market))
    assert refused.value.participant_id == VECTOR_ID
    market.registry.reinstate(operator, VECTOR_ID)
    assert _verify(market, _signed(market)) == VECTOR_ID


def test_nonces_are_forgotten_once_they_cannot_be_replayed(market: Market) -> None:
    for _ in range(50):
        _verify(market, _signed(market))
        market.clock.advance(ms=1000)
    assert market.nonces.count() == 50
    market.clock.advance(ms=WINDOW_MS)
    _verify(market, _signed(market))
    assert market.nonces.count() == 1


def test_nonces_given_to_sign_request_must_be_canonical(market: Market) -> None:
    with pytest.raises(ValueError, match="nonce"):
        _signed(market, nonce="AB" * 16)


def test_a_digest_stands_for_its_body(market: Market) -> None:
    headers = _signed(market, body=BodyDigest.of(BODY))
    assert _verify(market, headers)
    with pytest.raises(ValueError, match="32 bytes"):
        BodyDigest(b"short")


_text = st.text(st.characters(codec="utf-8"), max_size=12)


@given(pairs=st.lists(st.tuples(_text, _text), max_size=6), order=st.randoms())
def test_query_order_and_spelling_never_matter(
    pairs: list[tuple[str, str]], order: st.SearchStrategy[object]
) -> None:
    shuffled = list(pairs)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert canonical_query(pairs) == canonical_query(shuffled)
    assert canonical_query(canonical_query(pairs)) == canonical_query(pairs)


@given(segment=_text)
def test_a_canonical_path_is_a_fixed_point(segment: str) -> None:
    path = canonical_path("/" + segment.replace("%", ""))
    assert canonical_path(path) == path
    assert "\n" not in path
