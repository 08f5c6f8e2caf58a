"""The telco desk's sweeper sweeps only in the worker holding the marketplace's lease (the
other workers of the marketplace would send the same payments a second time)."""

from __future__ import annotations

import threading

from plaza.verticals.telco_runtime import Sweeper


class CountingDesk:
    def __init__(self) -> None:
        self.sweeps = 0
        self.swept = threading.Event()

    def sweep(self) -> int:
        self.sweeps += 1
        self.swept.set()
        return 0


class Lease:
    generation = 1

    def __init__(self, held: bool) -> None:
        self.holding = held

    def held(self) -> bool:
        return self.holding

    def close(self) -> None:
        self.holding = False


def _sweeping(lease: Lease, *, expect_one: bool) -> CountingDesk:
    """A sweeper ticking every 10 ms over a desk that counts its sweeps: until the first
    sweep (5 s at most) when one is expected, else for a quarter of a second."""
    desk = CountingDesk()
    sweeper = Sweeper(desk, 0.01, lease=lease)  # type: ignore[arg-type]  # sweep() is all it uses
    sweeper.start()
    try:
        desk.swept.wait(5.0 if expect_one else 0.25)
    finally:
        sweeper.stop()
    return desk


def test_only_the_lease_holder_sweeps() -> None:
    assert _sweeping(Lease(held=False), expect_one=False).sweeps == 0
    assert _sweeping(Lease(held=True), expect_one=True).sweeps > 0
