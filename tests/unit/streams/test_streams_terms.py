"""The subscription rule: what a payment buys, refunds below the minimum, renewals, expiry."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.streams import (
    Bought,
    InvalidTerms,
    Refund,
    Subscription,
    Terms,
    entitled,
    extend,
    purchase,
)
from plaza.streams.terms import MAX_AMOUNT, MAX_PERIOD_MS

HOUR = 3_600_000
TERMS = Terms(price=600, period_ms=HOUR, minimum_ms=10 * 60_000)

terms_strategy = st.builds(
    Terms,
    price=st.integers(1, 10**12),
    period_ms=st.integers(1, MAX_PERIOD_MS),
    minimum_ms=st.integers(1, MAX_PERIOD_MS),
)
amounts = st.integers(1, 10**15)


def test_the_price_of_a_period_buys_that_period() -> None:
    assert purchase(TERMS, 600) == Bought(600, HOUR)


def test_overpayment_buys_proportionally_more_time() -> None:
    assert purchase(TERMS, 900) == Bought(900, HOUR * 3 // 2)


def test_a_payment_below_the_minimum_is_refunded_with_the_reason() -> None:
    outcome = purchase(TERMS, 99)
    assert isinstance(outcome, Refund)
    assert outcome.amount == 99
    assert "below the minimum of 600000 ms" in outcome.reason
    assert "costs 100" in outcome.reason
    assert purchase(TERMS, 100) == Bought(100, 600_000)


@pytest.mark.parametrize("amount", [0, -5, MAX_AMOUNT + 1])
def test_an_impossible_amount_is_refused(amount: int) -> None:
    with pytest.raises(InvalidTerms, match="a payment is 1 to"):
        purchase(TERMS, amount)


@pytest.mark.parametrize(
    ("price", "period", "minimum", "says"),
    [(0, HOUR, 1, "price"), (1, 0, 1, "the period"), (1, HOUR, 0, "minimum")],
)
def test_terms_that_sell_nothing_are_refused(
    price: int, period: int, minimum: int, says: str
) -> None:
    with pytest.raises(InvalidTerms, match=says):
        Terms(price, period, minimum)


@settings(max_examples=200, deadline=None)
@given(terms_strategy, amounts, amounts)
def test_more_money_never_buys_less_time(terms: Terms, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert terms.bought_ms(low) <= terms.bought_ms(high)


@settings(max_examples=200, deadline=None)
@given(terms_strategy, st.integers(1, 10**6))
def test_whole_periods_buy_exactly_their_time(terms: Terms, periods: int) -> None:
    assert terms.bought_ms(periods * terms.price) == periods * terms.period_ms


@settings(max_examples=200, deadline=None)
@given(terms_strategy, amounts, amounts)
def test_splitting_a_payment_never_buys_more(terms: Terms, a: int, b: int) -> None:
    split = terms.bought_ms(a) + terms.bought_ms(b)
    assert split <= terms.bought_ms(a + b) <= split + 1


@settings(max_examples=200, deadline=None)
@given(terms_strategy, amounts)
def test_nothing_is_given_away_and_little_is_kept(terms: Terms, amount: int) -> None:
    bought = terms.bought_ms(amount)
    assert bought * terms.price <= amount * terms.period_ms  # never more time than paid for
    assert (bought + 1) * terms.price > amount * terms.period_ms  # short by under 1 ms


@settings(max_examples=200, deadline=None)
@given(terms_strategy, amounts)
def test_a_refund_exactly_when_below_the_minimum_price(terms: Terms, amount: int) -> None:
    outcome = purchase(terms, amount)
    assert isinstance(outcome, Refund) == (amount < terms.minimum_price)
    if isinstance(outcome, Bought):
        assert outcome.duration_ms >= terms.minimum_ms


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**13), st.integers(0, 10**13), st.integers(0, 10**10))
def test_a_renewal_extends_from_the_current_end_while_it_runs(
    end: int, now: int, duration: int
) -> None:
    renewed = extend(end, now, duration)
    assert renewed == (end + duration if end > now else now + duration)
    assert renewed >= now + duration  # a lapsed subscription never buys the past
    assert extend(None, now, duration) == now + duration


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12), st.lists(st.integers(1, 10**9), min_size=1, max_size=10))
def test_renewals_before_the_end_add_up(now: int, durations: list[int]) -> None:
    end = None
    for duration in durations:  # each bought at the same moment, before any ended
        end = extend(end, now, duration)
    assert end == now + sum(durations)


def test_an_ended_subscription_is_left_out_of_the_next_epoch() -> None:
    running = Subscription(b"a" * 32, ends_at_ms=2_000)
    ended = Subscription(b"b" * 32, ends_at_ms=1_000)
    assert entitled([running, ended], 999) == [b"a" * 32, b"b" * 32]
    assert entitled([running, ended], 1_000) == [b"a" * 32]
    assert entitled([running, ended], 2_000) == []
    assert running.renewed(1_500, 500).ends_at_ms == 2_500
    assert ended.renewed(1_500, 500).ends_at_ms == 2_000
