"""Journal entries survive the JSON the SQL stores keep, value for value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.market import (
    CorruptJournal,
    JournalEntry,
    Location,
    Match,
    NewOrder,
    Order,
    OrderAccepted,
    OrderMatched,
    OrderStatus,
    OrderStatusChanged,
    Requirements,
    Side,
)
from plaza.market.book.codec import decode_entry, encode_entry

text = st.text(min_size=1, max_size=8)
amounts = st.integers(0, 2**63 - 1)
values = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=8))
pairs = st.dictionaries(text, values, max_size=3).map(lambda d: tuple(sorted(d.items())))
locations = st.builds(Location, st.floats(-90, 90), st.floats(-180, 180))

orders = st.builds(
    Order.accept,
    st.builds(
        NewOrder,
        st.sampled_from(Side),
        text,
        st.just("energy"),
        amounts,
        amounts,
        amounts,
        amounts,
        st.none() | locations,
        pairs,
        st.builds(
            Requirements,
            pairs,
            st.none() | st.integers(0, 9),
            st.lists(text).map(tuple),
            st.none() | st.floats(0.1, 1000),
        ),
        st.none() | text,
    ),
    order_id=text,
    priority=amounts,
    at_ms=amounts,
)
matches = st.builds(
    Match, text, text, text, text, text, text, amounts, amounts, text, amounts, amounts
)
events = st.one_of(
    orders.map(OrderAccepted),
    matches.map(OrderMatched),
    st.builds(OrderStatusChanged, text, st.sampled_from(OrderStatus), st.none() | amounts),
)
entries = st.builds(
    JournalEntry,
    st.integers(1, 10**9),
    amounts,
    st.lists(events, max_size=4).map(tuple),
    st.none() | text,
    st.none() | text,
)


@given(entries)
def test_encoding_round_trips(entry: JournalEntry) -> None:
    assert decode_entry(encode_entry(entry)) == entry


@pytest.mark.parametrize(
    "broken",
    [
        "not json",
        "{}",
        '{"step": 1, "at_ms": 2, "participant": null, "idempotency_key": null,'
        ' "events": [{"type": "teleported"}]}',
    ],
)
def test_broken_text_is_a_corrupt_journal(broken: str) -> None:
    with pytest.raises(CorruptJournal):
        decode_entry(broken, step=7)
