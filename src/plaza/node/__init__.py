"""The node runtime: a tangle with its data directory, coordinator loop, live events and faucet.

Nothing here speaks HTTP; :mod:`plaza.api` serves a :class:`NodeRuntime`.
"""

from plaza.node.datadir import DataDir
from plaza.node.errors import FaucetEmpty, FaucetRateLimited, FaucetUnavailable, NodeError
from plaza.node.events import EventFilter, EventHub, Subscription
from plaza.node.faucet import FaucetPolicy, NodeFaucet
from plaza.node.ratelimit import TokenBucket
from plaza.node.runtime import NodeConfig, NodeRuntime
from plaza.node.verify import ThreadedVerifier

__all__ = [
    "DataDir",
    "EventFilter",
    "EventHub",
    "FaucetEmpty",
    "FaucetPolicy",
    "FaucetRateLimited",
    "FaucetUnavailable",
    "NodeConfig",
    "NodeError",
    "NodeFaucet",
    "NodeRuntime",
    "Subscription",
    "ThreadedVerifier",
    "TokenBucket",
]
