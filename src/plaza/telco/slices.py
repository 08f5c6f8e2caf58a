"""What a window's delivery is worth as it is served: the pro rata share and its slices.

Once delivery starts the asset provider is paid in arrears, a part payment of
the hold each time a slice of the window (one of :data:`SLICES`) has passed:
what was served so far, :func:`pro_rata`, less what was paid. The rest is
settled :func:`rest_due_at` before the window ends: a hold may run out exactly
at the window's end, and the milestone that reaches its deadline refunds what
remains before it applies anything, so a settlement sent at the end itself
could come too late.
"""

from __future__ import annotations

from plaza.telco.terms import Window

__all__ = ["SETTLE_LEAD_MS", "SLICES", "pro_rata", "rest_due_at", "slice_of"]

#: How many slices of its window an order is paid in.
SLICES = 10
#: How long before the window's end the rest is settled (at most one slice).
SETTLE_LEAD_MS = 10_000


def pro_rata(price: int, window: Window, at_ms: int) -> int:
    """The asset provider's share of ``price`` for the window up to ``at_ms`` (floored)."""
    length = window.end_ms - window.start_ms
    served = min(max(at_ms - window.start_ms, 0), length)
    return price * served // length


def slice_of(window: Window, at_ms: int) -> int:
    """Which slice ``at_ms`` falls in: 0 before and in the first, ``SLICES`` from the end."""
    length = window.end_ms - window.start_ms
    served = min(max(at_ms - window.start_ms, 0), length)
    return served * SLICES // length


def rest_due_at(window: Window) -> int:
    """When the rest of the price is settled: :data:`SETTLE_LEAD_MS` before the window's
    end, or a slice before it for a window shorter than ``SLICES`` leads."""
    length = window.end_ms - window.start_ms
    return window.end_ms - min(SETTLE_LEAD_MS, length // SLICES)
