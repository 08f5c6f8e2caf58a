"""Uniform random tip selection (URTS), as IOTA's Chrysalis nodes did it.

A tip is a solid message nobody approves yet. It is *lazy* when the oldest
milestone its past cone reaches is more than ``max_depth`` milestones behind the
latest: approving it would drag old, unconfirmable history along. Parents are
drawn uniformly from the non-lazy tips; lazy ones are pruned. The coordinator takes
half of a milestone's parents from the oldest non-lazy tips instead, so a tip that
no one else approves is confirmed before it goes lazy.

A message born lazy (it approves a lazy message too) does not take the tips it
approves out of the pool: no milestone will reference it, so they would never be
confirmed either. A client that chains its messages on its own last one, once that
one went lazy, would otherwise swallow every fresh tip it approved with it (a
person's payment among them).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["TipPool"]


class TipPool:
    """The node's current non-lazy tips and their cone root indexes."""

    def __init__(
        self, *, rng: random.Random | None = None, max_depth: int = 15, max_tips: int = 4096
    ) -> None:
        self._rng = rng or random.Random()  # noqa: S311 - tip choice needs spread, not secrecy
        self._max_depth = max_depth
        self._max_tips = max_tips
        self._root_index: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._root_index)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._root_index

    def add(
        self,
        message_id: bytes,
        parents: Iterable[bytes],
        root_index: int,
        latest_index: int | None = None,
    ) -> None:
        """A new solid message becomes a tip; the tips it approves stop being tips, unless
        it is lazy already at ``latest_index`` (then they stay: see the module's doc)."""
        if latest_index is None or root_index >= latest_index - self._max_depth:
            for parent in parents:
                self._root_index.pop(parent, None)
        self._root_index[message_id] = root_index
        if len(self._root_index) > self._max_tips:
            oldest = min(self._root_index, key=self._root_index.__getitem__)
            del self._root_index[oldest]

    def confirm(self, message_ids: Iterable[bytes], index: int) -> None:
        """Confirmed tips are fresh again: their cone now roots at ``index``."""
        for message_id in message_ids:
            if message_id in self._root_index:
                self._root_index[message_id] = index

    def prune(self, latest_index: int) -> None:
        floor = latest_index - self._max_depth
        for message_id in [tip for tip, root in self._root_index.items() if root < floor]:
            del self._root_index[message_id]

    def select(self, count: int, latest_index: int, *, oldest: int = 0) -> list[bytes]:
        """Up to ``count`` distinct non-lazy tips: the ``oldest`` whose cones root furthest
        back, the rest chosen uniformly at random.

        The coordinator asks for its oldest tips first: drawn at random alone, a tip that
        nobody else approves (the head of a writer's chain) could wait out ``max_depth``
        milestones unpicked, go lazy, and never be confirmed.
        """
        self.prune(latest_index)
        tips = sorted(self._root_index)  # sorted: the same seed gives the same choice
        first = sorted(tips, key=self._root_index.__getitem__)[: min(oldest, count)]
        rest = sorted(set(tips) - set(first))
        return first + self._rng.sample(rest, min(count - len(first), len(rest)))

    def statistics(self) -> dict[str, int]:
        return {"tips": len(self._root_index)}
