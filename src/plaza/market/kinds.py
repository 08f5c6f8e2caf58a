"""Kinds of good a vertical trades, as the one marketplace knows them.

A vertical (energy, sensor data streams, pay-per-call services, telco assets)
plugs into the marketplace by declaring the kinds it trades. For each it gives
a :class:`KindSpec`: the rules an order or asset of the kind must keep, what a
contract of the kind costs, the matching policy it trades under, and the hooks
that follow its contracts. :class:`KindRules` is a spec with the marketplace's
defaults, to subclass. Its interface half (routes, commands, pages, agents) is
:mod:`plaza.verticals`; this half imports no web framework.

:class:`Kinds` is what the marketplace consults. When it calls what:

* ``check_order``: on every submitted order of the kind, after the market's own
  checks (:func:`~plaza.market.model.check_new_order`) and before the book: a
  refusal (:class:`~plaza.market.errors.InvalidOrder`) changes nothing;
* ``check_asset``: on every asset of the kind registered;
* ``policy``: the matching policy of the kind's book, by its
  :data:`~plaza.market.matching.POLICIES` name (None: the marketplace's);
* ``contract_value``: when the contract desk signs a contract of the kind (the
  signed ``total``, and what settlement charges); checked at submission too, on
  the whole order, so no contract can cost more than a ledger amount holds;
* ``contract_made``: once the desk has opened the contract's settlement;
* ``delivered``, ``settled``, ``cancelled``, ``claimed``: when the settlement
  enters "Energy provision finished", "Fulfilled", "Cancelled", "Claim issued".

Hooks run after the step is saved and must not raise: a failing hook is logged
and the contract goes on. A hook may run again after a crash between the step
and the hook, so hooks are idempotent. Kinds no vertical registers trade under
the generic rules alone, as they always have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from plaza.market.errors import DuplicateKind, InvalidAsset, InvalidOrder
from plaza.market.matching import MatchingPolicy, PolicyByKind, policy_named
from plaza.market.model import MAX_AMOUNT, Match, NewAsset, NewOrder, check_asset, check_new_order
from plaza.market.settlement import Phase, Settlement

if TYPE_CHECKING:
    from plaza.market.contracts import SignedContract

__all__ = ["NO_KINDS", "PHASE_HOOKS", "KindRules", "KindSpec", "Kinds"]

log = logging.getLogger(__name__)


class KindSpec(Protocol):
    """One kind of good, as its vertical defines it."""

    @property
    def kind(self) -> str:
        """The kind's name on orders and assets (``energy``, ``telco:cell``)."""
        ...

    @property
    def policy(self) -> str | None:
        """The matching policy the kind trades under; None: the marketplace's."""
        ...

    def check_order(self, spec: NewOrder) -> None:
        """Raise :class:`InvalidOrder` naming the broken rule unless ``spec`` keeps the kind's
        rules (attributes, quantities, prices). ``spec`` already keeps the market's own."""
        ...

    def check_asset(self, spec: NewAsset) -> None:
        """Raise :class:`InvalidAsset` naming the broken rule unless ``spec`` keeps them."""
        ...

    def contract_value(self, quantity: int, unit_price: int) -> int:
        """What a contract for ``quantity`` at ``unit_price`` costs, in base units; never
        less for a larger quantity."""
        ...

    def contract_made(self, contract: SignedContract) -> None:
        """A contract of the kind was signed and its settlement opened."""
        ...

    def delivered(self, settlement: Settlement) -> None:
        """Its provision was reported finished: the payment clock runs."""
        ...

    def settled(self, settlement: Settlement) -> None:
        """It was paid and the payment confirmed: fulfilled."""
        ...

    def cancelled(self, settlement: Settlement) -> None:
        """It was cancelled (provision never reported in time)."""
        ...

    def claimed(self, settlement: Settlement) -> None:
        """A claim was issued: delivered, reminded, never paid."""
        ...


class KindRules:
    """A :class:`KindSpec` that keeps the marketplace's defaults: no extra rules, the
    marketplace's policy, quantity times unit price, hooks that do nothing. Subclass
    it and override what the kind does differently."""

    kind: str = ""
    policy: str | None = None

    def check_order(self, spec: NewOrder) -> None:
        """No rules beyond the market's."""

    def check_asset(self, spec: NewAsset) -> None:
        """No rules beyond the market's."""

    def contract_value(self, quantity: int, unit_price: int) -> int:
        return quantity * unit_price

    def contract_made(self, contract: SignedContract) -> None:
        """Nothing to do."""

    def delivered(self, settlement: Settlement) -> None:
        """Nothing to do."""

    def settled(self, settlement: Settlement) -> None:
        """Nothing to do."""

    def cancelled(self, settlement: Settlement) -> None:
        """Nothing to do."""

    def claimed(self, settlement: Settlement) -> None:
        """Nothing to do."""


