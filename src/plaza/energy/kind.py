"""The energy vertical's kind, as the one marketplace knows it.

Orders of kind ``energy`` on :mod:`plaza.market` are the seed's transactions:
``quantity`` is watt-hours (``energyAmount``) and ``unit_price`` base units per
kWh (``energyPrice``), so a contract costs
:func:`~plaza.energy.model.contract_value`, rounded up, not quantity times
price. Both keep the seed's bounds, the ``green`` attribute is a yes or no, and
the kind trades under the seed's one-to-one policy. Its interface half
(commands, agents) is declared in :mod:`plaza.verticals.energy`.
"""

from __future__ import annotations

from plaza.energy.model import MAX_ENERGY_WH, MAX_PRICE, contract_value
from plaza.market.errors import InvalidOrder
from plaza.market.kinds import KindRules
from plaza.market.model import GREEN, NewOrder

__all__ = ["ENERGY", "EnergyKind"]


class EnergyKind(KindRules):
    """Watt-hours at a price per kWh, matched one to one."""

    kind = "energy"
    policy = "one_to_one"

    def check_order(self, spec: NewOrder) -> None:
        if spec.quantity > MAX_ENERGY_WH:
            raise InvalidOrder(f"quantity is watt-hours, at most {MAX_ENERGY_WH}")
        if spec.unit_price > MAX_PRICE:
            raise InvalidOrder(f"unit_price is base units per kWh, at most {MAX_PRICE}")
        green = dict(spec.attributes).get(GREEN)
        if green is not None and not isinstance(green, bool):
            raise InvalidOrder(f"attribute {GREEN!r} must be true or false, got {green!r}")

    def contract_value(self, quantity: int, unit_price: int) -> int:
        return contract_value(quantity, unit_price)


#: The energy kind.
ENERGY = EnergyKind()
