"""The orchestrator's access list: each order's step from its state and window, taken once."""

from __future__ import annotations

import pytest

from plaza.telco.access import AccessList, AccessState, Seen, Step, plan

START, END = 10_000, 20_000


def _seen(state: str = "inProgress") -> Seen:
    return Seen("o1", state, "cell-1", "sp", START, END)


@pytest.mark.parametrize(
    ("state", "known", "now", "step"),
    [
        ("acknowledged", None, 5_000, Step.NOTHING),  # not confirmed by both sides yet
        ("acknowledged", None, 15_000, Step.NOTHING),
        ("rejected", None, 15_000, Step.NOTHING),
        ("inProgress", None, 5_000, Step.SCHEDULE),  # confirmed, before its window
        ("inProgress", AccessState.SCHEDULED, 5_000, Step.NOTHING),
        ("inProgress", AccessState.SCHEDULED, START, Step.CONFIGURE),
        ("inProgress", None, 15_000, Step.CONFIGURE),  # confirmed in a running window
        ("inProgress", AccessState.ACTIVE, 15_000, Step.NOTHING),
        ("inProgress", AccessState.ACTIVE, END, Step.REMOVE),
        ("completed", AccessState.ACTIVE, END, Step.REMOVE),
        ("failed", AccessState.ACTIVE, 15_000, Step.REMOVE),
        ("cancelled", AccessState.SCHEDULED, 5_000, Step.CANCEL),
        ("failed", AccessState.SCHEDULED, 5_000, Step.CANCEL),
        ("cancelled", None, 5_000, Step.NOTHING),  # never seen open: nothing to drop
        ("completed", AccessState.REMOVED, END + 1, Step.NOTHING),
        ("cancelled", AccessState.CANCELLED, 6_000, Step.NOTHING),
    ],
)
def test_each_order_gets_the_step_its_state_and_window_call_for(
    state: str, known: AccessState | None, now: int, step: Step
) -> None:
    access = AccessList()
    if known is not None:
        access.apply(Step.SCHEDULE, _seen(), 0)
        if known is not AccessState.SCHEDULED:
            access.apply(Step.CONFIGURE, _seen(), START)
        if known in (AccessState.REMOVED, AccessState.CANCELLED):
            access.apply(Step.REMOVE if known is AccessState.REMOVED else Step.CANCEL, _seen(), 1)
        entry = access.get("o1")
        assert entry is not None
        assert entry.state is known
    assert plan(_seen(state), access.get("o1"), now) is step


def test_access_is_granted_only_within_the_window_and_until_removed() -> None:
    access = AccessList()
    access.apply(Step.SCHEDULE, _seen(), 0)
    assert not access.allows("cell-1", "sp", START)
    access.apply(Step.CONFIGURE, _seen(), START)
    assert access.allows("cell-1", "sp", START)
    assert not access.allows("cell-1", "other", START)
    assert not access.allows("cell-1", "sp", END)
    assert access.open_ids() == ["o1"]
    removed = access.apply(Step.REMOVE, _seen("completed"), END)
    assert removed is not None
    assert (removed.state, removed.configured_at_ms, removed.removed_at_ms) == (
        AccessState.REMOVED,
        START,
        END,
    )
    assert not access.allows("cell-1", "sp", START)
    assert access.open_ids() == []