Hook = Callable[[KindSpec, Settlement], None]

#: The settlement phases a vertical hears of, and the hook each one calls.
PHASE_HOOKS: dict[Phase, Hook] = {
    Phase.PROVISION_FINISHED: lambda spec, settlement: spec.delivered(settlement),
    Phase.FULFILLED: lambda spec, settlement: spec.settled(settlement),
    Phase.CANCELLED: lambda spec, settlement: spec.cancelled(settlement),
    Phase.CLAIM_ISSUED: lambda spec, settlement: spec.claimed(settlement),
}


class Kinds:
    """The registered kinds, by name; also the settlement listener that runs their hooks."""

    def __init__(self, specs: Iterable[KindSpec] = ()) -> None:
        self._specs: dict[str, KindSpec] = {}
        for spec in specs:
            if spec.kind in self._specs:
                raise DuplicateKind(spec.kind)
            if spec.policy is not None:
                policy_named(spec.policy)  # an unknown name fails here, not at the first order
            self._specs[spec.kind] = spec

    def __contains__(self, kind: object) -> bool:
        return kind in self._specs

    def __iter__(self) -> Iterator[KindSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def get(self, kind: str) -> KindSpec | None:
        return self._specs.get(kind)

    # -- what the book and the desk ask ------------------------------------------------

    def check_order(self, spec: NewOrder, now_ms: int) -> None:
        """Refuse an order that breaks its kind's rules, before the book sees it."""
        rules = self._specs.get(spec.kind)
        if rules is None:
            return
        check_new_order(spec, now_ms)  # the kind's rules may rely on well-formed values
        try:
            rules.check_order(spec)
        except InvalidOrder as error:
            raise InvalidOrder(f"{spec.kind}: {error.reason}") from None
        value = rules.contract_value(spec.quantity, spec.unit_price)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
            cost = f"the whole order would cost {value!r}"
            raise InvalidOrder(f"{spec.kind}: {cost}, outside 0..{MAX_AMOUNT}")

    def check_asset(self, spec: NewAsset) -> None:
        rules = self._specs.get(spec.kind)
        if rules is None:
            return
        check_asset(spec)  # the kind's rules may rely on well-formed values
        try:
            rules.check_asset(spec)
        except InvalidAsset as error:
            raise InvalidAsset(f"{spec.kind}: {error.reason}") from None

    def contract_value(self, match: Match) -> int:
        """What the contract of ``match`` costs: its kind's price, or quantity times price."""
        rules = self._specs.get(match.kind)
        if rules is None:
            return match.total
        return rules.contract_value(match.quantity, match.unit_price)

    def matching_policy(self, default: MatchingPolicy) -> MatchingPolicy:
        """``default``, or a :class:`PolicyByKind` where a kind chose another policy."""
        chosen = {
            spec.kind: policy_named(spec.policy)
            for spec in self._specs.values()
            if spec.policy is not None and spec.policy != default.name
        }
        return PolicyByKind(default, chosen) if chosen else default

    # -- hooks -------------------------------------------------------------------------

    def hears(self, kind: str) -> bool:
        """Whether contracts of ``kind`` have hooks to run."""
        return kind in self._specs

    def contract_made(self, contract: SignedContract) -> None:
        spec = self._specs.get(contract.match.kind)
        if spec is not None:
            made = contract.match.id
            self._run(spec, "contract_made", made, lambda: spec.contract_made(contract))

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        """As a :class:`~plaza.market.settlement.SettlementListener`: the phase hooks."""
        spec = self._specs.get(after.contract.kind)
        hook = PHASE_HOOKS.get(after.phase)
        if spec is None or hook is None or before.phase is after.phase:
            return
        self._run(spec, step, after.id, lambda: hook(spec, after))

    @staticmethod
    def _run(spec: KindSpec, step: str, contract_id: str, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:
            log.exception("the %s hook of kind %r failed on %s", step, spec.kind, contract_id)


#: No kind registered: every kind trades under the generic rules.
NO_KINDS = Kinds()
