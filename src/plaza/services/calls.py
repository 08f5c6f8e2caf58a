"""Where a call stands, on each side, and the timing rules both sides apply.

The provider's book moves an accepted call through these states; each is saved
before the step that follows it, so a provider killed anywhere finishes or refunds
what it accepted when it starts again::

    accepted  -> published -> released -> paid       the result is on its channel, S revealed
    accepted  -> refunding -> refunded               the job failed (or the hold was wrong):
                                                     a payee settlement of 0 with the reason
    (any open state)       -> expired                the deadline passed first: the ledger
                                                     refunded the customer by itself

A customer's call is ``quoted`` (quote kept, nothing paid), ``held`` (the hold
composed and saved before it is submitted), then ``done``, ``refunded`` or
``expired``.
"""

from __future__ import annotations

import enum

__all__ = [
    "CONFIRMATION_ALLOWANCE_MS",
    "TRANSITIONS",
    "CustomerState",
    "ProviderState",
    "deadline_for",
    "may_start",
    "next_state",
]

#: What a quote adds to the service's time to result for the hold to confirm before the
#: job and for the result and the release to confirm after it: a few milestones.
CONFIRMATION_ALLOWANCE_MS = 10_000


class ProviderState(enum.StrEnum):
    ACCEPTED = "accepted"
    PUBLISHED = "published"
    RELEASED = "released"
    PAID = "paid"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self in _FINAL


class CustomerState(enum.StrEnum):
    QUOTED = "quoted"
    HELD = "held"
    DONE = "done"
    REFUNDED = "refunded"
    EXPIRED = "expired"


_FINAL = frozenset({ProviderState.PAID, ProviderState.REFUNDED, ProviderState.EXPIRED})
_OPEN = (
    ProviderState.ACCEPTED,
    ProviderState.PUBLISHED,
    ProviderState.RELEASED,
    ProviderState.REFUNDING,
)

#: The provider's allowed moves: ``(from, event) -> to``.
TRANSITIONS: dict[tuple[ProviderState, str], ProviderState] = {
    (ProviderState.ACCEPTED, "result"): ProviderState.PUBLISHED,
    (ProviderState.ACCEPTED, "failure"): ProviderState.REFUNDING,
    (ProviderState.PUBLISHED, "release"): ProviderState.RELEASED,
    (ProviderState.RELEASED, "confirmed"): ProviderState.PAID,
    (ProviderState.REFUNDING, "settle"): ProviderState.REFUNDED,
    **{(state, "deadline"): ProviderState.EXPIRED for state in _OPEN},
}


def next_state(state: ProviderState, event: str) -> ProviderState:
    """The state ``event`` moves ``state`` to; ``ValueError`` for a move the rules forbid
    (a final state never moves: a call is paid, or refunded, once)."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise ValueError(f"a call {state} cannot take {event!r}") from None


def deadline_for(now_ms: int, time_to_result_ms: int) -> int:
    """The deadline a provider quotes: the service's time to result and the allowance."""
    return now_ms + time_to_result_ms + CONFIRMATION_ALLOWANCE_MS


def may_start(
    now_ms: int,
    deadline_ms: int,
    time_limit_ms: int,
    *,
    margin_ms: int = CONFIRMATION_ALLOWANCE_MS // 2,
) -> bool:
    """Whether a job started now can finish, and its result and release confirm (within
    ``margin_ms``), before the deadline; a provider refunds (rather than runs) a call that
    would be paid too late."""
    return now_ms + time_limit_ms + margin_ms <= deadline_ms
