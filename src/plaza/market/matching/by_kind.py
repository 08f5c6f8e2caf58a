"""One policy per kind: the verticals' default policies beside the marketplace's own.

The engine keeps one :class:`~plaza.market.matching.base.KindBook` per kind and
hands every call a book, so a composite policy only has to look at
``book.kind`` to pass the call on. Kinds no vertical gave a policy use the
marketplace's. Each policy's index lives in its own kind's books, so two
policies never see each other's state.
"""

from __future__ import annotations

from collections.abc import Mapping

from plaza.market.matching.base import IndexingPolicy, KindBook, MatchingPolicy
from plaza.market.matching.entries import Fill, Resting

__all__ = ["PolicyByKind", "policy_for"]


class PolicyByKind:
    """``policies[kind]`` for the kinds it names, ``default`` for every other kind.

    It is an :class:`IndexingPolicy` whatever its parts are: it forwards ``on_rest``
    and ``on_shrink`` to the kind's policy when that one indexes.
    """

    def __init__(self, default: MatchingPolicy, policies: Mapping[str, MatchingPolicy]) -> None:
        self.default = default
        self.policies = dict(policies)

    @property
    def name(self) -> str:
        """The marketplace's own policy; a match records its kind's (:func:`policy_for`)."""
        return self.default.name

    def policy_for(self, kind: str) -> MatchingPolicy:
        return self.policies.get(kind, self.default)

    def on_submit(self, book: KindBook, taker: Resting, now_ms: int, fills: list[Fill]) -> None:
        self.policy_for(book.kind).on_submit(book, taker, now_ms, fills)

    def on_clear(self, book: KindBook, now_ms: int, fills: list[Fill]) -> None:
        self.policy_for(book.kind).on_clear(book, now_ms, fills)

    def on_rest(self, book: KindBook, entry: Resting) -> None:
        policy = self.policy_for(book.kind)
        if isinstance(policy, IndexingPolicy):
            policy.on_rest(book, entry)

    def on_shrink(self, book: KindBook, entry: Resting, before: int) -> None:
        policy = self.policy_for(book.kind)
        if isinstance(policy, IndexingPolicy):
            policy.on_shrink(book, entry, before)


def policy_for(policy: MatchingPolicy, kind: str) -> MatchingPolicy:
    """The policy that matches ``kind``: a composite's part, or ``policy`` itself."""
    return policy.policy_for(kind) if isinstance(policy, PolicyByKind) else policy
