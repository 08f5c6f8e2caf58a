"""A worked vertical: parking spots by the hour, in one module and nothing else.

It is what ``docs/verticals.md`` walks through, and it adds nothing to the
market: every part plugs into an extension point that exists already.

* kind ``parking``: ``quantity`` is hours (at most a week), ``unit_price`` base
  units per hour; an offer says its spot's ``size`` (compact, standard or van),
  and a request may require one;
* its own price: a day pass, so hours after the tenth of each day are free;
* its default policy: one to one (a spot is rented whole, to the oldest fitting
  offer), whatever the marketplace's own policy is;
* hooks that record every call, so the tests can see what the market called;
* one API route, ``GET /api/v1/market/parking/sizes``, and one command,
  ``plaza parking sizes``.
"""

from __future__ import annotations

import typer
from fastapi import APIRouter

from plaza.market.contracts import SignedContract
from plaza.market.errors import InvalidAsset, InvalidOrder
from plaza.market.kinds import KindRules
from plaza.market.model import NewAsset, NewOrder, Side
from plaza.market.settlement import Settlement
from plaza.verticals import Vertical

SIZES = ("compact", "standard", "van")
WEEK_HOURS = 7 * 24
PAID_HOURS_A_DAY = 10


class ParkingKind(KindRules):
    """Spots by the hour: sized, at most a week, a day pass after ten hours."""

    kind = "parking"
    policy = "one_to_one"

    def __init__(self) -> None:
        #: ``(hook, contract id)`` for every hook the market called, in order.
        self.calls: list[tuple[str, str]] = []

    def check_order(self, spec: NewOrder) -> None:
        if spec.quantity > WEEK_HOURS:
            raise InvalidOrder(f"quantity is hours, at most {WEEK_HOURS} (a week)")
        size = dict(spec.attributes).get("size")
        if size is None and spec.side is Side.OFFER:
            raise InvalidOrder(f"an offer must say its spot's size: one of {', '.join(SIZES)}")
        wanted = dict(spec.requirements.attributes).get("size")
        for value in (size, wanted):
            if value is not None and value not in SIZES:
                raise InvalidOrder(f"size must be one of {', '.join(SIZES)}, got {value!r}")

    def check_asset(self, spec: NewAsset) -> None:
        if dict(spec.attributes).get("size") not in SIZES:
            raise InvalidAsset(f"a spot's size must be one of {', '.join(SIZES)}")

    def contract_value(self, quantity: int, unit_price: int) -> int:
        days, hours = divmod(quantity, 24)
        return (days * PAID_HOURS_A_DAY + min(hours, PAID_HOURS_A_DAY)) * unit_price

    def contract_made(self, contract: SignedContract) -> None:
        self.calls.append(("contract_made", contract.match.id))

    def delivered(self, settlement: Settlement) -> None:
        self.calls.append(("delivered", settlement.id))

    def settled(self, settlement: Settlement) -> None:
        self.calls.append(("settled", settlement.id))

    def cancelled(self, settlement: Settlement) -> None:
        self.calls.append(("cancelled", settlement.id))

    def claimed(self, settlement: Settlement) -> None:
        self.calls.append(("claimed", settlement.id))


router = APIRouter()


@router.get("/sizes")
async def sizes() -> dict[str, object]:
    """The spot sizes an offer may name, and the hours a day pass charges."""
    return {"sizes": list(SIZES), "paid_hours_a_day": PAID_HOURS_A_DAY}


commands = typer.Typer(help="Rent parking spots by the hour.", no_args_is_help=True)


@commands.command("sizes")
def print_sizes() -> None:
    """Print the spot sizes an offer may name."""
    typer.echo(" ".join(SIZES))


def parking(kind: ParkingKind | None = None) -> Vertical:
    """The parking vertical; each call a fresh one unless given the kind to record with."""
    return Vertical(
        name="parking",
        summary="Parking spots by the hour.",
        kinds=(kind or ParkingKind(),),
        routers=(router,),
        commands=commands,
    )
