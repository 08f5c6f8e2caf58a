"""Events, TMF queries and callback URLs: what the hub accepts and what matches what."""

from __future__ import annotations

import json

import pytest

from plaza.notify import Event, EventQuery, InvalidEvent, InvalidSubscription
from plaza.notify.model import check_callback

T0 = 1_767_225_600_123  # 2026-01-01T00:00:00.123Z


def offer_event(**payload: object) -> Event:
    return Event("e1", "OfferStateChangeEvent", T0, payload, ("plaza1alice",))


def test_body_is_tmf688_shaped_and_canonical() -> None:
    event = offer_event(offer={"id": "o1", "state": "active"}, price=5)
    assert event.body() == {
        "eventId": "e1",
        "eventTime": "2026-01-01T00:00:00.123Z",
        "eventType": "OfferStateChangeEvent",
        "event": {"offer": {"id": "o1", "state": "active"}, "price": 5},
    }
    assert json.loads(event.encode()) == event.body()
    assert event.encode() == offer_event(price=5, offer={"state": "active", "id": "o1"}).encode()


def test_new_events_get_fresh_ids() -> None:
    one = Event.new("ContractCreateEvent", {}, time_ms=T0)
    two = Event.new("ContractCreateEvent", {}, time_ms=T0)
    assert one.id != two.id
    assert len(one.id) == 32


@pytest.mark.parametrize("event_type", ["", "Offer/Event", "Offer#", "+", "9Event", "x" * 101])
def test_event_types_must_be_topic_safe(event_type: str) -> None:
    with pytest.raises(InvalidEvent):
        Event("e1", event_type, T0, {})


@pytest.mark.parametrize("participant", ["", "a/b", "a+", "#", "x" * 129, "sp ace"])
def test_participants_must_be_topic_safe(participant: str) -> None:
    with pytest.raises(InvalidEvent):
        Event("e1", "ContractCreateEvent", T0, {}, (participant,))


def test_payload_must_be_json() -> None:
    with pytest.raises(InvalidEvent):
        offer_event(when=object()).encode()


def test_query_parses_tmf_syntax_and_renders_canonically() -> None:
    query = EventQuery.parse(
        "eventType=OfferStateChangeEvent,ContractCreateEvent&event.offer.state=active"
    )
    assert query.event_types == {"OfferStateChangeEvent", "ContractCreateEvent"}
    assert query.fields == (("event.offer.state", "active"),)
    assert query.render() == (
        "eventType=ContractCreateEvent,OfferStateChangeEvent&event.offer.state=active"
    )
    assert EventQuery.parse(query.render()) == query
    spaced = EventQuery.parse("event.note=a%20b%26c")
    assert spaced.fields == (("event.note", "a b&c"),)
    assert EventQuery.parse(spaced.render()) == spaced
    assert EventQuery.parse("") == EventQuery()


@pytest.mark.parametrize(
    "text", ["eventType=Bad-Type", "eventType=", "justaword", "1abc=2", "event..x=1", "a=1&&b=2"]
)
def test_malformed_queries_are_refused(text: str) -> None:
    with pytest.raises(InvalidSubscription):
        EventQuery.parse(text)


def test_matching_by_type_and_fields() -> None:
    event = offer_event(offer={"state": "active", "units": 3, "open": True, "tags": ["a"]})
    assert EventQuery().matches(event)
    assert EventQuery.parse("eventType=OfferStateChangeEvent").matches(event)
    assert not EventQuery.parse("eventType=ContractCreateEvent").matches(event)
    assert EventQuery.parse("event.offer.state=active").matches(event)
    assert not EventQuery.parse("event.offer.state=closed").matches(event)
    assert EventQuery.parse("event.offer.units=3&event.offer.open=true").matches(event)
    assert not EventQuery.parse("event.offer.units=3&event.offer.open=false").matches(event)
    assert not EventQuery.parse("event.offer.missing=x").matches(event)
    assert not EventQuery.parse("event.offer.state.deeper=x").matches(event)
    assert not EventQuery.parse("event.offer.tags=a").matches(event)  # only scalars compare
    assert EventQuery.parse("eventId=e1").matches(event)


@pytest.mark.parametrize(
    "url", ["https://buyer.example/hooks?token=x", "http://127.0.0.1:8080/cb", "http://[::1]/cb"]
)
def test_callbacks_accepted(url: str) -> None:
    check_callback(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://buyer.example/x",
        "/relative/path",
        "https://",
        "https://user:pw@buyer.example/cb",
        "https://buyer.example/cb#frag",
        "http://buyer.example:99999/cb",
        "http://[::1/cb",
    ],
)
def test_callbacks_refused(url: str) -> None:
    with pytest.raises(InvalidSubscription):
        check_callback(url)
