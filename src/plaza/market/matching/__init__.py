"""Pluggable matching policies and the pure engine that runs them.

* :class:`ContinuousDoubleAuction` (``cda``): price-time priority, partial fills,
  the resting order's price;
* :class:`OneToOne` (``one_to_one``): the energy seed's rule, a whole request
  against the oldest fitting offer, at the offer's price;
* :class:`UniformPriceClearing` (``uniform``): periodic call auction, one price;
* :class:`ManualOnly` (``manual``): no automatic matching, only confirmed
  suggestions (:func:`rank_candidates`), which every policy also allows;
* :class:`PolicyByKind`: one of those per kind, where verticals chose their own
  (:mod:`plaza.market.kinds`).

Every policy applies the filters of :mod:`plaza.market.matching.filters`.
"""

from __future__ import annotations

from plaza.market.errors import UnknownPolicy
from plaza.market.matching.base import KindBook, MatchingPolicy
from plaza.market.matching.by_kind import PolicyByKind, policy_for
from plaza.market.matching.cda import ContinuousDoubleAuction
from plaza.market.matching.engine import MatchingEngine
from plaza.market.matching.entries import BookSide, Fill, Resting
from plaza.market.matching.filters import compatible, haversine_km, mismatch
from plaza.market.matching.manual import ManualOnly
from plaza.market.matching.one_to_one import OneToOne
from plaza.market.matching.suggest import Candidate, rank_candidates
from plaza.market.matching.uniform import UniformPriceClearing, clearing_price

__all__ = [
    "POLICIES",
    "BookSide",
    "Candidate",
    "ContinuousDoubleAuction",
    "Fill",
    "KindBook",
    "ManualOnly",
    "MatchingEngine",
    "MatchingPolicy",
    "OneToOne",
    "PolicyByKind",
    "Resting",
    "UniformPriceClearing",
    "clearing_price",
    "compatible",
    "haversine_km",
    "mismatch",
    "policy_for",
    "policy_named",
    "rank_candidates",
]

#: The built-in policies by name; the settings pick one with ``policy_named``.
POLICIES: dict[str, type[MatchingPolicy]] = {
    "cda": ContinuousDoubleAuction,
    "one_to_one": OneToOne,
    "uniform": UniformPriceClearing,
    "manual": ManualOnly,
}


def policy_named(name: str) -> MatchingPolicy:
    """A new instance of the built-in policy called ``name``."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise UnknownPolicy(name, tuple(POLICIES)) from None
