"""Why a node refused a service it offers beyond the ledger itself (the devnet faucet).

Ledger rules have their own family (:mod:`plaza.ledger.errors`); these are about
the node's own services, so they live with the node. Each carries a stable
``code`` the API returns, and the data a caller needs to react::

    NodeError
    ├── FaucetUnavailable    this node holds no faucet key
    ├── FaucetRateLimited    too soon for this address, or too many requests from this client
    ├── FaucetEmpty          the faucet's balance, less its grants in flight, cannot cover one more
    └── SubscriberLimitReached  too many event-stream subscribers, from this client or in all
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "FaucetEmpty",
    "FaucetRateLimited",
    "FaucetUnavailable",
    "NodeError",
    "SubscriberLimitReached",
]


class NodeError(Exception):
    """Base of every error the node's own services raise."""

    code = "node_error"


class FaucetUnavailable(NodeError):
    code = "faucet_unavailable"

    def __init__(self) -> None:
        super().__init__("this node has no faucet (only a devnet node holding the faucet key has)")


class FaucetRateLimited(NodeError):
    """``reason`` says which limit hit: the same ``address`` again, or the same ``client``."""

    code = "faucet_rate_limited"

    def __init__(self, retry_after_s: float, reason: Literal["address", "client"]) -> None:
        what = "this address was funded recently" if reason == "address" else "too many requests"
        super().__init__(f"faucet: {what}; retry in {retry_after_s:.1f} s")
        self.retry_after_s = retry_after_s
        self.reason = reason


class FaucetEmpty(NodeError):
    code = "faucet_empty"

    def __init__(self, available: int, amount: int) -> None:
        super().__init__(f"faucet has {available} available, a grant is {amount}")
        self.available = available
        self.amount = amount


class SubscriberLimitReached(NodeError):
    """The event stream's cap: ``scope`` is "from this client" or "in all"."""

    code = "subscriber_limit_reached"

    def __init__(self, limit: int, scope: str) -> None:
        super().__init__(f"{limit} event-stream subscribers {scope} already; close one first")
        self.limit = limit
        self.scope = scope
